// The app sees the same SecureWebSocket in every tab: the same synchronous errors from the
// constructor and send(), the same limits; separate keys and URLs make separate sessions; and a
// browser without Web Locks or BroadcastChannel gets one socket per tab, said through `sharing`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, appFrames, audit, openTabs, post, setUp, stateIs } from './support.mjs';

let env;
before(async () => {
  env = await setUp();
});
after(async () => {
  await env?.tearDown();
});

test('constructor and send() throw the same codes in a follower as the wasm socket does, synchronously', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-api', 2);
  const [leader, follower] = tabs;
  // The server holds the first authentication back, so sends stay unconfirmed and the queue fills.
  await post(env, '/test/faults', { user: 'tabs-api', delayAuth: 1, delayAuthMs: 3000 });
  const limits = { shareAcrossTabs: true, maxQueuedMessages: 2, maxMessageBytes: 64 };
  await leader.evaluate((options) => window.start(options), limits);
  await leader.waitForFunction(() => window.ws.sharing === 'leader', null, WAIT);
  await follower.evaluate((options) => window.start(options), limits);
  assert.equal(await follower.evaluate(() => window.ws.sharing), 'follower');

  const codes = (tab) =>
    tab.evaluate(() => [
      window.trySend({ type: 'echo', n: 1n }),
      window.trySend({ type: 'echo', big: 'x'.repeat(100) }),
      window.trySend({ type: 'echo', n: 1 }),
      window.trySend({ type: 'echo', n: 2 }),
      window.trySend({ type: 'echo', n: 3 }),
      window.ws.queuedCount,
      // sendWithReceipt refuses as send() does: by throwing, not with a rejected promise.
      window.tryReceipt({ type: 'echo', n: 1n }),
      window.tryReceipt({ type: 'echo', big: 'x'.repeat(100) }),
      window.tryReceipt({ type: 'echo', n: 4 }),
    ]);
  const expected = ['invalid_message', 'message_too_large', null, null, 'queue_full', 2, 'invalid_message', 'message_too_large', 'queue_full'];
  assert.deepEqual(await follower.evaluate(() => window.ws.state === 'authenticated'), false, 'still held back');
  assert.deepEqual(await codes(follower), expected);
  assert.deepEqual(await codes(leader), expected);
  // `using ws = new SecureWebSocket(…)` works for a shared socket too.
  for (const tab of tabs) assert.equal(await tab.evaluate(() => window.ws[Symbol.dispose] === window.ws.free), true);
  for (const tab of tabs) {
    await tab.waitForFunction(() => window.ws.state === 'authenticated' && window.ws.queuedCount === 0, null, WAIT);
    const code = await tab.evaluate(() => {
      try {
        window.ws.on('nonsense', () => {});
        return null;
      } catch (error) {
        return error.code;
      }
    });
    assert.equal(code, 'invalid_argument');
  }
  const echoes = appFrames((await audit(env, 'tabs-api')).connections[0]).filter((frame) => frame.type === 'echo');
  assert.equal(echoes.length, 4, 'each tab\'s two accepted sends, once');

  // Refused options: a shared socket throws what an unshared one throws for the same options.
  const thrown = await follower.evaluate(() => {
    const attempt = (options) => {
      try {
        window.start(options);
        return null;
      } catch (error) {
        return error.code;
      }
    };
    const refused = [{ notAnOption: 1 }, { maxQueuedMessages: -1 }, { url: 'ws://example.com/ws' }, { getToken: 'no' }];
    return {
      shared: refused.map((options) => attempt({ ...options, shareAcrossTabs: true })),
      unshared: refused.map((options) => attempt({ ...options, shareAcrossTabs: false })),
      badKey: [attempt({ shareAcrossTabs: 5 }), attempt({ shareAcrossTabs: '' })],
    };
  });
  assert.deepEqual(thrown.shared, ['invalid_options', 'invalid_options', 'insecure_url', 'invalid_options']);
  assert.deepEqual(thrown.shared, thrown.unshared);
  assert.deepEqual(thrown.badKey, ['invalid_options', 'invalid_options']);
  await context.close();
});

