// `npm run bench` (browser half): every SDK figure next to the raw browser WebSocket doing the
// same work in the same run, in headless Chromium against the release test server. Each figure is
// the median of several repetitions, with min and max. Writes bench/results/latest.json and prints
// a markdown table. Measurements only: nothing here passes or fails on a number.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure } from '../scripts/size.mjs';
import { openBench, repo } from './harness.mjs';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** Rounds of the throughput and CPU section: each of its six orders once. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
/** Echoes per throughput/CPU run. */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
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

// Throughput and main-thread CPU per message, SDK and raw interleaved in one run: each round runs
// both, in alternating order, so a change in the machine's load falls on both alike; each round
// gives one SDK/raw ratio, and the figure is the median ratio with its spread. CPU comes from
// Chromium's own counters (Performance.getMetrics in the `threadTicks` time domain: CPU time of the
// renderer's main thread, not wall-clock), read around the message loop alone: TaskDuration is
// all the main thread's work (script, GC, the socket's IPC), ScriptDuration the JS and wasm in it.
// The SDK runs twice per round: `sdk` on the exactly-once session the test server grants, and
// `sdkAtMostOnce` on a connection whose `resume` offer the server ignores (bench.js: a server
// without resumable sessions), with no numbering, acknowledgement or keeping of sent messages: the
// same work as the raw socket's, which tells what exactly-once delivery costs. Round r runs the
// three in the r-th of their six orders, so that none always follows another (whose garbage, or
// whose clean-up on the server, would fall on it); a full collection comes before each loop.
const KINDS = ['sdk', 'sdkAtMostOnce', 'raw'];
const ORDERS = KINDS.flatMap((a) => KINDS.filter((b) => b !== a).map((b) => [a, b, KINDS.find((c) => c !== a && c !== b)]));
const DELIVERY = { sdk: 'exactly-once', sdkAtMostOnce: 'at-most-once' };
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
const counters = async () => {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map(({ name, value }) => [name, value]));
};
const runs = { sdk: [], sdkAtMostOnce: [], raw: [] };
const ratios = { throughput: [], cpu: [], script: [] };
const ratiosAtMostOnce = { throughput: [], cpu: [], script: [] };
for (let round = 0; round < ROUNDS; round++) {
  const result = {};
  for (const kind of ORDERS[round % ORDERS.length]) {
    await page.evaluate((k) => bench.openSession(k), kind);
    await page.evaluate(() => gc());
    const before = await counters();
    const rate = await page.evaluate((n) => bench.runLoop(n), MESSAGES);
    const after = await counters();
    const delivery = await page.evaluate(() => bench.closeSession());
    if (delivery !== DELIVERY[kind]) throw new Error(`${kind}: the session was ${delivery}`);
    const perMessageUs = (name) => ((after[name] - before[name]) / MESSAGES) * 1e6;
    result[kind] = { rate, cpuUs: perMessageUs('TaskDuration'), scriptUs: perMessageUs('ScriptDuration') };
    runs[kind].push(result[kind]);
  }
  for (const [sdk, into] of [[result.sdk, ratios], [result.sdkAtMostOnce, ratiosAtMostOnce]]) {
    into.throughput.push(sdk.rate / result.raw.rate);
    into.cpu.push(sdk.cpuUs / result.raw.cpuUs);
    into.script.push(sdk.scriptUs / result.raw.scriptUs);
  }
  process.stderr.write(`  throughput and CPU, round ${round + 1}: done\n`);
}
// The SDK's own work per echo, with no network (bench.js's stand-in socket): the same counters
// around a loop that runs in one task, the three kinds interleaved the same way (each order twice;
// at most once, the stand-in grants no resumable session). Without IPC, a server or an arrival
// pattern that varies from run to run, it spreads far less than the figure above; a lower bound of
// the SDK's cost per echo (one task: a hot JIT, no event dispatch).
const STAND_IN_MESSAGES = 20_000;
const standIn = { sdk: [], sdkAtMostOnce: [], raw: [], ratio: [] };
await page.evaluate(() => bench.openStandIn());
for (let round = 0; round < ORDERS.length * 2; round++) {
  const result = {};
  for (const kind of ORDERS[round % ORDERS.length]) {
    const before = await counters();
    const received = await page.evaluate(([k, n]) => bench.standInLoop(k, n), [kind, STAND_IN_MESSAGES]);
    const after = await counters();
    if (received !== STAND_IN_MESSAGES) throw new Error(`stand-in ${kind}: ${received} of ${STAND_IN_MESSAGES} messages`);
    result[kind] = ((after.TaskDuration - before.TaskDuration) / STAND_IN_MESSAGES) * 1e6;
    standIn[kind].push(result[kind]);
  }
  standIn.ratio.push(result.sdk / result.raw);
}
await page.evaluate(() => bench.closeStandIn());
process.stderr.write('  stand-in socket: done\n');
const standInSdk = stats(standIn.sdk);
const standInAtMostOnce = stats(standIn.sdkAtMostOnce);
const standInRaw = stats(standIn.raw);
const throughputSdk = stats(runs.sdk.map((r) => r.rate));
const throughputRaw = stats(runs.raw.map((r) => r.rate));
const cpuSdk = stats(runs.sdk.map((r) => r.cpuUs));
const cpuRaw = stats(runs.raw.map((r) => r.cpuUs));
const scriptSdk = stats(runs.sdk.map((r) => r.scriptUs));
const scriptRaw = stats(runs.raw.map((r) => r.scriptUs));
const throughputAtMostOnce = stats(runs.sdkAtMostOnce.map((r) => r.rate));
const cpuAtMostOnce = stats(runs.sdkAtMostOnce.map((r) => r.cpuUs));
if (process.env.BENCH_ONLY === 'cpu') {
  // A quick look while working on the hot path: this section alone, nothing written.
  console.log(JSON.stringify({ throughputSdk, throughputRaw, cpuSdk, cpuRaw, scriptSdk, scriptRaw, ratios, throughputAtMostOnce, cpuAtMostOnce, ratiosAtMostOnce, standInSdk, standInAtMostOnce, standInRaw, standInRatio: stats(standIn.ratio) }, null, 1));
  await stop();
  process.exit(0);
}
const roundedStats = (values) => Object.fromEntries(Object.entries(stats(values)).map(([k, v]) => [k, round(v, 3)]));
const latencyRuns = { sdk: [], raw: [] };
for (let i = 0; i < REPEATS; i++) {
  for (const kind of ['sdk', 'raw']) latencyRuns[kind].push(await page.evaluate((k) => bench.latency(k), kind));
}
const latencyOf = (kind, p) => stats(latencyRuns[kind].map((sorted) => percentile(sorted, p)));
const readyRuns = await repeat('ready', () => page.evaluate(() => bench.ready()));
const reconnectMs = stats(await repeat('reconnect', () => page.evaluate(() => bench.reconnect())));
const cycles = await repeat('1,000 connect/close cycles', () => page.evaluate(() => bench.cycles()));
const queued = await page.evaluate(() => bench.queued());
const unacknowledged = await page.evaluate(() => bench.unacknowledged());
await stop();

