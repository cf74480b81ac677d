from django.core.management.base import BaseCommand

from payouts.services.keys import instruction_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored payment detail with the highest PAYOUT_ACCOUNT_KEYS version. "
        "Run after adding a new version; remove the old version only once this reports 0 left."
    )

    def handle(self, *args, **options):
        moved = instruction_keys_rotate(actor_label="command:payouts_keys_rotate")
        self.stdout.write(f"Re-encrypted {moved} payment details with the current key.")
