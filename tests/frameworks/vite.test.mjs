// The packed tarball in a fresh Vite 8 + React + TypeScript app: it type-checks (typed messages,
// no casts), builds with no wasm plugin, and authenticates, built and under the dev server (its
// dependency optimizer bundles the package). The hook's behaviour is pinned in the development
// build, where React's StrictMode mounts every component twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { controlsHeaders, launchChromium, startTestServer } from '../support/browser.mjs';
import { WAIT, connectionsOf, freePort, prepareApp, run, startProcess, stopProcess, watchConsole } from './support.mjs';

let app;
let browser;
let server;
before(async () => {
  app = prepareApp('vite');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.kill();
});

/** A fresh test server (an empty audit) serving `dist`, and a page of it at `?case=`. */
async function open(dist, scenario) {
  server?.kill();
  let origin;
  // A detached session expires at once: a reconnect starts a new session, so `subscriptions` runs
  // again (a resumed session needs none, and these tests are about the hook's latest closures).
  ({ server, origin } = await startTestServer(['--test-controls', '--static', join(app, dist)], { env: { RESUME_WINDOW_MS: '1' } }));
  const page = await browser.newPage();
  const problems = watchConsole(page);
  await page.goto(`${origin}/?case=${scenario}`);
  return { page, problems, origin };
}

test('the app type-checks against the typings: messages typed through the hook, no casts', () => {
  run('npx', ['tsc', '-p', '.'], app);
});

test('the production build authenticates and echoes, with a clean console', async () => {
  run('npx', ['vite', 'build', '--logLevel', 'warn'], app);
  const { page, problems } = await open('dist', 'quick');
  await page.locator('#status[data-message="the packaged app"]', { hasText: 'authenticated' }).waitFor(WAIT);
  assert.deepEqual(problems, []);
  await page.close();
});

test("StrictMode's double mount opens exactly one socket, and the console stays clean", async () => {
  // NODE_ENV too: `--mode development` alone builds React's production build, where StrictMode
  // mounts nothing twice.
  run('npx', ['vite', 'build', '--mode', 'development', '--outDir', 'dist-dev', '--logLevel', 'warn'], app, { NODE_ENV: 'development' });
  const { page, problems, origin } = await open('dist-dev', 'quick');
  await page.locator('#status[data-message="the packaged app"]', { hasText: 'authenticated' }).waitFor(WAIT);
  assert.equal((await connectionsOf(origin, 'alice')).length, 1, 'one socket was ever opened');
  assert.deepEqual(problems, []);
  await page.close();
});

test("sends made before the hook's socket exists are queued and go out in order, after the subscriptions, ahead of later sends", async () => {
  const { page, problems } = await open('dist-dev', 'early');
  // StrictMode runs the child's effect twice; its simulated unmount drops the first run's sends,
  // as a real unmount would, so the same messages go out as in production.
  await page.locator('#status[data-seen="subscribed,child-1,child-2,parent"]').waitFor(WAIT);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a child of an <Activity> shown again sends from its effect as on its first mount', async () => {
  const { page, problems } = await open('dist-dev', 'hidden');
  await page.locator('#panel[data-seen="child"]', { hasText: 'authenticated' }).waitFor(WAIT);
  const toggle = page.getByRole('button', { name: 'toggle' });
  await toggle.click();
  await toggle.click();
  await page.locator('#panel[data-seen="child,child"]', { hasText: 'authenticated' }).waitFor(WAIT);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a send from a cleanup after the socket is gone is reported as closed, and one made later throws closed: never dropped silently', async () => {
  const { page, problems } = await open('dist-dev', 'leave');
  await page.locator('#room', { hasText: 'authenticated' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'leave' }).click();
  await page.locator('#status[data-reported="closed"]').waitFor(WAIT);
  // The `send` the unmounted component handed out, called afterwards: it throws, synchronously.
  await page.getByRole('button', { name: 'send later' }).click();
  await page.locator('#status[data-thrown="closed"]').waitFor(WAIT);
  // The page handled the report (preventDefault): nothing else reached the console.
  assert.deepEqual(problems, []);
  await page.close();
});

test('early sends are refused with the same codes and bounds as SecureWebSocket.send', async () => {
  const { page, problems } = await open('dist-dev', 'limits');
  const status = page.locator('#status:not([data-sdk=""])');
  await status.waitFor(WAIT);
  const hook = await status.getAttribute('data-hook');
  assert.equal(hook, 'message_too_large,invalid_message,invalid_message,invalid_message,ok,ok,queue_full');
  assert.equal(await status.getAttribute('data-sdk'), hook);
  assert.deepEqual(problems, []);
  await page.close();
});

