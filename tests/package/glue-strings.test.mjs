// Strings that cross into the wasm and back through the glue as scripts/inline-wasm.mjs leaves it
// (dead code cut, the pointer made private): the package's own build (pkg/, js/index.js), in Node,
// on a stand-in socket. Every string takes the one path of `passStringToWasm0` the package keeps
// (encoded in JS, one exact allocation), which the browser tests (on the untouched web build) never
// run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket, until } from './stand-in.mjs';

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

test('non-ASCII strings cross the glue both ways intact: the token, a user id, a server error, a close reason', async () => {
  const token = 'tök€n-🔑-0123456789abcdef-ÄÖÜ';
  const ws = new SecureWebSocket('ws://127.0.0.1:1/ws', { getToken: () => token, reconnect: { maxAttempts: 0 } });
  const events = [];
  for (const type of ['authenticated', 'error', 'close']) ws.on(type, (event) => events.push([type, event]));
  await until(() => StandInSocket.last);
  const socket = StandInSocket.last;
  socket.open();
  await until(() => socket.sent.length > 0);
  assert.equal(JSON.parse(socket.sent[0]).token, token, 'the token reached the wasm and left it intact');

  socket.frame({ type: 'auth_response', success: true, userId: 'Zoë ✓ 用户' });
  await ws.ready();
  socket.frame({ type: 'error', code: 'bad_request', message: 'zu groß — 太大了 🚫' });
  socket.frame({ type: 'error', code: 'bad_request', message: `not for ${token}` });
  socket.closedByServer(4000, 'à bientôt ✌');
  await until(() => events.some(([type]) => type === 'close'));

  const [authenticated] = events.filter(([type]) => type === 'authenticated');
  assert.equal(authenticated[1].userId, 'Zoë ✓ 用户');
  // Then `reconnect_failed`: no attempt is left.
  const messages = events.filter(([type]) => type === 'error').map(([, error]) => error.message);
  assert.deepEqual(messages.slice(0, 2), ['zu groß — 太大了 🚫', '(withheld: it quoted the token)']);
  const [close] = events.filter(([type]) => type === 'close');
  assert.equal(close[1].reason, 'à bientôt ✌');
  ws.free();
});
