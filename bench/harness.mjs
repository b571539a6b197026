// What the bench runner and the profiler share: the bench page served beside the web build by
// the release test server, and a headless Chromium opened on it, logged in and ready.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, repo, startTestServer } from '../tests/support/browser.mjs';

export { repo };

/** Starts the server and Chromium; returns the page (with `bench.*` ready) and a `stop()`. */
export async function openBench({ chromiumArgs = [] } = {}) {
  const site = mkdtempSync(join(tmpdir(), 'secure-ws-bench-'));
  cpSync(join(repo, 'pkg/web'), site, { recursive: true });
  cpSync(join(repo, 'bench/page'), site, { recursive: true });
  const { server, origin } = await startTestServer(['--demo-faults', '--static', site], {
    profile: 'release',
    // Bench traffic is far above a chat client's: the limits must not be what is measured.
    env: {
      USERS: 'bench:bench-pass',
      RATE_LIMIT_PER_MINUTE: '100000000',
      // bench/run.mjs connects and closes 1,000 times: a token each.
      TOKENS_PER_MINUTE: '100000000',
      MAX_CONNECTIONS_PER_IP: '100000',
      MAX_CONNECTIONS_PER_USER: '100000',
    },
  });
  const browser = await launchChromium(chromiumArgs);
  const page = await browser.newPage();
  await page.goto(origin);
  await page.getByText('ready').waitFor();
  await page.evaluate(() => bench.login());
  return {
    page,
    stop: async () => {
      await browser.close();
      server.kill();
    },
  };
}
