"""Payouts in the admin: the build page counts before it creates, the builder cannot release,
a payments officer can, roles see only their pages, and no page shows an account number."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import PAYMENTS_OFFICER, PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import AuditEvent
from payouts.models import Payout, PayoutBatch, PayoutOffer
from payouts.services.batches import payout_batch_build, payout_batch_create
from payouts.services.sending import payout_batch_dispatch
from tests.factories import ProgramFactory, UserFactory
from tests.payouts.factories import claim_award

pytestmark = pytest.mark.django_db

BUILD = "admin:payouts_payoutbatch_build"


@pytest.fixture
def program():
    program = ProgramFactory.create(currency="KRW", name="Breach 2025")
    for amount in (10_000, 20_000, 30_000):
        claim_award(program, amount_minor=amount)
    return program


def _built(program, builder) -> PayoutBatch:
    return payout_batch_create(
        program=program, method="bank_transfer", actor=builder, build_now=True
    )


def _selection(program, **extra) -> dict:
    return {"program": program.pk, "method": "bank_transfer", **extra}


def test_the_build_page_counts_and_totals_first_then_creates_the_batch(staff_client, program):
    client = staff_client(PROGRAM_OPERATOR)
    assert client.get(reverse(BUILD)).status_code == 200

    page = client.post(reverse(BUILD), _selection(program, amount_min="15,000", preview="1"))
    assert page.status_code == 200
    assert page.context["preview"]["count"] == 2
    assert "₩50,000" in page.text
    assert 'name="confirm"' in page.text
    assert not PayoutBatch.objects.exists()  # counting creates nothing

    done = client.post(
        reverse(BUILD),
        _selection(program, amount_min="15,000", confirm="1", seen_count="2", seen_total="50000"),
    )
    batch = PayoutBatch.objects.get()
    assert done.status_code == 302
    assert done.url == reverse("admin:payouts_payoutbatch_change", args=[batch.pk])
    assert batch.amount_min_minor == 15_000  # typed in major units, kept in minor units
    assert batch.built_by == client.user
    assert batch.status == PayoutBatch.Status.BUILDING  # a worker builds it

    payout_batch_build(batch_id=batch.pk)  # what the worker does
    page = client.get(done.url)
    assert "Built, waiting for release" in page.text
    assert "(built)" not in page.text  # the heading and breadcrumb name the status by label
    assert "₩50,000" in page.text
    assert "minor" not in page.text.lower().replace("_minor", "")  # no "minor units" labels


def test_confirming_figures_that_changed_shows_them_again_and_creates_nothing(
    staff_client, program
):
    client = staff_client(PROGRAM_OPERATOR)
    page = client.post(
        reverse(BUILD), _selection(program, confirm="1", seen_count="2", seen_total="30000")
    )
    assert page.status_code == 200
    assert page.context["changed"]
    assert page.context["preview"]["count"] == 3
    assert not PayoutBatch.objects.exists()


def test_amounts_are_checked_against_the_currency_on_their_field(staff_client, program):
    client = staff_client(PROGRAM_OPERATOR)
    page = client.post(reverse(BUILD), _selection(program, amount_min="10.5", preview="1"))
    assert "at most 0 decimal places" in str(page.context["form"].errors["amount_min"])
    page = client.post(
        reverse(BUILD), _selection(program, amount_min="30000", amount_max="100", preview="1")
    )
    assert page.context["form"].errors["amount_max"]
    page = client.post(reverse(BUILD), _selection(program, amount_min="abc", preview="1"))
    assert page.context["form"].errors["amount_min"]
    assert page.context["preview"] is None

    usd = ProgramFactory.create(currency="USD")
    PayoutOffer.objects.create(program=usd, methods=["account_credit"])
    claim_award(usd, amount_minor=1_234, method="account_credit")
    page = client.post(
        reverse(BUILD),
        {
            **_selection(usd),
            "method": "account_credit",
            "amount_min": "12.34",
            "amount_max": "12.34",
        },
    )
    assert page.context["form"].cleaned_data["amount_min_minor"] == 1_234


def test_a_method_the_program_does_not_offer_is_refused_on_its_field(staff_client, program):
    PayoutOffer.objects.create(program=program, methods=["account_credit"])
    client = staff_client(PROGRAM_OPERATOR)
    page = client.post(reverse(BUILD), _selection(program, preview="1"))
    assert "does not offer" in str(page.context["form"].errors["method"])
    assert page.context["preview"] is None


def test_the_builder_cannot_release_and_is_told_why(staff_client, program):
    client = staff_client(PROGRAM_OPERATOR)
    builder = client.user
    builder.groups.add(Group.objects.get(name=PAYMENTS_OFFICER))  # both roles, still refused
    batch = _built(program, builder)
    page = client.get(reverse("admin:payouts_payoutbatch_change", args=[batch.pk]))
    assert 'id="release-button"' not in page.text
    assert "Download bank file" not in page.text  # not released yet

    answer = client.post(reverse("admin:payouts_payoutbatch_release", args=[batch.pk]), follow=True)
    assert "must be released by someone other than its builder" in answer.text
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.BUILT
    assert batch.released_by is None
    assert set(Payout.objects.values_list("status", flat=True)) == {"batched"}
    assert not AuditEvent.objects.filter(action="payout.batch_release").exists()


def test_an_operator_without_the_release_permission_gets_403(staff_client, program):
    batch = _built(program, UserFactory())
    client = staff_client(PROGRAM_OPERATOR)
    answer = client.post(reverse("admin:payouts_payoutbatch_release", args=[batch.pk]))
    assert answer.status_code == 403
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.BUILT


def test_a_payments_officer_releases_a_batch_someone_else_built(staff_client, program):
    batch = _built(program, UserFactory(role=PROGRAM_OPERATOR))
    client = staff_client(PAYMENTS_OFFICER)
    url = reverse("admin:payouts_payoutbatch_change", args=[batch.pk])
    page = client.get(url)
    assert 'id="release-button"' in page.text
    assert 'id="discard-button"' not in page.text  # neither builder nor operator

    answer = client.post(reverse("admin:payouts_payoutbatch_release", args=[batch.pk]), follow=True)
    assert "Batch released: 3 payouts (₩60,000)" in answer.text
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.RELEASED
    assert batch.released_by == client.user
    assert AuditEvent.objects.filter(action="payout.batch_release", actor=client.user).exists()
    page = client.get(url)
    assert 'id="release-button"' not in page.text
    assert "Released, waiting for the result" in page.text  # the payouts' status, by label
    payout_batch_dispatch(batch_id=batch.pk)  # the worker's part: the file's digest recorded
    page = client.get(url)
    download = reverse("admin:payouts_payoutbatch_download", args=[batch.pk])
    upload = reverse("admin:payouts_payoutresultfile_upload", args=[batch.pk])
    assert download in page.text
    assert upload in page.text
    operator_page = staff_client(PROGRAM_OPERATOR).get(url).text  # may neither export nor import
    assert download not in operator_page
    assert upload not in operator_page


def test_the_builder_discards_a_batch_before_release(staff_client, program):
    client = staff_client(PROGRAM_OPERATOR)
    batch = _built(program, client.user)
    client.post(reverse("admin:payouts_payoutbatch_discard", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.DISCARDED
    assert set(Payout.objects.values_list("status", flat=True)) == {"cancelled"}


def test_a_payments_officer_who_did_not_build_cannot_discard(staff_client, program):
    batch = _built(program, UserFactory())
    client = staff_client(PAYMENTS_OFFICER)
    answer = client.post(reverse("admin:payouts_payoutbatch_discard", args=[batch.pk]))
    assert answer.status_code == 403
    batch.refresh_from_db()
    assert batch.status == PayoutBatch.Status.BUILT


@pytest.mark.parametrize("role", [SUPPORT_AGENT, PAYMENTS_OFFICER])
def test_only_builders_see_the_build_page(staff_client, program, role):
    client = staff_client(role)
    assert client.get(reverse(BUILD)).status_code == 403
    assert client.post(reverse(BUILD), _selection(program, preview="1")).status_code == 403
    assert not PayoutBatch.objects.exists()


@pytest.mark.parametrize("model", ["payoutbatch", "payout", "payoutinstruction", "payoutoffer"])
@pytest.mark.parametrize("object_id", ["abc", "999999"])
def test_an_id_that_names_nothing_answers_404(staff_client, model, object_id):
    client = staff_client(PROGRAM_OPERATOR)
    assert client.get(f"/admin/payouts/{model}/{object_id}/change/").status_code == 404
    assert client.get(f"/admin/payouts/{model}/{object_id}/history/").status_code == 404


def test_payout_and_instruction_pages_show_the_masked_account_only(staff_client, program):
    batch = _built(program, UserFactory())
    payout = Payout.objects.filter(batch=batch).order_by("id")[0]
    client = staff_client(SUPPORT_AGENT)
    pages = [
        client.get(reverse("admin:payouts_payout_changelist")),
        client.get(reverse("admin:payouts_payout_change", args=[payout.pk])),
        client.get(reverse("admin:payouts_payoutinstruction_changelist")),
        client.get(reverse("admin:payouts_payoutinstruction_change", args=[payout.instruction_id])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "123456789012" not in page.text
        assert "Kim Minji" not in page.text  # the holder's name is a detail too
        assert "****9012" in page.text
    assert "₩30,000" in pages[0].text
    assert "In a batch, not released" in pages[0].text


def test_payouts_are_found_by_their_reference_or_the_claims(staff_client, program):
    batch = _built(program, UserFactory())
    one, two = Payout.objects.filter(batch=batch).select_related("instruction")[:2]
    client = staff_client(SUPPORT_AGENT)
    url = reverse("admin:payouts_payout_changelist")
    found = client.get(url, {"q": one.reference.lower()}).context["cl"].result_list
    assert [p.pk for p in found] == [one.pk]
    found = client.get(url, {"q": two.instruction.claim_reference}).context["cl"].result_list
    assert [p.pk for p in found] == [two.pk]
    found = client.get(url, {"batch": str(batch.pk), "status": "batched"}).context["cl"]
    assert found.result_count == 3


def test_an_operator_chooses_the_offered_methods_with_checkboxes(staff_client, program):
    client = staff_client(PROGRAM_OPERATOR)
    add = reverse("admin:payouts_payoutoffer_add")
    assert 'type="checkbox"' in client.get(add).text
    client.post(add, {"program": program.pk, "methods": ["bank_transfer", "account_credit"]})
    offer = PayoutOffer.objects.get(program=program)
    assert offer.methods == ["bank_transfer", "account_credit"]
    assert AuditEvent.objects.filter(action="payoutoffer.create", actor=client.user).exists()
    page = client.post(add, {"program": ProgramFactory.create().pk})
    assert page.context["adminform"].form.errors["methods"]


def test_a_provider_batch_shows_its_chunks_not_a_bank_file(staff_client):
    program = ProgramFactory.create(currency="KRW")
    PayoutOffer.objects.create(program=program, methods=["account_credit"])
    claim_award(program, method="account_credit")
    batch = payout_batch_create(
        program=program, method="account_credit", actor=UserFactory.create(), build_now=True
    )
    page = staff_client(PAYMENTS_OFFICER).get(
        reverse("admin:payouts_payoutbatch_change", args=[batch.pk])
    )
    assert "Chunks sent" in page.text
    assert "Download bank file" not in page.text
    assert "Account credit at the service" in page.text
