// The Leptos example (examples/chat) as a user drives it, in headless Chromium against the test
// server that serves it: log in, join #general, chat; the server kills the socket; the app's
// typed event loop re-joins and the chat goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../support/browser.mjs';

const base = process.env.CHAT_URL;
assert.ok(base, 'CHAT_URL is set by scripts/test.sh');
const WAIT = { timeout: 10_000 };

test('the Leptos example logs in, joins a room, chats, and re-joins after a server-side close', async () => {
  const browser = await launchChromium();
  try {
    await chat(await browser.newPage());
  } finally {
    await browser.close();
  }
});

async function chat(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  await page.goto(base);
  await page.getByRole('button', { name: 'Log in' }).click(); // alice / alice-pass, prefilled
  await page.getByText('alice · authenticated · #general').waitFor(WAIT);
  await page.getByText('— joined #general').waitFor(WAIT);

  await page.getByPlaceholder('say something').fill('hello from Leptos');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('alice: hello from Leptos', { exact: true }).waitFor(WAIT);

  const killed = await page.request.post(new URL('/test/close', base).href, { data: { user: 'alice', code: 1001 } });
  assert.equal(killed.status(), 200);
  await page.getByText('— joined #general').nth(1).waitFor(WAIT); // re-joined on the new connection
  await page.getByPlaceholder('say something').fill('still here');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByText('alice: still here', { exact: true }).waitFor(WAIT);
  assert.deepEqual(problems, []);
}
