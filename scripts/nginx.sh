#!/usr/bin/env bash
# Debian's nginx in front of web processes on this machine, with the proxy settings of
# docker-compose.yml (deploy/nginx/proxy.conf, the same file): the check by hand of the
# compose file's shape (docs/operating.md, "Past one machine, by hand"). Its config, pid file,
# temporary files and logs live in DIR; it listens on 127.0.0.1:PORT, plain http.
#
#   scripts/nginx.sh install                           apt-get install nginx, if missing
#   scripts/nginx.sh start DIR PORT UPSTREAM...        UPSTREAM as 127.0.0.1:8001
#   scripts/nginx.sh stop DIR
set -euo pipefail

command="${1:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
usage() {
  echo "usage: $0 install | start DIR PORT HOST:PORT... | stop DIR" >&2
  exit 2
}

case "$command" in
install)
  if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q nginx >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null && apt-get install -y -q nginx >/dev/null; }
  fi
  ;;
start)
  dir="${2:-}"
  port="${3:-}"
  [[ -n "$dir" && -n "$port" && $# -ge 4 ]] || usage
  shift 3
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  servers=""
  for upstream in "$@"; do servers+="        server $upstream;"$'\n'; done
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    upstream app_web {
$servers        keepalive 16;
    }
    server {
        listen 127.0.0.1:$port;
        include $root/deploy/nginx/proxy.conf;
    }
}
CONF
  /usr/sbin/nginx -t -q -c "$dir/nginx.conf" -p "$dir"
  /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir"
  ;;
stop)
  dir="${2:-}"
  [[ -n "$dir" ]] || usage
  if [[ -f "$dir/nginx.pid" ]]; then
    /usr/sbin/nginx -c "$dir/nginx.conf" -p "$dir" -s quit || true
  fi
  ;;
*)
  usage
  ;;
esac
