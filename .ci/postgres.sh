#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on localhost and print its URL.
# Installs PostgreSQL with apt-get when it is missing. Usage:
#   url=$(.ci/postgres.sh start)   ...   .ci/postgres.sh stop
set -euo pipefail
PGPORT="${MISSIONBASE_PG_PORT:-55432}"
PGDATA_DIR="${MISSIONBASE_PG_DIR:-/tmp/missionbase-pg-$PGPORT}"

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dir=$(dirname "$(command -v initdb)")
  fi
  echo "$dir"
}

as_pg_user() {
  # initdb refuses to run as root; CI runs as root.
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  bin=$(find_bin)
  if [ -z "$bin" ]; then
    echo "installing PostgreSQL with apt-get..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    bin=$(find_bin)
  fi
  if [ "$(id -u)" = "0" ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home /var/lib/postgresql postgres
  fi
  if ! as_pg_user "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    rm -rf "$PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    [ "$(id -u)" = "0" ] && chown postgres "$PGDATA_DIR"
    as_pg_user "$bin/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >/dev/null
    as_pg_user "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$PGDATA_DIR/log" -w \
      -o "-p $PGPORT -k $PGDATA_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  fi
  echo "postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres"
}

stop() {
  local bin
  bin=$(find_bin)
  [ -n "$bin" ] && as_pg_user "$bin/pg_ctl" -D "$PGDATA_DIR" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
