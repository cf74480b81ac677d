"""The dashboard shows, per service, the value that expired unused (balances included) and what
single-use redemptions forfeited; live redemptions only, spent and frozen vouchers left out."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from oversight.dashboard import dashboard_context
from oversight.services import snapshot_refresh
from tests.vouchers.conftest import (  # noqa: F401  (no_dispatch is a fixture)
    no_dispatch,
    people_make,
    run_issue,
    voucher_program_make,
)
from vouchers.models import Redemption, Voucher, VoucherFreeze
from vouchers.services.keys import service_key_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def program(no_dispatch):  # noqa: F811
    """5 people with store (5,000), eats (5,000), travel and R.LUX (20,000 each) vouchers."""
    program = voucher_program_make(name="Value lost", account_statuses=["active"])
    people_make(program, 5)
    run_issue(program)
    return program


def _lose_value(program) -> None:
    past = timezone.now() - dt.timedelta(days=1)
    eats = Voucher.objects.filter(program=program, service_scope="eats").order_by("id")
    expired = list(eats[:3])
    # Three eats vouchers ended yesterday: one untouched (5,000), one with 1,500 left, one
    # spent (nothing lost); one travel voucher ended frozen (held, not lost).
    Voucher.objects.filter(pk__in=[v.pk for v in expired]).update(valid_until=past)
    Voucher.objects.filter(pk=expired[1].pk).update(balance_minor=1_500)
    Voucher.objects.filter(pk=expired[2].pk).update(state=Voucher.State.REDEEMED)
    freeze = VoucherFreeze.objects.create(program=program, method="selection", reason="test")
    travel = Voucher.objects.filter(program=program, service_scope="travel").first()
    assert travel is not None
    Voucher.objects.filter(pk=travel.pk).update(
        valid_until=past, state=Voucher.State.FROZEN, freeze=freeze
    )
    # Two store redemptions single use: one forfeited 1,200 of 5,000, one reversed (given back).
    key, _raw = service_key_create(name="Store", service_scope="store", actor_label="test")
    store = list(Voucher.objects.filter(program=program, service_scope="store").order_by("id")[:2])
    for voucher, status in zip(store, ["live", "reversed"], strict=True):
        Voucher.objects.filter(pk=voucher.pk).update(state=Voucher.State.REDEEMED)
        Redemption.objects.create(
            voucher=voucher,
            service_key=key,
            order_reference=f"O-{voucher.pk}",
            amount_minor=3_800,
            order_amount_minor=3_800,
            forfeited_minor=1_200,
            currency="KRW",
            status=status,
        )


def test_expired_and_forfeited_value_per_service(program):
    _lose_value(program)
    snapshot_refresh(program=program)
    context = dashboard_context(program)
    rows = {row["service"]: row for row in context["value_lost_by_service"]}
    assert set(rows) == {"Food delivery (Eats)", "Online store"}  # travel: frozen, not lost
    eats = rows["Food delivery (Eats)"]
    assert (eats["expired_count"], eats["expired"]) == (2, "₩6,500")
    assert eats["forfeited_count"] == 0
    store = rows["Online store"]
    assert store["expired_count"] == 0
    assert (store["forfeited_count"], store["forfeited"]) == (1, "₩1,200")
    assert context["value_lost_total"] == {
        "expired_count": 2,
        "expired": "₩6,500",
        "forfeited_count": 1,
        "forfeited": "₩1,200",
    }


def test_the_dashboard_page_shows_the_value_lost(staff_client, program):
    _lose_value(program)
    snapshot_refresh(program=program)
    page = staff_client(PROGRAM_OPERATOR).get(
        reverse("admin:oversight_programdashboard_change", args=[program.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    table = html[html.index('id="value-lost"') :]
    table = table[: table.index("</table>")]
    assert "₩6,500" in table
    assert "₩1,200" in table


def test_no_value_lost_says_so(staff_client, program):
    snapshot_refresh(program=program)
    assert dashboard_context(program)["value_lost_by_service"] == []
