// Counts live event listeners and pending timers across the whole page, by wrapping the DOM
// methods the SDK's driver reaches through web-sys and gloo. Used by the leak test only.
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
