"""Find a person: every kind of look-up finds the right person and only them, contact details
are matched by their keyed hashes only, every search is audited, and only the desk's roles
may search."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from compensation.models import AffectedPerson
from compensation.services.population_import import (
    population_import_create,
    population_import_run,
)
from notifications.models import Notice
from tests.desk.conftest import person_make, voucher_make
from tests.factories import ClaimFactory, ClaimTypeFactory, ProgramFactory

pytestmark = pytest.mark.django_db

URL = "admin:support_person_changelist"


def search(client, q: str, program=None):
    data = {"q": q, "program": program.pk if program else ""}
    response = client.post(reverse(URL), data)
    assert response.status_code == 200
    return response


def found_ids(response) -> list[int]:
    return [row["id"] for row in response.context["rows"]]


@pytest.fixture
def crowd(desk_program, minji):
    """Minji among people who share parts of what identifies her: the same name in another
    program, a similar name, a similar number."""
    other_program = ProgramFactory.create(name="Travel breach")
    return {
        "namesake": person_make(
            other_program, name="김민지", email="other.minji@example.com", phone="010-9999-0000"
        ),
        "similar": person_make(desk_program, name="김민준", phone="010-2345-6780"),
        "english": person_make(desk_program, name="Kim Minji", email="kim@example.org"),
        "chinese": person_make(desk_program, name="张伟", email="zhang@example.cn"),
        "chinese_longer": person_make(desk_program, name="张伟国", email="zwg@example.cn"),
        "other_program": other_program,
    }


@pytest.fixture
def agent(staff_client):
    return staff_client("Support agent")


def test_an_email_finds_the_person_whatever_its_case_and_spaces(agent, minji, crowd):
    response = search(agent, "  MINJI.Kim@example.com ")
    assert found_ids(response) == [minji.pk]
    row = response.context["rows"][0]
    assert row["email"] == "mi•••@example.com"  # masked, never the address itself
    assert row["phone"] == "•••6789"
    assert "minji.kim@example.com" not in response.content.decode()


@pytest.mark.parametrize("typed", ["010-2345-6789", "+82 10 2345 6789", "01023456789"])
def test_a_phone_number_in_any_spelling_finds_the_person_only(agent, minji, crowd, typed):
    assert found_ids(search(agent, typed)) == [minji.pk]


def test_an_account_id_finds_the_person_in_each_program_that_has_it(agent, minji, crowd):
    twin = person_make(crowd["other_program"], external_id=minji.external_id, name="Other")
    assert sorted(found_ids(search(agent, "CU00012345"))) == sorted([minji.pk, twin.pk])
    assert found_ids(search(agent, "CU00012345", program=minji.program)) == [minji.pk]
    assert found_ids(search(agent, "CU0001234")) == []  # exact, not a prefix


def test_a_korean_name_finds_everyone_of_that_name_and_the_program_narrows_it(agent, minji, crowd):
    assert sorted(found_ids(search(agent, "김민지"))) == sorted([minji.pk, crowd["namesake"].pk])
    assert found_ids(search(agent, "김민지", program=minji.program)) == [minji.pk]


def test_a_name_is_found_whatever_its_case_and_in_part(agent, crowd):
    english = crowd["english"]
    assert found_ids(search(agent, "kim minji")) == [english.pk]
    assert found_ids(search(agent, "Minji")) == [english.pk]


def test_a_two_character_name_matches_the_whole_name_only(agent, crowd):
    assert found_ids(search(agent, "张伟")) == [crowd["chinese"].pk]
    assert found_ids(search(agent, "张伟国")) == [crowd["chinese_longer"].pk]


def test_a_claim_reference_finds_the_claimant(agent, minji, crowd):
    claim = ClaimFactory.create(program=minji.program, person=minji)
    ClaimFactory.create(program=minji.program, person=crowd["similar"])
    response = search(agent, claim.reference.lower())
    assert found_ids(response) == [minji.pk]
    assert response.context["rows"][0]["matched"] == "claim reference"


def test_a_claim_of_someone_on_no_list_is_found_by_reference_and_by_email(agent, desk_program):
    buyer_type = ClaimTypeFactory.create(program=desk_program, requires_affected_record=False)
    claim = ClaimFactory.create(
        program=desk_program,
        claim_type=buyer_type,
        person=None,
        claimant_email_hash=__import__("compensation.hashing").hashing.email_hash(
            "buyer@example.com"
        ),
    )
    for typed in (claim.reference, "Buyer@example.com"):
        response = search(agent, typed)
        assert found_ids(response) == []
        assert [c["id"] for c in response.context["claims"]] == [claim.pk], typed


def test_a_notice_reference_finds_the_person_it_was_sent_to(agent, minji, crowd):
    notice = Notice.objects.create(
        kind="decision",
        channel="email",
        language="ko",
        to_address=minji.email,
        person=minji,
        program=minji.program,
        status="sent",
        sent_at=minji.created_at,
    )
    Notice.objects.create(
        kind="decision", channel="email", language="ko", to_address="x@example.com",
        person=crowd["similar"],
    )  # fmt: skip
    assert found_ids(search(agent, notice.reference_display)) == [minji.pk]


def test_a_voucher_last_four_with_the_name_finds_its_holder_only(agent, minji, crowd):
    voucher_make(minji, "7K3P")
    voucher_make(crowd["namesake"], "AB2C")  # the same name, another voucher
    voucher_make(crowd["similar"], "7K3P")  # the same last four, another name
    assert found_ids(search(agent, "7K3P 김민지")) == [minji.pk]
    assert found_ids(search(agent, "김민지 ab2c")) == [crowd["namesake"].pk]
    assert found_ids(search(agent, "9ZZZ 김민지")) == []


def test_people_imported_by_the_population_import_are_found_by_email_and_phone(
    agent, desk_program, tmp_path
):
    """The hashes the import computes in SQL are the ones the search computes in Python."""
    path = tmp_path / "people.csv"
    path.write_text(
        "external_id,name,email,phone,language,region,segment,data_categories,account_status\n"
        "IM001,Lee Seoyeon, Seoyeon.Lee@Example.com ,+82 (10) 5555-0101,ko,seoul,member,"
        "email,active\n"
        "IM002,Park Jisu,jisu@example.com,010-5555-0202,en,busan,member,email,active\n",
        encoding="utf-8",
    )
    created = population_import_create(
        program=desk_program,
        source=path,
        original_name="people.csv",
        actor_label="test",
        copy_to_store=False,
    )
    done = population_import_run(import_id=created.pk)
    assert done.rows_inserted == 2
    lee = AffectedPerson.objects.get(program=desk_program, external_id="IM001")
    assert found_ids(search(agent, "seoyeon.lee@example.com")) == [lee.pk]
    assert found_ids(search(agent, "010-5555-0101")) == [lee.pk]
    assert found_ids(search(agent, "".join(chr(0xFF10 + int(d)) for d in "821055550101"))) == [
        lee.pk
    ]  # fullwidth, with +82


_CONTACT_COLUMN = re.compile(r'"(email|phone)"')


def test_a_search_never_reads_the_plain_contact_columns_only_their_hashes(agent, minji, crowd):
    """Whatever is typed, no statement filters, joins or sorts on the plain email or phone
    columns: they appear only in what is selected for display (masked)."""
    claim = ClaimFactory.create(program=minji.program, person=minji)
    typed = [
        "minji.kim@example.com",
        "010-2345-6789",
        "CU00012345",
        "김민지",
        "7K3P 김민지",
        claim.reference,
    ]
    hash_filters = 0
    for text in typed:
        with CaptureQueriesContext(connection) as captured:
            search(agent, text)
        for query in captured.captured_queries:
            sql = query["sql"]
            if "compensation_affectedperson" not in sql:
                continue
            # What is left once every select list is taken out: the joins, the filters, the
            # unions' arms and the order. None of it may name a plain contact column.
            conditions = re.sub(r"SELECT .*? FROM", "SELECT FROM", sql)
            assert not _CONTACT_COLUMN.search(conditions), sql
            hash_filters += sql.count('"email_hash" =') + sql.count('"phone_hash" =')
    assert hash_filters >= 2  # the email and the phone were matched by their hashes


def test_every_search_is_audited_with_who_what_kind_and_how_many_never_the_text(
    agent, minji, crowd
):
    search(agent, "minji.kim@example.com")
    search(agent, "010-2345-6789")
    search(agent, "nobody@example.com")
    events = list(AuditEvent.objects.filter(action="support.search").order_by("id"))
    after = [e.after or {} for e in events]
    assert [a["kinds"] for a in after] == [["email"], ["phone", "external_id"], ["email"]]
    assert [a["results"] for a in after] == [1, 1, 0]
    assert after[0]["people"] == [minji.pk]
    assert {e.actor_id for e in events} == {agent.user.pk}
    for event in events:
        text = str(event.before) + str(event.after) + event.object_repr + event.object_id
        for secret in ("minji", "2345", "6789", "nobody", "example"):
            assert secret not in text


def test_more_matches_than_shown_are_cut_and_said_so(agent, desk_program):
    for n in range(27):
        person_make(desk_program, name=f"Lee Common {n}")
    response = search(agent, "Lee Common")
    assert len(response.context["rows"]) == 25
    assert response.context["result"].truncated
    assert "Choose the program or type more of the name" in response.content.decode()


def test_a_search_costs_a_fixed_number_of_queries(
    agent, minji, crowd, django_assert_max_num_queries
):
    claim = ClaimFactory.create(program=minji.program, person=minji)
    for text in ("minji.kim@example.com", "김민지", claim.reference):
        # session, user, device, permissions; programs, the union, the people, claims, audit
        with django_assert_max_num_queries(10):
            search(agent, text)


def test_a_search_is_a_post_the_page_alone_searches_nothing(agent, minji):
    response = agent.get(reverse(URL), {"q": "minji.kim@example.com"})
    assert response.status_code == 200
    assert response.context["result"] is None
    assert not AuditEvent.objects.filter(action="support.search").exists()


@pytest.mark.parametrize(
    "role", ["Support agent", "Senior reviewer", "Program operator", "Auditor"]
)
def test_the_desk_roles_may_search(staff_client, role, minji):
    client = staff_client(role)
    assert found_ids(search(client, minji.email)) == [minji.pk]


@pytest.mark.parametrize("role", ["Outside expert", "Payments officer", None])
def test_other_staff_get_403_and_nothing_is_searched_or_audited(staff_client, role, minji):
    client = staff_client(role)
    response = client.post(reverse(URL), {"q": minji.email})
    assert response.status_code == 403
    assert client.get(reverse("admin:support_person_page", args=[minji.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="support.").exists()


def test_without_the_second_factor_the_desk_asks_to_sign_in(client, minji):
    from tests.factories import UserFactory

    client.force_login(UserFactory.create(role="Support agent"))  # password only
    response = client.post(reverse(URL), {"q": minji.email})
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert not AuditEvent.objects.filter(action="support.search").exists()
