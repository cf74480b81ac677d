from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.admin_mixins import AuditedModelAdmin, ReadOnlyAdmin
from audit.services import client_ip
from compensation.engine.money import money_format
from config.replica import replica_reads
from oversight import dashboard
from oversight.models import ProgramDashboard, ProgramReview
from oversight.services import EXPORTS, export_stream, snapshot_refresh

_PROGRAM_STATUSES = {
    "draft": gettext_lazy("Draft"),
    "open": gettext_lazy("Open"),
    "closed": gettext_lazy("Closed"),
    "settled": gettext_lazy("Settled"),
}

# What each export holds, as the link names it.
_EXPORT_LABELS = {
    "claims": gettext_lazy("the claims"),
    "awards": gettext_lazy("the awards"),
    "vouchers": gettext_lazy("the vouchers"),
    "notices": gettext_lazy("the notices"),
    "audit": gettext_lazy("the audit trail"),
}


@admin.register(ProgramDashboard)
class ProgramDashboardAdmin(ReadOnlyAdmin):
    """One page per program with every figure that says whether it is working, fair and on
    budget; exports and the regulator's summary hang off it."""

    list_display = ["program_name", "status_label", "budget", "committed"]
    list_select_related = ["incident"]

    @admin.display(description=gettext_lazy("program"), ordering="name")
    def program_name(self, obj: ProgramDashboard) -> str:
        return obj.local_name

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_label(self, obj: ProgramDashboard) -> str:
        return str(_PROGRAM_STATUSES.get(obj.status, obj.status))

    @admin.display(description=gettext_lazy("budget"), ordering="budget_minor")
    def budget(self, obj: ProgramDashboard) -> str:
        return money_format(obj.budget_minor, obj.currency)

    @admin.display(description=gettext_lazy("committed"), ordering="committed_minor")
    def committed(self, obj: ProgramDashboard) -> str:
        return money_format(obj.committed_minor, obj.currency)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/export/<str:name>.csv",
                view(self.export_view),
                name="oversight_programdashboard_export",
            ),
            path(
                "<int:pk>/report/", view(self.report_view), name="oversight_programdashboard_report"
            ),
            path(
                "<int:pk>/refresh/",
                view(self.refresh_view),
                name="oversight_programdashboard_refresh",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        program = get_object_or_404(
            ProgramDashboard.objects.select_related("incident"), pk=object_id
        )
        with replica_reads() as reads:  # the read replica when there is one
            figures = dashboard.dashboard_context(program)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Dashboard: %(program)s") % {"program": program.local_name},
            "program_status": _PROGRAM_STATUSES.get(program.status, program.status),
            "program": program,
            "exports": [(name, _EXPORT_LABELS.get(name, name)) for name in EXPORTS],
            "can_export": request.user.has_perm("oversight.export_program_data"),
            "reads": reads,
            **figures,
        }
        return TemplateResponse(request, "admin/oversight/dashboard.html", context)

    def refresh_view(self, request, pk: int):
        if request.method != "POST" or not self.has_view_permission(request):
            raise PermissionDenied
        snapshot = snapshot_refresh(program=get_object_or_404(ProgramDashboard, pk=pk))
        messages.info(
            request,
            _("The figures are recomputed (in %(seconds)s s).")
            % {"seconds": f"{snapshot.seconds:.1f}"},
        )
        return redirect(reverse("admin:oversight_programdashboard_change", args=[pk]))

    def export_view(self, request, pk: int, name: str):
        if name not in EXPORTS or not request.user.has_perm("oversight.export_program_data"):
            raise PermissionDenied
        program = get_object_or_404(ProgramDashboard, pk=pk)
        with replica_reads():  # the read replica when there is one
            stream = export_stream(
                program=program, name=name, actor=request.user, ip_address=client_ip(request)
            )
        response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{program.slug}-{name}.csv"'
        return response

    def report_view(self, request, pk: int):
        if not request.user.has_perm("oversight.export_program_data"):
            raise PermissionDenied
        program = get_object_or_404(ProgramDashboard.objects.select_related("incident"), pk=pk)
        with replica_reads() as reads:  # the read replica when there is one
            figures = dashboard.report_context(
                program, actor=request.user, ip_address=client_ip(request)
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Summary for regulators: %(program)s") % {"program": program.local_name},
            "program": program,
            "reads": reads,
            **figures,
        }
        return TemplateResponse(request, "admin/oversight/report.html", context)


@admin.register(ProgramReview)
class ProgramReviewAdmin(AuditedModelAdmin):
    list_display = ["program", "reviewed_on", "created_by"]
    list_filter = ["program"]
    filter_horizontal = ["policy_versions"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
