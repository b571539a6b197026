// The test page's JavaScript, in one module: wasm-bindgen-test-runner's page server stalls when
// the browser fetches many modules at once (see `wasm_test` in scripts/env.sh), so the tests'
// helpers are one snippet, not one per test file. Sections: faking the page's signals
// (hardened.rs), counting listeners and timers (instrument.rs), the chaos run (chaos.rs), and
// watching the browser's send buffer (backpressure.rs).

// ---- page_faults ---------------------------------------------------------------------------------

// What a test needs to make the page and the network misbehave: no real offline switch, sleep or
// back/forward cache exists in a headless test page, so the browser's own signals are faked at
// the same place the SDK reads them.

// `navigator.onLine` as the SDK reads it at construction; `restoreOnline()` undoes it.
export function pretendOffline() {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => false });
}
export function restoreOnline() {
  delete navigator.onLine;
}

// A browser that refuses every socket at once, inside `new WebSocket` (as it does for mixed
// content): `allowSockets()` undoes it.
const RealWebSocket = globalThis.WebSocket;
export function refuseSockets() {
  globalThis.WebSocket = function WebSocket() {
    throw new DOMException('refused by the test', 'SecurityError');
  };
}
export function allowSockets() {
  globalThis.WebSocket = RealWebSocket;
}

// Each event is dispatched from a task of its own, as the browser dispatches real ones: never
// from inside the test's own call into wasm.
function later(fire) {
  return new Promise((resolve) => setTimeout(() => resolve(fire()), 0));
}

export function fireOnline() {
  return later(() => window.dispatchEvent(new Event('online')));
}

// `pagehide`/`pageshow` with `persisted`, as when the page enters or leaves the back/forward cache.
export function firePageTransition(type, persisted) {
  return later(() => window.dispatchEvent(new PageTransitionEvent(type, { persisted })));
}

// The page becomes visible again (after sleep, or a tab switch).
export function fireVisible() {
  return later(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
    document.dispatchEvent(new Event('visibilitychange'));
    delete document.visibilityState;
  });
}

// Counts calls to setTimeout from now on (a spinning timer shows up as thousands a second).
let timerCalls = 0;
let counting = false;
export function countTimerCalls() {
  timerCalls = 0;
  if (counting) return;
  counting = true;
  const original = globalThis.setTimeout;
  globalThis.setTimeout = function (...args) {
    timerCalls += 1;
    return original.apply(this, args);
  };
}
export function timerCallCount() {
  return timerCalls;
}

