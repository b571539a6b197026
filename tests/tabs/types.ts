// Compiled by scripts/test.sh (tsc --noEmit): the typings accept `shareAcrossTabs` and expose
// `sharing` as a union, on the socket and through the React hook's options.
import { SecureWebSocket } from '../../js/index.js';
import type { UseSecureWebSocketOptions } from '../../react/index.js';

const shared = new SecureWebSocket('wss://example.com/ws', { tokenUrl: '/api/ws-token', shareAcrossTabs: true });
const keyed = new SecureWebSocket('wss://example.com/ws', { tokenUrl: '/api/ws-token', shareAcrossTabs: 'chat' });
const role: 'leader' | 'follower' | 'unshared' = shared.sharing;
// @ts-expect-error: sharing is read-only
keyed.sharing = 'leader';
// @ts-expect-error: a key is a string or a boolean
new SecureWebSocket('wss://example.com/ws', { tokenUrl: '/api/ws-token', shareAcrossTabs: 1 });
const hookOptions: UseSecureWebSocketOptions = { tokenUrl: '/api/ws-token', shareAcrossTabs: true };
export { role, hookOptions };
