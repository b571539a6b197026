// The packed tarball in a fresh Next.js 16 App Router app with no next.config: a server component
// that imports the package, and a client component with the hook, prerendered at build time.
// Built with Turbopack and with webpack (`next build`, `next build --webpack`), served by
// `next start`, loaded in Chromium: it authenticates against the test server (another origin),
// the console stays clean, and the page's server-side file trace stays that of a page without
// secure-ws. And `next dev` (Turbopack), where the App Router renders in React's StrictMode: the
// package as the dev server bundles it, one socket for the double mount.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, startTestServer } from '../support/browser.mjs';
import { WAIT, connectionsOf, freePort, prepareApp, run, startProcess, stopProcess, watchConsole } from './support.mjs';

let app;
let browser;
let server;
let origin;
let nextPort;
before(async () => {
  app = prepareApp('next');
  nextPort = await freePort();
  ({ server, origin } = await startTestServer(['--test-controls'], {
    env: { ALLOWED_ORIGINS: `http://127.0.0.1:${nextPort}` },
  }));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.kill();
});

/** The files Next traced for a page's server function. */
function traced(page) {
  return JSON.parse(readFileSync(join(app, '.next/server/app', `${page}.js.nft.json`), 'utf8')).files;
}

for (const [bundler, flags] of [['Turbopack', []], ['webpack', ['--webpack']]]) {
  test(`next build (${bundler}) then next start: the hook authenticates, nothing of secure-ws is traced server-side`, async () => {
    run(join(app, 'node_modules/.bin/next'), ['build', ...flags], app, { NEXT_PUBLIC_SECURE_WS_SERVER: new URL(origin).host });
    const withHook = traced('page');
    const without = traced('plain/page');
    assert.deepEqual(withHook.filter((file) => /\.wasm$|secure-ws/.test(file)), [], 'no wasm or package file in the trace');
    // The Turbopack trace grew from ~120 to ~6,000 files; a few files of chunking slack.
    assert.ok(withHook.length <= without.length + 10, `traced ${withHook.length} files, ${without.length} without secure-ws`);

    const next = await startProcess(join(app, 'node_modules/.bin/next'), ['start', '-H', '127.0.0.1', '-p', String(nextPort)], app, /Ready in/);
    try {
      const context = await browser.newContext();
      // The session cookie the token endpoint needs, in the browser's jar (127.0.0.1: same site).
      const login = await context.request.post(`${origin}/api/login`, { data: { username: 'alice', password: 'alice-pass' } });
      assert.equal(login.status(), 200);
      const page = await context.newPage();
      const problems = watchConsole(page);
      await page.goto(`http://127.0.0.1:${nextPort}/`);
      await page.locator('#server[data-class="function"]').waitFor(WAIT);
      await page.locator('#status[data-message="next"]', { hasText: 'authenticated' }).waitFor(WAIT);
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await stopProcess(next);
    }
  });
}

test("next dev (Turbopack, StrictMode): the hook authenticates, with one socket for the double mount", async () => {
  // The dev server reads NEXT_PUBLIC_* from its environment when it compiles the page.
  const env = { NEXT_PUBLIC_SECURE_WS_SERVER: new URL(origin).host };
  const dev = await startProcess(join(app, 'node_modules/.bin/next'), ['dev', '-H', '127.0.0.1', '-p', String(nextPort)], app, /Ready in/, env);
  try {
    const context = await browser.newContext();
    const login = await context.request.post(`${origin}/api/login`, { data: { username: 'bob', password: 'bob-pass' } });
    assert.equal(login.status(), 200);
    const page = await context.newPage();
    const problems = watchConsole(page);
    // The first request compiles the page: slower than a built app's.
    await page.goto(`http://127.0.0.1:${nextPort}/`, { timeout: 120_000 });
    await page.locator('#server[data-class="function"]').waitFor(WAIT);
    await page.locator('#status[data-message="next"]', { hasText: 'authenticated' }).waitFor(WAIT);
    assert.equal((await connectionsOf(origin, 'bob')).length, 1, 'one socket was ever opened');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await stopProcess(dev);
  }
});
