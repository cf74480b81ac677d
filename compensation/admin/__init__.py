from compensation.admin import ledger, policy, population, setup  # noqa: F401  (registers)
