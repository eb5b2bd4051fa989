#!/usr/bin/env bash
# Builds User Provisioning and starts it on http://127.0.0.1:3000 with demo data in
# a SQLite file under ./data/. Set DATABASE_URL=postgres://… to use PostgreSQL, and
# UP_ADDR=host:port to listen elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
source .ci/tools.sh
bash .ci/release.sh
exec env LEPTOS_ENV=PROD ./target/release/server serve --demo
