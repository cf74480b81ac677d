"""Benchmark: redemptions per second and latency (p50, p99) with concurrent clients on a table
of 1M+ vouchers, at the service layer (threads calling voucher_redeem, one connection each)
and over HTTP (the DRF API served by gunicorn, one keep-alive connection per client).
Every redeem carries an Idempotency-Key, as integrating services are told to send. Prints
figures only; codes are derived in memory and never printed.

Needs vouchers issued first (scripts/bench_issuance.py), in the same database:

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/vouchbench \
      REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python scripts/bench_redeem.py \
      --clients 8 --per-client 1500

With --partial it compares partial redemption with today's single use in the same run: the
bare UPDATE as the floor, then single-use redeems (one per code, with the order's amount),
then the same line switched to partial redemption and each code spent in --parts parts (each
its own redemption row); it prints both rates, their p99 and the ratios. The line's mode is
put back as it was afterwards. With --partial --http both modes go through the API served by
gunicorn instead (one server for both, the same clients and order amounts), beside the same
bare UPDATE:

    flock /tmp/bench.lock env DEBUG=1 DATABASE_URL=... REDIS_URL=... .venv/bin/python \
      scripts/bench_redeem.py --partial --http --clients 8 --per-client 150 --parts 4
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from compensation.models import AwardLine  # noqa: E402
from vouchers.models import Voucher  # noqa: E402
from vouchers.services.codes import code_derive, code_display  # noqa: E402
from vouchers.services.keys import service_key_create  # noqa: E402
from vouchers.services.redemption import voucher_redeem  # noqa: E402


def codes_take(scope: str, count: int) -> list[str]:
    """`count` usable codes of `scope`, derived in memory (oldest first)."""
    rows = (
        Voucher.objects.filter(state=Voucher.State.ISSUED, service_scope=scope)
        .order_by("id")
        .values_list("award_id", "generation", "derive_key_version")[:count]
    )
    return [
        code_display(code_derive(award_id=a, generation=g, derive_key_version=v))
        for a, g, v in rows
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(label: str, latencies: list[float], seconds: float, ok: int) -> None:
    print(
        f"{label}: {ok:,} redeemed of {len(latencies):,} in {seconds:.1f} s = "
        f"{ok / seconds:,.0f} redemptions/s; p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )


def run_clients(clients: int, work) -> tuple[list[float], float, int]:
    barrier = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    successes = [0] * clients

    def client(i: int) -> None:
        try:
            barrier.wait()
            successes[i] = work(i, latencies[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return [x for part in latencies for x in part], time.perf_counter() - started, sum(successes)


def bench_service(
    key, codes: list[list[str]], *, parts: int = 1, order_amount: int | None = None, label=""
) -> tuple[float, float]:
    """Each client redeems its codes, each in `parts` redeems (of `order_amount` each);
    returns (redemptions a second, p99 seconds)."""

    def work(i: int, latencies: list[float]) -> int:
        ok = 0
        for n, code in enumerate(codes[i]):
            for part in range(parts):
                started = time.perf_counter()
                answer = voucher_redeem(
                    service_key=key,
                    code=code,
                    order_reference=f"S-{i}-{n}-{part}",
                    customer_ref=f"c{i}",
                    order_amount_minor=order_amount,
                    idempotency_key=uuid.uuid4().hex,
                )
                latencies.append(time.perf_counter() - started)
                ok += answer.status == 201
        return ok

    latencies, seconds, ok = run_clients(len(codes), work)
    report(label or f"service layer, {len(codes)} clients", latencies, seconds, ok)
    return ok / seconds, percentile(latencies, 0.99)


def bench_raw_update(codes: list[list[str]]) -> tuple[float, float]:
    """The floor of the machine right now: the bare conditional UPDATE by code hash, one
    autocommit statement per redemption (no audit, idempotency, throttle or Django)."""
    import psycopg

    from vouchers.services.codes import code_hash_candidates, code_normalize

    hashes = [[code_hash_candidates(code_normalize(c))[0] for c in part] for part in codes]
    params = connection.get_connection_params()
    dsn = {k: v for k, v in params.items() if k in {"dbname", "user", "password", "host", "port"}}

    def work(i: int, latencies: list[float]) -> int:
        ok = 0
        with psycopg.connect(**dsn, autocommit=True) as conn:
            for code_hash in hashes[i]:
                started = time.perf_counter()
                ok += conn.execute(
                    "UPDATE vouchers_voucher SET state = 'redeemed' "
                    "WHERE code_hash = %s AND state = 'issued'",
                    [code_hash],
                ).rowcount
                latencies.append(time.perf_counter() - started)
        return ok

    latencies, seconds, ok = run_clients(len(codes), work)
    report(f"raw conditional UPDATE (psycopg), {len(codes)} clients", latencies, seconds, ok)
    return ok / seconds, percentile(latencies, 0.99)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def http_server(server_workers: int) -> Iterator[int]:
    """The app served by gunicorn as in production (DEBUG off, gthread workers) on a free
    local port, until the block ends, with this process's keys and secret key (so sessions
    made here are valid there)."""
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "CODE_HASH_KEYS": ",".join(settings.CODE_HASH_KEYS),
        "IDENTITY_HASH_KEY": settings.IDENTITY_HASH_KEY,
        # Required with DEBUG off; the bench pays nobody, so a fresh key serves.
        "PAYOUT_ACCOUNT_KEYS": os.environ.get("PAYOUT_ACCOUNT_KEYS", "1:" + uuid.uuid4().hex * 2),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
    }
    # DEBUG off serves the hashed static files' manifest: make it, as a deploy does.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
            "--workers", str(server_workers), "--worker-class", "gthread", "--threads", "4",
            "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {server.returncode}: see its output above")
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(20)


def http_redeems(
    port: int,
    raw_key: str,
    codes: list[list[str]],
    *,
    label: str,
    parts: int = 1,
    order_amount: int | None = None,
) -> tuple[float, float]:
    """Each client redeems its codes over one keep-alive connection, each in `parts` redeems
    (of `order_amount` each, when given); returns (redemptions a second, p99 seconds)."""

    def work(i: int, latencies: list[float]) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ok = 0
        for n, code in enumerate(codes[i]):
            for part in range(parts):
                fields: dict[str, object] = {"code": code, "order_reference": f"H-{i}-{n}-{part}"}
                if order_amount is not None:
                    fields["order_amount_minor"] = order_amount
                headers = {
                    "Authorization": f"ServiceKey {raw_key}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": uuid.uuid4().hex,
                }
                body = json.dumps({**fields, "customer_ref": f"c{i}"})
                started = time.perf_counter()
                conn.request("POST", "/api/v1/vouchers/redeem", body, headers)
                response = conn.getresponse()
                response.read()
                latencies.append(time.perf_counter() - started)
                ok += response.status == 201
        conn.close()
        return ok

    latencies, seconds, ok = run_clients(len(codes), work)
    report(label, latencies, seconds, ok)
    return ok / seconds, percentile(latencies, 0.99)


def bench_http(raw_key: str, codes: list[list[str]], server_workers: int) -> tuple[float, float]:
    """Redeems over HTTP; returns (redemptions a second, p99 seconds)."""
    with http_server(server_workers) as port:
        return http_redeems(
            port,
            raw_key,
            codes,
            label=f"HTTP (gunicorn {server_workers} workers x 4 threads), {len(codes)} clients",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=1500)
    parser.add_argument("--server-workers", type=int, default=2)
    parser.add_argument("--scope", default="eats")
    parser.add_argument(
        "--partial", action="store_true", help="partial redemption against single use"
    )
    parser.add_argument("--parts", type=int, default=4, help="redeems per code (--partial)")
    parser.add_argument(
        "--http", action="store_true", help="with --partial: both modes over HTTP (gunicorn)"
    )
    args = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM vouchers_voucher")
        total = cursor.fetchone()[0]
    print(f"voucher table: {total:,} rows")
    key, raw = service_key_create(name="bench", service_scope=args.scope, actor_label="bench")
    if args.partial:
        bench_partial(key, raw, args)
        return
    wanted = args.clients * args.per_client
    codes = codes_take(args.scope, wanted * 3)
    if len(codes) < wanted * 3:
        raise SystemExit(f"only {len(codes):,} usable {args.scope} vouchers; issue more first")
    split = [codes[i * args.per_client : (i + 1) * args.per_client] for i in range(args.clients)]
    rest = codes[wanted:]
    split_http = [
        rest[i * args.per_client : (i + 1) * args.per_client] for i in range(args.clients)
    ]
    rest = codes[wanted * 2 :]
    split_raw = [rest[i * args.per_client : (i + 1) * args.per_client] for i in range(args.clients)]
    bench_raw_update(split_raw)
    bench_service(key, split)
    bench_http(raw, split_http, args.server_workers)


def bench_partial(key, raw_key: str, args) -> None:
    """Single use and partial redemption of the same line, one after the other, with the
    bare UPDATE as the floor, all in this run: at the service layer, or with --http through
    the API (one gunicorn for both modes)."""
    wanted = args.clients * args.per_client
    codes = codes_take(args.scope, wanted * 3)
    if len(codes) < wanted * 3:
        raise SystemExit(f"only {len(codes):,} usable {args.scope} vouchers; issue more first")

    def split(offset: int) -> list[list[str]]:
        part = codes[offset * wanted : (offset + 1) * wanted]
        return [part[i * args.per_client : (i + 1) * args.per_client] for i in range(args.clients)]

    lines = AwardLine.objects.filter(service_scope=args.scope)
    modes = dict(lines.values_list("pk", "redemption_mode"))
    amount = Voucher.objects.filter(service_scope=args.scope).values_list("amount_minor", flat=True)
    part_amount = max(1, amount.first() // args.parts)
    raw_rate, _ = bench_raw_update(split(0))
    via = f"HTTP (gunicorn {args.server_workers} workers x 4 threads)" if args.http else "service"
    single_label = (
        f"{via}: single use (order {part_amount:,}, the rest forfeited), {args.clients} clients"
    )
    partial_label = (
        f"{via}: partial ({args.parts} parts of {part_amount:,} a code), {args.clients} clients"
    )
    with contextlib.ExitStack() as stack:
        if args.http:
            port = stack.enter_context(http_server(args.server_workers))

            def redeem(codes: list[list[str]], label: str, parts: int = 1) -> tuple[float, float]:
                return http_redeems(
                    port, raw_key, codes, label=label, parts=parts, order_amount=part_amount
                )
        else:

            def redeem(codes: list[list[str]], label: str, parts: int = 1) -> tuple[float, float]:
                return bench_service(key, codes, parts=parts, order_amount=part_amount, label=label)

        try:
            lines.update(redemption_mode="single")
            single_rate, single_p99 = redeem(split(1), single_label)
            lines.update(redemption_mode="partial")
            partial_rate, partial_p99 = redeem(split(2), partial_label, parts=args.parts)
        finally:
            for pk, mode in modes.items():
                AwardLine.objects.filter(pk=pk).update(redemption_mode=mode)
    print(
        f"partial / single use: rate {partial_rate / single_rate:.2f}, "
        f"p99 {partial_p99 / single_p99:.2f}; against the bare UPDATE: single use "
        f"{single_rate / raw_rate:.3f}, partial {partial_rate / raw_rate:.3f}"
    )


if __name__ == "__main__":
    main()
