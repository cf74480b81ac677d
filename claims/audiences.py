"""The campaign audiences claims gives notifications (registered in ClaimsConfig.ready:
notifications never imports claims). One notice per claim, not per person: a claimant need
not be on the affected list (a good-faith buyer signs in with an email), so the rows are the
claims themselves, each with its claimant's addresses (the affected record's email and phone,
else the email the claimant verified) and language.

- "claims_in_state": every claim of the program in one state, with its reference and the
  link to its page.
- "claims_info_requested": the claims waiting for information, with the link to the answer
  page, the deadline in the claimant's language and the policy's rule for no answer (what an
  information reminder says)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from claims.models import Claim
from compensation.engine import NO_ANSWER_RULES
from compensation.models import Program
from notifications.audiences import AUDIENCES, Audience, local_date_sql

_MARK = "REFERENCE"

# The claims of a program with their claimant's addresses; `on_no_answer` is the rule of the
# policy the claim is decided under (the one that screened it, else the published one), as
# claims.services.info_deadlines.claim_no_answer_rule says.
_SOURCE_SQL = """
SELECT c.id, c.program_id, c.person_id, c.status, c.reference, c.info_due_at, c.language,
       coalesce(nullif(ap.email, ''), c.contact_email) AS email,
       coalesce(ap.phone, '') AS phone,
       coalesce((
           SELECT CASE WHEN pv.rules -> 'info_requests' ->> 'on_no_answer' = ANY(%s)
                       THEN pv.rules -> 'info_requests' ->> 'on_no_answer' END
           FROM compensation_policyversion AS pv
           WHERE pv.id = coalesce(c.policy_id, (
               SELECT pp.id FROM compensation_policyversion AS pp
               WHERE pp.program_id = c.program_id AND pp.status = 'published' LIMIT 1))
       ), %s) AS on_no_answer
FROM claims_claim AS c
LEFT JOIN compensation_affectedperson AS ap ON ap.id = c.person_id
WHERE c.program_id = %s
"""


def _source(program_id: int, params: dict) -> tuple[str, list]:
    return _SOURCE_SQL, [list(NO_ANSWER_RULES), NO_ANSWER_RULES[0], program_id]


def _url_parts(program_id: int, view: str) -> tuple[str, str]:
    """The claim's page address before and after its reference, as claims.notices.claim_url
    prints it."""
    slug = Program.objects.values_list("slug", flat=True).get(pk=program_id)
    path = reverse(view, kwargs={"slug": slug, "reference": _MARK})
    before, after = path.split(_MARK)
    return settings.NOTIFICATIONS_SITE_URL.rstrip("/") + before, after


def _in_state(program_id: int, params: dict) -> tuple[str, list]:
    return "p.program_id = %s AND p.status = %s", [program_id, params["state"]]


def _info_requested(program_id: int, params: dict) -> tuple[str, list]:
    return "p.program_id = %s AND p.status = %s", [program_id, Claim.Status.INFO_REQUESTED]


def _state_context(program_id: int, params: dict) -> tuple[str, list]:
    before, after = _url_parts(program_id, "claims:status")
    return (
        "jsonb_build_object('claim_reference', p.reference, 'claim_url', %s || p.reference || %s)",
        [before, after],
    )


def _info_context(program_id: int, params: dict) -> tuple[str, list]:
    before, after = _url_parts(program_id, "claims:answer")
    respond_by, date_params = local_date_sql("p.info_due_at")
    return (
        "jsonb_build_object('claim_reference', p.reference, "
        "'claim_url', %s || p.reference || %s, "
        f"'respond_by', coalesce({respond_by}, ''), "
        "'on_no_answer', p.on_no_answer)",
        [before, after, *date_params],
    )


def audiences_register() -> None:
    AUDIENCES["claims_in_state"] = Audience(
        "Claimants of the program's claims in one state (one notice per claim)",
        ("state",),
        _in_state,
        context=_state_context,
        provides=frozenset({"claim_reference", "claim_url"}),
        source=_source,
        key="claim",
        param_choices={"state": tuple(Claim.Status.values)},
    )
    AUDIENCES["claims_info_requested"] = Audience(
        "Claimants whose claim waits for information (one notice per claim; answer page, "
        "deadline and the rule for no answer)",
        (),
        _info_requested,
        context=_info_context,
        provides=frozenset({"claim_reference", "claim_url", "respond_by", "on_no_answer"}),
        source=_source,
        key="claim",
    )
