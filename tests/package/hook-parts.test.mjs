// The React hook's two pure parts: options read through a ref, and the queue of sends made
// before the socket exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const { throughRef } = await import(join(repo, 'react/through-ref.js'));
const { enqueue } = await import(join(repo, 'react/pending.js'));

test("function options (getToken, subscriptions) call the latest render's function", async () => {
  const ref = { current: { tokenUrl: '/t', subscriptions: () => [{ type: 'join', room: 'a' }], getToken: () => 'first' } };
  const options = throughRef(ref);
  ref.current = { tokenUrl: '/t', subscriptions: () => [{ type: 'join', room: 'b' }], getToken: async () => 'second' };
  assert.deepEqual(options.subscriptions(), [{ type: 'join', room: 'b' }]);
  assert.equal(await options.getToken({ signal: AbortSignal.timeout(1000) }), 'second');
  assert.equal(options.tokenUrl, '/t');
});

test('a function option dropped by a later render falls back to the one the socket was made with', () => {
  const ref = { current: { subscriptions: () => ['made with'] } };
  const options = throughRef(ref);
  ref.current = {};
  assert.deepEqual(options.subscriptions(), ['made with']);
});

test('options the caller did not pass stay absent (the SDK refuses unknown keys)', () => {
  assert.deepEqual(Object.keys(throughRef({ current: { tokenUrl: '/t' } })), ['tokenUrl']);
});

test('early sends are kept as JSON text, in order, and refused with the SDK codes and defaults', () => {
  const queue = [];
  enqueue(queue, { type: 'a' }, {});
  enqueue(queue, { type: 'b' }, {});
  assert.deepEqual(queue, ['{"type":"a"}', '{"type":"b"}']);
  const code = (data, options = {}, into = []) => {
    try {
      enqueue(into, data, options);
      return 'ok';
    } catch (e) {
      return e.code;
    }
  };
  assert.equal(code({ type: 'x', s: 'é'.repeat(5110) }), 'ok', '10,240 UTF-8 bytes fit the default');
  assert.equal(code({ type: 'x', s: 'é'.repeat(5111) }), 'message_too_large');
  assert.equal(code(undefined), 'invalid_message');
  assert.equal(code(10n), 'invalid_message');
  assert.equal(code({ type: 'x' }, {}, new Array(1000).fill('{}')), 'queue_full');
  assert.equal(code({ type: 'x' }, { maxQueuedMessages: 1 }, ['{}']), 'queue_full');
});
