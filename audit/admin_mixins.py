from django.contrib import admin
from django.db import transaction

from audit.services import audit_record, audit_snapshot, client_ip


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only services write: staff read them here, nobody edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin for plain records (incident, program setup): every add, change and delete made
    in the admin writes an audit row with before and after, in the same transaction."""

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            before = audit_snapshot(type(obj).objects.get(pk=obj.pk))
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                action=f"{obj._meta.model_name}.{'change' if change else 'create'}",
                obj=obj,
                actor=request.user,
                ip_address=client_ip(request),
                before=before,
                after=audit_snapshot(obj),
            )

    def save_formset(self, request, form, formset, change):
        with transaction.atomic():
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects + [o for o, _ in formset.changed_objects]:
                audit_record(
                    action=f"{obj._meta.model_name}.save",
                    obj=obj,
                    actor=request.user,
                    ip_address=client_ip(request),
                    after=audit_snapshot(obj),
                )
            for obj in formset.deleted_objects:
                audit_record(
                    action=f"{obj._meta.model_name}.delete",
                    obj=obj,
                    actor=request.user,
                    ip_address=client_ip(request),
                    before=audit_snapshot(obj),
                )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(
                action=f"{obj._meta.model_name}.delete",
                obj=obj,
                actor=request.user,
                ip_address=client_ip(request),
                before=audit_snapshot(obj),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)