test('separate keys and separate URLs are separate sessions', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-keys', 3);
  await tabs[0].evaluate(() => window.start({ shareAcrossTabs: 'chat' }));
  await tabs[1].evaluate(() => window.start({ shareAcrossTabs: 'chat', url: `ws://${location.host}/ws?room=other` }));
  await tabs[2].evaluate(() => window.start({ shareAcrossTabs: 'feed' }));
  for (const tab of tabs) await stateIs(tab, 'authenticated');
  assert.deepEqual(await Promise.all(tabs.map((tab) => tab.evaluate(() => window.ws.sharing))), ['leader', 'leader', 'leader']);
  assert.equal((await audit(env, 'tabs-keys')).live, 3);
  await context.close();
});

for (const [missing, initScript] of [
  ['Web Locks', () => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined })],
  ['BroadcastChannel', () => delete window.BroadcastChannel],
]) {
  test(`without ${missing}, each tab has its own socket and says so`, async () => {
    const user = missing === 'Web Locks' ? 'tabs-nolocks' : 'tabs-fallback';
    const { context, tabs } = await openTabs(env, user, 2, { initScript });
    const sharing = [];
    for (const tab of tabs) sharing.push(await tab.evaluate(() => window.start({ shareAcrossTabs: true })));
    assert.deepEqual(sharing, ['unshared', 'unshared'], 'known at once, from the constructor');
    for (const tab of tabs) await stateIs(tab, 'authenticated');
    await tabs[1].evaluate(() => window.ws.send({ type: 'echo', from: 'second' }));
    await tabs[1].waitForFunction(() => window.seen.messages.some((m) => m.from === 'second'), null, WAIT);
    assert.equal(await tabs[0].evaluate(() => window.seen.messages.length), 0, 'a tab gets only its own socket\'s messages');
    assert.equal((await audit(env, user)).live, 2);
    for (const tab of tabs) assert.deepEqual(tab.problems, []);
    await context.close();
  });
}

// A sandboxed iframe (an opaque origin) has navigator.locks, but request() rejects with a
// SecurityError. (A real one cannot load the test page's modules: they are cross-origin to it.)
test('where the lock request is refused, the tab falls back to its own socket', async () => {
  const initScript = () => {
    navigator.locks.request = () => Promise.reject(new DOMException('opaque origin', 'SecurityError'));
  };
  const { context, tabs } = await openTabs(env, 'tabs-sandbox', 1, { initScript });
  const [tab] = tabs;
  await tab.evaluate(() => window.start({ shareAcrossTabs: true }));
  await stateIs(tab, 'authenticated');
  assert.equal(await tab.evaluate(() => window.ws.sharing), 'unshared');
  await tab.evaluate(() => window.ws.send({ type: 'echo', from: 'sandbox' }));
  await tab.waitForFunction(() => window.seen.messages.some((m) => m.from === 'sandbox'), null, WAIT);
  assert.deepEqual(tab.problems, []);
  await context.close();
});

// Only the options' own properties count, in a shared socket as in the class: a polluted
// Object.prototype (a bug elsewhere in the app) can neither lower a tab's limits nor plant a
// session for the leader to adopt.
test('options inherited from a polluted Object.prototype are ignored by a shared socket', async () => {
  const initScript = () => {
    Object.prototype.maxMessageBytes = 1;
    Object.prototype.adopt = { sessionId: 'planted', lastSeq: 0, nextSeq: 2, log: [[1, '{"type":"echo","planted":true}']] };
  };
  const { context, tabs } = await openTabs(env, 'tabs-proto', 2, { initScript });
  const [leader, follower] = tabs;
  await leader.evaluate(() => window.start({ shareAcrossTabs: true }));
  await leader.waitForFunction(() => window.ws.sharing === 'leader', null, WAIT);
  await follower.evaluate(() => window.start({ shareAcrossTabs: true }));
  for (const tab of tabs) await stateIs(tab, 'authenticated');
  for (const tab of tabs) assert.equal(await tab.evaluate(() => window.trySend({ type: 'echo', from: 'own' })), null);
  await follower.waitForFunction(() => window.seen.messages.filter((m) => m.from === 'own').length === 2, null, WAIT);
  const [connection] = (await audit(env, 'tabs-proto')).connections;
  assert.deepEqual(appFrames(connection).map((frame) => frame.planted ?? frame.from), ['own', 'own'], 'nothing planted went out');
  assert.equal(JSON.parse(connection.frames[0]).resume?.sessionId, null, 'a new session, not a planted one');
  await context.close();
});
