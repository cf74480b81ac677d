"""Who the claimant in this browser session is, once they have proven it (a one-time code
sent to the contact on their affected record, or a verified email for people not on the
list). Claims and vouchers pages both read it; only the claims sign-in writes it."""

from __future__ import annotations

from dataclasses import dataclass

from compensation.models import AffectedPerson

_PERSON_KEY = "claimant_person_id"
_EMAIL_HASH_KEY = "claimant_email_hash"


@dataclass(frozen=True)
class Claimant:
    person: AffectedPerson | None  # None: verified email, not on the affected list
    email_hash: bytes | None


def claimant_sign_in(request, *, person: AffectedPerson | None, email_hash: bytes | None) -> None:
    """Start a claimant session (rotating the session key against fixation)."""
    request.session.cycle_key()
    request.session[_PERSON_KEY] = person.pk if person else None
    request.session[_EMAIL_HASH_KEY] = email_hash.hex() if email_hash else None


def claimant_sign_out(request) -> None:
    request.session.pop(_PERSON_KEY, None)
    request.session.pop(_EMAIL_HASH_KEY, None)


def claimant_get(request) -> Claimant | None:
    """The signed-in claimant, or None."""
    person_id = request.session.get(_PERSON_KEY)
    email_hash = request.session.get(_EMAIL_HASH_KEY)
    if person_id is None and email_hash is None:
        return None
    person = (
        AffectedPerson.objects.filter(pk=person_id).select_related("program").first()
        if person_id
        else None
    )
    return Claimant(person=person, email_hash=bytes.fromhex(email_hash) if email_hash else None)
