#!/usr/bin/env bash
# `npm run bench` (size half): what the wasm is made of. The npm build's wasm, rebuilt with its
# function names kept (wasm-opt -g: same optimisations, names not stripped), through `twiggy top`.
# Prints the largest items; the shipped sizes themselves come from scripts/size.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
command -v twiggy >/dev/null || cargo install twiggy --locked
out=target/size-report
mkdir -p "$out"
npm_wasm_flags
cargo build -q --release --target wasm32-unknown-unknown --lib --no-default-features --features js
wasm-bindgen --target bundler --out-dir "$out" --out-name secure_ws target/wasm32-unknown-unknown/release/secure_ws.wasm
# The flags of Cargo.toml's [package.metadata.wasm-pack.profile.release], plus -g.
flags=$(sed -n 's/^wasm-opt = \[\(.*\)\]/\1/p' Cargo.toml | tr -d '",')
# shellcheck disable=SC2086
wasm-opt $flags -g "$out/secure_ws_bg.wasm" -o "$out/named.wasm"
twiggy top -n "${1:-30}" "$out/named.wasm"
