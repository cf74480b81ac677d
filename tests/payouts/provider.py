"""A real HTTP server in a thread playing the account-credit service: it records every
Idempotency-Key it is sent, credits each key once and replays its first answer for a key it
has seen (like a real provider), and can be told to answer 500 first, to refuse a customer
with 422, to be slow, to hold one request until the test lets it go, or to ignore keys (a
provider without idempotency: the control that shows a double credit can be seen)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CreditProvider:
    def __init__(self, *, delay: float = 0.0, honour_keys: bool = True) -> None:
        self.delay = delay
        self.honour_keys = honour_keys
        self.lock = threading.Lock()
        self.requests = 0
        self.keys: list[str] = []  # every Idempotency-Key, in arrival order
        self.bodies: list[dict] = []
        self.authorizations: set[str] = set()
        self.credits: Counter[str] = Counter()  # payout reference -> times credited
        self.replays = 0
        self._answers: dict[str, tuple[int, dict]] = {}  # key -> first answer
        # reference -> statuses to answer (and not credit) before crediting, e.g. [500].
        self.fail_first: dict[str, list[int]] = {}
        self.refuse_customers: set[str] = set()  # answered 422
        self.status_always: int | None = None  # every request answered this, nothing credited
        # Hold request number `hold_at` (1-based) before it does anything, until `release`.
        self.hold_at: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()
        self.url = ""

    @property
    def credited_total(self) -> int:
        return sum(self.credits.values())

    @property
    def double_credits(self) -> int:
        return sum(n - 1 for n in self.credits.values() if n > 1)

    def answer(self, key: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests += 1
            number = self.requests
            self.keys.append(key)
            self.bodies.append(body)
        if self.hold_at == number:
            self.held.set()
            self.release.wait(60)
        if self.delay:
            time.sleep(self.delay)
        reference = body.get("reference", "")
        with self.lock:
            if self.status_always is not None:
                return self.status_always, {"error": "scripted"}
            scripted = self.fail_first.get(reference)
            if scripted:
                return scripted.pop(0), {"error": "scripted"}
            if self.honour_keys and key in self._answers:
                self.replays += 1
                return self._answers[key]
            if body.get("customer_ref") in self.refuse_customers:
                answer: tuple[int, dict] = (422, {"error": "unknown_customer"})
            else:
                self.credits[reference] += 1
                answer = (201, {"id": f"cr-{number}", "status": "credited"})
            if key:
                self._answers.setdefault(key, answer)
            return answer


def _handler(provider: CreditProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the sender uses it
        # Headers and body leave in two writes: without TCP_NODELAY each answer would wait
        # for the client's delayed ACK (40 ms).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            provider.authorizations.add(self.headers.get("Authorization", ""))
            status, answer = provider.answer(self.headers.get("Idempotency-Key", ""), body)
            raw = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except OSError:  # the worker was killed while we answered
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    return Handler


@contextmanager
def credit_provider(**options) -> Iterator[CreditProvider]:
    """A CreditProvider listening on 127.0.0.1 for the length of a `with` block."""
    provider = CreditProvider(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/credits"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.release.set()
        server.shutdown()
        server.server_close()
