"""The person, in one page: their affected record (what of theirs was exposed), their other
records (the same email or phone on another program's list), awards, vouchers (state and last
four, never a code), claims with how each is paid (the account masked), the notices sent to
them with their references and outcomes, and the audit trail about all of these.

A fixed number of queries whatever they hold: the person (program and incident joined), their
other records, awards, vouchers, claims, the claims' payment choices and payouts (two, when
they have claims), notices, and the trail; one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language

from audit.models import AuditEvent
from claims.selectors import queue_for
from compensation.engine.money import money_format
from compensation.models import AffectedPerson, Award
from notifications.models import Notice
from notifications.references import reference_display
from payouts.selectors import payout_views
from support import labels
from support.masking import email_mask, phone_mask
from vouchers.labels import SERVICES
from vouchers.models import Voucher

# The newest this many notices and trail rows: a page an agent reads on the phone.
NOTICES_SHOWN = 50
TRAIL_SHOWN = 50
OTHER_RECORDS_SHOWN = 10
# Notices that reached a final state can be sent again; the others are still on their way.
RESENDABLE = (Notice.Status.SENT, Notice.Status.FAILED)
# Vouchers a reissue can replace (vouchers.services.freeze.voucher_void_and_reissue).
REISSUABLE = (Voucher.State.ISSUED, Voucher.State.FROZEN)


@dataclass
class PersonPage:
    person: AffectedPerson
    email_masked: str
    phone_masked: str
    exposed: list[Any]
    others: list[AffectedPerson] = field(default_factory=list)
    awards: list[dict] = field(default_factory=list)
    vouchers: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    trail: list[dict] = field(default_factory=list)


def _others(person: AffectedPerson) -> list[AffectedPerson]:
    condition = Q()
    if person.email_hash:
        condition |= Q(email_hash=person.email_hash)
    if person.phone_hash:
        condition |= Q(phone_hash=person.phone_hash)
    if not condition:
        return []
    return list(
        AffectedPerson.objects.filter(condition)
        .exclude(pk=person.pk)
        .select_related("program")
        .only("id", "external_id", "program__name", "program__name_i18n")
        .order_by("program_id", "id")[:OTHER_RECORDS_SHOWN]
    )


def _awards(person: AffectedPerson, claim_award_ids: list[int]) -> list[dict]:
    # Their claims' awards by id (the primary key): the person's claims name them, and the
    # claim reference has no index of its own (only a partial one, over live claim awards).
    condition = Q(person_id=person.pk)
    if claim_award_ids:
        condition |= Q(pk__in=claim_award_ids)
    awards = Award.objects.filter(condition).select_related("award_line").order_by("id")
    return [
        {
            "id": award.pk,
            "what": (
                SERVICES.get(award.award_line.service_scope, award.award_line.code)
                if award.award_line
                else award.claim_reference
            ),
            "source": labels.label(labels.AWARD_SOURCES, award.source),
            "kind": labels.label(labels.AWARD_KINDS, award.kind),
            "amount": money_format(award.amount_minor, award.currency),
            "status": labels.label(labels.AWARD_STATUSES, award.status),
            "created_at": award.created_at,
        }
        for award in awards
    ]


def _vouchers(person: AffectedPerson) -> list[dict]:
    vouchers = Voucher.objects.filter(person_id=person.pk).order_by("valid_from", "id")
    return [
        {
            "id": voucher.pk,
            "service": SERVICES.get(voucher.service_scope, voucher.service_scope),
            "last4": voucher.last4,
            "generation": voucher.generation,
            "amount": money_format(voucher.amount_minor, voucher.currency),
            "state": voucher.state,
            "state_label": labels.label(labels.VOUCHER_STATES, voucher.state),
            "valid_from": voucher.valid_from,
            "valid_until": voucher.valid_until,
            "reissuable": voucher.state in REISSUABLE,
        }
        for voucher in vouchers
    ]


def _claims(person: AffectedPerson, user) -> tuple[list[dict], dict[str, list[int]]]:
    claims = list(queue_for(user).filter(person_id=person.pk).order_by("-id"))
    views = payout_views(person.program_id, [claim.reference for claim in claims])
    rows: list[dict] = []
    payment_ids: dict[str, list[int]] = {"payouts.payoutinstruction": [], "payouts.payout": []}
    language = get_language() or "en"
    for claim in claims:
        view = views.get(claim.reference)
        instruction = view.instruction if view else None
        payout = view.payout if view else None
        if instruction is not None:
            payment_ids["payouts.payoutinstruction"].append(instruction.pk)
        if payout is not None:
            payment_ids["payouts.payout"].append(payout.pk)
        rows.append(
            {
                "id": claim.pk,
                "reference": claim.reference,
                "award_id": claim.award_id,
                "type": claim.claim_type.title_in(language),
                "status": labels.label(labels.CLAIM_STATUSES, claim.status),
                "submitted_at": claim.submitted_at,
                "claimed": money_format(claim.amount_claimed_minor, claim.program.currency),
                "decided": (
                    money_format(claim.amount_decided_minor, claim.program.currency)
                    if claim.amount_decided_minor is not None
                    else ""
                ),
                "method": (
                    labels.label(labels.PAYOUT_METHODS, instruction.method) if instruction else ""
                ),
                "account": instruction.masked if instruction else "",
                "payout": (labels.label(labels.PAYOUT_STATUSES, payout.status) if payout else ""),
                "paid_at": payout.settled_at if payout else None,
            }
        )
    return rows, payment_ids


def _notices(person: AffectedPerson) -> list[Notice]:
    return list(
        Notice.objects.filter(person_id=person.pk)
        .only("id", "reference", "kind", "channel", "status", "attempts", "sent_at", "created_at")
        .order_by("-created_at", "-id")[:NOTICES_SHOWN]
    )


def _notice_row(notice: Notice) -> dict:
    return {
        "id": notice.pk,
        "reference": reference_display(notice.reference),
        "kind": labels.label(labels.NOTICE_KINDS, notice.kind),
        "channel": labels.label(labels.NOTICE_CHANNELS, notice.channel),
        "status": labels.label(labels.NOTICE_STATUSES, notice.status),
        "attempts": notice.attempts,
        "at": notice.sent_at or notice.created_at,
        "resendable": notice.status in RESENDABLE,
    }


def _trail(objects: dict[str, list[int]]) -> list[dict]:
    condition = Q()
    for object_type, ids in objects.items():
        if ids:
            condition |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    events = (
        AuditEvent.objects.filter(condition)
        .select_related("actor")
        .only("id", "created_at", "action", "object_type", "actor_label", "actor__email")
        .order_by("-created_at", "-id")[:TRAIL_SHOWN]
    )
    return [
        {
            "at": event.created_at,
            "action": labels.label(labels.AUDIT_ACTIONS, event.action),
            "who": labels.actor_text(event.actor.email if event.actor else None, event.actor_label),
        }
        for event in events
    ]


def person_page(*, person_id: int, user) -> PersonPage:
    """Everything about one person that a support agent may see, in a fixed number of
    queries (see the module's docstring). 404 for an unknown id."""
    person = get_object_or_404(
        AffectedPerson.objects.select_related("program", "program__incident"), pk=person_id
    )
    page = PersonPage(
        person=person,
        email_masked=email_mask(person.email),
        phone_masked=phone_mask(person.phone),
        exposed=[labels.label(labels.DATA_CATEGORIES, c) for c in person.data_categories or []],
    )
    page.others = _others(person)
    page.claims, payment_ids = _claims(person, user)
    page.awards = _awards(person, [c["award_id"] for c in page.claims if c["award_id"]])
    page.vouchers = _vouchers(person)
    notices = _notices(person)
    page.notices = [_notice_row(notice) for notice in notices]
    page.trail = _trail(
        {
            "compensation.affectedperson": [person.pk],
            "claims.claim": [claim["id"] for claim in page.claims],
            "compensation.award": [award["id"] for award in page.awards],
            "vouchers.voucher": [voucher["id"] for voucher in page.vouchers],
            "notifications.notice": [notice.pk for notice in notices],
            **payment_ids,
        }
    )
    return page
