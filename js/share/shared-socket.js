// `new SecureWebSocket(url, { shareAcrossTabs })`: one authenticated socket for every tab of the
// origin (PROTOCOL.md, "Sharing one socket across tabs"). Each tab gets one of these; the tab
// that holds the Web Lock is the leader and runs the one wasm socket (a Relay), the others are
// followers and talk to it over a BroadcastChannel. Every tab keeps its own sends until the
// leader confirms them, so a leader that goes away loses none of them; and every tab holds the
// resumable session as the leader announces it (a Replica), so the next leader resumes it and
// nothing is lost or repeated across the hand-over.
import { createRegistry, detach, dispatch, EVENT_TYPES, settle, subscribe, wait } from '../../pkg/events.js';
import { closedError, errorFromWire, errorToWire, sendError } from './errors.js';
import { sessionName } from './names.js';
import { limitsOf, outgoingText } from './outgoing.js';
import { probe } from './probe.js';
import { Relay } from './relay.js';
import { Replica } from './replica.js';

// How long a leader whose session ended keeps the lock for its followers to acknowledge the end:
// a follower granted the lock before it heard of the end would start the session again.
const END_ACK_MS = 1000;

// How long a tab waits for the last word (confirmations, announcements, then `bye`) of a leader
// that was replaced, before it offers its unconfirmed sends to the new one or, taking the lock,
// resumes the session: a crashed leader says nothing.
const LAST_WORD_MS = 250;

/** Whether this context can share at all: without either API every tab keeps its own socket. */
function sharingSupported() {
  return typeof BroadcastChannel === 'function' && typeof globalThis.navigator?.locks?.request === 'function';
}

/** (Un)listens to the Page Lifecycle: freeze/resume fire on the document, pagehide/pageshow on the window. */
function lifecycle(listener, method) {
  globalThis.document?.[method]?.('freeze', listener);
  globalThis.document?.[method]?.('resume', listener);
  globalThis[method]?.('pagehide', listener);
  globalThis[method]?.('pageshow', listener);
}

export class SharedSecureWebSocket {
  #WasmSocket;
  #url;
  #options;
  #limits;
  /** The `maxMessageBytes` the leader's server advertised (Infinity: none), from its snapshots. */
  #serverLimit = Infinity;
  #name;
  #tab = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;
  #sharing = 'follower';
  #channel = null;
  #lockRequest = null;
  #releaseLock = null;
  #relay = null;
  #leader = null;
  /** A replaced leader whose `bye` has not come yet: this tab waits for its last word. */
  #awaiting = null;
  #lastWordTimer = null;
  /** What runs once the replaced leader's last word came (or its time ran out). */
  #afterLastWord = null;
  /** The resumable session as the leader announces it (PROTOCOL.md, "Sends and their confirmation"). */
  #replica = new Replica();
  #state = 'connecting';
  #delivery = 'at-most-once';
  #ended = false;
  #finalError = null;
  /** This tab's sends that no leader has confirmed yet: `{ id, text, receipt?, seq? }`, oldest
   * first; `seq` once the leader announced the number it went out under. */
  #outbox = [];
  #lastId = 0;
  /** Listeners, property handlers and `ready()` promises, kept as the class keeps its own. */
  #registry = createRegistry();
  /** The leader's followers (from `hello`, `follow`, `send`; gone at `bye`): who must hear an end. */
  #followers = new Set();
  /** Tabs that stepped down frozen or hidden (`bye` with `away`): they keep the session to resume. */
  #away = new Set();
  /** The code of the last `error` this tab's handlers were given. */
  #lastErrorCode = null;
  #onLifecycle = (event) => this.#stepDown(event);

