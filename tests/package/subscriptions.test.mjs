// The app's `subscriptions()` as the package as built sends it, in Node on a stand-in socket: what
// it gives goes out first on a new session; what cannot be sent is reported, never sent as
// something else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket, authenticate, until } from './stand-in.mjs';

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

/** A socket with `subscriptions`, authenticated; returns what it sent after `auth`, and its errors. */
async function subscribed(subscriptions) {
  const errors = [];
  const ws = new SecureWebSocket('ws://127.0.0.1:1/ws', { getToken: () => 'token', subscriptions });
  ws.on('error', (error) => errors.push(error.code));
  await until(() => StandInSocket.last);
  const socket = await authenticate(ws);
  ws.send({ type: 'after' });
  ws.free();
  return { sent: socket.sent.slice(1), errors };
}

test('an array of messages, or one, goes out first', async () => {
  assert.deepEqual((await subscribed(() => [{ type: 'join', room: 'a' }, { type: 'join', room: 'b' }])).sent, [
    '{"type":"join","room":"a"}',
    '{"type":"join","room":"b"}',
    '{"type":"after"}',
  ]);
  assert.deepEqual((await subscribed(() => ({ type: 'join', room: 'a' }))).sent, ['{"type":"join","room":"a"}', '{"type":"after"}']);
});

test('an async subscriptions() (a promise) is reported as invalid_message and nothing of it is sent, not {}', async () => {
  const { sent, errors } = await subscribed(async () => [{ type: 'join', room: 'a' }]);
  assert.deepEqual(sent, ['{"type":"after"}']);
  assert.deepEqual(errors, ['invalid_message']);
});

test('a subscription that is no application message (a protocol type, no type) is reported, and none of them is sent', async () => {
  for (const bad of [{ type: 'ping' }, { room: 'a' }, 'join']) {
    const { sent, errors } = await subscribed(() => [{ type: 'join', room: 'a' }, bad]);
    assert.deepEqual(sent, ['{"type":"after"}'], JSON.stringify(bad));
    assert.deepEqual(errors, ['invalid_message']);
  }
});