const size = measure();
const ready = stats(readyRuns.map((r) => r.readyMs));
const readyBound = stats(readyRuns.map((r) => r.rawOpenMs + r.tokenFetchMs + r.rttMs + 2));
const serverLoad = existsSync(join(repo, 'bench/results/server-load.json'))
  ? JSON.parse(readFileSync(join(repo, 'bench/results/server-load.json'), 'utf8'))
  : null;

const results = {
  repeats: REPEATS,
  throughput_cpu_rounds: ROUNDS,
  throughput_sdk_msgs_per_sec: throughputSdk,
  throughput_raw_msgs_per_sec: throughputRaw,
  messages_per_run: MESSAGES,
  // 'exactly-once' against the test server: the figures include the cost of resumption
  // (numbering, acknowledgements, keeping each message until acknowledged).
  sdk_delivery: DELIVERY.sdk,
  throughput_ratio: round(stats(ratios.throughput).median, 3),
  throughput_ratio_spread: roundedStats(ratios.throughput),
  cpu_per_message_us_sdk: cpuSdk,
  cpu_per_message_us_raw: cpuRaw,
  cpu_per_message_ratio: round(stats(ratios.cpu).median, 3),
  cpu_per_message_ratio_spread: roundedStats(ratios.cpu),
  script_per_message_us_sdk: scriptSdk,
  script_per_message_us_raw: scriptRaw,
  script_per_message_ratio: round(stats(ratios.script).median, 3),
  script_per_message_ratio_spread: roundedStats(ratios.script),
  // The SDK on an at-most-once session (the server ignoring its resume offer), same rounds.
  throughput_at_most_once_msgs_per_sec: throughputAtMostOnce,
  throughput_ratio_at_most_once: round(stats(ratiosAtMostOnce.throughput).median, 3),
  throughput_ratio_at_most_once_spread: roundedStats(ratiosAtMostOnce.throughput),
  cpu_per_message_us_at_most_once: cpuAtMostOnce,
  cpu_per_message_ratio_at_most_once: round(stats(ratiosAtMostOnce.cpu).median, 3),
  cpu_per_message_ratio_at_most_once_spread: roundedStats(ratiosAtMostOnce.cpu),
  script_per_message_ratio_at_most_once: round(stats(ratiosAtMostOnce.script).median, 3),
  // No network: the SDK on a stand-in socket against the raw socket's JSON work (bench.js).
  own_cpu_per_echo_us_sdk: standInSdk,
  own_cpu_per_echo_us_raw: standInRaw,
  own_cpu_per_echo_us_added: round(standInSdk.median - standInRaw.median, 3),
  own_cpu_added_share_of_raw_message: round((standInSdk.median - standInRaw.median) / cpuRaw.median, 3),
  // The same at most once (the stand-in grants no resumable session): the SDK's own share of
  // what exactly-once delivery costs per echo is the difference.
  own_cpu_per_echo_us_at_most_once: standInAtMostOnce,
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
  unacknowledged_messages: unacknowledged.owed,
  unacknowledged_delivery: unacknowledged.delivery,
  unacknowledged_bytes_per_message: round((unacknowledged.heapBytes + unacknowledged.wasmBytes) / unacknowledged.owed, 1),
  // scripts/size.mjs: what an app ships (shipped_* / total_*: the whole minified bundle, the
  // inlined wasm with it; glue_*: its JS alone; wasm_*: the .wasm file alone).
  ...size,
  total_gzip_bytes: size.shipped_gzip_bytes,
  server: serverLoad,
};
writeFileSync(join(repo, 'bench/results/latest.json'), JSON.stringify(results, null, 2) + '\n');

