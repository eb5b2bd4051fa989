#!/usr/bin/env bash
# The first load on a slow link, the dashboard beside the bare Leptos app: both built as
# they ship (bench/page-weight.sh builds them), both served with their files precompressed,
# each loaded cold in Chromium on an emulated 1.6 Mbps / 150 ms link. Prints a table (see
# BENCHMARKS.md).
#
#   bash bench/page-weight.sh       # builds both, and prints their bytes
#   bash end2end/bench/first-load.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/tools.sh
port="${UP_BENCH_PORT:-3210}"
bare_port="${UP_BENCH_BARE_PORT:-3211}"
dir="$(mktemp -d)"
DATABASE_URL="sqlite://$dir/bench.db?mode=rwc" UP_DEMO_DROP_DIR="$dir/drop" UP_DEMO_EVOLVE_SECS=0 \
  UP_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD UP_WORKERS=0 \
  ./target/release/server serve --demo >"$dir/server.log" 2>&1 &
server_pid=$!
# The bare app reads its settings from the environment, as cargo-leptos would give them.
LEPTOS_OUTPUT_NAME=bare-leptos LEPTOS_SITE_ROOT=target/bare-site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR="127.0.0.1:$bare_port" LEPTOS_ENV=PROD \
  ./target/release/bare-leptos >"$dir/bare.log" 2>&1 &
bare_pid=$!
trap 'kill $server_pid $bare_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for p in "$port" "$bare_port"; do
  for _ in $(seq 1 120); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break
    sleep 0.5
  done
done
(cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
(cd end2end && BASE_URL="http://127.0.0.1:$port" BARE_URL="http://127.0.0.1:$bare_port" \
  npx playwright test -c bench/playwright.config.ts first-load)
