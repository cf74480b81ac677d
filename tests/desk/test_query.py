"""What the one search box recognises in what an agent typed."""

import pytest

from compensation.hashing import email_hash, phone_hash
from support.query import Kind, query_parse

pytestmark = pytest.mark.django_db  # reading settings only; hashing needs the key


def test_an_email_is_looked_up_by_its_keyed_hash_only():
    query = query_parse("  Minji.Kim@Example.COM ")
    assert query.kinds == (Kind.EMAIL,)
    assert query.email_hash == email_hash("minji.kim@example.com")
    assert query.name == query.external_id == ""


@pytest.mark.parametrize(
    "typed",
    [
        "010-2345-6789",
        "01023456789",
        "+82 10 2345 6789",
        "(010) 2345.6789",
        "".join(chr(0xFF10 + int(d)) for d in "01023456789"),  # fullwidth,
    ],
)
def test_a_phone_number_in_any_spelling_gives_the_same_hash(typed):
    query = query_parse(typed)
    assert query.primary == Kind.PHONE
    assert query.phone_hash == phone_hash("010-2345-6789")


def test_a_row_of_digits_is_a_phone_number_and_may_be_an_account_id():
    query = query_parse("01023456789")
    assert query.kinds == (Kind.PHONE, Kind.EXTERNAL_ID)
    assert query.external_id == "01023456789"


def test_a_claim_reference_is_recognised_with_or_without_its_dash_and_case():
    reference = "C-" + "23456789ABCDEFGH"
    for typed in (reference, reference.lower(), "C23456789ABCDEFGH", "c 2345 6789 ABCD EFGH"):
        query = query_parse(typed)
        assert query.primary == Kind.CLAIM, typed
        assert query.claim_reference == reference


def test_a_notice_reference_is_read_as_printed_in_groups_of_four():
    query = query_parse("7K3P-QW2M-9XZA-4BCD")
    assert query.primary == Kind.NOTICE
    assert query.notice_reference == "7K3PQW2M9XZA4BCD"


def test_a_voucher_last_four_with_a_name_in_either_order():
    for typed in ("7K3P 김민지", "김민지 7k3p", "Kim Minji 7K3P"):
        query = query_parse(typed)
        assert query.kinds == (Kind.VOUCHER,), typed
        assert query.voucher_last4 == "7K3P"
    assert query_parse("Kim Minji 7K3P").name == "Kim Minji"


def test_four_letters_are_a_name_unless_marked_as_a_last_four():
    assert query_parse("ANNA Kim").kinds == (Kind.NAME,)
    marked = query_parse("*ANNA Kim")
    assert marked.kinds == (Kind.VOUCHER,)
    assert (marked.voucher_last4, marked.name) == ("ANNA", "Kim")


def test_a_name_in_any_script_is_a_name_and_one_word_may_be_an_account_id():
    assert query_parse("김민지").kinds == (Kind.NAME, Kind.EXTERNAL_ID)
    assert query_parse("张伟").kinds == (Kind.NAME, Kind.EXTERNAL_ID)
    assert query_parse("  Kim   Min-ji ").kinds == (Kind.NAME,)
    assert query_parse("  Kim   Min-ji ").name == "Kim Min-ji"


def test_an_account_id_with_letters_and_digits_is_an_account_id():
    query = query_parse("CU00012345")
    assert query.kinds == (Kind.EXTERNAL_ID,)
    assert query.external_id == "CU00012345"


def test_nothing_and_too_much_are_nothing_to_look_up():
    assert query_parse("   ").kinds == ()
    assert query_parse("x" * 201).kinds == ()
