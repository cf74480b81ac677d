"""Explicit extension points. Apps that build on compensation register here in their
AppConfig.ready(); compensation never imports them."""

from collections.abc import Callable

# name -> callable(policy_version) -> {"cost_minor": int, "<outcome>": count, ...}:
# how existing claims would be decided under a draft policy, for its dry run.
CLAIM_DRY_RUNNERS: dict[str, Callable] = {}

# name -> callable(program) -> int: approved claim amounts waiting for a pro-rata pool's
# settlement, for the projected factor shown to staff and claimants.
POOL_ENTITLEMENTS: dict[str, Callable] = {}

# name -> callable(person_ids: list[int]) -> {person_id: [row, ...]}: a person's vouchers as
# their own page (/me/, in claims) shows them, without codes; vouchers fills it in.
PERSON_VOUCHERS: dict[str, Callable] = {}

# name -> callable(award_id: int) -> str | None: issue the one voucher of a claim award's
# amount (the "voucher" payout method) and return its reference, or None when no voucher can
# be made for it (no affected person, no voucher service, validity ended). Idempotent: a
# second call returns the award's live voucher. Runs in the caller's transaction. vouchers
# fills it; payouts calls it.
AWARD_VOUCHER_ISSUE: dict[str, Callable[[int], str | None]] = {}
