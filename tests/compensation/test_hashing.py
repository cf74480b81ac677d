"""The identity hashes Python computes (sign-in, claims) equal the ones the population import
computes in PostgreSQL, for any Unicode email or phone: each example is a real small import on
the real database, compared row by row with compensation.hashing."""

import csv
import io
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from compensation import hashing
from compensation.models import AffectedPerson, PopulationImport
from compensation.services import population_import as importer
from compensation.services.population_rows import REQUIRED_COLUMNS
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = list(REQUIRED_COLUMNS)


_TRIM = " \t\n\r\f\v"  # what both sides trim: ASCII whitespace


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


# Letters whose lower case depends on who you ask (locale, collation, context), compatibility
# forms NFKC folds, combining marks, Hangul (precomposed and as jamo) and CJK.
TRICKY = (
    "İIıiẞßΣσςΟΔΌÅÅKKﬁﬀſǅǄ"  # dotted/dotless I, sharp s, sigma, Angstrom/Kelvin signs, ligatures
    "ＡＺａｚ０９．－＿"  # fullwidth forms
    "\u0301\u0307\u0308\u0327"  # combining acute, dot above, diaeresis, cedilla
    "민지김한글\u1100\u1161\u11a8"  # Hangul syllables and conjoining jamo
    "补偿券東京ｶﾞ"  # CJK, halfwidth katakana with voiced mark
)
# Any assigned, printable character; surrogates, controls and unassigned ones (whose meaning
# differs between Unicode versions) excluded.
ANY_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn", "Co"))
PART_CHAR = st.one_of(st.sampled_from(TRICKY), ANY_CHAR).filter(
    # Characters that NFKC makes into the separators of an address, or into spaces (which the
    # import rejects inside an address), are not part of a well-formed local part or domain.
    lambda char: not set(_nfkc(char)) & set("@. \t\n\r\f\v\"',")
)


def _part(max_size: int):
    return st.text(PART_CHAR, min_size=1, max_size=max_size)


_SPACES = st.sampled_from(["", " ", "\t", "\u3000", " \u3000 "])  # NFKC: U+3000 is a space

# Shaped like an address after NFKC (text@label.label, no space inside), so the import must
# accept it.
WELL_FORMED_EMAIL = st.builds(
    lambda before, local, at, label, dot, tld, after: (
        f"{before}{local}{at}{label}{dot}{tld}{after}"
    ),
    _SPACES,
    _part(12),
    st.sampled_from(["@", "＠"]),
    _part(12),
    st.sampled_from([".", "．"]),
    _part(6),
    _SPACES,
).filter(
    lambda email: (
        len(_nfkc(email).strip(_TRIM)) <= 254 and len(_nfkc(email).strip(_TRIM).split("@")[0]) <= 64
    )
)

_DIGIT = st.sampled_from("0123456789０１２３４５６７８９")
_SEPARATOR = st.sampled_from(["", " ", "-", ".", "(", ")", "－", "．", "（", "）", "\u3000"])
# 7-15 digits with separators, maybe a leading plus, maybe a Korean national number.
WELL_FORMED_PHONE = st.builds(
    lambda plus, national, groups: (
        plus + ("０" if national else "") + "".join(sep + "".join(ds) for sep, ds in groups)
    ),
    st.sampled_from(["", "", "+", "＋", "+82 ", "＋８２ "]),
    st.booleans(),
    st.lists(
        st.tuples(_SEPARATOR, st.lists(_DIGIT, min_size=2, max_size=4)), min_size=2, max_size=4
    ),
).filter(lambda phone: 7 <= sum(c.isdigit() for c in phone) <= 15)

# A row whose email and phone the import must accept (empty is allowed), and rows of anything
# at all: those the import rejects have no hash to compare, the others must agree.
WELL_FORMED = st.tuples(
    st.just(True), st.just("") | WELL_FORMED_EMAIL, st.just("") | WELL_FORMED_PHONE
)
ANYTHING = st.tuples(st.just(False), st.text(ANY_CHAR, max_size=30), st.text(ANY_CHAR, max_size=20))
ROWS = st.lists(st.one_of(WELL_FORMED, WELL_FORMED, ANYTHING), min_size=1, max_size=25)


def _import(rows: list[tuple[bool, str, str]]) -> PopulationImport:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for n, (_, email, phone) in enumerate(rows):
        writer.writerow([f"P{n}", "Person", email, phone, "ko", "seoul", "member", "email"])
    program = ProgramFactory.create()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "people.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        created = importer.population_import_create(
            program=program,
            source=path,
            original_name="people.csv",
            copy_to_store=False,
            actor_label="test",
        )
        return importer.population_import_run(import_id=created.pk)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(rows=ROWS)
@example(
    rows=[
        # lower() under a libc or ICU collation makes 'i̇' or 'i' of İ and 'σ' of a final Σ;
        # Python's str.lower() makes 'i̇' and 'ς'.
        (True, "İSTANBUL@example.com", "010-1234-5678"),
        (True, "ΟΔΟΣ@example.gr", "+82 10 1234 5678"),
        (True, "STRAẞE@example.de", "０１０－１２３４－５６７８"),
        (True, "ＭＩＮＪＩ＠ＥＸＡＭＰＬＥ．ＣＯＭ\u3000", "＋８２ (10) 1234.5678"),
        (True, "\u1106\u1175\u11ab\u110c\u1175@example.kr", "02 123 4567"),  # jamo: 민지
    ]
)
def test_python_and_the_import_hash_every_email_and_phone_alike(rows):
    done = _import(rows)
    assert done.status == PopulationImport.Status.DONE
    people = {
        person.external_id: person
        for person in AffectedPerson.objects.filter(program=done.program_id)
    }
    for n, (well_formed, email, phone) in enumerate(rows):
        person = people.get(f"P{n}")
        if person is None:
            assert not well_formed, f"row {n} was rejected: {email!r}, {phone!r}"
            continue
        assert _bytes(person.email_hash) == hashing.email_hash(email), f"email {email!r}"
        assert _bytes(person.phone_hash) == hashing.phone_hash(phone), f"phone {phone!r}"
        # The contact details kept are the NFKC form the hashes were taken of.
        assert person.email == _nfkc(email).strip(_TRIM)
        assert person.phone == _nfkc(phone).strip(_TRIM)


def _bytes(value) -> bytes | None:
    return None if value is None else bytes(value)


def test_letters_beyond_ascii_keep_their_case_and_compatibility_forms_fold():
    assert hashing.email_normalize(" ＭＩＮＪＩ＠Example.COM\u3000") == "minji@example.com"
    assert hashing.email_normalize("İSTANBUL@x.tr") == "İstanbul@x.tr"
    assert hashing.email_normalize("ΟΔΟΣ@x.gr") == "ΟΔΟΣ@x.gr"
    assert hashing.email_normalize("\u1106\u1175\u11ab@x.kr") == "민@x.kr"
    assert hashing.phone_normalize("０１０－１２３４－５６７８") == "821012345678"
    assert hashing.phone_normalize("٠١٠١٢٣٤٥٦٧٨") == ""  # not ASCII digits, even after NFKC
