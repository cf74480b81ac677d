from compensation.admin import ledger, policy, population, setup, terms  # noqa: F401  (registers)
