#!/usr/bin/env bash
# Installs everything the build and the tests need, on a fresh machine of this kind, and does
# nothing but check on a warm one. Every step looks before it installs (see ../shared/TOOLCHAIN.md
# for why each tool is installed the way it is).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Browsers and drivers, from Debian. Never Debian's binaryen: its wasm-opt breaks release builds.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
command -v firefox-esr >/dev/null || command -v firefox >/dev/null || missing+=(firefox-esr)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || {
  say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown; }
# The standard library's sources: the npm wasm rebuilds `core` and `alloc` (npm_wasm_flags in
# scripts/env.sh).
rustup component list --installed | grep -q '^rust-src' || {
  say "adding the rust-src component"; rustup component add rust-src; }

command -v wasm-pack >/dev/null || { say "installing wasm-pack"; cargo install wasm-pack --locked; }

# wasm-pack uses the wasm-bindgen on PATH only when it is exactly the version in Cargo.lock.
locked_wasm_bindgen() { awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/[^0-9.]/, ""); print }' "$1"; }
wbg=$(locked_wasm_bindgen Cargo.lock)
[ -n "$wbg" ] || { echo "setup: no wasm-bindgen version found in Cargo.lock" >&2; exit 1; }
# The Leptos example and the framework apps have their own lock files and go through the same CLI.
for lock in examples/chat/Cargo.lock tests/rust-frameworks/*/Cargo.lock; do
  other=$(locked_wasm_bindgen "$lock")
  [ "$other" = "$wbg" ] || {
    echo "setup: $lock has wasm-bindgen $other, Cargo.lock $wbg: one CLI serves them all" >&2; exit 1; }
done
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wbg" ]; then
  say "installing wasm-bindgen-cli $wbg"
  # Not --locked: its lock file names a webpki-roots version the registry lacks.
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

command -v geckodriver >/dev/null || { say "installing geckodriver"; cargo install geckodriver --locked; }

# npm dependencies: the root (wasm-opt from npm binaryen, playwright-core) and the demo.
install_npm() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "npm install in $dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
  fi
}
install_npm .
install_npm www
say "ready"
