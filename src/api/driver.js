// The driver of the class (issue 14, "lean"): runs the actions of the wasm's state machine
// (`Session`, src/api/session.rs) with browser APIs and feeds back what happened. It decides
// nothing. It owns the socket, the one timer, the token request and the page listeners, and lets
// go of all of them once the session is closed, so nothing the SDK set up fires afterwards.
// Written in JS, where closures, timers and listeners cost nothing in the wasm (wasm-bindgen's
// closures, Rc/RefCell and shims were ~9 KB gzip of it). The one driver of both faces: the Rust
// API (src/rust_api) runs this class too.
import { closeSocket, fetchToken, online, openSocket, watchPage } from '../browser/io.js';
import {
  ABORT_TOKEN, AUTHENTICATED, CLOSE, CLOSE_SESSION, CLOSE_SOCKET, CLOSED, CLOSING, COLLECT_SUBSCRIPTIONS, DELIVERED,
  DIRECT, ERROR, ERROR_CODES, FETCH_TOKEN, HAND_OVER, MESSAGE, OPEN_SOCKET, OPENED, PAGE, RECONNECTING, REPLICATE,
  REPLICATE_SESSION, RESYNC, STAGE, STATE, SUBSCRIPTIONS, TIMEOUT, TIMER, TOKEN, TOO_LARGE, UNCONFIRMED, UNDELIVERABLE,
} from './codes.js';
import { collect, detach, emit, sdkError, sendError, settleReceipts } from './events.js';

/** The public states, by the index `Session.status(0)` and a `STATE` action answer. */
export const STATES = ['connecting', 'authenticating', 'authenticated', 'reconnecting', 'closed'];
/** The longest delay `setTimeout` honours (2³¹−1 ms); a longer one fires at once in browsers. */
const MAX_DELAY = 2147483647;
// An events.js `emit` kind of -1: settle receipts instead (mode, id, error).
const RECEIPTS = -1;

