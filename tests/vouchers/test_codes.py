import pytest
from django.db import connection

from tests.vouchers.conftest import people_make, run_issue
from tests.vouchers.helpers import code_of
from vouchers.errors import CodeMalformed
from vouchers.models import Voucher
from vouchers.services.codes import (
    ALPHABET,
    CodeMaker,
    code_check_symbol,
    code_derive,
    code_display,
    code_hash,
    code_normalize,
)


def test_the_alphabet_has_32_symbols_without_look_alikes():
    assert len(set(ALPHABET)) == 32
    assert not set("01IO") & set(ALPHABET)


def test_a_code_is_16_symbols_and_a_check_symbol_in_groups_of_four():
    symbols = code_derive(award_id=1, generation=1, derive_key_version=1)
    shown = code_display(symbols)
    groups = shown.split("-")
    assert [len(g) for g in groups] == [4, 4, 4, 4, 1]
    assert code_normalize(shown.lower().replace("-", " ")) == symbols


def test_every_single_mistyped_symbol_is_refused_before_any_lookup():
    symbols = code_derive(award_id=42, generation=1, derive_key_version=1)
    full = symbols + code_check_symbol(symbols)
    for position in range(len(full)):
        for other in ALPHABET:
            if other == full[position]:
                continue
            typo = full[:position] + other + full[position + 1 :]
            with pytest.raises(CodeMalformed):
                code_normalize(typo)


def test_swapped_neighbours_are_mostly_refused():
    caught = total = 0
    for award_id in range(1, 200):
        symbols = code_derive(award_id=award_id, generation=1, derive_key_version=1)
        full = symbols + code_check_symbol(symbols)
        for i in range(len(full) - 1):
            if full[i] == full[i + 1]:
                continue
            total += 1
            swapped = full[:i] + full[i + 1] + full[i] + full[i + 2 :]
            try:
                code_normalize(swapped)
            except CodeMalformed:
                caught += 1
    assert caught / total > 0.9


def test_a_reissue_generation_makes_a_different_code():
    assert code_derive(award_id=7, generation=1, derive_key_version=1) != code_derive(
        award_id=7, generation=2, derive_key_version=1
    )


def test_the_bulk_maker_gives_the_hash_and_last_four_of_the_derived_code(settings):
    settings.CODE_HASH_KEYS = [*settings.CODE_HASH_KEYS, "2:a-newer-secret-of-enough-length"]
    maker = CodeMaker()
    for award_id, generation in [(1, 1), (7, 2), (10**12 + 3, 1)]:
        symbols = code_derive(
            award_id=award_id, generation=generation, derive_key_version=maker.derive_version
        )
        made = maker.make(award_id, generation)
        assert made == (code_hash(symbols, version=maker.hash_version), symbols[-4:])
        assert maker.make(award_id, generation) == made  # the kept key states are not spent


def test_rotated_hash_keys_still_verify_old_codes(settings):
    symbols = code_derive(award_id=9, generation=1, derive_key_version=1)
    old = code_hash(symbols, version=1)
    settings.CODE_HASH_KEYS = [*settings.CODE_HASH_KEYS, "2:a-newer-secret-of-enough-length"]
    from vouchers.services.codes import code_hash_candidates, keyring

    assert keyring().hash_version == 2
    assert old in code_hash_candidates(symbols)


@pytest.mark.django_db
def test_a_database_dump_holds_no_code(coupang, no_dispatch):
    people_make(coupang, 3)
    run_issue(coupang)
    codes = [code_of(v).replace("-", "") for v in Voucher.objects.all()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT v::text FROM vouchers_voucher v")
        dump = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT a::text FROM compensation_award a")
        dump += "\n".join(row[0] for row in cursor.fetchall())
    assert len(codes) == 12
    for code in codes:
        assert code[:16] not in dump
        assert code[:8] not in dump
        assert code[12:16] in dump  # only the last four, for display
