// What every framework test does: install the packed tarball into a fresh app kept under
// $TMPDIR/secure-ws-frameworks/<app> (its own dependencies installed once per package-lock, so a
// warm run only reinstalls secure-ws), build it there, and load it in Chromium, console watched.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlsHeaders, repo } from '../support/browser.mjs';

/** The tarball `npm pack` made from a fresh clone (tests/package/pack.mjs; scripts/test.sh sets it). */
export const tarball = process.env.SECURE_WS_TARBALL;
assert.ok(tarball && existsSync(tarball), 'SECURE_WS_TARBALL names the packed package (scripts/test.sh sets it)');

// Generous: a backoff after an auth timeout on a loaded 2-core machine takes seconds.
export const WAIT = { timeout: 30_000 };

const QUIET = { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } };

/** Runs a command; on failure, the error carries its output. */
export function run(cmd, args, cwd, env = {}) {
  try {
    return execFileSync(cmd, args, { ...QUIET, cwd, env: { ...QUIET.env, ...env } }).toString();
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${`${e.stdout}\n${e.stderr}`.slice(-4000)}`);
  }
}

/** The app's directory under target/, its sources fresh, its dependencies and secure-ws installed. */
export function prepareApp(name) {
  const source = join(repo, 'tests/frameworks/apps', name);
  // Outside the repository: Next.js takes the nearest lock file above an app for its root.
  const dir = join(tmpdir(), 'secure-ws-frameworks', name);
  const key = createHash('sha256')
    .update(readFileSync(join(source, 'package.json')))
    .update(existsSync(join(source, 'package-lock.json')) ? readFileSync(join(source, 'package-lock.json')) : '')
    .digest('hex');
  const stamp = join(dir, 'node_modules/.installed-for');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== key) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(source, dir, { recursive: true });
    // `npm install`, not `npm ci`: npm 11 leaves Next's other-platform optional packages out of
    // the lock file and `npm ci` then refuses it. The lock file still pins every version.
    if (existsSync(join(source, 'package-lock.json'))) run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    writeFileSync(stamp, key);
  }
  // Everything but the installed dependencies comes anew from the sources (and build caches, which
  // the build tools key themselves).
  for (const entry of readdirSync(dir)) {
    if (!['node_modules', '.next'].includes(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  cpSync(source, dir, { recursive: true });
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', tarball], dir);
  return dir;
}

/** Console errors and warnings and uncaught exceptions of `page`, as they come. */
export function watchConsole(page) {
  const problems = [];
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type())) problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error}`));
  return problems;
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

/**
 * Starts a long-running command in a process group of its own (`next start` forks a server that
 * outlives a killed parent) and resolves once its output matches `ready`. Stop it with stopProcess.
 */
export function startProcess(cmd, args, cwd, ready, env = {}) {
  const child = spawn(cmd, args, { cwd, env: { ...QUIET.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  return new Promise((done, fail) => {
    const look = (chunk) => {
      output += chunk;
      if (ready.test(output)) done(child);
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => fail(new Error(`${cmd} exited with ${code}:\n${output}`)));
  });
}

/** Stops the process group startProcess made, and waits until its leader has exited. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

/** The connections the test server saw for `user`, oldest first. */
export async function connectionsOf(origin, user) {
  return (await (await fetch(`${origin}/test/audit?user=${user}`, { headers: controlsHeaders })).json()).connections;
}
