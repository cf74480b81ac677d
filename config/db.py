"""Database helpers every app shares."""

from __future__ import annotations

from django.db import IntegrityError


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL says an IntegrityError broke (None when it names
    none, as for a NOT NULL column), so a caller can treat only the one conflict it expects
    and re-raise the rest."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)
