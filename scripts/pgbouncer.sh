#!/usr/bin/env bash
# PgBouncer (Debian's pgbouncer package) in transaction pooling mode in front of a PostgreSQL
# server: CI's pooled step, and the pooled path tried by hand. Its config, pid file and log live
# in DIR (a temporary directory); it listens on 127.0.0.1 on a free port, forwards every
# database name to the upstream server and lets in whoever the upstream's trust rules let in.
#
#   scripts/pgbouncer.sh start DIR [UPSTREAM_HOST [UPSTREAM_PORT]]   prints the port
#   scripts/pgbouncer.sh stop DIR
#
# Point the app at it with DATABASE_URL=postgres://postgres@127.0.0.1:<port>/<db> and
# DATABASE_POOLED=1 (docs/configuration.md).
set -euo pipefail

command="${1:-}"
dir="${2:-}"
if [[ -z "$command" || -z "$dir" ]]; then
  echo "usage: $0 start DIR [UPSTREAM_HOST [UPSTREAM_PORT]] | stop DIR" >&2
  exit 2
fi

# PgBouncer refuses to run as root: as root, run it as the postgres user.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
  upstream_host="${3:-127.0.0.1}"
  upstream_port="${4:-5432}"
  bin="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
  if [[ ! -x "$bin" ]]; then
    echo "pgbouncer is not installed (apt-get install pgbouncer)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  # trust: no password between the app and PgBouncer, as between PgBouncer and the local
  # server (trust still wants the user named in auth_file).
  printf '"postgres" ""\n' >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$upstream_host port=$upstream_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
; Idle server connections are closed soon, so a test database can be dropped after a run.
server_idle_timeout = 5
ignore_startup_parameters = extra_float_digits
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres "$dir"; fi
  as_owner "$bin" -d -q "$dir/pgbouncer.ini"
  for _ in $(seq 50); do
    if psql -qAt -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "SELECT 1" >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      echo "$port"
      exit 0
    fi
    sleep 0.2
  done
  echo "pgbouncer did not answer on port $port; its log:" >&2
  cat "$dir/pgbouncer.log" >&2 || true
  exit 1
  ;;
stop)
  if [[ -f "$dir/pgbouncer.pid" ]]; then
    kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [[ -f "$dir/pgbouncer.pid" ]] || break; sleep 0.1; done
  fi
  ;;
*)
  echo "usage: $0 start DIR [UPSTREAM_HOST [UPSTREAM_PORT]] | stop DIR" >&2
  exit 2
  ;;
esac
