"""The stock page: devices per place × state for coordinators, and the list behind
each number.

The counts are `stock.count`'s; this view arranges them as a table (one line a
group, one column a state) and as a bar chart drawn here as SVG, so the page
needs no script and no CDN. Every number links to `/stock/devices` with the
device list's own filters (`devices.filtered`), so it lists exactly the devices
counted.
"""

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from urllib.parse import urlencode

from flask import render_template
from flask import request
from flask import url_for
from flask_babel import get_timezone
from marshmallow import ValidationError

from assettrack import stock
from assettrack.devices import filtered
from assettrack.extensions import db
from assettrack.models import LocationKind
from assettrack.models.types import utcnow
from assettrack.pages import bp
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.reporting.per_month import lent_per_month
from assettrack.schemas.devices import DEVICE_KINDS
from assettrack.schemas.devices import DeviceQuery
from assettrack.schemas.stock import StockQuery
from assettrack.workflow import State

PER_PAGE = 50
# A hand-over takes a day or two; on the way longer than this, someone should look.
STALE_DAYS = 7
STOCK_ROLES = ("coordinator",)
# One colour a state, in the workflow's order (colour-blind safe, Okabe-Ito).
COLOURS = {
    "received": "#999999",
    "wiping": "#56b4e9",
    "refurbishing": "#e69f00",
    "qc": "#f0e442",
    "ready": "#009e73",
    "lent": "#0072b2",
    "returned": "#cc79a7",
    "repair": "#d55e00",
    "scrapped": "#333333",
    "lost": "#000000",
}


@dataclass
class Line:
    """One group's devices per state (one kind or all), and those away from home."""

    row: stock.Row
    cells: Counter = field(default_factory=Counter)
    away: int = 0

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def label(self) -> str:
        if self.row.location is not None:
            return self.row.location.name
        if self.row.organisation is not None:
            return self.row.organisation.name
        return self.row.municipality or ""

    def filters(self, state: str | None = None, kind: str | None = None) -> dict:
        """The device list's filters for this line, one state, one kind (or all)."""
        found = {
            name: value
            for name, value in self.row.filters().items()
            if name not in ("state", "kind")
        }
        return found | {
            name: value for name, value in (("state", state), ("kind", kind)) if value
        }


def lines(counted: stock.Stock) -> list[Line]:
    """The rows of `counted` summed over kinds: one line a group, in its order."""
    by_group: dict = {}
    for row in counted.rows:
        line = by_group.setdefault(row.key.value, Line(row))
        line.cells[row.state] += row.count
        line.away += row.away
    return list(by_group.values())


@dataclass(frozen=True)
class Bar:
    """One digileenplek's bar: a segment a state, widths in SVG units."""

    label: str
    y: int
    total: int
    segments: list[tuple[str, int, int, int]]  # state, x, width, count


CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP = 720, 220, 22, 8


def bars(shown: list[Line]) -> list[Bar]:
    """Devices per state at each digileenplek, scaled to the fullest one."""
    places = [
        line
        for line in shown
        if line.row.location is not None
        and line.row.location.kind == LocationKind.lending
        and line.total
    ]
    most = max((line.total for line in places), default=0)
    room = CHART_WIDTH - LABEL_WIDTH - 60
    drawn = []
    for n, line in enumerate(places):
        x, segments = LABEL_WIDTH, []
        for state in State:
            number = line.cells.get(state.value, 0)
            if number:
                width = max(1, round(room * number / most))
                segments.append((state.value, x, width, number))
                x += width
        drawn.append(Bar(line.label, n * (BAR_HEIGHT + GAP), line.total, segments))
    return drawn


@dataclass(frozen=True)
class Column:
    """One month's column in the lending chart, in SVG units (y grows down)."""

    month: date
    lent: int
    x: int
    y: int
    height: int


# Width, height of the plot area, column width, gap, room for labels below.
MONTHS_CHART = (720, 160, 44, 12, 40)


def columns(months) -> list[Column]:
    """Each month's loans as a column, scaled to the busiest month."""
    _, plot, width, gap, _ = MONTHS_CHART
    most = max((month.lent for month in months), default=0)
    drawn = []
    for n, month in enumerate(months):
        height = round(plot * month.lent / most) if most else 0
        drawn.append(
            Column(
                month.first, month.lent, 40 + n * (width + gap), plot - height, height
            )
        )
    return drawn


def _args(schema) -> dict:
    """The query string read by an API schema; a bad one is a 422 page."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise BadQuery(exc.messages) from None


class BadQuery(Exception):
    """A query string the API's schema refused: a 422 page naming the fields."""

    def __init__(self, messages: dict):
        self.messages = messages


@bp.errorhandler(BadQuery)
def _bad_query(exc: BadQuery):
    return render_template("stock/bad_query.html", problems=exc.messages), 422


@bp.get("/stock")
@role_required(*STOCK_ROLES)
def stock_page():
    args = _args(StockQuery())
    counted = stock.count(me(), **args)
    shown = lines(counted)
    states = [s.value for s in State if counted.by_state.get(s.value)]
    return render_template(
        "stock/index.html",
        args=args,
        counted=counted,
        lines=shown,
        states=states,
        groups=stock.GROUPS,
        kinds=DEVICE_KINDS,
        bars=bars(shown) if args["group"] == "location" else [],
        colours=COLOURS,
        chart=(CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP),
        months=columns(lent_per_month(today_here(), kind=args.get("kind"))),
        months_chart=MONTHS_CHART,
        now=utcnow(),
        stale_days=STALE_DAYS,
        listing=_listing(url_for("pages.stock_devices")),
    )


def _listing(base: str):
    """The address of the device list with `filters`: url_for's, built once
    (hundreds of numbers on one page)."""

    def address(filters: dict) -> str:
        return f"{base}?{urlencode(filters)}" if filters else base

    return address


def today_here() -> date:
    """Today where the digibank is (Flask-Babel's zone, Europe/Brussels)."""
    return datetime.now(get_timezone()).date()


@bp.get("/stock/devices")
@role_required(*STOCK_ROLES)
def stock_devices():
    args = _args(DeviceQuery())
    page = db.paginate(
        filtered(args, me()), page=args["page"], per_page=PER_PAGE, error_out=False
    )
    shown = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("stock/devices.html", page=page, filters=shown)
