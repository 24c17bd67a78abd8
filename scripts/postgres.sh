#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster on a free loopback port, in a temporary folder.
# Usage: source scripts/postgres.sh   (exports KINFOLD_TEST_POSTGRES_URL; call pg_stop to stop)
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/pg_ctl" ] || bash "$(dirname "${BASH_SOURCE[0]}")/install-system.sh"
PGPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PGROOT=$(mktemp -d /tmp/kinfold-pg.XXXXXX)
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PGROOT"
as_pg "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log"
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null
export KINFOLD_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PGPORT/postgres"
pg_stop() {
  as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
