// A send in the moment a socket is closing (the server's close frame has come, the browser's `close`
// event has yet to) is not written where it cannot leave: the driver tells the session the socket
// is closing (its `readyState`) and the message goes out on the next connection, at most once too.
// The package as built (js/index.js), in Node, on a stand-in socket; the rule itself is the core's
// (`a_send_while_the_socket_is_closing_goes_out_on_the_next_connection`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket, authenticate, until } from './stand-in.mjs';

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

test('a send while the socket is closing goes out on the next connection, at most once too', async () => {
  const ws = new SecureWebSocket('ws://127.0.0.1:1/ws', { getToken: () => 'token', reconnect: { baseDelayMs: 0 } });
  await until(() => StandInSocket.made.length === 1);
  const first = await authenticate(ws);
  assert.equal(ws.delivery, 'at-most-once');
  // The server's close frame came: the browser says CLOSING before its close event.
  first.readyState = 2;
  ws.send({ type: 'late' });
  // (io.js writes nothing to a socket that is not open: what shows the message kept is the queue.)
  assert.equal(ws.queuedCount, 1, 'kept for the next connection');
  first.closedByServer(1001, 'going away');
  await until(() => StandInSocket.made.length === 2);
  const second = await authenticate(ws);
  await until(() => second.sent.length === 2);
  assert.deepEqual(JSON.parse(second.sent[1]), { type: 'late' });
  assert.equal(ws.queuedCount, 0);
  ws.free();
});
