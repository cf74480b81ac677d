"""Contact details as the desk shows them: enough for an agent to confirm with a caller
("the address starting ji... at example.com?"), not enough to read them out."""

MASK = "•••"


def email_mask(email: str) -> str:
    """'jiwoo@example.com' -> 'ji•••@example.com'."""
    local, at, domain = (email or "").partition("@")
    if not at:
        return MASK if email else ""
    return f"{local[:2]}{MASK}@{domain}"


def phone_mask(phone: str) -> str:
    """'010-1234-5678' -> '•••5678': the last four digits."""
    digits = [ch for ch in phone or "" if ch.isdigit()]
    if not digits:
        return ""
    return MASK + "".join(digits[-4:])
