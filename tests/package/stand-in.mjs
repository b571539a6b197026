// What the package's tests in Node give it of a browser: a WebSocket stand-in that the test opens,
// feeds and closes (every socket made is kept, in order), and no-op page listeners. Installed on
// import, before the test imports the package.

export class StandInSocket {
  static made = [];
  static get last() {
    return StandInSocket.made.at(-1);
  }
  readyState = 0;
  bufferedAmount = 0;
  sent = [];
  listeners = {};
  constructor(url) {
    this.url = url;
    StandInSocket.made.push(this);
  }
  addEventListener(type, listener) {
    this.listeners[type] = listener;
  }
  removeEventListener() {}
  send(text) {
    this.sent.push(text);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.listeners.open({ type: 'open' });
  }
  /** A frame from the server: an object as its JSON text, or a string as it is. */
  frame(data) {
    this.listeners.message({ type: 'message', data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
  /** The server's close, as the browser reports it. */
  closedByServer(code, reason = '') {
    this.readyState = 3;
    this.listeners.close({ type: 'close', code, reason });
  }
}

globalThis.WebSocket = StandInSocket;
globalThis.addEventListener = () => {};
globalThis.removeEventListener = () => {};

/** Resolves once `condition()` holds, checking after each turn of the event loop (bounded). */
export async function until(condition) {
  for (let turn = 0; turn < 1000 && !condition(); turn++) await new Promise((resolve) => setImmediate(resolve));
  if (!condition()) throw new Error(`the condition never held: ${condition}`);
}

/**
 * Authenticates `ws` on `socket` (by default the last one made) as a server would: opens it, waits
 * for the `auth` frame, answers `answer` (a success by default) and awaits `ready()`. Returns the socket.
 */
export async function authenticate(ws, socket = StandInSocket.last, answer = { type: 'auth_response', success: true }) {
  socket.open();
  await until(() => socket.sent.length === 1);
  socket.frame(answer);
  await ws.ready();
  return socket;
}

/**
 * The wasm instance's memory as the package instantiates it (js/instantiate.js): `.memory` once the
 * first socket is made. Call before the first construction.
 */
export function watchWasmMemory() {
  const watched = { memory: null };
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function (module, imports) {
    const instance = new Instance(module, imports);
    watched.memory = Object.values(instance.exports).find((value) => value instanceof WebAssembly.Memory);
    return instance;
  };
  return watched;
}
