// `npm run bench` (browser half): every SDK figure next to the raw browser WebSocket doing the
// same work in the same run, in headless Chromium against the release test server. Each figure is
// the median of several repetitions, with min and max. Writes bench/results/latest.json and prints
// a markdown table. Measurements only: nothing here passes or fails on a number.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openBench, repo } from './harness.mjs';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const { page, stop } = await openBench({ chromiumArgs: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};
const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function repeat(label, fn) {
  const results = [];
  for (let i = 0; i < REPEATS; i++) results.push(await fn());
  process.stderr.write(`  ${label}: done\n`);
  return results;
}

const throughputSdk = stats(await repeat('throughput sdk', () => page.evaluate(() => bench.throughput('sdk'))));
const throughputRaw = stats(await repeat('throughput raw', () => page.evaluate(() => bench.throughput('raw'))));
const latencyRuns = { sdk: [], raw: [] };
for (let i = 0; i < REPEATS; i++) {
  for (const kind of ['sdk', 'raw']) latencyRuns[kind].push(await page.evaluate((k) => bench.latency(k), kind));
}
const latencyOf = (kind, p) => stats(latencyRuns[kind].map((sorted) => percentile(sorted, p)));
const readyRuns = await repeat('ready', () => page.evaluate(() => bench.ready()));
const reconnectMs = stats(await repeat('reconnect', () => page.evaluate(() => bench.reconnect())));
const cycles = await repeat('1,000 connect/close cycles', () => page.evaluate(() => bench.cycles()));
const queued = await page.evaluate(() => bench.queued());
await stop();

const size = (path) => {
  const bytes = readFileSync(join(repo, path));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const wasmSize = size('pkg/secure_ws_bg.wasm');
// The glue a bundler ships: the small entry module plus the generated bindings and the snippet.
const snippets = readdirSync(join(repo, 'pkg/snippets'), { recursive: true })
  .filter((f) => String(f).endsWith('.js'))
  .map((f) => join('pkg/snippets', String(f)));
const glue = ['pkg/secure_ws.js', 'pkg/secure_ws_bg.js', ...snippets].map(size);
const glueSize = glue.reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }));
const ready = stats(readyRuns.map((r) => r.readyMs));
const readyBound = stats(readyRuns.map((r) => r.rawOpenMs + r.tokenFetchMs + r.rttMs + 2));
const serverLoad = existsSync(join(repo, 'bench/results/server-load.json'))
  ? JSON.parse(readFileSync(join(repo, 'bench/results/server-load.json'), 'utf8'))
  : null;

const results = {
  repeats: REPEATS,
  throughput_sdk_msgs_per_sec: throughputSdk,
  throughput_raw_msgs_per_sec: throughputRaw,
  throughput_ratio: round(throughputSdk.median / throughputRaw.median, 3),
  latency_p50_ms_sdk: latencyOf('sdk', 0.5),
  latency_p50_ms_raw: latencyOf('raw', 0.5),
  latency_p99_ms_sdk: latencyOf('sdk', 0.99),
  latency_p99_ms_raw: latencyOf('raw', 0.99),
  latency_p99_ratio: round(latencyOf('sdk', 0.99).median / latencyOf('raw', 0.99).median, 3),
  ready_ms: ready,
  raw_open_ms: stats(readyRuns.map((r) => r.rawOpenMs)),
  token_fetch_ms: stats(readyRuns.map((r) => r.tokenFetchMs)),
  rtt_ms: stats(readyRuns.map((r) => r.rttMs)),
  ready_target_ms: readyBound,
  reconnect_ms: reconnectMs,
  heap_growth_per_cycle_bytes: stats(cycles.map((c) => c.heapGrowthPerCycle)),
  wasm_growth_per_cycle_bytes: stats(cycles.map((c) => c.wasmGrowthPerCycle)),
  queued_10k_heap_bytes: queued.heapBytes,
  queued_10k_wasm_bytes: queued.wasmBytes,
  wasm_bytes: wasmSize.raw,
  wasm_gzip_bytes: wasmSize.gzip,
  glue_bytes: glueSize.raw,
  glue_gzip_bytes: glueSize.gzip,
  total_gzip_bytes: wasmSize.gzip + glueSize.gzip,
  server: serverLoad,
};
writeFileSync(join(repo, 'bench/results/latest.json'), JSON.stringify(results, null, 2) + '\n');

const m = (s, d = 1) => `${round(s.median, d)} (${round(s.min, d)}–${round(s.max, d)})`;
const rows = [
  ['throughput, msgs/s (20,000 echoes, 100 in flight)', m(throughputSdk, 0), m(throughputRaw, 0), `${results.throughput_ratio}× (target ≥ 0.9×)`],
  ['latency p50, ms (1,000 msgs/s)', m(latencyOf('sdk', 0.5), 2), m(latencyOf('raw', 0.5), 2), `${round(latencyOf('sdk', 0.5).median / latencyOf('raw', 0.5).median, 2)}×`],
  ['latency p99, ms (1,000 msgs/s)', m(latencyOf('sdk', 0.99), 2), m(latencyOf('raw', 0.99), 2), `${results.latency_p99_ratio}× (target ≤ 1.1×)`],
  ['time to ready, ms', m(ready, 2), `open ${m(results.raw_open_ms, 2)}`, `target ≤ ${round(readyBound.median, 2)} (open + token fetch + RTT + 2)`],
  ['reconnect after a server kill, ms (base delay 0)', m(reconnectMs, 2), '—', ''],
  ['JS heap growth per connect/close cycle, bytes', m(results.heap_growth_per_cycle_bytes, 0), '—', 'target ~0'],
  ['wasm memory growth per cycle, bytes', m(results.wasm_growth_per_cycle_bytes, 0), '—', 'target ~0'],
  ['10,000 queued messages: heap / wasm, bytes', `${queued.heapBytes} / ${queued.wasmBytes}`, '—', ''],
  ['size: wasm + glue, gzip -9 bytes', `${wasmSize.gzip} + ${glueSize.gzip} = ${results.total_gzip_bytes}`, '—', 'target ≤ 23,552 (23 KB)'],
  ['size: wasm + glue, raw bytes', `${wasmSize.raw} + ${glueSize.raw}`, '—', ''],
];
if (serverLoad) {
  rows.push(['server: concurrent authenticated connections held', String(serverLoad.connections_open_after_heartbeats), '—', `${serverLoad.server_bytes_per_connection} bytes each, p99 echo ${serverLoad.echo_p99_ms} ms`]);
}
console.log('| figure | SDK (median, min–max) | raw WebSocket | ratio / target |\n|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
