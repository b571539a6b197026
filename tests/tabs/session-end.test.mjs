// How a shared session ends: a 401 from the token endpoint (the user logged out elsewhere) ends
// it in every tab; close() in one tab ends only that tab's part, and a leader that closes hands
// the socket to another tab.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, audit, auditUntil, openTabs, post, setUp, startShared, stateIs } from './support.mjs';

let env;
before(async () => {
  env = await setUp();
});
after(async () => {
  await env?.tearDown();
});

const OPTIONS = { shareAcrossTabs: true, tokenSource: 'tokenUrl', authTimeoutMs: 2000 };

const tokenRequests = (seen) => seen.uris.filter((uri) => uri === '/api/ws-token').length;

test('a 401 from the token endpoint ends the session in every tab, with no retry', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-logout', 3);
  await startShared(tabs, OPTIONS);
  const requested = tokenRequests(await audit(env, 'tabs-logout'));
  // Logged out: every token request is refused, and the socket drops (as a server restart would).
  await post(env, '/test/faults', { user: 'tabs-logout', tokenStatus: 401, tokenFailures: 100 });
  await post(env, '/test/close', { user: 'tabs-logout', code: 1012 });
  for (const tab of tabs) await stateIs(tab, 'closed');

  for (const tab of tabs) {
    assert.equal(await tab.evaluate(() => window.ws.ready().then(() => 'resolved', (error) => error.code)), 'unauthorized');
    const { errors, sharing } = await tab.evaluate(() => ({ errors: window.seen.errors, sharing: window.ws.sharing }));
    assert.ok(errors.includes('unauthorized'), `every tab is told why (the ${sharing} saw ${errors})`);
    assert.equal(await tab.evaluate(() => window.trySend({ type: 'echo' })), 'closed');
  }
  // No tab can take over a session that ended: none holds the lock or waits for it (the leader's
  // own socket is closed, which stops its timers: README, close()).
  // (The leader keeps it until its followers acknowledged the end: PROTOCOL.md, "Ending".)
  await tabs[0].waitForFunction(
    async () => {
      const { held, pending } = await navigator.locks.query();
      return ![...held, ...pending].some((lock) => lock.name.startsWith('secure-ws:'));
    },
    null,
    WAIT,
  );
  const ended = await auditUntil(env, 'tabs-logout', (seen) => seen.live === 0, 'no live connection');
  assert.equal(tokenRequests(ended), requested + 1, 'one token request refused, and no retry');
  assert.equal(ended.connections.length, 1, 'no tab opened a socket of its own');
  await context.close();
});

test('close() in a follower ends only that tab; close() in the leader hands the socket over', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-close', 3);
  await startShared(tabs, OPTIONS);
  const [leader, follower, other] = tabs;

  await follower.evaluate(() => window.ws.close());
  assert.equal(await follower.evaluate(() => window.ws.state), 'closed');
  assert.equal(await follower.evaluate(() => window.trySend({ type: 'echo' })), 'closed');
  for (const tab of [leader, other]) assert.equal(await tab.evaluate(() => window.ws.state), 'authenticated');
  await leader.evaluate(() => window.ws.send({ type: 'echo', from: 'leader' }));
  await other.waitForFunction(() => window.seen.messages.some((m) => m.from === 'leader'), null, WAIT);
  assert.equal(await follower.evaluate(() => window.seen.messages.length), 0, 'a closed tab gets nothing more');

  await leader.evaluate(() => window.ws.close());
  assert.equal(await leader.evaluate(() => window.ws.state), 'closed');
  await other.waitForFunction(() => window.ws.sharing === 'leader' && window.ws.state === 'authenticated', null, WAIT);
  await other.evaluate(() => window.ws.send({ type: 'echo', from: 'other' }));
  await other.waitForFunction(() => window.seen.messages.some((m) => m.from === 'other'), null, WAIT);
  const seen = await auditUntil(env, 'tabs-close', (seen) => seen.live === 1, 'one live connection');
  assert.equal(seen.connections.length, 2, 'the closed leader\'s connection and its successor\'s');
  assert.equal(await follower.evaluate(() => window.ws.sharing), 'follower', 'the closed follower never led');
  await context.close();
});

test('free() detaches first, as the class\'s does: nothing reaches that tab\'s handlers, and a freed leader hands over', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-free', 3);
  await startShared(tabs, OPTIONS);
  const [leader, follower, other] = tabs;
  const freeAndWatch = (tab) =>
    tab.evaluate(() => {
      const before = JSON.stringify(window.seen);
      window.ws.free();
      return { state: window.ws.state, silent: JSON.stringify(window.seen) === before };
    });

  assert.deepEqual(await freeAndWatch(follower), { state: 'closed', silent: true });
  assert.deepEqual(await freeAndWatch(leader), { state: 'closed', silent: true });
  await other.waitForFunction(() => window.ws.sharing === 'leader' && window.ws.state === 'authenticated', null, WAIT);
  await other.evaluate(() => window.ws.send({ type: 'echo', from: 'other' }));
  await other.waitForFunction(() => window.seen.messages.some((m) => m.from === 'other'), null, WAIT);
  for (const tab of [leader, follower]) {
    assert.equal(await tab.evaluate(() => window.seen.messages.length), 0, 'a freed tab gets nothing more');
  }
  await context.close();
});
