"""Filing a claim: documents uploaded to a draft, then one submission that is screened by the
policy engine and either decided at once (inside the policy's limits) or queued for review."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims import notices
from claims.errors import THROTTLED, ClaimError
from claims.identity import network_hash, payout_hash
from claims.models import Claim, ClaimDocument, ClaimEvent
from claims.services.awarding import claim_award_fields
from claims.services.common import identity_filter, sla_due
from claims.services.purchases import claim_purchase_record
from claims.services.screening import claim_screen
from claims.storage import document_store, documents_delete
from claims.throttle import network_of, submit_limits, throttle_take
from compensation.claimant_session import Claimant
from compensation.models import AffectedPerson, ClaimType, Program
from compensation.selectors import policy_published
from config.db import violated_constraint
from instruments.services.purchases import PurchaseAnswers
from payouts.banks import account_number_clean
from payouts.methods import Method
from payouts.services.instructions import instruction_bind

if TYPE_CHECKING:
    from accounts.models import User

_DRAFT_LOCK_NAMESPACE = 7302  # advisory lock class: one claimant's draft uploads


def _claimant_lock(email_hash: bytes) -> None:
    """Serialise one claimant's uploads until the transaction ends, so that two posts at once
    cannot both fit in what is left of the budget."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [_DRAFT_LOCK_NAMESPACE, int.from_bytes(email_hash[:4], "big", signed=True)],
        )


def claim_document_add(
    *,
    claimant: Claimant,
    draft_key: str,
    kind: str,
    upload: UploadedFile,
    purpose: str = "claim",
    claim: Claim | None = None,
) -> ClaimDocument:
    """Check and store one upload for a draft (or an open claim's answer or appeal).
    ClaimError, nothing stored, if the file is refused, the draft is full, or the claimant's
    unsubmitted drafts together would hold more than CLAIMS_DRAFT_FILES_PER_CLAIMANT files or
    CLAIMS_DRAFT_BYTES_PER_CLAIMANT bytes (whatever the sessions or drafts they came from)."""
    assert claimant.email_hash is not None
    with transaction.atomic():
        _claimant_lock(claimant.email_hash)
        owned = ClaimDocument.objects.filter(
            draft_key=draft_key, owner_email_hash=claimant.email_hash
        )
        if owned.count() >= settings.CLAIMS_UPLOADS_PER_CLAIM:
            raise ClaimError(
                _("You have uploaded the most files one claim can have."), code="too_many"
            )
        stored = document_store(upload)
        if claim is None:
            unsent = ClaimDocument.objects.filter(
                owner_email_hash=claimant.email_hash, claim__isnull=True
            ).aggregate(files=Count("id"), size=Sum("size_bytes"))
            if (
                unsent["files"] + 1 > settings.CLAIMS_DRAFT_FILES_PER_CLAIMANT
                or (unsent["size"] or 0) + stored.size_bytes
                > settings.CLAIMS_DRAFT_BYTES_PER_CLAIMANT
            ):
                documents_delete([stored.storage_name])
                raise ClaimError(
                    _(
                        "Your unsent claims already hold as many files as we keep. Submit "
                        "the claim you started, or replace its files, before adding more."
                    ),
                    code="draft_budget",
                )
        return ClaimDocument.objects.create(
            claim=claim,
            draft_key=draft_key,
            owner_email_hash=claimant.email_hash,
            kind=kind,
            purpose=purpose,
            storage_name=stored.storage_name,
            original_name=(upload.name or "")[-120:],
            content_type=stored.content_type,
            size_bytes=stored.size_bytes,
            sha256=stored.sha256,
            reencoded=stored.reencoded,
        )


def claim_draft_documents_replace(*, claimant: Claimant, draft_key: str) -> int:
    """Remove the claimant's files of an unsubmitted draft, inside the caller's transaction,
    before a new post of the draft's form stores its files: the rows go with the transaction,
    the stored files once it commits (a refused new file rolls back and keeps the old ones).
    Returns how many were removed."""
    assert claimant.email_hash is not None
    _claimant_lock(claimant.email_hash)
    old = ClaimDocument.objects.filter(
        draft_key=draft_key, owner_email_hash=claimant.email_hash, claim__isnull=True
    )
    names = list(old.values_list("storage_name", flat=True))
    old.delete()
    if names:
        transaction.on_commit(lambda: documents_delete(names))
    return len(names)


