#!/usr/bin/env bash
# Builds the SDK and the demo, then serves the demo from the test server at one origin.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
(cd www && npx --yes vite build --logLevel warn)
cargo build --release -p secure-ws-test-server
port="${DEMO_PORT:-8080}"
echo
echo "secure-ws demo: http://127.0.0.1:$port/   (users alice / alice-pass and bob / bob-pass; Ctrl-C stops)"
# The demo's own fault buttons (--demo-faults), never the test controls: those act on any user.
exec target/release/secure-ws-test-server --port "$port" --demo-faults --static www/dist
