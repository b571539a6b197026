// The leader's side: the one wasm SecureWebSocket of a shared session, fed with every tab's sends
// and reporting each event and each send's fate back through `sink`. The token stays inside the
// wasm object: nothing here reads it, and what goes to the sink is events, states and send ids.

// How often a send that waits in the wasm queue (not yet authenticated, or paced) is checked.
const FLUSH_POLL_MS = 50;

export class Relay {
  #ws;
  #sink;
  #offs = [];
  /** Sends handed to `ws.send()`, oldest first, not yet known to have left the wasm queue. */
  #handed = [];
  /** Sends waiting for room in the wasm queue (it is bounded too), oldest first. */
  #backlog = [];
  /** tab id → the highest send id taken from it: a send offered twice is taken once. */
  #taken = new Map();
  #poll = null;
  #stopped = false;
  /** The last `authenticated` payload (`{ userId }`), for tabs that join later. */
  authenticated = null;

  /**
   * `sink`: `{ event(type, payload), confirm(tab, ids), refuse(tab, id, error), ended(error) }`.
   * Throws what the wasm constructor throws.
   */
  constructor(WasmSocket, url, options, eventTypes, sink) {
    this.#sink = sink;
    this.#ws = new WasmSocket(url, options);
    for (const type of eventTypes) {
      this.#offs.push(this.#ws.on(type, (payload) => this.#onEvent(type, payload)));
    }
  }

  get state() {
    return this.#ws.state;
  }

  get delivery() {
    return this.#ws.delivery ?? 'at-most-once';
  }

  get nextReauthInMs() {
    return this.#ws.nextReauthInMs;
  }

  /** Offers send `id` of `tab` (JSON `text`); ids of one tab arrive in increasing order. */
  submit(tab, id, text) {
    if (this.#stopped || id <= (this.#taken.get(tab) ?? 0)) return;
    this.#taken.set(tab, id);
    this.#backlog.push({ tab, id, text });
    this.#drain();
  }

  /** Closes the socket (code 1000) without telling anyone: the tab hands leadership over. */
  stop() {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#poll);
    for (const off of this.#offs) off();
    this.#ws.close();
    this.#ws.free();
  }

  #onEvent(type, payload) {
    if (this.#stopped) return;
    if (type === 'state' && payload === 'closed') {
      // Only the session's own end gets here (stop() unsubscribes first): logout, a 401,
      // reconnect_failed, a server's 1000. It ends the session in every tab, with the error
      // ready() rejects with.
      this.#ws.ready().then(
        () => {},
        (error) => {
          this.stop();
          this.#sink.ended(error);
        },
      );
      return;
    }
    if (type === 'authenticated') this.authenticated = payload;
    this.#sink.event(type, payload);
    // The queue is flushed on authentication, after the event's handlers ran.
    queueMicrotask(() => this.#drain());
  }

  #drain() {
    if (this.#stopped) return;
    while (this.#backlog.length > 0) {
      const entry = this.#backlog[0];
      try {
        this.#hand(entry);
      } catch (error) {
        if (error?.code === 'queue_full') break;
        this.#backlog.shift();
        this.#sink.refuse(entry.tab, entry.id, error);
        continue;
      }
      this.#backlog.shift();
    }
    this.#confirmFlushed();
  }

  #hand(entry) {
    const data = JSON.parse(entry.text);
    // Resumable sessions (PROTOCOL.md): the server's acknowledgement confirms a send. A promise
    // that rejects leaves the send unconfirmed, so its tab offers it to the next leader.
    if (typeof this.#ws.sendWithReceipt === 'function' && this.#ws.delivery === 'exactly-once') {
      this.#ws.sendWithReceipt(data).then(
        () => this.#stopped || this.#sink.confirm(entry.tab, [entry.id]),
        () => {},
      );
      return;
    }
    this.#ws.send(data);
    this.#handed.push(entry);
  }

  // At most once: a send is confirmed when it has left the wasm queue for an authenticated
  // socket. The queue is first in, first out and holds only what this relay handed it, so all
  // but the last `queuedCount` handed sends are out.
  #confirmFlushed() {
    const out = this.#handed.length - this.#ws.queuedCount;
    if (out > 0) {
      const byTab = new Map();
      for (const { tab, id } of this.#handed.splice(0, out)) {
        if (!byTab.has(tab)) byTab.set(tab, []);
        byTab.get(tab).push(id);
      }
      for (const [tab, ids] of byTab) this.#sink.confirm(tab, ids);
    }
    clearTimeout(this.#poll);
    this.#poll = null;
    if (this.#handed.length > 0 || this.#backlog.length > 0) {
      this.#poll = setTimeout(() => this.#drain(), FLUSH_POLL_MS);
    }
  }
}
