// events.js, the listeners of the class and of a shared socket, against the DOM's rules for a
// listener list that changes while an event is dispatched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const { createRegistry, dispatch, subscribe } = await import(join(repo, 'src/api/events.js'));

test('a listener unsubscribed by an earlier one during an event does not get that event', () => {
  const registry = createRegistry();
  const calls = [];
  let offB;
  subscribe(registry, 'message', () => {
    calls.push('A');
    offB();
  });
  offB = subscribe(registry, 'message', () => calls.push('B'));
  dispatch(registry, 'message', {});
  dispatch(registry, 'message', {});
  assert.deepEqual(calls, ['A', 'A']);
});

test('a listener added during an event gets the next one, not that one', () => {
  const registry = createRegistry();
  const calls = [];
  subscribe(registry, 'message', (m) => {
    calls.push(`A${m.n}`);
    if (m.n === 1) subscribe(registry, 'message', (n) => calls.push(`B${n.n}`));
  });
  dispatch(registry, 'message', { n: 1 });
  dispatch(registry, 'message', { n: 2 });
  assert.deepEqual(calls, ['A1', 'A2', 'B2']);
});

test('the same function subscribed twice is two subscriptions, each unsubscribed on its own', () => {
  const registry = createRegistry();
  let count = 0;
  const handler = () => (count += 1);
  const off = subscribe(registry, 'message', handler);
  subscribe(registry, 'message', handler);
  off();
  off();
  dispatch(registry, 'message', {});
  assert.equal(count, 1);
});

test('send() takes only an application message: a JSON object with a string type that names no protocol frame', async () => {
  const { messageText } = await import(join(repo, 'src/api/events.js'));
  const code = (data) => {
    try {
      messageText(data);
      return 'ok';
    } catch (error) {
      return error.code;
    }
  };
  const refused = [null, 42, 'hello', [{ type: 'echo' }], {}, { n: 1 }, { type: 7 }, undefined, { type: 'echo', n: 1n }];
  for (const [i, data] of refused.entries()) assert.equal(code(data), 'invalid_message', `case ${i}`);
  // Every frame type of the protocol, either way: a server (or an echo) would take it for that frame.
  for (const type of ['auth', 'reauth', 'auth_response', 'reauth_response', 'ping', 'pong', 'msg', 'ack', 'error']) {
    assert.equal(code({ type }), 'invalid_message', type);
  }
  for (const data of [{ type: 'echo' }, { type: 'pings' }, { type: 'Ping' }, { type: '' }]) assert.equal(code(data), 'ok', data.type);
  assert.equal(messageText({ type: 'echo', n: 1 }), '{"type":"echo","n":1}');
});