// The token endpoint claims tokens live `seconds` (the real token is used): installs a fetch
// wrapper for `/api/ws-token` and returns the function that removes it.
export function claimTokenLifetime(seconds) {
  const original = globalThis.fetch;
  globalThis.fetch = async function (input, init) {
    const response = await original.call(this, input, init);
    if (!String(input).endsWith('/api/ws-token') || !response.ok) return response;
    const body = await response.json();
    return new Response(JSON.stringify({ ...body, expiresIn: seconds }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return () => {
    globalThis.fetch = original;
  };
}

// A getToken that never settles for its first `hangs` calls, then asks `fetchToken`; it records
// each call's signal so the test can see that abandoned requests were aborted.
export function hangingGetToken(hangs, fetchToken) {
  const signals = [];
  const getToken = ({ signal }) => {
    signals.push(signal);
    if (signals.length <= hangs) return new Promise(() => {});
    return fetchToken();
  };
  return { getToken, signals };
}

// Resolves after `ms` of real time: only to observe that something did NOT happen in a window
// (the wiring); never to wait for something to happen.
export function quietPeriod(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// `promise`, or a rejection with code 'timed_out' after `ms`: a wait that fails rather than hangs.
export function within(promise, ms) {
  const late = new Promise((_, reject) => setTimeout(() => reject({ code: 'timed_out' }), ms));
  return Promise.race([promise, late]);
}

// Calls `object[method]()` from a task of its own (as an app's code runs), never from inside the
// test's own call into wasm.
export function callLater(object, method) {
  return later(() => object[method]());
}

// ---- instrument ---------------------------------------------------------------------------------

// Counts live event listeners and pending timers across the whole page, by wrapping the DOM
// methods the SDK's driver (src/api/driver.js, through io.js) calls. Used by the leak tests only.
const listeners = [];
const timers = new Set();

export function installCounters() {
  if (globalThis.__secureWsCounters) return;
  globalThis.__secureWsCounters = true;
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  const same = (entry, target, type, callback) =>
    entry.target === target && entry.type === type && entry.callback === callback;
  EventTarget.prototype.addEventListener = function (type, callback, options) {
    if (!listeners.some((e) => same(e, this, type, callback))) listeners.push({ target: this, type, callback });
    return add.call(this, type, callback, options);
  };
  EventTarget.prototype.removeEventListener = function (type, callback, options) {
    const index = listeners.findIndex((e) => same(e, this, type, callback));
    if (index >= 0) listeners.splice(index, 1);
    return remove.call(this, type, callback, options);
  };
  const setTimeoutOriginal = globalThis.setTimeout;
  const clearTimeoutOriginal = globalThis.clearTimeout;
  globalThis.setTimeout = function (callback, ms, ...args) {
    const id = setTimeoutOriginal(function () {
      timers.delete(id);
      return typeof callback === 'function' ? callback.apply(this, arguments) : undefined;
    }, ms, ...args);
    timers.add(id);
    return id;
  };
  globalThis.clearTimeout = function (id) {
    timers.delete(id);
    return clearTimeoutOriginal(id);
  };
}

export function liveListeners() {
  return listeners.length;
}

export function liveTimers() {
  return timers.size;
}

// ---- chaos ---------------------------------------------------------------------------------

// The chaos run of issue 10: two users exchange numbered messages in a room through resumable
// sessions while the server drops their sockets abruptly every ~200 ms (no close frame), restarts
// once (1012) and rejects one authentication. `makeSocket(user)` builds a SecureWebSocket for the
// user; `control(path, body)` calls a test control. Resolves with what each side saw.
export async function runChaos(makeSocket, control, count, deadlineMs) {
  // From a task of its own, not from inside the test's call into wasm.
  await new Promise((r) => setTimeout(r, 0));
  const users = ['chaos-a', 'chaos-b'];
  const sides = users.map((user) => {
    const ws = makeSocket(user);
    const side = { user, ws, received: [], receipts: [], resyncs: 0, authentications: 0, resumed: 0, errors: [] };
    side.joined = new Promise((joined) => {
      ws.on('message', (m) => {
        if (m.type === 'joined' && m.room === 'chaos') joined();
        if (m.type === 'message' && m.room === 'chaos' && m.sender !== user) side.received.push(m.content);
      });
    });
    ws.on('resync', () => side.resyncs++);
    ws.on('authenticated', ({ resumed }) => {
      side.authentications++;
      if (resumed) side.resumed++;
    });
    ws.on('error', (e) => side.errors.push(e.code));
    return side;
  });
  // In the room, both, before either sends: a message sent to the room before the other side's
  // join (its `subscriptions`, sent right after authenticating) reached the server is not for it.
  await Promise.all(sides.map((s) => s.joined));
  // Set when the deadline passes: the faults stop with the run, not with the page.
  let over = false;
  const done = () => over || sides.every((s) => s.received.length >= count);
  // The faults run beside the traffic until both sides have everything.
  let faults = 0;
  let restarted = false;
  let rejected = false;
  const chaos = (async () => {
    while (!done()) {
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 100));
      if (done()) break;
      faults++;
      if (faults === 2 && !rejected) {
        rejected = true;
        await control('/test/faults', { user: users[1], rejectAuth: 1 });
      }
      if (faults === 4 && !restarted) {
        restarted = true;
        await control('/test/restart', {});
      } else {
        await control('/test/drop', {});
      }
    }
  })();
  // Each side sends `count` numbered messages, ten every 20 ms (so the traffic spans many faults),
  // each with a receipt.
  const senders = sides.map(async (side) => {
    for (let n = 0; n < count; n++) {
      side.receipts.push(side.ws.sendWithReceipt({ type: 'send_message', room: 'chaos', content: `${side.user}-${n}` }));
      if (n % 10 === 9) await new Promise((r) => setTimeout(r, 20));
    }
  });
  await Promise.all(senders);
  const describe = (s, i) => {
    const other = users[1 - i];
    const missing = [];
    for (let n = 0; n < count && missing.length < 5; n++) if (!s.received.includes(`${other}-${n}`)) missing.push(n);
    return `${s.user} got ${s.received.length} (missing ${missing.join(' ')}; last ${s.received.at(-1)}; state ${s.ws.state}, queued ${s.ws.queuedCount}, resyncs ${s.resyncs}, authentications ${s.authentications}, resumed ${s.resumed}, errors ${s.errors.join(' ')})`;
  };
  const deadline = new Promise((_, reject) =>
    setTimeout(() => {
      reject(new Error(`not done within ${deadlineMs} ms: ${sides.map(describe).join(', ')}`));
      over = true;
      sides.forEach((s) => s.ws.close());
    }, deadlineMs),
  );
  const settled = Promise.all(sides.map((s) => Promise.allSettled(s.receipts)));
  const results = await Promise.race([
    (async () => {
      while (!done()) await new Promise((r) => setTimeout(r, 50));
      return settled;
    })(),
    deadline,
  ]);
  await chaos;
  const summary = sides.map((side, i) => ({
    user: side.user,
    received: side.received,
    rejectedReceipts: results[i].filter((r) => r.status === 'rejected').map((r) => r.reason?.code ?? String(r.reason)),
    authentications: side.authentications,
    resumed: side.resumed,
    resyncs: side.resyncs,
    delivery: side.ws.delivery,
  }));
  sides.forEach((s) => s.ws.close());
  return { sides: summary, faults, restarted, rejected };
}

// ---- backpressure ---------------------------------------------------------------------------------

// Watches every WebSocket.send on the page (the SDK's included): how many were made, and the most
// bytes the browser held unsent (bufferedAmount) when one was made.
const send = WebSocket.prototype.send;
let sends = 0;
let most = 0;
let waiting = [];

export function watchSends() {
  sends = 0;
  most = 0;
  WebSocket.prototype.send = function (data) {
    most = Math.max(most, this.bufferedAmount);
    sends++;
    waiting = waiting.filter(([count, resolve]) => (sends >= count ? (resolve(), false) : true));
    return send.call(this, data);
  };
}

/** Resolves once `count` sends were made. */
export function sendsReach(count) {
  return sends >= count ? Promise.resolve() : new Promise((resolve) => waiting.push([count, resolve]));
}

/** Stops watching; answers the most bytes held unsent at any send. */
export function unwatchSends() {
  WebSocket.prototype.send = send;
  return most;
}

