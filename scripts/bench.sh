#!/usr/bin/env bash
# `npm run bench`: measurements, never assertions. Results go to bench/results/ (latest.json,
# server-load.json) and a markdown table to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
bash scripts/build.sh
echo "=== server: 10,000 concurrent authenticated connections"
bash scripts/bench-server.sh
echo "=== size: the largest items of the wasm (twiggy top, names kept)"
bash scripts/size-report.sh 25
echo "=== browser: the SDK against the raw WebSocket, in headless Chromium"
node bench/run.mjs
