#!/usr/bin/env bash
# `npm test`: set-up, then every test. Native Rust tests (the core on a virtual clock, the test
# server over real HTTP/WebSocket), browser tests in headless Chrome and Firefox against the test
# server, and the demo's end-to-end test in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "format and lints (native and wasm32)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo clippy --target wasm32-unknown-unknown -p secure-ws --lib --test browser --test browser_tls -q -- -D warnings

step "native tests: session core and test server"
cargo test --workspace

step "browser tests"
cargo build -q -p secure-ws-test-server
# One user per browser test, so no test can consume another's faults or see its frames. The list
# is read from the tests' own `login("name")` calls, so it cannot drift from them.
USERS=$(grep -ho 'login("[a-z0-9-]*")' tests/browser/*.rs | sed 's/login("\(.*\)")/\1:\1-pass/' | sort -u | paste -sd, -)
export USERS
export ALLOWED_ORIGINS="http://127.0.0.1:$TEST_PAGE_PORT"
for browser in chrome firefox; do
  step "browser tests in headless $browser"
  log="target/test-server-$browser.log"
  # A fresh server per browser: its audit trail starts empty.
  start_server "$log" --port "$TEST_SERVER_PORT" --test-controls
  # The runner takes the first driver it finds in the environment: give it exactly one.
  if [ "$browser" = chrome ]; then
    env -u GECKODRIVER wasm-pack test --headless --chrome -- --test browser
  else
    env -u CHROMEDRIVER wasm-pack test --headless --firefox -- --test browser
  fi
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
env -u GECKODRIVER wasm-pack test --headless --chrome -- --test browser_tls
step "browser test over wss:// in headless firefox"
env -u CHROMEDRIVER wasm-pack test --headless --firefox -- --test browser_tls
stop_server
if grep -q 'eyJ' "$log"; then echo "a token reached the server log ($log)" >&2; exit 1; fi
unset USERS ALLOWED_ORIGINS

step "demo end-to-end (release build, Chromium)"
bash scripts/build.sh
step "TypeScript: the package's typings, as the demo and src/typecheck.ts use them"
(cd www && npx --yes tsc -p .)
step "the package as users get it: npm pack, a fresh Vite + React + TS app, a plain page"
node --test tests/package/
(cd www && npx --yes vite build --logLevel warn)
log=target/test-server-demo.log
start_server "$log" --port 0 --test-controls --demo-faults --static www/dist
DEMO_URL="http://$SERVER_ADDR/" node --test tests/e2e/
stop_server
if grep -q 'eyJ' "$log"; then echo "a token reached the server log ($log)" >&2; exit 1; fi

step "all tests passed"
