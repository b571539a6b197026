// src/api/codes.js holds the numbers the wasm's `Session` and its JavaScript half exchange, which
// src/api/session.rs defines in its `kind` (actions), `input` and `status` modules: a number that
// drifts on one side only would have the driver run the wrong action, tell the wrong input or read
// the wrong status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const codes = await import(join(repo, 'src/api/codes.js'));
const rust = readFileSync(join(repo, 'src/api/session.rs'), 'utf8');

/** The `pub const NAME: u32 = N;` of `mod name { … }` in session.rs. */
function rustModule(name) {
  const body = rust.match(new RegExp(`\\nmod ${name} \\{\\n([\\s\\S]*?)\\n\\}`))?.[1];
  assert.ok(body, `session.rs has no mod ${name}`);
  return Object.fromEntries([...body.matchAll(/pub const (\w+): u32 = (\d+);/g)].map(([, key, n]) => [key, Number(n)]));
}

// codes.js names the status numbers with a prefix: `status::QUEUED` is `STATUS_QUEUED`.
for (const [name, prefix] of [['kind', ''], ['input', ''], ['status', 'STATUS_']]) {
  test(`codes.js holds session.rs's ${name} numbers, each the same`, () => {
    const numbers = rustModule(name);
    assert.ok(Object.keys(numbers).length >= 6, `too few constants read: ${JSON.stringify(numbers)}`);
    for (const [key, n] of Object.entries(numbers)) {
      // NONE (0) is the end of the actions: the driver loops while the answer is truthy.
      if (key === 'NONE') continue;
      assert.equal(codes[prefix + key], n, `${name}::${key}`);
    }
  });
}

// An error action names its code by index: codes.js's ERROR_CODES must list core::error's CODES
// in the same order, or every error the core reports would reach the app under another code.
test("codes.js's ERROR_CODES are core::error's CODES, in order", () => {
  const errors = readFileSync(join(repo, 'src/core/error.rs'), 'utf8');
  const list = errors.match(/\nconst CODES: \[&str; (\d+)\] = \[([\s\S]*?)\];/);
  assert.ok(list, 'error.rs has no CODES list');
  const rust = [...list[2].matchAll(/"(\w+)"/g)].map(([, code]) => code);
  assert.equal(rust.length, Number(list[1]));
  assert.deepEqual(codes.ERROR_CODES, rust);
  // And index() numbers the variants 0, 1, 2, … in that order (as_str reads CODES by it).
  const index = errors.match(/pub fn index\(&self\) -> u32 \{([\s\S]*?)\n {4}\}/)?.[1];
  assert.ok(index, 'error.rs has no ErrorCode::index');
  assert.deepEqual([...index.matchAll(/=> (\d+),/g)].map(([, n]) => Number(n)), rust.map((_, i) => i));
});
