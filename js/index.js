// `secure-ws`: the wasm SecureWebSocket itself, through a subclass whose constructor instantiates
// the wasm first. Every other member is inherited from the wasm class, so none can be missing or
// drift, and the constructor, send() and their errors stay synchronous.
import { SecureWebSocket as WasmSecureWebSocket } from '../pkg/secure_ws_bg.js';
import { instantiate } from './instantiate.js';
import { SharedSecureWebSocket, sharingRequest } from './share/index.js';

export class SecureWebSocket extends WasmSecureWebSocket {
  constructor(url, options) {
    instantiate();
    // shareAcrossTabs (js/share/): one socket for every tab, behind an object with this API.
    const sharing = sharingRequest(options);
    if (sharing?.shared) return new SharedSecureWebSocket(WasmSecureWebSocket, url, sharing.shared);
    super(url, sharing ? sharing.unshared : options);
  }

  /** How this socket runs: a socket of its own. (Shared ones say `'leader'` or `'follower'`.) */
  get sharing() {
    return 'unshared';
  }

  static [Symbol.hasInstance](value) {
    return value instanceof SharedSecureWebSocket || Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
