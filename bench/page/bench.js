// The benchmark scenarios, run inside Chromium. Each SDK figure has a raw-WebSocket twin doing the
// same work (JSON.stringify / JSON.parse, the same server, the same authentication) in the same run.
import init, { SecureWsSession } from './secure_ws.js';
import { SecureWebSocket, useSession } from './secure-web-socket.js';

const wasm = await init();
useSession(SecureWsSession);
const wsUrl = `ws://${location.host}/ws`;
const now = () => performance.now();
const MESSAGE = { type: 'echo', seq: 0, room: 'general', content: 'x'.repeat(48), sentAt: 0 }; // ~100 bytes as JSON

async function post(path, body) {
  return fetch(path, {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function token() {
  return (await (await post('/api/ws-token')).json()).wsToken;
}

/** A raw browser WebSocket, authenticated the same way the SDK does it. */
async function rawSocket() {
  const wsToken = await token();
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  ws.send(JSON.stringify({ type: 'auth', token: wsToken }));
  await new Promise((resolve) => (ws.onmessage = resolve));
  return ws;
}

async function sdkSocket(extra = {}) {
  const ws = new SecureWebSocket(wsUrl, { tokenUrl: '/api/ws-token', ...extra });
  await ws.ready();
  return ws;
}

/** `count` echo round trips with `window` in flight; returns messages per second. */
function throughputLoop(send, onReply, count, window) {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    const started = now();
    onReply(() => {
      received += 1;
      if (received === count) resolve((count / (now() - started)) * 1000);
      else if (sent < count) send(++sent);
    });
    while (sent < Math.min(window, count)) send(++sent);
  });
}

/** The socket of the throughput scenario, opened by `openSession` and closed by `closeSession`. */
let session;

/**
 * Opens an authenticated socket of `kind` for `runLoop`: `raw`, or the SDK, `sdk` on the
 * resumable session the test server grants (numbered, acknowledged, kept until acknowledged) or
 * `sdkAtMostOnce` on a connection whose `resume` offer the server ignores (the demo's
 * `ignore_next_resume` fault, as a server without resumable sessions). Separate steps, so the
 * runner can read Chromium's CPU counters around the message loop alone (bench/run.mjs).
 */
export async function openSession(kind) {
  const message = { ...MESSAGE };
  if (kind === 'sdkAtMostOnce') {
    const answer = await post('/api/demo/fault', { kind: 'ignore_next_resume' });
    if (!answer.ok) throw new Error(`the ignore_next_resume fault: ${answer.status}`);
  }
  if (kind === 'raw') {
    const ws = await rawSocket();
    session = {
      send: (seq) => ws.send(JSON.stringify({ ...message, seq })),
      onReply: (reply) => (ws.onmessage = (event) => (JSON.parse(event.data), reply())),
      close: () => ws.close(),
    };
  } else {
    const ws = await sdkSocket();
    let handler;
    ws.on('message', () => handler());
    session = {
      send: (seq) => ws.send({ ...message, seq }),
      onReply: (reply) => (handler = reply),
      delivery: () => ws.delivery,
      close: () => (ws.close(), ws.free()),
    };
  }
}

/** `count` echoes through the open session; messages per second. */
export function runLoop(count = 20_000, window = 100) {
  return throughputLoop(session.send, session.onReply, count, window);
}

/** Closes the session; answers what the SDK's session promised to the end (`ws.delivery`). */
export function closeSession() {
  const delivery = session.delivery?.();
  session.close();
  session = undefined;
  return delivery;
}

export async function throughput(kind, count = 20_000, window = 100) {
  await openSession(kind);
  const rate = await runLoop(count, window);
  return { rate, delivery: closeSession() };
}

/** Round trips at a fixed `perSecond` for `count` messages; returns sorted latencies in ms. */
export async function latency(kind, count = 2_000, perSecond = 1_000) {
  const samples = [];
  const pending = new Map();
  const onReply = (message) => {
    const started = pending.get(message.seq);
    pending.delete(message.seq);
    samples.push(now() - started);
  };
  let send;
  let done;
  if (kind === 'raw') {
    const ws = await rawSocket();
    ws.onmessage = (event) => onReply(JSON.parse(event.data));
    send = (m) => ws.send(JSON.stringify(m));
    done = () => ws.close();
  } else {
    const ws = await sdkSocket();
    ws.on('message', onReply);
    send = (m) => ws.send(m);
    done = () => (ws.close(), ws.free());
  }
  const interval = 1000 / perSecond;
  const start = now();
  for (let seq = 0; seq < count; seq++) {
    // Paced against the clock, not against replies: a fixed offered load.
    const due = start + seq * interval;
    while (now() < due) await new Promise((r) => setTimeout(r, 0));
    pending.set(seq, now());
    send({ ...MESSAGE, seq });
  }
  while (samples.length < count) await new Promise((r) => setTimeout(r, 5));
  done();
  return samples.sort((a, b) => a - b);
}

/** Construction to authenticated (SDK), with the raw parts that bound it measured alongside. */
export async function ready() {
  let started = now();
  const ws = await sdkSocket();
  const readyMs = now() - started;
  ws.close();
  ws.free();
  started = now();
  await token();
  const tokenFetchMs = now() - started;
  started = now();
  const raw = new WebSocket(wsUrl);
  await new Promise((resolve) => (raw.onopen = resolve));
  const rawOpenMs = now() - started;
  raw.send(JSON.stringify({ type: 'auth', token: await token() }));
  started = now();
  await new Promise((resolve) => (raw.onmessage = resolve));
  raw.send(JSON.stringify({ type: 'echo' }));
  await new Promise((resolve) => (raw.onmessage = resolve));
  const rttMs = now() - started - 0; // one echo round trip after auth
  raw.close();
  return { readyMs, tokenFetchMs, rawOpenMs, rttMs };
}

/** From the server killing the socket to authenticated again, with zero base delay. */
export async function reconnect() {
  const ws = await sdkSocket({ reconnect: { baseDelayMs: 0, maxDelayMs: 0, jitter: false } });
  const again = new Promise((resolve) => ws.on('authenticated', resolve));
  const started = now();
  // The demo fault closes the caller's own sockets with 1012: the bench needs no test controls.
  await post('/api/demo/fault', { kind: 'kill_connection' });
  await again;
  const ms = now() - started;
  ws.close();
  ws.free();
  return ms;
}

function memory() {
  globalThis.gc?.();
  return { heap: performance.memory?.usedJSHeapSize ?? 0, wasm: wasm.memory.buffer.byteLength };
}

/** JS heap and wasm memory growth per connect/close cycle. */
export async function cycles(count = 1_000) {
  // One warm-up cycle: the first allocates the SDK's lasting structures.
  const warm = await sdkSocket();
  warm.close();
  warm.free();
  const before = memory();
  for (let i = 0; i < count; i++) {
    const ws = await sdkSocket({ reauthIntervalMs: 0 });
    ws.close();
    ws.free();
  }
  await new Promise((r) => setTimeout(r, 50));
  const after = memory();
  return {
    heapGrowthPerCycle: (after.heap - before.heap) / count,
    wasmGrowthPerCycle: (after.wasm - before.wasm) / count,
  };
}

/** Memory held by 10,000 queued ~100-byte messages (a socket that never authenticates). */
export async function queued(count = 10_000) {
  const before = memory();
  const ws = new SecureWebSocket(wsUrl, { getToken: () => new Promise(() => {}), maxQueuedMessages: count });
  for (let seq = 0; seq < count; seq++) ws.send({ ...MESSAGE, seq });
  const during = memory();
  const queuedCount = ws.queuedCount;
  ws.close();
  ws.free();
  return { queuedCount, heapBytes: during.heap - before.heap, wasmBytes: during.wasm - before.wasm };
}

/**
 * Memory held per message sent and not yet acknowledged, on an authenticated exactly-once
 * session: `count` ~100-byte messages sent in one task, so no acknowledgement can have arrived
 * when memory is read (the server acknowledges in batches, asynchronously). What it costs to keep
 * each message until the server confirms it, so that it can be resent after a reconnect.
 */
export async function unacknowledged(count = 10_000) {
  const ws = await sdkSocket({ maxQueuedMessages: count });
  const before = memory();
  for (let seq = 0; seq < count; seq++) ws.send({ ...MESSAGE, seq });
  const during = memory();
  const owed = ws.queuedCount;
  const sessionDelivery = ws.delivery;
  await new Promise((resolve) => {
    const check = () => (ws.queuedCount === 0 ? resolve() : setTimeout(check, 20));
    check();
  });
  ws.close();
  ws.free();
  return { owed, delivery: sessionDelivery, heapBytes: during.heap - before.heap, wasmBytes: during.wasm - before.wasm };
}

/**
 * A socket with no network behind it, standing in for the test server: it accepts the SDK's
 * `auth` (a resumable session and a paced rate, as the test server grants, or with
 * `StandInSocket.atMostOnce` the rate alone, as a server without resumable sessions), and each
 * message written to it is echoed back by `echo()`, on a resumable session with an `ack` after
 * every 32 as the server batches them. A message's echo is the very text the client wrote: in an
 * echo-only session the server's numbering follows the client's, so the reply costs nothing to
 * build, as the raw socket's does not either.
 */
class StandInSocket {
  /** Whether the next stand-in grants no resumable session. */
  static atMostOnce = false;
  #resumable = !StandInSocket.atMostOnce;
  readyState = 0;
  bufferedAmount = 0;
  binaryType = 'blob';
  #listeners = {};
  #written = [];
  #echoed = 0;

  constructor() {
    standIn = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.#dispatch('open');
    });
  }

  addEventListener(type, listener) {
    this.#listeners[type] = listener;
  }

  removeEventListener(type) {
    delete this.#listeners[type];
  }

  close() {
    this.readyState = 3;
  }

  send(text) {
    if (text.startsWith('{"type":"auth"')) {
      const session = this.#resumable ? { id: 'stand-in', resumed: false, lastSeq: 0 } : undefined;
      const limits = { messagesPerMinute: 100_000_000, maxMessageBytes: 65_536 };
      queueMicrotask(() => this.#dispatch('message', JSON.stringify({ type: 'auth_response', success: true, userId: 'bench', session, limits })));
    } else if (!text.startsWith('{"type":"ack"')) {
      this.#written.push(text);
    }
  }

  /** Delivers the echo of every message written since the last call, as separate frames. */
  echo() {
    for (const text of this.#written) {
      this.#dispatch('message', text);
      if (++this.#echoed % 32 === 0 && this.#resumable) this.#dispatch('message', `{"type":"ack","seq":${this.#echoed}}`);
    }
    this.#written.length = 0;
  }

  #dispatch(type, data) {
    this.#listeners[type]?.({ type, data });
  }
}

