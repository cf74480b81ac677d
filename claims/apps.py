from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        # Compensation never imports claims: claims plugs into its explicit registry.
        from claims.services.pool import claims_dry_run, pool_entitled_minor
        from compensation.registry import CLAIM_DRY_RUNNERS, POOL_ENTITLEMENTS

        CLAIM_DRY_RUNNERS["claims"] = claims_dry_run
        POOL_ENTITLEMENTS["claims"] = pool_entitled_minor

        # Four eyes: settling a pool is a proposal (audit.proposals).
        from claims.proposals import proposals_register

        proposals_register()

        # Notifications never imports claims: claims plugs its audiences into its registry.
        from claims.audiences import audiences_register

        audiences_register()

        # Campaign notices to a person carry a personal link that claims makes.
        from claims.services.personal_links import campaign_links_make
        from notifications.kinds import PERSONAL_URL
        from notifications.links import LINK_MAKERS

        LINK_MAKERS[PERSONAL_URL] = campaign_links_make
