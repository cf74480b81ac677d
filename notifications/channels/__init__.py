"""Channels are an explicit registry: a notice's channel names the backend that sends it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

from notifications.channels.base import (
    ChannelBackend,
    OutgoingMessage,
    PermanentSendError,
    SendError,
    TransientSendError,
)
from notifications.channels.email import EmailChannel
from notifications.channels.sms import ConsoleSms, HttpSms, LocmemSms

SMS_BACKENDS: dict[str, type[ChannelBackend]] = {
    "console": ConsoleSms,
    "http": HttpSms,
    "locmem": LocmemSms,
}


def _sms_backend() -> ChannelBackend:
    return SMS_BACKENDS[settings.SMS_BACKEND]()


CHANNELS: dict[str, Callable[[], ChannelBackend]] = {
    "email": EmailChannel,
    "sms": _sms_backend,
}


def channel_backend(channel: str) -> ChannelBackend:
    """A fresh backend for one chunk of messages on this channel."""
    return CHANNELS[channel]()


__all__ = [
    "CHANNELS",
    "ChannelBackend",
    "OutgoingMessage",
    "PermanentSendError",
    "SendError",
    "TransientSendError",
    "channel_backend",
]
