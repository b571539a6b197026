// The options the socket is built with: a copy in which every function (`getToken`,
// `subscriptions`, and any the SDK adds) calls the latest committed render's function, so a
// closure over fresh props or state is used at the next re-auth or reconnect without a new socket.
// Only options the caller passed are set: the SDK refuses keys it does not know.
export function throughRef(ref) {
  const options = { ...ref.current };
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'function') {
      options[key] = (...args) => {
        const latest = ref.current[key];
        return (typeof latest === 'function' ? latest : value)(...args);
      };
    }
  }
  return options;
}
