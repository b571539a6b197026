// `SecureWebSocket`, the npm package's class (README "JavaScript API"): options.js reads the
// options, driver.js runs the wasm's state machine, events.js keeps the listeners, receipts and
// `ready()` promises. The wasm's `Session` class comes from whoever instantiated the wasm
// (`useSession`): js/index.js in the package, the test support in the browser tests, since this
// module cannot know where wasm-bindgen's glue lives.
import {
  STATUS_NEXT_ID, STATUS_NEXT_REAUTH_AT, STATUS_QUEUED, STATUS_RESUMABLE, STATUS_SERVER_MESSAGE_LIMIT, STATUS_STATE,
} from './codes.js';
import { Driver, STATES } from './driver.js';
import { createRegistry, messageText, receipt, sdkError, sendError, settleReceipts, subscribe, wait } from './events.js';
import { readOptions } from './options.js';

let Session;

/** Sets the wasm's exported `Session` class; once, before the first construction. */
export function useSession(session) {
  Session = session;
}

// An object the app lets go of without close() is closed when collected, as the wasm class was
// (its finalizer dropped the Rust object): a socket must not reconnect forever for nobody. (Never
// while a handler attached to it refers to it: the driver holds the handlers. README, `free()`.)
const finalizer = globalThis.FinalizationRegistry && new FinalizationRegistry((driver) => driver.free());

/**
 * An authenticated, self-healing WebSocket. The token lives only in the wasm's memory. The
 * constructor starts connecting at once: a credentialed `POST tokenUrl` (or `getToken()`) for a
 * short-lived token, a socket opened with no credential in its URL, and
 * `{"type":"auth","token":…}` as its first message. Sends wait in a queue until the server
 * confirms, then go out in order.
 */
export class SecureWebSocket {
  #driver;
  #registry = createRegistry();

  /** @throws {Error} with `code` `'invalid_options'`, `'insecure_url'` or `'invalid_argument'`. */
  constructor(url, options) {
    if (!Session) throw sdkError('invalid_argument', 'the wasm is not instantiated');
    this.#driver = new Driver(Session, readOptions(url, options), this.#registry);
    finalizer?.register(this, this.#driver, this);
  }

  /**
   * Sends an application message: a JSON-serialisable object with a string `type` that names no
   * protocol frame (else `invalid_message`); queued until authenticated.
   * @throws {Error} with `code` `'queue_full'`, `'message_too_large'`, `'invalid_message'` or `'closed'`.
   */
  send(data) {
    this.#driver.send(messageText(data), false);
  }

  /**
   * Sends like `send()` and returns a promise that resolves when the server acknowledged the
   * message (a resumable session), or rejects when it cannot be known or done: `unconfirmed` on
   * an at-most-once connection, or the error that ended the session. Throws like `send()`.
   */
  sendWithReceipt(data) {
    const json = messageText(data);
    // Registered before the message goes out, under the id it will get: on an at-most-once
    // connection its fate is known within this very call.
    const id = this.#driver.s.status(STATUS_NEXT_ID);
    const promise = receipt(this.#registry, id);
    try {
      this.#driver.send(json, true);
    } catch (error) {
      settleReceipts(this.#registry, 4, id);
      throw error;
    }
    return promise;
  }

  /** Closes with code 1000 and stops for good: no timer, fetch or reconnect fires afterwards. */
  close() {
    this.#driver.close();
  }

  /** Detaches every handler, then closes: nothing reaches an object that is being let go of. */
  free() {
    finalizer?.unregister(this);
    this.#driver.free();
  }

  /** Resolves when authenticated; rejects with the error that ended the session if it ends `closed` first. */
  ready() {
    const state = this.state;
    if (state === 'authenticated') return Promise.resolve();
    if (state === 'closed') return Promise.reject(this.#driver.finalError() ?? sendError(2));
    return wait(this.#registry);
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on(type, handler) {
    return subscribe(this.#registry, type, handler);
  }

  /** `'connecting' | 'authenticating' | 'authenticated' | 'reconnecting' | 'closed'`. */
  get state() {
    return STATES[this.#driver.s.status(STATUS_STATE)];
  }

  /** `'at-most-once'` until a server grants a resumable session, then `'exactly-once'`. */
  get delivery() {
    return this.#driver.s.status(STATUS_RESUMABLE) ? 'exactly-once' : 'at-most-once';
  }

  /** How many sends wait for an authenticated connection. */
  get queuedCount() {
    return this.#driver.s.status(STATUS_QUEUED);
  }

  /** Milliseconds until the next re-authentication, or `null` when none is scheduled. */
  get nextReauthInMs() {
    const at = this.#driver.s.status(STATUS_NEXT_REAUTH_AT);
    return Number.isNaN(at) ? null : Math.max(at - Math.floor(performance.now()), 0);
  }

  /** How this socket runs: a socket of its own. (Shared ones say `'leader'` or `'follower'`.) */
  get sharing() {
    return 'unshared';
  }

  /** Called with `{ userId }` on every successful authentication. */
  get onAuthenticated() {
    return this.#registry.p[0];
  }

  set onAuthenticated(handler) {
    this.#registry.p[0] = handler;
  }

  /** Called with each application message. */
  get onMessage() {
    return this.#registry.p[1];
  }

  set onMessage(handler) {
    this.#registry.p[1] = handler;
  }

  /** Internal to `shareAcrossTabs`: the id the next accepted send gets. */
  get _nextId() {
    return this.#driver.s.status(STATUS_NEXT_ID);
  }

  /** Internal to `shareAcrossTabs`: the server's advertised `maxMessageBytes`, or NaN. */
  get _serverLimit() {
    return this.#driver.s.status(STATUS_SERVER_MESSAGE_LIMIT);
  }

  /** Internal to `shareAcrossTabs`: closes for good, keeping the server's session (close 4015). */
  _handOver() {
    this.#driver.handOver();
  }
}

if (typeof Symbol.dispose === 'symbol') SecureWebSocket.prototype[Symbol.dispose] = SecureWebSocket.prototype.free;
