#!/usr/bin/env bash
# Installs what the tests need and runs them all: formatting, lints, unit, store
# (SQLite and PostgreSQL), router tests, then end-to-end tests in Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")"
source .ci/tools.sh

# Chromium for the end-to-end tests; OpenSSH's sshd (and ssh-keygen) for the SFTP tests.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
[ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null || missing+=(openssh-server openssh-client)
# brotli: the log writer's files are written compressed when built, as the page's are.
command -v brotli >/dev/null || missing+=(brotli)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Store tests use the local PostgreSQL; start it if it is installed but stopped.
if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  say "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
fi

# A real SMTP server for the alert tests: Python's aiosmtpd, in a virtual environment of
# its own.
smtp_venv="$tools/aiosmtpd"
if ! "$smtp_venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  say "installing aiosmtpd (the alert tests' SMTP server)"
  python3 -m venv "$smtp_venv"
  "$smtp_venv/bin/pip" install --quiet --disable-pip-version-check aiosmtpd==1.4.6
fi
export UP_TEST_SMTP_PYTHON="$smtp_venv/bin/python"

say "format and lints"
cargo fmt --all --check
cargo clippy -p app -p server --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --no-default-features \
  --features bench -- -D warnings

say "the wasm build carries no server-only crates"
if cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none \
    | grep -E '^(sea-orm|sea-query|sqlx|calamine|tokio|mio|argon2) '; then
  echo "server-only crates reached the wasm build" >&2
  exit 1
fi

say "unit, store and router tests"
cargo test -p app -p server

say "how Leptos' reactive graph behaves where the pages rely on it (effects on, one thread)"
cargo clippy -p reactivity-check --all-targets -- -D warnings
cargo test -p reactivity-check

say "the Syncs page's request mix on 20,000 runs, and the query plan of each statement it makes"
cargo test -p server --bench page_mix

say "one person's history on a small log, and the query plan of each statement it makes"
cargo test -p server --bench person_history

say "release build"
bash .ci/release.sh

say "end-to-end tests"
(cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
e2e_dir="$(mktemp -d)"
port="${E2E_PORT:-3100}"
# The server's alert emails go to a real SMTP server that keeps them in a Maildir, which
# the alert test reads.
smtp_port="${E2E_SMTP_PORT:-3125}"
"$UP_TEST_SMTP_PYTHON" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
  -c aiosmtpd.handlers.Mailbox "$e2e_dir/mail" >"$e2e_dir/smtp.log" 2>&1 &
smtp_pid=$!
# No workers in the server: the end-to-end tests read the seeded history as it was loaded
# (the live-view test starts a worker of its own for the one run it queues), and the
# demo export stays as first written, so that run reads a known, well-formed file.
export UP_SMTP_URL="smtp://127.0.0.1:$smtp_port" UP_MAIL_FROM="User Provisioning <alerts@localhost>" \
  UP_PUBLIC_URL="http://127.0.0.1:$port"
DATABASE_URL="sqlite://$e2e_dir/e2e.db?mode=rwc" UP_ADDR="127.0.0.1:$port" LEPTOS_ENV=PROD \
  UP_WORKERS=0 UP_DEMO_DROP_DIR="$e2e_dir/drop" UP_DEMO_EVOLVE_SECS=0 \
  ./target/release/server serve --demo >"$e2e_dir/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid $smtp_pid 2>/dev/null || true; wait $server_pid $smtp_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 $server_pid 2>/dev/null || { cat "$e2e_dir/server.log"; exit 1; }
  sleep 0.5
done
# The live-view test queues a run with the operators' CLI and runs it with a worker process,
# both on the server's database.
(cd end2end && BASE_URL="http://127.0.0.1:$port" E2E_SERVER_BIN="$PWD/../target/release/server" \
  E2E_DATABASE_URL="sqlite://$e2e_dir/e2e.db?mode=rwc" E2E_MAILDIR="$e2e_dir/mail" npx playwright test) || { tail -50 "$e2e_dir/server.log"; exit 1; }

say "fuzzing the source-file loader and the filter parser (${UP_FUZZ_SECS:-30}s each)"
bash .ci/fuzz.sh
