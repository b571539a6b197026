// N tabs, one socket: the server sees one connection, every tab's messages reach it in that tab's
// order, every tab receives the server's messages, and no token ever crosses the channel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WAIT, appFrames, audit, auditUntil, openTabs, setUp, stateIs } from './support.mjs';

const TABS = 4;
const PER_TAB = 10;

let env;
before(async () => {
  env = await setUp();
});
after(async () => {
  await env?.tearDown();
});

test('four tabs share one authenticated connection; each tab\'s sends arrive in its order and every tab gets every reply', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-one', TABS);
  const roles = [];
  for (const tab of tabs) roles.push(await tab.evaluate(() => window.start({ shareAcrossTabs: true })));
  for (const tab of tabs) await stateIs(tab, 'authenticated');
  const sharing = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.ws.sharing)));
  assert.deepEqual(sharing.filter((role) => role === 'leader').length, 1, `one leader: ${sharing}`);
  assert.deepEqual(sharing.filter((role) => role === 'follower').length, TABS - 1);

  // All tabs send at once, interleaved.
  await Promise.all(
    tabs.map((tab, index) =>
      tab.evaluate(
        ([index, count]) => {
          for (let n = 1; n <= count; n++) window.ws.send({ type: 'echo', tab: index, n });
        },
        [index, PER_TAB],
      ),
    ),
  );
  for (const tab of tabs) {
    await tab.waitForFunction(
      (total) => window.seen.messages.filter((m) => m.type === 'echo').length >= total,
      TABS * PER_TAB,
      WAIT,
    );
  }

  const seen = await audit(env, 'tabs-one');
  assert.equal(seen.connections.length, 1, 'the server saw exactly one connection for all tabs');
  assert.equal(seen.live, 1);
  const echoes = appFrames(seen.connections[0]).filter((frame) => frame.type === 'echo');
  for (let index = 0; index < TABS; index++) {
    const order = echoes.filter((frame) => frame.tab === index).map((frame) => frame.n);
    assert.deepEqual(order, Array.from({ length: PER_TAB }, (_, i) => i + 1), `tab ${index}'s sends, once each, in order`);
  }
  for (const tab of tabs) {
    const received = await tab.evaluate(() => window.seen.messages.filter((m) => m.type === 'echo').length);
    assert.equal(received, TABS * PER_TAB, 'every tab received every echo, once');
    // A send counts in queuedCount until the server acknowledged it (batched: within 100 ms).
    await tab.waitForFunction(() => window.ws.queuedCount === 0, null, WAIT);
    assert.deepEqual(tab.problems, []);
  }
  await context.close();
  await auditUntil(env, 'tabs-one', (audit) => audit.live === 0, 'the connection closed with the tabs');
});

test('no token crosses the channel or reaches a follower', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-token', 3);
  for (const tab of tabs) await tab.evaluate(() => window.start({ shareAcrossTabs: true, reauthIntervalMs: 300 }));
  for (const tab of tabs) await stateIs(tab, 'authenticated');
  // Re-auths bring fresh tokens into the leader while the tabs talk.
  const leader = await leaderOf(tabs);
  await leader.waitForFunction(() => window.tokens.length >= 3, null, WAIT);
  for (const tab of tabs) await tab.evaluate(() => window.ws.send({ type: 'echo', from: 'a tab' }));
  for (const tab of tabs) await tab.waitForFunction(() => window.seen.messages.length >= 3, null, WAIT);

  const tokens = (await Promise.all(tabs.map((tab) => tab.evaluate(() => window.tokens)))).flat();
  assert.ok(tokens.length >= 3);
  const posted = (await Promise.all(tabs.map((tab) => tab.evaluate(() => window.posted)))).flat();
  assert.ok(posted.length > 0, 'the tabs did talk over the channel');
  for (const message of posted) {
    assert.ok(!message.includes('eyJ'), `no JWT on the channel: ${message}`);
    for (const token of tokens) assert.ok(!message.includes(token));
  }
  for (const tab of tabs) {
    if ((await tab.evaluate(() => window.ws.sharing)) === 'leader') continue;
    assert.deepEqual(await tab.evaluate(() => window.tokens), [], 'a follower never fetches a token');
    // What a follower's code can read of its socket and its storage holds no token either.
    const visible = await tab.evaluate(() =>
      JSON.stringify([
        Object.entries(window.ws),
        { ...Object.fromEntries(Object.getOwnPropertyNames(Object.getPrototypeOf(window.ws)).map((key) => [key, String(window.ws[key])])) },
        { ...localStorage },
        { ...sessionStorage },
        document.cookie,
      ]),
    );
    for (const token of tokens) assert.ok(!visible.includes(token));
    assert.ok(!visible.includes('eyJ'));
  }
  await context.close();
});

async function leaderOf(tabs) {
  for (const tab of tabs) if ((await tab.evaluate(() => window.ws.sharing)) === 'leader') return tab;
  throw new Error('no leader');
}
