from vouchers.admin import batches, extensions, keys, vouchers  # noqa: F401  (registers)
