"""Staff roles as groups with the least permissions each job needs.

`roles_sync` is idempotent and called from migrations whenever a new model brings new
permissions, so the groups in every database match this table.
"""

SUPPORT_AGENT = "Support agent"
SENIOR_REVIEWER = "Senior reviewer"
OUTSIDE_EXPERT = "Outside expert"
PROGRAM_OPERATOR = "Program operator"
AUDITOR = "Auditor"
PAYMENTS_OFFICER = "Payments officer"

_SUPPORT = {
    "compensation": [
        "view_incident",
        "view_program",
        "view_claimtype",
        "view_affectedperson",
        "view_award",
    ],
    "claims": [
        "view_claim",
        "change_claim",
        "view_claimevent",
        "view_claimdocument",
        "view_cannedresponse",
        # Assisted filing from the support desk (the filer may not approve it).
        "file_for_claimant",
    ],
    # To answer "did you send me this?": the notice, its status and its reference.
    "notifications": ["view_notice"],
}
_SENIOR = {
    "compensation": _SUPPORT["compensation"] + ["view_policyversion"],
    "claims": _SUPPORT["claims"] + ["decide_high_value"],
    "notifications": _SUPPORT["notifications"],
}
_OPERATOR = {
    "compensation": [
        "view_incident",
        "add_incident",
        "change_incident",
        "view_program",
        "add_program",
        "change_program",
        "view_awardline",
        "add_awardline",
        "change_awardline",
        "delete_awardline",
        "view_claimtype",
        "add_claimtype",
        "change_claimtype",
        "view_policyversion",
        "add_policyversion",
        "change_policyversion",
        "publish_policyversion",
        # A pro-rata pool's settlement, proposed by one operator and approved by another.
        "settle_program",
        "view_populationimport",
        "add_populationimport",
        "view_affectedperson",
        "view_award",
        # The program's public terms, versioned: drafts edited, versions published.
        "view_programterms",
        "add_programterms",
        "change_programterms",
        "view_programtermstext",
        "add_programtermstext",
        "change_programtermstext",
        "delete_programtermstext",
        "view_programfaqentry",
        "add_programfaqentry",
        "change_programfaqentry",
        "delete_programfaqentry",
    ],
    "claims": [
        "view_claim",
        "view_cannedresponse",
        "add_cannedresponse",
        "change_cannedresponse",
    ],
    # Proposals: money actions waiting for a second operator (audit.proposals).
    "audit": ["view_auditevent", "view_proposal"],
    # Templates are seeded for every kind, channel and language: operators edit, never delete.
    "notifications": [
        "view_noticetemplate",
        "change_noticetemplate",
        "view_campaign",
        "add_campaign",
        "change_campaign",
        "view_notice",
        "retry_notice",
    ],
}

# Vouchers: operators run issuance, freeze and manage service keys; agents and reviewers look
# vouchers up for a customer on the phone.
_VOUCHERS_READ = ["view_voucher", "view_voucherbatch", "view_voucherfreeze", "view_redemption"]
_SUPPORT["vouchers"] = _VOUCHERS_READ
_SENIOR["vouchers"] = _VOUCHERS_READ
_OPERATOR["vouchers"] = [
    *_VOUCHERS_READ,
    "issue_vouchers",
    "freeze_vouchers",
    "view_servicekey",
    "add_servicekey",
    "change_servicekey",
]

# Oversight: operators and senior reviewers watch the dashboard; operators and auditors export
# and produce the regulator's summary; operators record periodic reviews.
_SENIOR["oversight"] = ["view_programdashboard"]
_OPERATOR["oversight"] = [
    "view_programdashboard",
    "export_program_data",
    "view_programreview",
    "add_programreview",
    "change_programreview",
]

# Payouts: operators say which methods a program offers and build batches; a payments officer
# (never the batch's builder: a CHECK in the database) releases it, downloads the bank's file
# and uploads the bank's result file. Agents and reviewers see payouts to answer "was I paid?".
_PAYOUTS_READ = ["view_payoutbatch", "view_payout", "view_payoutinstruction"]
_SUPPORT["payouts"] = ["view_payout", "view_payoutinstruction"]
_SENIOR["payouts"] = _SUPPORT["payouts"]
_OPERATOR["payouts"] = [
    *_PAYOUTS_READ,
    "add_payoutbatch",
    "view_payoutoffer",
    "add_payoutoffer",
    "change_payoutoffer",
    "view_payoutresultfile",
]
_PAYMENTS = {
    "compensation": ["view_program", "view_award"],
    "payouts": [
        *_PAYOUTS_READ,
        "release_payoutbatch",
        "export_payoutbatch",
        "import_payoutresult",
        "view_payoutresultfile",
        "add_payoutresultfile",
    ],
    "audit": ["view_auditevent"],
}

# The support desk: agents, reviewers and operators find people and open their page, and may
# send a notice again; the auditor reads the desk too (see _AUDITOR_EXTRA). Reissuing a voucher
# from a person's page asks for vouchers.freeze_vouchers, as it does in the vouchers admin.
# Inquiries: the queue, and answering (reply, note, assign, close, open one for a caller).
_DESK = ["search_people", "resend_notice", "view_inquiry", "answer_inquiry"]
_SUPPORT["support"] = _DESK
_SENIOR["support"] = _DESK
_OPERATOR["support"] = _DESK

# Compromised instruments (Banu): operators import the list, freeze it, say which claim type
# asks for an instrument, and export the seller clusters for the police.
_OPERATOR["instruments"] = [
    "view_instrumentimport",
    "add_instrumentimport",
    "view_instrumentreject",
    "view_compromisedinstrument",
    "freeze_instruments",
    "view_instrumentpurchase",
    "export_sellers",
    "view_purchaseroute",
    "add_purchaseroute",
    "change_purchaseroute",
    "delete_purchaseroute",
]

# Read-only everywhere, including the audit trail; may export what it reads.
_AUDITOR_APPS = [
    "accounts",
    "audit",
    "compensation",
    "claims",
    "vouchers",
    "notifications",
    "oversight",
    "payouts",
    "instruments",
]
_AUDITOR_EXTRA = {
    "oversight": ["export_program_data"],
    "support": ["search_people", "view_inquiry"],
}

# Sees only the claims referred to them (claims.selectors.queue_for) and adds notes.
_EXPERT = {"claims": ["view_claim", "view_claimevent", "view_claimdocument"]}

ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    SUPPORT_AGENT: _SUPPORT,
    OUTSIDE_EXPERT: _EXPERT,
    SENIOR_REVIEWER: _SENIOR,
    PROGRAM_OPERATOR: _OPERATOR,
    PAYMENTS_OFFICER: _PAYMENTS,
}


def roles_sync(apps, schema_editor=None) -> None:
    """Create the role groups and set each one's permissions to exactly the table above."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = [
            perm
            for app_label, codenames in by_app.items()
            for perm in Permission.objects.filter(
                content_type__app_label=app_label, codename__in=codenames
            )
        ]
        group.permissions.set(wanted)
    auditor, _ = Group.objects.get_or_create(name=AUDITOR)
    auditor.permissions.set(
        [
            *Permission.objects.filter(
                content_type__app_label__in=_AUDITOR_APPS, codename__startswith="view_"
            ),
            *(
                perm
                for app_label, codenames in _AUDITOR_EXTRA.items()
                for perm in Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            ),
        ]
    )