export class Driver {
  /** The wasm `Session`. */
  s;
  #url;
  #source;
  #subscriptions;
  #registry;
  /** false once detached (`free()`): no event is delivered after that. */
  #attached = true;
  /** `[conn, WebSocket]`, the current socket. */
  #socket = null;
  #timer = null;
  /** `[request, abort]`, the token request in flight. */
  #fetch = null;
  /** Removes the page listeners. */
  #page = null;
  /** Set while actions run: a re-entrant call only queues its actions in the core, and the
   * outer loop runs them in order. */
  #pumping = false;
  /** Set during `close()`: events wait in `#deferred` for a microtask (see `close`). */
  #deferring = false;
  #deferred = [];
  #microtask = false;
  #closed = false;
  /** A tab leading a shared connection: its hook `(kind, number, id, text)` (js/share/). */
  #replicate;
  #onTimer = () => {
    this.#timer = null;
    this.#input(TIMEOUT);
  };

  /**
   * Starts a session from options.js's compact form `options` with events.js's `registry`: the
   * core's first actions (token request, socket) run before this returns; options.js has checked
   * every option.
   */
  constructor(Session, options, registry) {
    // The numbers (options.js's NUMBERS: NaN the default, `jitter` 0 or 1), then subscriptions.
    const numbers = options.slice(3, 15).map((n) => (n === undefined ? NaN : +n));
    numbers.push(options[2] ? 1 : 0);
    this.s = new Session(numbers, online());
    // A server render (Node has no page events), once the options passed every check: a named
    // error, not a TypeError from watchPage.
    if (typeof addEventListener !== 'function') {
      this.s.free();
      throw sdkError('invalid_argument', 'needs a browser: create it in an effect');
    }
    [this.#url, this.#source, this.#subscriptions] = options;
    this.#registry = registry;
    const share = options[15];
    if (share) {
      // `[hook, sessionId?, lastSeq, nextSeq, seqs, texts]`, checked by options.js. Before any
      // `auth`: the core offers the last leader's session in it.
      const [hook, sessionId, lastSeq, nextSeq, seqs, texts] = share;
      this.#replicate = hook;
      seqs?.forEach((seq, i) => this.#tell(STAGE, 0, texts[i], seq));
      this.#tell(REPLICATE_SESSION, nextSeq, sessionId, lastSeq);
    }
    this.#page = watchPage((change) => this.#input(PAGE, change));
    // Held for a microtask like close()'s: the first actions emit nothing, but a socket the
    // browser refuses at once (mixed content, a URL it will not open) ends a first attempt here,
    // before anyone could listen. Delivered after the constructor, they reach the listeners an
    // app (or the Rust API) attaches right after it.
    this.#pumpDeferred();
  }

  /** Queues or sends `text` (a JSON text); the message id, or throws what `send()` throws. */
  send(text, receipt) {
    this.#closing();
    const id = this.s.send(text, receipt);
    const error = id < 0 && (id === -1 ? sendError(0, 0, this.s.n0) : id === -2 ? sendError(1, this.s.n0, this.s.n1) : sendError(2));
    this.#pump();
    if (error) throw error;
    return id;
  }

  /**
   * Closes for good: the socket is closed and everything released before this returns, but the
   * events it causes (`close`, `state`) are delivered in a microtask, outside the caller's
   * method call, so that a handler that frees the object (as the React hook's cleanup may) never
   * runs inside it. (A browser WebSocket's `close` event is asynchronous too.) From inside a
   * handler, the outer loop delivers them in order instead.
   */
  close() {
    this.#tell(CLOSE_SESSION);
    this.#pumpDeferred();
  }

  /** Runs the pending actions with the events they cause delivered in a microtask (see `close`). */
  #pumpDeferred() {
    const outermost = !this.#deferring;
    this.#deferring = true;
    try {
      this.#pump();
    } finally {
      // Even if something threw: events deferred for good would never reach the app.
      if (outermost) this.#deferring = false;
    }
    if (!outermost) return;
    if (this.#deferred.length && !this.#microtask) {
      this.#microtask = true;
      queueMicrotask(() => {
        this.#microtask = false;
        const events = this.#deferred;
        this.#deferred = [];
        for (const event of events) this.#deliver(...event);
      });
    }
  }

  /** Like `close()`, but with 4015: the server keeps the session for the tab that takes over. */
  handOver() {
    this.#tell(HAND_OVER);
    this.close();
  }

  /** `free()`: no handler runs from now on, then the session closes. Idempotent. */
  free() {
    if (!this.#attached) return;
    this.#attached = false;
    detach(this.#registry);
    this.close();
  }

  /** The error that ended the session, if it ended with one. */
  finalError() {
    return this.s.finalError() ? this.#error() : undefined;
  }

  /**
   * Tells the session once that its socket is closing: the server's close frame came, and the
   * browser's `close` event has yet to. Nothing written to it now would leave (io.js's `sendText`
   * writes nothing), so the session stops writing and keeps what it owes for the next socket.
   * Checked before every input: `readyState` changes between tasks, never during one.
   */
  #closing() {
    const socket = this.#socket;
    if (socket?.[1].readyState > 1 && !socket[2]) {
      socket[2] = true;
      this.#tell(CLOSING, socket[0]);
    }
  }

  /** Something happened outside any call into the session: tells it, then runs what it answers. */
  #input(input, n, value, number) {
    this.#closing();
    this.#tell(input, n, value, number);
    this.#pump();
  }

  /**
   * Runs every action the session has, `first` (an action `handleFrame` already answered) first,
   * then lets go of everything once closed. A handler that calls in re-entrantly only queues.
   */
  #pump(first = 0) {
    if (this.#pumping) return;
    this.#pumping = true;
    const session = this.s;
    try {
      for (let kind = first || session.pollAction(); kind; kind = session.pollAction()) this.#run(kind);
    } finally {
      // Whatever threw (a wasm trap, the browser), the next input pumps again: a session whose
      // actions stopped running for good would never reconnect nor let go of anything.
      this.#pumping = false;
    }
    if (this.#closed) this.#release();
  }

  /**
   * A server frame on socket `conn`, as io.js sorted it, in the frame's one crossing into the
   * wasm. Answers 1 when the frame's only effect is its message: io.js then hands it to the
   * listeners itself.
   */
  #frame(conn, kind, value, number) {
    this.#closing();
    const pumping = this.#pumping;
    const first = this.s.handleFrame(conn, kind, value, number, !pumping);
    if (first === DIRECT) return this.#attached ? 1 : 0;
    // Re-entrant: the outer loop runs what the core queued.
    if (!pumping) this.#pump(first);
    return 0;
  }

  /** Runs one action; its fields are read before anything can call back into the session. */
  #run(kind) {
    const s = this.s;
    switch (kind) {
      case TIMER:
        return this.#arm(s.n0);
      case FETCH_TOKEN:
        return this.#fetchToken(s.n0);
      case ABORT_TOKEN:
        if (this.#fetch?.[0] === s.n0) this.#abort();
        return;
      case OPEN_SOCKET:
        return this.#open(s.n0);
      case CLOSE_SOCKET: {
        const socket = this.#socket;
        this.#socket = null;
        // Listeners first (closeSocket): the browser's report of this close never comes back.
        if (socket) closeSocket(socket[1], s.n0, s.text());
        return;
      }
      case COLLECT_SUBSCRIPTIONS: {
        // The app's function runs before the next action, which is the queue's flush.
        const conn = s.n0;
        const texts = collect(this.#subscriptions);
        texts?.forEach((text) => this.#tell(STAGE, 0, text));
        return this.#tell(SUBSCRIPTIONS, conn, undefined, texts ? 1 : 0);
      }
      case STATE: {
        const state = STATES[s.n0];
        if (state !== 'closed') return this.#event(0, state);
        this.#closed = true;
        const error = this.finalError();
        this.#event(0, state, error ?? sendError(2));
        return this.#event(RECEIPTS, 3, 0, error ?? sdkError('closed', 'the connection closed before the server acknowledged it'));
      }
      case AUTHENTICATED:
        return this.#event(1, s.text(), undefined, 0, s.n1);
      case MESSAGE:
        return this.#event(2, s.value);
      case RECONNECTING:
        return this.#event(3, undefined, undefined, s.n0, s.n1);
      case CLOSE:
        return this.#event(4, s.text(), undefined, s.n0, s.n1);
      case ERROR:
        return this.#event(5, this.#error());
      case TOO_LARGE:
        // The error `send()` throws for the same sizes (events.js).
        return this.#event(5, sendError(1, s.n0, s.n1));
      case RESYNC:
        return this.#event(6);
      case DELIVERED:
      case UNCONFIRMED:
      case UNDELIVERABLE:
        return this.#event(RECEIPTS, kind - DELIVERED, s.n0);
      default: {
        // A replication record (REPLICATE + the hook's kind); only a leading tab has a hook.
        const value = s.value;
        try {
          this.#replicate?.(kind - REPLICATE, s.n0, s.n1, value);
        } catch {
          // What the hook throws is its own problem: the session goes on.
        }
      }
    }
  }

  /** `Session.handle`, every argument given (wasm-bindgen's debug glue checks the numbers). */
  #tell(input, n = 0, value, number = NaN) {
    this.s.handle(input, n, value, number);
  }

  /** The error loaded in the session's fields (an error action, or `finalError`). */
  #error() {
    const s = this.s;
    const serverCode = s.value;
    return sdkError(ERROR_CODES[s.n0], s.text(), serverCode);
  }

  #event(kind, a, b, n, m) {
    if (this.#deferring) this.#deferred.push([kind, a, b, n, m]);
    else this.#deliver(kind, a, b, n, m);
  }

  // Once detached (free()) no handler runs, but promises still settle: a `ready()` or a receipt
  // pending at free() rejects with the error that ended the session, as after close().
  #deliver(kind, a, b, n, m) {
    if (kind === RECEIPTS) settleReceipts(this.#registry, a, b, n);
    else emit(this.#registry, kind, a, b, n, m);
  }

  #open(conn) {
    let ws;
    const handler = (kind, value, number) => {
      if (kind > 1) return this.#frame(conn, kind, value, number);
      if (kind === 0) {
        this.#input(OPENED, conn, ws);
      } else {
        // Its listeners go too (closing a closed socket does nothing): none is kept per reconnect.
        if (this.#socket?.[1] === ws) this.#socket = null;
        closeSocket(ws);
        this.#input(CLOSED, conn, value, number);
      }
      return 0;
    };
    // The core closes a socket before it opens the next one; should it not, none is left open.
    if (this.#socket) closeSocket(this.#socket[1]);
    this.#socket = null;
    try {
      ws = openSocket(this.#url, handler, (message) => emit(this.#registry, 2, message));
    } catch {
      // E.g. a `ws://` URL from an `https://` page (mixed content): a failed connect. The loop
      // this runs in picks up what the core makes of it.
      return this.#tell(CLOSED, conn, 'could not open the socket', 1006);
    }
    this.#socket = [conn, ws];
  }

  #fetchToken(request) {
    // The core abandons a request before it makes the next one; should it not, none is left running.
    if (this.#fetch) this.#abort();
    let abort;
    try {
      abort = fetchToken(this.#source, (kind, value, number) => {
        if (this.#fetch?.[0] === request) this.#fetch = null;
        // The core ignores an answer to a request it abandoned.
        this.#input(TOKEN + kind, request, value, number);
      });
    } catch {
      return this.#tell(TOKEN + 2, request, 'could not start the request', NaN);
    }
    this.#fetch = [request, abort];
  }

  #abort() {
    this.#fetch[1]();
    this.#fetch = null;
  }

  /** Re-arms the one timer for `deadline` (NaN: none). The session says only when it changed. */
  #arm(deadline) {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (Number.isNaN(deadline)) return;
    // Clamped: a longer delay would overflow setTimeout and fire at once. A deadline further
    // away than that is simply re-armed when the clamped timer fires.
    const delay = Math.min(Math.max(deadline - Math.floor(performance.now()), 0), MAX_DELAY);
    this.#timer = setTimeout(this.#onTimer, delay);
  }

  /** Lets go of everything that could still fire: once closed, nothing runs again. */
  #release() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#page?.();
    this.#page = null;
    if (this.#socket) closeSocket(this.#socket[1]);
    this.#socket = null;
    if (this.#fetch) this.#abort();
  }
}
