// esbuild with nothing but --bundle: the package import resolves, and the wasm comes with it.
import { SecureWebSocket } from 'secure-ws';

await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bob', password: 'bob-pass' }),
});
const ws = new SecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
ws.on('state', (state) => (document.getElementById('status').textContent = state));
