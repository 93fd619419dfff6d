"""The figures page: what the funder's report needs, for a year or any period.

The tables are `reporting.figures` (what `GET /api/v1/figures` answers); the
two charts are drawn here as SVG, like the stock page's, so the page needs no
script and no CDN: the devices on hand at each digileenplek over time, and the
median days a device stays in each state. Each chart has its numbers in a table
too. The export button starts the same CSV/XLSX job as the API and shows its
progress on the jobs page.
"""

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

from assettrack import stock
from assettrack.models import LocationKind
from assettrack.pages import bp
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.stock import COLOURS
from assettrack.pages.stock import BadQuery
from assettrack.pages.stock import today_here
from assettrack.reporting import export
from assettrack.reporting.figures import STATES
from assettrack.reporting.figures import WORKSHOP
from assettrack.reporting.figures import figures
from assettrack.reporting.over_time import OverTime
from assettrack.reporting.over_time import last_months
from assettrack.reporting.over_time import over_time
from assettrack.reporting.period import Period
from assettrack.schemas.figures import FiguresExportSchema
from assettrack.schemas.figures import PeriodQuery

FIGURES_ROLES = ("coordinator",)
# Days as the reader writes them (2,5 in Dutch and French).
bp.add_app_template_filter(format_decimal, "format_decimal")
FIRST_YEAR = 2020
# The funder's words for each counted figure, in the report's order.
WHAT = {
    "received": _l("Received"),
    "wiped": _l("Wiped"),
    "refurbished": _l("Refurbished (passed QC)"),
    "failed_qc": _l("Failed QC"),
    "sent_to_repair": _l("Sent to repair"),
    "repaired": _l("Repaired"),
    "lent": _l("Lent"),
    "returned": _l("Returned"),
    "scrapped": _l("Scrapped"),
    "lost": _l("Lost"),
}
TARGET_GROUPS = {
    "job_seeker": _l("job seeker"),
    "pupil_student": _l("pupil or student"),
    "senior": _l("senior"),
    "newcomer": _l("newcomer"),
    "other": _l("other"),
}
# Okabe-Ito, colour-blind safe; after seven places the dashes tell lines apart.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#000000",
)
DASHES = ("", "8 4", "2 3")


class FiguresPageQuery(Schema):
    """A year, or [from, to) as on the API; nothing: this year."""

    class Meta:
        unknown = EXCLUDE  # ?lang= and the like

    year = fields.Integer(validate=validate.Range(min=FIRST_YEAR, max=2100))
    from_ = fields.Date(data_key="from")
    to = fields.Date()

    @validates_schema
    def both_ends(self, data, **kwargs):
        if ("from_" in data) != ("to" in data):
            raise ValidationError("give both from and to", "to")
        if "from_" in data:
            PeriodQuery().load(
                {"from": data["from_"].isoformat(), "to": data["to"].isoformat()}
            )


def _chosen() -> tuple[Period, Period]:
    """The figures' period and the chart's.

    Nothing chosen: this year's figures and the last 12 months' chart. A
    period chosen: both over it, the chart up to this month.
    """
    asked = {k: v for k, v in request.args.to_dict().items() if v}
    try:
        args = FiguresPageQuery().load(asked)
    except ValidationError as exc:
        raise BadQuery(exc.messages) from None
    today = today_here()
    if "from_" in args:
        period = Period(args["from_"], args["to"])
    else:
        period = Period.year(args.get("year", today.year))
    if not args:
        return period, last_months(today)
    now_month = last_months(today, 1).end
    chart = Period(period.start, min(period.end, now_month))
    if chart.end <= chart.start:
        chart = period
    return period, chart


@dataclass(frozen=True)
class Drawn:
    """One place's line in the chart: SVG points, colour, dashes."""

    name: str
    colour: str
    dashes: str
    points: str
    counts: list[int]


