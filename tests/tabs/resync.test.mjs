// A shared session the server lost (README, "shareAcrossTabs"): the leader tab goes away, the tab
// that takes over offers the session, and the server no longer has it (this server keeps a
// detached session 1 ms). Every tab is told to resynchronise, the session goes on under the new
// leader, and a send not yet acknowledged when the leader went is not lost: at least once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, appFrames, audit, openTabs, setUp, startShared, stateIs } from './support.mjs';

const OPTIONS = { shareAcrossTabs: true };

let env;
before(async () => {
  env = await setUp({ env: { RESUME_WINDOW_MS: '1' } });
});
after(async () => {
  await env?.tearDown();
});

test('when the server lost the shared session, every tab gets resync and no send is lost', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-resync', 3);
  const [leader, ...survivors] = tabs;
  await startShared(tabs, OPTIONS);
  for (const tab of survivors) assert.equal(await tab.evaluate(() => window.ws.delivery), 'exactly-once');
  // Sent through the leader just before it goes: acknowledged by then or not, it must arrive.
  assert.equal(await survivors[0].evaluate(() => window.trySend({ type: 'echo', n: 'before' })), null);
  await leader.close();
  for (const tab of survivors) {
    await tab.waitForFunction(() => window.seen.resyncs > 0, null, WAIT);
    await stateIs(tab, 'authenticated');
  }
  // One session again: a send from each survivor reaches the server and is echoed to every tab.
  for (const [i, tab] of survivors.entries()) {
    assert.equal(await tab.evaluate((n) => window.trySend({ type: 'echo', n }), `after-${i}`), null);
  }
  for (const tab of survivors) {
    await tab.waitForFunction(() => ['after-0', 'after-1'].every((n) => window.seen.messages.some((m) => m.n === n)), null, WAIT);
  }
  const frames = (await audit(env, 'tabs-resync')).connections.flatMap(appFrames);
  assert.ok(frames.some((frame) => frame.n === 'before'), 'the send made before the hand-over reached the server');
  for (const tab of survivors) {
    assert.equal(await tab.evaluate(() => window.seen.resyncs), 1, 'told once');
    assert.deepEqual(tab.problems, []);
  }
  await context.close();
});
