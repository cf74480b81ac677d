"""Real Celery worker processes (and a private Redis) for the reliability tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.notifications.smtp import free_port
from tests.support import celery_worker_start, process_stop, test_database_url

ROOT = Path(__file__).resolve().parents[2]


def workers_database_url() -> str:
    """This run's DATABASE_URL, pointing at the test database pytest-django made."""
    return test_database_url()


class Workers:
    """Starts worker processes on one private queue; logs go to files (a full pipe would
    block a worker); everything started is stopped by `stop_all`."""

    def __init__(self, log_dir: Path, *, smtp_port: int, **env: str) -> None:
        self.log_dir = log_dir
        self.queue = f"notif-test-{uuid.uuid4().hex[:8]}"
        self.env = {
            **os.environ,
            "DATABASE_URL": workers_database_url(),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "NOTIFICATIONS_QUEUE": self.queue,
            "NOTIFICATIONS_EMAIL_PER_SECOND": "0",
            "NOTIFICATIONS_SITE_URL": "https://compensation.example.com",
            "CACHE_KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}",
            **env,
        }
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *, beat: bool = False) -> subprocess.Popen:
        extra_args = ["--beat", "--schedule", str(self.log_dir / f"beat-{name}")] if beat else []
        process = celery_worker_start(
            self.queue,
            hostname=f"{name}-{self.queue}@localhost",
            extra_args=extra_args,
            env=self.env,
            stdout=(self.log_dir / f"{name}.log").open("w"),
        )
        self.processes[name] = process
        return process

    def kill9(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.log_dir.glob("*.log")
        )

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process_stop(process)
        self.processes.clear()


def wait_for(
    condition: Callable[[], object], *, timeout: float, workers: Workers, what: str
) -> None:
    """Poll `condition` until it is true; past `timeout` seconds fail the test with the
    workers' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{workers.logs()}")


class PrivateRedis:
    """A redis-server of our own on a free port: the shared one must never be stopped."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.log_dir / "redis.log").open("a")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.log_dir),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
