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

// Calls `object[method]()` from a task of its own (as an app's code runs), never from inside the
// test's own call into wasm.
export function callLater(object, method) {
  return later(() => object[method]());
}
