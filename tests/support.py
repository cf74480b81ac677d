"""Helpers shared by tests that need real concurrency or real worker processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

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


def celery_worker_start(queue: str) -> subprocess.Popen:
    """A real `celery worker` process on one private queue, against this run's test database
    and the real Redis broker. The caller stops it."""
    return subprocess.Popen(
        [
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
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": test_database_url()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


setattr(celery_worker_start, "__test__", False)
