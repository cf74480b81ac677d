"""No silent forfeiture: reminders 30 and 7 days before vouchers end reach exactly the holders
with value left, once each; a bulk extension of a run's or a program's window is a proposal
another operator approves, moves the whole scope in chunks and tells the holders."""

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.roles import PROGRAM_OPERATOR
from audit.models import AuditEvent, Proposal
from audit.proposals import FourEyes, proposal_approve
from compensation.models import AffectedPerson, Program
from notifications.models import Campaign, Notice
from notifications.services import campaign_build, campaigns_start_due
from tests.factories import UserFactory
from tests.vouchers.conftest import people_make, run_issue
from vouchers.models import ValidityExtension, Voucher, VoucherFreeze
from vouchers.proposals import validity_extend_proposal
from vouchers.services.expiry import (
    ExtensionRefused,
    reminder_due,
    validity_extension_work,
    voucher_expiry_reminders_start,
)

pytestmark = pytest.mark.django_db

SEOUL = zoneinfo.ZoneInfo(settings.TIME_ZONE)


@pytest.fixture
def queued(monkeypatch, settings):
    """Tasks stay off the broker: the test works builds and extensions itself."""
    settings.NOTIFICATIONS_SITE_URL = "https://compensation.example.com"
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "config.queueing.task_send", lambda name, kwargs, **options: calls.append((name, kwargs))
    )
    return calls


def _build_all() -> None:
    campaigns_start_due()
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.BUILDING).values_list(
        "pk", flat=True
    ):
        assert campaign_build(campaign_id=campaign_id) is True


def _notices(kind: str):
    return Notice.objects.filter(kind=kind).select_related("person")


def _ids(*external_ids: str) -> list[int]:
    return list(
        AffectedPerson.objects.filter(external_id__in=external_ids).values_list("pk", flat=True)
    )


def _end_on(day: dt.date, **filters) -> None:
    """The vouchers matching `filters` end at 18:00 (Seoul) on `day`."""
    end = dt.datetime.combine(day, dt.time(18), tzinfo=SEOUL)
    Voucher.objects.filter(**filters).update(valid_until=end)


def _redeem(person_ids: list[int], scopes: list[str]) -> None:
    Voucher.objects.filter(person_id__in=person_ids, service_scope__in=scopes).update(
        state=Voucher.State.REDEEMED
    )


def _at(day: dt.date, hour: int = 11) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SEOUL)


@pytest.fixture
def holders(coupang, no_dispatch, queued):
    """10 people with four vouchers each (₩50,000): P01 spent everything, P02 spent store
    and eats (40,000 left), P03's travel voucher is frozen (30,000 usable left), P04 has 2,000
    left on the store voucher (47,000 left), P10 has a phone and no email. Every voucher ends
    25 days after TODAY."""
    people_make(coupang, 10)
    AffectedPerson.objects.filter(external_id="P00000010").update(email="", phone="+821012345678")
    run_issue(coupang, chunk_size=4)
    (p1,), (p2,), (p3,) = _ids("P00000001"), _ids("P00000002"), _ids("P00000003")
    _redeem([p1], ["store", "eats", "travel", "rlux"])
    _redeem([p2], ["store", "eats"])
    freeze = VoucherFreeze.objects.create(program=coupang, method="selection", reason="test")
    Voucher.objects.filter(person_id=p3, service_scope="travel").update(
        state=Voucher.State.FROZEN, freeze=freeze
    )
    # P04 spent 3,000 of the store voucher by a partial redemption: 2,000 left on it.
    Voucher.objects.filter(person__external_id="P00000004", service_scope="store").update(
        balance_minor=2_000
    )
    _end_on(TODAY + dt.timedelta(days=25), program_id=coupang.pk)
    return coupang


TODAY = timezone.now().astimezone(SEOUL).date()


def test_the_reminder_due_is_the_closest_not_yet_passed():
    assert reminder_due(31) is None
    assert reminder_due(30) == 30
    assert reminder_due(8) == 30
    assert reminder_due(7) == 7
    assert reminder_due(0) == 7


