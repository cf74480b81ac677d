"""The good-faith buyer's questions on the claim form, for a claim type with a purchase route
(instruments.PurchaseRoute): the instrument's number, matched at once against the program's
frozen list by its keyed hash (a number not on it gets the specific answer on its field), and
the purchase: date, where, the seller's handle; the price is the form's amount. The number
never leaves the request: the draft keeps the matched instrument's id and last four."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compensation.models import Program
from instruments.errors import InstrumentError
from instruments.models import CompromisedInstrument, InstrumentKind, PurchaseRoute
from instruments.services.purchases import PurchaseAnswers, instrument_frozen_match

NUMBER_LABELS = {
    InstrumentKind.CARD: _("Card number"),
    InstrumentKind.VOUCHER: _("Voucher number"),
}
NUMBER_HELP = {
    InstrumentKind.CARD: _(
        "As printed on the card; spaces and hyphens are fine. We check it against the list "
        "of cards that were frozen."
    ),
    InstrumentKind.VOUCHER: _(
        "As printed on the voucher; spaces and hyphens are fine. We check it against the list "
        "of vouchers that were frozen."
    ),
}
PURCHASE_FIELDS = ("instrument_number", "purchased_on", "amount", "bought_where", "seller_handle")


def purchase_fields_add(form: forms.Form, route: PurchaseRoute) -> None:
    kind = InstrumentKind(route.kind)
    form.fields["instrument_number"] = forms.CharField(
        label=NUMBER_LABELS[kind],
        help_text=NUMBER_HELP[kind],
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    form.fields["purchased_on"] = forms.DateField(
        label=_("When did you buy it?"),
        help_text=_("The date on your proof of purchase, for example 2025-02-20."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    form.fields["bought_where"] = forms.CharField(
        label=_("Where did you buy it?"),
        help_text=_("The shop, website or app, for example a second-hand marketplace."),
        max_length=120,
    )
    form.fields["seller_handle"] = forms.CharField(
        label=_("The seller's name or account (optional)"),
        help_text=_("As the website or app showed it, if you bought it from a person."),
        max_length=120,
        required=False,
    )
    form.order_fields(PURCHASE_FIELDS)


def purchase_clean(form: forms.Form, *, route: PurchaseRoute, program: Program) -> None:
    """Match the number and check the date; the answer goes on the field it is about."""
    data = form.cleaned_data
    purchased_on = data.get("purchased_on")
    if purchased_on and purchased_on > timezone.localdate():
        form.add_error("purchased_on", _("The purchase date cannot be in the future."))
    number = data.get("instrument_number")
    if not number:
        return
    try:
        instrument = instrument_frozen_match(program=program, number=number, kind=route.kind)
    except InstrumentError as exc:
        form.add_error("instrument_number", str(exc.message))
        return
    data["instrument"] = instrument


def purchase_answers(form: forms.Form, amount_minor: int) -> PurchaseAnswers:
    data = form.cleaned_data
    return PurchaseAnswers(
        instrument_id=data["instrument"].pk,
        purchased_on=data["purchased_on"],
        price_minor=amount_minor,
        bought_where=data["bought_where"].strip(),
        seller_handle=(data.get("seller_handle") or "").strip(),
    )


def purchase_summary(data: dict | None) -> dict | None:
    """What the summary page shows of the draft's purchase: the instrument's last four, the
    date, where and from whom."""
    if not data:
        return None
    answers = PurchaseAnswers.from_session(data)
    instrument = CompromisedInstrument.objects.filter(pk=answers.instrument_id).first()
    return {
        "label": NUMBER_LABELS[InstrumentKind(instrument.kind)] if instrument else "",
        "last4": instrument.last4 if instrument else "",
        "purchased_on": answers.purchased_on,
        "bought_where": answers.bought_where,
        "seller_handle": answers.seller_handle,
    }
