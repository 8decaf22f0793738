#!/usr/bin/env bash
# The desk's intake rate (reports/s) into SQLite and PostgreSQL, in
# alternating rounds (src/bin/desk_intake.rs). Starts a throwaway
# PostgreSQL server with .ci/postgres.sh (Debian's postgresql package).
#   usage: benches/desk_intake.sh [REPORTS=2000] [ROUNDS=5] [CONCURRENCY=8]
set -euo pipefail
cd "$(dirname "$0")/.."
reports="${1:-2000}"; rounds="${2:-5}"; concurrency="${3:-8}"
cargo build --release -q -p hashwall-benches --bin desk_intake
pg_dir="$(mktemp -d /tmp/hashwall-pg-bench.XXXXXX)"
url="$(.ci/postgres.sh "$pg_dir")"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
trap 'su postgres -c "$pg_bin/pg_ctl -D $pg_dir/data -m fast stop" >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
target/release/desk_intake "$reports" "$rounds" "$concurrency" "$url"
