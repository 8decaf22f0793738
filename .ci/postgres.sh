#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the desk's storage tests and print
# its URL. The server listens on a Unix socket in DIR only (no TCP), trusts
# local connections, and runs as the `postgres` user (Debian's package).
#   usage: .ci/postgres.sh DIR      (stop: pg_ctl -D DIR/data stop)
set -euo pipefail
dir="${1:?usage: .ci/postgres.sh DIR}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
[ -x "$bin/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
mkdir -p "$dir"
chmod 755 "$dir"
chown postgres "$dir"
if [ ! -d "$dir/data" ]; then
  su postgres -c "$bin/initdb -D '$dir/data' -A trust -U postgres" >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
fi
su postgres -c "$bin/pg_ctl -D '$dir/data' -o \"-k '$dir' -c listen_addresses=''\" -l '$dir/log' -w start" >/dev/null \
  || { cat "$dir/log" >&2; exit 1; }
su postgres -c "psql -h '$dir' -U postgres -qc 'CREATE DATABASE desk_tests'" >/dev/null
echo "postgres://postgres@localhost/desk_tests?host=$dir"
