"""What the staff pages of claims (the queue, the case page) show instead of stored codes, in
the staff member's language: statuses, risks, the history's events and who acted. A code with
no label is shown as it is stored, so a new one is visible rather than hidden."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from claims.models import ClaimEvent

    Labels = dict[str, StrOrPromise]

STATUSES: Labels = {
    "submitted": _("Submitted"),
    "in_review": _("In review"),
    "info_requested": _("Information requested"),
    "referred": _("Referred to an expert"),
    "pending_approval": _("Waiting for a second approver"),
    "approved": _("Approved"),
    "denied": _("Denied"),
    "appealed": _("Appealed"),
}

RISKS: Labels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}

CHANNELS: Labels = {
    "online": _("Online, by the claimant"),
    "phone": _("By phone, through an agent"),
    "visit": _("In person, through an agent"),
    "paper": _("On paper, through an agent"),
}

EVENTS: Labels = {
    "submitted": _("Claim submitted"),
    "filed_for_claimant": _("Filed for the claimant by an agent"),
    "auto_decided": _("Decided by the policy engine"),
    "assigned": _("Assigned"),
    "review_started": _("Review started"),
    "approval_proposed": _("Approval proposed (waiting for a second approver)"),
    "approved": _("Approved"),
    "denied": _("Denied"),
    "info_requested": _("Information requested"),
    "info_received": _("Information received"),
    "info_reminder": _("Reminder of the request sent"),
    "info_expired": _("No answer by the deadline"),
    "referred": _("Referred to an expert"),
    "appealed": _("Appealed"),
    "appeal": _("Appealed"),
    "note": _("Internal note"),
    "message": _("Message to the claimant"),
    "payment_changed": _("Payment choice changed"),
    "pool_settled": _("Pro-rata pool settled"),
}

PURPOSES: Labels = {
    "claim": _("Filed with the claim"),
    "info": _("Answer to a request for information"),
    "appeal": _("Filed with an appeal"),
}

SIGNALS: Labels = {
    "duplicate_identity": _("Another claimant (a different email) has claimed for this person."),
    "network_burst": _("Many claims came from the same network within 24 hours."),
    "shared_payout": _("The same bank account appears on claims of other claimants."),
    "reused_document": _("A document with the same content (SHA-256) is on other claims."),
    # A good-faith purchase (instruments.selectors.purchase_signals).
    "bought_after_freeze": _("The card or voucher was bought on or after the day it was frozen."),
    "price_above_loaded_value": _("The price paid is more than the card or voucher held."),
}

_ACTORS: Labels = {
    "claimant": _("The claimant"),
    "job": _("Automatic job"),
    "command": _("Operator command"),
}
_POLICY_ENGINE = "job:claims.screening"
_USER = re.compile(r"\buser:(\d+)\b")


def label(labels: Labels, code: str) -> StrOrPromise:
    return labels.get(code, code)


def staff_names(events: list[ClaimEvent]) -> dict[int, str]:
    """The staff members the events name ("user:3" as actor or in an assignment note), in one
    query: their name, else their email."""
    ids = {
        int(found)
        for event in events
        for found in _USER.findall(f"{event.actor_label} {event.note or ''}")
    }
    # One query whatever the history holds (none named: a query that finds nobody), so the
    # page costs the same queries with a longer history.
    users = get_user_model().objects.filter(pk__in=ids or [0]).only("id", "email", "full_name")
    return {user.pk: user.get_full_name() for user in users}


def actor_text(actor_label: str, names: dict[int, str]) -> StrOrPromise:
    """Who acted, as a person reads it: the staff member's name, not "user:3"."""
    found = _USER.fullmatch(actor_label)
    if found:
        return names.get(int(found.group(1)), _("A staff member"))
    if actor_label == _POLICY_ENGINE:
        return _("The policy engine")
    return _ACTORS.get(actor_label.split(":", 1)[0], actor_label)


def note_text(event: ClaimEvent, names: dict[int, str]) -> StrOrPromise:
    """The event's note, with an assignment's "assigned to user:5" told in words and an
    assisted filing's channel named."""
    if event.kind == "assigned":
        found = _USER.search(event.note or "")
        if found:
            name = names.get(int(found.group(1)), str(_("A staff member")))
            return _("to %(name)s") % {"name": name}
        return _("Unassigned") if event.note == "unassigned" else event.note
    if event.kind in ("filed_for_claimant", "submitted") and event.note in CHANNELS:
        return CHANNELS[event.note]
    return event.note
