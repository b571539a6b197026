// Importing the packed package, as server-side rendering does, runs every module of it (the glue,
// the loader, the inlined wasm) and must touch no browser global and compile no wasm. Its own
// file, so that this is the process's first import of the package.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const tarball = process.env.SECURE_WS_TARBALL;
assert.ok(tarball, 'SECURE_WS_TARBALL names the packed package (scripts/test.sh sets it)');
const unpacked = mkdtempSync(join(tmpdir(), 'secure-ws-ssr-'));
after(() => rmSync(unpacked, { recursive: true, force: true }));

test('importing the package touches no browser global and compiles no wasm', async () => {
  execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
  const touched = [];
  const traps = ['window', 'document', 'WebSocket', 'location', 'self', 'fetch'];
  const saved = Object.fromEntries(traps.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]));
  for (const name of traps) {
    Object.defineProperty(globalThis, name, { configurable: true, get: () => void touched.push(name) });
  }
  const { Module } = WebAssembly;
  WebAssembly.Module = function (...args) {
    touched.push('WebAssembly.Module');
    return new Module(...args);
  };
  let entry;
  try {
    entry = await import(pathToFileURL(join(unpacked, 'package/js/index.js')));
  } finally {
    WebAssembly.Module = Module;
    for (const name of traps) {
      if (saved[name]) Object.defineProperty(globalThis, name, saved[name]);
      else delete globalThis[name];
    }
  }
  assert.equal(typeof entry.SecureWebSocket, 'function');
  assert.deepEqual(touched, []);
});
