// The token leaves nothing in the wasm's memory once it is dropped (README, "Security notes"): the
// package as built (pkg/, js/index.js, the glue as scripts/inline-wasm.mjs leaves it), in Node, on
// a stand-in socket. The glue copies the token into the wasm once, into a buffer of its exact size
// (no `realloc`, which moves a buffer and leaves the old one behind); the core zeroes that buffer
// and every frame it wrote the token into when it drops them, and sizes those frames once
// (tests/token_memory.rs holds the core to it natively). So after `auth`, a re-authentication and
// `close()`, no 12 bytes of either token are anywhere in the wasm's memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket, authenticate, until, watchWasmMemory } from './stand-in.mjs';

const wasm = watchWasmMemory();

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

/** Which of `needles` (byte strings) the wasm's memory holds. */
function foundIn(needles) {
  const bytes = Buffer.from(wasm.memory.buffer);
  return needles.filter((needle) => bytes.includes(needle));
}

/** Every 12 bytes of `token`, in UTF-8 as the token's string holds it and JSON-escaped as a frame does. */
function pieces(token) {
  const forms = [Buffer.from(token), Buffer.from(JSON.stringify(token).slice(1, -1))];
  return forms.flatMap((form) => Array.from({ length: form.length - 11 }, (_, i) => form.subarray(i, i + 12)));
}

test('after auth, a re-authentication, a server quoting both tokens and close(), no piece of either is left in the wasm memory', async () => {
  const tokens = [
    // ASCII, JWT-shaped, longer than a frame's first guess at its size.
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsInRlc3QiOiJ0b2tlbi1tZW1vcnkifQ.c2lnbmF0dXJlLW9uZS1zaWduYXR1cmU',
    // A long ASCII start, then characters that are not: the glue's old path copied the start into
    // a buffer it then moved; and characters JSON escapes.
    `ascii-start-of-the-second-token-${'0123456789'.repeat(30)}-ünïcødé-🔑-"quoted"-\\-end`,
  ];
  const given = [...tokens];
  const ws = new SecureWebSocket('ws://127.0.0.1:1/ws', { getToken: () => given.shift(), reauthIntervalMs: 1 });
  await until(() => StandInSocket.last);
  const socket = await authenticate(ws);
  const errors = [];
  ws.on('error', (error) => errors.push(error.message));
  // A server that quotes the token back: the texts the SDK withholds are zeroed too.
  socket.frame({ type: 'error', code: 'bad_token', message: `not valid: ${tokens[0]}` });
  // The periodic re-authentication, a millisecond later, with the second token.
  await until(() => socket.sent.length === 2);
  socket.frame({ type: 'reauth_response', success: true });
  // A close reason holds at most 123 bytes: 40 of the second token.
  const closes = [];
  ws.on('close', (event) => closes.push(event.reason));
  socket.closedByServer(4000, `expired ${tokens[1].slice(100, 140)}`);
  await until(() => closes.length === 1);
  ws.close();
  await until(() => ws.state === 'closed');
  assert.deepEqual([errors[0], closes[0]], ['(withheld: it quoted the token)', '(withheld: it quoted the token)']);

  // Both tokens went in and out of the wasm.
  assert.deepEqual(socket.sent.map((frame) => [JSON.parse(frame).type, JSON.parse(frame).token]), [['auth', tokens[0]], ['reauth', tokens[1]]]);
  // The scan sees the wasm's memory: it finds the protocol's own text there.
  assert.deepEqual(foundIn([Buffer.from('{"type":"ping"}')]).length, 1);
  for (const token of tokens) {
    const left = foundIn(pieces(token)).map(String);
    assert.deepEqual(left, [], `pieces of a token left in wasm memory: ${JSON.stringify(left.slice(0, 3))}`);
  }
  ws.free();
});
