from vouchers.models import Voucher
from vouchers.services.codes import code_derive, code_display


def code_of(voucher: Voucher) -> str:
    """The code as the owner's wallet shows it (tests only; never printed)."""
    return code_display(
        code_derive(
            award_id=voucher.award_id,
            generation=voucher.generation,
            derive_key_version=voucher.derive_key_version,
        )
    )
