"""How the review queue behaves with a million claims. A benchmark: prints figures, asserts
no wall time. Run: make test ARGS="tests/claims/test_queue_benchmark.py -m benchmark -s"."""

import time

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import ClaimTypeFactory

# A million claims take longer than the suite's per-test timeout (pyproject.toml).
pytestmark = [pytest.mark.benchmark, pytest.mark.django_db, pytest.mark.timeout(0)]

CLAIMS = 1_000_000


def _load(program, claim_type) -> float:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO claims_claim (
                reference, program_id, claim_type_id, claimant_email_hash, contact_email, slot,
                language, status, amount_claimed_minor, statement, risk, screening_outcome, score,
                decision_reasons, signals, submitted_at, due_at, info_request,
                info_document_kind, appeal_statement, feedback_comment)
            SELECT 'B-' || lpad(i::text, 16, '0'), %s, %s, sha256(i::text::bytea), '', 1, 'ko',
                   (ARRAY['submitted', 'in_review', 'approved', 'denied'])[1 + i %% 4],
                   10000 + i %% 90000, '', (ARRAY['low','medium','high'])[1 + i %% 3], 'review',
                   i %% 101,
                   '[]', '[]', now() - (i %% 2000) * interval '1 hour',
                   now() + ((i %% 400) - 100) * interval '1 hour', '', '', '', ''
            FROM generate_series(1, %s) AS i
            """,
            [program.pk, claim_type.pk, CLAIMS],
        )
        cursor.execute("ANALYZE claims_claim")
    return time.monotonic() - started


@pytest.fixture(autouse=True)
def _only_when_asked(request):
    if "benchmark" not in (request.config.getoption("-m") or ""):
        pytest.skip("a benchmark: run with -m benchmark")


def test_queue_pages_with_a_million_claims(staff_client, program, django_assert_max_num_queries):
    claim_type = ClaimTypeFactory(program=program)
    seconds = _load(program, claim_type)
    print(f"\nloaded {CLAIMS:,} claims in {seconds:.1f}s")
    client = staff_client("Support agent")
    queue = reverse("admin:claims_claim_changelist")
    for label, query in [
        ("all, oldest first", ""),
        ("submitted, oldest first", "?status__exact=submitted"),
        ("overdue", "?sla=overdue"),
        ("high risk, riskiest first", "?risk__exact=high&o=5"),
        ("assigned to me", "?assigned=me"),
    ]:
        with django_assert_max_num_queries(14) as captured:
            started = time.monotonic()
            response = client.get(queue + query)
            elapsed = time.monotonic() - started
        assert response.status_code == 200
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        print(
            f"queue page ({label}): {elapsed * 1000:.0f} ms; slowest query "
            f"{float(slowest['time']) * 1000:.0f} ms: {slowest['sql'][:160]}"
        )
    api = reverse("claims-api:queue")
    started = time.monotonic()
    assert client.get(api + "?status=submitted&ordering=age").status_code == 200
    print(f"API queue page (submitted, by age): {(time.monotonic() - started) * 1000:.0f} ms")
