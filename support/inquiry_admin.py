"""The inquiry queue in the admin (two-factor site): the list with its SLA clock, an
inquiry's page (question, thread, reply with a standard reply in the person's language,
internal note, assignment, close), an inquiry an agent opens for a caller, and a message to a
claimant about a claim. Thin views: permission, form, one service call."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import client_ip
from claims.errors import ClaimError
from claims.models import CannedResponse, Claim
from claims.selectors import canned_responses_for
from claims.services.messages import claim_message_send
from claims.storage import document_open
from compensation.admin.filters import ProgramFilter
from compensation.models import AffectedPerson
from compensation.models.choices import Language
from support import inquiry_selectors as selectors
from support import labels
from support.errors import SupportError
from support.inquiry_forms import AssignForm, DeskInquiryForm, MessageForm, NoteForm, ReplyForm
from support.masking import email_mask, phone_mask
from support.models import Inquiry
from support.services.inquiries import (
    ANSWER_PERMISSION,
    inquiry_assign,
    inquiry_close,
    inquiry_file,
    inquiry_note_add,
    inquiry_reply,
)

VIEW = "support.view_inquiry"
MESSAGE = "claims.change_claim"


class StatusFilter(admin.SimpleListFilter):
    """Open inquiries by default: the queue is what is waiting."""

    title = gettext_lazy("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Inquiry.Status.choices, ("all", _("All"))]

    def choices(self, changelist):
        value = self.value() or Inquiry.Status.OPEN
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or Inquiry.Status.OPEN
        return queryset if value == "all" else queryset.filter(status=value)


class AssignedFilter(admin.SimpleListFilter):
    title = gettext_lazy("assigned to")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Me")), ("nobody", _("Nobody"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "nobody":
            return queryset.filter(assigned_to__isnull=True)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    title = gettext_lazy("topic")
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return Inquiry.Category.choices

    def queryset(self, request, queryset):
        return queryset.filter(category=self.value()) if self.value() else queryset


def sla_text(inquiry: Inquiry, now: dt.datetime) -> str:
    if inquiry.first_answered_at is not None:
        late = inquiry.first_answered_at > inquiry.due_at
        return _("Answered late") if late else _("Answered in time")
    if inquiry.status == Inquiry.Status.CLOSED:
        return _("Closed without an answer")
    seconds = (inquiry.due_at - now).total_seconds()
    if seconds < 0:
        return _("Overdue by %(hours)s h") % {"hours": int(-seconds // 3600)}
    return _("Due in %(hours)s h") % {"hours": int(seconds // 3600)}


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin):
    list_display = (
        "reference_link",
        "category_label",
        "status_label",
        "sla",
        "assignee",
        "created",
    )
    # The reference column is the link (to the inquiry's page), not the admin's change form.
    list_display_links = None
    list_filter = (StatusFilter, AssignedFilter, CategoryFilter, ProgramFilter)
    list_select_related = ("assigned_to", "program")
    search_fields = ("=reference",)
    ordering = ("due_at", "id")
    list_per_page = 50
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.has_perm(VIEW)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(VIEW)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("Reference"), ordering="reference")
    def reference_link(self, obj: Inquiry) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:support_inquiry_page", args=[obj.pk]), obj
        )

    @admin.display(description=gettext_lazy("About"), ordering="category")
    def category_label(self, obj: Inquiry) -> str:
        return obj.get_category_display()

    @admin.display(description=gettext_lazy("Status"), ordering="status")
    def status_label(self, obj: Inquiry) -> str:
        return obj.get_status_display()

    @admin.display(description=gettext_lazy("Answer due"), ordering="due_at")
    def sla(self, obj: Inquiry) -> str:
        return sla_text(obj, timezone.now())

    @admin.display(description=gettext_lazy("Assigned to"))
    def assignee(self, obj: Inquiry) -> str:
        return str(obj.assigned_to) if obj.assigned_to else "-"

    @admin.display(description=gettext_lazy("Received"), ordering="created_at")
    def created(self, obj: Inquiry):
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/", wrap(self.inquiry_view), name="support_inquiry_page"),
            path("<int:pk>/change/", wrap(self.change_redirect), name="support_inquiry_change"),
            path("<int:pk>/reply/", wrap(self.reply_view), name="support_inquiry_reply"),
            path("<int:pk>/note/", wrap(self.note_view), name="support_inquiry_note"),
            path("<int:pk>/assign/", wrap(self.assign_view), name="support_inquiry_assign"),
            path("<int:pk>/close/", wrap(self.close_view), name="support_inquiry_close"),
            path("<int:pk>/document/", wrap(self.document_view), name="support_inquiry_document"),
            path("open/<int:person_id>/", wrap(self.open_view), name="support_inquiry_open"),
            path(
                "claim/<int:claim_id>/message/",
                wrap(self.message_view),
                name="support_claim_message",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title: str, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "queue_url": reverse("admin:support_inquiry_changelist"),
            **extra,
        }

    def change_redirect(self, request, pk: int):
        return redirect("admin:support_inquiry_page", pk)

    def _canned(self, purpose: str, language: str) -> list[CannedResponse]:
        return list(canned_responses_for(purpose=purpose, language=language))

    def inquiry_view(self, request, pk: int, reply_form=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        inquiry = get_object_or_404(
            Inquiry.objects.select_related("program", "person", "assigned_to", "opened_by"), pk=pk
        )
        can_answer = request.user.has_perm(ANSWER_PERMISSION)
        canned = self._canned(CannedResponse.Purpose.INQUIRY, inquiry.language)
        staff = selectors.answering_staff()
        context = self._context(
            request,
            _("Inquiry %(reference)s") % {"reference": inquiry.reference},
            inquiry=inquiry,
            entries=[
                {
                    "entry": entry,
                    "notice_status": labels.label(labels.NOTICE_STATUSES, entry.notice.status)
                    if entry.notice
                    else "",
                }
                for entry in selectors.inquiry_entries(inquiry)
            ],
            sla=sla_text(inquiry, timezone.now()),
            overdue=inquiry.first_answered_at is None
            and inquiry.status == Inquiry.Status.OPEN
            and inquiry.due_at < timezone.now(),
            can_answer=can_answer,
            canned=canned,
            reply_form=reply_form or ReplyForm(canned=[(c.code, c.title) for c in canned]),
            note_form=NoteForm(),
            assign_form=AssignForm(
                initial={"assignee": inquiry.assigned_to_id},
                staff=[(user.pk, str(user)) for user in staff],
            ),
        )
        return TemplateResponse(request, "admin/support/inquiry.html", context)

    def _inquiry(self, request, pk: int) -> Inquiry:
        if request.method != "POST" or not request.user.has_perm(ANSWER_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(Inquiry.objects.select_related("program", "person"), pk=pk)

    def reply_view(self, request, pk: int):
        inquiry = self._inquiry(request, pk)
        canned = {c.code: c for c in self._canned(CannedResponse.Purpose.INQUIRY, inquiry.language)}
        form = ReplyForm(request.POST, canned=[(c.code, c.title) for c in canned.values()])
        if not form.is_valid():
            return self.inquiry_view(request, pk, reply_form=form)
        code = form.cleaned_data["canned"]
        body = form.cleaned_data["body"] or (canned[code].body if code in canned else "")
        try:
            _entry, created = inquiry_reply(
                inquiry=inquiry,
                body=body,
                canned_code=code,
                close=form.cleaned_data["close"],
                submission_key=form.cleaned_data["submission_key"],
                actor=request.user,
                ip_address=client_ip(request),
            )
        except SupportError as exc:
            messages.error(request, str(exc.message))
        else:
            if created:
                messages.success(
                    request,
                    _("Your answer to %(reference)s is on its way to the person (%(channel)s).")
                    % {
                        "reference": inquiry.reference,
                        "channel": labels.label(labels.NOTICE_CHANNELS, inquiry.contact_channel),
                    },
                )
            else:
                messages.info(request, _("This reply was already sent: nothing more was sent."))
        return redirect("admin:support_inquiry_page", pk)

    def note_view(self, request, pk: int):
        inquiry = self._inquiry(request, pk)
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                inquiry_note_add(
                    inquiry=inquiry,
                    body=form.cleaned_data["note"],
                    actor=request.user,
                    ip_address=client_ip(request),
                )
            except SupportError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("The note is added (staff only)."))
        else:
            messages.error(request, _("The note is empty."))
        return redirect("admin:support_inquiry_page", pk)

    def assign_view(self, request, pk: int):
        inquiry = self._inquiry(request, pk)
        staff = selectors.answering_staff()
        form = AssignForm(request.POST, staff=[(user.pk, str(user)) for user in staff])
        if not form.is_valid():
            raise PermissionDenied
        chosen = form.cleaned_data["assignee"]
        assignee = next((user for user in staff if user.pk == chosen), None)
        try:
            inquiry_assign(
                inquiry=inquiry,
                assignee=assignee,
                actor=request.user,
                ip_address=client_ip(request),
            )
        except SupportError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("The inquiry is assigned to %(name)s.") % {"name": assignee}
                if assignee
                else _("The inquiry is assigned to nobody."),
            )
        return redirect("admin:support_inquiry_page", pk)

    def close_view(self, request, pk: int):
        inquiry = self._inquiry(request, pk)
        inquiry_close(inquiry=inquiry, actor=request.user, ip_address=client_ip(request))
        messages.success(request, _("The inquiry is closed."))
        return redirect("admin:support_inquiry_page", pk)

    def document_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        inquiry = get_object_or_404(Inquiry, pk=pk)
        if not inquiry.document_storage_name:
            raise Http404
        handle = document_open(inquiry.document_storage_name)
        if handle is None:
            raise Http404
        response = FileResponse(
            handle,
            content_type=inquiry.document_content_type,
            as_attachment=inquiry.document_content_type == "application/pdf",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def open_view(self, request, person_id: int):
        """An inquiry an agent opens for a caller, from the person's page: answered at the
        person's own address (their record's email or phone)."""
        if not request.user.has_perm(ANSWER_PERMISSION):
            raise PermissionDenied
        person = get_object_or_404(AffectedPerson.objects.select_related("program"), pk=person_id)
        channels = []
        if person.email:
            channels.append(("email", _("Email to %(to)s") % {"to": email_mask(person.email)}))
        if person.phone:
            channels.append(("sms", _("SMS to %(to)s") % {"to": phone_mask(person.phone)}))
        form = DeskInquiryForm(request.POST or None, channels=channels)
        if request.method == "POST" and form.is_valid():
            channel = form.cleaned_data["contact_channel"]
            try:
                inquiry = inquiry_file(
                    program=person.program,
                    category=form.cleaned_data["category"],
                    body=form.cleaned_data["body"],
                    language=person.language,
                    contact_channel=channel,
                    contact=person.email if channel == "email" else person.phone,
                    source=Inquiry.Source.DESK,
                    person=person,
                    opened_by=request.user,
                    ip_address=client_ip(request),
                )
            except SupportError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _("Inquiry %(reference)s is opened for %(name)s.")
                    % {"reference": inquiry.reference, "name": person.name or person.external_id},
                )
                return redirect("admin:support_inquiry_page", inquiry.pk)
        context = self._context(
            request,
            _("Open an inquiry for %(name)s") % {"name": person.name or person.external_id},
            person=person,
            form=form,
            no_address=not channels,
        )
        return TemplateResponse(request, "admin/support/inquiry_open.html", context)

    def message_view(self, request, claim_id: int):
        """Write to the claimant about their claim, at any time (the case page links here)."""
        if not request.user.has_perm(MESSAGE):
            raise PermissionDenied
        claim = get_object_or_404(Claim.objects.select_related("program", "person"), pk=claim_id)
        canned = {c.code: c for c in self._canned(CannedResponse.Purpose.MESSAGE, claim.language)}
        choices = [(c.code, c.title) for c in canned.values()]
        form = MessageForm(request.POST or None, canned=choices)
        if request.method == "POST" and form.is_valid():
            code = form.cleaned_data["canned"]
            text = form.cleaned_data["text"] or (canned[code].body if code in canned else "")
            try:
                _event, created = claim_message_send(
                    claim=claim,
                    text=text,
                    actor=request.user,
                    submission_key=form.cleaned_data["submission_key"],
                    ip_address=client_ip(request),
                )
            except ClaimError as exc:
                form.add_error(None, str(exc.message))
            else:
                if created:
                    messages.success(
                        request,
                        _("Your message about claim %(reference)s is on its way by email.")
                        % {"reference": claim.reference},
                    )
                else:
                    messages.info(
                        request, _("This message was already sent: nothing more was sent.")
                    )
                return redirect("admin:claims_claim_change", claim.pk)
        context = self._context(
            request,
            _("Write to the claimant of %(reference)s") % {"reference": claim.reference},
            claim=claim,
            form=form,
            canned=list(canned.values()),
            language=Language(claim.language).label
            if claim.language in Language.values
            else claim.language,
            case_url=reverse("admin:claims_claim_change", args=[claim.pk]),
        )
        return TemplateResponse(request, "admin/support/claim_message.html", context)
