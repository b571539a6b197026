// The package's entry, imported by path (no bundler, no import map): no init call.
import { SecureWebSocket } from './node_modules/secure-ws/js/index.js';

await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bob', password: 'bob-pass' }),
});
const ws = new SecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
ws.on('state', (state) => (document.getElementById('status').textContent = state));
