from vouchers.admin import batches, keys, vouchers  # noqa: F401  (registers)
