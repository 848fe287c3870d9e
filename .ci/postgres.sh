# Throwaway PostgreSQL 15 server for the test suite. Source this file, then call start_postgres:
# it starts a server on 127.0.0.1 at a free port in a temporary directory, creates the database
# chirp_test, exports TEST_DATABASE_URL and stops and removes everything on exit.
# shellcheck shell=bash

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_as_postgres() {
  # initdb refuses to run as root, so root runs the server as the postgres user.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_postgres() {
  if [ -n "${CHIRP_PG_DIR:-}" ] && [ -d "$CHIRP_PG_DIR" ]; then
    _as_postgres "$PG_BIN/pg_ctl" -D "$CHIRP_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$CHIRP_PG_DIR"
  fi
}

start_postgres() {
  CHIRP_PG_DIR=$(mktemp -d /tmp/chirp-pg.XXXXXX)
  trap stop_postgres EXIT
  [ "$(id -u)" -ne 0 ] || chown postgres "$CHIRP_PG_DIR"
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  _as_postgres "$PG_BIN/initdb" -D "$CHIRP_PG_DIR/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
  # Durability settings are off: the data is thrown away and speed matters more.
  _as_postgres "$PG_BIN/pg_ctl" -D "$CHIRP_PG_DIR/data" -l "$CHIRP_PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$CHIRP_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE chirp_test" >/dev/null
  export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/chirp_test"
  echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}
