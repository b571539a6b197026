// For the tab tests: the test server serving the test page (page/) beside the built package
// (js/, pkg/) at one origin, the server's audit, and tabs: pages of one browser context, which
// share an origin's cookies, Web Locks and BroadcastChannels as a user's tabs do.
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlsHeaders, launchChromium, repo, startTestServer } from '../support/browser.mjs';

/**
 * The users the tests log in as: one per test, so no test sees another's connections or faults.
 * Read from the tests' own 'tabs-…' names, so the list cannot drift from them.
 */
const USERS = [
  ...new Set(
    readdirSync(import.meta.dirname)
      .filter((file) => file.endsWith('.test.mjs'))
      .flatMap((file) => readFileSync(join(import.meta.dirname, file), 'utf8').match(/'tabs-[a-z]+'/g) ?? [])
      .map((quoted) => quoted.slice(1, -1)),
  ),
];

export const WAIT = { timeout: 10_000 };

/**
 * Starts Chromium (unless `chromium: false`) and a server whose static root links page/, js/ and
 * pkg/; `prepare(root)` may add files to it first; `env` adds to the server's settings.
 */
export async function setUp({ prepare, chromium = true, env = {} } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'secure-ws-tabs-'));
  await prepare?.(root);
  for (const file of ['index.html', 'channel-spy.js', 'tab.js', 'login.js']) symlinkSync(join(import.meta.dirname, 'page', file), join(root, file));
  for (const dir of ['js', 'pkg']) symlinkSync(join(repo, dir), join(root, dir));
  const { server, origin } = await startTestServer(['--test-controls', '--static', root], {
    env: {
      USERS: USERS.map((user) => `${user}:${user}-pass`).join(','),
      // The tests stream more than the default 60 frames a minute through one connection.
      RATE_LIMIT_PER_MINUTE: '6000',
      ...env,
    },
  });
  const browser = chromium ? await launchChromium() : null;
  return {
    origin,
    browser,
    async tearDown() {
      await browser?.close();
      server.kill();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A logged-in context with `count` tabs, each with the page loaded (no socket yet). */
export async function openTabs(env, user, count, { initScript, ...page } = {}) {
  const context = await env.browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  const tabs = [];
  for (let i = 0; i < count; i++) tabs.push(await openTab(env, context, page));
  await tabs[0].evaluate((name) => window.login(name), user);
  return { context, tabs };
}

export async function openTab(env, context, { path = '/index.html', loaded = 'start' } = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(String(error)));
  page.problems = problems;
  await page.goto(`${env.origin}${path}`);
  await page.waitForFunction((name) => typeof window[name] === 'function', loaded);
  return page;
}

/**
 * Starts a shared socket with `options` in every tab, the first one first, so that it leads; then
 * waits until each tab is authenticated.
 */
export async function startShared(tabs, options) {
  await tabs[0].evaluate((o) => window.start(o), options);
  await tabs[0].waitForFunction(() => window.ws.sharing === 'leader', null, WAIT);
  for (const tab of tabs.slice(1)) await tab.evaluate((o) => window.start(o), options);
  for (const tab of tabs) await stateIs(tab, 'authenticated');
}

/** Waits until `page`'s socket is in `state`. */
export function stateIs(page, state) {
  return page.waitForFunction((wanted) => window.ws?.state === wanted, state, WAIT);
}

/** The server's audit for `user` (GET /test/audit). */
export async function audit(env, user) {
  const response = await fetch(`${env.origin}/test/audit?user=${user}`, { headers: controlsHeaders });
  return response.json();
}

/** Polls the audit until `check(audit)` holds (the server has no event to wait on for this). */
export async function auditUntil(env, user, check, what) {
  const deadline = Date.now() + WAIT.timeout;
  for (;;) {
    const seen = await audit(env, user);
    if (check(seen)) return seen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for the server to see ${what}: ${JSON.stringify(seen)}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** The application frames a connection's audit holds, parsed: unwrapped from a resumable
 * session's `msg`, with the protocol's own frames (`auth`, `ack`, …) left out. */
export function appFrames(connection) {
  return connection.frames
    .map((frame) => JSON.parse(frame))
    .filter((frame) => !['auth', 'reauth', 'ping', 'pong', 'ack'].includes(frame.type))
    .map((frame) => (frame.type === 'msg' ? frame.data : frame));
}

export async function post(env, path, body) {
  const response = await fetch(`${env.origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...controlsHeaders },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
}
