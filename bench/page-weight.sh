#!/usr/bin/env bash
# The first page's weight beside the framework's own: builds the dashboard as it ships
# (.ci/release.sh) and the bare Leptos app (bench/bare-leptos) with the same cargo-leptos,
# profile (wasm-release: opt-level "z", fat LTO) and wasm-opt, then prints, for each file a
# cold load fetches before the page responds (script, wasm, stylesheet), its bytes raw,
# gzip -9 and brotli 11, and the dashboard ÷ bare ratio of the totals.
#
#   bash bench/page-weight.sh            # UP_SKIP_BUILD=1 to measure what is built
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source .ci/tools.sh
if [ -z "${UP_SKIP_BUILD:-}" ]; then
  bash .ci/release.sh >/dev/null
  cargo leptos build --release --precompress --project bare-leptos >/dev/null
  # Served as ours are (end2end/bench/first-load.sh): gzip -9 beside cargo-leptos's brotli.
  find target/bare-site -type f ! -name '*.gz' ! -name '*.br' -exec gzip -9 -n -k -f {} +
fi

# The dashboard's files carry their content's hash, as hash.txt beside the server names it.
hashes=target/release/hash.txt
ours() { # $1: js | wasm | css
  local h ext="$1"
  h="$(awk -v k="$1:" '$1 == k { print $2 }' "$hashes")"
  printf 'target/site/pkg/user-provisioning.%s.%s' "$h" "$ext"
}
bare() { printf 'target/bare-site/pkg/bare-leptos.%s' "$1"; }

sizes() { # raw, gzip -9, brotli 11 of a file, or zeros when there is none
  if [ -f "$1" ]; then
    echo "$(wc -c <"$1") $(gzip -9 -n -c "$1" | wc -c) $(brotli -q 11 -c "$1" | wc -c)"
  else
    echo "0 0 0"
  fi
}

declare -A total
echo "| file | dashboard raw | gzip -9 | brotli 11 | bare Leptos raw | gzip -9 | brotli 11 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for kind in wasm js css; do
  read -r our_raw our_gz our_br <<<"$(sizes "$(ours "$kind")")"
  read -r bare_raw bare_gz bare_br <<<"$(sizes "$(bare "$kind")")"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$kind" \
    "$our_raw" "$our_gz" "$our_br" "$bare_raw" "$bare_gz" "$bare_br"
  for k in our_raw our_gz our_br bare_raw bare_gz bare_br; do
    total[$k]=$(( ${total[$k]:-0} + ${!k} ))
  done
done
printf '| **total** | %s | %s | %s | %s | %s | %s |\n' "${total[our_raw]}" "${total[our_gz]}" \
  "${total[our_br]}" "${total[bare_raw]}" "${total[bare_gz]}" "${total[bare_br]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "dashboard ÷ bare: raw $(ratio "${total[our_raw]}" "${total[bare_raw]}")×," \
  "gzip $(ratio "${total[our_gz]}" "${total[bare_gz]}")×," \
  "brotli $(ratio "${total[our_br]}" "${total[bare_br]}")× (goal: gzip ≤ 1.5×)"
