// `npm pack` as a release would run it: in a fresh clone of HEAD (no pkg/, no node_modules), so
// only `prepack` can have built what the tarball holds. Prints the tarball's path.
// The clone builds in a cargo target dir of its own, kept across runs (dependencies compile once):
// sharing the checkout's would let one reuse the other's wasm, which records its crate's path.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repo } from '../support/browser.mjs';

const clone = mkdtempSync(join(tmpdir(), 'secure-ws-clone-'));
const out = join(repo, 'target/package');
const run = (cmd, args, cwd, env = {}) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } }).toString();
try {
  run('git', ['clone', '--quiet', '--no-hardlinks', repo, clone]);
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], clone);
  mkdirSync(out, { recursive: true });
  const name = run('npm', ['pack', '--silent', '--pack-destination', out], clone, { CARGO_TARGET_DIR: join(repo, 'target/pack') })
    .trim()
    .split('\n')
    .pop();
  const tarball = join(out, 'secure-ws.tgz');
  renameSync(join(out, name), tarball);
  console.log(tarball);
} finally {
  rmSync(clone, { recursive: true, force: true });
}
