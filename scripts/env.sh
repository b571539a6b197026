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
# Firefox delays each reconnect to a host after an abnormal close by 200 ms or more
# (network.websocket.delay-failed-reconnects), so its 200-cycle leak test takes about a minute;
# the runner's default 20 s budget is too short for that.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-240}"

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
  start_server "$log" --port 0 --test-controls --static "$dir"
  env "$var=http://$SERVER_ADDR/" node --test "$tests"
  stop_server
  if grep -q 'eyJ' "$log"; then echo "a token reached the server log ($log)" >&2; return 1; fi
}
