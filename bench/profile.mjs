// `node bench/profile.mjs`: a CPU profile of the SDK's throughput scenario (Chromium's sampling
// profiler through the DevTools protocol), summarised as self time per function. This is what
// the README's performance section cites for the throughput gap: a profile, not a guess.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const repo = resolve(import.meta.dirname, '..');
const site = mkdtempSync(join(tmpdir(), 'secure-ws-profile-'));
cpSync(join(repo, 'pkg/web'), site, { recursive: true });
cpSync(join(repo, 'bench/page'), site, { recursive: true });
const server = spawn(join(repo, 'target/release/secure-ws-test-server'), ['--port', '0', '--test-controls', '--static', site], {
  env: { ...process.env, USERS: 'bench:bench-pass', RATE_LIMIT_PER_MINUTE: '100000000' },
  stdio: ['ignore', 'pipe', 'ignore'],
});
const origin = await new Promise((done) =>
  server.stdout.on('data', (chunk) => {
    const match = /listening on (\S+)/.exec(String(chunk));
    if (match) done(`http://${match[1]}`);
  }),
);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
await page.goto(origin);
await page.getByText('ready').waitFor();
await page.evaluate(() => bench.login());
const kind = process.argv[2] ?? 'sdk';
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
await page.evaluate((k) => bench.throughput(k), kind);
const { profile } = await cdp.send('Profiler.stop');
await browser.close();
server.kill();

const self = new Map();
const total = profile.samples.length;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
for (const id of profile.samples) {
  const { functionName, url } = byId.get(id).callFrame;
  const name = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${byId.get(id).callFrame.lineNumber + 1}`.trim();
  self.set(name, (self.get(name) ?? 0) + 1);
}
console.log(`self time in the ${kind} throughput scenario (${total} samples):`);
for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
