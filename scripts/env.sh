# Sourced by the other scripts: paths and the fixed loopback ports of the test setup.
# 127.0.0.1 everywhere, never localhost: they are different sites for cookies (TOOLCHAIN.md).
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export GECKODRIVER="${GECKODRIVER:-$HOME/.cargo/bin/geckodriver}"
# The test server for the browser tests, and the page wasm-bindgen-test serves them from.
export TEST_SERVER_PORT="${TEST_SERVER_PORT:-47411}"
export TEST_PAGE_PORT="${TEST_PAGE_PORT:-47412}"
export TLS_TEST_SERVER_PORT="${TLS_TEST_SERVER_PORT:-47413}"
export SECURE_WS_TEST_SERVER_ORIGIN="http://127.0.0.1:$TEST_SERVER_PORT"
export WASM_BINDGEN_TEST_ADDRESS="127.0.0.1:$TEST_PAGE_PORT"
# The secret every /test/* request must carry (x-test-controls), new for every run; the browser
# tests read it at compile time, the Node tests from the environment.
export TEST_CONTROLS_SECRET="${TEST_CONTROLS_SECRET:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
# Firefox delays each reconnect to a host after an abnormal close by 200 ms or more
# (network.websocket.delay-failed-reconnects), so its 200-cycle leak test takes about a minute;
# the runner's default 20 s budget is too short for that.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-240}"

# wasm_test chrome|firefox ARGS...: `wasm-pack test --headless` in that browser, with exactly one
# driver in the environment (the runner takes the first it finds). The runner's page server
# (tiny_http 0.12) can leave a request unread when the browser opens several connections at once:
# a race in its thread pool queues the new connection behind keep-alive connections, so a module
# of the test page waits until one of them closes (300 s in Chrome: "Timed out receiving message
# from renderer", the page stuck at "Loading scripts..."; 115 s in Firefox, its keep-alive
# timeout), and the runner then waits out its whole test timeout. Firefox is held to two
# connections per server (webdriver.json); Chromium has no such setting. So a page that has not started its tests 60 s (WASM_TEST_LOAD_SECONDS) after the
# browser was opened is abandoned and the run made again, three attempts in all. Once tests
# started, the run stands.
wasm_test() {
  local browser=$1 other=GECKODRIVER attempt log pid opened status
  shift
  [ "$browser" = firefox ] && other=CHROMEDRIVER
  for attempt in 1 2 3; do
    log=$(mktemp)
    env -u "$other" wasm-pack test --headless "--$browser" "$@" >"$log" 2>&1 &
    pid=$!
    # A background job ignores Ctrl-C: stop it (and its browser) with the script.
    trap 'kill_tree "$pid"; rm -f "$log"; exit 130' INT TERM
    opened=
    # Reads the runner's output once a second until the page reports that it loaded.
    while kill -0 "$pid" 2>/dev/null && ! grep -q 'Loading Wasm module' "$log"; do
      grep -q '^Running headless tests' "$log" && opened=${opened:-$SECONDS}
      if [ -n "$opened" ] && [ $((SECONDS - opened)) -gt "${WASM_TEST_LOAD_SECONDS:-60}" ]; then
        kill_tree "$pid"
        break
      fi
      sleep 1
    done
    if wait "$pid"; then status=0; else status=$?; fi
    trap - INT TERM
    cat "$log"
    # Passed, failed in its tests, or failed before a browser was opened (a build error): final.
    if [ "$status" = 0 ] || grep -q 'Loading Wasm module' "$log" || ! grep -q '^Running headless tests' "$log"; then
      rm -f "$log"
      return "$status"
    fi
    rm -f "$log"
    echo "the test page did not load in $browser (attempt $attempt of 3)" >&2
  done
  return 1
}

# kill_tree PID: stops a process and everything it started (wasm-pack, cargo, the runner, the
# driver, the browser).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

# start_server LOGFILE [ARGS...]: starts the test server in the background, waits for its
# "listening on" line, and sets SERVER_PID and SERVER_ADDR. The server is stopped on exit.
start_server() {
  local log=$1; shift
  local out; out=$(mktemp)
  target/debug/secure-ws-test-server "$@" >"$out" 2>"$log" &
  SERVER_PID=$!
  trap 'kill $SERVER_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    SERVER_ADDR=$(sed -n 's/^listening on //p' "$out")
    [ -n "$SERVER_ADDR" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log"; echo "test server failed to start" >&2; return 1; }
    sleep 0.1
  done
  echo "test server did not report its address" >&2; return 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# serve_and_test LOGFILE STATIC_DIR URL_VAR TEST_DIR: serves STATIC_DIR from a fresh test server
# (test controls on), runs the node tests in TEST_DIR with URL_VAR set to the page's URL, and fails
# if a token reached the server's log.
serve_and_test() {
  local log=$1 dir=$2 var=$3 tests=$4
  # The demo's own fault buttons are mounted too, as the demo runs them (scripts/demo.sh).
  start_server "$log" --port 0 --test-controls --demo-faults --static "$dir"
  env "$var=http://$SERVER_ADDR/" node --test "$tests"
  stop_server
  if grep -q 'eyJ' "$log"; then echo "a token reached the server log ($log)" >&2; return 1; fi
}

# npm_wasm_flags: for the npm wasm's release builds (build.sh, size-report.sh); never for a Rust
# app's build of the crate, nor for the tests' wasm.
# - `--cfg secure_ws_npm`: what only the npm wasm may have, talc as its global allocator and
#   `no_std` (src/lib.rs, Cargo.toml's `js`), so that no feature of the crate can give them to a
#   Rust app.
# - `core` and `alloc` rebuilt from source with panics that abort on the spot (`-Zbuild-std`,
#   `-Cpanic=immediate-abort`, `-Zlocation-detail=none`): the npm wasm's panic handler only traps
#   (src/lib.rs), yet every call that could panic in the prebuilt `alloc` and in wasm-bindgen still
#   passed its message and source location, kept in the data: −903 B of wasm gzip, −757 B shipped
#   (issue 14, README "Performance"). These options are unstable: this machine kind's stable rustc takes them under
#   RUSTC_BOOTSTRAP=1, set here for these two builds alone (every crate of them sees it:
#   proc-macro2's build probe turns on its nightly span API). A rustc that drops one fails the
#   build loudly; none changes what the code does, as a panic trapped before and traps now.
# With no source location left in the wasm, no path of this machine's is either: the shipped
# bytes do not depend on where cargo keeps its sources.
npm_wasm_flags() {
  export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=core,alloc
  export RUSTFLAGS="${RUSTFLAGS:-} --cfg secure_ws_npm -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
}
