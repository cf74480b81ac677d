import pytest
from django.urls import reverse

from compensation.models import Program
from tests.factories import ClaimFactory, ClaimTypeFactory, ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool_program():
    program = ProgramFactory.create(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=100_000
    )
    claim_type = ClaimTypeFactory.create(program=program)
    for _ in range(3):  # 150,000 approved against a pool of 100,000
        ClaimFactory.create(
            program=program, claim_type=claim_type, status="approved", entitlement_minor=50_000
        )
    return program


@pytest.mark.parametrize(
    ("language", "text"),
    [("en", "paid at 66%"), ("ko", "금액의 66%가 지급"), ("zh-hans", "按 66% 支付")],
)
def test_claimants_see_the_projected_pool_share_in_their_language(
    client, pool_program, language, text
):
    client.cookies["django_language"] = language
    page = client.get(reverse("claims:program", args=[pool_program.slug]))
    assert text in page.text


def test_no_share_is_shown_while_the_pool_covers_every_claim(client):
    program = ProgramFactory.create(allocation=Program.Allocation.PRO_RATA, claim_pool_minor=10**9)
    page = client.get(reverse("claims:program", args=[program.slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert "would be paid at" not in page.text
