#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL (Debian's PostgreSQL 15) on another port: CI's
# replica step, and the replica path tried by hand. pg_basebackup -R copies the primary into
# DIR/data and writes its standby settings; the replica runs from there as the postgres user
# with Debian's pg_ctl, on 127.0.0.1 and a free port, its socket in DIR.
#
#   scripts/replica.sh start DIR [PRIMARY_PORT]   prints the replica's port
#   scripts/replica.sh stop DIR                   stops it, deletes DIR/data, undoes the primary's
#                                                 pg_hba line if start added it
#
# The primary must let the replication connection in: when its pg_hba.conf has no replication
# rule for 127.0.0.1, start adds one (marked, trust, 127.0.0.1/32 only) and reloads it; stop
# removes exactly that line again. Point the app at the replica with
# DATABASE_REPLICA_URL=postgres://postgres@127.0.0.1:<port>/<db> (docs/configuration.md).
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start DIR [PRIMARY_PORT] | stop DIR" >&2
  exit 2
fi
version="${PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -1)}"
bin="/usr/lib/postgresql/$version/bin"
marker="# breach-compensation scripts/replica.sh"

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
primary_sql() {
  psql -qAtX -h 127.0.0.1 -p "$primary_port" -U postgres -d postgres -c "$1"
}

case "$command" in
start)
  primary_port="${3:-5432}"
  mkdir -p "$dir"
  hba="$(primary_sql "SHOW hba_file")"
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+[^[:space:]]+[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    printf 'host replication all 127.0.0.1/32 trust %s\n' "$marker" >>"$hba"
    echo "$hba" >"$dir/hba_added"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
  fi
  # A hot standby needs these at least as high as its primary's.
  settings="$(primary_sql "SELECT string_agg(name || ' = ' || setting, E'\n') FROM pg_settings
    WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
                   'max_prepared_transactions', 'max_locks_per_transaction')")"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  rm -rf "$dir/data"
  mkdir -p "$dir/data"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$dir"; fi
  chmod 700 "$dir/data"
  as_owner "$bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/data" \
    -R -X stream -c fast
  # Debian keeps the primary's configuration in /etc: the copy gets its own, minimal one.
  cat >"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
hot_standby = on
shared_buffers = 64MB
$settings
CONF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/data/pg_hba.conf"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$dir"; fi
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/replica.log" -w -t 60 start >/dev/null
  for _ in $(seq 100); do
    if [[ "$(psql -qAtX -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -c "SELECT pg_is_in_recovery()" 2>/dev/null)" == "t" ]]; then
      echo "$port" >"$dir/port"
      echo "$port"
      exit 0
    fi
    sleep 0.2
  done
  echo "the replica did not come up on port $port; its log:" >&2
  cat "$dir/replica.log" >&2 || true
  exit 1
  ;;
stop)
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir/data"
  if [[ -f "$dir/hba_added" ]]; then
    hba="$(cat "$dir/hba_added")"
    grep -vF "$marker" "$hba" >"$hba.tmp" && cat "$hba.tmp" >"$hba" && rm -f "$hba.tmp"
    psql -qAtX -h 127.0.0.1 -U postgres -d postgres -c "SELECT pg_reload_conf()" >/dev/null || true
    rm -f "$dir/hba_added"
  fi
  ;;
*)
  echo "usage: $0 start DIR [PRIMARY_PORT] | stop DIR" >&2
  exit 2
  ;;
esac
