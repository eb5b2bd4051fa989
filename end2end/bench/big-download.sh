#!/usr/bin/env bash
# A 100,000-entry log downloaded in the browser, both formats: how long the page's main
# thread is blocked with the file written in the worker (what ships) beside the same
# writer run on the page's thread, in one run. Prints a table (see BENCHMARKS.md).
#
#   bash .ci/release.sh   # or ./run.sh once
#   bash end2end/bench/big-download.sh
#
# It serves the demo on a fresh SQLite file, writes a 100,000-person export into the demo's
# drop folder, and syncs it with a worker: the run's result log has one entry per person.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/tools.sh
people="${UP_BENCH_PEOPLE:-100000}"
port="${UP_BENCH_PORT:-3200}"
dir="$(mktemp -d)"
server="$PWD/target/release/server"
export DATABASE_URL="sqlite://$dir/bench.db?mode=rwc"
export UP_DEMO_DROP_DIR="$dir/drop" UP_DEMO_EVOLVE_SECS=0
UP_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD UP_WORKERS=0 "$server" serve --demo >"$dir/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.5
done

say "writing a $people-person export and syncing it"
# The demo's 2,000 people stay (nobody is deactivated); the rest are new hires.
python3 - "$dir/drop/people.csv" "$people" <<'PY'
import sys
path, total = sys.argv[1], int(sys.argv[2])
lines = open(path).read().splitlines()
with open(path, "a") as f:
    for i in range(total - (len(lines) - 1)):
        n = 500000 + i
        f.write(f"E{n},new.hire.{n}@acme.example,New,Hire{n},Engineer,Engineering,,Active\n")
PY
"$server" run queue "Acme/HR export drop folder" >/dev/null
UP_WORKER_POLL_MS=200 "$server" worker --count 1 >"$dir/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 600); do
  latest="$("$server" run list --organisation Acme --limit 1 2>/dev/null | grep -E '^ *[0-9]+ ' | head -n1)"
  case "$latest" in *Success*|*"Needs Attention"*) break ;; esac
  sleep 1
done
kill $worker_pid 2>/dev/null || true
echo "$latest"

(cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
(cd end2end && BASE_URL="http://127.0.0.1:$port" UP_BENCH_PEOPLE="$people" \
  npx playwright test -c bench/playwright.config.ts)
