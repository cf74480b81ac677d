"""Telling a run's holders that their vouchers are ready: when a run finishes, one campaign
per channel to the holders of its vouchers (vouchers/audiences.py), each started at most once
(the campaign's unique dedupe key), so a resumed or re-finished run tells nobody twice."""

from __future__ import annotations

from django.conf import settings

from notifications.kinds import Channel, Kind
from notifications.services import campaign_start_once
from vouchers.models import VoucherBatch

ME_PATH = "/me/"

# Email to those with an address; SMS to those with only a phone: one notice per holder.
_CAMPAIGNS = ((Channel.EMAIL, "run_holders"), (Channel.SMS, "run_holders_sms"))


def run_holders_notify(*, batch_id: int) -> int:
    """Start the "your vouchers are ready" campaigns of a finished run, inside the caller's
    transaction (the run's finish); the builds are queued by name after it commits. Returns
    how many campaigns started now (0 when they had been started before)."""
    batch = VoucherBatch.objects.select_related("program").get(pk=batch_id)
    me_url = settings.NOTIFICATIONS_SITE_URL.rstrip("/") + ME_PATH
    started = 0
    for channel, audience in _CAMPAIGNS:
        campaign = campaign_start_once(
            dedupe_key=f"vouchers:run:{batch.pk}:holders:{channel}",
            name=f"Vouchers ready: run {batch.pk} ({channel})",
            program=batch.program,
            kind=Kind.VOUCHERS_READY,
            channel=channel,
            audience=audience,
            audience_params={"run": str(batch.pk)},
            context={"me_url": me_url},
            actor_label="job:voucher_issuance",
        )
        started += campaign is not None
    return started
