"""Freeze, unfreeze, void and reissue.

A freeze of a list (people, codes, a selection) is one conditional UPDATE (state issued ->
frozen). Redeem is a conditional UPDATE on a usable state too, so the two meet on the row
lock: once a freeze has committed no redemption of its vouchers can commit, and a redemption
that committed first is left alone (but tagged with the freeze, so a refund reversing it
makes the voucher frozen, not usable). A freeze of a run or a window takes effect through its
scope instead, at its commit and without holding a row, and its marks follow in chunks
(vouchers/services/freeze_marks.py); small ones are marked in their own statement as well.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from audit.services import Actor, actor_user, audit_record
from compensation.engine.money import money_format
from compensation.models import Program
from config.queueing import task_send_on_commit
from vouchers.errors import CodeMalformed, FreezeRefused
from vouchers.models import Voucher, VoucherBatch, VoucherFreeze
from vouchers.services.codes import CodeMaker, code_hash_candidates, code_normalize
from vouchers.services.freeze_marks import (
    FREEZE_MARK_CHUNK,
    FREEZE_MARKS_TASK,
    SCOPE_CONDITIONS,
    mark_sql,
    scope_sql,
    voucher_freeze_marks_write,
)

_CONDITIONS: dict[str, str] = {
    **SCOPE_CONDITIONS,
    VoucherFreeze.Method.PEOPLE: (
        "v.person_id IN (SELECT id FROM compensation_affectedperson "
        "WHERE program_id = %(program)s AND external_id = ANY(%(external_ids)s))"
    ),
    VoucherFreeze.Method.CODES: "v.code_hash = ANY(%(hashes)s)",
    VoucherFreeze.Method.SELECTION: "v.id = ANY(%(ids)s)",
}


def codes_parse(lines: list[str]) -> tuple[list[bytes], int]:
    """Hashes of the codes in an uploaded file (one a line), and how many lines were not
    codes. The codes themselves go no further than this function."""
    hashes: list[bytes] = []
    rejected = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            hashes.extend(code_hash_candidates(code_normalize(line)))
        except CodeMalformed:
            rejected += 1
    return hashes, rejected


def vouchers_freeze(
    *,
    program: Program,
    method: str,
    reason: str,
    batch: VoucherBatch | None = None,
    external_ids: list[str] | None = None,
    code_hashes: list[bytes] | None = None,
    codes_rejected: int = 0,
    window: tuple[dt.datetime, dt.datetime] | None = None,
    voucher_ids: list[int] | None = None,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> VoucherFreeze:
    """Freeze the program's usable vouchers chosen by `method`, with a reason; in effect when
    this returns. Vouchers already frozen keep their first freeze. Audited with the count;
    codes are never recorded, only how many the file listed.

    A run or a window is frozen by its scope: from the commit the redeem and validate
    statements refuse every voucher it covers, without a row lock; if it covers more than
    FREEZE_MARK_CHUNK vouchers their per-voucher marks are written behind it by the task
    (vouchers_frozen counts the marks written; the audit row, what the freeze held)."""
    if not reason.strip():
        raise FreezeRefused("Give the reason for the freeze.")
    params: dict = {"program": program.pk}
    recorded: dict = {}
    if method == VoucherFreeze.Method.RUN:
        if batch is None or batch.program_id != program.pk:
            raise FreezeRefused("Choose an issuance run of this program.")
        params["batch"] = recorded["run"] = batch.pk
    elif method == VoucherFreeze.Method.PEOPLE:
        ids = sorted({e.strip() for e in external_ids or [] if e.strip()})
        if not ids:
            raise FreezeRefused("List at least one external id.")
        params["external_ids"] = ids
        recorded["people_listed"] = len(ids)
    elif method == VoucherFreeze.Method.CODES:
        if not code_hashes:
            raise FreezeRefused("The file holds no valid code.")
        params["hashes"] = code_hashes
        recorded.update(codes_rejected=codes_rejected)
    elif method == VoucherFreeze.Method.WINDOW:
        if not window or window[0] >= window[1]:
            raise FreezeRefused("Give a time window whose start is before its end.")
        params["start"], params["end"] = window
        recorded.update(start=window[0].isoformat(), end=window[1].isoformat())
    elif method == VoucherFreeze.Method.SELECTION:
        if not voucher_ids:
            raise FreezeRefused("Select at least one voucher.")
        params["ids"] = list(voucher_ids)
        recorded["selected"] = len(voucher_ids)
    else:
        raise FreezeRefused(f"Unknown freeze method {method!r}.")
    condition = _CONDITIONS[method]
    with transaction.atomic(durable=True):
        now = timezone.now()
        freeze = VoucherFreeze.objects.create(
            program=program,
            method=method,
            reason=reason.strip(),
            parameters=recorded,
            created_by=actor_user(actor),
            marks_touched_at=now,
        )
        params["freeze"] = freeze.pk
        covered = 0
        if method in SCOPE_CONDITIONS:
            with connection.cursor() as cursor:
                cursor.execute(scope_sql(condition), params)
                first_id, last_id, held, covered = cursor.fetchone()
            if last_id is not None:  # what it covers: the run, or the window
                if method == VoucherFreeze.Method.RUN:
                    freeze.scope_batch = batch
                else:
                    freeze.scope_issued_from, freeze.scope_issued_until = (
                        params["start"],
                        params["end"],
                    )
                freeze.scope_voucher_id_max = last_id
                freeze.marks_cursor = first_id - 1
        if covered <= FREEZE_MARK_CHUNK:
            # Small enough to mark in one statement: exact counts at once, nothing behind.
            with connection.cursor() as cursor:
                cursor.execute(mark_sql(condition), params)
                frozen, tagged = cursor.fetchone()
            freeze.vouchers_frozen = frozen
            freeze.parameters = {**recorded, "redeemed_tagged": tagged - frozen}
            freeze.marks_cursor = freeze.scope_voucher_id_max or 0
            freeze.marks_done_at = now
        else:
            # The scope holds them from the commit; the marks follow in chunks.
            frozen = held
            freeze.parameters = {**recorded, "held": held, "redeemed_tagged": 0}
            task_send_on_commit(FREEZE_MARKS_TASK, {"freeze_id": freeze.pk})
        freeze.save(
            update_fields=[
                "scope_batch",
                "scope_issued_from",
                "scope_issued_until",
                "scope_voucher_id_max",
                "marks_cursor",
                "marks_done_at",
                "vouchers_frozen",
                "parameters",
            ]
        )
        audit_record(
            action="voucher.freeze",
            obj=freeze,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            after={"method": method, "reason": freeze.reason, "frozen": frozen, **recorded},
        )
    return freeze


def voucher_freeze_lift(
    *,
    freeze: VoucherFreeze,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> VoucherFreeze:
    """Unfreeze: the freeze's vouchers become usable again (void ones stay void), at once:
    redemption counts a voucher marked by a lifted freeze as issued. The marks are cleared
    behind it in chunks (here if there are few, else by the task). Lifting twice changes
    nothing the second time."""
    count = 0
    with transaction.atomic(durable=True):
        now = timezone.now()
        lifted = VoucherFreeze.objects.filter(pk=freeze.pk, lifted_at__isnull=True).update(
            lifted_at=now,
            lifted_by=actor_user(actor),
            marks_done_at=None,
            marks_touched_at=now,
        )
        if lifted:
            count = Voucher.objects.filter(freeze_id=freeze.pk).count()
            if count > FREEZE_MARK_CHUNK:
                task_send_on_commit(FREEZE_MARKS_TASK, {"freeze_id": freeze.pk})
            audit_record(
                action="voucher.unfreeze",
                obj=freeze,
                actor=actor,
                actor_label=actor_label,
                ip_address=ip_address,
                after={"unfrozen": count},
            )
    if lifted and count <= FREEZE_MARK_CHUNK:
        voucher_freeze_marks_write(freeze_id=freeze.pk)
    freeze.refresh_from_db()
    return freeze


def voucher_void_and_reissue(
    *,
    voucher: Voucher,
    reason: str,
    actor: Actor = None,
    actor_label: str = "",
    ip_address: str | None = None,
) -> Voucher:
    """Void a usable or frozen voucher (its code dies at once) and issue the next generation
    of the same award to the same person, with a new code, and queue a notice saying so.
    The award (the money) is unchanged. A redeemed or void voucher cannot be reissued."""
    if not reason.strip():
        raise FreezeRefused("Give the reason for voiding the voucher.")
    maker = CodeMaker()
    with transaction.atomic(durable=True):
        voided = Voucher.objects.filter(
            pk=voucher.pk, state__in=[Voucher.State.ISSUED, Voucher.State.FROZEN]
        ).update(state=Voucher.State.VOID, state_changed_at=timezone.now())
        if not voided:
            raise FreezeRefused("Only a usable or frozen voucher can be voided and reissued.")
        old = Voucher.objects.select_related("person", "program").get(pk=voucher.pk)
        # The live voucher always holds the award's latest generation.
        generation = old.generation + 1
        code_hash, last4 = maker.make(old.award_id, generation)
        new = Voucher.objects.create(
            award_id=old.award_id,
            generation=generation,
            batch_id=old.batch_id,  # still part of its run: freezing the run includes it
            program_id=old.program_id,
            person_id=old.person_id,
            service_scope=old.service_scope,
            amount_minor=old.amount_minor,
            currency=old.currency,
            code_hash=code_hash,
            hash_key_version=maker.hash_version,
            derive_key_version=maker.derive_version,
            last4=last4,
            valid_from=old.valid_from,
            valid_until=old.valid_until,
            issued_at=timezone.now(),
        )
        noticed = _reissue_notice(new, old)
        audit_record(
            action="voucher.void_reissue",
            obj=new,
            actor=actor,
            actor_label=actor_label,
            ip_address=ip_address,
            before={"voucher": old.pk, "last4": old.last4},
            after={"reason": reason.strip(), "generation": generation, "noticed": noticed},
        )
    return new


def _reissue_notice(new: Voucher, old: Voucher) -> bool:
    """The one call site that tells the person about their new code (the wallet shows it;
    the notice never carries the code). Inside the reissue's transaction."""
    from notifications.services import notice_enqueue

    person = old.person
    channel, address = ("email", person.email) if person.email else ("sms", person.phone)
    if not address:
        return False
    valid_from = new.valid_from or new.issued_at
    notice_enqueue(
        kind="voucher_issued",
        channel=channel,
        language=person.language,
        to_address=address,
        context={
            "voucher_total": money_format(new.amount_minor, new.currency, person.language),
            "valid_from": timezone.localtime(valid_from).date().isoformat(),
        },
        program=old.program,
        person=person,
        dedupe_key=f"voucher-reissue:{new.pk}",
    )
    return True
