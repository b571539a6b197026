// The demo as a person uses it, in headless Chromium: log in, reach `authenticated`, send and
// receive a message. And what must never happen: a token in storage, a readable cookie, or a URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.DEMO_URL;
assert.ok(base, 'DEMO_URL is set by scripts/test.sh');

// Flags from TOOLCHAIN.md: without the background-networking ones Chromium tries the closed
// network at every start.
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: flags });
});
after(async () => {
  await browser?.close();
});

test('the demo logs in, authenticates and echoes a message, with no token anywhere visible', async () => {
  const page = await browser.newPage();
  const requested = [];
  page.on('request', (request) => requested.push(request.url()));
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error));

  await page.goto(base);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('state').getByText('authenticated').waitFor({ timeout: 10_000 });

  await page.getByPlaceholder('Say something').fill('hello from the e2e test');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('messages').getByText('hello from the e2e test').waitFor({ timeout: 10_000 });

  const storage = await page.evaluate(() => ({
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
    cookie: document.cookie,
  }));
  assert.equal(storage.local, '{}');
  assert.equal(storage.session, '{}');
  assert.equal(storage.cookie, '', 'the session cookie is HttpOnly');

  const audit = await (await fetch(new URL('/test/audit', base))).json();
  assert.equal(audit.tokenInUri, false);
  assert.ok(audit.tokensIssued >= 1);
  for (const url of requested) assert.doesNotMatch(url, /eyJ|token=/, url);
  assert.deepEqual(pageErrors, []);
  await page.close();
});
