"""Stock-take pages: pick a place, scan every label in the room, correct the records.

Like the desk page: one scan field that always has the focus, each scan answered
at once in a colour (a form post and a redirect, so it works without script),
running counts, and the result with one button that records the corrections.
The domain decides (`stocktaking`); this view only says it in the reader's words.
"""

from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from marshmallow import ValidationError

from assettrack import stock
from assettrack import stocktaking
from assettrack.extensions import db
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.desk import AMBER
from assettrack.pages.desk import GREEN
from assettrack.pages.desk import RED
from assettrack.pages.home import tag_problem
from assettrack.pages.photos import codes_in_photo
from assettrack.problems import Refusal
from assettrack.schemas.stock_takes import ScanBodySchema
from assettrack.stocktaking import Finding
from assettrack.tagging import TagError
from scanner.decode import tags_in

COUNTER_ROLES = ("coordinator", "repair", "desk")
SHOWN_WHILE_SCANNING = 50  # lines per list
COLOURS = {
    Finding.found: GREEN,
    Finding.elsewhere: AMBER,
    Finding.arriving: AMBER,
    Finding.lent: AMBER,
    Finding.scrapped: RED,
    Finding.lost: RED,
    Finding.unknown: RED,
}
# The result's lists, in the order the page shows them, with their headings.
SECTIONS = (
    ("elsewhere", _l("Found here, but the records have it elsewhere")),
    ("arriving", _l("Found here while on its way here")),
    ("out", _l("Found here, but recorded as not in stock")),
    ("missing", _l("Missing: expected here, not scanned")),
    ("on_the_way", _l("On its way here, not scanned (not missing)")),
    ("found", _l("Expected and found")),
)
COUNTS = {
    "expected": _l("Expected"),
    "found": _l("Found"),
    "missing": _l("Missing"),
    "elsewhere": _l("Elsewhere"),
    "arriving": _l("On its way here"),
    "out": _l("Not in stock"),
    "unknown": _l("Unknown codes"),
}
ADVICE = {
    "lent": _l("Recorded as lent: take it back at the desk."),
    "scrapped": _l("Recorded as scrapped: set it apart and tell the coordinator."),
    "lost": _l("Recorded as lost: tell the coordinator it was found."),
}


def _places():
    """The places the person may count, by name."""
    found = [p for p in stock.all_places().values() if stocktaking.may_count(me(), p)]
    return sorted(found, key=lambda p: p.name)


def _stock_take(stock_take_id: int):
    found = stocktaking.get(me(), stock_take_id)
    if found is None:
        abort(404)
    return found


@bp.get("/stock-takes")
@role_required(*COUNTER_ROLES)
def stock_takes():
    listed = db.session.scalars(stocktaking.visible(me()).limit(50)).all()
    return render_template(
        "stock_takes/index.html", stock_takes=listed, places=_places()
    )


@bp.post("/stock-takes")
@role_required(*COUNTER_ROLES)
def stock_take_start():
    """Start counting the place picked (or carry on with its open count)."""
    raw = request.form.get("location", "")
    if not raw.isdigit():
        flash(_("Pick the place you are counting."), RED)
        return redirect(url_for("pages.stock_takes"))
    try:
        stock_take = stocktaking.start(int(raw), me())
    except stocktaking.NotYours:
        abort(403)
    except stocktaking.AlreadyOpen as exc:
        flash(_("This place is being counted already: carry on here."), AMBER)
        stock_take = exc.stock_take
    except Refusal:
        flash(_("Pick the place you are counting."), RED)
        return redirect(url_for("pages.stock_takes"))
    return redirect(url_for("pages.stock_take", stock_take_id=stock_take.id))


@bp.get("/stock-takes/<id:stock_take_id>")
@role_required(*COUNTER_ROLES)
def stock_take(stock_take_id):
    report = stocktaking.report(_stock_take(stock_take_id))
    sections = [
        (key, title, getattr(report.result, key))
        for key, title in SECTIONS
        if getattr(report.result, key)
    ]
    # While scanning, the page comes back after every scan: long lists are cut.
    whole = report.stock_take.closed_at is not None or request.args.get("all") == "1"
    return render_template(
        "stock_takes/stock_take.html",
        shown=None if whole else SHOWN_WHILE_SCANNING,
        stock_take=report.stock_take,
        result=report.result,
        counts=report.result.counts,
        count_names=COUNTS,
        sections=sections,
        advice=ADVICE,
    )


