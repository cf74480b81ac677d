"""Released provider batches for the sending tests: a few payouts through the services, or a
few thousand written set-based (one INSERT ... SELECT for the awards, one for the choices,
every choice holding the same encrypted details), then built and released by the services."""

from __future__ import annotations

from django.db import connection

from compensation.models import Program
from payouts.crypto import details_encrypt
from payouts.methods import Method
from payouts.models import PayoutBatch, PayoutOffer
from payouts.services.batches import payout_batch_create, payout_batch_release
from tests.factories import UserFactory


def offer(program: Program, *methods: str) -> None:
    PayoutOffer.objects.update_or_create(program=program, defaults={"methods": list(methods)})


def released_batch(program: Program, method: str) -> PayoutBatch:
    """Build a batch of every payable award of `method` and release it (by someone else)."""
    batch = payout_batch_create(
        program=program, method=method, actor=UserFactory.create(), build_now=True
    )
    return payout_batch_release(batch=batch, actor=UserFactory.create())


def credit_awards_bulk(program: Program, count: int, *, prefix: str = "B") -> None:
    """`count` granted claim awards of `program`, each with an account-credit choice."""
    token, version = details_encrypt({"customer_ref": "CUST-0001"})
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO compensation_award
                (public_id, program_id, person_id, source, award_line_id, unit, claim_type_id,
                 claim_reference, kind, amount_minor, currency, status, policy_id, explanation,
                 created_at, updated_at)
            SELECT gen_random_uuid(), %(program)s, NULL, 'claim', NULL, 1, NULL,
                   %(prefix)s || g, 'cash', 1000 + g, %(currency)s, 'granted', NULL, '{}',
                   now(), now()
            FROM generate_series(1, %(count)s) g
            """,
            {
                "program": program.pk,
                "prefix": f"C-{prefix}{program.pk}-",
                "currency": program.currency,
                "count": count,
            },
        )
        cursor.execute(
            """
            INSERT INTO payouts_payoutinstruction
                (public_id, program_id, owner_email_hash, draft_key, claim_reference, method,
                 bank_code, details_encrypted, details_key_version, details_last4,
                 notify_email, language, hold_code, created_at, updated_at)
            SELECT gen_random_uuid(), %(program)s, '\\x6f'::bytea, NULL, %(prefix)s || g,
                   %(method)s, '', %(token)s, %(version)s, '0001',
                   'claimant' || g || '@example.com', 'en', '', now(), now()
            FROM generate_series(1, %(count)s) g
            """,
            {
                "program": program.pk,
                "prefix": f"C-{prefix}{program.pk}-",
                "method": Method.ACCOUNT_CREDIT,
                "token": token,
                "version": version,
                "count": count,
            },
        )
