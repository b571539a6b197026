// The package as users get it: `npm pack`, installed into a fresh Vite + React + TypeScript app
// outside the repository, type-checked, built, and loaded in Chromium until `authenticated`;
// and the web build on a plain <script type="module"> page with an explicit init().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlsHeaders, launchChromium, repo, startTestServer } from '../support/browser.mjs';

const work = mkdtempSync(join(tmpdir(), 'secure-ws-package-'));
const app = join(work, 'app');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

let server;
let origin;
let browser;

before(async () => {
  const tarball = join(work, run('npm', ['pack', '--silent', '--pack-destination', work], repo).trim());
  cpSync(join(repo, 'tests/package/app'), app, { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], app);
  // The plain page sits beside the app's build, with the web build copied next to it.
  const plain = join(app, 'dist-plain');
  cpSync(join(app, 'node_modules/secure-ws/pkg/web'), plain, { recursive: true });
  cpSync(join(repo, 'tests/package/plain'), plain, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
  rmSync(work, { recursive: true, force: true });
});

async function serve(dir) {
  server?.kill();
  ({ server, origin } = await startTestServer(['--test-controls', '--static', dir]));
}

test('the tarball holds the built wasm, its glue and typings, the React hook, and nothing else', () => {
  const listed = JSON.parse(run('npm', ['pack', '--dry-run', '--json'], repo))[0].files.map((f) => f.path).sort();
  const unexpected = listed.filter(
    (path) => !/^(README\.md|package\.json|react\/index\.(js|d\.ts)|pkg\/(web\/)?(secure_ws(_bg)?\.(js|wasm|d\.ts)|secure_ws_bg\.wasm\.d\.ts|snippets\/.+\.js))$/.test(path),
  );
  assert.deepEqual(unexpected, []);
  for (const needed of ['pkg/secure_ws_bg.wasm', 'pkg/web/secure_ws_bg.wasm', 'react/index.d.ts', 'pkg/secure_ws.d.ts']) {
    assert.ok(listed.includes(needed), `${needed} is in the tarball`);
  }
});

test('a fresh Vite + React + TypeScript app type-checks, builds and authenticates with the installed package', async () => {
  run('npx', ['--yes', 'tsc', '-p', '.'], app);
  run('npx', ['--yes', 'vite', 'build', '--logLevel', 'warn'], app);
  assert.ok(readdirSync(join(app, 'dist/assets')).some((f) => f.endsWith('.wasm')), 'Vite emitted the wasm');
  await serve(join(app, 'dist'));
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(origin);
  await page.locator('#status', { hasText: 'authenticated' }).waitFor({ timeout: 10_000 });
  await page.locator('#status[data-message="the packaged app"]').waitFor({ timeout: 10_000 });
  const audit = await (await fetch(`${origin}/test/audit?user=alice`, { headers: controlsHeaders })).json();
  assert.equal(audit.live, 1, 'StrictMode mounted twice, yet exactly one socket stays open');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a plain <script type="module"> page authenticates with the web build and an explicit init()', async () => {
  await serve(join(app, 'dist-plain'));
  const page = await browser.newPage();
  await page.goto(origin);
  await page.locator('#status', { hasText: 'authenticated' }).waitFor({ timeout: 10_000 });
  await page.close();
});
