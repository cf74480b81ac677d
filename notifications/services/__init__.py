"""The notifications app's writes. Other apps call `notice_enqueue` inside their own
transaction; everything else is used by the admin, the tasks and beat."""

from notifications.services.campaign_checks import campaign_estimate, campaign_test_send
from notifications.services.campaigns import (
    campaign_build,
    campaign_cancel,
    campaign_create,
    campaign_schedule,
    campaign_start_once,
    campaigns_start_due,
)
from notifications.services.enqueue import (
    notice_enqueue,
    notices_dispatch_kick,
    notices_enqueue_select,
)
from notifications.services.maintenance import notices_redispatch, notices_retry
from notifications.services.sending import notices_dispatch

__all__ = [
    "campaign_build",
    "campaign_cancel",
    "campaign_create",
    "campaign_estimate",
    "campaign_schedule",
    "campaign_start_once",
    "campaign_test_send",
    "campaigns_start_due",
    "notice_enqueue",
    "notices_dispatch",
    "notices_dispatch_kick",
    "notices_enqueue_select",
    "notices_redispatch",
    "notices_retry",
]
