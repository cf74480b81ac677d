"""A separate process that creates events the way a web process does: each event is one
transaction with one notice_enqueue.

Run: python -m tests.notifications.producer COUNT TAG PAUSE [HOLD ...]. After each HOLD events
it prints "held at HOLD" and waits for a line on stdin, so a test can change the world (stop
the broker, start it again) at a known point of the producer's progress instead of guessing
with sleeps."""

import os
import sys
import time


def main() -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.db import transaction

    from notifications.services import notice_enqueue

    count, tag, pause = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    holds = {int(hold) for hold in sys.argv[4:]}
    for n in range(count):
        if n in holds:
            print(f"held at {n}", flush=True)
            sys.stdin.readline()
        with transaction.atomic():
            notice_enqueue(
                kind="claim_acknowledged",
                channel="email",
                language=("ko", "en", "zh-hans")[n % 3],
                to_address=f"claimant{n}@example.com",
                context={"claim_reference": f"C-{n}"},
                dedupe_key=f"{tag}:claim:{n}:ack",
            )
        time.sleep(pause)
    print(f"created {count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
