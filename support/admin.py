"""The support desk in the admin: the search box, the person's page and its actions. Thin
views: each checks the permission, validates its form, calls one selector or service."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from audit.services import client_ip
from claims.errors import ClaimError
from claims.services import claim_file_assisted
from compensation.models import AffectedPerson, ClaimType, Program
from notifications.references import reference_display
from support import labels
from support.errors import SupportError
from support.filing import AssistedClaimForm
from support.forms import ReissueForm, ResendForm, SearchForm
from support.masking import email_mask, phone_mask
from support.models import Person
from support.person_page import person_page
from support.query import query_parse
from support.selectors import MAX_RESULTS, people_search
from support.services import notice_resend, person_view_record, support_search_record
from vouchers.errors import VoucherError
from vouchers.models import Voucher
from vouchers.services.freeze import voucher_void_and_reissue

SEARCH = "support.search_people"
RESEND = "support.resend_notice"
REISSUE = "vouchers.freeze_vouchers"
FILE = "claims.file_for_claimant"


@admin.register(Person)
class PersonDeskAdmin(admin.ModelAdmin):
    """Not a list of rows: the changelist is the search box, the change page the person's."""

    def has_module_permission(self, request):
        return request.user.has_perm(SEARCH)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(SEARCH)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.search_view), name="support_person_changelist"),
            # Nobody adds a person here (the population import does): "add" is the search.
            path("add/", wrap(self.add_redirect), name="support_person_add"),
            path("<int:pk>/", wrap(self.person_view), name="support_person_page"),
            path("<int:pk>/change/", wrap(self.change_redirect), name="support_person_change"),
            path("<int:pk>/resend/", wrap(self.resend_view), name="support_person_resend"),
            path("<int:pk>/reissue/", wrap(self.reissue_view), name="support_person_reissue"),
            path("<int:pk>/file/", wrap(self.file_types_view), name="support_person_file"),
            path(
                "<int:pk>/file/<slug:type_code>/",
                wrap(self.file_claim_view),
                name="support_person_file_claim",
            ),
        ]

    def _context(self, request, title: str, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "search_url": reverse("admin:support_person_changelist"),
            **extra,
        }

    def search_view(self, request):
        """POST only for a search: an email or a phone number in a URL ends up in logs and
        in the browser's history."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        programs = list(Program.objects.only("id", "name", "name_i18n").order_by("name"))
        form = SearchForm(request.POST or None, programs=programs)
        result = None
        if request.method == "POST" and form.is_valid():
            query = query_parse(form.cleaned_data["q"])
            program_id = form.cleaned_data["program"]
            scope = [p for p in programs if p.pk == program_id] if program_id else programs
            result = people_search(query=query, user=request.user, programs=scope)
            support_search_record(
                query=query,
                result=result,
                actor=request.user,
                ip_address=client_ip(request),
                program_id=program_id,
            )
        rows = []
        for found in result.people if result else []:
            person = found.person
            rows.append(
                {
                    "id": person.pk,
                    "name": person.name,
                    "email": email_mask(person.email),
                    "phone": phone_mask(person.phone),
                    "program": found.program_name,
                    "external_id": person.external_id,
                    "matched": ", ".join(str(labels.MATCHED_BY[k]) for k in found.kinds),
                }
            )
        context = self._context(
            request,
            _("Find a person"),
            form=form,
            result=result,
            rows=rows,
            recognised=([str(labels.MATCHED_BY[k]) for k in result.query.kinds] if result else []),
            claims=[
                {
                    "id": claim.pk,
                    "reference": claim.reference,
                    "program": claim.program.local_name,
                    "status": labels.label(labels.CLAIM_STATUSES, claim.status),
                    "submitted_at": claim.submitted_at,
                }
                for claim in (result.claims if result else [])
            ],
            max_results=MAX_RESULTS,
        )
        return TemplateResponse(request, "admin/support/search.html", context)

    def person_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = person_page(person_id=pk, user=request.user)
        person_view_record(person=page.person, actor=request.user, ip_address=client_ip(request))
        context = self._context(
            request,
            page.person.name or page.person.external_id,
            page=page,
            person=page.person,
            program_name=page.person.program.local_name,
            language=labels.label(labels.LANGUAGES, page.person.language),
            account_status=labels.label(labels.ACCOUNT_STATUSES, page.person.account_status),
            can_resend=request.user.has_perm(RESEND),
            can_reissue=request.user.has_perm(REISSUE),
            can_file=request.user.has_perm(FILE),
        )
        return TemplateResponse(request, "admin/support/person.html", context)

    def _filing_person(self, request, pk: int) -> AffectedPerson:
        if not request.user.has_perm(FILE):
            raise PermissionDenied
        return get_object_or_404(AffectedPerson.objects.select_related("program"), pk=pk)

    def file_types_view(self, request, pk: int):
        """Assisted filing, step one: which kind of claim (the person's program's types)."""
        person = self._filing_person(request, pk)
        language = get_language() or "en"
        types = [
            {"code": claim_type.code, "title": claim_type.title_in(language)}
            for claim_type in ClaimType.objects.filter(program_id=person.program_id).order_by("id")
        ]
        context = self._context(
            request,
            _("File a claim for %(name)s") % {"name": person.name or person.external_id},
            person=person,
            program_name=person.program.local_name,
            types=types,
            program_open=person.program.status == Program.Status.OPEN,
        )
        return TemplateResponse(request, "admin/support/file_types.html", context)

    def file_claim_view(self, request, pk: int, type_code: str):
        """Assisted filing, step two: the claim type's questions, the channel, the documents;
        the claim goes through claims' own intake (claim_file_assisted)."""
        person = self._filing_person(request, pk)
        claim_type = get_object_or_404(ClaimType, program_id=person.program_id, code=type_code)
        currency = person.program.currency
        form = AssistedClaimForm(
            request.POST or None,
            request.FILES or None,
            claim_type=claim_type,
            currency=currency,
            language=get_language() or "en",
        )
        if request.method == "POST" and form.is_valid():
            hours = form.cleaned_data.get("hours")
            try:
                claim, _created = claim_file_assisted(
                    person=person,
                    claim_type=claim_type,
                    agent=request.user,
                    channel=form.cleaned_data["channel"],
                    idempotency_key=form.cleaned_data["key"],
                    documents=form.documents(),
                    amount_claimed_minor=form.amount_minor(),
                    hours_claimed=Decimal(hours) if hours is not None else None,
                    statement=form.cleaned_data.get("statement", ""),
                    ip_address=client_ip(request),
                )
            except ClaimError as exc:
                form.add_error(None, str(exc.message))
            else:
                messages.success(
                    request,
                    _(
                        "Claim %(reference)s is filed for %(name)s (%(channel)s). Its status: "
                        "%(status)s. They are sent the acknowledgement as if they had filed it."
                    )
                    % {
                        "reference": claim.reference,
                        "name": person.name or person.external_id,
                        "channel": labels.label(labels.CLAIM_CHANNELS, claim.channel),
                        "status": labels.label(labels.CLAIM_STATUSES, claim.status),
                    },
                )
                return redirect("admin:support_person_page", person.pk)
        context = self._context(
            request,
            _("File a claim for %(name)s") % {"name": person.name or person.external_id},
            person=person,
            program_name=person.program.local_name,
            claim_type_title=claim_type.title_in(get_language() or "en"),
            form=form,
            types_url=reverse("admin:support_person_file", args=[person.pk]),
        )
        return TemplateResponse(request, "admin/support/file_claim.html", context)

    def add_redirect(self, request):
        return redirect("admin:support_person_changelist")

    def change_redirect(self, request, pk: int):
        return redirect("admin:support_person_page", pk)

    def _person(self, request, pk: int, permission: str) -> AffectedPerson:
        if request.method != "POST" or not request.user.has_perm(permission):
            raise PermissionDenied
        return get_object_or_404(AffectedPerson, pk=pk)

    def resend_view(self, request, pk: int):
        person = self._person(request, pk, RESEND)
        form = ResendForm(request.POST)
        if not form.is_valid():
            raise PermissionDenied
        try:
            notice, created = notice_resend(
                person=person,
                notice_id=form.cleaned_data["notice"],
                actor=request.user,
                ip_address=client_ip(request),
            )
        except SupportError as exc:
            messages.error(request, str(exc.message))
        else:
            reference = reference_display(notice.reference)
            if created:
                messages.success(
                    request,
                    _("The notice is being sent again, with the new reference %(reference)s.")
                    % {"reference": reference},
                )
            else:
                messages.info(
                    request,
                    _(
                        "This notice was already sent again today (reference %(reference)s): "
                        "nothing more was sent."
                    )
                    % {"reference": reference},
                )
        return redirect("admin:support_person_page", person.pk)

    def reissue_view(self, request, pk: int):
        person = self._person(request, pk, REISSUE)
        form = ReissueForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason for voiding the voucher."))
            return redirect("admin:support_person_page", person.pk)
        voucher = get_object_or_404(Voucher, pk=form.cleaned_data["voucher"], person_id=person.pk)
        try:
            new = voucher_void_and_reissue(
                voucher=voucher,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                ip_address=client_ip(request),
            )
        except VoucherError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _(
                    "The voucher ending %(old)s is void; a new one ending %(new)s replaces it "
                    "and the person is told."
                )
                % {"old": voucher.last4, "new": new.last4},
            )
        return redirect("admin:support_person_page", person.pk)
