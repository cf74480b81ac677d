"""Service keys in the admin: created here and shown once, revoked here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from audit.admin_mixins import ReadOnlyAdmin
from audit.services import client_ip
from vouchers.models import ServiceKey
from vouchers.services.keys import service_key_create, service_key_revoke


class ServiceKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who uses it, e.g. 'Eats checkout'.")
    service_scope = forms.SlugField(max_length=40, help_text="The service, e.g. 'eats'.")


@admin.register(ServiceKey)
class ServiceKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "service_scope", "prefix", "created_at", "revoked_at"]
    list_filter = ["service_scope"]
    exclude = ["key_hash"]
    readonly_fields = ["name", "service_scope", "prefix", "created_by", "created_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return request.user.has_perm("vouchers.add_servicekey")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ServiceKeyForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "title": "New service key",
            "form": form,
            "opts": self.model._meta,
        }
        if request.method == "POST" and form.is_valid():
            key, raw = service_key_create(
                actor=request.user, ip_address=client_ip(request), **form.cleaned_data
            )
            # Shown on this one response, never again (only its hash is kept).
            context.update(created=key, raw_key=raw, title="Copy the key now")
            response = TemplateResponse(request, "admin/vouchers/servicekey/created.html", context)
            response["Cache-Control"] = "no-store"
            return response
        return TemplateResponse(request, "admin/vouchers/servicekey/add.html", context)

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset):
        if not request.user.has_perm("vouchers.change_servicekey"):
            raise PermissionDenied
        for key in queryset:
            service_key_revoke(service_key=key, actor=request.user, ip_address=client_ip(request))
        messages.success(request, "Revoked: every request with these keys is now refused.")
        return redirect(request.get_full_path())
