import init, { SecureWebSocket } from './secure_ws.js';

await init();
await fetch('/api/login', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bob', password: 'bob-pass' }),
});
const ws = new SecureWebSocket(`ws://${location.host}/ws`, { tokenUrl: '/api/ws-token' });
ws.on('state', (state) => (document.getElementById('status').textContent = state));
