// The packed tarball in fresh apps that the test server serves as static files (same origin as
// its API, under its strict CSP): webpack 5, esbuild and Rollup with no configuration, and a plain page
// with no bundler. Each reaches `authenticated` with a console free of errors and warnings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, startTestServer } from '../support/browser.mjs';
import { WAIT, prepareApp, run, watchConsole } from './support.mjs';

let browser;
let server;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  server?.kill();
});

async function open(dir) {
  server?.kill();
  let origin;
  ({ server, origin } = await startTestServer(['--test-controls', '--static', dir]));
  const page = await browser.newPage();
  const problems = watchConsole(page);
  await page.goto(origin);
  return { page, problems };
}

test('webpack 5 with no config file bundles the hook and the class, and both authenticate', async () => {
  const app = prepareApp('webpack');
  run('npx', ['webpack', '--mode', 'production', '--no-stats'], app);
  cpSync(join(app, 'public'), join(app, 'dist'), { recursive: true });
  const { page, problems } = await open(join(app, 'dist'));
  await page.locator('#status[data-message="webpack"]', { hasText: 'authenticated' }).waitFor(WAIT);
  const direct = page.locator('#direct');
  await direct.filter({ hasText: 'authenticated' }).waitFor(WAIT).catch(async (e) => {
    throw new Error(`the class never authenticated; its states: ${await direct.getAttribute('data-states')}; console: ${problems}`, { cause: e });
  });
  assert.deepEqual(problems, []);
  await page.close();
});

for (const [name, how] of [['esbuild', 'esbuild --bundle with no plugin'], ['rollup', 'Rollup with node-resolve alone']]) {
  test(`${how} bundles the class, wasm included, and it authenticates`, async () => {
    const app = prepareApp(name);
    run('npm', ['run', '--silent', 'build'], app);
    cpSync(join(app, 'public'), join(app, 'dist'), { recursive: true });
    const { page, problems } = await open(join(app, 'dist'));
    await page.locator('#status', { hasText: 'authenticated' }).waitFor(WAIT);
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('a plain <script type="module"> page imports the entry by path, with no init call, and authenticates', async () => {
  const app = prepareApp('plain');
  const { page, problems } = await open(app);
  await page.locator('#status', { hasText: 'authenticated' }).waitFor(WAIT);
  assert.deepEqual(problems, []);
  await page.close();
});
