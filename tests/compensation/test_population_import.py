import pytest

from compensation import hashing
from compensation.errors import ImportRefused
from compensation.models import AffectedPerson, PopulationImport, PopulationReject
from compensation.services import population_import as importer
from tests.factories import ProgramFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "external_id,name,email,phone,language,region,segment,data_categories\n"
GOOD = (
    "A1,Kim Minji,Minji@Example.com,010-1234-5678,ko,seoul,member,email;phone\n"
    "A2,Lee Jun,jun@example.com,,en,busan,wow,email\n"
    "A3,Wang Fang,fang@example.com,+86 138 0013 8000,zh-hans,overseas,member,name|email\n"
)


@pytest.fixture
def program():
    return ProgramFactory.create()


def run(program, tmp_path, text: str | bytes, name="people.csv") -> PopulationImport:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    created = importer.population_import_create(
        program=program, source=path, original_name=name, copy_to_store=False, actor_label="test"
    )
    return importer.population_import_run(import_id=created.pk)


def test_a_clean_file_is_imported_with_keyed_hashes(program, tmp_path):
    done = run(program, tmp_path, HEADER + GOOD)
    assert done.status == PopulationImport.Status.DONE
    assert (done.rows_read, done.rows_inserted, done.rows_rejected) == (3, 3, 0)
    minji = AffectedPerson.objects.get(program=program, external_id="A1")
    assert minji.email_hash is not None
    assert minji.phone_hash is not None
    assert bytes(minji.email_hash) == hashing.email_hash("minji@example.com")
    assert bytes(minji.phone_hash) == hashing.phone_hash("+82 10 1234 5678")
    assert AffectedPerson.objects.get(external_id="A3").data_categories == ["email", "name"]


def test_reimporting_the_same_file_changes_nothing(program, tmp_path):
    run(program, tmp_path, HEADER + GOOD)
    before = dict(AffectedPerson.objects.values_list("external_id", "updated_at"))
    again = run(program, tmp_path, HEADER + GOOD, name="again.csv")
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    assert dict(AffectedPerson.objects.values_list("external_id", "updated_at")) == before


def test_a_corrected_file_updates_only_the_rows_that_changed(program, tmp_path):
    run(program, tmp_path, HEADER + GOOD)
    corrected = GOOD.replace("jun@example.com", "jun.lee@example.com") + (
        "A4,Park Soo,soo@example.com,,ko,incheon,member,email\n"
    )
    done = run(program, tmp_path, HEADER + corrected, name="corrected.csv")
    assert (done.rows_inserted, done.rows_updated, done.rows_unchanged) == (1, 1, 2)
    assert AffectedPerson.objects.get(external_id="A2").email == "jun.lee@example.com"


def test_bad_rows_are_reported_by_line_and_column_and_the_rest_imported(program, tmp_path):
    text = (
        HEADER
        + GOOD
        + (
            "A5,No Mail,not-an-email,,ko,seoul,member,email\n"  # line 5
            "A6,Bad Lang,a6@example.com,,fr,seoul,member,email\n"  # line 6
            "A7,Too,few\n"  # line 7
            ",Empty Id,a8@example.com,,ko,seoul,member,email\n"  # line 8
            "A9,Bad Cat,a9@example.com,,ko,seoul,member,email;horoscope\n"  # line 9
            "A1,Duplicate,dup@example.com,,ko,seoul,member,email\n"  # line 10
            "A10,Bad Phone,a10@example.com,12,ko,seoul,member,email\n"  # line 11
        )
    )
    done = run(program, tmp_path, text)
    assert done.status == PopulationImport.Status.DONE
    assert done.rows_inserted == 3
    assert done.rows_rejected == 7
    rejects = list(
        PopulationReject.objects.filter(population_import=done)
        .order_by("line")
        .values_list("line", "column", "message")
    )
    assert rejects == [
        (5, "email", "is not an email address"),
        (6, "language", "must be one of ko, en, zh-hans (found 'fr')"),
        (7, "phone", "expected 8 fields, found 3"),  # the first missing column
        (8, "external_id", "is empty"),
        (9, "data_categories", "unknown category 'horoscope'"),
        (10, "external_id", "repeats the external id given on line 2"),
        (11, "phone", "is not a phone number (7-15 digits)"),
    ]
    assert AffectedPerson.objects.get(external_id="A1").name == "Kim Minji"  # the first row won


