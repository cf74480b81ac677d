import factory
from django.db import connection

from notifications.models import Campaign, Notice
from tests.factories import ProgramFactory


class NoticeFactory(factory.django.DjangoModelFactory[Notice]):
    class Meta:
        model = Notice

    kind = "decision"
    channel = "email"
    language = "en"
    to_address = factory.Sequence(lambda n: f"claimant{n}@example.com")
    context = factory.LazyFunction(
        lambda: {"claim_reference": "C-TEST-0001", "decision_summary": "Approved: ₩30,000"}
    )
    program = factory.SubFactory(ProgramFactory)


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Vouchers issued {n}")
    program = factory.SubFactory(ProgramFactory)
    kind = "voucher_issued"
    channel = "email"
    audience = "population"
    context = factory.LazyFunction(lambda: {"voucher_total": "₩50,000", "valid_from": "2026-01-15"})


def population_make(
    program,
    count: int,
    *,
    language_cycle=("ko", "en", "zh-hans"),
    segment: str = "member",
    start: int = 0,
) -> None:
    """`count` affected people for `program` in one INSERT ... SELECT (factories are too slow
    for thousands). Languages cycle through `language_cycle`."""
    languages = "ARRAY[" + ",".join(f"'{lang}'" for lang in language_cycle) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO compensation_affectedperson (program_id, external_id, name, email, phone,"
            " language, region, segment, account_status, data_categories, created_at, updated_at)"
            " SELECT %s, 'P' || %s || '-' || g, '', 'person' || %s || '-' || g || '@example.com',"
            f" '010-0000-' || lpad(g::text, 4, '0'), ({languages})[1 + g %% {len(language_cycle)}],"
            " 'seoul', %s, 'active', '{}', now(), now() FROM generate_series(%s, %s) AS g",
            [program.pk, program.pk, program.pk, segment, start + 1, start + count],
        )
