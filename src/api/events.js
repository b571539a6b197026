// The JS half of SecureWebSocket's events: listeners, property handlers, `ready()` promises,
// payload objects and error objects. It lives in JS so that `on()` hands back a plain unsubscribe
// function the garbage collector owns (nothing leaks however often a React effect subscribes),
// and so that the wasm carries no event names, payload keys or message text (issue 14): the wasm
// passes a kind and plain values, and the objects users see are made here.
import { PROTOCOL_TYPES } from '../browser/io.js';

/** The event types, in the order of `emit`'s kinds; js/share/ relays and accepts the same. */
export const EVENT_TYPES = ['state', 'authenticated', 'message', 'reconnecting', 'close', 'error', 'resync'];

/**
 * One socket's listeners (`l`, by type), property handlers (`p`: `onAuthenticated` 0 and
 * `onMessage` 1, which the classes' accessors read and set), `ready()` waiters (`w`),
 * `sendWithReceipt()` receipts (`r`: `[message id, resolve, reject]`, oldest first), and whether
 * it was detached (`d`, by free()).
 */
export function createRegistry() {
  return { l: new Map(), p: [], w: [], r: [], d: false };
}

// Each type's listeners are an array replaced on every change, never changed in place: a dispatch
// iterates the array it started with (a listener added by a handler waits for the next event, as
// in the DOM) without copying it for every message.
export function subscribe(registry, type, handler) {
  if (!EVENT_TYPES.includes(type)) throw sdkError('invalid_argument', `unknown event type '${type}'`);
  // Wrapped so that the same function subscribed twice gets two independent subscriptions.
  const entry = { handler };
  registry.l.set(type, [...(registry.l.get(type) ?? []), entry]);
  return () => {
    // Cleared too, as the DOM does: an event being dispatched does not reach it any more.
    entry.handler = undefined;
    const entries = registry.l.get(type);
    if (entries?.includes(entry)) registry.l.set(type, entries.filter((e) => e !== entry));
  };
}

/** A `ready()` promise, settled by the next `authenticated` or `closed` state. */
export function wait(registry) {
  return new Promise((resolve, reject) => registry.w.push([resolve, reject]));
}

/** Settles every `ready()` promise: `index` 0 resolves, 1 rejects with `value`. */
export function settle(registry, index, value) {
  const waiters = registry.w;
  registry.w = [];
  for (const waiter of waiters) waiter[index](value);
}

/**
 * Delivers event `kind` (an index into EVENT_TYPES) built from plain values: state (`a` the state,
 * `b` for `closed` the error `ready()` rejects with), authenticated (`a` the user id, `m`
 * resumed), message (`a` the parsed object), reconnecting (`n` attempt, `m` delay), close (`n`
 * code, `a` reason, `m` will reconnect), error (`a` the error), resync.
 */
export function emit(registry, kind, a, b, n, m) {
  const type = EVENT_TYPES[kind];
  const payload =
    kind === 1 ? { userId: a ?? null, resumed: !!m }
    : kind === 3 ? { attempt: n, delayMs: m }
    : kind === 4 ? { code: n, reason: a, willReconnect: !!m }
    : kind === 6 ? { reason: 'session_lost' }
    : a;
  if (kind === 0 && a === 'authenticated') settle(registry, 0);
  dispatch(registry, type, payload);
  if (kind === 0 && a === 'closed') settle(registry, 1, b);
}

/**
 * Delivers a made `payload` to the listeners of `type` and to its property handler: what `emit`
 * does once it has the payload, and what js/share/ does with the events a leader relays.
 */
export function dispatch(registry, type, payload) {
  const entries = registry.l.get(type);
  // Checked before each handler: one that frees the socket stops the rest of this event too (the
  // property handler is read after them, from what `detach` left: none), and one unsubscribed
  // by an earlier handler is not called.
  if (entries) for (const entry of entries) if (!registry.d && entry.handler) invoke(entry.handler, payload);
  const property = type === 'authenticated' ? registry.p[0] : type === 'message' ? registry.p[1] : undefined;
  if (typeof property === 'function') invoke(property, payload);
}

/**
 * `free()`: no handler runs from now on, not even the rest of the event being dispatched, and
 * none is kept; the `ready()` waiters and receipts stay, to be settled as the session ends.
 */
