// Calls the app's getToken({ signal }) and settles with its result, or rejects as soon as the SDK
// aborts the request: a getToken that never settles cannot keep the session (or a pending future
// in the wasm) waiting.
export function callGetToken(getToken, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => getToken({ signal }))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