@pytest.mark.parametrize(
    ("name", "content", "refusal"),
    [
        ("wrong.csv", b"id,full_name,mail\n1,a,b\n", r"missing column.*external_id"),
        ("scan.pdf", b"%PDF-1.7\n\x00\x01\x02binary", "not a CSV"),
        (
            "euc-kr.csv",
            (HEADER + "A1,김민지,a@example.com,,ko,seoul,member,email\n").encode("euc-kr"),
            "not UTF-8",
        ),
    ],
    ids=["wrong_header", "binary", "not_utf8_from_the_start"],
)
def test_a_file_refused_at_upload_writes_nothing(program, tmp_path, name, content, refusal):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportRefused, match=refusal):
        importer.population_import_create(
            program=program,
            source=path,
            original_name=name,
            copy_to_store=False,
            actor_label="test",
        )
    assert not PopulationImport.objects.exists()
    assert not AffectedPerson.objects.exists()


def test_a_file_that_turns_out_not_utf8_deep_inside_is_refused_and_nothing_written(
    program, tmp_path
):
    filler = "".join(f"F{i},Name,f{i}@example.com,,ko,seoul,member,email\n" for i in range(2000))
    bad = "A4,Müller,m@example.com,,en,berlin,x,email\n".encode("latin-1")
    done = run(program, tmp_path, (HEADER + GOOD + filler).encode() + bad)  # past the 64 KB check
    assert done.status == PopulationImport.Status.REFUSED
    assert "Line 2005 is not UTF-8" in done.error
    assert not AffectedPerson.objects.exists()
    assert not PopulationReject.objects.exists()


def test_a_killed_merge_resumes_to_the_exact_count(program, tmp_path, monkeypatch):
    rows = "".join(
        f"P{i},Name {i},p{i}@example.com,,ko,seoul,member,email\n" for i in range(1, 1001)
    )
    monkeypatch.setattr(importer, "MERGE_CHUNK_LINES", 100)
    monkeypatch.setattr(importer, "MERGE_WORKERS", 1)  # a single worker dies deterministically

    class WorkerKilled(Exception):
        pass

    chunks = {"committed": 0}

    def die_after_three_chunks(*args, **kwargs):  # logged right after a chunk commits
        chunks["committed"] += 1
        if chunks["committed"] == 3:
            raise WorkerKilled

    monkeypatch.setattr(importer.logger, "info", die_after_three_chunks)
    path = tmp_path / "big.csv"
    path.write_text(HEADER + rows)
    created = importer.population_import_create(
        program=program,
        source=path,
        original_name="big.csv",
        copy_to_store=False,
        actor_label="test",
    )
    with pytest.raises(WorkerKilled):
        importer.population_import_run(import_id=created.pk)
    half = PopulationImport.objects.get(pk=created.pk)
    assert half.status == PopulationImport.Status.FAILED
    assert AffectedPerson.objects.count() == half.rows_inserted == 299  # lines 2-300

    monkeypatch.undo()  # the next run merges with two workers
    done = importer.population_import_run(import_id=created.pk)
    assert done.status == PopulationImport.Status.DONE
    assert AffectedPerson.objects.count() == 1000 == done.rows_inserted == done.rows_merged
    assert done.rows_updated == 0


def test_parallel_merge_workers_split_the_chunks_and_count_exactly(program, tmp_path, monkeypatch):
    rows = "".join(
        f"Q{i},Name {i},q{i}@example.com,,ko,seoul,member,email\n" for i in range(1, 2001)
    )
    monkeypatch.setattr(importer, "MERGE_CHUNK_LINES", 100)
    monkeypatch.setattr(importer, "MERGE_WORKERS", 3)
    done = run(program, tmp_path, HEADER + rows)
    assert done.status == PopulationImport.Status.DONE
    assert AffectedPerson.objects.count() == 2000 == done.rows_inserted == done.rows_merged
    chunks = done.chunks.all()
    assert chunks.count() == 21
    assert not chunks.filter(done_at__isnull=True).exists()
    assert sum(c.rows_merged for c in chunks) == 2000


