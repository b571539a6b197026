// The `shareAcrossTabs` option, read before the class (src/api/secure-web-socket.js) sees the options (it refuses keys it
// does not know): absent or false → an ordinary socket; true or a key → a shared one.
import { sdkError } from './errors.js';

export { SharedSecureWebSocket } from './shared-socket.js';

/**
 * `null` when `options` has no `shareAcrossTabs`; `{ unshared }`, a copy without it (so the wasm
 * class accepts them), when it is false or undefined; `{ shared }`, a copy, for the shared session.
 * Throws `invalid_options` for a value that is neither a boolean nor a non-empty string.
 */
export function sharingRequest(options) {
  // Enumerable own properties only, as the class reads its options (Object.keys).
  if (options === null || typeof options !== 'object' || !Object.keys(options).includes('shareAcrossTabs')) return null;
  // One read of each option (a getter, say), as the class reads them; not `{ shareAcrossTabs,
  // ...rest } = options`, which V8 can read `shareAcrossTabs` twice for (seen on a first call).
  const copy = { ...options };
  const { shareAcrossTabs } = copy;
  if (shareAcrossTabs === true || (typeof shareAcrossTabs === 'string' && shareAcrossTabs !== '')) return { shared: copy };
  delete copy.shareAcrossTabs;
  if (shareAcrossTabs === false || shareAcrossTabs === undefined) return { unshared: copy };
  throw sdkError('invalid_options', "shareAcrossTabs: must be a boolean or a non-empty string");
}
