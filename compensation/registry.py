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
