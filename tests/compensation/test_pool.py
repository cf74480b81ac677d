from decimal import Decimal
from fractions import Fraction

import pytest

from compensation.errors import CompensationError
from compensation.models import Award, Program
from compensation.services.pool import (
    Entitlement,
    pool_projected_factor,
    pool_settle,
    pro_rata_allocate,
)
from tests.factories import ClaimTypeFactory, ProgramFactory


def test_claims_that_fit_the_pool_are_paid_in_full():
    factor, finals = pro_rata_allocate([("a", 100), ("b", 200)], 1_000)
    assert factor == 1
    assert finals == {"a": 100, "b": 200}


def test_claims_over_the_pool_are_scaled_by_one_factor_and_add_up_to_the_pool():
    entitlements = [("a", 100_000), ("b", 50_000), ("c", 33_333), ("d", 16_667)]
    factor, finals = pro_rata_allocate(entitlements, 100_000)
    assert factor == Fraction(100_000, 200_000)
    assert sum(finals.values()) == 100_000
    assert finals["a"] == 50_000
    assert finals["b"] == 25_000
    # 16,666.5 and 8,333.5: one leftover unit goes to the earlier of the equal remainders
    assert (finals["c"], finals["d"]) == (16_667, 8_333)


def test_leftover_units_go_to_the_largest_remainders():
    _factor, finals = pro_rata_allocate([("a", 1), ("b", 1), ("c", 1)], 2)
    assert sum(finals.values()) == 2
    assert sorted(finals.values()) == [0, 1, 1]
    assert finals == {"a": 1, "b": 1, "c": 0}


def test_no_one_is_paid_more_than_they_were_entitled_to():
    entitlements = [(i, amount) for i, amount in enumerate([7, 13, 29, 101, 999, 5, 1])]
    _, finals = pro_rata_allocate(entitlements, 500)
    assert sum(finals.values()) == 500
    assert all(finals[k] <= amount for k, amount in entitlements)


def test_projected_factor_is_shown_rounded_down():
    assert pool_projected_factor(pool_minor=100, entitled_minor=300) == Decimal("0.3333")
    assert pool_projected_factor(pool_minor=100, entitled_minor=50) == 1


@pytest.mark.django_db
def test_settling_a_pool_records_final_amounts_with_their_arithmetic_once():
    program = ProgramFactory.create(
        allocation=Program.Allocation.PRO_RATA, claim_pool_minor=60_000, budget_minor=100_000
    )
    claim_type = ClaimTypeFactory.create(program=program)
    entitlements = [Entitlement(f"C-{i}", claim_type.pk, None, 40_000) for i in range(3)]
    factor = pool_settle(program=program, entitlements=entitlements, actor_label="test")
    assert factor == Fraction(1, 2)
    awards = Award.objects.filter(program=program)
    assert sorted(awards.values_list("amount_minor", flat=True)) == [20_000, 20_000, 20_000]
    first = awards.first()
    assert first is not None
    assert first.explanation["pro_rata"]["factor"] == "0.500000"
    program.refresh_from_db()
    assert program.status == Program.Status.SETTLED
    assert program.committed_minor == 60_000
    with pytest.raises(CompensationError, match="already been settled"):
        pool_settle(program=program, entitlements=entitlements, actor_label="test")
    assert Award.objects.filter(program=program).count() == 3