export function detach(registry) {
  registry.d = true;
  registry.l = new Map();
  registry.p = [];
}

/** A `sendWithReceipt()` promise for message `id`. */
export function receipt(registry, id) {
  return new Promise((resolve, reject) => registry.r.push([id, resolve, reject]));
}

/**
 * Settles receipts: `mode` 0 resolves every one up to `id` (the server acknowledged them), 1
 * rejects `id`'s as unconfirmed (at-most-once), 2 rejects `id`'s as too large for the server,
 * 3 rejects all with `error` (the session ended), 4 drops `id`'s (its send threw).
 */
export function settleReceipts(registry, mode, id, error) {
  const settled = [];
  registry.r = registry.r.filter((entry) => {
    const hit = mode === 0 ? entry[0] <= id : mode === 3 || entry[0] === id;
    if (hit) settled.push(entry);
    return !hit;
  });
  if (mode === 1) error = sendError(3);
  if (mode === 2) error = sendError(4);
  if (mode < 4) for (const entry of settled) (mode ? entry[2] : entry[1])(error);
}

/** What io.js calls with an application message the driver left to JS to deliver. */
export function deliverer(registry) {
  return (message) => emit(registry, 2, message);
}

// A handler that throws is reported like an exception in a DOM event listener; the others still run.
function invoke(handler, payload) {
  try {
    handler(payload);
  } catch (error) {
    report(error);
  }
}

/** Reports an error that has no caller left to throw to, as an uncaught one is reported. */
export function report(error) {
  if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
  else console.error(error);
}

/** An `Error` with a string `code`, as every error of the SDK is; `serverCode` for `server_error`. */
export function sdkError(code, message, serverCode) {
  const error = new Error(message);
  error.name = 'SecureWebSocketError';
  error.code = code;
  if (serverCode !== undefined) error.serverCode = serverCode;
  return error;
}

/**
 * What `send()` throws for core::SendError (`kind` 0 queue full, 1 too large, 2 closed), and what
 * a receipt rejects with once its message went out at most once (3), or once the server's limit
 * turned out smaller than the message queued (4).
 */
export function sendError(kind, bytes, limit) {
  return kind === 0 ? sdkError('queue_full', `send queue is full (${limit} messages waiting)`)
    : kind === 1 ? sdkError('message_too_large', `message is ${bytes} bytes, over the limit of ${limit}`)
    : kind === 2 ? sdkError('closed', 'the connection is closed')
    : kind === 3 ? sdkError('unconfirmed', 'sent, but this server does not acknowledge messages (at-most-once delivery)')
    : sdkError('message_too_large', 'the server does not accept a message this large');
}

/** JSON.stringify, or undefined for what it cannot carry (undefined, functions, cycles, BigInt). */
export function stringify(data) {
  try {
    const text = JSON.stringify(data);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An application message's JSON text (SPEC: a JSON object with a string `type`, and, PROTOCOL.md,
 * one that names no protocol frame), or undefined. Anything else the server would refuse, or take
 * for the frame it names; on an exactly-once session a refused message would be sent again after
 * every reconnect.
 */
function applicationText(data) {
  const text = stringify(data);
  return text?.[0] === '{' && typeof data.type === 'string' && !PROTOCOL_TYPES.includes(data.type) ? text : undefined;
}

/**
 * `send()`'s argument as JSON text, or the `invalid_message` error thrown: the class's check, and a
 * shared socket's follower's (js/share/outgoing.js), which must throw where the class would.
 */
export function messageText(data) {
  const text = applicationText(data);
  if (text === undefined) {
    throw sdkError('invalid_message', 'send() needs a JSON-serialisable object with a string type that names no protocol frame');
  }
  return text;
}

/**
 * The app's `subscriptions()` as JSON texts, or undefined when it threw or gave what is no
 * application message (`applicationText`): a promise too (an `async` function's), which
 * `JSON.stringify` would turn into `{}`.
 */
export function collect(subscriptions) {
  let texts;
  try {
    // Inside the try too: a revoked Proxy or an array with a throwing getter throws here.
    const value = subscriptions();
    if (typeof value?.then === 'function') return undefined;
    texts = (Array.isArray(value) ? value : value == null ? [] : [value]).map(applicationText);
  } catch {
    return undefined;
  }
  return texts.includes(undefined) ? undefined : texts;
}
