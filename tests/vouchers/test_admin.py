"""What an operator does in the admin: start a run after its dry run, watch it, freeze,
unfreeze, reissue, create and revoke service keys. Agents and reviewers only look."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import AUDITOR, PROGRAM_OPERATOR, SUPPORT_AGENT
from audit.models import AuditEvent, Proposal
from tests.conftest import otp_login
from tests.factories import UserFactory
from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.models import ServiceKey, Voucher, VoucherBatch, VoucherFreeze
from vouchers.services.codes import secret_digest
from vouchers.services.issuance import voucher_batch_execute

pytestmark = pytest.mark.django_db


def _run_form(program, **extra):
    return {
        "program": program.pk,
        "award_lines": [line.pk for line in program.award_lines.all()],
        "segments": "",
        "chunk_size": 100,
        **extra,
    }


def test_an_operator_sees_the_dry_run_then_starts_the_run_by_typing_the_name(
    staff_client, coupang, django_capture_on_commit_callbacks, monkeypatch
):
    people_make(coupang, 30)
    woken: list[int] = []

    def record(task_name: str, kwargs: dict, **options) -> bool:
        assert task_name == "vouchers.batch_run"
        woken.append(kwargs["batch_id"])
        return True

    monkeypatch.setattr("config.queueing.task_send", record)
    client = staff_client(PROGRAM_OPERATOR)
    url = reverse("admin:vouchers_voucherbatch_start")
    assert client.get(url).status_code == 200
    preview = client.post(url, {**_run_form(coupang), "preview": "1"})
    html = preview.content.decode()
    assert "Dry run" in html
    assert "120" in html
    assert "₩1,500,000" in html
    wrong = client.post(url, {**_run_form(coupang), "confirm": "1", "confirm_name": "coupang"})
    assert wrong.status_code == 200
    assert "Type the program" in wrong.content.decode()
    assert not VoucherBatch.objects.exists()
    proposed = client.post(
        url, {**_run_form(coupang), "confirm": "1", "confirm_name": coupang.name}
    )
    # Four eyes: the run is proposed; it starts when another operator approves it.
    proposal = Proposal.objects.get()
    assert proposed["Location"] == reverse("admin:audit_proposal_change", args=[proposal.pk])
    assert not VoucherBatch.objects.exists()
    assert "₩1,500,000" in client.get(proposed["Location"]).text
    second = otp_login(Client(), UserFactory.create(role=PROGRAM_OPERATOR))
    with django_capture_on_commit_callbacks(execute=True):
        second.post(reverse("admin:audit_proposal_approve", args=[proposal.pk]))
    batch = VoucherBatch.objects.get()
    started = {"Location": reverse("admin:vouchers_voucherbatch_change", args=[batch.pk])}
    assert woken == [batch.pk, batch.pk]  # two workers woken, after commit
    assert batch.created_by != client.user
    assert AuditEvent.objects.filter(action="voucher_batch.start", actor=batch.created_by).exists()

    running = client.get(started["Location"]).content.decode()
    assert 'http-equiv="refresh"' in running
    assert "Resume / wake workers" in running
    voucher_batch_execute(batch_id=batch.pk)
    done = client.get(started["Location"]).content.decode()
    assert "1 of 1 chunks" in done
    assert "120 of 120 planned" in done
    assert 'http-equiv="refresh"' not in done


def test_support_agents_look_up_vouchers_but_cannot_issue_or_freeze(
    staff_client, coupang, no_dispatch
):
    people_make(coupang, 2)
    run_issue(coupang)
    client = staff_client(SUPPORT_AGENT)
    assert client.get(reverse("admin:vouchers_voucher_changelist")).status_code == 200
    assert client.get(reverse("admin:vouchers_voucherbatch_start")).status_code == 403
    assert client.get(reverse("admin:vouchers_voucherfreeze_add")).status_code == 403
    assert client.get(reverse("admin:vouchers_servicekey_changelist")).status_code == 403
    auditor = staff_client(AUDITOR)
    assert auditor.get(reverse("admin:vouchers_servicekey_changelist")).status_code == 200


def test_staff_find_a_voucher_by_pasting_its_code(staff_client, coupang, no_dispatch):
    people_make(coupang, 3)
    run_issue(coupang)
    voucher = Voucher.objects.order_by("id")[5]
    client = staff_client(SUPPORT_AGENT)
    response = client.post(reverse("admin:vouchers_voucher_find"), {"code": code_of(voucher)})
    assert response["Location"] == reverse("admin:vouchers_voucher_change", args=[voucher.pk])
    page = client.get(response["Location"]).content.decode()
    assert code_of(voucher) not in page
    assert voucher.last4 in page
    missing = client.post(reverse("admin:vouchers_voucher_find"), {"code": "nope"}, follow=True)
    assert "not a voucher code" in missing.content.decode()


def test_an_operator_freezes_a_list_of_people_and_lifts_it(staff_client, coupang, no_dispatch):
    people_make(coupang, 5)
    run_issue(coupang)
    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(
        reverse("admin:vouchers_voucherfreeze_add"),
        {
            "program": coupang.pk,
            "method": "people",
            "reason": "account takeover",
            "external_ids": "P00000001\nP00000003",
        },
    )
    freeze = VoucherFreeze.objects.get()
    assert response.status_code == 302
    assert freeze.vouchers_frozen == 8
    assert freeze.created_by == client.user
    client.post(reverse("admin:vouchers_voucherfreeze_lift", args=[freeze.pk]))
    assert not Voucher.objects.filter(state="frozen").exists()


def test_void_and_reissue_from_the_voucher_list_asks_for_a_reason(
    staff_client, coupang, no_dispatch
):
    people_make(coupang, 1)
    run_issue(coupang)
    voucher = Voucher.objects.filter(service_scope="eats").get()
    client = staff_client(PROGRAM_OPERATOR)
    url = reverse("admin:vouchers_voucher_changelist")
    form = {"action": "void_and_reissue", "_selected_action": [voucher.pk]}
    asked = client.post(url, form)
    assert asked.status_code == 200
    assert "reason" in asked.content.decode()
    assert Voucher.objects.count() == 4
    client.post(url, {**form, "apply": "1", "reason": "customer lost the code"})
    assert Voucher.objects.count() == 5
    assert Voucher.objects.get(pk=voucher.pk).state == "void"


def test_a_service_key_is_shown_once_and_stored_only_as_a_hash(staff_client):
    client = staff_client(PROGRAM_OPERATOR)
    response = client.post(
        reverse("admin:vouchers_servicekey_add"), {"name": "Eats checkout", "service_scope": "eats"}
    )
    raw = response.context["raw_key"]
    key = ServiceKey.objects.get()
    assert raw.startswith("vk_")
    assert raw in response.content.decode()
    assert bytes(key.key_hash) == secret_digest(raw)
    assert raw not in str(key.__dict__)
    assert "no-store" in response["Cache-Control"]
    page = client.get(reverse("admin:vouchers_servicekey_change", args=[key.pk]))
    assert raw not in page.content.decode()
    client.post(
        reverse("admin:vouchers_servicekey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
