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