  /** `options.shareAcrossTabs` is `true` or a key; the rest are SecureWebSocket's options. */
  constructor(WasmSocket, url, options) {
    // Own properties only, as the class reads them (src/api/options.js): nothing inherited.
    const { shareAcrossTabs, ...own } = options;
    const rest = Object.assign(Object.create(null), own);
    this.#WasmSocket = WasmSocket;
    this.#url = url;
    this.#options = rest;
    probe(WasmSocket, url, rest);
    this.#limits = limitsOf(rest);
    this.#name = sessionName(shareAcrossTabs, url);
    if (!sharingSupported()) {
      this.#lead('unshared');
      return;
    }
    try {
      this.#channel = new BroadcastChannel(this.#name);
    } catch {
      this.#lead('unshared');
      return;
    }
    this.#channel.onmessage = (event) => this.#receive(event.data);
    this.#post({ t: 'hello' });
    this.#requestLock();
    // A frozen or hidden-for-good leader would hold the lock while doing nothing: it hands over.
    lifecycle(this.#onLifecycle, 'addEventListener');
  }

  /** `'leader'` (this tab holds the socket), `'follower'` (another tab does) or `'unshared'`. */
  get sharing() {
    return this.#sharing;
  }

  get state() {
    return this.#ended ? 'closed' : this.#state;
  }

  get delivery() {
    return this.#delivery;
  }

  /** This tab's sends not yet confirmed by the leader (handed to the socket, or acknowledged). */
  get queuedCount() {
    return this.#outbox.length;
  }

  get nextReauthInMs() {
    return this.#relay?.nextReauthInMs ?? null;
  }

  send(data) {
    this.#queue(data);
  }

  /** Resolves when the server acknowledged `data`; rejects `unconfirmed` once it went out at most once. */
  sendWithReceipt(data) {
    const receipt = {};
    const confirmation = new Promise((resolve, reject) => Object.assign(receipt, { resolve, reject }));
    // Outside the promise: a send that cannot be queued throws, as the class's does.
    this.#queue(data, receipt);
    return confirmation;
  }

  ready() {
    if (this.#ended) return Promise.reject(this.#finalError ?? closedError());
    if (this.#state === 'authenticated') return Promise.resolve();
    return wait(this.#registry);
  }

  on(type, handler) {
    return subscribe(this.#registry, type, handler);
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

  /**
   * Ends this tab's participation only: a leader hands the socket to another tab. With no other
   * tab to take it (none is known, or the socket is the tab's own: `unshared`), it ends the
   * session as the class's close() does (close 1000). Its `close` and `state` events come in a
   * microtask, as the class's do.
   */
  close() {
    this.#end(null, true);
  }

  /**
   * Detaches every handler, then closes, as the class's free() does: no handler runs for an object
   * being let go of, but a pending `ready()` or receipt still rejects.
   */
  free() {
    detach(this.#registry);
    this.close();
  }

  #queue(data, receipt) {
    const text = outgoingText(data, this.#limits, this.#serverLimit, this.#ended, this.#outbox.length);
    const entry = { id: ++this.#lastId, text, receipt };
    this.#outbox.push(entry);
    this.#offer(entry);
  }

  #offer({ id, text }) {
    if (this.#awaiting) return;
    if (this.#relay) this.#relay.submit(this.#tab, id, text);
    else if (this.#leader) this.#post({ t: 'send', to: this.#leader, id, text });
    // Else no leader is known yet: the outbox is offered as a whole to the one that announces.
  }

  #requestLock() {
    const request = new AbortController();
    this.#lockRequest = request;
    navigator.locks
      .request(this.#name, { signal: request.signal }, () => {
        if (this.#ended || this.#lockRequest !== request) return undefined;
        // Held until released: for the tab's life, or until it closes, freezes or the session ends.
        return new Promise((release) => {
          this.#releaseLock = release;
          // The last leader's final announcements travel on the channel, the lock separately:
          // they are part of the session this tab resumes.
          if (this.#leader && this.#leader !== this.#tab) this.#waitForLastWord(this.#leader, () => this.#lead('leader'));
          else this.#lead('leader');
        });
      })
      .catch((error) => {
        if (error?.name === 'AbortError' || this.#ended) return;
        // A sandboxed document has the API but may not use it: one socket for this tab.
        this.#channel?.close();
        this.#channel = null;
        this.#lead('unshared');
      });
  }

  #lead(sharing) {
    // (A tab that stepped down while it waited for the last leader's word holds no lock.)
    if (this.#ended || (sharing === 'leader' && !this.#releaseLock)) return;
    const sink = {
      event: (type, payload, seq) => {
        this.#post({ t: 'event', type, payload: type === 'error' ? errorToWire(payload) : payload, seq, ...this.#snapshot() });
        this.#apply(type, payload, this.#snapshot(), seq);
      },
      confirm: (tab, ids, unconfirmed) =>
        tab === this.#tab ? this.#confirmed(ids, unconfirmed) : this.#post({ t: 'confirm', to: tab, ids, unconfirmed }),
      refuse: (tab, id, error) =>
        tab === this.#tab ? this.#refused(id, error) : this.#post({ t: 'refuse', to: tab, id, error: errorToWire(error) }),
      ended: (error) => this.#endForAll(error),
      session: (id, resumed) => {
        this.#post({ t: 'session', id, resumed });
        this.#session(id, resumed);
      },
      logged: (seq, text, origin) => {
        this.#post({ t: 'log', seq, text, origin });
        this.#logged(seq, text, origin);
      },
      acked: (seq) => {
        this.#post({ t: 'acked', seq });
        this.#acked(seq);
      },
    };
    const adopt = sharing === 'leader' ? this.#replica.handover() : null;
    const relay = (adopt) => new Relay(this.#WasmSocket, this.#url, this.#options, EVENT_TYPES, adopt, sink);
    try {
      try {
        this.#relay = relay(adopt);
      } catch (error) {
        // A session the wasm refuses to adopt (it checks it again) must not end the tab: a new one.
        if (!adopt) throw error;
        this.#relay = relay(null);
      }
    } catch (error) {
      this.#end(error);
      return;
    }
    this.#sharing = sharing;
    this.#newLeader(this.#tab);
    this.#post(this.#announcement());
    this.#apply('state', this.#relay.state, this.#snapshot());
  }

  /**
   * A new leader resumes the session (with the log every tab holds), so nothing the server sent in
   * between is lost; where it cannot (the server lost the session), its wasm socket says `resync`,
   * which reaches every tab as its other events do.
   */
  #newLeader(tab) {
    const replaced = this.#leader;
    this.#leader = tab;
    // Everything the last leader did not confirm goes to the new one, in order. If the last one's
    // `bye` has not come (its messages and the lock travel separately), its confirmations may still
    // be on the way: wait for them, so that no send goes out twice.
    if (replaced && replaced !== tab) this.#waitForLastWord(replaced, () => this.#offerAll());
    else this.#offerAll();
  }

  /** Runs `then` once `tab`, a replaced leader, said `bye`, or after LAST_WORD_MS. */
  #waitForLastWord(tab, then) {
    clearTimeout(this.#lastWordTimer);
    this.#awaiting = tab;
    this.#afterLastWord = then;
    this.#lastWordTimer = setTimeout(() => this.#lastWord(), LAST_WORD_MS);
  }

  #lastWord() {
    clearTimeout(this.#lastWordTimer);
    this.#lastWordTimer = null;
    if (this.#leader === this.#awaiting) this.#leader = null;
    this.#awaiting = null;
    const then = this.#afterLastWord;
    this.#afterLastWord = null;
    then?.();
  }

  #offerAll() {
    for (const entry of this.#outbox) this.#offer(entry);
  }

  /** The leader's announcements (also applied in the leader's own tab). */
  #session(id, resumed) {
    if (this.#replica.session(id, resumed) && !resumed) this.#unnumber();
  }

  #logged(seq, text, origin) {
    if (this.#replica.logged(seq, text, origin)) this.#number(seq, origin);
  }

  /** A new session numbers everything afresh: this tab's sends get their numbers again. */
  #unnumber() {
    for (const entry of this.#outbox) delete entry.seq;
  }

  /** Message `origin` went out as number `seq`: if it is this tab's send, it waits for that ack. */
  #number(seq, origin) {
    const entry = origin?.tab === this.#tab && this.#outbox.find((e) => e.id === origin.id);
    if (entry) entry.seq = seq;
  }

  /**
   * Takes the leader's snapshot of the session: this tab's sends get the numbers the leader's log
   * gave them (their announcements may have passed this tab by), and a tab that missed server
   * messages, or a whole new session, is told to resynchronise as after a lost session.
   */
  #restore(snapshot) {
    const restored = this.#replica.restore(snapshot);
    if (!restored) return;
    if (restored.renumbered) this.#unnumber();
    for (const { seq, origin } of this.#replica.log) this.#number(seq, origin);
    this.#acked(0);
    if (restored.missed) this.#emit('resync', { reason: 'session_lost' });
  }

  /** The server acknowledged up to `seq`: this tab's sends numbered up to there are confirmed. */
  #acked(seq) {
    this.#replica.ack(seq);
    const acked = this.#replica.acked;
    this.#confirmed(this.#outbox.filter((e) => e.seq <= acked).map((e) => e.id));
  }

  /** Whether `message` is an announcement of the session by the tab that leads it (or led it last). */
  #fromLeader(message) {
    return !this.#relay && (message.from === this.#leader || message.from === this.#awaiting);
  }

  #snapshot() {
    return { state: this.#relay.state, delivery: this.#relay.delivery, limit: this.#relay.serverLimit };
  }

  /** What a joining tab needs: the snapshot, the last `authenticated` payload ({ userId }) and the session. */
  #announcement() {
    return { t: 'leader', ...this.#snapshot(), authenticated: this.#relay.authenticated, replica: this.#replica.snapshot() };
  }

  #receive(message) {
    // Same-origin code only can post here, but a malformed message must not throw in this tab.
    if (this.#ended || typeof message !== 'object' || message === null || message.from === this.#tab) return;
    if (message.to !== undefined && message.to !== this.#tab) return;
    switch (message.t) {
      case 'hello':
        this.#joined(message.from);
        if (this.#relay && this.#sharing === 'leader') this.#post(this.#announcement());
        break;
      case 'follow':
        this.#joined(message.from);
        break;
      case 'leader':
        if (this.#relay) break;
        // The leader's view of the session is the one to resume (this tab may have missed some).
        this.#restore(message.replica);
        if (this.#leader !== message.from) {
          this.#newLeader(message.from);
          this.#post({ t: 'follow', to: message.from });
        }
        this.#apply('state', message.state, message);
        break;
      case 'event': {
        // Only the announced leader speaks for the session (a late word from an old one does not,
        // but for the server's messages it delivered before it went).
        const late = message.from === this.#awaiting && message.type === 'message';
        if (this.#relay || (message.from !== this.#leader && !late)) break;
        const payload = message.type === 'error' ? errorFromWire(message.payload) : message.payload;
        this.#apply(message.type, payload, late ? {} : message, message.seq);
        break;
      }
      case 'session':
        if (this.#fromLeader(message)) this.#session(message.id, message.resumed);
        break;
      case 'log':
        if (this.#fromLeader(message)) this.#logged(message.seq, message.text, message.origin ?? null);
        break;
      case 'acked':
        if (this.#fromLeader(message)) this.#acked(message.seq);
        break;
      case 'send':
        this.#joined(message.from);
        if (this.#relay) this.#relay.submit(message.from, message.id, message.text);
        break;
      case 'bye':
        this.#followers.delete(message.from);
        if (message.away === true) this.#away.add(message.from);
        else this.#away.delete(message.from);
        if (message.from === this.#awaiting) this.#lastWord();
        // The leader left: sends wait in the outbox for the next one. (A follower's bye needs
        // nothing: the relay keeps what it took from it, to take nothing twice.)
        if (message.from === this.#leader) this.#leader = null;
        break;
      case 'confirm':
        if (Array.isArray(message.ids) && this.#fromLeader(message)) this.#confirmed(message.ids, message.unconfirmed);
        break;
      case 'refuse':
        if (this.#fromLeader(message)) this.#refused(message.id, errorFromWire(message.error));
        break;
      case 'ended':
        this.#end(errorFromWire(message.error));
        break;
      default:
        break;
    }
  }

  #post(message) {
    this.#channel?.postMessage({ ...message, from: this.#tab });
  }

  /**
   * Mirrors the leader's socket: its state and delivery, then the event to this tab's handlers;
   * a server message numbered `seq` once only (a new leader's resume may replay it).
   */
  #apply(type, payload, { state, delivery, authenticated, limit }, seq) {
    // Numbered (a message, or the error for a numbered frame without one): once only.
    if (seq != null && !this.#replica.fresh(seq)) return;
    this.#delivery = delivery ?? this.#delivery;
    // The server's own limit, as the class checks it once authenticated (NaN: none advertised).
    if (limit !== undefined) this.#serverLimit = limit >= 0 ? limit : Infinity;
    const changed = state !== undefined && state !== this.#state;
    if (state !== undefined) this.#state = state;
    if (type === 'state') {
      if (!changed) return;
      payload = state;
    }
    this.#emit(type, payload);
    if (type === 'state' && state === 'authenticated') {
      // A tab that joins an authenticated session learns who it is authenticated as.
      if (authenticated) this.#emit('authenticated', authenticated);
      settle(this.#registry, 0);
    }
  }

  #emit(type, payload) {
    if (type === 'error') this.#lastErrorCode = payload?.code;
    dispatch(this.#registry, type, payload);
  }

  /** This tab's sends `ids` are done: acknowledged, or (`unconfirmed`) gone out at most once. */
  #confirmed(ids, unconfirmed) {
    const done = new Set(ids);
    this.#outbox = this.#outbox.filter((entry) => {
      if (!done.has(entry.id)) return true;
      if (unconfirmed) entry.receipt?.reject(sendError(3));
      else entry.receipt?.resolve();
      return false;
    });
  }

  #refused(id, error) {
    const index = this.#outbox.findIndex((entry) => entry.id === id);
    if (index < 0) return;
    const [entry] = this.#outbox.splice(index, 1);
    entry.receipt?.reject(error);
    this.#emit('error', error);
  }

  /**
   * Page Lifecycle: a frozen page (or one in the back/forward cache) runs no code, so it must not
   * hold the lock, nor wait for it (a lock granted to a frozen page would sit there unused). It
   * hands over, keeps its unconfirmed sends, and stands for election again when it runs again.
   */
  #stepDown(event) {
    if (this.#ended || this.#sharing === 'unshared') return;
    if (event.type === 'freeze' || event.type === 'pagehide') {
      const wasLeader = this.#relay !== null;
      this.#leave(false, true);
      this.#sharing = 'follower';
      this.#leader = null;
      if (wasLeader) this.#apply('state', 'reconnecting', { state: 'reconnecting' });
    } else if (!this.#lockRequest) {
      this.#post({ t: 'hello' });
      this.#requestLock();
    }
  }

  /** Tab `tab` takes part (it said `hello`, `follow` or sent): back, if it had stepped down. */
  #joined(tab) {
    this.#followers.add(tab);
    this.#away.delete(tab);
  }

  /**
   * Gives the socket and the lock up; this tab's unconfirmed sends stay in its outbox. `ending`
   * (close()): when no other tab could take the session over (none follows, none stepped down
   * frozen or hidden to resume it later), it ends at the server too. `away`: this tab steps down
   * frozen or hidden and will resume the session itself when it runs again.
   */
  #leave(ending, away) {
    const alone = this.#sharing === 'unshared' || (this.#followers.size === 0 && this.#away.size === 0);
    this.#relay?.stop(ending && alone);
    this.#relay = null;
    this.#post({ t: 'bye', away });
    this.#lockRequest?.abort();
    this.#lockRequest = null;
    this.#releaseLock?.();
    this.#releaseLock = null;
  }

  /**
   * The leader's session ended for good: every tab ends with `error`. The lock is released only
   * once each follower has acknowledged (its `bye`, sent after it stopped waiting for the lock),
   * or after END_ACK_MS, so that no follower takes the lock and starts the session again.
   */
  #endForAll(error) {
    this.#post({ t: 'ended', error: errorToWire(error) });
    const release = this.#releaseLock;
    this.#releaseLock = null;
    const waiting = this.#followers;
    const channel = this.#channel;
    this.#channel = null; // this tab is done; the channel stays open for the acknowledgements
    this.#end(error);
    if (!channel || waiting.size === 0) {
      channel?.close();
      release?.();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      channel.close();
      release?.();
    };
    const timer = setTimeout(done, END_ACK_MS);
    channel.onmessage = ({ data }) => {
      if (data?.t === 'bye') waiting.delete(data.from);
      if (waiting.size === 0) done();
    };
  }

  /** Ends this tab's participation: `error` ended the whole session, `leaving` is close(). */
  #end(error, leaving) {
    if (this.#ended) return;
    // What the app sees of its own close(), as of the class's: 1000 if a socket was up.
    const closing = leaving && (this.#state === 'authenticating' || this.#state === 'authenticated');
    if (leaving) this.#leave(true);
    else {
      this.#relay?.stop();
      this.#relay = null;
      this.#lockRequest?.abort();
      this.#lockRequest = null;
      this.#releaseLock?.();
      this.#releaseLock = null;
      // The acknowledgement the ending leader waits for: posted once this tab waits for no lock.
      this.#post({ t: 'bye' });
    }
    this.#ended = true;
    this.#finalError = error;
    clearTimeout(this.#lastWordTimer);
    this.#channel?.close();
    this.#channel = null;
    lifecycle(this.#onLifecycle, 'removeEventListener');
    // Every tab is told why the session ended, even one that missed the leader's `error` event.
    if (error && error.code !== 'closed' && this.#lastErrorCode !== error.code) this.#emit('error', error);
    const rejection = error ?? closedError();
    for (const entry of this.#outbox.splice(0)) entry.receipt?.reject(rejection);
    if (this.#state !== 'closed') {
      this.#state = 'closed';
      const told = () => {
        if (closing) this.#emit('close', { code: 1000, reason: 'closed by client', willReconnect: false });
        this.#emit('state', 'closed');
      };
      // The app's close() returns before its events, as the class's does.
      if (leaving) queueMicrotask(told);
      else told();
    }
    settle(this.#registry, 1, rejection);
  }
}

if (typeof Symbol.dispose === 'symbol') SharedSecureWebSocket.prototype[Symbol.dispose] = SharedSecureWebSocket.prototype.free;
