#!/usr/bin/env bash
# Builds the npm package into pkg/ (bundler target: Vite and webpack import it with no plugin).
# The hand-written package.json at the root is the manifest, so wasm-pack writes none (--no-pack).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
wasm-pack build --release --target bundler --out-dir pkg --out-name secure_ws --no-pack
