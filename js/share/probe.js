// A follower holds no wasm session, yet its constructor must throw what the wasm constructor
// throws for the same options. (Its on() knows the class's events: both use events.js's
// `subscribe`, and the leader relays every type of `EVENT_TYPES`.)
import { checkTokenUrl } from '../../pkg/options.js';

/**
 * Checks `options` exactly as the wasm constructor does, by constructing one that makes no
 * request: it starts while `navigator.onLine` reads false, so it waits for the network (it would
 * otherwise fetch a token and open a socket at once), and its token source is a getToken that
 * never settles, should it start anyway. Closes and frees it at once.
 */
export function probe(WasmSocket, url, options) {
  const checked = { ...options };
  const never = () => new Promise(() => {});
  if (typeof checked.getToken === 'function') checked.getToken = never;
  else if (typeof checked.tokenUrl === 'string' && checked.getToken === undefined) {
    delete checked.tokenUrl;
    checked.getToken = never;
  }
  const navigator = globalThis.navigator;
  let socket;
  try {
    Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
  } catch {
    // then the never-settling getToken is what keeps the probe from the network
  }
  try {
    socket = new WasmSocket(url, checked);
  } finally {
    if (Object.hasOwn(navigator ?? {}, 'onLine')) delete navigator.onLine;
  }
  socket.close();
  socket.free();
  // The one check the stand-in token source skipped, last as the class makes it.
  if (typeof options.tokenUrl === 'string' && options.getToken === undefined) checkTokenUrl(options.tokenUrl, options.allowInsecure);
}