_SUBMISSION_LOCK_NAMESPACE = 7303  # advisory lock class: one draft's submission
# The constraints that mean "this submission, or this kind of claim, is already filed".
_ONCE_CONSTRAINTS = {
    "claim_idempotency_key_unique",
    "claim_identity_slot_unique",
    "claim_person_slot_unique",
}


def payout_account_fingerprint(
    *, currency: str, method: str, bank_code: str, fields: dict[str, str]
) -> bytes | None:
    """The keyed hash of the account a payment goes to (the bank and its number, or the
    customer number at the service), for the shared-account signal; None for a method with
    no account. Called with details the payouts service has just accepted."""
    if method == Method.BANK_TRANSFER:
        number = account_number_clean(currency, bank_code, fields.get("account_number", ""))
        return payout_hash(f"{bank_code}{number}")
    if method == Method.ACCOUNT_CREDIT:
        return payout_hash(f"credit{(fields.get('customer_ref') or '').strip()}")
    return None


def _submission_lock(idempotency_key: str) -> None:
    """Hold the draft's submission token until the transaction ends (another draft sharing
    the 32-bit hash only waits its turn)."""
    token = hashlib.sha256(idempotency_key.encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [_SUBMISSION_LOCK_NAMESPACE, int.from_bytes(token[:4], "big", signed=True)],
        )


@dataclass(frozen=True)
class Assisted:
    """A claim an agent files for a claimant (phone, visit, paper): who and how."""

    agent: User
    channel: str

    @property
    def actor_label(self) -> str:
        return f"user:{self.agent.pk}"


def _status_after(outcome: str) -> str:
    return {"approve": Claim.Status.APPROVED, "deny": Claim.Status.DENIED}.get(
        outcome, Claim.Status.SUBMITTED
    )


