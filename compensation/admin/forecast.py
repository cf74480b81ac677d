from django.utils.html import format_html, format_html_join

from compensation.engine.money import money_format
from compensation.services.forecast import program_forecast


def program_forecast_html(program) -> str:
    forecast = program_forecast(program=program)
    money = lambda minor: money_format(minor, program.currency)  # noqa: E731
    rows = [
        ("Budget", money(forecast.budget_minor)),
        ("Committed now (ledger)", money(forecast.committed_minor)),
        (
            "Proactive awards, as the latest dry run forecasts",
            money(forecast.proactive_forecast_minor) if forecast.dry_run_id else "no dry run yet",
        ),
        (
            "Claims, as the latest dry run forecasts",
            money(forecast.claims_forecast_minor) if forecast.dry_run_id else "-",
        ),
        ("Forecast total", money(forecast.forecast_total_minor)),
        ("Headroom", money(forecast.headroom_minor)),
    ]
    if forecast.pool_minor is not None:
        rows.append(("Claim pool", money(forecast.pool_minor)))
        rows.append(("Approved claims waiting for the pool", money(forecast.pool_entitled_minor)))
        rows.append(("Projected pro-rata factor", str(forecast.projected_factor)))
    table = format_html_join("", "<tr><th scope='row'>{}</th><td>{}</td></tr>", rows)
    warning = (
        format_html("<p><strong>The forecast exceeds the budget.</strong></p>")
        if forecast.headroom_minor < 0
        else ""
    )
    return format_html("<table>{}</table>{}", table, warning)
