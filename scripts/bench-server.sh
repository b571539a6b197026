#!/usr/bin/env bash
# The server load test (part of `npm run bench`, never of `npm test`): 10,000 concurrent
# authenticated connections on the release server with pings every 5 s, memory per connection
# and p99 echo latency. Writes bench/results/server-load.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
connections="${LOAD_CONNECTIONS:-10000}"
# Each connection is a socket on both ends, in one machine.
# (The soft limit up to the hard one; 10,000 needs a little over 10,000 per process.)
ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p secure-ws-test-server --bins
export USERS="load:load-pass" MAX_CONNECTIONS_PER_IP=$((connections + 10)) MAX_CONNECTIONS_PER_USER=$((connections + 10))
export PING_INTERVAL_MS=5000 RATE_LIMIT_PER_MINUTE=600
# One token per connection, all minted within a minute.
export TOKENS_PER_MINUTE=$((connections + 10))
out=$(mktemp)
target/release/secure-ws-test-server --port 0 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do grep -q '^listening on ' "$out" && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' "$out")
mkdir -p bench/results
target/release/secure-ws-load "$addr" "$pid" "$connections" | tee bench/results/server-load.json
