"""The desk's writes: the audit rows of who looked up whom, resending a notice (desk), and
inquiries: filing, assignment, notes, replies through the outbox, closing (inquiries)."""

from support.services.desk import (
    SEARCH_OBJECT,
    notice_resend,
    person_view_record,
    support_search_record,
)
from support.services.inquiries import (
    inquiry_assign,
    inquiry_close,
    inquiry_file,
    inquiry_note_add,
    inquiry_rate_take,
    inquiry_reply,
)

__all__ = [
    "SEARCH_OBJECT",
    "inquiry_assign",
    "inquiry_close",
    "inquiry_file",
    "inquiry_note_add",
    "inquiry_rate_take",
    "inquiry_reply",
    "notice_resend",
    "person_view_record",
    "support_search_record",
]
