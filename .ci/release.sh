#!/usr/bin/env bash
# The release build that run.sh serves and test.sh tests: the server, the page's files
# (named by their content), the log writer's module and worker, and every static file
# beside its brotli (quality 11) and gzip (level 9) forms, so the server never compresses
# a file per request (server/src/assets.rs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo leptos build --release --precompress
# cargo-leptos writes brotli at quality 11, but its gzip is weaker than gzip -9 (the
# page's wasm about 17 % larger): browsers that take only gzip get -9.
find target/site -type f ! -name '*.gz' ! -name '*.br' -exec gzip -9 -n -k -f {} +
# The log-file writer: a wasm module of its own, run in a Web Worker when a download starts.
bash frontend/log-writer/build.sh
