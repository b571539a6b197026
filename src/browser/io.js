// The browser I/O the driver (src/api/driver.js) needs, each reporting through a callback of one
// shape, `handler(kind, value, number)`, which answers a number: frames and token answers go on
// to the wasm's `Session` as these numbers and values (issue 14: no web-sys binding, no closure
// and no object per event in the wasm).
import { wrapSequenced } from './text.js';

// Each socket's listener, so that closing it can remove exactly that one.
const listeners = new WeakMap();
// Server frame types the core tells apart, in the order of core::protocol::FrameType; any other
// `type` is an application message (FrameType::App, the last).
const TYPES = ['auth_response', 'reauth_response', 'ping', 'pong', 'msg', 'ack', 'error'];
// Frames only a client sends (core::protocol::is_client_frame): echoed back by a server or proxy,
// they would hand the app its own token, so they are refused, inside `msg` too.
const CLIENT = ['auth', 'reauth'];
// Every type the protocol gives a frame (PROTOCOL.md): no application message may have one, either
// way (events.js refuses such a send; a server, or an echo of it, would take it for that frame).
export const PROTOCOL_TYPES = [...TYPES, ...CLIENT];
// The longest server protocol frame read, in UTF-16 units (PROTOCOL.md): its strings (an error's
// message, a user id, a session id) are copied into the wasm's memory, which never shrinks, so a
// longer one is refused unread. An application message is never copied there and has no limit.
const PROTOCOL_FRAME_CHARS = 65536;

/**
 * Opens a WebSocket: `handler(0)` open, `handler(1, reason, code)` close, and for each frame one
 * call that classifies it (issue 14: one crossing into the wasm per frame): `handler(2, _, n)` a
 * frame that is not a JSON object with a string `type` (n as core::FrameError: 0 binary, 1 not
 * JSON, 2 not an object, 3 no type, 4 a client frame, 5 a protocol frame over
 * PROTOCOL_FRAME_CHARS), or `handler(3 + t, object, seq)` for
 * FrameType t, where a `msg` frame hands over its `data` (undefined unless an application
 * message: an object with a string `type` that names no protocol frame, a client's or the
 * server's, `msg` included) and `seq`. When the handler answers 1, the application
 * message goes to `deliver` from here, with no second crossing.
 */
export function openSocket(url, handler, deliver) {
  const ws = new WebSocket(url);
  // Binary frames are protocol errors; an ArrayBuffer is cheaper to reject than a Blob.
  ws.binaryType = 'arraybuffer';
  const frame = (data) => {
    if (typeof data !== 'string') return handler(2, undefined, 0);
    let object;
    try {
      object = JSON.parse(data);
    } catch {
      return handler(2, undefined, 1);
    }
    if (object === null || typeof object !== 'object' || Array.isArray(object)) return handler(2, undefined, 2);
    const { type } = object;
    if (typeof type !== 'string') return handler(2, undefined, 3);
    let kind = TYPES.indexOf(type);
    let seq = 0;
    if (kind < 0) {
      // Not a protocol frame the server sends: an application message, unless a client's.
      if (CLIENT.includes(type)) return handler(2, undefined, 4);
      kind = TYPES.length;
    } else if (kind !== 4 && data.length > PROTOCOL_FRAME_CHARS) {
      return handler(2, undefined, 5);
    } else if (kind === 4) {
      seq = typeof object.seq === 'number' ? object.seq : NaN;
      object = object.data;
      // Only an application message is wrapped: a protocol frame inside is never one (SPEC: an
      // `auth_response` never surfaces as a message). Of JSON values, only an object has a `type`.
      const inner = object?.type;
      if (typeof inner !== 'string' || PROTOCOL_TYPES.includes(inner)) object = undefined;
    }
    if (handler(3 + kind, object, seq) === 1) deliver(object);
  };
  // A failed connect fires `error` then `close`; `close` alone carries what is needed.
  const listener = (event) =>
    event.type === 'message' ? frame(event.data)
    : event.type === 'open' ? handler(0, undefined, 0)
    : handler(1, event.reason, event.code);
  for (const type of ['open', 'message', 'close']) ws.addEventListener(type, listener);
  listeners.set(ws, listener);
  return ws;
}

/**
 * Sends a string on an open socket. A closing or closed one would drop it anyway (and Chrome logs
 * an error for each such send); its close is reported separately.
 */
export function sendText(ws, text) {
  if (ws.readyState !== 1) return;
  try {
    ws.send(text);
  } catch {}
}

/** An application message: wrapped with its number `seq` on a resumable session, else (−1) as it is. */
export function sendApp(ws, seq, text) {
  sendText(ws, seq < 0 ? text : wrapSequenced(seq, text));
}

