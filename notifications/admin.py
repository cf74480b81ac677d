"""Operators edit templates (checked and previewed) and run campaigns; staff read notices.

Every change goes through an audited path: templates through AuditedModelAdmin, campaigns
and retries through the services, which write their own audit rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import AuditedModelAdmin, ReadOnlyAdmin
from audit.services import client_ip
from compensation.models.choices import Language
from notifications.audiences import AUDIENCES, audience_choices, audience_get
from notifications.errors import NotificationError
from notifications.kinds import KINDS, Channel, sample_context
from notifications.models import Campaign, Notice, NoticeTemplate
from notifications.references import reference_normalize
from notifications.rendering import render, template_compile, template_problems
from notifications.selectors import audience_reach, campaign_status_counts
from notifications.services import (
    campaign_cancel,
    campaign_create,
    campaign_estimate,
    campaign_schedule,
    campaign_test_send,
    notices_retry,
)

# Why a person got no notice (Campaign.unreachable_reasons), as the operator reads it.
UNREACHABLE_REASONS = {
    "no_address": _("no email and no phone number"),
    "no_channel_address": _("no address on this channel (fallback off)"),
}

# Every parameter any audience takes, as a form field (the audience says which it needs).
_PARAM_HELP = {
    "segment": "For the 'segment' audience.",
    "run": "For the run holders audiences: the issuance run's id.",
    "state": "For 'claims in a state': submitted, in_review, info_requested, approved...",
    "status": "For 'award status': granted, delivered or reversed.",
}
# The form field of each parameter ("status" is the campaign's own field).
_PARAM_FIELDS = {"segment": "segment", "run": "run", "state": "state", "status": "award_status"}


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
            self.add_error("subject", _("An email needs a subject."))
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

    @admin.display(description=_("Variables this kind provides"))
    def variables(self, obj):
        if not obj or obj.kind not in KINDS:
            return "-"
        return ", ".join("{{ " + name + " }}" for name in sorted(KINDS[obj.kind].allowed))

    @admin.display(description=_("Preview with sample data"))
    def preview(self, obj):
        if not obj or not obj.pk:
            return _("Save to see a preview.")
        context = sample_context(obj.kind, obj.language)  # as this template's readers see it
        subject = render(template_compile(obj.subject), context) if obj.subject else ""
        body = render(template_compile(obj.body), context)
        return format_html(
            '<div class="notice-preview"><strong>{}</strong>\n\n{}</div>',
            subject,
            body,
        )


class CampaignForm(forms.ModelForm):
    audience = forms.ChoiceField(choices=audience_choices)
    segment = forms.CharField(required=False, help_text=_PARAM_HELP["segment"])
    run = forms.CharField(required=False, help_text=_PARAM_HELP["run"])
    state = forms.CharField(required=False, help_text=_PARAM_HELP["state"])
    award_status = forms.CharField(required=False, help_text=_PARAM_HELP["status"])
    scheduled_for = forms.SplitDateTimeField(
        required=False,
        widget=AdminSplitDateTime,
        help_text="Leave empty to keep the campaign as a draft. A test is sent to you first.",
    )

    class Meta:
        model = Campaign
        fields = ["name", "program", "kind", "channel", "fallback", "audience", "context"]
        help_texts = {
            "context": 'Values the templates print, e.g. {"voucher_total": "50,000 KRW"}.'
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        audience = data.get("audience")
        spec = AUDIENCES.get(audience or "")
        params = {name: (data.get(name) or "").strip() for name in spec.params} if spec else {}
        try:
            audience_get(audience or "").params_check(params)
        except NotificationError as exc:
            field = _PARAM_FIELDS.get(spec.params[0], "") if spec and spec.params else ""
            self.add_error(field if field in self.fields else "audience", exc.message)
        data["audience_params"] = params
        kind, context = data.get("kind"), data.get("context") or {}
        if not isinstance(context, dict):
            self.add_error("context", "The context is a JSON object of names and values.")
        elif kind in KINDS:
            provided = spec.provides if spec else frozenset()
            missing = sorted(KINDS[kind].variables - set(context) - provided)
            if missing:
                self.add_error("context", f"Give values for: {', '.join(missing)}.")
        return data


class CampaignTestForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the test"), choices=Language.choices, initial=Language.KO
    )
    phone = forms.CharField(
        label=_("Your test phone (optional)"),
        required=False,
        max_length=40,
        help_text=_("The SMS text goes here when the campaign may text people."),
    )


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
        "unreachable_count",
        "progress",
    ]
    list_filter = ["status", "kind", "channel"]
    list_select_related = ["program"]
    actions = ["send_now", "cancel"]
    _progress_fields = [
        "status",
        "test",
        "scheduled_for",
        "estimate",
        "progress",
        "notices_created",
        "fallback_count",
        "sent_count",
        "failed_count",
        "unreachable",
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
                "fallback",
                "audience",
                "segment",
                "run",
                "state",
                "award_status",
                "context",
                "scheduled_for",
            ]
        return [
            "name",
            "program",
            "kind",
            "channel",
            "fallback",
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

    @admin.display(description=_("People it reaches now"))
    def reach(self, obj):
        if obj.status not in {Campaign.Status.DRAFT, Campaign.Status.SCHEDULED}:
            return "-"
        reach = audience_reach(campaign=obj)
        lines = [
            _("%(count)s on %(channel)s")
            % {"count": f"{reach.on_channel:,}", "channel": obj.get_channel_display()},
            _("%(count)s on %(channel)s instead (no address on the campaign's channel)")
            % {"count": f"{reach.fallback:,}", "channel": Channel(reach.other_channel).label},
            *(
                _("%(count)s cannot be reached: %(reason)s")
                % {"count": f"{count:,}", "reason": UNREACHABLE_REASONS.get(reason, reason)}
                for reason, count in sorted(reach.unreachable.items())
            ),
        ]
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines))

    @admin.display(description=_("Could not be reached"))
    def unreachable(self, obj):
        if not obj.unreachable_count:
            return "0"
        reasons = ", ".join(
            f"{UNREACHABLE_REASONS.get(reason, reason)}: {count:,}"
            for reason, count in sorted((obj.unreachable_reasons or {}).items())
        )
        return f"{obj.unreachable_count:,} ({reasons})"

    @admin.display(description=_("Estimated finish"))
    def estimate(self, obj):
        estimate = campaign_estimate(campaign=obj)
        if estimate.finish_at is None:
            return "-"
        per_channel = ", ".join(
            _("%(count)s by %(channel)s at %(rate)s a second")
            % {
                "count": f"{count:,}",
                "channel": Channel(channel).label,
                "rate": f"{estimate.rates[channel]:,}",
            }
            if estimate.rates[channel]
            else _("%(count)s by %(channel)s, no rate limit")
            % {"count": f"{count:,}", "channel": Channel(channel).label}
            for channel, count in sorted(estimate.left.items())
        )
        hours, rest = divmod(estimate.seconds, 3600)
        return _("%(when)s (%(hours)s h %(minutes)s min from the start; %(detail)s)") % {
            "when": formats.date_format(timezone.localtime(estimate.finish_at), "DATETIME_FORMAT"),
            "hours": f"{hours:,}",
            "minutes": rest // 60,
            "detail": per_channel,
        }

    @admin.display(description=_("Test send"))
    def test(self, obj):
        link = reverse("admin:notifications_campaign_test", args=[obj.pk])
        if obj.test_sent_at is None:
            return format_html(
                '{} <a href="{}">{}</a>', _("No test sent yet."), link, _("Send a test to me")
            )
        return format_html(
            '{} <a href="{}">{}</a>',
            _("Sent %(when)s to %(to)s.")
            % {
                "when": formats.date_format(
                    timezone.localtime(obj.test_sent_at), "DATETIME_FORMAT"
                ),
                "to": obj.test_sent_to,
            },
            link,
            _("Send another test"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(self.test_view),
                name="notifications_campaign_test",
            ),
            *super().get_urls(),
        ]

    def test_view(self, request, pk: int):
        """A test of the campaign to the operator: their email, and their phone if given."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(Campaign, pk=pk)
        form = CampaignTestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                sent_to = campaign_test_send(
                    campaign=campaign,
                    actor=request.user,
                    language=form.cleaned_data["language"],
                    phone=form.cleaned_data["phone"],
                    ip_address=client_ip(request),
                )
            except NotificationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("Test sent to %(to)s.") % {"to": ", ".join(sent_to)})
                return redirect("admin:notifications_campaign_change", campaign.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": campaign,
            "title": _("Send a test of %(campaign)s") % {"campaign": campaign},
            "form": form,
        }
        return TemplateResponse(request, "admin/notifications/campaign/test.html", context)

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
                # The operator gets the campaign's notice before anyone else does.
                campaign_test_send(
                    campaign=campaign,
                    actor=request.user,
                    language=getattr(request.user, "language", "") or "ko",
                    ip_address=client_ip(request),
                )
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
        self._each(request, queryset, lambda c: self._send_now(request, c))

    def _send_now(self, request, campaign: Campaign) -> Campaign:
        if campaign.test_sent_at is None:
            raise NotificationError(
                _("Send a test to yourself first (the campaign's page: Send a test to me)."),
                code="no_test",
            )
        return campaign_schedule(
            campaign=campaign,
            scheduled_for=timezone.now(),
            actor=request.user,
            ip_address=client_ip(request),
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
