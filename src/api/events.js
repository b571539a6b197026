// Listener registry for SecureWebSocket. It lives in JS so that `on()` can hand back a plain
// unsubscribe function that the garbage collector owns: no Rust closure per subscription, so
// nothing leaks however often a React effect subscribes and unsubscribes.

export function createRegistry() {
  return new Map();
}

export function subscribe(registry, type, handler) {
  let handlers = registry.get(type);
  if (!handlers) {
    handlers = new Set();
    registry.set(type, handlers);
  }
  // Wrapped so that the same function subscribed twice gets two independent subscriptions.
  const entry = { handler };
  handlers.add(entry);
  return () => {
    handlers.delete(entry);
  };
}

// Calls every handler of `type`, then the property handler if any. A handler that throws is
// reported like an exception in a DOM event listener, and the others still run.
export function dispatch(registry, type, payload, propertyHandler) {
  const handlers = registry.get(type);
  if (handlers) {
    for (const { handler } of [...handlers]) invoke(handler, payload);
  }
  if (typeof propertyHandler === 'function') invoke(propertyHandler, payload);
}

function invoke(handler, payload) {
  try {
    handler(payload);
  } catch (error) {
    if (typeof globalThis.reportError === 'function') globalThis.reportError(error);
    else console.error(error);
  }
}

export function sdkError(code, message) {
  const error = new Error(message);
  error.name = 'SecureWebSocketError';
  error.code = code;
  return error;
}
