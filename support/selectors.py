"""Finding people: one query over the person table for every kind a search string can be,
each kind by its own index, then the people found (their program joined), so a search costs
the same few queries whatever matched.

Contact details are matched only by their keyed hashes (`email_hash`, `phone_hash`, as the
population import stores them); the plain email and phone columns are read for the people
found, to show them masked, never searched."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, F, Lookup, OuterRef, Q, QuerySet, Value
from django.db.models.fields import CharField

from claims.models import Claim
from claims.selectors import queue_for
from compensation.models import AffectedPerson, Program
from notifications.models import Notice
from support.query import Kind, Query
from vouchers.models import Voucher

# At most this many people a search, and per kind: an agent narrows a longer list down.
MAX_RESULTS = 25
# The order kinds are shown in when a person matched several: the most specific first.
_KIND_ORDER = list(Kind)
# Shown for each person found (the plain contact columns only to mask them).
_PERSON_FIELDS = (
    "id",
    "program_id",
    "external_id",
    "name",
    "email",
    "phone",
    "language",
    "account_status",
)


class _ILike(Lookup):
    """`name ILIKE pattern`, which the trigram index on the name serves (Django's icontains
    compares UPPER(name), which the index does not)."""

    lookup_name = "support_ilike"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_pattern(name: str) -> str:
    """A name of three characters or more is found anywhere in the stored name (the index
    holds its trigrams); a shorter one (a two-syllable Chinese name) only as the whole name,
    whose padded trigrams the index holds too, so neither scans the table."""
    escaped = _like_escape(name)
    return f"%{escaped}%" if len(name) >= 3 else escaped


def _name_condition(name: str) -> _ILike:
    return _ILike(F("name"), Value(name_pattern(name), output_field=CharField()))


@dataclass
class Found:
    person: AffectedPerson
    program_name: str
    kinds: list[Kind]


@dataclass
class SearchResult:
    query: Query
    people: list[Found] = field(default_factory=list)
    # Claims found by reference or by the claimant's email whose claimant is on no list.
    claims: list[Claim] = field(default_factory=list)
    truncated: bool = False

    @property
    def count(self) -> int:
        return len(self.people) + len(self.claims)


def _arms(query: Query, user, program_ids: list[int]) -> list[QuerySet]:
    """One sliced query of person ids per kind, each served by its own index."""
    people = AffectedPerson.objects.filter(program_id__in=program_ids)
    arms: list[tuple[Kind, QuerySet]] = []
    if Kind.EMAIL in query.kinds and query.email_hash:
        arms.append((Kind.EMAIL, people.filter(email_hash=query.email_hash)))
    if Kind.PHONE in query.kinds and query.phone_hash:
        arms.append((Kind.PHONE, people.filter(phone_hash=query.phone_hash)))
    if Kind.EXTERNAL_ID in query.kinds:
        arms.append((Kind.EXTERNAL_ID, people.filter(external_id=query.external_id)))
    if Kind.CLAIM in query.kinds:
        claims = queue_for(user).filter(reference=query.claim_reference, person__isnull=False)
        arms.append((Kind.CLAIM, people.filter(pk__in=claims.values("person_id"))))
    if Kind.NOTICE in query.kinds:
        notices = Notice.objects.filter(reference=query.notice_reference, person__isnull=False)
        arms.append((Kind.NOTICE, people.filter(pk__in=notices.values("person_id"))))
    if Kind.VOUCHER in query.kinds:
        holds = Voucher.objects.filter(person_id=OuterRef("pk"), last4=query.voucher_last4)
        arms.append(
            (Kind.VOUCHER, people.filter(_name_condition(query.name)).filter(Exists(holds)))
        )
    if Kind.NAME in query.kinds:
        arms.append((Kind.NAME, people.filter(_name_condition(query.name))))
    return [
        qs.order_by().annotate(kind=Value(kind.value)).values_list("pk", "kind")[: MAX_RESULTS + 1]
        for kind, qs in arms
    ]


def _orphan_claims(query: Query, user, program_ids: list[int]) -> list[Claim]:
    """Claims whose claimant is on no affected list (a good-faith buyer), found by their
    reference or by the keyed hash of the email they signed in with."""
    condition = Q()
    if Kind.CLAIM in query.kinds:
        condition |= Q(reference=query.claim_reference)
    if Kind.EMAIL in query.kinds and query.email_hash:
        condition |= Q(claimant_email_hash=query.email_hash)
    if not condition:
        return []
    claims = queue_for(user).filter(condition, person__isnull=True, program_id__in=program_ids)
    return list(claims.order_by("-id")[: MAX_RESULTS + 1])


def people_search(*, query: Query, user, programs: list[Program]) -> SearchResult:
    """The people (and claims of people on no list) `query` finds among `programs`, at most
    MAX_RESULTS of them, in at most three queries."""
    result = SearchResult(query=query)
    program_ids = [program.pk for program in programs]
    arms = _arms(query, user, program_ids)
    hits: dict[int, list[Kind]] = {}
    if arms:
        first, *rest = arms
        rows = list(first.union(*rest, all=True)) if rest else list(first)
        counts: dict[str, int] = {}
        for person_id, kind in rows:
            counts[kind] = counts.get(kind, 0) + 1
            hits.setdefault(person_id, []).append(Kind(kind))
        result.truncated = any(count > MAX_RESULTS for count in counts.values())
    if hits:
        names = {program.pk: program.local_name for program in programs}
        found = AffectedPerson.objects.filter(pk__in=list(hits)).only(*_PERSON_FIELDS)
        for person in found:
            kinds = sorted(set(hits[person.pk]), key=_KIND_ORDER.index)
            result.people.append(Found(person, names.get(person.program_id, ""), kinds))
        exact = query.name.casefold()
        result.people.sort(
            key=lambda f: (
                _KIND_ORDER.index(f.kinds[0]),
                f.person.name.casefold() != exact,
                f.person.name,
                f.program_name,
                f.person.pk,
            )
        )
    claims = _orphan_claims(query, user, program_ids)
    result.truncated = result.truncated or len(claims) > MAX_RESULTS
    result.claims = claims[:MAX_RESULTS]
    if len(result.people) > MAX_RESULTS:
        result.people, result.truncated = result.people[:MAX_RESULTS], True
    return result
