"""Sending what the sign-in queued: the priority lane's dispatch, as its worker would run it
(the claims tests drop the broker's hint; the outbox row is the truth)."""

from __future__ import annotations

import re

from django.core import mail


def priority_send(channel: str = "email") -> int:
    """Send the due transactional notices on `channel` now; how many were claimed."""
    from notifications.services import notices_dispatch

    return notices_dispatch(channel=channel, priority_lane=True)


def emailed_code() -> str:
    """Send what is queued, then the code in the last email."""
    priority_send("email")
    found = re.search(r"\b(\d{6,8})\b", str(mail.outbox[-1].body))
    assert found is not None
    return found.group(1)