test("after a re-render and a reconnect, the latest render's getToken, subscriptions and handlers are the ones called", async () => {
  const { page, problems, origin } = await open('dist-dev', 'latest');
  await page.locator('#status[data-log="token@1,authenticated@1,subscribed@1 seen@1"]').waitFor(WAIT);
  await page.getByRole('button', { name: 'next generation' }).click();
  const killed = await fetch(`${origin}/test/close`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...controlsHeaders },
    body: JSON.stringify({ code: 1012 }),
  });
  assert.equal(killed.status, 200);
  const log = 'token@1,authenticated@1,subscribed@1 seen@1,token@2,authenticated@2,subscribed@2 seen@2';
  await page.locator(`#status[data-log="${log}"]`).waitFor(WAIT);
  // The re-render kept the socket: the first, and the one the kill made reconnect; no third.
  assert.equal((await connectionsOf(origin, 'alice')).length, 2, 'a re-render opened no socket of its own');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a new url replaces the socket: the old one closes, the new one authenticates, lastMessage stays', async () => {
  const { page, problems, origin } = await open('dist-dev', 'url');
  const status = page.locator('#status');
  await page.locator('#status[data-authentications="1"]', { hasText: 'authenticated' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'echo', exact: true }).click();
  await page.locator('#status[data-message="the first url"]').waitFor(WAIT);
  await page.getByRole('button', { name: 'switch' }).click();
  await page.locator('#status[data-authentications="2"]', { hasText: 'authenticated' }).waitFor(WAIT);
  assert.equal(await status.getAttribute('data-message'), 'the first url', 'lastMessage stays');
  const audit = async () => (await fetch(`${origin}/test/audit?user=alice`, { headers: controlsHeaders })).json();
  assert.equal((await audit()).connections.length, 2, 'one socket per url');
  // The server sees the old socket's close on its own schedule: waited for, up to WAIT.
  const deadline = Date.now() + WAIT.timeout;
  let live;
  while ((live = (await audit()).live) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(live, 1, 'the old socket is closed');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a new url discards what the old socket had not sent: it never reaches the server', async () => {
  const { page, problems, origin } = await open('dist-dev', 'url&first=dead');
  await page.locator('#status', { hasText: /connecting/ }).waitFor(WAIT);
  await page.getByRole('button', { name: 'queue', exact: true }).click();
  await page.locator('#status[data-queued="1"]').waitFor(WAIT);
  await page.getByRole('button', { name: 'switch' }).click();
  await page.locator('#status[data-authentications="1"]', { hasText: 'authenticated' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'echo again' }).click();
  await page.locator('#status[data-message="the second url"]').waitFor(WAIT);
  const audit = await (await fetch(`${origin}/test/audit?user=alice`, { headers: controlsHeaders })).json();
  const frames = audit.connections.flatMap((connection) => connection.frames).join('\n');
  assert.ok(frames.includes('the second url'), 'the audit holds the new socket\'s frames');
  assert.ok(!frames.includes('queued on the dead url'), 'the old socket\'s queued send was discarded');
  // The browser's own report of the refused connection is expected; nothing else.
  assert.deepEqual(problems.filter((problem) => !problem.includes('127.0.0.1:9')), []);
  await page.close();
});

test('under the dev server (`vite`, its optimizer bundling the package): one socket for the double mount, authenticated, a clean console', async () => {
  server?.kill();
  const port = await freePort();
  const devOrigin = `http://127.0.0.1:${port}`;
  let origin;
  ({ server, origin } = await startTestServer(['--test-controls'], { env: { ALLOWED_ORIGINS: devOrigin } }));
  // --force: the optimizer bundles the package anew, not from an earlier run's cache.
  const dev = await startProcess(join(app, 'node_modules/.bin/vite'), ['--config', 'vite.dev.config.ts', '--host', '127.0.0.1', '--port', String(port), '--strictPort', '--force'], app, /ready in/i, { SECURE_WS_TEST_SERVER: origin });
  try {
    const page = await browser.newPage();
    const problems = watchConsole(page);
    await page.goto(`${devOrigin}/?case=quick`);
    await page.locator('#status[data-message="the packaged app"]', { hasText: 'authenticated' }).waitFor(WAIT);
    assert.equal((await connectionsOf(origin, 'alice')).length, 1, 'one socket was ever opened');
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await stopProcess(dev);
  }
});

test("a new url's first render shows `connecting`, not the old socket's state: an effect keyed on the state and the room sends its hello once", async () => {
  const { page, problems } = await open('dist-dev', 'room');
  await page.locator('#status[data-echoes="hello a"]', { hasText: 'authenticated' }).waitFor(WAIT);
  await page.getByRole('button', { name: 'room b' }).click();
  await page.locator('#status[data-room="b"]', { hasText: 'authenticated' }).waitFor(WAIT);
  // Sent after the effect of the authenticated render: once its echo is back, every hello is.
  await page.getByRole('button', { name: 'marker' }).click();
  await page.locator('#status[data-echoes$=",marker"]').waitFor(WAIT);
  assert.equal(await page.locator('#status').getAttribute('data-echoes'), 'hello a,hello b,marker');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a handler under a name the SDK has no event for, given from the first render, is reported in `error`', async () => {
  const { page } = await open('dist-dev', 'typo');
  await page.locator('#status[data-error="invalid_argument"]', { hasText: 'authenticated' }).waitFor(WAIT);
  await page.close();
});

test('`socket` is state: the render after the socket is made shows it, with no other change', async () => {
  const { page } = await open('dist-dev', 'socket-state');
  await page.locator('#status[data-socket="connecting"]').waitFor({ timeout: 3_000 });
  await page.close();
});
