"""The vouchers app's writes, one module per concern: codes, planning and issuance of runs,
redemption (with throttling and idempotency), freezes and reissues, service keys."""