const m = (s, d = 1) => `${round(s.median, d)} (${round(s.min, d)}–${round(s.max, d)})`;
const rows = [
  [`throughput, msgs/s (${MESSAGES} echoes, 100 in flight; SDK ${DELIVERY.sdk})`, m(throughputSdk, 0), m(throughputRaw, 0), `${results.throughput_ratio}× (${results.throughput_ratio_spread.min}–${results.throughput_ratio_spread.max}; target ≥ 0.95×)`],
  ['main-thread CPU per message, µs (TaskDuration)', m(cpuSdk, 2), m(cpuRaw, 2), `${results.cpu_per_message_ratio}× (${results.cpu_per_message_ratio_spread.min}–${results.cpu_per_message_ratio_spread.max}; target ≤ 1.05×)`],
  ['script CPU per message, µs (ScriptDuration)', m(scriptSdk, 2), m(scriptRaw, 2), `${results.script_per_message_ratio}× (${results.script_per_message_ratio_spread.min}–${results.script_per_message_ratio_spread.max})`],
  ['at most once (the server ignoring resume): throughput, msgs/s', m(throughputAtMostOnce, 0), m(throughputRaw, 0), `${results.throughput_ratio_at_most_once}× (${results.throughput_ratio_at_most_once_spread.min}–${results.throughput_ratio_at_most_once_spread.max})`],
  ['at most once: main-thread CPU per message, µs (TaskDuration)', m(cpuAtMostOnce, 2), m(cpuRaw, 2), `${results.cpu_per_message_ratio_at_most_once}× (${results.cpu_per_message_ratio_at_most_once_spread.min}–${results.cpu_per_message_ratio_at_most_once_spread.max}); script ${results.script_per_message_ratio_at_most_once}×`],
  [`the SDK's own CPU per echo, no network, a lower bound (stand-in socket; raw: its JSON work), µs`, m(standInSdk, 2), m(standInRaw, 2), `+${results.own_cpu_per_echo_us_added} µs, ${round(results.own_cpu_added_share_of_raw_message * 100, 1)} % of the raw socket's CPU per message above`],
  ['… the same at most once, µs', m(standInAtMostOnce, 2), m(standInRaw, 2), `+${round(standInAtMostOnce.median - standInRaw.median, 3)} µs`],
  ['latency p50, ms (1,000 msgs/s)', m(latencyOf('sdk', 0.5), 2), m(latencyOf('raw', 0.5), 2), `${round(latencyOf('sdk', 0.5).median / latencyOf('raw', 0.5).median, 2)}×`],
  ['latency p99, ms (1,000 msgs/s)', m(latencyOf('sdk', 0.99), 2), m(latencyOf('raw', 0.99), 2), `${results.latency_p99_ratio}× (target ≤ 1.1×)`],
  ['time to ready, ms', m(ready, 2), `open ${m(results.raw_open_ms, 2)}`, `target ≤ ${round(readyBound.median, 2)} (open + token fetch + RTT + 2)`],
  ['reconnect after a server kill, ms (base delay 0)', m(reconnectMs, 2), '—', ''],
  ['JS heap growth per connect/close cycle, bytes', m(results.heap_growth_per_cycle_bytes, 0), '—', 'target ~0'],
  ['wasm memory growth per cycle, bytes', m(results.wasm_growth_per_cycle_bytes, 0), '—', 'target ~0'],
  ['10,000 queued messages: heap / wasm, bytes', `${queued.heapBytes} / ${queued.wasmBytes}`, '—', ''],
  [`memory per unacknowledged message (${unacknowledged.owed} owed, ${unacknowledged.delivery}), bytes`, `${results.unacknowledged_bytes_per_message} (heap ${unacknowledged.heapBytes} + wasm ${unacknowledged.wasmBytes} in all)`, '—', ''],
  ['size shipped (minified bundle, wasm inlined), gzip -9 bytes', `${size.shipped_gzip_bytes} (JS ${size.glue_gzip_bytes}; .wasm alone ${size.wasm_gzip_bytes})`, '—', `target ≤ ${size.budget_gzip_bytes} (23 KB)`],
  ['size, raw bytes: bundle / .wasm', `${size.shipped_bytes} / ${size.wasm_bytes}`, '—', ''],
];
if (serverLoad) {
  rows.push(['server: concurrent authenticated connections held', String(serverLoad.connections_open_after_heartbeats), '—', `${serverLoad.server_bytes_per_connection} bytes each, p99 echo ${serverLoad.echo_p99_ms} ms`]);
}
console.log('| figure | SDK (median, min–max) | raw WebSocket | ratio / target |\n|---|---|---|---|');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
