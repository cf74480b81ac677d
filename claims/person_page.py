"""The person's own page (/me/): for each program they are in, whether they are on the
affected list and why (the published policy's person decision, its reasons in their language),
their vouchers, their claims (with how each approved one is paid) and the notices sent to
them.

Claims owns the page; the vouchers come through compensation's registry (PERSON_VOUCHERS,
filled by vouchers), since claims never imports vouchers. A fixed number of queries whatever
the number of programs, vouchers, claims and notices: the people (programs joined), their
published policies, award lines, vouchers, claims, the approved claims' payment choices with
their latest payouts, and notices, one query each."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from claims.models import Claim
from claims.payout_presenter import PayoutState, payout_state, payout_views_of_claims
from claims.selectors import claims_of
from compensation.claimant_session import Claimant, claimant_people
from compensation.engine import PersonFacts, person_decide, reason_text
from compensation.models import AffectedPerson, Program
from compensation.models.choices import AccountStatus
from compensation.registry import PERSON_VOUCHERS
from compensation.selectors import award_line_facts_by_program, policies_published_by_program
from notifications.kinds import Channel, Kind
from notifications.references import reference_display
from notifications.selectors import notices_of_people

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ACCOUNT_STATUSES: dict[str, StrOrPromise] = {
    AccountStatus.ACTIVE: _("active"),
    AccountStatus.DORMANT: _("dormant"),
    AccountStatus.CLOSED: _("closed"),
}

NOTICE_KINDS: dict[str, StrOrPromise] = {
    Kind.INCIDENT_ANNOUNCEMENT: _("Incident announcement"),
    Kind.VOUCHER_ISSUED: _("Your vouchers were issued"),
    Kind.CLAIM_ACKNOWLEDGED: _("Claim received"),
    Kind.INFO_REQUESTED: _("Information requested"),
    Kind.DECISION: _("Decision on your claim"),
    Kind.APPEAL_OUTCOME: _("Outcome of your appeal"),
    Kind.VOUCHER_EXPIRY_REMINDER: _("Voucher expiry reminder"),
    Kind.VOUCHERS_EXTENDED: _("Your vouchers are valid for longer"),
    Kind.PAYOUT_PAID: _("Your payment was made"),
    Kind.PAYOUT_FAILED: _("Your payment did not go through"),
}

CHANNELS: dict[str, StrOrPromise] = {Channel.EMAIL: _("Email"), Channel.SMS: _("Text message")}

# Rules whose texts name a raw value: the value is shown in the person's language.
_SHOWN_PARAMS = {"account_status": ("status", ACCOUNT_STATUSES)}


@dataclass
class ProgramSection:
    program: Program
    on_list: bool
    covered: bool | None  # None: on the list, but no published policy decides it yet
    reasons: list[str] = field(default_factory=list)
    can_claim: bool = False
    vouchers: list[dict] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)
    # Claim reference -> its payment step, for the approved claims (the claim's page's words).
    payouts: dict[str, PayoutState] = field(default_factory=dict)

    @property
    def claim_rows(self) -> list[tuple[Claim, PayoutState | None]]:
        return [(claim, self.payouts.get(claim.reference)) for claim in self.claims]


def _reasons(person: AffectedPerson, section: ProgramSection, policy, lines, language: str):
    facts = PersonFacts(
        account_status=person.account_status,
        region=person.region,
        segment=person.segment,
        data_categories=tuple(person.data_categories or ()),
    )
    decision = person_decide(facts, policy.rules, lines)
    section.covered = decision.eligible
    texts = [reason_text("on_affected_list", True, {}, language)]
    with translation.override(language):
        for result in decision.results:
            if result.code == "proactive_award":
                continue  # the vouchers themselves are listed below, by service name
            if result.passed == decision.eligible:
                params = dict(result.params)
                shown = _SHOWN_PARAMS.get(result.code)
                if shown is not None:
                    key, labels = shown
                    params[key] = str(labels.get(params.get(key, ""), params.get(key, "")))
                texts.append(reason_text(result.code, result.passed, params, language))
    return texts


def person_page(claimant: Claimant, language: str) -> list[ProgramSection]:
    """One section per program the person is on the list of or has a claim in."""
    people = claimant_people(claimant)
    claims = list(claims_of(claimant))
    sections: dict[int, ProgramSection] = {}
    for person in people:
        sections.setdefault(
            person.program_id, ProgramSection(program=person.program, on_list=True, covered=None)
        )
    for claim in claims:
        sections.setdefault(
            claim.program_id, ProgramSection(program=claim.program, on_list=False, covered=False)
        )
    program_ids = list(sections)
    policies = policies_published_by_program(program_ids)
    lines = award_line_facts_by_program(program_ids)
    for person in people:
        section = sections[person.program_id]
        policy = policies.get(person.program_id)
        if policy is None:
            section.reasons = [reason_text("on_affected_list", True, {}, language)]
        else:
            section.reasons = _reasons(person, section, policy, lines[person.program_id], language)
    for section in sections.values():
        if not section.on_list:
            with translation.override(language):
                section.reasons = [
                    str(_("Your email address is not on this program's list of affected accounts."))
                ]
        section.can_claim = section.program.status == Program.Status.OPEN and not section.covered
    person_ids = [person.pk for person in people]
    program_of_person = {person.pk: person.program_id for person in people}
    for collect in PERSON_VOUCHERS.values():
        for person_id, rows in collect(person_ids).items():
            sections[program_of_person[person_id]].vouchers.extend(rows)
    for claim in claims:
        sections[claim.program_id].claims.append(claim)
    approved = [claim for claim in claims if claim.status == Claim.Status.APPROVED]
    views = payout_views_of_claims(approved)
    with translation.override(language):
        for claim in approved:
            state = payout_state(claim, views.get((claim.program_id, claim.reference)))
            if state is not None:
                sections[claim.program_id].payouts[claim.reference] = state
    for notice in notices_of_people(person_ids) if person_ids else []:
        program_id = notice.program_id or program_of_person.get(notice.person_id or 0)
        section_of = sections.get(program_id) if program_id else None
        if section_of is None:
            continue
        section_of.notices.append(
            {
                "reference": reference_display(notice.reference),
                "kind": NOTICE_KINDS.get(notice.kind, notice.kind),
                "channel": CHANNELS.get(notice.channel, notice.channel),
                "sent_at": notice.sent_at or notice.created_at,
            }
        )
    return sorted(sections.values(), key=lambda s: (not s.on_list, s.program.pk))
