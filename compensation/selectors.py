"""Reads shared by the admin, the engine's callers and reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from compensation.engine import AwardLineFacts, PersonFacts
from compensation.models import (
    AwardLine,
    PolicyVersion,
    Program,
    ProgramFaqEntry,
    ProgramTerms,
    ProgramTermsText,
)


def award_line_facts(program: Program) -> list[AwardLineFacts]:
    return [
        AwardLineFacts(
            code=line.code, kind=line.kind, amount_minor=line.amount_minor, count=line.count
        )
        for line in AwardLine.objects.filter(program=program).order_by("position", "id")
    ]


def policy_published(program: Program) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(
        program=program, status=PolicyVersion.Status.PUBLISHED
    ).first()


@dataclass
class TermsChange:
    number: int
    published_at: object  # a datetime
    summary: str


@dataclass
class PublicTerms:
    """What the program's page prints of its latest published terms, in one language."""

    terms: ProgramTerms
    text: ProgramTermsText | None
    faq: list[ProgramFaqEntry] = field(default_factory=list)
    # Every published version, newest first, with what changed in the reader's language.
    changes: list[TermsChange] = field(default_factory=list)


def _in_language(rows: dict[str, object], language: str):
    return rows.get(language) or rows.get("en") or rows.get("ko")


def program_terms_public(program: Program, language: str) -> PublicTerms | None:
    """The latest published terms of the program in `language` (else English, else Korean)
    and the dated list of its versions; None while nothing is published. Three queries."""
    versions = list(
        ProgramTerms.objects.filter(program=program, published_at__isnull=False).order_by("-number")
    )
    if not versions:
        return None
    texts: dict[int, dict[str, object]] = {}
    for text in ProgramTermsText.objects.filter(terms__in=versions):
        texts.setdefault(text.terms_id, {})[text.language] = text
    current = versions[0]
    by_language: dict[str, list[ProgramFaqEntry]] = {}
    for entry in ProgramFaqEntry.objects.filter(terms=current).order_by("position", "id"):
        by_language.setdefault(entry.language, []).append(entry)
    changes = []
    for version in versions:
        text = _in_language(texts.get(version.pk, {}), language)
        changes.append(
            TermsChange(
                number=version.number,
                published_at=version.published_at,
                summary=text.change_summary if isinstance(text, ProgramTermsText) else "",
            )
        )
    text = _in_language(texts.get(current.pk, {}), language)
    return PublicTerms(
        terms=current,
        text=text if isinstance(text, ProgramTermsText) else None,
        faq=_in_language(by_language, language) or [],  # type: ignore[arg-type]
        changes=changes,
    )


def program_waivers(program_ids) -> dict[int, bool]:
    """For each program with published terms: whether accepting its compensation waives any
    claim, as its latest published version says. One query."""
    rows = (
        ProgramTerms.objects.filter(program_id__in=program_ids, published_at__isnull=False)
        .order_by("program_id", "-number")
        .distinct("program_id")
        .values_list("program_id", "accepting_waives_claims")
    )
    return dict(rows)


def policies_published_by_program(program_ids: list[int]) -> dict[int, PolicyVersion]:
    """The published policy of each program that has one; one query."""
    policies = PolicyVersion.objects.filter(
        program_id__in=program_ids, status=PolicyVersion.Status.PUBLISHED
    )
    return {policy.program_id: policy for policy in policies}


def award_line_facts_by_program(program_ids: list[int]) -> dict[int, list[AwardLineFacts]]:
    """award_line_facts for several programs at once; one query."""
    facts: dict[int, list[AwardLineFacts]] = {pk: [] for pk in program_ids}
    for line in AwardLine.objects.filter(program_id__in=program_ids).order_by("position", "id"):
        facts[line.program_id].append(
            AwardLineFacts(
                code=line.code, kind=line.kind, amount_minor=line.amount_minor, count=line.count
            )
        )
    return facts


def population_profiles(program: Program):
    """The population grouped by every fact the engine reads about a person: one row per
    distinct profile with its head count and one example id. Proactive decisions depend on
    nothing else, so deciding each profile once decides everyone (33.7M people are a few
    hundred profiles), in one scan the database does."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT account_status, region, segment, data_categories, count(*), min(id)
            FROM compensation_affectedperson WHERE program_id = %s
            GROUP BY account_status, region, segment, data_categories
            """,
            [program.pk],
        )
        for status, region, segment, categories, people, example_id in cursor.fetchall():
            yield (
                PersonFacts(
                    account_status=status,
                    region=region,
                    segment=segment,
                    data_categories=tuple(categories or ()),
                ),
                people,
                example_id,
            )
