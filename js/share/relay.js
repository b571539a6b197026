// The leader's side: the one unshared SecureWebSocket of a shared session, fed with every tab's sends
// and reporting each event, each send's fate and the resumable session's state back through
// `sink`. The token stays inside the wasm object: nothing here reads it, and what goes to the sink
// is events, states, send ids, sequence numbers, the session id (no credential: a resume needs a
// valid token of the same user) and the app's own messages.
import { sendError } from './errors.js';
import { append, prune } from './replica.js';

// The class's internal option for a tab that leads (src/api/options.js).
const SHARE = Symbol.for('secure-ws.share');

export class Relay {
  #ws;
  #sink;
  #offs = [];
  /** wasm send id → the tab's send `{ tab, id }` (null: the app's subscriptions, no tab's). */
  #origins = new Map();
  /** `{ seq, wasmId }` while unacknowledged, in order: to forget origins once acknowledged. */
  #numbered = [];
  /** Sends waiting for room in the wasm queue (it is bounded too), oldest first. */
  #backlog = [];
  /** tab id → the highest send id taken from it: a send offered twice is taken once. */
  #taken = new Map();
  /** The number of the server message being delivered (announced just before it). */
  #received = null;
  #stopped = false;
  /** The last `authenticated` payload (`{ userId }`), for tabs that join later. */
  authenticated = null;

  /**
   * `adopt`: the last leader's session as this tab holds it, `{ sessionId, lastSeq, nextSeq,
   * log: [{ seq, text, origin }] }`, or null. `sink`: `{ event(type, payload, seq), confirm(tab,
   * ids, unconfirmed), refuse(tab, id, error), ended(error), session(id, resumed), logged(seq, text, origin),
   * acked(seq) }`. Throws what the wasm constructor throws.
   */
  constructor(WasmSocket, url, options, eventTypes, adopt, sink) {
    this.#sink = sink;
    const share = { replicate: (kind, number, id, text) => this.#replicate(kind, number, id, text) };
    if (adopt) {
      const { sessionId, lastSeq, nextSeq, log } = adopt;
      share.adopt = { sessionId, lastSeq, nextSeq, log: log.map(({ seq, text }) => [seq, text]) };
      // The wasm gives the adopted messages ids 1, 2, … in order; what they are is taken already.
      log.forEach(({ origin }, index) => {
        this.#origins.set(index + 1, origin);
        if (origin) this.#taken.set(origin.tab, Math.max(this.#taken.get(origin.tab) ?? 0, origin.id));
      });
    }
    this.#ws = new WasmSocket(url, { ...options, [SHARE]: share });
    for (const type of eventTypes) {
      this.#offs.push(this.#ws.on(type, (payload) => this.#onEvent(type, payload)));
    }
  }

  get state() {
    return this.#ws.state;
  }

  get delivery() {
    return this.#ws.delivery;
  }

  get nextReauthInMs() {
    return this.#ws.nextReauthInMs;
  }

  /** The `maxMessageBytes` the server of the live connection advertised, or NaN. */
  get serverLimit() {
    return this.#ws._serverLimit;
  }

  /** Offers send `id` of `tab` (JSON `text`); ids of one tab arrive in increasing order. */
  submit(tab, id, text) {
    if (this.#stopped || id <= (this.#taken.get(tab) ?? 0)) return;
    this.#taken.set(tab, id);
    this.#backlog.push({ tab, id, text });
    this.#drain();
  }

  /**
   * Closes the socket without telling the app: keeping the server's session (close 4015) for the
   * next leader, or (`ending`: no tab is left to take it) ending it as the class's close() does
   * (1000). What the socket still writes is announced first.
   */
  stop(ending) {
    if (this.#stopped) return;
    // Before #stop(): what the socket still writes is announced while not stopped. No event
    // reaches #onEvent meanwhile: the class delivers a close's events after the call returns.
    if (ending) this.#ws.close();
    else this.#ws._handOver();
    this.#stop();
  }

  #onEvent(type, payload) {
    if (this.#stopped) return;
    if (type === 'state' && payload === 'closed') {
      // Only the session's own end gets here (stop() has stopped before its close's events come):
      // logout, a 401, reconnect_failed, a server's 1000. It ends the session in every tab, with
      // the error ready() rejects with.
      this.#ws.ready().then(
        () => {},
        (error) => {
          this.#stop();
          this.#sink.ended(error);
        },
      );
      return;
    }
    if (type === 'authenticated') this.authenticated = payload;
    // A `received` record comes just before the message it numbers, or before the error that
    // refused a numbered frame without one (it counts all the same: src/core/session.rs).
    const numbered = type === 'message' || type === 'error';
    const seq = numbered ? this.#received : null;
    if (numbered) this.#received = null;
    this.#sink.event(type, payload, seq);
    // The queue is flushed on authentication, after the event's handlers ran.
    queueMicrotask(() => this.#drain());
  }

  /** Lets the socket go: closed already (the session ended by itself, or stop() closed it). */
  #stop() {
    this.#stopped = true;
    for (const off of this.#offs) off();
    this.#ws.free();
  }

  /** The core's announcements (src/api/driver.js, a replication record's hook call), in its order. */
  #replicate(kind, number, id, text) {
    if (this.#stopped) return;
    switch (kind) {
      case 0:
        // A new session numbers from 1 again; the ids (and so the origins) stay.
        if (number !== 1) this.#numbered = [];
        this.#sink.session(text ?? null, number === 1);
        break;
      case 1: {
        const origin = this.#origins.get(id) ?? null;
        if (number === 0) {
          // At most once: gone to the socket, nothing more will be known of it.
          this.#origins.delete(id);
          // Its receipt rejects `unconfirmed`, as the class's does: nothing will confirm it.
          if (origin) this.#sink.confirm(origin.tab, [origin.id], true);
          // Room in the wasm queue (no acknowledgement will say so): what waited goes now.
          if (this.#backlog.length > 0) queueMicrotask(() => this.#drain());
        } else {
          append(this.#numbered, { seq: number, wasmId: id });
          this.#sink.logged(number, text, origin);
        }
        break;
      }
      case 2:
        for (const { wasmId } of prune(this.#numbered, number)) this.#origins.delete(wasmId);
        this.#sink.acked(number);
        // Room in the wasm queue: what waited for it goes now (after this call returns).
        if (this.#backlog.length > 0) queueMicrotask(() => this.#drain());
        break;
      case 3:
        this.#received = number;
        break;
      case 4: {
        const origin = this.#origins.get(id);
        this.#origins.delete(id);
        if (origin) this.#sink.refuse(origin.tab, origin.id, sendError(4));
        break;
      }
      default:
        break;
    }
  }

  #drain() {
    if (this.#stopped) return;
    while (this.#backlog.length > 0) {
      const entry = this.#backlog[0];
      // Named before send(): an authenticated socket numbers (and announces) it within the call.
      const wasmId = this.#ws._nextId;
      this.#origins.set(wasmId, { tab: entry.tab, id: entry.id });
      try {
        this.#ws.send(JSON.parse(entry.text));
      } catch (error) {
        this.#origins.delete(wasmId);
        if (error?.code === 'queue_full') break;
        this.#backlog.shift();
        this.#sink.refuse(entry.tab, entry.id, error);
        continue;
      }
      this.#backlog.shift();
    }
  }
}