def _back(stock_take_id: int):
    return redirect(url_for("pages.stock_take", stock_take_id=stock_take_id))


@bp.post("/stock-takes/<id:stock_take_id>/scan")
@role_required(*COUNTER_ROLES)
def stock_take_scan(stock_take_id):
    """Read one scan (what a scanner typed before Enter) and say what it is."""
    stock_take = _stock_take(stock_take_id)
    try:  # what the API would take, read by the API's own schema
        text = ScanBodySchema().load({"code": request.form.get("code", "")})["code"]
    except ValidationError:
        if request.form.get("code", "").strip():
            flash(tag_problem(TagError("not a code", "malformed")), RED)
        return _back(stock_take_id)
    _scanned(stock_take, text)
    return _back(stock_take_id)


@bp.post("/stock-takes/<id:stock_take_id>/photo")
@role_required(*COUNTER_ROLES)
def stock_take_photo(stock_take_id):
    """A phone's photo of one or more labels: each tag in it counts as one scan."""
    stock_take = _stock_take(stock_take_id)
    codes = codes_in_photo()
    found = tags_in(codes, current_app.config["TAG_PREFIX"])
    if not found:
        flash(_("No label found in the photo. Take it again, closer and sharp."), RED)
    for tag in found:
        _scanned(stock_take, tag)
    return _back(stock_take_id)


def _scanned(stock_take, text: str) -> None:
    try:
        scanned = stocktaking.scan(stock_take, text, me())
    except Refusal as exc:
        if exc.status == 409:
            flash(_("This stock-take is closed: start a new one."), RED)
        else:
            flash(tag_problem(TagError(str(exc), "bad_check")), RED)
        return
    flash(_message(scanned), AMBER if scanned.again else COLOURS[scanned.finding])


def _message(scanned: stocktaking.Scanned) -> str:
    line, finding = scanned.device, scanned.finding
    if line is None:
        return _("No device has the code %(code)s.", code=scanned.code[:40])
    tag = line.asset_tag
    if scanned.again:
        return _("%(tag)s was counted already.", tag=tag)
    if finding == Finding.found:
        return _("%(tag)s found: it belongs here.", tag=tag)
    if finding == Finding.arriving:
        return _(
            "%(tag)s was on its way here: record the corrections to receive it.",
            tag=tag,
        )
    if finding == Finding.elsewhere:
        if line.in_transit_to is not None:
            return _(
                "%(tag)s is here, but the records have it on its way to %(place)s.",
                tag=tag,
                place=line.in_transit_to.name,
            )
        return _(
            "%(tag)s is here, but the records have it at %(place)s.",
            tag=tag,
            place=line.location.name if line.location else "?",
        )
    return f"{tag}: {ADVICE[finding.value]}"


@bp.post("/stock-takes/<id:stock_take_id>/corrections")
@role_required(*COUNTER_ROLES)
def stock_take_corrections(stock_take_id):
    """Record the corrections; say how many, and why any was refused."""
    stock_take = _stock_take(stock_take_id)
    try:
        done = stocktaking.correct(stock_take, me())
    except Refusal:
        flash(_("This stock-take is closed: start a new one."), RED)
        return _back(stock_take_id)
    if done.recorded or not done.refused:
        number = len(done.recorded)
        flash(
            ngettext(
                "%(num)d correction recorded.", "%(num)d corrections recorded.", number
            ),
            GREEN,
        )
    for refused in done.refused:
        for reason in refused.reasons:
            flash(f"{refused.line.asset_tag}: {wording.sentence(reason)}", RED)
    return _back(stock_take_id)


@bp.post("/stock-takes/<id:stock_take_id>/close")
@role_required(*COUNTER_ROLES)
def stock_take_close(stock_take_id):
    stock_take = _stock_take(stock_take_id)
    try:
        stocktaking.close(stock_take, me())
    except Refusal:
        flash(_("This stock-take is closed: start a new one."), RED)
        return _back(stock_take_id)
    flash(_("Stock-take closed. Its lists are kept here."), GREEN)
    return _back(stock_take_id)
