// webpack 5 with no configuration file (src/index.js → dist/main.js): the hook, and the class.
// No JSX: zero-config webpack has no loader for it.
import { createElement, StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { SecureWebSocket } from 'secure-ws';
import { useSecureWebSocket } from 'secure-ws/react';

function Status() {
  const { state, send, lastMessage } = useSecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
  useEffect(() => {
    if (state === 'authenticated') send({ type: 'echo', from: 'webpack' });
  }, [state, send]);
  return createElement('p', { id: 'status', 'data-message': lastMessage?.from ?? '' }, state);
}

await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'alice', password: 'alice-pass' }),
});
createRoot(document.getElementById('root')).render(createElement(StrictMode, null, createElement(Status)));
// The class straight from the package too, as a non-React page would use it.
const direct = new SecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
const states = [];
direct.on('state', (state) => {
  states.push(state);
  document.getElementById('direct').textContent = state;
  document.getElementById('direct').dataset.states = states.join(','); // for a failing test's report
});
