"""Marking awards delivered: only the program's granted awards move, once, with one audit row
per statement naming how many; by ids in chunks (awards_delivered_mark) or by a SQL selection
in one statement (awards_delivered_mark_select), which the chunks use."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from compensation.models import Award
from compensation.services import ledger
from compensation.services.ledger import (
    award_grant,
    award_reverse,
    awards_delivered_mark,
    awards_delivered_mark_select,
)
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db


def _grants(program, count, prefix):
    return [
        award_grant(
            program=program,
            kind="cash",
            amount_minor=10_000,
            source="claim",
            claim_reference=f"{prefix}-{n}",
            actor_label="test",
        )
        for n in range(count)
    ]


def _delivered(program) -> set[int]:
    return set(
        Award.objects.filter(program=program, status=Award.Status.DELIVERED).values_list(
            "pk", flat=True
        )
    )


def test_a_selection_moves_the_programs_granted_awards_once():
    program, other = ProgramFactory.create(), ProgramFactory.create()
    awards = _grants(program, 4, "D")
    foreign = _grants(other, 1, "F")[0]
    award_reverse(award=awards[3], reason="refund", actor_label="test")
    select = "SELECT unnest(%(ids)s::bigint[])"
    ids = [a.pk for a in awards] + [foreign.pk]
    moved = awards_delivered_mark_select(
        program_id=program.pk, select=select, params={"ids": ids}, actor_label="t", reason="r"
    )
    assert moved == 3
    assert _delivered(program) == {a.pk for a in awards[:3]}  # not the reversed one
    assert _delivered(other) == set()  # nor another program's
    again = awards_delivered_mark_select(
        program_id=program.pk, select=select, params={"ids": ids}, actor_label="t", reason="r"
    )
    assert again == 0
    events = AuditEvent.objects.filter(action="award.deliver", program_id=program.pk)
    assert [e.after for e in events] == [{"awards": 3, "reason": "r"}]  # none for nothing


def test_ids_are_marked_in_chunks_each_with_its_audit_row(monkeypatch):
    program = ProgramFactory.create()
    awards = _grants(program, 5, "C")
    monkeypatch.setattr(ledger, "DELIVERED_MARK_CHUNK", 2)
    ids = [a.pk for a in awards]
    moved = awards_delivered_mark(
        program_id=program.pk, award_ids=ids + ids[:1], actor_label="t", reason="r"
    )
    assert moved == 5
    assert _delivered(program) == set(ids)
    events = AuditEvent.objects.filter(action="award.deliver", program_id=program.pk)
    assert sorted((e.after or {})["awards"] for e in events) == [1, 2, 2]
