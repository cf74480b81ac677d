from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "vouchers"
    verbose_name = "Vouchers"

    def ready(self) -> None:
        # Claims (which owns /me/) never imports vouchers: vouchers plugs into the registry.
        from compensation.registry import PERSON_VOUCHERS
        from vouchers.presenters import vouchers_by_person

        PERSON_VOUCHERS["vouchers"] = vouchers_by_person

        # Payouts never imports vouchers: its voucher method issues through this registry.
        from compensation.registry import AWARD_VOUCHER_ISSUE
        from vouchers.services.award_voucher import voucher_for_award_issue

        AWARD_VOUCHER_ISSUE["vouchers"] = lambda award_id: voucher_for_award_issue(
            award_id=award_id
        )

        # Notifications never imports vouchers: vouchers plugs its audiences into its registry.
        from vouchers.audiences import audiences_register
        from vouchers.audiences_value import audiences_value_register

        audiences_register()
        audiences_value_register()

        # Four eyes: starting an issuance run is a proposal (audit.proposals).
        from vouchers.proposals import proposals_register

        proposals_register()
