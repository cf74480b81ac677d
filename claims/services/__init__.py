"""The claims app's writes. Views, the admin, the API and tasks call these; nothing else
changes a claim."""

from claims.services.claimant import claim_appeal, claim_feedback, claim_info_respond
from claims.services.intake import (
    claim_document_add,
    claim_draft_documents_replace,
    claim_file_assisted,
    claim_submit,
)
from claims.services.review import (
    claim_approve,
    claim_assign,
    claim_deny,
    claim_note_add,
    claim_refer,
    claim_request_info,
    claim_start_review,
)
from claims.services.signin import signin_code_request, signin_code_verify
from claims.services.sla import claims_flag_overdue

__all__ = [
    "claim_appeal",
    "claim_approve",
    "claim_assign",
    "claim_deny",
    "claim_document_add",
    "claim_draft_documents_replace",
    "claim_feedback",
    "claim_file_assisted",
    "claim_info_respond",
    "claim_note_add",
    "claim_refer",
    "claim_request_info",
    "claim_start_review",
    "claim_submit",
    "claims_flag_overdue",
    "signin_code_request",
    "signin_code_verify",
]
