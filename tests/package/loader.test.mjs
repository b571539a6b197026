// The hand-written loader against what wasm-bindgen generates (pkg/, built by scripts/build.sh):
// the public class is the JavaScript class (src/api/secure-web-socket.js) over the wasm's state
// machine; the loader starts the wasm the way wasm-pack's own entry does, so a wasm-bindgen
// upgrade that changes that fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const glue = await import(join(repo, 'pkg/secure_ws_bg.js'));
const base = await import(join(repo, 'pkg/secure-web-socket.js'));
const { SecureWebSocket } = await import(join(repo, 'js/index.js'));

test('the package exports the JS class: every member inherited, none redefined', () => {
  assert.equal(Object.getPrototypeOf(SecureWebSocket.prototype), base.SecureWebSocket.prototype);
  assert.deepEqual(Object.getOwnPropertyNames(SecureWebSocket.prototype), ['constructor']);
  const members = ['send', 'sendWithReceipt', 'on', 'ready', 'close', 'free', 'state', 'queuedCount', 'delivery',
    'nextReauthInMs', 'sharing', 'onMessage', 'onAuthenticated', '_handOver', '_nextId'];
  for (const key of members) assert.ok(key in SecureWebSocket.prototype, `${key} is reachable`);
  // The wasm exports the state machine only: the class and its driver are JavaScript (issue 14).
  assert.equal(typeof glue.SecureWsSession, 'function');
  assert.equal(glue.SecureWebSocket, undefined);
});

test("the loader starts the wasm as wasm-pack's bundler entry does", () => {
  const entry = readFileSync(join(repo, 'pkg/secure_ws.js'), 'utf8');
  const statements = entry.split('\n').filter((line) => /^\s*[a-z_]+[\w.]*\(/i.test(line)).map((line) => line.trim());
  assert.deepEqual(statements, ['__wbg_set_wasm(wasm);', 'wasm.__wbindgen_start();']);
  const loader = readFileSync(join(repo, 'js/instantiate.js'), 'utf8');
  assert.match(loader, /glue\.__wbg_set_wasm\(exports\);\s*exports\.__wbindgen_start\(\);/);
});

test('the constructor instantiates the wasm on first use and keeps its synchronous errors', () => {
  assert.throws(() => new SecureWebSocket('ws://127.0.0.1:1/ws', { tokenUrl: 42 }), { code: 'invalid_options' });
  assert.throws(() => new SecureWebSocket('ws://example.com/ws', { tokenUrl: '/t' }), { code: 'insecure_url' });
  // Options that only the core can refuse are refused as in a browser; valid ones, with no
  // browser (a server render), get a named error, not a TypeError.
  assert.throws(() => new SecureWebSocket('ws://127.0.0.1:1/ws', { tokenUrl: '/t', maxQueuedMessages: 0 }), { code: 'invalid_options' });
  assert.throws(() => new SecureWebSocket('ws://127.0.0.1:1/ws', { tokenUrl: '/t' }), { code: 'invalid_argument' });
});
