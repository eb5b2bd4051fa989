#!/usr/bin/env bash
# What the log-file writers would add to the page's module: builds the page's module twice
# the same way (profile wasm-release, wasm-bindgen, wasm-opt -Oz), once as it ships and once
# with the writers linked in, builds the writer's own module, and prints raw and gzip -9
# sizes. Needs wasm-bindgen and wasm-opt (see .ci/tools.sh).
#
#   bash frontend/log-writer/size.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out="target/wasm-size"
rm -rf "$out" && mkdir -p "$out"

page() { # $1: output name, $2: extra features
  cargo build -q -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release \
    --features "hydrate$2"
  wasm-bindgen target/wasm32-unknown-unknown/wasm-release/frontend.wasm --target web \
    --out-dir "$out/$1" --out-name page --no-typescript
  wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
    "$out/$1/page_bg.wasm" -o "$out/$1/page_bg.wasm"
}
page shipped ""
page with-writers ",log-writer"
LOG_WRITER_OUT="$out/writer" bash frontend/log-writer/build.sh >/dev/null

row() { # $1: label, $2: file
  printf '| %s | %s | %s |\n' "$1" "$(wc -c <"$2")" "$(gzip -9 -c "$2" | wc -c)"
}
echo "| module | raw (bytes) | gzip -9 (bytes) |"
echo "|---|---:|---:|"
row "the page's, as it ships (no writer code)" "$out/shipped/page_bg.wasm"
row "the page's with the writers linked in (the baseline)" "$out/with-writers/page_bg.wasm"
row "the writer's own, fetched by the worker on the first download" "$out/writer/log_writer_bg.wasm"
