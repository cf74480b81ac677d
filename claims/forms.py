from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from claims.purchase_fields import purchase_answers, purchase_clean, purchase_fields_add
from compensation.engine.money import money_exponent
from compensation.models import ClaimType
from instruments.selectors import purchase_route_for
from payouts.banks import banks_for
from payouts.errors import PayoutError
from payouts.methods import METHODS, Method

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DOCUMENT_LABELS = {
    "receipt": _("Receipt or bank statement"),
    "proof_of_purchase": _("Proof of purchase showing the price paid"),
    "time_log": _("A log of the time spent (what, when, how long)"),
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


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=32,
        help_text=_("The number the company has for you, for example 010-1234-5678."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_phone(self) -> str:
        from compensation.hashing import phone_normalize

        phone = self.cleaned_data["phone"]
        if not 8 <= len(phone_normalize(phone)) <= 15:
            raise forms.ValidationError(
                _("Enter a mobile phone number, for example 010-1234-5678.")
            )
        return phone


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Sign-in code"),
        regex=r"^\s*\d{6,8}\s*$",
        error_messages={"invalid": _("The code is 6 to 8 digits.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 10}
        ),
    )


# "Tell you later" at filing: no choice is kept, and the claim's page asks for one.
PAY_LATER = "later"
# The payment details a browser posts: hidden from error reports (sensitive_post_parameters).
PAYMENT_SECRETS = ("account_number", "holder", "customer_ref")
PAYMENT_FIELDS = ("payout_method", "bank_code", *PAYMENT_SECRETS)


def payment_methods_for(
    methods: tuple[str, ...], currency: str, *, has_record: bool
) -> tuple[str, ...]:
    """The offered methods a claimant can choose here: a bank transfer needs a list of banks
    for the program's currency; a voucher goes to the person's account, so only a claimant on
    the affected list (with a record in the program) can be paid by one."""
    return tuple(
        m
        for m in methods
        if (m != Method.BANK_TRANSFER or banks_for(currency))
        and (m != Method.VOUCHER or has_record)
    )


def payment_fields_add(
    form: forms.Form, *, methods: tuple[str, ...], currency: str, language: str, later: bool
) -> None:
    """The payment choice (the methods given, and "later" at filing) with the details each
    needs. The details are checked by the payouts service, whose refusal names the field."""
    choices = [(m, METHODS[m].label) for m in methods]
    if later:
        choices.append((PAY_LATER, _("I will tell you later")))
    form.fields["payout_method"] = forms.ChoiceField(
        label=_("How should we pay you?"),
        help_text=_(
            "Approved amounts are paid this way. You can change it until we send the payment."
        )
        if later
        else "",
        choices=choices,
        required=not later,
        widget=forms.RadioSelect,
    )
    if Method.BANK_TRANSFER in methods:
        banks: list[tuple[str, StrOrPromise]] = [("", _("Choose your bank"))]
        banks += [(bank.code, bank.name_in(language)) for bank in banks_for(currency)]
        form.fields["bank_code"] = forms.ChoiceField(
            label=_("Bank"),
            choices=banks,
            required=False,
            error_messages={"invalid_choice": _("Choose your bank from the list.")},
        )
        form.fields["account_number"] = forms.CharField(
            label=_("Account number"),
            help_text=_("Digits only; spaces and hyphens are fine."),
            required=False,
            max_length=40,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        )
        form.fields["holder"] = forms.CharField(
            label=_("Account holder's name"),
            help_text=_("As the bank has it."),
            required=False,
            max_length=100,
            widget=forms.TextInput(attrs={"autocomplete": "name"}),
        )
    if Method.ACCOUNT_CREDIT in methods:
        form.fields["customer_ref"] = forms.CharField(
            label=_("Your customer number at the service"),
            required=False,
            max_length=64,
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
        )


def payment_error(form: forms.Form, exc: PayoutError) -> None:
    """A refusal of the payment details, on the field it is about (or the form)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


class PaymentChoice:
    """What a form with payment fields says the claimant chose (cleaned)."""

    def __init__(self, data: dict) -> None:
        self.method = data.get("payout_method") or PAY_LATER
        self.bank_code = data.get("bank_code") or ""
        self.fields = {name: data.get(name) or "" for name in PAYMENT_SECRETS}

    @property
    def later(self) -> bool:
        return self.method == PAY_LATER


class PaymentForm(forms.Form):
    """The claim's payment page: a choice among the program's methods, no "later"."""

    def __init__(self, *args, methods: tuple[str, ...], currency: str, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        payment_fields_add(self, methods=methods, currency=currency, language=language, later=False)

    def choice(self) -> PaymentChoice:
        return PaymentChoice(self.cleaned_data)


class ClaimDetailsForm(forms.Form):
    """Only the questions the claim type needs, and how to pay an approved amount."""

    def __init__(
        self,
        *args,
        claim_type: ClaimType,
        currency: str,
        methods: tuple[str, ...] = (),
        language: str = "ko",
        **kwargs,
    ):
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
        # A good-faith buyer's questions (instruments): the number and the purchase.
        self.purchase_route = purchase_route_for(claim_type)
        if self.purchase_route is not None:
            purchase_fields_add(self, self.purchase_route)
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
        self.document_kinds = [*claim_type.required_documents, "other"]
        for kind in self.document_kinds:
            self.fields[f"doc_{kind}"] = forms.FileField(
                label=document_label(kind),
                help_text=_("PDF, JPEG or PNG."),
                required=kind != "other",
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
            )
        if methods:
            payment_fields_add(
                self, methods=methods, currency=currency, language=language, later=True
            )

    def clean(self):
        cleaned = super().clean()
        if self.purchase_route is not None:
            purchase_clean(self, route=self.purchase_route, program=self.claim_type.program)
        return cleaned

    def purchase(self) -> dict | None:
        """The purchase answers the draft keeps (the matched instrument, never its number)."""
        if self.purchase_route is None:
            return None
        return purchase_answers(self, self.amount_minor()).as_session()

    def answer_fields(self) -> list:
        return [field for field in self if field.name not in PAYMENT_FIELDS]

    def choice(self) -> PaymentChoice:
        return PaymentChoice(self.cleaned_data)

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
