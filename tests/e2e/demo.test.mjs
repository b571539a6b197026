// The demo as people use it, in headless Chromium: alice and bob in two browser contexts chat in
// a room; the server kills every socket; a message typed during the outage arrives after the
// reconnect exactly once; alice deletes her own message. And what must never happen: a token in
// storage, a readable cookie, or a URL. Writes target/demo.png (the README's screenshot).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { controlsHeaders, launchChromium } from '../support/browser.mjs';

const base = process.env.DEMO_URL;
assert.ok(base, 'DEMO_URL is set by scripts/test.sh');

const WAIT = { timeout: 10_000 };

let browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

async function loggedIn(user) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const requested = [];
  const problems = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  await page.goto(base);
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(`${user}-pass`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('state').getByText('authenticated', { exact: true }).waitFor(WAIT);
  return { page, context, requested, problems };
}

const lines = (page, text) => page.getByTestId('messages').getByText(text, { exact: true });

test('alice and bob chat, survive the server killing every socket, and leak no token', async () => {
  const alice = await loggedIn('alice');
  const bob = await loggedIn('bob');

  await alice.page.getByPlaceholder('Message #general').fill('hello bob');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  await lines(bob.page, 'hello bob').waitFor(WAIT);
  // Acknowledged by the server (resumable session): nothing of hers is owed any more.
  await alice.page.getByTestId('queued').getByText('0', { exact: true }).waitFor(WAIT);

  // Alice's network "drops" (the browser's offline event) and the server kills every socket:
  // her SDK waits for the network, so what she types now is queued for sure.
  await alice.page.getByRole('button', { name: 'Go offline' }).click();
  const killed = await fetch(new URL('/test/close', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...controlsHeaders },
    body: JSON.stringify({ code: 1012 }),
  });
  assert.equal(killed.status, 200);
  await alice.page.getByTestId('state').getByText('reconnecting', { exact: true }).waitFor(WAIT);
  await alice.page.getByPlaceholder('Message #general').fill('typed during the outage');
  await alice.page.getByRole('button', { name: 'Send' }).click();
  assert.equal(await alice.page.getByTestId('queued').textContent(), '1', 'her message, queued');
  await bob.page.getByTestId('state').getByText('authenticated', { exact: true }).waitFor(WAIT);

  await alice.page.getByRole('button', { name: 'Go online' }).click();
  await alice.page.getByTestId('state').getByText('authenticated', { exact: true }).waitFor(WAIT);
  for (const { page } of [alice, bob]) {
    await lines(page, 'typed during the outage').waitFor(WAIT);
    assert.equal(await lines(page, 'typed during the outage').count(), 1, 'delivered exactly once');
  }

  // Only the author can delete: bob has no delete button on alice's message.
  assert.equal(await bob.page.getByTitle('Delete').count(), 0);
  const mine = alice.page.getByTestId('messages').locator('li', { hasText: 'hello bob' });
  await mine.getByTitle('Delete').click();
  await lines(bob.page, 'hello bob').waitFor({ state: 'detached', ...WAIT });

  await alice.page.screenshot({ path: 'target/demo.png' });

  const audit = await (await fetch(new URL('/test/audit', base), { headers: controlsHeaders })).json();
  assert.equal(audit.tokenInUri, false);
  assert.ok(audit.tokensIssued >= 4, 'a fresh token per connection');
  for (const who of [alice, bob]) {
    const storage = await who.page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
    }));
    assert.deepEqual(storage, { local: '{}', session: '{}', cookie: '' }, 'nothing in storage; the cookie is HttpOnly');
    for (const url of who.requested) assert.doesNotMatch(url, /eyJ|token=/, url);
    // The CSP forbids anything inline or foreign: a violation would show up as a console error.
    assert.deepEqual(who.problems, []);
    await who.context.close();
  }
});

test("the demo's fault buttons break the caller's own connection and nobody else's", async () => {
  const alice = await loggedIn('alice');
  const bob = await loggedIn('bob');
  const states = (page, state) => page.getByRole('list', { name: 'state timeline' }).locator(`li.state.${state}`);
  // "Reject next auth": the server kills alice's socket (1012), refuses her next auth (4003), and
  // the SDK heals: two reconnects, then authenticated again.
  await alice.page.getByRole('button', { name: 'Reject next auth' }).click();
  await states(alice.page, 'authenticated').nth(1).waitFor(WAIT);
  assert.ok((await states(alice.page, 'reconnecting').count()) >= 2, 'a reconnect after the kill and after the refusal');
  assert.equal(await states(bob.page, 'reconnecting').count(), 0, "bob's connection was not touched");
  assert.deepEqual([...alice.problems, ...bob.problems], []);
  await alice.context.close();
  await bob.context.close();
});
