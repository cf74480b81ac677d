"""List filters other apps' admin pages share."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from compensation.models import Program


class ProgramFilter(admin.SimpleListFilter):
    """By program, each named in the staff member's language; for a model with `program_id`."""

    title = _("program")
    parameter_name = "program"

    def lookups(self, request, model_admin):
        programs = Program.objects.only("id", "name", "name_i18n").order_by("name")
        return [(program.pk, program.local_name) for program in programs]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(program_id=value) if value and value.isdigit() else queryset
