// `secure-ws`: the wasm SecureWebSocket itself, through a subclass whose constructor instantiates
// the wasm first. Every other member is inherited from the wasm class, so none can be missing or
// drift, and the constructor, send() and their errors stay synchronous.
import { SecureWebSocket as WasmSecureWebSocket } from '../pkg/secure_ws_bg.js';
import { instantiate } from './instantiate.js';

export class SecureWebSocket extends WasmSecureWebSocket {
  constructor(url, options) {
    instantiate();
    super(url, options);
  }
}
