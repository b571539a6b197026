// `secure-ws`: the JavaScript class (src/api/secure-web-socket.js, re-exported by scripts/build.sh
// at a stable path), through a subclass whose constructor instantiates the wasm first and hands
// the class the wasm's `Session` (exported as `SecureWsSession`). The constructor, send() and
// their errors stay synchronous.
// instantiate.js first: its first import, the wasm's bytes, then leads the bundle (see there).
import { instantiate } from './instantiate.js';
import { SecureWsSession } from '../pkg/secure_ws_bg.js';
import { SecureWebSocket as BaseSecureWebSocket, useSession } from '../pkg/secure-web-socket.js';
import { SharedSecureWebSocket, sharingRequest } from './share/index.js';

export class SecureWebSocket extends BaseSecureWebSocket {
  constructor(url, options) {
    instantiate();
    useSession(SecureWsSession);
    // shareAcrossTabs (js/share/): one socket for every tab, behind an object with this API.
    const sharing = sharingRequest(options);
    if (sharing?.shared) return new SharedSecureWebSocket(BaseSecureWebSocket, url, sharing.shared);
    super(url, sharing ? sharing.unshared : options);
  }

  static [Symbol.hasInstance](value) {
    return value instanceof SharedSecureWebSocket || Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