def test_a_reminder_reaches_exactly_the_holders_with_value_left_with_their_own_amount(holders):
    assert voucher_expiry_reminders_start(now=_at(TODAY)) == 2  # email and SMS
    _build_all()
    notices = {n.person.external_id: n for n in _notices("voucher_expiry_reminder")}
    assert sorted(notices) == [f"P{n:08d}" for n in range(2, 11)]  # not P01, who spent all
    assert notices["P00000002"].context["voucher_total"] == "40,000원"
    assert notices["P00000002"].context["voucher_count"] == "2"
    assert notices["P00000003"].context["voucher_total"] == "30,000원"  # the frozen one left out
    assert notices["P00000004"].context["voucher_total"] == "47,000원"  # the balance counts
    assert notices["P00000005"].context["voucher_total"] == "50,000원"
    expires_on = TODAY + dt.timedelta(days=25)
    assert notices["P00000005"].context["expires_on"] == (
        f"{expires_on.year}년 {expires_on.month}월 {expires_on.day}일"
    )
    assert notices["P00000010"].channel == "sms"
    assert {n.kind for n in notices.values()} == {"voucher_expiry_reminder"}
    campaign = Campaign.objects.get(channel="email", kind="voucher_expiry_reminder")
    assert campaign.dedupe_key == f"vouchers:expiry:{holders.pk}:{expires_on.isoformat()}:30:email"
    assert campaign.context == {"me_url": "https://compensation.example.com/me/"}


def test_each_reminder_goes_once_and_the_seven_day_one_follows(holders):
    voucher_expiry_reminders_start(now=_at(TODAY))
    _build_all()
    # The same day again, and every day until the 7-day mark: nothing new.
    for days in range(0, 18):
        assert voucher_expiry_reminders_start(now=_at(TODAY + dt.timedelta(days=days))) == 0
    _build_all()
    assert _notices("voucher_expiry_reminder").count() == 9
    # 7 days before: the second reminder, once, to the same people.
    assert voucher_expiry_reminders_start(now=_at(TODAY + dt.timedelta(days=18))) == 2
    _build_all()
    assert voucher_expiry_reminders_start(now=_at(TODAY + dt.timedelta(days=19))) == 0
    assert _notices("voucher_expiry_reminder").count() == 18
    per_person = Counter(_notices("voucher_expiry_reminder").values_list("person_id", flat=True))
    assert len(per_person) == 9
    assert set(per_person.values()) == {2}


def test_no_reminder_at_night_and_none_before_thirty_days(holders):
    assert voucher_expiry_reminders_start(now=_at(TODAY, hour=3)) == 0
    assert voucher_expiry_reminders_start(now=_at(TODAY - dt.timedelta(days=6))) == 0
    assert not Campaign.objects.filter(kind="voucher_expiry_reminder").exists()


def test_a_missed_thirty_day_reminder_is_replaced_by_the_seven_day_one(holders):
    """Vouchers that end in 5 days (issued late, or beat was down): only the 7-day reminder."""
    _end_on(TODAY + dt.timedelta(days=5), program_id=holders.pk)
    assert voucher_expiry_reminders_start(now=_at(TODAY)) == 2
    reminders = Campaign.objects.filter(kind="voucher_expiry_reminder")
    assert set(reminders.values_list("dedupe_key", flat=True)) == {
        f"vouchers:expiry:{holders.pk}:{(TODAY + dt.timedelta(days=5)).isoformat()}:7:{channel}"
        for channel in ("email", "sms")
    }


# --- Extension ------------------------------------------------------------------------------------


def _operator():
    return UserFactory.create(role=PROGRAM_OPERATOR)


def _until(program: Program) -> set:
    return set(
        Voucher.objects.filter(program=program)
        .exclude(state=Voucher.State.REDEEMED)
        .values_list("valid_until", flat=True)
    )