def test_category_spellings_normalize_to_one_value_and_empty_ids_are_not_repeats(program, tmp_path):
    text = HEADER + (
        "B1,One,b1@example.com,,ko,seoul,member,Email|NAME\n"
        'B2,Two,b2@example.com,,ko,seoul,member," name ; email;email"\n'
        "B3,Three,b3@example.com,,ko,seoul,member,\n"
        ",No Id,b4@example.com,,ko,seoul,member,email\n"  # line 5
        ",No Id Again,b5@example.com,,ko,seoul,member,email\n"  # line 6
    )
    done = run(program, tmp_path, text)
    categories = dict(AffectedPerson.objects.values_list("external_id", "data_categories"))
    assert categories == {"B1": ["email", "name"], "B2": ["email", "name"], "B3": []}
    rejects = list(
        PopulationReject.objects.filter(population_import=done)
        .order_by("line")
        .values_list("line", "column", "message")
    )
    assert rejects == [(5, "external_id", "is empty"), (6, "external_id", "is empty")]
    assert (done.rows_merged, done.rows_inserted, done.rows_unchanged) == (5, 3, 0)


# A name spanning lines 2-3, then a bad email on a row spanning lines 4-5: the row starts on 4.
SPANNING = HEADER + (
    'S1,"Kim\nMinji",s1@example.com,,ko,seoul,member,email\n'
    'S2,"Lee\r\nJun",not-an-email,,ko,seoul,member,email\n'
    "S3,Park Soo,s3@example.com,,ko,seoul,member,email\n"  # line 6
    "S1,Again,again@example.com,,ko,seoul,member,email\n"  # line 7
)


def _rejects(done):
    return list(
        PopulationReject.objects.filter(population_import=done)
        .order_by("line")
        .values_list("line", "column", "message")
    )


def test_a_row_is_reported_at_the_line_it_starts_on_whichever_path_read_the_file(program, tmp_path):
    fast = run(program, tmp_path, SPANNING, name="fast.csv")
    # A short row at the end sends the same rows through the careful (Python) path.
    careful = run(program, tmp_path, SPANNING + "S9,short\n", name="careful.csv")
    assert (fast.status, careful.status) == (PopulationImport.Status.DONE,) * 2
    assert _rejects(fast) == [
        (4, "email", "is not an email address"),
        (7, "external_id", "repeats the external id given on line 2"),
    ]
    assert _rejects(careful) == [*_rejects(fast), (8, "email", "expected 8 fields, found 2")]
    assert AffectedPerson.objects.get(external_id="S1").name == "Kim\nMinji"


def test_a_row_with_too_many_fields_names_where_the_surplus_starts(program, tmp_path):
    text = HEADER + GOOD + "A4,Too,many@example.com,,ko,seoul,member,email,extra\n"
    done = run(program, tmp_path, text)
    assert _rejects(done) == [(5, "column 9 (after data_categories)", "expected 8 fields, found 9")]
    assert done.rows_inserted == 3
    assert not AffectedPerson.objects.filter(external_id="A4").exists()


def test_the_person_table_is_analysed_before_the_import_reports_done(program, tmp_path):
    from django.db import connection

    rows = "".join(f"N{i},Name,n{i}@example.com,,ko,seoul,member,email\n" for i in range(500))

    def statistics():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT last_analyze, n_mod_since_analyze FROM pg_stat_user_tables "
                "WHERE relname = 'compensation_affectedperson'"
            )
            return cursor.fetchone()

    analysed_before, _ = statistics()
    done = run(program, tmp_path, HEADER + rows)
    assert done.status == PopulationImport.Status.DONE
    last_analyze, modified_since = statistics()
    assert last_analyze is not None
    assert last_analyze != analysed_before
    assert last_analyze <= done.finished_at
    assert modified_since < 500  # the 500 rows the import wrote are counted in the statistics
