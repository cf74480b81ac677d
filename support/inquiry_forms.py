"""Forms of the inquiries: the claimant's question (signed in or not), and the staff's reply,
note, assignment and the agent's inquiry opened for a caller."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from support.models import Inquiry
from support.services.inquiries import MAX_BODY


class InquiryForm(forms.Form):
    """The question. A signed-in claimant is answered at the address they signed in with; a
    person who is not gives an email or a phone number."""

    category = forms.ChoiceField(
        label=_("What is your question about?"), choices=Inquiry.Category.choices
    )
    body = forms.CharField(
        label=_("Your question"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    document = forms.FileField(
        label=_("A document, if it helps (optional; PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def __init__(self, *args, anonymous: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if anonymous:
            self.fields["contact_channel"] = forms.ChoiceField(
                label=_("How should we answer you?"),
                choices=[
                    ("email", _("By email")),
                    ("sms", _("By text message (SMS)")),
                ],
                widget=forms.RadioSelect,
                initial="email",
            )
            self.fields["contact"] = forms.CharField(
                label=_("Your email address or mobile phone number"),
                max_length=254,
                help_text=_("We use it only to answer this question."),
                widget=forms.TextInput(attrs={"autocomplete": "email"}),
            )


class ReplyForm(forms.Form):
    canned = forms.ChoiceField(
        label=_("Standard reply"),
        required=False,
        help_text=_("Its text is sent when the reply below is left empty."),
    )
    body = forms.CharField(
        label=_("Reply to the person"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    close = forms.BooleanField(label=_("Close the inquiry with this reply"), required=False)
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, canned: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["canned"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *canned]


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note (staff only)"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label=_("Assigned to"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, staff: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Nobody")), *staff]


class DeskInquiryForm(forms.Form):
    """An inquiry an agent opens for a caller: answered at the person's own address."""

    category = forms.ChoiceField(label=_("About"), choices=Inquiry.Category.choices)
    body = forms.CharField(
        label=_("The caller's question"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    contact_channel = forms.ChoiceField(label=_("Answer by"), choices=[])

    def __init__(self, *args, channels: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["contact_channel"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = channels


class MessageForm(forms.Form):
    canned = forms.ChoiceField(
        label=_("Standard text"),
        required=False,
        help_text=_("Its text is sent when the message below is left empty."),
    )
    text = forms.CharField(
        label=_("Message to the claimant"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, canned: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["canned"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *canned]
