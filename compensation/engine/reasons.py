"""Plain-language reasons for every rule, in the claimant's language.

Rule results keep only their code and parameters; the text is chosen here when it is shown,
so a stored decision can be explained in any of the project's languages later. The texts are
English gettext messages with the parameters, like every other text: their translations are
in the project's locale/ (`make messages`)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from compensation.engine.money import money_format

REASONS = {
    "on_affected_list": _("Your account is on the list of accounts affected by the incident."),
    "on_affected_list.failed": _(
        "We could not find your account on the list of affected accounts, and this kind of claim "
        "is only open to affected accounts."
    ),
    "account_status": _("Your account status (%(status)s) is covered."),
    "account_status.failed": _(
        "Accounts with the status '%(status)s' are not covered by this program."
    ),
    "region": _("Your region is covered."),
    "region.failed": _("Your region (%(region)s) is not covered by this program."),
    "segment": _("Your customer group is covered."),
    "segment.failed": _("Your customer group (%(segment)s) is not covered by this program."),
    "data_categories": _("Data of a covered kind about you was exposed."),
    "data_categories.failed": _(
        "None of the kinds of data this program covers was exposed for your account."
    ),
    "claim_window": _("Your claim arrived while claims were open."),
    "claim_window.failed": _(
        "Your claim arrived outside the claim period (%(opens)s to %(closes)s)."
    ),
    "documents": _("All the documents this claim needs were provided."),
    "documents.failed": _(
        "Documents missing: %(missing)s. A reviewer will look at your claim and may ask you for "
        "them."
    ),
    "claims_per_person": _("This is within the number of claims of this kind one person may file."),
    "claims_per_person.failed": _(
        "You have already filed %(limit)s claim(s) of this kind, the most one person may."
    ),
    "amount": _("The amount for this claim is %(amount)s."),
    "cap_per_claim": _("The amount was limited to %(cap)s, the most this kind of claim pays."),
    "hours_cap": _("Time was counted up to %(hours)s hours (%(documented)s)."),
    "cap_per_person": _(
        "The amount was limited so that your total stays within %(cap)s per person."
    ),
    "offset_proactive": _("The %(offset)s already given to you for the same harm was subtracted."),
    "nothing_left": _("You have already been compensated up to the limit for this harm."),
    "budget": _("The program's budget can pay this claim."),
    "budget.failed": _(
        "The program's remaining budget cannot pay this claim in full; a reviewer will decide."
    ),
    "fraud_signals": _("No warning signs were found."),
    "fraud_signals.failed": _("Some details need a closer look by a person (%(count)s check(s))."),
    "score.approve": _("Your claim met every condition and was approved automatically."),
    "score.review": _("A member of our team will review your claim."),
    "score.deny": _("Your claim does not meet the program's conditions."),
    "high_amount": _("Claims above %(cap)s are always checked by a person."),
    "proactive_award": _("You receive: %(lines)s."),
    # A request for information left unanswered at its deadline, under a policy whose
    # info_requests.on_no_answer is "deny" (the same words staff use for that reason).
    "no_answer.failed": _("We did not receive the information we asked for by the deadline."),
}

_FALLBACK = "en"

# A parameter that is a stored code, said in words (the account status rule's `status`).
_STATUS_WORDS = {"active": _("active"), "dormant": _("dormant"), "closed": _("closed")}


def reason_text(code: str, passed: bool, params: dict, language: str) -> str:
    """The plain-language reason for one rule result, in `language` (one of LANGUAGES;
    English otherwise). An unknown code is shown as itself."""
    key = code if passed or f"{code}.failed" not in REASONS else f"{code}.failed"
    message = REASONS.get(key) or REASONS.get(code)
    if message is None:
        return code
    if language not in dict(settings.LANGUAGES):
        language = _FALLBACK
    with translation.override(language):
        template = str(message)
        values = {key: _shown(value) for key, value in params.items()}
        if code == "account_status" and params.get("status") in _STATUS_WORDS:
            values["status"] = str(_STATUS_WORDS[params["status"]])
    return template % _Blank(values)


def _shown(value: object) -> object:
    """A parameter as the reader's language writes it: an amount ({"minor", "currency"}) by
    money_format; a text as it is (a decision stored before amounts were kept as amounts)."""
    if isinstance(value, dict) and {"minor", "currency"} <= value.keys():
        return money_format(int(value["minor"]), str(value["currency"]))
    return value


class _Blank(dict):
    """A missing parameter renders as nothing rather than breaking the explanation."""

    def __missing__(self, key: str) -> str:
        return ""
