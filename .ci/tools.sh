#!/usr/bin/env bash
# Installs the build tools the README's commands need, skipping what is already there.
# Sourced by run.sh and test.sh: it also puts the tools on PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${UP_TOOLS_DIR:-$HOME/.cache/user-provisioning/tools}"
mkdir -p "$tools"
export PATH="$tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos 0.3.10" ]; then
  say "installing cargo-leptos 0.3.10 (about 20 minutes on 2 cores, once)"
  cargo install cargo-leptos --version =0.3.10 --locked
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
wb="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$root/Cargo.lock")"
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wb" ]; then
  say "installing wasm-bindgen-cli $wb"
  cargo install wasm-bindgen-cli --version "=$wb"
fi

# wasm-opt from npm's binaryen: Debian's older binaryen produces wasm that fails to hydrate.
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "132" ]; then
  say "installing wasm-opt (binaryen 132) into $tools"
  (cd "$tools" && npm install --no-audit --no-fund --silent binaryen@132.0.0)
fi
