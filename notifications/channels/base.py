"""The interface every channel backend implements."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutgoingMessage:
    notice_id: int
    reference: str
    to_address: str
    subject: str
    body: str

    @property
    def idempotency_key(self) -> str:
        """Passed to providers that deduplicate, so a re-sent notice is delivered once."""
        return f"notice-{self.notice_id}"


class SendError(Exception):
    """Sending one message failed. The message is safe to keep (no address, no body)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message[:500]


class TransientSendError(SendError):
    """Try again later: the provider is busy, down or timed out."""


class PermanentSendError(SendError):
    """Trying again cannot help: a bad address, a refused recipient."""


class ChannelBackend:
    """One open connection to a provider, used for one chunk of messages.

    `with backend:` opens and closes the connection; `send` returns the provider's message id
    or raises TransientSendError / PermanentSendError."""

    def open(self) -> None:  # pragma: no cover - trivial default
        return None

    def close(self) -> None:  # pragma: no cover - trivial default
        return None

    def send(self, message: OutgoingMessage) -> str:
        raise NotImplementedError

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
