"""Assembling the dashboard and the regulator's report from selectors and the snapshot."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from claims.admin import labels as claim_labels
from compensation.engine.money import money_format
from compensation.models import PolicyVersion, Program
from compensation.services.forecast import program_forecast
from oversight import svg
from oversight.inquiries import inquiries_figures
from oversight.models import ProgramSnapshot
from oversight.services import claims_figures
from payouts.methods import Method
from vouchers.labels import SERVICES

# The dashboard's payout columns: payout statuses counted in each (granted: the ledger's).
PAYOUT_COLUMNS = {
    "in_batch": ("batched", "released"),
    "paid": ("paid",),
    "failed": ("failed",),
    "returned": ("returned",),
}


def _money(program: Program):
    return lambda minor: money_format(int(minor or 0), program.currency)


def payouts_by_method(figures: dict, money) -> list[dict]:
    """Per method (and one row for claimants who have not chosen yet): granted and still to
    pay, in a batch (not yet answered), paid, failed, returned; each a count and an amount."""
    cells: dict[str, dict[str, list[int]]] = defaultdict(
        lambda: {column: [0, 0] for column in ("granted", *PAYOUT_COLUMNS)}
    )
    for method, count, amount in figures.get("payouts_granted", []):
        cells[method]["granted"] = [count, amount]
    for method, status, count, amount in figures.get("payouts", []):
        for column, statuses in PAYOUT_COLUMNS.items():
            if status in statuses:
                cells[method][column][0] += count
                cells[method][column][1] += amount
    order = [m.value for m in Method]
    rows = []
    for method in sorted(cells, key=lambda m: order.index(m) if m in order else len(order)):
        label = Method(method).label if method in order else _("Not chosen yet")
        figures_of = {
            column: {"count": count, "amount": money(amount), "amount_minor": amount}
            for column, (count, amount) in cells[method].items()
        }
        rows.append(
            {"method": str(label), "code": method, **figures_of, "cells": list(figures_of.values())}
        )
    return rows


def value_lost_by_service(figures: dict, money) -> tuple[list[dict], dict]:
    """Per service: vouchers expired with value left and that value, and single-use
    redemptions that left part of the voucher unused and what they forfeited; with totals."""
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, snapshot_name in (
        ("expired", "vouchers_expired_value"),
        ("forfeited", "vouchers_forfeited"),
    ):
        for scope, count, amount in figures.get(snapshot_name, []):
            cells[scope][f"{key}_count"] += count
            cells[scope][f"{key}_minor"] += amount
    totals: dict[str, int] = defaultdict(int)
    rows = []
    for scope, values in sorted(cells.items()):
        for name, value in values.items():
            totals[name] += value
        rows.append(
            {
                "service": str(SERVICES.get(scope, scope)),
                "expired_count": values["expired_count"],
                "expired": money(values["expired_minor"]),
                "forfeited_count": values["forfeited_count"],
                "forfeited": money(values["forfeited_minor"]),
            }
        )
    total = {
        "expired_count": totals["expired_count"],
        "expired": money(totals["expired_minor"]),
        "forfeited_count": totals["forfeited_count"],
        "forfeited": money(totals["forfeited_minor"]),
    }
    return rows, total


def dashboard_context(program: Program) -> dict:
    money = _money(program)
    snapshot = ProgramSnapshot.objects.filter(program=program).first()
    figures = snapshot.figures if snapshot else {}

    vouchers_by_service: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for scope, state, expired, count, _amount in figures.get("vouchers", []):
        vouchers_by_service[scope]["expired" if expired else state] += count
        vouchers_by_service[scope]["total"] += count
    voucher_totals: dict[str, int] = defaultdict(int)
    for states in vouchers_by_service.values():
        for state, count in states.items():
            voucher_totals[state] += count
    redeemed_rate = (
        voucher_totals["redeemed"] / voucher_totals["total"] if voucher_totals["total"] else None
    )

    value_lost, value_lost_total = value_lost_by_service(figures, money)

    notices: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for channel, status, count in figures.get("notices", []):
        notices[channel][status] += count

    awards = {
        f"{source}:{status}": (count, amount)
        for source, status, count, amount in figures.get("awards", [])
    }
    delivered = sum(amount for key, (_, amount) in awards.items() if key.endswith(":delivered"))
    delivered_vouchers = awards.get("proactive:delivered", (0, 0))
    delivered_claims = awards.get("claim:delivered", (0, 0))
    reversed_ = sum(amount for key, (_, amount) in awards.items() if key.endswith(":reversed"))

    cumulative, running = [], 0
    for day, amount in figures.get("committed_per_day", []):
        running += amount or 0
        cumulative.append((day, running))

    forecast = program_forecast(program=program)
    # A program without a snapshot yet (just created) is small: compute its claims live.
    claims = figures.get("claims") or claims_figures(program)
    language = get_language()
    type_titles = {t.code: t.title_in(language) for t in program.claim_types.all()}
    by_status_and_type = [
        {
            "claim_type": type_titles.get(row["claim_type__code"], row["claim_type__code"]),
            "status": claim_labels.label(claim_labels.STATUSES, row["status"]),
            "n": row["n"],
        }
        for row in claims["by_status_and_type"]
    ]
    return {
        "snapshot": snapshot,
        "money": {
            "budget": money(program.budget_minor),
            "committed": money(program.committed_minor),
            "delivered": money(delivered),
            "delivered_vouchers": money(delivered_vouchers[1]),
            "delivered_vouchers_count": delivered_vouchers[0],
            "delivered_claims": money(delivered_claims[1]),
            "delivered_claims_count": delivered_claims[0],
            "reversed": money(reversed_),
            "remaining": money(program.budget_minor - program.committed_minor),
            "projected_factor": forecast.projected_factor,
        },
        "burn_chart": svg.line_chart(
            cumulative, title=gettext("Committed over time"), ceiling=program.budget_minor
        ),
        "claims_chart": svg.bar_chart(
            [tuple(p) for p in claims["per_day"]], title=gettext("Claims received per day")
        ),
        "claims_by_status_and_type": by_status_and_type,
        "timing": claims["timing"],
        "satisfaction": claims["satisfaction"],
        "vouchers_by_service": {
            str(SERVICES.get(scope, scope)): dict(states)
            for scope, states in sorted(vouchers_by_service.items())
        },
        "voucher_totals": dict(voucher_totals),
        "redeemed_rate": redeemed_rate,
        "redemptions_chart": svg.bar_chart(
            [tuple(r) for r in figures.get("redemptions_per_day", [])],
            title=gettext("Vouchers redeemed per day"),
            colour="#2e7d32",
        ),
        "issued_chart": svg.bar_chart(
            [tuple(r) for r in figures.get("vouchers_issued_per_day", [])],
            title=gettext("Vouchers issued per day"),
        ),
        "value_lost_by_service": value_lost,
        "value_lost_total": value_lost_total,
        "notices": {k: dict(v) for k, v in sorted(notices.items())},
        "payouts_by_method": payouts_by_method(figures, money),
        "inquiries": inquiries_figures(program),
        "reviews": list(program.reviews.order_by("-reviewed_on")[:5]),
    }


def report_context(program: Program, *, actor, ip_address: str | None) -> dict:
    """The per-program summary for regulators: what happened, who was covered, what was paid,
    how decisions were made, complaints and appeals. Producing it is audited."""
    audit_record(action="report.regulator_summary", obj=program, actor=actor, ip_address=ip_address)
    context = dashboard_context(program)
    context["policies"] = list(
        PolicyVersion.objects.filter(program=program)
        .exclude(status="draft")
        .order_by("number")
        .select_related("published_by")
    )
    context["people_covered"] = program.population.count()
    context["regulator_notices"] = list(program.incident.regulator_notices.all())
    return context