# Width and height of the whole chart, the plot's margins: left, top, bottom.
LINES_CHART = (720, 260, 48, 16, 44)


def lines_chart(trend: OverTime, kind: str = LocationKind.lending) -> dict:
    """The digileenplekken's lines, scaled to the fullest place."""
    width, height, left, top, bottom = LINES_CHART
    shown = [line for line in trend.lines if line.place.kind == kind]
    most = max((line.most for line in shown), default=0) or 1
    plot_w, plot_h = width - left - 16, height - top - bottom
    steps = len(trend.steps)

    def x(k: int) -> float:
        return round(left + (plot_w * k / (steps - 1) if steps > 1 else plot_w / 2), 1)

    def y(count: int) -> float:
        return round(top + plot_h - plot_h * count / most, 1)

    drawn = [
        Drawn(
            line.place.name,
            PALETTE[n % len(PALETTE)],
            DASHES[(n // len(PALETTE)) % len(DASHES)],
            " ".join(f"{x(k)},{y(c)}" for k, c in enumerate(line.counts)),
            line.counts,
        )
        for n, line in enumerate(shown)
    ]
    ticks = sorted({0, most // 2, most}) if most > 1 else [0, 1]
    return {
        "lines": drawn,
        "ticks": [(t, y(t)) for t in ticks],
        "labels": [(x(k), step.start) for k, step in enumerate(trend.steps)],
        "size": (width, height, left, top, bottom),
    }


# Width of the whole chart, of the labels, a bar's height and the gap.
BARS_CHART = (720, 200, 22, 8)


def stay_bars(rows: list[dict]) -> list[dict]:
    """The median days of the stays that ended, a bar per state that had any."""
    width, label_width, bar_height, gap = BARS_CHART
    shown = [row for row in rows if row["stays"]]
    most = max((row["median_days"] for row in shown), default=0) or 1
    room = width - label_width - 80
    return [
        {
            "state": row["state"],
            "days": row["median_days"],
            "stays": row["stays"],
            "y": n * (bar_height + gap),
            "width": max(1, round(room * row["median_days"] / most)),
            "colour": COLOURS.get(row["state"], "#0072b2"),
        }
        for n, row in enumerate(shown)
    ]


@bp.get("/figures")
@role_required(*FIGURES_ROLES)
def figures_page():
    period, chart_period = _chosen()
    found = figures(period)
    places = [p for p in stock.all_places().values() if stock.sees(me(), p)]
    places.sort(key=lambda p: (p.kind != LocationKind.lending, p.name))
    trend = over_time(chart_period, places)
    today = today_here()
    return render_template(
        "figures/index.html",
        found=found,
        period=period,
        years=range(today.year, FIRST_YEAR - 1, -1),
        trend=trend,
        chart=lines_chart(trend),
        bars=stay_bars(found.time_in_state),
        bars_chart=BARS_CHART,
        batch_states=[
            key
            for key in STATES
            if any(row["states"].get(key) for row in found.donations)
        ],
        year_of=year_of,
        one_day=timedelta(days=1),
        what=WHAT,
        target_groups=TARGET_GROUPS,
        states=STATES,
        workshop=WORKSHOP,
        colours=COLOURS,
    )


@bp.post("/figures/export")
@role_required(*FIGURES_ROLES)
def figures_export():
    """Start the CSV/XLSX file of the period's figures; its page shows the progress."""
    try:
        data = FiguresExportSchema().load(
            {k: request.form.get(k, "") for k in ("from", "to", "format")}
        )
    except ValidationError as exc:
        raise BadQuery(exc.messages) from None
    job = export.request_export(data, me())
    return redirect(url_for("pages.job", job_id=job.id), 303)


def year_of(period: Period) -> int | None:
    """The calendar year `period` is, if it is one."""
    start = period.start
    if start == date(start.year, 1, 1) and period.end == date(start.year + 1, 1, 1):
        return start.year
    return None
