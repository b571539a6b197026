// What the Yew and Dioxus app tests share (yew.test.mjs, dioxus.test.mjs): each app, served by the
// test server (scripts/test.sh: serve_and_test), is driven in headless Chromium as a user would:
// log in as alice (prefilled), then the app's own steps; "Leave" then unmounts the component that
// owns the socket, and the server must see that socket go (dropped, so closed). Whatever the app
// did, no token may appear in a URL, and the page must log no error.
import assert from 'node:assert/strict';
import { controlsHeaders, launchChromium } from '../support/browser.mjs';

export const WAIT = { timeout: 10_000 };

/** Opens the app at `base`, logs in, runs `steps(page)`, leaves, and checks what must hold. */
export async function driveApp(base, steps) {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems = [];
    const requested = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    await page.goto(base);
    await page.getByRole('button', { name: 'Log in' }).click(); // alice / alice-pass, prefilled
    await steps(page);

    await page.getByRole('button', { name: 'Leave' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor(WAIT);
    await untilNoLiveSocket(page, base);
    const audit = await controls(page, base, 'get', '/test/audit?user=alice');
    assert.equal(audit.tokenInUri, false, 'a token was sent in a URL');
    assert.deepEqual(requested.filter((url) => url.includes('eyJ')), [], 'a token in a request URL');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
}

/** Closes alice's sockets server-side with 1001, as chat.test.mjs does: the app must reconnect. */
export async function killSockets(page, base) {
  const killed = await page.request.post(new URL('/test/close', base).href, {
    data: { user: 'alice', code: 1001 },
    headers: controlsHeaders,
  });
  assert.equal(killed.status(), 200);
}

/**
 * Makes the server ignore alice's next resume offer (the demo's fault, with her login cookie): the
 * next connection is a new session, which the app must set up again (its `subscriptions`).
 */
export async function forceNewSession(page, base) {
  const url = new URL('/api/demo/fault', base);
  const set = await page.request.post(url.href, { data: { kind: 'ignore_next_resume' }, headers: { Origin: url.origin } });
  assert.equal(set.status(), 204);
}

/** Fills the app's input and presses its Send button. */
export async function send(page, text) {
  await page.getByPlaceholder('say something').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

async function controls(page, base, method, path) {
  const response = await page.request[method](new URL(path, base).href, { headers: controlsHeaders });
  assert.equal(response.status(), 200);
  return response.json();
}

/** The server's audit, asked until alice has no live socket (the page shows nothing once the
 * component that owned it is gone), for at most WAIT's timeout. */
async function untilNoLiveSocket(page, base) {
  const deadline = Date.now() + WAIT.timeout;
  let live;
  while ((live = (await controls(page, base, 'get', '/test/audit?user=alice')).live) > 0) {
    assert.ok(Date.now() < deadline, `alice still has ${live} live socket(s) after the app unmounted its own`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
