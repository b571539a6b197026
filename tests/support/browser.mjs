// Shared by the Node-driven tests (demo e2e, package) and the benchmark: headless Chromium with
// this machine's flags, and the test server on a free port.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const repo = resolve(import.meta.dirname, '../..');

// TOOLCHAIN.md: without the background-networking flags Chromium tries the closed network at
// every start.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's Chromium, headless, with `extraArgs` after the project's flags. */
export function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...FLAGS, ...extraArgs] });
}

/** The test-controls secret (`scripts/env.sh` exports one per run), or a fresh one. */
export const controlsSecret = process.env.TEST_CONTROLS_SECRET || randomBytes(24).toString('hex');

/** Headers for a `/test/*` request: the server answers 404 without the secret. */
export const controlsHeaders = { 'x-test-controls': controlsSecret };

/**
 * Starts `target/<profile>/secure-ws-test-server --port 0 …args` and resolves once it prints its
 * address, with the process and its origin (`http://127.0.0.1:PORT`). With `--test-controls` the
 * server gets `controlsSecret`.
 */
export async function startTestServer(args, { profile = 'debug', env = {} } = {}) {
  const server = spawn(join(repo, `target/${profile}/secure-ws-test-server`), ['--port', '0', ...args], {
    // The tab, framework and bench tests reconnect far more often than a user does: token minting
    // (TOKENS_PER_MINUTE, 60 a user by default) is not what they test. The caller's env wins.
    env: { TOKENS_PER_MINUTE: '1000000', ...process.env, TEST_CONTROLS_SECRET: controlsSecret, ...env },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const origin = await new Promise((done, fail) => {
    server.stdout.on('data', (chunk) => {
      const match = /listening on (\S+)/.exec(String(chunk));
      if (match) done(`http://${match[1]}`);
    });
    server.on('exit', (code) => fail(new Error(`the test server exited with ${code}`)));
  });
  return { server, origin };
}
