"""Assisted filing at the desk: the form an agent fills while a caller (or a visitor, or a
paper form) gives the answers. The claim type's own questions (claims.forms.ClaimDetailsForm,
the claimant's form) plus how the claimant reached us; the documents the caller sent are
checked as the claimant's uploads are (claims.services.claim_file_assisted)."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.forms import ClaimDetailsForm
from claims.models import Claim
from compensation.models import ClaimType

CHANNELS = [
    (Claim.Channel.PHONE, _("By phone")),
    (Claim.Channel.VISIT, _("In person")),
    (Claim.Channel.PAPER, _("A paper form")),
]


class AssistedClaimForm(ClaimDetailsForm):
    """The claimant's questions, asked by the agent; no payment choice (the claimant chooses
    how to be paid on the claim's page). Documents are optional here: a caller may send
    them later, and the reviewer asks for what is missing."""

    def __init__(self, *args, claim_type: ClaimType, currency: str, **kwargs):
        super().__init__(*args, claim_type=claim_type, currency=currency, **kwargs)
        self.fields["channel"] = forms.ChoiceField(
            label=_("How did the claimant reach us?"),
            choices=CHANNELS,
            widget=forms.RadioSelect,
            initial=Claim.Channel.PHONE,
        )
        # One submission per form: a second post of the same form returns the first claim.
        self.fields["key"] = forms.CharField(
            widget=forms.HiddenInput, initial=secrets.token_urlsafe(24), max_length=64
        )
        for kind in self.document_kinds:
            field = self.fields[f"doc_{kind}"]
            field.required = False
            field.help_text = _("PDF, JPEG or PNG, as the claimant sent it.")
        self.order_fields(["channel"])

    def documents(self) -> list:
        return [
            (kind, self.cleaned_data[f"doc_{kind}"])
            for kind in self.document_kinds
            if self.cleaned_data.get(f"doc_{kind}")
        ]