def claim_submit(
    *,
    program: Program,
    claim_type: ClaimType,
    claimant: Claimant,
    contact_email: str,
    language: str,
    idempotency_key: str,
    amount_claimed_minor: int = 0,
    hours_claimed: Decimal | None = None,
    statement: str = "",
    payout_chosen: bool = False,
    payout_account_hash: bytes | None = None,
    ip_address: str | None = None,
    device: str | None = None,
    instrument_purchase: PurchaseAnswers | None = None,
    assisted: Assisted | None = None,
) -> tuple[Claim, bool]:
    """File one claim and screen it. Returns (claim, created). Limited per browser (`device`,
    the claimant pages' device cookie), per identity and, as a ceiling, per network
    (claims.throttle.submit_limits).

    With `assisted`, an agent files it for the claimant (claim_file_assisted): the claim
    records the channel and the agent, its history and audit row name the agent, and the
    network limit and signal (the agent's office, not the claimant's) are left out; the rest
    (limits per identity, screening, the acknowledgement) is the claimant's path.

    Guarantees: one claim per idempotency key (a double click, a retried submit or a storm of
    concurrent ones returns the first claim, created=False, and spends the limits once: they
    wait for the first under a lock of the key); at most claim_type.max_claims_per_person
    claims per identity (a unique slot in the database); the acknowledgement (and the
    decision, when the engine decides at once) is queued in the same transaction; an automatic
    approval writes its award in the same transaction, within the budget, or the claim goes to
    review instead; with `payout_chosen`, the payment choice saved with the draft
    (payouts' instruction_draft_save under the idempotency key) becomes the claim's in the same
    transaction. `payout_account_hash` (payout_account_fingerprint above) is the shared-account
    signal's keyed hash: the account itself never reaches this function.
    ClaimError, nothing written, when throttled, the program is not open or the limit is hit."""
    existing = Claim.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    if claim_type.program_id != program.pk or program.status != Program.Status.OPEN:
        raise ClaimError(_("This program is not taking claims."), code="program_closed")
    # Every claims sign-in verifies an email (claims.views.signin); only a person's session
    # without one would lack it, and no path writes such a session.
    assert claimant.email_hash is not None
    network = network_of(None if assisted else ip_address)
    person = (
        claimant.person if claimant.person and claimant.person.program_id == program.pk else None
    )
    with transaction.atomic(durable=True):
        # The submission token first: concurrent submits of one draft wait here for the first
        # one's transaction, then find its claim, and spend no limit of their own.
        _submission_lock(idempotency_key)
        existing = Claim.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
        earlier = Claim.objects.filter(
            identity_filter(person, claimant.email_hash), claim_type=claim_type
        ).count()
        if earlier >= claim_type.max_claims_per_person:
            raise ClaimError(
                _("You have already filed this kind of claim. You can follow it on its page."),
                code="already_filed",
            )
        # Both limits or neither, in one step: a refused submission spends nothing, so its
        # retries get the same answer. With Redis down the claim is still taken
        # (unavailable_allows): the slots below keep one claim per identity and type, and its
        # notices wait in the outbox.
        limits = submit_limits(
            identity_hash=claimant.email_hash,
            device=device,
            ip_address=ip_address,
            assisted=assisted is not None,
        )
        if not throttle_take(limits, unavailable_allows=True):
            raise ClaimError(THROTTLED, code="throttled", status=429)
        try:
            with transaction.atomic():
                claim = Claim.objects.create(
                    program=program,
                    claim_type=claim_type,
                    person=person,
                    claimant_email_hash=claimant.email_hash,
                    contact_email="" if person else contact_email,
                    slot=earlier + 1,
                    language=language,
                    amount_claimed_minor=amount_claimed_minor,
                    hours_claimed=hours_claimed,
                    statement=statement,
                    network_hash=None if assisted else network_hash(network),
                    payout_hash=payout_account_hash,
                    idempotency_key=idempotency_key,
                    due_at=sla_due(Claim.Status.SUBMITTED),
                    channel=assisted.channel if assisted else Claim.Channel.ONLINE,
                    filed_by=assisted.agent if assisted else None,
                )
        except IntegrityError as exc:
            if violated_constraint(exc) not in _ONCE_CONSTRAINTS:
                raise
            again = Claim.objects.filter(idempotency_key=idempotency_key).first()
            if again is not None:
                return again, False
            raise ClaimError(
                _("You have already filed this kind of claim. You can follow it on its page."),
                code="already_filed",
            ) from None
        ClaimDocument.objects.filter(
            draft_key=idempotency_key, owner_email_hash=claimant.email_hash, claim__isnull=True
        ).update(claim=claim)
        if payout_chosen:
            instruction_bind(
                owner_email_hash=claimant.email_hash,
                draft_key=idempotency_key,
                claim_reference=claim.reference,
                notify_email=notices._address(claim),
            )
        # A good-faith buyer's purchase (a claim type with a purchase route), before screening.
        claim_purchase_record(claim=claim, answers=instrument_purchase)
        _screen_and_decide(
            claim, program, actor_label=assisted.actor_label if assisted else "claimant"
        )
        audit_record(
            action="claim.submit",
            obj=claim,
            actor=assisted.agent if assisted else None,
            actor_label="" if assisted else f"claimant:{claim.reference}",
            ip_address=ip_address,
            after={
                "claim_type": claim_type.code,
                "status": claim.status,
                "score": claim.score,
                "signals": [s["code"] for s in claim.signals],
                "amount_claimed_minor": amount_claimed_minor,
                "channel": claim.channel,
            },
        )
        notices.notice_claim_acknowledged(claim=claim)
        if claim.status in (Claim.Status.APPROVED, Claim.Status.DENIED):
            notices.notice_decision(claim=claim, appeal=False)
    return claim, True


