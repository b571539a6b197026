// What the bench runner and the profiler share: the bench page served beside the web build by
// the release test server, and a headless Chromium opened on it, logged in and ready.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const repo = resolve(import.meta.dirname, '..');

// TOOLCHAIN.md's flags: without the background-networking ones Chromium tries the closed network.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Starts the server and Chromium; returns the page (with `bench.*` ready) and a `stop()`. */
export async function openBench({ chromiumArgs = [] } = {}) {
  const site = mkdtempSync(join(tmpdir(), 'secure-ws-bench-'));
  cpSync(join(repo, 'pkg/web'), site, { recursive: true });
  cpSync(join(repo, 'bench/page'), site, { recursive: true });
  const server = spawn(join(repo, 'target/release/secure-ws-test-server'), ['--port', '0', '--test-controls', '--static', site], {
    env: {
      ...process.env,
      USERS: 'bench:bench-pass',
      // Bench traffic is far above a chat client's: the limits must not be what is measured.
      RATE_LIMIT_PER_MINUTE: '100000000',
      MAX_CONNECTIONS_PER_IP: '100000',
      MAX_CONNECTIONS_PER_USER: '100000',
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const origin = await new Promise((done, fail) => {
    server.stdout.on('data', (chunk) => {
      const match = /listening on (\S+)/.exec(String(chunk));
      if (match) done(`http://${match[1]}`);
    });
    server.on('exit', (code) => fail(new Error(`the test server exited with ${code}`)));
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...FLAGS, ...chromiumArgs] });
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
