#!/usr/bin/env bash
# Start a throw-away PostgreSQL on 127.0.0.1:PORT, run the given command with DATABASE_URL set, always stop it.
# Usage: tools/with-postgres.sh PORT command [args...]
set -euo pipefail
port=$1; shift
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdata=$(mktemp -d -t budget-pg.XXXXXX)
as_postgres() { if [[ $(id -u) == 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi; }
cleanup() {
  as_postgres "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$pgdata"
}
trap cleanup EXIT
[[ $(id -u) == 0 ]] && chown postgres:postgres "$pgdata"
as_postgres "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdata -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
as_postgres "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres budget_test
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/budget_test"
"$@"
