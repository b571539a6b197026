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

// The rest of the class's surface, as the README documents it.
type In = { type: 'echo'; n: number };
const typed = new SecureWebSocket<In, In>('wss://example.com/ws', { tokenUrl: '/api/ws-token' });
const receipt: Promise<void> = typed.sendWithReceipt({ type: 'echo', n: 1 });
// @ts-expect-error: sendWithReceipt takes the app's outgoing type
typed.sendWithReceipt({ type: 'other' });
const delivery: 'at-most-once' | 'exactly-once' = typed.delivery;
typed.on('resync', ({ reason }) => reason satisfies 'session_lost');
typed.on('authenticated', ({ userId, resumed }) => [userId, resumed satisfies boolean]);
typed[Symbol.dispose]();
export { receipt, delivery };