/** The bytes the browser holds unsent on the socket, by which the SDK paces its flush. */
export function buffered(ws) {
  return ws.bufferedAmount;
}

/** Detaches the listener, then closes (with `code` and `reason` when `code` is given). */
export function closeSocket(ws, code, reason) {
  const listener = listeners.get(ws);
  for (const type of ['open', 'message', 'close']) ws.removeEventListener(type, listener);
  try {
    if (code) ws.close(code, reason);
    else ws.close();
  } catch {}
}

/** `navigator.onLine`, or online where the browser cannot say. */
export function online() {
  return globalThis.navigator?.onLine !== false;
}

/**
 * Reports the changes the connection cares about as `handler(change)`: 0 online, 1 offline,
 * 2 suspended (frozen, or into the back/forward cache), 3 resumed, 4 visible again. Works in a
 * worker too, with the network events only. Returns the function that removes every listener.
 */
export function watchPage(handler) {
  const global = globalThis;
  const document = global.document;
  // Only a page that goes into the back/forward cache (`persisted`) is suspended; one that is
  // unloading for good needs nothing.
  const watched = [
    [global, 'online', () => 0],
    [global, 'offline', () => 1],
    [global, 'pagehide', (event) => (event.persisted ? 2 : -1)],
    [global, 'pageshow', (event) => (event.persisted ? 3 : -1)],
  ];
  if (document?.addEventListener) {
    watched.push(
      [document, 'freeze', () => 2],
      [document, 'resume', () => 3],
      [document, 'visibilitychange', () => (document.visibilityState === 'visible' ? 4 : -1)],
    );
  }
  const removers = watched.map(([target, type, change]) => {
    const listener = (event) => {
      const code = change(event);
      if (code >= 0) handler(code, undefined, 0);
    };
    target.addEventListener(type, listener);
    return () => target.removeEventListener(type, listener);
  });
  return () => removers.forEach((remove) => remove());
}

/** Calls `handler(0)` once `delay` ms have passed; the timer's id, for `clearTimer`. */
export function setTimer(handler, delay) {
  return setTimeout(() => handler(0, undefined, 0), delay);
}

export function clearTimer(id) {
  clearTimeout(id);
}

/** Calls `handler(0)` in a microtask. */
export function defer(handler) {
  queueMicrotask(() => handler(0, undefined, 0));
}

/**
 * Asks `source` for one token: the token URL (a credentialed POST) or the app's `getToken`, called
 * with `{ signal }`. Answers once with `handler(0, token, expiresIn or NaN)`, `handler(1)`
 * unauthorized (401/403, or getToken threw `{ code: 'unauthorized' }`), `handler(2, why)`
 * unavailable (retried) or `handler(3, n)` invalid (n as token_answer.rs reads it); never after
 * the returned function aborted the request, which does nothing once answered.
 */
export function fetchToken(source, handler) {
  const controller = new AbortController();
  const { signal } = controller;
  let answered = false;
  token(source, signal).then(([kind, value, expiresIn = NaN]) => {
    if (signal.aborted) return;
    answered = true;
    handler(kind, value, expiresIn);
  });
  // Once answered, the request is over: its signal is never aborted afterwards.
  return () => answered || controller.abort();
}

/** `fetchToken`'s answer as `[kind, value, expiresIn]`; never rejects. */
async function token(source, signal) {
  if (typeof source === 'function') {
    let token;
    try {
      token = await new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        // Not called at all once aborted (a socket closed in the task that made it, as React's
        // StrictMode does): the app's getToken may not heed the signal.
        Promise.resolve()
          .then(() => {
            if (signal.aborted) throw signal.reason;
            return source({ signal });
          })
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', onAbort));
      });
    } catch (error) {
      // The thrown value is not echoed: it is the app's, and could hold anything.
      return error?.code === 'unauthorized' ? [1] : [2, 'getToken threw or rejected'];
    }
    return typeof token === 'string' ? [0, token] : [3, 2];
  }
  let response;
  try {
    response = await fetch(source, { method: 'POST', credentials: 'include', signal });
  } catch {
    return [2, 'network error'];
  }
  const { status } = response;
  if (status === 401 || status === 403) return [1];
  if (!response.ok) return [2, `HTTP ${status}`];
  let body;
  try {
    body = await response.json();
  } catch {
    return [3, 0];
  }
  const expiresIn = body?.expiresIn;
  return typeof body?.wsToken === 'string'
    ? [0, body.wsToken, Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : NaN]
    : [3, 1];
}
