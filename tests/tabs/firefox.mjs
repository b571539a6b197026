// Firefox for the tab tests, through geckodriver (W3C WebDriver over HTTP): Playwright drives
// only its own patched Firefox, which cannot be downloaded here. One session is one profile, and
// its windows are tabs of it: they share the origin's cookies, Web Locks and BroadcastChannels.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

const GECKODRIVER = process.env.GECKODRIVER ?? join(homedir(), '.cargo/bin/geckodriver');

function freePort() {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Starts geckodriver and a headless Firefox session; resolves with its windows API. */
export async function launchFirefox() {
  const port = await freePort();
  const driver = spawn(GECKODRIVER, ['--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const base = `http://127.0.0.1:${port}`;
  await new Promise((done, fail) => {
    driver.stdout.on('data', (chunk) => String(chunk).includes('Listening on') && done());
    driver.on('exit', (code) => fail(new Error(`geckodriver exited with ${code}`)));
  });
  const call = async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const { value } = await response.json();
    if (!response.ok) throw new Error(`WebDriver ${method} ${path}: ${value?.message ?? response.status}`);
    return value;
  };
  const { sessionId } = await call('POST', '/session', {
    capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': { args: ['-headless'] } } },
  });
  const session = `/session/${sessionId}`;
  // The session's first tab, used by the first open().
  let blank = await call('GET', `${session}/window`);
  return {
    /** Opens `url` in a new tab; returns its handle. */
    async open(url) {
      const handle = blank ?? (await call('POST', `${session}/window/new`, { type: 'tab' })).handle;
      blank = null;
      await call('POST', `${session}/window`, { handle });
      await call('POST', `${session}/url`, { url });
      return handle;
    },
    /** Runs `fn(...args)` (awaited) in tab `handle`; returns its JSON result. */
    async evaluate(handle, fn, ...args) {
      await call('POST', `${session}/window`, { handle });
      const script = `const done = arguments[arguments.length - 1];
        Promise.resolve((${fn})(...Array.from(arguments).slice(0, -1))).then((v) => done({ ok: v }), (e) => done({ error: String(e) }));`;
      const result = await call('POST', `${session}/execute/async`, { script, args });
      if (result.error) throw new Error(result.error);
      return result.ok;
    },
    /** Closes tab `handle`, as a user closes it. */
    async close(handle) {
      await call('POST', `${session}/window`, { handle });
      await call('DELETE', `${session}/window`);
    },
    async quit() {
      await call('DELETE', session).catch(() => {});
      driver.kill();
    },
  };
}
