"""Inquiries: a person's question, filed from the site or by an agent, answered through the
notification outbox. Every change is audited in its own transaction."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.services import Actor, audit_record
from claims.errors import ClaimError
from claims.notices import local_when
from claims.storage import document_store, documents_delete
from compensation.hashing import email_hash, email_normalize, phone_hash, phone_normalize
from compensation.models import AffectedPerson, Program
from config.ratelimit import Rate, rate_take
from notifications.services import notice_enqueue
from support.crypto import contact_decrypt, contact_encrypt
from support.errors import SupportError
from support.inquiry_selectors import acknowledgement_key
from support.masking import email_mask, phone_mask
from support.models import Inquiry, InquiryEntry

REPLY_KIND = "inquiry_reply"
RECEIVED_KIND = "inquiry_received"
# The questions the person is told were received: those they sent themselves. A caller whose
# question an agent opens hears its reference on the line.
ACKNOWLEDGED_SOURCES = frozenset({Inquiry.Source.SIGNED_IN, Inquiry.Source.WEB})
MAX_BODY = 4000
ANSWER_PERMISSION = "support.answer_inquiry"


def contact_normalize(channel: str, contact: str) -> tuple[str, bytes]:
    """(the address to answer at, its keyed hash), normalized as the population import does,
    so an inquiry's hash matches the person's own. SupportError when it is no address."""
    if channel == Inquiry.ContactChannel.EMAIL:
        address = email_normalize(contact)
        digest = email_hash(address) if "@" in address[1:-1] else None
    elif channel == Inquiry.ContactChannel.SMS:
        address = phone_normalize(contact)
        digest = phone_hash(address) if 8 <= len(address) <= 15 else None
        address = "+" + address
    else:
        digest = None
    if digest is None:
        raise SupportError(_("Give an email address or a phone number we can answer at."))
    return address, digest


def inquiry_rate_take(*, network: str, contact_hash: bytes) -> bool:
    """Count one inquiry against the network's and the contact's limits
    (SUPPORT_INQUIRY_LIMITS), both or neither; False when one is used up. Redis unreachable
    raises RateLimitUnavailable: the page says to try again rather than take it unlimited."""
    limits = settings.SUPPORT_INQUIRY_LIMITS
    network_limit, network_window = limits["network"]
    contact_limit, contact_window = limits["contact"]
    rates: list[tuple[Rate, str | bytes]] = [
        (Rate("support.inquiry.network", network_limit, network_window), network),
        (Rate("support.inquiry.contact", contact_limit, contact_window), contact_hash),
    ]
    return rate_take(rates) is None


def _due(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(hours=settings.SUPPORT_INQUIRY_SLA_HOURS)


def inquiry_file(
    *,
    program: Program,
    category: str,
    body: str,
    language: str,
    contact_channel: str,
    contact: str,
    source: str,
    person: AffectedPerson | None = None,
    upload: UploadedFile | None = None,
    opened_by: User | None = None,
    ip_address: str | None = None,
) -> Inquiry:
    """File one inquiry: the contact kept as a keyed hash and encrypted (never in plain text),
    the optional file checked and stored as a claim document is (claims.storage), the SLA
    clock started, audited. A question the person sent from the site is acknowledged: an
    inquiry_received notice in the inquiry's language, by email or SMS as they gave, with its
    reference and the moment the answer is due by, in the outbox in the same transaction
    (inquiry_selectors.acknowledgement_of finds it). SupportError (nothing stored, nothing
    sent) for an empty question, a bad address or a refused file; the message says what is
    wrong."""
    body = body.strip()
    if not body:
        raise SupportError(_("Write your question."))
    if len(body) > MAX_BODY:
        raise SupportError(
            _("The question is too long: at most %(max)s characters.") % {"max": MAX_BODY}
        )
    if category not in Inquiry.Category.values:
        raise SupportError(_("Choose what your question is about."))
    if person is not None and person.program_id != program.pk:
        raise SupportError(_("This person is not in this program."), status=404)
    address, digest = contact_normalize(contact_channel, contact)
    masked = email_mask(address) if contact_channel == "email" else phone_mask(address)
    token, version = contact_encrypt(address)
    stored = None
    if upload is not None:
        try:
            stored = document_store(upload)
        except ClaimError as exc:
            raise SupportError(exc.message) from None
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            inquiry = Inquiry.objects.create(
                program=program,
                person=person,
                category=category,
                body=body,
                language=language,
                source=source,
                contact_channel=contact_channel,
                contact_hash=digest,
                contact_encrypted=token,
                contact_key_version=version,
                contact_masked=masked,
                document_storage_name=stored.storage_name if stored else "",
                document_content_type=stored.content_type if stored else "",
                document_size_bytes=stored.size_bytes if stored else None,
                document_sha256=stored.sha256 if stored else "",
                opened_by=opened_by,
                created_at=now,
                due_at=_due(now),
            )
            audit_record(
                action="inquiry.file",
                obj=inquiry,
                actor=opened_by,
                actor_label="" if opened_by else "claimant",
                ip_address=ip_address,
                after={
                    "reference": inquiry.reference,
                    "category": category,
                    "source": source,
                    "person": person.pk if person else None,
                    "document": bool(stored),
                },
            )
            if source in ACKNOWLEDGED_SOURCES:
                notice_enqueue(
                    kind=RECEIVED_KIND,
                    channel=contact_channel,
                    language=language,
                    to_address=address,
                    context={
                        "inquiry_reference": inquiry.reference,
                        "answer_by": local_when(inquiry.due_at, language, with_time=True),
                    },
                    program=program,
                    person=person,
                    dedupe_key=acknowledgement_key(inquiry),
                )
    except BaseException:
        if stored is not None:
            documents_delete([stored.storage_name])
        raise
    return inquiry


def _locked(inquiry: Inquiry) -> Inquiry:
    return Inquiry.objects.select_for_update().get(pk=inquiry.pk)


def _answerer(actor: Actor) -> User:
    if actor is None or not actor.is_authenticated or not actor.has_perm(ANSWER_PERMISSION):
        raise SupportError(_("You are not allowed to do this."), status=403)
    assert isinstance(actor, User)
    return actor


def inquiry_assign(
    *, inquiry: Inquiry, assignee: User | None, actor: Actor, ip_address: str | None = None
) -> Inquiry:
    """Give the inquiry to a staff member who may answer inquiries (None: to nobody)."""
    _answerer(actor)
    if assignee is not None and not assignee.has_perm(ANSWER_PERMISSION):
        raise SupportError(_("This staff member cannot answer inquiries."))
    with transaction.atomic(durable=True):
        locked = _locked(inquiry)
        before = locked.assigned_to_id
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to"])
        audit_record(
            action="inquiry.assign",
            obj=locked,
            actor=actor,
            ip_address=ip_address,
            before={"assigned_to": before},
            after={"assigned_to": assignee.pk if assignee else None},
        )
    return locked


def inquiry_note_add(
    *, inquiry: Inquiry, body: str, actor: Actor, ip_address: str | None = None
) -> InquiryEntry:
    """An internal note: staff read it, the person never does."""
    author = _answerer(actor)
    if not body.strip():
        raise SupportError(_("The note is empty."))
    with transaction.atomic(durable=True):
        entry = InquiryEntry.objects.create(
            inquiry=inquiry, kind=InquiryEntry.Kind.NOTE, body=body.strip(), author=author
        )
        audit_record(action="inquiry.note", obj=inquiry, actor=actor, ip_address=ip_address)
    return entry


def inquiry_reply(
    *,
    inquiry: Inquiry,
    body: str,
    actor: Actor,
    submission_key: uuid.UUID,
    canned_code: str = "",
    close: bool = False,
    ip_address: str | None = None,
) -> tuple[InquiryEntry, bool]:
    """Answer the person: a notice of kind inquiry_reply in the inquiry's language, by email or
    SMS as they gave, through the outbox (it exists if and only if this commits). The first
    reply stops the SLA clock (first_answered_at); the inquiry is then answered, or closed
    with `close`. One reply per `submission_key` (the form's): a double submit returns the
    first, created False. Returns (entry, created)."""
    author = _answerer(actor)
    body = body.strip()
    if not body:
        raise SupportError(_("The reply is empty."))
    dedupe_key = f"inquiry:{inquiry.pk}:reply:{submission_key}"
    with transaction.atomic(durable=True):
        locked = _locked(inquiry)
        earlier = (
            InquiryEntry.objects.filter(inquiry=locked, notice__dedupe_key=dedupe_key)
            .select_related("notice")
            .first()
        )
        if earlier is not None:
            return earlier, False
        if locked.status == Inquiry.Status.CLOSED:
            raise SupportError(_("This inquiry is closed."))
        notice = notice_enqueue(
            kind=REPLY_KIND,
            channel=locked.contact_channel,
            language=locked.language,
            to_address=contact_decrypt(locked.contact_encrypted),
            context={"inquiry_reference": locked.reference, "reply_text": body},
            program=locked.program,
            person=locked.person,
            dedupe_key=dedupe_key,
        )
        entry = InquiryEntry.objects.create(
            inquiry=locked,
            kind=InquiryEntry.Kind.REPLY,
            body=body,
            canned_code=canned_code,
            author=author,
            notice=notice,
        )
        before = locked.status
        now = timezone.now()
        fields = ["status"]
        if locked.first_answered_at is None:
            locked.first_answered_at = now
            fields.append("first_answered_at")
        if close:
            locked.status = Inquiry.Status.CLOSED
            locked.closed_at = now
            fields.append("closed_at")
        else:
            locked.status = Inquiry.Status.ANSWERED
        locked.save(update_fields=fields)
        audit_record(
            action="inquiry.reply",
            obj=locked,
            actor=actor,
            ip_address=ip_address,
            before={"status": before},
            after={"status": locked.status, "notice": notice.pk, "canned": canned_code},
        )
    return entry, True


def inquiry_close(*, inquiry: Inquiry, actor: Actor, ip_address: str | None = None) -> Inquiry:
    """Close the inquiry (answered elsewhere, or nothing to answer). An open one that was
    never answered stays on the SLA figures as closed unanswered."""
    _answerer(actor)
    with transaction.atomic(durable=True):
        locked = _locked(inquiry)
        if locked.status == Inquiry.Status.CLOSED:
            return locked
        before = locked.status
        locked.status = Inquiry.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit_record(
            action="inquiry.close",
            obj=locked,
            actor=actor,
            ip_address=ip_address,
            before={"status": before},
            after={"status": locked.status},
        )
    return locked
