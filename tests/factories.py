import datetime as dt
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from claims.models import CannedResponse, Claim
from compensation.models import (
    AffectedPerson,
    AwardLine,
    ClaimType,
    Incident,
    PolicyVersion,
    Program,
)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def role(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted:
            obj.groups.add(Group.objects.get(name=extracted))
        if create:
            obj.save()


class IncidentFactory(factory.django.DjangoModelFactory[Incident]):
    class Meta:
        model = Incident

    title = factory.Sequence(lambda n: f"Incident {n}")
    summary = "Customer contact data was read by an unauthorized party."
    detected_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    disclosed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=20))
    data_categories = factory.LazyFunction(lambda: ["name", "email"])
    estimated_affected = 1000


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program

    incident = factory.SubFactory(IncidentFactory)
    slug = factory.Sequence(lambda n: f"program-{n}")
    name = factory.Sequence(lambda n: f"Program {n}")
    currency = "KRW"
    budget_minor = 1_000_000_000
    status = Program.Status.OPEN
    claim_opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))
    claim_closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=90))


class AwardLineFactory(factory.django.DjangoModelFactory[AwardLine]):
    class Meta:
        model = AwardLine

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"line{n}")
    kind = "voucher"
    service_scope = "store"
    amount_minor = 5_000


class ClaimTypeFactory(factory.django.DjangoModelFactory[ClaimType]):
    class Meta:
        model = ClaimType

    program = factory.SubFactory(ProgramFactory)
    code = factory.Sequence(lambda n: f"type{n}")
    calculation = ClaimType.Calculation.DOCUMENTED
    title = factory.LazyFunction(
        lambda: {"en": "Documented loss", "ko": "증빙된 실손", "zh-hans": "有凭证的损失"}
    )
    required_documents = factory.LazyFunction(lambda: ["receipt"])
    cap_per_claim_minor = 500_000


class AffectedPersonFactory(factory.django.DjangoModelFactory[AffectedPerson]):
    class Meta:
        model = AffectedPerson

    program = factory.SubFactory(ProgramFactory)
    external_id = factory.Sequence(lambda n: f"EXT{n:08d}")
    name = factory.Sequence(lambda n: f"Person {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    language = "ko"
    region = "seoul"
    segment = "member"
    data_categories = factory.LazyFunction(lambda: ["name", "email"])


# --- Claims -----------------------------------------------------------------------------------


def published_policy(program: Program, rules: dict[str, Any] | None = None) -> PolicyVersion:
    """A published policy version with complete rules (DEFAULT_RULES merged with `rules`)."""
    from compensation.engine import rules_validate

    return PolicyVersion.objects.create(
        program=program,
        number=(program.policies.count() + 1),
        status=PolicyVersion.Status.PUBLISHED,
        rules=rules_validate(rules or {}),
        published_at=timezone.now(),
    )


class ClaimFactory(factory.django.DjangoModelFactory[Claim]):
    class Meta:
        model = Claim

    program = factory.SubFactory(ProgramFactory)
    claim_type = factory.SubFactory(ClaimTypeFactory, program=factory.SelfAttribute("..program"))
    person = factory.SubFactory(AffectedPersonFactory, program=factory.SelfAttribute("..program"))
    claimant_email_hash = factory.LazyAttribute(
        lambda o: (
            __import__("compensation.hashing").hashing.email_hash(o.person.email)
            if o.person
            else __import__("os").urandom(32)
        )
    )
    language = "en"
    status = "submitted"
    amount_claimed_minor = 50_000
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3))


class CannedResponseFactory(factory.django.DjangoModelFactory[CannedResponse]):
    class Meta:
        model = CannedResponse

    code = factory.Sequence(lambda n: f"canned-{n}")
    language = "en"
    title = "Missing receipt"
    body = "Please upload a receipt."


class ClaimantPersonFactory(AffectedPersonFactory):
    """An affected person with the keyed email hash an import computes (sign-in matches it)."""

    email_hash = factory.LazyAttribute(
        lambda o: __import__("compensation.hashing").hashing.email_hash(o.email)
    )
