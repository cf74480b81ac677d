from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from compensation.engine.money import money_exponent
from compensation.models import ClaimType

DOCUMENT_LABELS = {
    "receipt": _("Receipt or bank statement"),
    "proof_of_purchase": _("Proof of purchase showing the price paid"),
    "other": _("Another supporting document (optional)"),
}


def document_label(kind: str) -> str:
    return str(DOCUMENT_LABELS.get(kind, kind.replace("_", " ")))


def to_minor(amount: Decimal, currency: str) -> int:
    return int(amount * 10 ** money_exponent(currency))


def from_minor(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor) / 10 ** money_exponent(currency)


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("Use the address the company has for you, if you have an account."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Sign-in code"),
        regex=r"^\s*\d{6,8}\s*$",
        error_messages={"invalid": _("The code is 6 to 8 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 10}
        ),
    )


class ClaimDetailsForm(forms.Form):
    """Only the questions the claim type needs."""

    def __init__(self, *args, claim_type: ClaimType, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim_type = claim_type
        self.currency = currency
        calculation = claim_type.calculation
        if calculation in (ClaimType.Calculation.DOCUMENTED, ClaimType.Calculation.PURCHASE_REFUND):
            label = (
                _("How much did you lose?")
                if calculation == ClaimType.Calculation.DOCUMENTED
                else _("How much did you pay?")
            )
            self.fields["amount"] = forms.DecimalField(
                label=label,
                help_text=_("In %(currency)s, as shown on your documents.")
                % {"currency": currency},
                min_value=Decimal("0.01"),
                max_digits=14,
                decimal_places=money_exponent(currency),
                widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
            )
        if calculation == ClaimType.Calculation.TIME_SPENT:
            self.fields["hours"] = forms.DecimalField(
                label=_("How many hours did you spend?"),
                min_value=Decimal("0.5"),
                max_value=Decimal("100"),
                max_digits=4,
                decimal_places=1,
            )
        self.fields["statement"] = forms.CharField(
            label=_("What happened? (optional)"),
            required=False,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 4}),
        )
        if calculation != ClaimType.Calculation.FIXED:
            self.fields["payout_account"] = forms.CharField(
                label=_("Bank account for the payment (optional)"),
                help_text=_("Bank name and account number. We can also ask you later."),
                required=False,
                max_length=60,
            )
        self.document_kinds = [*claim_type.required_documents, "other"]
        for kind in self.document_kinds:
            self.fields[f"doc_{kind}"] = forms.FileField(
                label=document_label(kind),
                help_text=_("PDF, JPEG or PNG."),
                required=kind != "other",
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
            )

    def amount_minor(self) -> int:
        amount = self.cleaned_data.get("amount")
        return to_minor(amount, self.currency) if amount is not None else 0


class InfoAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    document = forms.FileField(
        label=_("Document (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class AppealForm(forms.Form):
    statement = forms.CharField(
        label=_("Why should the decision change?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    document = forms.FileField(
        label=_("Supporting document (optional; PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


RATINGS = [
    (5, _("Very satisfied")),
    (4, _("Satisfied")),
    (3, _("Neither satisfied nor dissatisfied")),
    (2, _("Dissatisfied")),
    (1, _("Very dissatisfied")),
]


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled your claim?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VerifyForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference printed on the notice"),
        max_length=40,
        help_text=_("For example 7Q2M-9KXD-4TGB-H1ZP."),
    )
