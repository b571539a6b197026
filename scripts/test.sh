#!/usr/bin/env bash
# `npm test`: set-up, then every test. Native Rust tests (the core on a virtual clock, the test
# server over real HTTP/WebSocket), browser tests in headless Chrome and Firefox against the test
# server, and the demo's end-to-end test in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
# What git sees before anything runs: the run must leave the work tree as it found it (checked last).
tree_before=$( (git status --porcelain; git diff) | sha1sum)
bash scripts/setup.sh
source scripts/env.sh
# A run from a clean clone gains nothing from incremental caches, which cost ~1 GB of disk.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "format and lints (native and wasm32)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p secure-ws --features js --lib --test browser --test browser_tls -q -- -D warnings

step "native tests: session core and test server"
cargo test --workspace

step "browser tests"
cargo build -q -p secure-ws-test-server
# One user per browser test, so no test can consume another's faults or see its frames. The list
# is read from the tests' own `login("name")` calls, so it cannot drift from them.
USERS=$(grep -ho 'login("[a-z0-9-]*")' tests/browser/*.rs tests/browser_rust/*.rs | sed 's/login("\(.*\)")/\1:\1-pass/' | sort -u | paste -sd, -)
export USERS
export ALLOWED_ORIGINS="http://127.0.0.1:$TEST_PAGE_PORT"
for browser in chrome firefox; do
  step "browser tests in headless $browser"
  log="target/test-server-$browser.log"
  # A fresh server per browser: its audit trail starts empty. The chaos test (tests/browser/chaos.rs)
  # pushes 2,000 messages through two sessions: the per-connection rate limit is lifted for it (the
  # limit and the SDK's pacing to it are tested natively, in tests/server and src/core/tests). The
  # suites reconnect hundreds of times (a token each): the per-user token limit is lifted too.
  RATE_LIMIT_PER_MINUTE=600000 TOKENS_PER_MINUTE=1000000 start_server "$log" --port "$TEST_SERVER_PORT" --test-controls
  # The JS class's suite, then the Rust API's (issue 13), built as a Rust app builds the crate
  # (no `js`). wasm_test (scripts/env.sh) gives the runner one driver and retries a page that did
  # not load.
  # webdriver.json gives Firefox two prefs: its own delay before reconnecting after failures off
  # (it grows to a minute, and at a fault every 200 ms the chaos test would test that delay), and
  # at most two connections to a server (see wasm_test in scripts/env.sh).
  wasm_test "$browser" -- --features js --test browser
  wasm_test "$browser" -- --test browser_rust
  stop_server
  # The server log is a place a token must never reach: fail if any JWT shows up in it.
  if grep -q 'eyJ' "$log"; then echo "a token reached the server log ($log)" >&2; exit 1; fi
done

# Over TLS: the server generates a self-signed certificate; webdriver.json tells both browsers to
# accept it. The token comes through getToken (an http test page and an https API are cross-site
# for the SameSite=Strict session cookie; the Secure cookie is proven by the server's TLS test).
export SECURE_WS_TLS_TEST_SERVER_ORIGIN="https://127.0.0.1:$TLS_TEST_SERVER_PORT"
log=target/test-server-tls.log
start_server "$log" --port "$TLS_TEST_SERVER_PORT" --test-controls --tls
step "browser test over wss:// in headless chrome"
wasm_test chrome -- --features js --test browser_tls
step "browser test over wss:// in headless firefox"
wasm_test firefox -- --features js --test browser_tls
stop_server
if grep -q 'eyJ' "$log"; then echo "a token reached the server log ($log)" >&2; exit 1; fi
unset USERS ALLOWED_ORIGINS

# ---- Rust API (issue 13): secure_ws::rust_api lints and doc tests, the Leptos example, the crate ----
# The npm build is feature `js` (the JS class with the crate's allocator); the Rust API is the
# default feature `rust-api` (the same JS class, through `js-class`, with no allocator), checked here
# without `js`, as a Rust app depends on the crate. Its browser suite (tests/browser_rust) runs in
# the browser loop above, against the same server.
step "Rust API: clippy on wasm32 (as a Rust app builds it, and with every feature), doc tests"
# A library must not choose a Rust app's global allocator: talc comes only with the npm build's
# `--cfg secure_ws_npm`, with no feature, all of them on included. (The same listing with that cfg
# must show it, or this check could not see it at all.)
normal_deps() { cargo tree -q --target wasm32-unknown-unknown -p secure-ws -e normal --prefix none "$@"; }
grep -q '^talc ' <<<"$(RUSTFLAGS="--cfg secure_ws_npm" normal_deps --no-default-features --features js)" ||
  { echo "cargo tree shows no talc even for the npm build" >&2; exit 1; }
if grep -q '^talc ' <<<"$(normal_deps --all-features)"; then
  echo "a feature links talc: a Rust app would get the crate's allocator" >&2; exit 1
fi
cargo clippy --target wasm32-unknown-unknown -p secure-ws --no-default-features --features js-class --lib -q -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p secure-ws --lib --test browser_rust -q -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p secure-ws --all-features --lib --tests -q -- -D warnings
# The Rust API exists only on wasm32: its doc examples (all `no_run`: they need a browser and a
# server) are compiled for that target.
cargo test -q --doc --target wasm32-unknown-unknown -p secure-ws
# Every public item documented (#![deny(missing_docs)]) and no broken doc link, for docs.rs's target.
RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps --target wasm32-unknown-unknown -p secure-ws
# rust_app DIR NAME CRATE OUT URL_VAR TESTS: a Rust front-end on the crate, as its users build one:
# its own workspace and lock file in DIR, and its own target dir, target/NAME (two workspaces in one
# dir can hand rustc two builds of a shared crate); formatted, linted, built for wasm32, put
# through the wasm-bindgen CLI into DIR/pkg/OUT.js, served by a fresh test server and driven as a
# user would by TESTS in Chromium (serve_and_test: and no token in the server's log).
rust_app() {
  local dir=$1 name=$2 crate=$3 out=$4 var=$5 tests=$6
  local build=(--manifest-path "$dir/Cargo.toml" --target wasm32-unknown-unknown --target-dir "target/$name")
  cargo fmt --manifest-path "$dir/Cargo.toml" -- --check
  cargo clippy -q "${build[@]}" -- -D warnings
  cargo build -q "${build[@]}"
  wasm-bindgen --target web --out-name "$out" --out-dir "$dir/pkg" "target/$name/wasm32-unknown-unknown/debug/$crate.wasm"
  serve_and_test "target/test-server-$name.log" "$dir" "$var" "$tests"
}
step "Leptos example (examples/chat): build for wasm32, lints, end to end in Chromium"
rust_app examples/chat example secure-ws-chat-example chat CHAT_URL tests/example/
step "the crate in a Yew and a Dioxus app: lints, builds for wasm32, through the wasm-bindgen CLI, end to end in Chromium"
# Log in, a token_url socket with typed messages, a server-side close and the reconnect, the socket
# dropped on unmount (tests/rust-frameworks/APP.test.mjs).
for app in yew dioxus; do
  rust_app "tests/rust-frameworks/$app" "$app" "secure-ws-$app-check" app "${app^^}_URL" "tests/rust-frameworks/$app.test.mjs"
done
step "the crate as users get it: cargo package holds only the library and its docs"
listed=$(cargo package --list --allow-dirty -p secure-ws)
if grep -vE '^(src/|Cargo\.(toml|toml\.orig|lock)$|README\.md$|PROTOCOL\.md$|\.cargo_vcs_info\.json$)' <<<"$listed" \
  || grep -E '^src/core/tests/' <<<"$listed"; then
  echo "cargo package would ship the files above" >&2; exit 1
fi
cargo package -q --allow-dirty -p secure-ws --target wasm32-unknown-unknown
# A library's exact version requirement (`=X`) would make it unresolvable beside an app or framework
# that needs another version of that crate: the app's lock file picks the exact versions.
exact=$(cargo metadata -q --format-version 1 --no-deps | node -e '
  const { packages } = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const crate = packages.find((p) => p.name === "secure-ws");
  console.log(crate.dependencies.filter((d) => d.kind === null && d.req.startsWith("=")).map((d) => `${d.name} ${d.req}`).join("\n"));')
if [ -n "$exact" ]; then echo "the crate pins exact versions of its dependencies: $exact" >&2; exit 1; fi
# ---- end Rust API ----


# ---- packaging and frameworks (issue 12) ---------------------------------------------------------
step "the package: packed from a fresh clone (prepack builds it), its contents, its loader, the hook's parts"
bash scripts/build.sh
SECURE_WS_TARBALL=$(node tests/package/pack.mjs)
export SECURE_WS_TARBALL
node --test tests/package/
step "TypeScript: the package's typings, as the demo and its typecheck.ts use them"
(cd www && npx --yes tsc -p .)
step "the packed package in fresh apps: webpack 5, esbuild, Rollup, a plain page, Vite 8 (build and dev server), Next.js 16 (Turbopack, webpack, next dev)"
# Apps and their dependencies are cached in $TMPDIR/secure-ws-frameworks, keyed by each lock file.
NEXT_TELEMETRY_DISABLED=1 node --test --test-concurrency=1 tests/frameworks/
# ---- end of packaging and frameworks -------------------------------------------------------------

# ---- cross-tab sharing (issue 15) ----------------------------------------------------------------
step "shareAcrossTabs: one socket for N tabs, failover, session end, fallbacks, the hook (Chromium, Firefox)"
# Tabs of one Chromium context (Playwright) and of one Firefox profile (geckodriver) against the
# debug test server (one per test file, on port 0), with the package as scripts/build.sh left it in
# pkg/ above. The typings are checked with the demo's TypeScript.
www/node_modules/.bin/tsc -p tests/tabs
node --test --test-concurrency=1 tests/tabs/
# ---- end of cross-tab sharing --------------------------------------------------------------------

# ---- size (issue 14): what an app ships, gzip -9, against the budget ----------------------------
step "size: the package entry bundled and minified, wasm inlined, gzip -9 (scripts/size.mjs)"
node scripts/size.mjs --check
# ---- end of size ---------------------------------------------------------------------------------

step "demo end-to-end (release build, Chromium)"
(cd www && npx --yes vite build --logLevel warn)
serve_and_test target/test-server-demo.log www/dist DEMO_URL tests/e2e/

# ---- packaging and frameworks: the work tree is as the run found it (no lock file rewritten) -----
if [ "$( (git status --porcelain; git diff) | sha1sum)" != "$tree_before" ]; then
  git status --porcelain >&2
  echo "the test run changed the work tree" >&2
  exit 1
fi

step "all tests passed"
