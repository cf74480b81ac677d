"""Operators edit templates (checked and previewed) and run campaigns; staff read notices.

Every change goes through an audited path: templates through AuditedModelAdmin, campaigns
and retries through the services, which write their own audit rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html

from audit.admin_mixins import AuditedModelAdmin, ReadOnlyAdmin
from audit.services import client_ip
from notifications.audiences import AUDIENCE_CHOICES, audience_get
from notifications.errors import NotificationError
from notifications.kinds import KINDS, sample_context
from notifications.models import Campaign, Notice, NoticeTemplate
from notifications.references import reference_normalize
from notifications.rendering import render, template_compile, template_problems
from notifications.selectors import audience_size, campaign_status_counts
from notifications.services import (
    campaign_cancel,
    campaign_create,
    campaign_schedule,
    notices_retry,
)


class NoticeTemplateForm(forms.ModelForm):
    class Meta:
        model = NoticeTemplate
        fields = ["kind", "channel", "language", "subject", "body"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("kind") or self.instance.kind
        channel = data.get("channel") or self.instance.channel
        if channel == "email" and not (data.get("subject") or "").strip():
            self.add_error("subject", "An email needs a subject.")
        if kind in KINDS:
            problems = template_problems(
                kind=kind, subject=data.get("subject") or "", body=data.get("body") or ""
            )
            if problems:
                raise ValidationError(problems)
        return data


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(AuditedModelAdmin):
    form = NoticeTemplateForm
    list_display = ["kind", "channel", "language", "subject", "updated_at"]
    list_filter = ["kind", "channel", "language"]
    fields = ["kind", "channel", "language", "subject", "body", "variables", "preview"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["variables", "preview"]
        return ["kind", "channel", "language", *fixed] if obj else fixed

    @admin.display(description="Variables this kind provides")
    def variables(self, obj):
        if not obj or obj.kind not in KINDS:
            return "-"
        return ", ".join("{{ " + name + " }}" for name in sorted(KINDS[obj.kind].allowed))

    @admin.display(description="Preview with sample data")
    def preview(self, obj):
        if not obj or not obj.pk:
            return "Save to see a preview."
        context = sample_context(obj.kind)
        subject = render(template_compile(obj.subject), context) if obj.subject else ""
        body = render(template_compile(obj.body), context)
        return format_html(
            '<div class="notice-preview"><strong>{}</strong>\n\n{}</div>',
            subject,
            body,
        )


class CampaignForm(forms.ModelForm):
    audience = forms.ChoiceField(choices=AUDIENCE_CHOICES)
    segment = forms.CharField(required=False, help_text="For the 'segment' audience.")
    scheduled_for = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        help_text="Leave empty to keep the campaign as a draft.",
    )

    class Meta:
        model = Campaign
        fields = ["name", "program", "kind", "channel", "audience", "context"]
        help_texts = {
            "context": 'Values the templates print, e.g. {"voucher_total": "50,000 KRW"}.'
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        audience = data.get("audience")
        params = {"segment": data.get("segment", "").strip()} if audience == "segment" else {}
        try:
            audience_get(audience or "").params_check(params)
        except NotificationError as exc:
            self.add_error("segment", exc.message)
        data["audience_params"] = params
        kind, context = data.get("kind"), data.get("context") or {}
        if not isinstance(context, dict):
            self.add_error("context", "The context is a JSON object of names and values.")
        elif kind in KINDS:
            missing = sorted(KINDS[kind].variables - set(context))
            if missing:
                self.add_error("context", f"Give values for: {', '.join(missing)}.")
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "program",
        "kind",
        "channel",
        "status",
        "scheduled_for",
        "notices_created",
        "sent_count",
        "failed_count",
        "progress",
    ]
    list_filter = ["status", "kind", "channel"]
    list_select_related = ["program"]
    actions = ["send_now", "cancel"]
    _progress_fields = [
        "status",
        "scheduled_for",
        "progress",
        "notices_created",
        "sent_count",
        "failed_count",
        "by_status",
        "reach",
        "started_at",
        "built_at",
        "finished_at",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "name",
                "program",
                "kind",
                "channel",
                "audience",
                "segment",
                "context",
                "scheduled_for",
            ]
        return [
            "name",
            "program",
            "kind",
            "channel",
            "audience",
            "audience_params",
            "context",
            *self._progress_fields,
        ]

    def get_readonly_fields(self, request, obj=None):
        # A saved campaign is changed only by its actions: everything it shows is read-only.
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description="Progress")
    def progress(self, obj):
        return format_html(
            '<progress max="100" value="{}"></progress> {}%',
            f"{obj.progress_percent:.0f}",
            f"{obj.progress_percent:.1f}",
        )

    @admin.display(description="Notices by status")
    def by_status(self, obj):
        counts = campaign_status_counts(campaign=obj)
        return ", ".join(f"{status}: {count:,}" for status, count in sorted(counts.items())) or "-"

    @admin.display(description="People it reaches now")
    def reach(self, obj):
        if obj.status != Campaign.Status.DRAFT:
            return "-"
        return f"{audience_size(campaign=obj):,}"

    def save_model(self, request, obj, form, change):
        if change:
            return  # a campaign changes only through its actions
        data = form.cleaned_data
        try:
            campaign = campaign_create(
                name=data["name"],
                program=data["program"],
                kind=data["kind"],
                channel=data["channel"],
                audience=data["audience"],
                audience_params=data["audience_params"],
                context=data.get("context") or {},
                actor=request.user,
                ip_address=client_ip(request),
            )
            if data.get("scheduled_for"):
                campaign = campaign_schedule(
                    campaign=campaign,
                    scheduled_for=data["scheduled_for"],
                    actor=request.user,
                    ip_address=client_ip(request),
                )
        except NotificationError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk = campaign.pk
        obj.refresh_from_db()

    @admin.action(description="Send now (schedule for this moment)", permissions=["change"])
    def send_now(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: campaign_schedule(
                campaign=c,
                scheduled_for=timezone.now(),
                actor=request.user,
                ip_address=client_ip(request),
            ),
        )

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda c: campaign_cancel(
                campaign=c, actor=request.user, ip_address=client_ip(request)
            ),
        )

    def _each(self, request, queryset, action) -> None:
        for campaign in queryset:
            try:
                action(campaign)
            except NotificationError as exc:
                self.message_user(request, f"{campaign}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{campaign}: done.", messages.SUCCESS)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = [
        "reference_display",
        "kind",
        "channel",
        "language",
        "status",
        "attempts",
        "last_error",
        "campaign_id",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["reference"]
    search_help_text = "A notice reference, as printed in the message (dashes optional)."
    show_full_result_count = False
    actions = ["retry"]
    fields = (
        "reference_display",
        "kind",
        "channel",
        "language",
        "masked_address",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "provider_message_id",
        "program",
        "person",
        "campaign",
        "context",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields

    def has_retry_permission(self, request):
        return request.user.has_perm("notifications.retry_notice")

    @admin.display(description="Reference")
    def reference_display(self, obj):
        return obj.reference_display

    @admin.display(description="To")
    def masked_address(self, obj):
        address = obj.to_address
        return "*" * max(len(address) - 4, 0) + address[-4:]

    def get_search_results(self, request, queryset, search_term):
        if not search_term:
            return queryset, False
        reference = reference_normalize(search_term)
        if reference is None:
            return queryset.none(), False
        return queryset.filter(reference=reference), False

    @admin.action(description="Send the selected failed notices again", permissions=["retry"])
    def retry(self, request, queryset):
        moved = notices_retry(
            notice_ids=list(queryset.values_list("pk", flat=True)[:10_000]),
            actor=request.user,
            ip_address=client_ip(request),
        )
        self.message_user(request, f"{moved} failed notice(s) will be sent again.")
