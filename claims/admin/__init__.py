from claims.admin.case import ClaimAdmin
from claims.admin.library import CannedResponseAdmin

__all__ = ["CannedResponseAdmin", "ClaimAdmin"]