def _screen_and_decide(claim: Claim, program: Program, *, actor_label: str) -> None:
    """Record the engine's decision on the new claim and act on it (inside the transaction)."""
    ClaimEvent.objects.create(
        claim=claim,
        kind="filed_for_claimant" if claim.filed_by_id else "submitted",
        to_status=claim.status,
        note="" if claim.channel == Claim.Channel.ONLINE else claim.channel,
        actor_label=actor_label,
    )
    policy = policy_published(program)
    if policy is None:  # no rules yet: a person decides
        return
    screening = claim_screen(claim, program=program, rules=policy.rules)
    decision = screening.decision
    fields = {
        "policy": policy,
        "score": decision.score,
        "risk": screening.risk,
        "signals": screening.signals,
        "screening_outcome": decision.outcome,
        "decision_reasons": [r.as_dict() for r in decision.results],
    }
    status = _status_after(decision.outcome)
    if status == Claim.Status.APPROVED and claim.filed_by_id is not None:
        # An agent's filing is never approved by the engine alone: someone other than the
        # agent approves it (review._filer_check), so no agent grants what they filed.
        status = Claim.Status.SUBMITTED
    now = timezone.now()
    if status == Claim.Status.APPROVED:
        claim.policy = policy
        claim.decision_reasons = fields["decision_reasons"]
        try:
            with transaction.atomic():
                fields.update(
                    claim_award_fields(
                        claim=claim,
                        amount_minor=decision.amount_minor,
                        actor_label="job:claims.screening",
                    )
                )
        except ClaimError:
            status = Claim.Status.SUBMITTED  # the budget cannot pay it: a person decides
    if status != Claim.Status.SUBMITTED:
        fields.update(decided_at=now, due_at=None)
        if status == Claim.Status.DENIED:
            fields["amount_decided_minor"] = 0
    fields["status"] = status
    for name, value in fields.items():
        setattr(claim, name, value)
    claim.save(update_fields=list(fields))
    if status != Claim.Status.SUBMITTED:
        ClaimEvent.objects.create(
            claim=claim,
            kind="auto_decided",
            from_status=Claim.Status.SUBMITTED,
            to_status=status,
            actor_label="job:claims.screening",
        )


def claim_file_assisted(
    *,
    person: AffectedPerson,
    claim_type: ClaimType,
    agent: User,
    channel: str,
    idempotency_key: str,
    documents: list[tuple[str, UploadedFile]],
    amount_claimed_minor: int = 0,
    hours_claimed: Decimal | None = None,
    statement: str = "",
    ip_address: str | None = None,
) -> tuple[Claim, bool]:
    """An agent files a claim for a caller on the affected list (by phone, at a visit, or from
    a paper form), with the documents the caller sent: the same checks of each file
    (claim_document_add) and the same submission (claim_submit) as the claimant's own, the
    claim recorded as assisted with the agent. The claimant gets the acknowledgement in their
    language as if they had filed it. Returns (claim, created); the idempotency key is the
    agent's form's, so a second post of the same form returns the first claim.
    ClaimError, nothing kept (claim or files), when refused."""
    if agent is None or not agent.has_perm("claims.file_for_claimant"):
        raise ClaimError(_("You are not allowed to do this."), code="forbidden", status=403)
    if channel not in Claim.ASSISTED_CHANNELS:
        raise ClaimError(_("Choose how the claimant reached us."), code="channel")
    existing = Claim.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    # The claimant's identity as their own sign-in proves it: the keyed hash of the email on
    # their record (the phone's for a person listed without an email).
    identity = person.email_hash or person.phone_hash
    if identity is None:
        raise ClaimError(
            _("This person has no email or phone on their record: a claim cannot be filed."),
            code="no_contact",
        )
    claimant = Claimant(person=person, email_hash=bytes(identity))
    stored: list[str] = []
    try:
        with transaction.atomic():
            claim_draft_documents_replace(claimant=claimant, draft_key=idempotency_key)
            for kind, upload in documents:
                document = claim_document_add(
                    claimant=claimant, draft_key=idempotency_key, kind=kind, upload=upload
                )
                stored.append(document.storage_name)
    except ClaimError:
        documents_delete(stored)  # the rows rolled back; the files written before go too
        raise
    try:
        return claim_submit(
            program=claim_type.program,
            claim_type=claim_type,
            claimant=claimant,
            contact_email="",
            language=person.language,
            idempotency_key=idempotency_key,
            amount_claimed_minor=amount_claimed_minor,
            hours_claimed=hours_claimed,
            statement=statement,
            ip_address=ip_address,
            assisted=Assisted(agent=agent, channel=channel),
        )
    except ClaimError:
        with transaction.atomic():
            claim_draft_documents_replace(claimant=claimant, draft_key=idempotency_key)
        raise
