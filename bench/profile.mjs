// `node bench/profile.mjs`: a CPU profile of the SDK's throughput scenario (Chromium's sampling
// profiler through the DevTools protocol), summarised as self time per function. This is what
// the README's performance section cites for the throughput gap: a profile, not a guess.
// `node bench/profile.mjs sdk|sdkAtMostOnce|raw` (bench/run.mjs names the kinds).
import { openBench } from './harness.mjs';

const { page, stop } = await openBench();
const kind = process.argv[2] ?? 'sdk';
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
const { delivery } = await page.evaluate((k) => bench.throughput(k), kind);
const { profile } = await cdp.send('Profiler.stop');
await stop();

const self = new Map();
const total = profile.samples.length;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
for (const id of profile.samples) {
  const { functionName, url } = byId.get(id).callFrame;
  const name = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${byId.get(id).callFrame.lineNumber + 1}`.trim();
  self.set(name, (self.get(name) ?? 0) + 1);
}
console.log(`self time in the ${kind} throughput scenario (${delivery ?? 'raw'}, ${total} samples):`);
for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
  console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