let standIn;
/** The SDKs on stand-in sockets, by kind (`sdk` exactly once, `sdkAtMostOnce`), with their sockets. */
const standIns = {};

/** An SDK authenticated on a stand-in socket, for `standInLoop`, of each kind. */
export async function openStandIn() {
  for (const [kind, delivery] of [['sdk', 'exactly-once'], ['sdkAtMostOnce', 'at-most-once']]) {
    const real = globalThis.WebSocket;
    globalThis.WebSocket = StandInSocket;
    StandInSocket.atMostOnce = kind === 'sdkAtMostOnce';
    try {
      // The SDK opens its socket within the constructor: `standIn` is then that socket.
      standIns[kind] = { ws: new SecureWebSocket('ws://127.0.0.1:9/stand-in', { getToken: () => 'stand-in-token' }), socket: standIn };
    } finally {
      globalThis.WebSocket = real;
    }
    await standIns[kind].ws.ready();
    if (standIns[kind].ws.delivery !== delivery) throw new Error(`the ${kind} stand-in session is ${standIns[kind].ws.delivery}`);
  }
}

/**
 * `count` echoes, one at a time and all in this one task, through the SDK on its stand-in socket
 * (`sdk` exactly once, `sdkAtMostOnce`), or through the raw socket's own part of the same echo (`raw`: `JSON.stringify` of the
 * message, `JSON.parse` of the reply, its handler called). What is left between the two is the
 * SDK's own work per message: no IPC, no server and no arrival pattern to vary between runs.
 * Returns the number of messages the handler saw.
 */
export function standInLoop(kind, count = 20_000) {
  let received = 0;
  if (kind === 'raw') {
    const onmessage = (event) => (JSON.parse(event.data), (received += 1));
    for (let seq = 0; seq < count; seq++) onmessage({ type: 'message', data: JSON.stringify({ ...MESSAGE, seq }) });
    return received;
  }
  const { ws, socket } = standIns[kind];
  const off = ws.on('message', () => (received += 1));
  for (let seq = 0; seq < count; seq++) {
    ws.send({ ...MESSAGE, seq });
    socket.echo();
  }
  off();
  if (ws.queuedCount > 32) throw new Error(`${ws.queuedCount} messages left unacknowledged`);
  return received;
}

export function closeStandIn() {
  for (const { ws } of Object.values(standIns)) {
    ws.close();
    ws.free();
  }
}


export async function login() {
  await post('/api/login', { username: 'bench', password: 'bench-pass' });
}

Object.assign(globalThis, { bench: { login, openSession, runLoop, closeSession, throughput, latency, ready, reconnect, cycles, queued, unacknowledged, openStandIn, standInLoop, closeStandIn } });
document.getElementById('status').textContent = 'ready';
