#!/usr/bin/env bash
# Builds the log-file writer's wasm module and its Web Worker into target/site/log-writer/,
# where the server serves them beside the page's module. It is built apart from the page's
# module (which `cargo leptos build` makes small) so that it can be built for speed:
# opt-level 3 and wasm SIMD. The page fetches it only when a download starts.
#
# LOG_WRITER_FEATURES adds crate features (the benchmark's `bench`), LOG_WRITER_TARGET
# picks wasm-bindgen's output (no-modules for the worker, nodejs for the benchmark) and
# LOG_WRITER_OUT the folder. `.ci/release.sh` compresses what it writes, with the page's
# files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
features="log-writer${LOG_WRITER_FEATURES:+,$LOG_WRITER_FEATURES}"
target="${LOG_WRITER_TARGET:-no-modules}"
out="${LOG_WRITER_OUT:-target/site/log-writer}"

RUSTFLAGS="-C target-feature=+simd128" cargo build -p frontend --lib \
  --target wasm32-unknown-unknown --profile wasm-writer \
  --no-default-features --features "$features"
wasm-bindgen target/wasm32-unknown-unknown/wasm-writer/frontend.wasm \
  --target "$target" --out-dir "$out" --out-name log_writer --no-typescript
# The features named are those the compiler used (Rust's wasm defaults and SIMD).
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
  "$out/log_writer_bg.wasm" -o "$out/log_writer_bg.wasm"
if [ "$target" = no-modules ]; then
  cp frontend/log-writer/worker.js "$out/worker.js"
fi
