#!/usr/bin/env bash
# A PostgreSQL of its own for the rehearsal (scripts/rehearse.py), with the settings its
# figures assume: the machine's memory given to the database as production would (this
# machine's shared server keeps Debian's 128 MB of shared buffers), WAL sized for bulk
# loads. Its own data directory and port, so the tens of GB it holds never enter the CI
# cluster (whose replica step copies everything). Debian's PostgreSQL binaries.
#
#   scripts/rehearsal_pg.sh start DIR [PORT]   initialises DIR/data once, starts it (default 5440)
#   scripts/rehearsal_pg.sh stop DIR           stops it and deletes DIR/data
#
# The settings (docs/operating.md lists them for production):
set -euo pipefail

command="${1:-}"
dir="${2:-}"
port="${3:-5440}"
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start DIR [PORT] | stop DIR" >&2
  exit 2
fi
version="${PG_VERSION:-$(ls /usr/lib/postgresql | sort -n | tail -1)}"
bin="/usr/lib/postgresql/$version/bin"
SETTINGS=(
  "shared_buffers=4GB"
  "effective_cache_size=16GB"
  "work_mem=64MB"
  "maintenance_work_mem=1GB"
  "max_wal_size=16GB"
  "checkpoint_timeout=15min"
  "checkpoint_completion_target=0.9"
  "wal_compression=on"
  "random_page_cost=1.1"
  "max_connections=200"
)

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      printf '%s\n' "${SETTINGS[@]}" >>"$dir/data/postgresql.conf"
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
    echo "$port"
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir/data"
    ;;
  *)
    echo "unknown command: $command" >&2
    exit 2
    ;;
esac
