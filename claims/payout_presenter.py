"""How a claim is paid, told to its claimant in their language: the method with the account
masked, and one sentence per step (choose, chosen, scheduled, paid, failed), shared by the
filing summary, the claim's page, its payment page and /me/.

Never the details themselves: only the method, the bank's name and the last four digits."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from claims.models import Claim
from compensation.engine.money import money_format
from payouts.banks import bank_get
from payouts.methods import METHODS
from payouts.models import Payout, PayoutInstruction
from payouts.selectors import PayoutView


def method_text(*, method: str, bank_code: str, last4: str, currency: str) -> str:
    """ "Bank transfer, KB Kookmin Bank ****9012", in the active language."""
    spec = METHODS.get(method)
    label = str(spec.label) if spec else method
    masked = f"****{last4}" if last4 else ""
    bank = bank_get(currency, bank_code) if bank_code else None
    place = " ".join(
        part for part in (bank.name_in(get_language()) if bank else "", masked) if part
    )
    return _("%(method)s, %(account)s") % {"method": label, "account": place} if place else label


def instruction_text(instruction: PayoutInstruction, currency: str) -> str:
    return method_text(
        method=instruction.method,
        bank_code=instruction.bank_code,
        last4=instruction.details_last4,
        currency=currency,
    )


@dataclass(frozen=True)
class PayoutState:
    """One step of the payment as the claimant sees it. `action` is the text of the link to
    the claim's payment page ("" when the choice can no longer change)."""

    code: str  # choose | chosen | scheduled | paid | failed | returned
    text: str
    action: str = ""


def payout_state(claim: Claim, view: PayoutView | None) -> PayoutState | None:
    """The claim's payment step, in the active language; None for a claim that will not be
    paid (denied)."""
    if claim.status == Claim.Status.DENIED:
        return None
    approved = claim.status == Claim.Status.APPROVED
    instruction = view.instruction if view else None
    payout = view.payout if view else None
    currency = claim.program.currency
    if payout is not None and payout.status == Payout.Status.PAID:
        method = method_text(
            method=payout.method,
            bank_code=instruction.bank_code if instruction else "",
            last4=instruction.details_last4 if instruction else "",
            currency=currency,
        )
        paid_on = payout.settled_at or payout.updated_at
        return PayoutState(
            "paid",
            _("Paid on %(date)s: %(amount)s (%(method)s).")
            % {
                "date": formats.date_format(timezone.localtime(paid_on), "DATE_FORMAT"),
                "amount": money_format(payout.amount_minor, payout.currency),
                "method": method,
            },
        )
    if instruction is None:
        if approved:
            return PayoutState(
                "choose",
                _("Tell us how you want to be paid: we can pay you once you have."),
                _("Choose how you are paid"),
            )
        return PayoutState(
            "choose",
            _("You can already tell us how you want to be paid if your claim is approved."),
            _("Choose how you are paid"),
        )
    method = instruction_text(instruction, currency)
    if payout is not None and payout.status == Payout.Status.RELEASED:
        return PayoutState(
            "scheduled",
            _("Payment scheduled: %(method)s. The details can no longer change.")
            % {"method": method},
        )
    if (
        payout is not None
        and payout.status in (Payout.Status.FAILED, Payout.Status.RETURNED)
        and instruction.hold_code
    ):
        failed = payout.status == Payout.Status.FAILED
        text = (
            _("The payment did not go through (%(method)s).")
            if failed
            else _("The bank sent the payment back (%(method)s).")
        ) % {"method": method}
        then = _("Check your payment details and correct them: we pay again once you have.")
        return PayoutState(
            "failed" if failed else "returned", f"{text} {then}", _("Correct my payment details")
        )
    if approved:
        text = _("How we will pay you: %(method)s.") % {"method": method}
    else:
        text = _("If your claim is approved, we will pay you this way: %(method)s.") % {
            "method": method
        }
    return PayoutState("chosen", text, _("Change how you are paid"))


def payout_views_of_claims(claims: list[Claim]) -> dict[tuple[int, str], PayoutView]:
    """{(program id, claim reference): PayoutView} for claims of any programs, in one query
    (each instruction with its latest payout's fields beside it), for /me/. A claim with no
    choice has no entry."""
    if not claims:
        return {}
    latest = Payout.objects.filter(instruction=OuterRef("pk")).order_by("-id")
    fields = ("id", "status", "method", "amount_minor", "currency", "settled_at", "updated_at")
    rows = PayoutInstruction.objects.filter(
        program_id__in={c.program_id for c in claims},
        claim_reference__in=[c.reference for c in claims],
    ).annotate(**{f"latest_{name}": Subquery(latest.values(name)[:1]) for name in fields})
    views = {}
    for instruction in rows:
        payout = None
        if getattr(instruction, "latest_id", None) is not None:
            payout = Payout(
                **{name: getattr(instruction, f"latest_{name}") for name in fields},
                instruction=instruction,
            )
        views[(instruction.program_id, instruction.claim_reference)] = PayoutView(
            instruction=instruction, payout=payout
        )
    return views
