from django import forms
from django.utils.translation import gettext_lazy as _

from support.query import MAX_LENGTH


class SearchForm(forms.Form):
    """The one search box, and the program to look in (all of them by default)."""

    q = forms.CharField(
        label=_("Email, phone, account id, name or reference"),
        max_length=MAX_LENGTH,
        help_text=_(
            "An email address, a phone number, an account id, a name, a claim reference "
            "(C-…), a notice reference, or a voucher's last four symbols with the name "
            "(7K3P Kim Minji; mark four letters with *: *ABCD Kim Minji)."
        ),
        widget=forms.TextInput(attrs={"size": 48, "autocomplete": "off", "autofocus": True}),
    )
    program = forms.TypedChoiceField(
        label=_("Program"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, programs, **kwargs):
        super().__init__(*args, **kwargs)
        program = self.fields["program"]
        assert isinstance(program, forms.TypedChoiceField)
        program.choices = [
            ("", _("All programs")),
            *((program.pk, program.local_name) for program in programs),
        ]


class ResendForm(forms.Form):
    notice = forms.IntegerField(min_value=1)


class ReissueForm(forms.Form):
    voucher = forms.IntegerField(min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=1000)
