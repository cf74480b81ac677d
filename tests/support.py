"""Helpers shared by tests that need real concurrency or real worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import connection


def race(worker, n: int) -> list:
    """Run `worker(i)` in n threads released at the same instant, each on its own database
    connection; return what each returned or raised, in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = worker(i)
        except Exception as exc:  # returned for the assertions
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_database_url() -> str:
    """This run's DATABASE_URL pointing at the test database pytest-django made, for worker
    processes started by a test."""
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


setattr(test_database_url, "__test__", False)  # a helper, not a test


ROOT = Path(__file__).resolve().parent.parent


def celery_worker_start(
    queue: str,
    *,
    hostname: str | None = None,
    extra_args: Sequence[str] = (),
    loglevel: str = "WARNING",
    env: Mapping[str, str] | None = None,
    stdout: IO[str] | int = subprocess.DEVNULL,
) -> subprocess.Popen:
    """A real `celery worker` process on one private queue and the real Redis broker; by
    default against this run's test database (pass `env` for another). Its output, stderr
    included, goes to `stdout`. The caller stops it (`process_stop`)."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        *(["--hostname", hostname] if hostname else []),
        "--loglevel",
        loglevel,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
        *extra_args,
    ]
    if env is None:
        env = {**os.environ, "DATABASE_URL": test_database_url()}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout, stderr=subprocess.STDOUT)


setattr(celery_worker_start, "__test__", False)


def process_stop(process: subprocess.Popen) -> None:
    """Ask a process to stop; kill it if it has not within 20 seconds."""
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def celery_worker_running(queue: str) -> Iterator[subprocess.Popen]:
    """`celery_worker_start` for the length of a `with` block."""
    process = celery_worker_start(queue)
    try:
        yield process
    finally:
        process_stop(process)


def notice_templates_seed() -> None:
    """The notice templates as the migrations leave them, after a transactional test's flush
    emptied the table: every data migration of notifications run forwards, in order (the
    defaults, the links and texts later migrations added or reworded)."""
    import importlib
    import pkgutil

    from django.apps import apps
    from django.db.migrations.operations import RunPython

    from notifications import migrations as notification_migrations
    from notifications.models import NoticeTemplate

    NoticeTemplate.objects.all().delete()
    names = sorted(m.name for m in pkgutil.iter_modules(notification_migrations.__path__))
    for name in names:
        module = importlib.import_module(f"notifications.migrations.{name}")
        for operation in module.Migration.operations:
            if isinstance(operation, RunPython):
                # They only call apps.get_model, which the live registry answers as well.
                forwards: Any = operation.code
                forwards(apps, None)
