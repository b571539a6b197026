#!/usr/bin/env bash
# Builds the npm package into pkg/: the bundler build (Vite, webpack: imported with no plugin and
# no init step) and, in pkg/web/, the web build for plain <script type="module"> pages (explicit
# `await init()`). The hand-written package.json at the root is the manifest (--no-pack).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# The npm package is the JavaScript class and its allocator (feature `js`, off for Rust apps),
# without the Rust API (default feature `rust-api`): see Cargo.toml's [features].
features=(--no-default-features --features js)
wasm-pack build --release --target bundler --out-dir pkg --out-name secure_ws --no-pack -- "${features[@]}"
wasm-pack build --release --target web --out-dir pkg/web --out-name secure_ws --no-pack -- "${features[@]}"
# wasm-pack writes a `*` .gitignore into each output folder, which npm would honour and so drop
# pkg/web and the snippets from the tarball. The root .gitignore already keeps pkg/ out of git.
rm -f pkg/.gitignore pkg/web/.gitignore
