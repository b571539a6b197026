// Rollup with only the node-resolve plugin every app that imports from node_modules has: the
// wasm comes with the import, no wasm or asset plugin.
import { SecureWebSocket } from 'secure-ws';

await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bob', password: 'bob-pass' }),
});
const ws = new SecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
ws.on('state', (state) => (document.getElementById('status').textContent = state));
