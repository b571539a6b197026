// A server's strings in protocol frames (an error's message, a user id) are copied into the wasm's
// memory, which never shrinks: a protocol frame over 65,536 characters is refused unread
// (PROTOCOL.md), so a hostile server cannot grow the page's memory for good, or past what the wasm
// can allocate (a trap would end the SDK). The package as built, in Node, on a stand-in socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';
import { StandInSocket, authenticate, until, watchWasmMemory } from './stand-in.mjs';

const wasm = watchWasmMemory();

const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

test("a server's 8 MB error frame is refused unread: the wasm memory does not grow, the connection lives on", async () => {
  const ws = new SecureWebSocket('ws://127.0.0.1:1/ws', { getToken: () => 'token-for-the-memory-test' });
  await until(() => StandInSocket.last);
  const socket = await authenticate(ws, StandInSocket.last, { type: 'auth_response', success: true, userId: 'alice' });
  const errors = [];
  const messages = [];
  ws.on('error', (error) => errors.push([error.code, error.serverCode ?? error.message]));
  ws.on('message', (message) => messages.push(message.type));
  const before = wasm.memory.buffer.byteLength;

  const huge = 'é'.repeat(4 * 1024 * 1024);
  socket.frame({ type: 'error', code: 'verbose', message: huge });
  socket.frame({ type: 'auth_response', success: false, error: huge });
  // What follows is read as ever: a small error, and an application message of any size.
  socket.frame({ type: 'error', code: 'small', message: 'read' });
  socket.frame({ type: 'chat', text: huge });

  assert.deepEqual(errors, [
    ['invalid_frame', 'a protocol frame over 65,536 characters: not read'],
    ['invalid_frame', 'a protocol frame over 65,536 characters: not read'],
    ['server_error', 'small'],
  ]);
  assert.deepEqual(messages, ['chat']);
  assert.equal(ws.state, 'authenticated');
  assert.equal(wasm.memory.buffer.byteLength, before, 'the wasm memory grew');
  ws.free();
});
