// A shared socket to a server without resumable sessions (RESUMABLE_SESSIONS=0, as a server that
// predates them): sends go out at most once, so no tab's receipt may claim a confirmation. Every
// receipt rejects `unconfirmed` once its message went out, as the unshared class's does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, appFrames, auditUntil, openTabs, setUp, startShared } from './support.mjs';

let env;
before(async () => {
  env = await setUp({ env: { RESUMABLE_SESSIONS: '0' } });
});
after(async () => {
  await env?.tearDown();
});

test('at most once: every tab\'s receipt rejects unconfirmed once its message went out', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-amo', 2);
  const options = { shareAcrossTabs: true, tokenSource: 'tokenUrl' };
  await startShared(tabs, options);
  for (const [n, tab] of tabs.entries()) {
    assert.equal(await tab.evaluate(() => window.ws.delivery), 'at-most-once');
    assert.equal(await tab.evaluate((n) => window.tryReceipt({ type: 'echo', n }), n), null);
  }
  for (const tab of tabs) {
    await tab.waitForFunction(() => window.receipts.length === 1, null, WAIT);
    assert.deepEqual(await tab.evaluate(() => window.receipts), ['unconfirmed']);
    assert.equal(await tab.evaluate(() => window.ws.queuedCount), 0);
  }
  const seen = await auditUntil(env, 'tabs-amo', (a) => a.connections.length === 1 && appFrames(a.connections[0]).length === 2, 'both echoes');
  assert.deepEqual(appFrames(seen.connections[0]).map((f) => f.n).sort(), [0, 1], 'each sent once, unwrapped');
  await context.close();
});
