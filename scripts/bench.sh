#!/usr/bin/env bash
# `npm run bench`: measurements, never assertions. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "=== server: 10,000 concurrent authenticated connections"
bash scripts/bench-server.sh
