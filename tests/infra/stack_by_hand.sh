#!/usr/bin/env bash
# docker-compose.yml's shape run by hand on one machine, where Docker cannot run: PgBouncer in
# transaction mode (scripts/pgbouncer.sh) and a streaming replica (scripts/replica.sh) of the
# local PostgreSQL, two gunicorn web processes with working directories of their own and one
# shared file store, a Celery worker on every queue, beat, and Debian's nginx in front with the
# compose file's proxy settings (scripts/nginx.sh, deploy/nginx/proxy.conf). It checks the
# health endpoint through nginx reaches both web processes, the worker answers and runs what
# beat sends, and the replica answers as a standby; then stops everything it started.
#
#   DATABASE=<migrated database> REDIS_DB=<n> tests/infra/stack_by_hand.sh
#
# Settings as production has them (DEBUG=0, the proxy trusted, keys made for the run), except
# that nginx listens on plain http here (no certificate): SECURE_SSL_REDIRECT=0, and the site
# address (which the security keys' check needs in production) is http://localhost.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
database="${DATABASE:?name a migrated database}"
redis_db="${REDIS_DB:?name your Redis database number}"

work="$(mktemp -d)"
chmod 755 "$work"  # PgBouncer and the replica run as the postgres user below it
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/nginx.sh stop "$work/nginx" || true
  scripts/pgbouncer.sh stop "$work/pgbouncer" || true
  scripts/replica.sh stop "$work/replica" || true
}
trap stop_all EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(40))'; }

scripts/nginx.sh install
pgbouncer_port="$(scripts/pgbouncer.sh start "$work/pgbouncer")"
replica_port="$(scripts/replica.sh start "$work/replica")"
echo "pgbouncer on $pgbouncer_port, replica on $replica_port"

mkdir -p "$work/shared/media" "$work/shared/imports"
export DEBUG=0 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0 \
  ALLOWED_HOSTS=127.0.0.1,localhost TRUSTED_PROXY_COUNT=1 NOTIFICATIONS_SITE_URL=http://localhost \
  SECRET_KEY="$(secret)" CODE_HASH_KEYS="1:$(secret)" IDENTITY_HASH_KEY="$(secret)" \
  PAYOUT_ACCOUNT_KEYS="1:$(secret)" \
  DATABASE_URL="postgres://postgres@127.0.0.1:$pgbouncer_port/$database" DATABASE_POOLED=1 \
  DATABASE_REPLICA_URL="postgres://postgres@127.0.0.1:$replica_port/$database" \
  REDIS_URL="redis://127.0.0.1:6379/$redis_db" \
  MEDIA_ROOT="$work/shared/media" IMPORT_ROOT="$work/shared/imports" \
  STATIC_ROOT="$work/static" PYTHONPATH="$root"
python="$root/.venv/bin/python"
"$python" manage.py collectstatic --no-input -v 0
"$python" manage.py migrate --no-input -v 0  # through PgBouncer, as compose's migrate service

web_ports=()
for name in web-a web-b; do
  port="$(free_port)"
  mkdir -p "$work/$name"
  (cd "$work/$name" && exec "$python" -m gunicorn --config "$root/gunicorn.conf.py" \
    --bind "127.0.0.1:$port" --workers 2 --access-logfile "$work/$name.access.log" \
    config.wsgi >"$work/$name.log" 2>&1) &
  pids+=($!)
  web_ports+=("$port")
done
queues=default,bulk,sweeps,notifications,notifications_priority
mkdir -p "$work/worker" "$work/beat"
(cd "$work/worker" && exec "$python" -m celery -A config worker --queues "$queues" \
  --concurrency 2 --hostname "stack-$$@localhost" --loglevel INFO >"$work/worker.log" 2>&1) &
pids+=($!)
(cd "$work/beat" && exec "$python" -m celery -A config beat --loglevel INFO \
  --schedule "$work/beat/schedule" >"$work/beat.log" 2>&1) &
pids+=($!)
for port in "${web_ports[@]}"; do
  for _ in $(seq 150); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.2; done
done
nginx_port="$(free_port)"
scripts/nginx.sh start "$work/nginx" "$nginx_port" "${web_ports[@]/#/127.0.0.1:}"
echo "web on ${web_ports[*]}, nginx on $nginx_port"

echo "== /healthz through nginx, 20 times"
for _ in $(seq 20); do
  body="$(curl -fsS "http://127.0.0.1:$nginx_port/healthz")"
  [[ "$body" == '{"status": "ok"}' ]] || { echo "unexpected answer: $body" >&2; exit 1; }
done
for name in web-a web-b; do
  hits="$(grep -c 'GET /healthz' "$work/$name.access.log" || true)"
  echo "$name answered /healthz $hits times (20 through nginx, plus its own start check)"
  [[ "$hits" -ge 2 ]] || { echo "$name got no request through nginx" >&2; exit 1; }
done
headers="$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$nginx_port/")"
echo "$headers" | grep -qi '^content-security-policy:' || { echo "no CSP through nginx" >&2; exit 1; }
if echo "$headers" | grep -qi '^server:.*[0-9]'; then echo "a version in Server" >&2; exit 1; fi
echo "the home page through nginx: $(echo "$headers" | head -1 | tr -d '\r'), with its CSP"

echo "== the worker answers and runs what beat sends"
for _ in $(seq 60); do
  "$python" -m celery -A config inspect ping -d "stack-$$@localhost" -t 2 >/dev/null 2>&1 && break
  sleep 1
done
"$python" -m celery -A config inspect ping -d "stack-$$@localhost" -t 5 | head -3
ran=""
for _ in $(seq 120); do
  # A task beat sent in this run, finished by this worker (not one left in the queue before).
  for task in $(grep -o 'Sending due task [^ ]* ([^)]*)' "$work/beat.log" | sed 's/.*(\(.*\))/\1/' | sort -u); do
    if grep -q "Task $task\[.*succeeded" "$work/worker.log"; then ran="$task"; break 2; fi
  done
  sleep 1
done
[[ -n "$ran" ]] || { echo "the worker finished nothing beat sent" >&2; exit 1; }
grep -m 1 "Sending due task .*($ran)" "$work/beat.log"
grep -m 1 "Task $ran\[.*succeeded" "$work/worker.log"

echo "== the replica is a standby the app reaches"
"$python" manage.py shell -c "
from django.db import connections
with connections['replica'].cursor() as cursor:
    cursor.execute('SELECT pg_is_in_recovery(), current_setting(%s)', ['port'])
    print('replica: in recovery %s, port %s' % cursor.fetchone())
"
echo "stack by hand: ok"
