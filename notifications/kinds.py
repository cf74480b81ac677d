"""What each notice kind may say: the variables its templates can use, and sample values for
the admin preview and a campaign's test send. The registry is explicit: a new kind is a new
entry here and its templates.

Samples are written in the preview's language as the real notices are: amounts by
money_format (5,000원 in Korean, ₩5,000 in English), dates and moments by the language's
date formats, words by the catalogue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from compensation.engine.money import money_format


@dataclass(frozen=True)
class SampleMoney:
    """An amount in a sample, in minor units: written as the preview's language writes it."""

    minor: int
    currency: str = "KRW"


# A sample value: words as they are, an amount, a day, a moment, text of the catalogue, or
# text made in the preview's language.
Sample = str | SampleMoney | dt.date | dt.datetime | Promise | Callable[[], str]


def _sample_written(value: Sample) -> str:
    """The value as the active language writes it."""
    if isinstance(value, SampleMoney):
        return money_format(value.minor, value.currency)
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, Promise | str):
        return str(value)
    return value()


def _approved_sample(minor: int) -> Callable[[], str]:
    """A decision's summary as claims writes it (claims.notices.decision_summary)."""
    return lambda: gettext("Approved: %(amount)s") % {"amount": money_format(minor, "KRW")}


def _bank_transfer_sample() -> str:
    return gettext("Bank transfer to %(account)s") % {"account": "****1234"}


_MOMENT = dt.datetime(2026, 3, 2, 2, 37, tzinfo=dt.UTC)  # 11:37 in Seoul
_BANK_SAMPLE = _("Bank transfer, KB Kookmin Bank ****9012")


class Kind(models.TextChoices):
    INCIDENT_ANNOUNCEMENT = "incident_announcement", _("Incident announcement")
    VOUCHER_ISSUED = "voucher_issued", _("Vouchers issued")
    CLAIM_ACKNOWLEDGED = "claim_acknowledged", _("Claim acknowledged")
    INFO_REQUESTED = "info_requested", _("Information requested")
    DECISION = "decision", _("Decision")
    APPEAL_OUTCOME = "appeal_outcome", _("Appeal outcome")
    VOUCHER_EXPIRY_REMINDER = "voucher_expiry_reminder", _("Voucher expiry reminder")
    VOUCHERS_READY = "vouchers_ready", _("Vouchers ready (per holder, links to /me/)")
    PAYOUT_PAID = "payout_paid", _("Payout paid")
    PAYOUT_FAILED = "payout_failed", _("Payout failed (links to correct the details)")
    INFO_REMINDER = "info_reminder", _("Information request reminder (before its deadline)")
    POOL_SETTLED = "pool_settled", _("Pro-rata pool settled (final amount and share)")
    SIGNIN_CODE = "signin_code", _("Sign-in code (priority lane)")
    PERSONAL_LINK = "personal_link", _("Personal link (opens the person's page signed in)")
    INQUIRY_REPLY = "inquiry_reply", _("Answer to an inquiry (the support desk)")
    CLAIM_MESSAGE = "claim_message", _("Message from staff about a claim")
    VOUCHERS_EXTENDED = "vouchers_extended", _("Voucher validity extended (per holder)")
    PAYMENT_CHANGED = "payment_changed", _("Payment details changed (a warning to the claimant)")
    INQUIRY_RECEIVED = (
        "inquiry_received",
        _("Inquiry received (the support desk's acknowledgement)"),
    )


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


# Filled in by the sender for every notice; callers never pass them.
# waives_claims: "yes" when the program's published terms say accepting the compensation
# waives the person's other claims, empty otherwise ({% if waives_claims %}).
AUTOMATIC_VARIABLES = frozenset({"reference", "verify_url", "program_name", "waives_claims"})
# Every template must print these, so that anyone can check the notice on the site.
REQUIRED_VARIABLES = frozenset({"reference", "verify_url"})
VERIFY_PATH = "/verify/"


@dataclass(frozen=True)
class KindSpec:
    # Variables the caller (or the campaign) must supply in `context`.
    variables: frozenset[str]
    sample: dict[str, Sample] = field(default_factory=dict)
    # Those of the variables that are codes for a template's {% if %} ("deny", "yes"), not
    # words to print.
    conditions: frozenset[str] = frozenset()
    # Those of the variables the outbox holds encrypted (notifications/sealed.py): opened
    # only to render the message, never shown in the admin.
    sealed: frozenset[str] = frozenset()
    # Variables a notice may carry but need not: a template prints them in an {% if %}.
    optional: frozenset[str] = frozenset()

    @property
    def allowed(self) -> frozenset[str]:
        return self.variables | self.optional | AUTOMATIC_VARIABLES