def test_an_extension_refuses_a_single_person_and_moves_the_whole_run_once_approved(
    holders, queued, settings, django_capture_on_commit_callbacks
):
    settings.VOUCHERS_EXTENSION_CHUNK = 7  # 40 vouchers: several chunks
    run = holders.voucher_batches.get()
    new_end = _at(TODAY + dt.timedelta(days=120), hour=23)
    proposer, approver = _operator(), _operator()
    proposal = validity_extend_proposal(
        program=holders, batch=run, valid_until=new_end, reason="Late launch", actor=proposer
    )
    assert proposal.status == Proposal.Status.PROPOSED
    assert proposal.figures["vouchers"] == 34  # issued and frozen; the 6 redeemed stay
    assert proposal.figures["vouchers_with_value"] == 33
    assert proposal.figures["value_left_minor"] == 50_000 * 9 - 10_000 - 20_000 - 3_000
    with pytest.raises(FourEyes):
        proposal_approve(proposal=proposal, actor=proposer)
    assert not ValidityExtension.objects.exists()
    assert _until(holders) == {_at(TODAY + dt.timedelta(days=25), hour=18)}

    with django_capture_on_commit_callbacks(execute=True):
        proposal = proposal_approve(proposal=proposal, actor=approver)
    assert proposal.status == Proposal.Status.EXECUTED, proposal.result
    extension = ValidityExtension.objects.get()
    assert ("vouchers.extension_work", {"extension_id": extension.pk}) in queued
    assert validity_extension_work(extension_id=extension.pk) is False
    extension.refresh_from_db()
    assert extension.done_at is not None
    assert extension.vouchers_extended == 34
    assert _until(holders) == {new_end}
    redeemed = Voucher.objects.filter(program=holders, state=Voucher.State.REDEEMED)
    assert set(redeemed.values_list("valid_until", flat=True)) == {
        _at(TODAY + dt.timedelta(days=25), hour=18)
    }
    # The whole program's window is left as it was: only the run moved.
    assert Program.objects.get(pk=holders.pk).voucher_valid_until == holders.voucher_valid_until
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"proposal.create", "proposal.approve", "voucher_validity.extend"} <= actions
    assert "voucher_validity.extended" in actions

    # The holders with value left are told, once, with the new date.
    assert validity_extension_work(extension_id=extension.pk) is False  # again: nothing
    _build_all()
    notices = {n.person.external_id: n for n in _notices("vouchers_extended")}
    assert sorted(notices) == [f"P{n:08d}" for n in range(2, 11)]
    assert notices["P00000002"].context["voucher_total"] == "40,000원"
    assert notices["P00000005"].kind == "vouchers_extended"
    day = new_end.date()
    assert notices["P00000005"].context["valid_until"] == f"{day.year}년 {day.month}월 {day.day}일"
    assert Campaign.objects.filter(kind="vouchers_extended").count() == 2


def test_an_extension_of_the_program_moves_its_window_and_every_run(holders, queued):
    second = run_issue(holders, chunk_size=4, lines=list(holders.award_lines.filter(code="eats")))
    assert second.vouchers_planned == 10  # nobody new: re-issuing adds nothing
    new_end = _at(TODAY + dt.timedelta(days=200))
    proposal = validity_extend_proposal(
        program=holders, batch=None, valid_until=new_end, reason="Regulator", actor=_operator()
    )
    proposal_approve(proposal=proposal, actor=_operator())
    extension = ValidityExtension.objects.get()
    assert Program.objects.get(pk=holders.pk).voucher_valid_until == new_end
    while validity_extension_work(extension_id=extension.pk, time_budget_seconds=0.01):
        pass
    assert _until(holders) == {new_end}


def test_an_extension_must_end_later_and_say_why(holders):
    run = holders.voucher_batches.get()
    with pytest.raises(ExtensionRefused, match="must end later"):
        validity_extend_proposal(
            program=holders,
            batch=run,
            valid_until=_at(TODAY + dt.timedelta(days=10)),
            reason="x",
            actor=_operator(),
        )
    with pytest.raises(ExtensionRefused, match="Say why"):
        validity_extend_proposal(
            program=holders,
            batch=run,
            valid_until=_at(TODAY + dt.timedelta(days=100)),
            reason=" ",
            actor=_operator(),
        )
    assert not Proposal.objects.exists()


def test_a_reminder_after_an_extension_follows_the_new_date(holders, queued):
    voucher_expiry_reminders_start(now=_at(TODAY))
    _build_all()
    assert _notices("voucher_expiry_reminder").count() == 9
    proposal = validity_extend_proposal(
        program=holders,
        batch=None,
        valid_until=_at(TODAY + dt.timedelta(days=100)),
        reason="Regulator",
        actor=_operator(),
    )
    proposal_approve(proposal=proposal, actor=_operator())
    validity_extension_work(extension_id=ValidityExtension.objects.get().pk)
    # 18 days on, the old date's 7-day reminder is not sent: nothing ends then any more.
    assert voucher_expiry_reminders_start(now=_at(TODAY + dt.timedelta(days=18))) == 0
    # 30 days before the new end, the new date's reminder.
    assert voucher_expiry_reminders_start(now=_at(TODAY + dt.timedelta(days=70))) == 2
