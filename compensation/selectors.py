"""Reads shared by the admin, the engine's callers and reports."""

from __future__ import annotations

from django.db import connection

from compensation.engine import AwardLineFacts, PersonFacts
from compensation.models import AwardLine, PolicyVersion, Program


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
