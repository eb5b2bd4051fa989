#!/usr/bin/env bash
# Fuzzes the source-file loader (CSV/XLSX) and RunFilter parsing for a bounded time each
# (UP_FUZZ_SECS, default 30). cargo-fuzz runs on the stable toolchain without a sanitizer:
# Rust's own checks turn any out-of-bounds access or overflow into a crash it reports.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
source ../.ci/tools.sh
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "0.13.2" ]; then
  say "installing cargo-fuzz 0.13.2"
  cargo install cargo-fuzz --version =0.13.2 --locked
fi
secs="${UP_FUZZ_SECS:-30}"
# Build output sits beside the app's (the CI cache), in a folder of its own.
target="$(cd .. && pwd -P)/target/fuzz"
for t in run_filter source_file; do
  say "fuzzing $t for ${secs}s"
  mkdir -p "corpus/$t"
  # --release: built as the service is (no overflow checks); fuzzing with them on also
  # reports overflows inside the workbook parser, which the service survives.
  cargo fuzz run --release --sanitizer none --target-dir "$target" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
