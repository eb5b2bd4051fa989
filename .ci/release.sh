#!/usr/bin/env bash
# The release build that run.sh serves and test.sh tests: the server, the page's files
# (named by their content), the log writer's module and worker, and every static file
# beside its brotli (quality 11) and gzip (level 9) forms, so the server never compresses
# a file per request (server/src/http/assets.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo leptos build --release --precompress --project user-provisioning
# The log-file writer: a wasm module of its own, run in a Web Worker when a download starts.
bash frontend/log-writer/build.sh
# Every static file, once, beside its forms: gzip -9 (cargo-leptos's own gzip is weaker,
# the page's wasm about 17 % larger) and brotli 11 where cargo-leptos wrote none or an
# older one (the log writer's files). Without the brotli command, browsers get gzip.
find target/site -type f ! -name '*.gz' ! -name '*.br' -print0 |
  while IFS= read -r -d '' f; do
    gzip -9 -n -k -f "$f"
    if [ ! "$f.br" -nt "$f" ] && command -v brotli >/dev/null; then brotli -q 11 -k -f "$f"; fi
  done
