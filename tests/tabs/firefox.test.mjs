// The same sharing in Firefox (geckodriver: see firefox.mjs): two tabs of one profile share one
// connection, a send from the follower reaches the server and both tabs, no token crosses the
// channel, and closing the leader's tab hands over within the bound.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { audit, auditUntil, setUp } from './support.mjs';
import { launchFirefox } from './firefox.mjs';

const AUTH_TIMEOUT_MS = 2000;
const BOUND_MS = 1000 + AUTH_TIMEOUT_MS; // as in failover.test.mjs
const OPTIONS = { shareAcrossTabs: true, authTimeoutMs: AUTH_TIMEOUT_MS };

let env;
let firefox;
before(async () => {
  env = await setUp({ chromium: false });
  firefox = await launchFirefox();
});
after(async () => {
  await firefox?.quit();
  await env?.tearDown();
});

test('Firefox: two tabs share one connection and hand over when the leader tab closes', async (t) => {
  const page = `${env.origin}/index.html`;
  const loaded = () => window.until(() => typeof window.start === 'function');
  const leader = await firefox.open(page);
  await firefox.evaluate(leader, loaded);
  await firefox.evaluate(leader, (user) => window.login(user), 'tabs-firefox');
  await firefox.evaluate(leader, (options) => window.start(options), OPTIONS);
  await firefox.evaluate(leader, () => window.until(() => window.ws.sharing === 'leader' && window.ws.state === 'authenticated'));
  const follower = await firefox.open(page);
  await firefox.evaluate(follower, loaded);
  await firefox.evaluate(follower, (options) => window.start(options), OPTIONS);
  await firefox.evaluate(follower, () => window.until(() => window.ws.state === 'authenticated'));
  assert.equal(await firefox.evaluate(follower, () => window.ws.sharing), 'follower');
  assert.equal((await audit(env, 'tabs-firefox')).connections.length, 1, 'one connection for both tabs');

  await firefox.evaluate(follower, () => window.ws.send({ type: 'echo', from: 'follower' }));
  for (const tab of [leader, follower]) {
    await firefox.evaluate(tab, () => window.until(() => window.seen.messages.some((m) => m.from === 'follower')));
  }
  const tokens = await firefox.evaluate(leader, () => window.tokens);
  assert.deepEqual(await firefox.evaluate(follower, () => window.tokens), []);
  const posted = [...(await firefox.evaluate(leader, () => window.posted)), ...(await firefox.evaluate(follower, () => window.posted))];
  assert.ok(posted.length > 0);
  for (const message of posted) {
    assert.ok(!message.includes('eyJ'));
    for (const token of tokens) assert.ok(!message.includes(token));
  }

  const started = Date.now();
  await firefox.close(leader);
  await firefox.evaluate(follower, () => window.until(() => window.ws.sharing === 'leader' && window.ws.state === 'authenticated'));
  const took = Date.now() - started;
  t.diagnostic(`Firefox: handover after the leader tab closed: ${took} ms (bound ${BOUND_MS} ms)`);
  assert.ok(took <= BOUND_MS, `handover took ${took} ms`);
  await firefox.evaluate(follower, () => window.ws.send({ type: 'echo', from: 'new leader' }));
  await firefox.evaluate(follower, () => window.until(() => window.seen.messages.some((m) => m.from === 'new leader')));
  await auditUntil(env, 'tabs-firefox', (seen) => seen.live === 1 && seen.connections.length === 2, 'the new leader\'s connection alone');
});
