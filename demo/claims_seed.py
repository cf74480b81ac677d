"""Demo claims in every state, made the way real ones are: filed through claim_submit (with
documents, screened by the published policy) and worked by the demo staff through the review
services. A few are backdated so the queue shows ages and overdue SLAs."""

from __future__ import annotations

import datetime as dt
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from claims.models import Claim
from claims.services import (
    claim_appeal,
    claim_approve,
    claim_deny,
    claim_document_add,
    claim_refer,
    claim_request_info,
    claim_start_review,
    claim_submit,
)
from compensation.claimant_session import Claimant
from compensation.hashing import email_hash
from compensation.models import Program
from demo.documents import pdf_tagged


def _pdf(content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "receipt.pdf",
        content or pdf_tagged(os.urandom(8).hex().encode()),
        content_type="application/pdf",
    )


def _file(program, claim_type, claimant, key, *, amount=0, hours=None, docs=(), ip, contact=""):
    for kind, content in docs:
        claim_document_add(claimant=claimant, draft_key=key, kind=kind, upload=_pdf(content))
    claim, _ = claim_submit(
        program=program,
        claim_type=claim_type,
        claimant=claimant,
        contact_email=contact,
        language=claimant.person.language if claimant.person else "en",
        idempotency_key=key,
        amount_claimed_minor=amount,
        hours_claimed=hours,
        statement="Taxi to the bank and a new card after the phishing messages started.",
        ip_address=ip,
    )
    return claim


def claims_seed(program: Program, *, agent, reviewer, expert) -> dict[str, int]:
    """File and work about forty claims; returns how many ended in each status."""
    from decimal import Decimal

    types = {t.code: t for t in program.claim_types.all()}
    people = list(program.population.exclude(email="").order_by("id")[:40])
    claims: list[Claim] = []

    def person_file(i: int, type_code: str, *, ip: str | None = None, **details) -> None:
        """File the i-th person's claim of one type, from an address of their own."""
        person = people[i]
        claimant = Claimant(person=person, email_hash=email_hash(person.email))
        claims.append(
            _file(
                program,
                types[type_code],
                claimant,
                f"demo-{i}",
                ip=ip or f"10.{i}.0.7",
                **details,
            )
        )

    for i in range(12):  # clear documented losses: decided at once
        person_file(i, "documented-loss", amount=(i + 2) * 15_000, docs=[("receipt", None)])
    for i in range(12, 17):  # time spent, no documents needed up to three hours
        person_file(i, "time-spent", hours=Decimal("2.5"))
    for i in range(17, 23):  # a receipt is missing: to the queue
        person_file(i, "documented-loss", amount=60_000 + i * 1_000)
    for i in range(23, 27):  # above the automatic line: a person decides
        person_file(i, "documented-loss", amount=320_000 + i * 3_000, docs=[("receipt", None)])
    shared = pdf_tagged(b"5ca1ab1e5ca1ab1e")  # the same scan
    for i in range(27, 33):  # one network, one reused scan: signals for the reviewer
        person_file(
            i,
            "documented-loss",
            amount=45_000,
            docs=[("receipt", shared)],
            ip=f"203.0.113.{i}",
        )
    for n in range(3):  # good-faith buyers of frozen cards, not on the affected list
        email = f"buyer{n}@example.net"
        buyer = Claimant(person=None, email_hash=email_hash(email))
        claims.append(
            _file(
                program,
                types["good-faith-purchase"],
                buyer,
                f"demo-buyer-{n}",
                amount=40_000 + n * 10_000,
                docs=[("proof_of_purchase", None)],
                ip=f"10.200.{n}.9",
                contact=email,
            )
        )

    queued = [c for c in claims if c.status == Claim.Status.SUBMITTED]
    label = "job:demo_seed"
    if len(queued) >= 7:
        claim_start_review(claim=queued[0], actor=agent)
        claim_request_info(
            claim=queued[1],
            actor=agent,
            document_kind="receipt",
            message="Please upload the receipt for the taxi fare you claim.",
        )
        claim_deny(claim=queued[2], reason_codes=["loss_not_shown"], actor=agent)
        denied = claim_deny(claim=queued[3], reason_codes=["documents_invalid"], actor=agent)
        owner = Claimant(person=denied.person, email_hash=bytes(denied.claimant_email_hash))
        claim_appeal(
            claim=denied,
            claimant=owner,
            statement="The bank statement I attached shows the replacement card fee.",
        )
        claim_refer(
            claim=queued[4],
            expert=expert,
            actor=agent,
            note="Does this receipt look altered to you?",
        )
        high = next((c for c in queued[5:] if c.amount_claimed_minor > 300_000), None)
        if high is not None:
            claim_approve(claim=high, amount_minor=high.amount_claimed_minor, actor=reviewer)
    # Ages for the queue: some claims came in days ago and two are past their SLA.
    now = timezone.now()
    open_ids = list(
        Claim.objects.filter(program=program, status=Claim.Status.SUBMITTED)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for days, claim_id in enumerate(open_ids, start=1):
        Claim.objects.filter(pk=claim_id).update(
            submitted_at=now - dt.timedelta(days=days),
            due_at=now - dt.timedelta(days=days) + dt.timedelta(hours=72),
        )
    del label
    counts: dict[str, int] = {}
    for status in Claim.objects.filter(program=program).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
