// The React hook with `shareAcrossTabs`: two tabs of one context mount it (under StrictMode) and
// share one connection; a send through one tab's hook reaches the other's handler; closing the
// leader's tab hands over.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { WAIT, audit, auditUntil, openTabs, setUp } from './support.mjs';

const app = join(import.meta.dirname, 'react-app');

/** React, installed once per package.json under $TMPDIR (as tests/frameworks keeps its apps). */
function installReact() {
  const dir = join(tmpdir(), 'secure-ws-tabs-react');
  const manifest = readFileSync(join(app, 'package.json'));
  const key = createHash('sha256').update(manifest).digest('hex');
  const stamp = join(dir, 'node_modules/.installed-for');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== key) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), manifest);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--no-package-lock'], { cwd: dir, stdio: 'ignore' });
    writeFileSync(stamp, key);
  }
  return join(dir, 'node_modules');
}

let env;
before(async () => {
  const nodeModules = installReact();
  env = await setUp({
    prepare: async (root) => {
      mkdirSync(join(root, 'react'));
      copyFileSync(join(app, 'index.html'), join(root, 'react/index.html'));
      await build({
        entryPoints: [join(app, 'app.jsx')],
        bundle: true,
        format: 'esm',
        jsx: 'automatic',
        nodePaths: [nodeModules],
        define: { 'process.env.NODE_ENV': '"development"' },
        outfile: join(root, 'react-app.js'),
        logLevel: 'warning',
      });
    },
  });
});
after(async () => {
  await env?.tearDown();
});

const text = (tab, id) => tab.getByTestId(id).textContent();

test('the hook shares one socket across tabs, relays sends and hands over when the leader tab closes', async () => {
  const { context, tabs } = await openTabs(env, 'tabs-react', 2, { path: '/react/index.html', loaded: 'mountHook' });
  const [first, second] = tabs;
  await first.evaluate(() => window.mountHook());
  await first.getByTestId('sharing').getByText('leader', { exact: true }).waitFor(WAIT);
  await second.evaluate(() => window.mountHook());
  for (const tab of tabs) await tab.getByTestId('state').getByText('authenticated', { exact: true }).waitFor(WAIT);
  assert.equal(await text(second, 'sharing'), 'follower');
  const seen = await audit(env, 'tabs-react');
  assert.equal(seen.connections.length, 1, 'StrictMode\'s double mount and two tabs: one connection');

  await second.evaluate(() => window.hookSend({ type: 'echo', from: 'second' }));
  for (const tab of tabs) await tab.getByTestId('received').getByText('second', { exact: true }).waitFor(WAIT);
  // Counted until the server acknowledged it (batched: within 100 ms). An acknowledgement is no
  // event, so the hook's `queuedCount` shows it at the next event: the socket's count is read.
  await second.waitForFunction(() => window.hookSocket?.queuedCount === 0, null, WAIT);

  await first.close();
  await second.getByTestId('sharing').getByText('leader', { exact: true }).waitFor(WAIT);
  await second.getByTestId('state').getByText('authenticated', { exact: true }).waitFor(WAIT);
  await second.evaluate(() => window.hookSend({ type: 'echo', from: 'again' }));
  await second.getByTestId('received').getByText('second,again', { exact: true }).waitFor(WAIT);
  await auditUntil(env, 'tabs-react', (audit) => audit.live === 1, 'one live connection');
  assert.deepEqual(second.problems, []);
  await context.close();
});
