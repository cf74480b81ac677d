"""Who the claimant in this browser session is, once they have proven it (a one-time code
sent to the contact on their affected record, or a verified email for people not on the
list). Claims and vouchers pages both read it; only the claims sign-in writes it."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from compensation.models import AffectedPerson

_PERSON_KEY = "claimant_person_id"
_EMAIL_HASH_KEY = "claimant_email_hash"


@dataclass(frozen=True)
class Claimant:
    person: AffectedPerson | None  # None: verified email, not on the affected list
    email_hash: bytes | None


def claimant_sign_in(request, *, person: AffectedPerson | None, email_hash: bytes | None) -> None:
    """Start a claimant session under a new session key (against fixation). When someone else
    was signed in on this browser, nothing of their session is kept (drafts included)."""
    person_id = person.pk if person else None
    digest = email_hash.hex() if email_hash else None
    signed_in = (request.session.get(_PERSON_KEY), request.session.get(_EMAIL_HASH_KEY))
    if signed_in != (None, None) and signed_in != (person_id, digest):
        request.session.flush()
    else:
        request.session.cycle_key()
    request.session[_PERSON_KEY] = person_id
    request.session[_EMAIL_HASH_KEY] = digest


def claimant_sign_out(request) -> None:
    """End the session: its row is deleted and everything in it (drafts, contact address)
    goes, so the next person on a shared browser starts from nothing."""
    request.session.flush()


def claimant_owner(claimant: Claimant) -> list[int | str | None]:
    """What binds session data (a draft) to the claimant who made it; JSON-safe."""
    return [
        claimant.person.pk if claimant.person else None,
        claimant.email_hash.hex() if claimant.email_hash else None,
    ]


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


def claimant_people(claimant: Claimant) -> list[AffectedPerson]:
    """Every affected record of this claimant, one per program they are in: the record they
    signed in as, and the records of other programs with the email they proved they hold (the
    sign-in code went to it). One query, programs joined."""
    if claimant.email_hash is None:
        return [claimant.person] if claimant.person else []
    condition = Q(email_hash=claimant.email_hash)
    if claimant.person is not None:
        condition |= Q(pk=claimant.person.pk)
    return list(AffectedPerson.objects.filter(condition).select_related("program").order_by("id"))


def claimant_person_ids(claimant: Claimant) -> list[int]:
    return [person.pk for person in claimant_people(claimant)]


def claimant_context(request) -> dict[str, bool]:
    """For the header of every claimant page: is someone signed in (a link to /me/)?
    Reads the session only (no look-up of the person)."""
    session = getattr(request, "session", None)
    signed_in = session is not None and (
        session.get(_PERSON_KEY) is not None or session.get(_EMAIL_HASH_KEY) is not None
    )
    return {"claimant_signed_in": signed_in}
