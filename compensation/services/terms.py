"""A program's public terms, versioned: operators edit a draft in the admin (texts and
questions per language) and publish it; a published version never changes (the database's
trigger program_terms_immutable), so a change is the next version, dated, with a summary of
what changed in each language, and the program's page lists every published version."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.services import Actor, actor_user, audit_record
from compensation.errors import CompensationError
from compensation.models import Program, ProgramFaqEntry, ProgramTerms, ProgramTermsText
from compensation.models.choices import Language


class TermsRefused(CompensationError):
    code = "terms_refused"


_TEXT_FIELDS = (
    "who_is_covered",
    "what_you_get",
    "how_to_use",
    "important_dates",
    "contact_hours",
)
_TERMS_FIELDS = ("accepting_waives_claims", "contact_phone", "inquiry_url")


def default_faq(language: str) -> list[tuple[str, str]]:
    """The questions every program answers until its operators write their own (and the
    first version a seeded program publishes), in `language`."""
    with translation.override(language):
        return [
            (
                gettext("How do I sign in?"),
                gettext(
                    "Type your email address and we send you a one-time code. There is no password."
                ),
            ),
            (
                gettext("How do I know a message is really from you?"),
                gettext(
                    "Every notice we send has a reference. Type it on the “Is this notice "
                    "genuine?” page to check. We never ask for passwords or card numbers."
                ),
            ),
            (
                gettext("How long does it take?"),
                gettext(
                    "Many claims are decided at once. Others are reviewed by a person, usually "
                    "within a few days. Your claim page always shows what happens next and by "
                    "when."
                ),
            ),
            (
                gettext("What if I disagree with the decision?"),
                gettext(
                    "You can appeal once within %(days)s days. A senior reviewer who did not "
                    "make the first decision looks at it again."
                )
                % {"days": settings.CLAIMS_APPEAL_DAYS},
            ),
        ]


def program_terms_draft(
    *, program: Program, actor: Actor, ip_address: str | None = None
) -> ProgramTerms:
    """The program's draft terms version, started if there is none: a copy of the latest
    published version (texts, questions, waiver, contacts), or, for a program without one, the
    default questions in every language. Audited."""
    with transaction.atomic():
        Program.objects.select_for_update().filter(pk=program.pk).first()
        draft = ProgramTerms.objects.filter(program=program, published_at__isnull=True).first()
        if draft is not None:
            return draft
        latest = (
            ProgramTerms.objects.filter(program=program, published_at__isnull=False)
            .order_by("-number")
            .first()
        )
        number = (
            ProgramTerms.objects.filter(program=program).aggregate(top=Max("number"))["top"] or 0
        ) + 1
        draft = ProgramTerms.objects.create(
            program=program,
            number=number,
            **({name: getattr(latest, name) for name in _TERMS_FIELDS} if latest else {}),
        )
        if latest is not None:
            ProgramTermsText.objects.bulk_create(
                ProgramTermsText(
                    terms=draft,
                    language=text.language,
                    **{name: getattr(text, name) for name in _TEXT_FIELDS},
                )
                for text in latest.texts.all()
            )
            ProgramFaqEntry.objects.bulk_create(
                ProgramFaqEntry(
                    terms=draft,
                    language=entry.language,
                    position=entry.position,
                    question=entry.question,
                    answer=entry.answer,
                )
                for entry in latest.faq.all()
            )
        else:
            ProgramTermsText.objects.bulk_create(
                ProgramTermsText(terms=draft, language=language) for language in Language.values
            )
            ProgramFaqEntry.objects.bulk_create(
                ProgramFaqEntry(
                    terms=draft, language=language, position=position, question=q, answer=a
                )
                for language in Language.values
                for position, (q, a) in enumerate(default_faq(language), start=1)
            )
        audit_record(
            action="program_terms.draft",
            obj=draft,
            actor=actor,
            actor_label="" if actor_user(actor) else "job:compensation.terms",
            ip_address=ip_address,
            program_id=program.pk,
            after={"number": number, "from_version": latest.number if latest else None},
        )
    return draft


def program_terms_publish_refusal(terms: ProgramTerms) -> str | None:
    """Why this version cannot be published, or None: it is a draft, and it says what changed
    in every language the site speaks, each with at least one question (nothing half-written
    reaches the public page)."""
    if terms.published_at is not None:
        return str(_("This version is published already: start a new version to change it."))
    texts = {text.language: text for text in terms.texts.all()}
    asked = set(terms.faq.values_list("language", flat=True))
    missing = [
        str(label)
        for code, label in Language.choices
        if not (texts.get(code) and texts[code].change_summary.strip())
    ]
    if missing:
        return str(_("Say what changed in every language. Missing: %(languages)s.")) % {
            "languages": ", ".join(missing)
        }
    unasked = [str(label) for code, label in Language.choices if code not in asked]
    if unasked:
        return str(_("Give at least one question and answer in: %(languages)s.")) % {
            "languages": ", ".join(unasked)
        }
    return None


def program_terms_publish(
    *, terms: ProgramTerms, actor: Actor, ip_address: str | None = None
) -> ProgramTerms:
    """Publish a draft version: from now on the program's page shows it, dated, and it
    never changes. Refused (TermsRefused, nothing written) when it is not ready. Audited."""
    with transaction.atomic():
        locked = ProgramTerms.objects.select_for_update().get(pk=terms.pk)
        refusal = program_terms_publish_refusal(locked)
        if refusal:
            raise TermsRefused(refusal)
        now = timezone.now()
        ProgramTerms.objects.filter(pk=locked.pk, published_at__isnull=True).update(
            published_at=now, published_by=actor_user(actor), updated_at=now
        )
        locked.refresh_from_db()
        audit_record(
            action="program_terms.publish",
            obj=locked,
            actor=actor,
            actor_label="" if actor_user(actor) else "job:compensation.terms",
            ip_address=ip_address,
            program_id=locked.program_id,
            after={
                "number": locked.number,
                "published_at": now,
                "accepting_waives_claims": locked.accepting_waives_claims,
                "change_summary": {t.language: t.change_summary for t in locked.texts.all()},
            },
        )
    return locked


def program_terms_seed(
    *, program: Program, texts: dict[str, dict[str, str]], actor_label: str, **terms_fields: object
) -> ProgramTerms:
    """Publish a program's first terms version from `texts` (language -> field -> text, the
    change summary included) and the default questions; for the demo and tests. A program
    with a published version already gets nothing new (its latest version is returned)."""
    existing = (
        ProgramTerms.objects.filter(program=program, published_at__isnull=False)
        .order_by("-number")
        .first()
    )
    if existing is not None:
        return existing
    with transaction.atomic():
        draft = program_terms_draft(program=program, actor=None)
        for name, value in terms_fields.items():
            setattr(draft, name, value)
        draft.save()
        for text in draft.texts.all():
            for name, value in texts.get(text.language, {}).items():
                setattr(text, name, value)
            text.save()
        audit_record(
            action="program_terms.seed", obj=draft, actor_label=actor_label, program_id=program.pk
        )
        return program_terms_publish(terms=draft, actor=None)