# A personal link (claims/services/personal_links.py): opens the recipient's page signed in,
# once; sealed in the outbox. The claim notices that carry one lead to the claim's page (the
# answer page, its status); a campaign's notice to a person of the population leads to /me/
# (notifications/links.py). A template prints it in place of the plain address:
# {% if personal_url %}{{ personal_url }}{% else %}{{ claim_url }}{% endif %}.
PERSONAL_URL = "personal_url"
_LINKED = {"optional": frozenset({PERSONAL_URL}), "sealed": frozenset({PERSONAL_URL})}


KINDS: dict[str, KindSpec] = {
    Kind.INCIDENT_ANNOUNCEMENT: KindSpec(
        **_LINKED,
        variables=frozenset({"incident_title", "claim_deadline"}),
        sample={
            "incident_title": _("Unauthorized access to account data"),
            "claim_deadline": dt.date(2026, 6, 30),
        },
    ),
    Kind.VOUCHER_ISSUED: KindSpec(
        **_LINKED,
        variables=frozenset({"voucher_total", "valid_from"}),
        sample={"voucher_total": SampleMoney(50_000), "valid_from": dt.date(2026, 1, 15)},
    ),
    Kind.CLAIM_ACKNOWLEDGED: KindSpec(
        variables=frozenset({"claim_reference"}),
        sample={"claim_reference": "C-7Q2M-9KXD"},
    ),
    # respond_by is the deadline in the notice's language; on_no_answer is the policy's rule
    # for a request left unanswered ("decide_on_file" or "deny"), for the template to say
    # what happens then ({% if on_no_answer == "deny" %}).
    Kind.INFO_REQUESTED: KindSpec(
        **_LINKED,
        variables=frozenset({"claim_reference", "respond_by", "claim_url", "on_no_answer"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "respond_by": dt.date(2026, 3, 1),
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/answer/",
            "on_no_answer": "decide_on_file",
        },
        conditions=frozenset({"on_no_answer"}),
    ),
    # Sent once per request, CLAIMS_INFO_REMINDER_DAYS before its deadline (claims' sweep).
    Kind.INFO_REMINDER: KindSpec(
        **_LINKED,
        variables=frozenset({"claim_reference", "respond_by", "claim_url", "on_no_answer"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "respond_by": dt.date(2026, 3, 1),
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/answer/",
            "on_no_answer": "decide_on_file",
        },
        conditions=frozenset({"on_no_answer"}),
    ),
    # claim_url is the claim's status page; appeal_by the last moment to appeal, in the
    # notice's language, or empty when the decision cannot be appealed.
    Kind.DECISION: KindSpec(
        **_LINKED,
        variables=frozenset({"claim_reference", "decision_summary", "claim_url", "appeal_by"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "decision_summary": _approved_sample(30_000),
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/",
            "appeal_by": "",
        },
    ),
    Kind.APPEAL_OUTCOME: KindSpec(
        **_LINKED,
        variables=frozenset({"claim_reference", "outcome_summary", "claim_url", "appeal_by"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "outcome_summary": _approved_sample(45_000),
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/",
            "appeal_by": "",
        },
    ),
    # Per holder, 30 and 7 days before their vouchers end (vouchers/services/expiry.py): the
    # audience fills count, value left and the day for each person; the link is the campaign's.
    Kind.VOUCHER_EXPIRY_REMINDER: KindSpec(
        **_LINKED,
        variables=frozenset({"voucher_count", "voucher_total", "expires_on", "me_url"}),
        sample={
            "voucher_count": "3",
            "voucher_total": SampleMoney(25_000),
            "expires_on": dt.date(2026, 12, 31),
            "me_url": "https://compensation.example.com/me/",
        },
    ),
    # Per holder, once a bulk extension of their vouchers' window is done.
    Kind.VOUCHERS_EXTENDED: KindSpec(
        **_LINKED,
        variables=frozenset({"voucher_count", "voucher_total", "valid_until", "me_url"}),
        sample={
            "voucher_count": "3",
            "voucher_total": SampleMoney(25_000),
            "valid_until": dt.date(2027, 3, 31),
            "me_url": "https://compensation.example.com/me/",
        },
    ),
    # Per holder: the audience fills the first four for each person (run holders, in
    # vouchers/audiences.py); the link to the person's page is the campaign's.
    Kind.VOUCHERS_READY: KindSpec(
        **_LINKED,
        variables=frozenset(
            {"voucher_count", "voucher_total", "valid_from", "valid_until", "me_url"}
        ),
        sample={
            "voucher_count": "4",
            "voucher_total": SampleMoney(50_000),
            "valid_from": dt.date(2026, 1, 15),
            "valid_until": dt.date(2026, 4, 15),
            "me_url": "https://compensation.example.com/me/",
        },
    ),
    # Payouts (payouts/notices.py): the claim, the amount and how it was paid.
    Kind.PAYOUT_PAID: KindSpec(
        variables=frozenset({"claim_reference", "amount", "method", "paid_on", "claim_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "amount": SampleMoney(30_000),
            "method": _bank_transfer_sample,
            "paid_on": dt.date(2026, 3, 2),
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/",
        },
    ),
    Kind.PAYOUT_FAILED: KindSpec(
        variables=frozenset({"claim_reference", "amount", "method", "fix_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "amount": SampleMoney(30_000),
            "method": _bank_transfer_sample,
            "fix_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/payment/",
        },
    ),
    # Sent whenever a claim's payment choice is set or changed on its payment page, to the
    # claim's address: a stolen sign-in used to redirect a payment is seen by its owner.
    # `method` is masked ("Bank transfer, KB Kookmin Bank ****9012"); `changed_at` is the
    # moment in the reader's language.
    Kind.PAYMENT_CHANGED: KindSpec(
        variables=frozenset({"claim_reference", "method", "changed_at", "claim_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "method": _BANK_SAMPLE,
            "changed_at": _MOMENT,
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/payment/",
        },
    ),
    # A pro-rata pool's settlement, one per claim paid from it (claims' claims_pool_settle):
    # the approved and final amounts, the share every approved amount was paid at, and the
    # arithmetic behind it. `reduced` is "yes" when the pool could not pay every claim in
    # full, empty otherwise.
    Kind.POOL_SETTLED: KindSpec(
        variables=frozenset(
            {
                "claim_reference",
                "entitled_amount",
                "final_amount",
                "pool_share",
                "pool_amount",
                "entitled_total",
                "reduced",
                "claim_url",
            }
        ),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "entitled_amount": SampleMoney(300_000),
            "final_amount": SampleMoney(250_000),
            "pool_share": "83.33%",
            "pool_amount": SampleMoney(1_000_000_000),
            "entitled_total": SampleMoney(1_200_000_000),
            "reduced": "yes",
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/",
        },
        conditions=frozenset({"reduced"}),
    ),
    # The claims sign-in (claims/services/signin.py), on the priority lane: the code, sealed
    # in the outbox, and how many minutes it works.
    Kind.SIGNIN_CODE: KindSpec(
        variables=frozenset({"code", "minutes"}),
        sample={"code": "482913", "minutes": "10"},
        sealed=frozenset({"code"}),
    ),
    # A link that signs its one recipient in once (claims' personal_link_send), sealed in the
    # outbox; valid_until in the notice's language.
    Kind.PERSONAL_LINK: KindSpec(
        variables=frozenset({"personal_url", "valid_until"}),
        sample={
            "personal_url": "https://compensation.example.com/go/5f0c-sample/",
            "valid_until": dt.date(2026, 3, 1),
        },
        sealed=frozenset({"personal_url"}),
    ),
    # The support desk's answer to an inquiry (support/services/inquiries.py): the staff
    # member's text, sent in the inquiry's language by email or SMS.
    Kind.INQUIRY_REPLY: KindSpec(
        variables=frozenset({"inquiry_reference", "reply_text"}),
        sample={
            "inquiry_reference": "Q-7Q2M9KXD4TGBH3ZP",
            "reply_text": _("Your vouchers can be used from January 15 in every service."),
        },
    ),
    # The acknowledgement of a question sent from the site (support/services/inquiries.py):
    # its reference and the moment the answer is due by (the SLA), in the inquiry's language.
    Kind.INQUIRY_RECEIVED: KindSpec(
        variables=frozenset({"inquiry_reference", "answer_by"}),
        sample={
            "inquiry_reference": "Q-7Q2M9KXD4TGBH3ZP",
            "answer_by": _MOMENT + dt.timedelta(days=1, hours=2),
        },
    ),
    # Staff writing to a claimant about a claim (claims/services/messages.py).
    Kind.CLAIM_MESSAGE: KindSpec(
        variables=frozenset({"claim_reference", "message_text", "claim_url"}),
        sample={
            "claim_reference": "C-7Q2M-9KXD",
            "message_text": _("We have received your receipts and will decide this week."),
            "claim_url": "https://compensation.example.com/programs/demo/claims/C-7Q2M-9KXD/",
        },
    ),
}

AUTOMATIC_SAMPLE: dict[str, Sample] = {
    "reference": "7Q2M-9KXD-4TGB-H1ZP",
    "verify_url": "https://compensation.example.com/verify/",
    "program_name": _("Account data incident compensation"),
    "waives_claims": "",
}


PERSONAL_URL_SAMPLE = "https://compensation.example.com/go/5f0c-sample/"


def sample_context(kind: str, language: str | None = None) -> dict[str, str]:
    """Values for the admin preview (and a campaign's test send) of a template of this kind,
    written in `language` (by default the active one) as that language's notices write them."""
    linked = {PERSONAL_URL: PERSONAL_URL_SAMPLE} if PERSONAL_URL in KINDS[kind].optional else {}
    values = {**AUTOMATIC_SAMPLE, **KINDS[kind].sample, **linked}
    with translation.override(language or translation.get_language()):
        return {name: _sample_written(value) for name, value in values.items()}
