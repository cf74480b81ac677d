"""The admin's extension page: an operator counts what would move, proposes the extension, and
cannot approve it alone; a date not after the current end is refused on the field."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import Proposal
from audit.proposals import FourEyes, proposal_approve
from tests.factories import UserFactory
from tests.vouchers.conftest import people_make, run_issue
from vouchers.models import ValidityExtension

pytestmark = pytest.mark.django_db

URL = reverse("admin:vouchers_validityextension_propose")


@pytest.fixture
def issued(coupang, no_dispatch):
    people_make(coupang, 6)
    run_issue(coupang, chunk_size=3)
    return coupang


def _form(program, *, days: int, **extra) -> dict:
    last_day = timezone.localdate() + dt.timedelta(days=days)
    return {
        "program": program.pk,
        "batch": program.voucher_batches.get().pk,
        "last_day": last_day.isoformat(),
        "reason": "The services opened late",
        **extra,
    }


def test_an_operator_counts_then_proposes_and_cannot_approve_alone(staff_client, issued):
    client = staff_client(PROGRAM_OPERATOR)
    assert client.get(URL).status_code == 200
    preview = client.post(URL, _form(issued, days=200, preview="1"))
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="extension-figures"' in html
    assert "24" in html  # 6 people x 4 vouchers
    assert "₩300,000" in html
    assert not Proposal.objects.exists()

    proposed = client.post(URL, _form(issued, days=200, confirm="1"))
    proposal = Proposal.objects.get()
    assert proposed.status_code == 302
    assert proposed["Location"] == reverse("admin:audit_proposal_change", args=[proposal.pk])
    assert proposal.status == Proposal.Status.PROPOSED
    assert proposal.figures["vouchers"] == 24
    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=client.user)
    assert not ValidityExtension.objects.exists()
    proposal_approve(proposal=proposal, actor=UserFactory.create(role=PROGRAM_OPERATOR))
    extension = ValidityExtension.objects.get()
    end = timezone.localtime(extension.valid_until)
    assert (end.date(), end.hour, end.minute) == (
        timezone.localdate() + dt.timedelta(days=200),
        23,
        59,
    )


def test_a_date_before_the_current_end_is_refused_on_the_field(staff_client, issued):
    page = staff_client(PROGRAM_OPERATOR).post(URL, _form(issued, days=30, confirm="1"))
    assert page.status_code == 200
    assert "an extension must end later" in page.content.decode()
    assert not Proposal.objects.exists()


def test_an_agent_cannot_open_the_page(staff_client, issued):
    assert staff_client(SUPPORT_AGENT).get(URL).status_code == 403
