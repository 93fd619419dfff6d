"""The lending desk: one scan field; a borrower card, then devices, then lend.

The basket lives in the session (borrower card and device tags); every scan says
at once, in a colour, whether the workflow would let the device go to this
borrower now. The workflow decides (`lifecycle.check`), never this view. A lent
device scanned with no borrower is offered for return.
"""

from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assettrack import lending
from assettrack import lifecycle
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.home import tag_problem
from assettrack.problems import Conflict
from assettrack.tagging import TagError
from assettrack.tagging import find_device
from assettrack.workflow import WorkflowError
from scanner.decode import DecodeError
from scanner.decode import decode
from scanner.decode import tags_in
from scanner.keyboard import layout_candidates

DESK_ROLES = ("desk",)
MAX_PHOTO_BYTES = 15 * 1024 * 1024  # as the API's scan: phone photos are large
# Flash categories: the page shows them green, amber and red, with a sound each.
GREEN, AMBER, RED = "ok", "warning", "error"
ACCESSORIES = {
    "charger": _l("charger"),
    "bag": _l("bag"),
    "mouse": _l("mouse"),
    "other": _l("other"),
}


def _basket() -> dict:
    return session.get("desk") or {"borrower": None, "lend": [], "take_back": []}


def _keep(basket: dict) -> None:
    session["desk"] = basket


def _borrower(text: str):
    """The borrower whose card was scanned, repairing a mismatched keyboard layout."""
    for reading in [text, *layout_candidates(text)]:
        if borrower := lending.borrower_of(me(), reading):
            return borrower
    return None


@bp.get("/desk")
@role_required(*DESK_ROLES)
def desk():
    return render_template("desk/desk.html", basket=_basket(), accessories=ACCESSORIES)


@bp.post("/desk/scan")
@role_required(*DESK_ROLES)
def desk_scan():
    """Read one scan (what a scanner typed before Enter) and say what it means."""
    text = request.form.get("code", "").strip()[:80]
    basket = _basket()
    if text:
        _scanned(text, basket)
        _keep(basket)
    return redirect(url_for("pages.desk"))


@bp.post("/desk/photo")
@role_required(*DESK_ROLES)
def desk_photo():
    """A phone's photo of a label or card: each code in it counts as one scan."""
    request.max_content_length = MAX_PHOTO_BYTES
    upload = request.files.get("photo")
    try:
        codes = decode(upload.read(MAX_PHOTO_BYTES + 1)) if upload else []
    except DecodeError:
        codes = []
    cards = [c.text for c in codes if _borrower(c.text)]
    scans = cards[:1] + tags_in(codes, current_app.config["TAG_PREFIX"])
    if not scans:
        flash(_("No label found in the photo. Take it again, closer and sharp."), RED)
    basket = _basket()
    for text in scans:
        _scanned(text, basket)
    _keep(basket)
    return redirect(url_for("pages.desk"))


def _scanned(text: str, basket: dict) -> None:
    if borrower := _borrower(text):
        basket.update(borrower=borrower.code, lend=[])
        flash(_("Borrower %(code)s. Now scan the devices.", code=borrower.code), GREEN)
        return
    try:
        device = find_device(text)
    except TagError as exc:
        flash(tag_problem(exc), RED)
        return
    if device is None:
        flash(_("No device has the tag %(tag)s.", tag=text[:40]), RED)
        return
    tag = device.asset_tag
    if tag in basket["lend"] or tag in basket["take_back"]:
        flash(_("%(tag)s is already in the basket.", tag=tag), AMBER)
    elif basket["borrower"] is None and device.state == "lent":
        basket["take_back"].append(tag)
        flash(_("%(tag)s is lent out: take it back?", tag=tag), GREEN)
    elif basket["borrower"] is None:
        flash(_("Scan the borrower card first."), AMBER)
    else:
        payload = {"borrower": basket["borrower"], "agreement_accepted": True}
        if refusal := lifecycle.check(device, "lend", me(), payload):
            for reason in wording.why_not("lend", refusal):
                flash(f"{tag}: {reason}", RED)
        else:
            basket["lend"].append(tag)
            flash(_("%(tag)s can be lent.", tag=tag), GREEN)


@bp.post("/desk/lend")
@role_required(*DESK_ROLES)
def desk_lend():
    """Lend every device in the basket to the borrower, each on its own; say how."""
    basket = _basket()
    payload = {
        "borrower": basket["borrower"],
        "agreement_accepted": request.form.get("agreement_accepted") == "y",
        "accessories": [
            a for a in request.form.getlist("accessories") if a in lending.ACCESSORIES
        ],
    }
    left = []
    for tag in basket["lend"]:
        if _act(tag, "lend", payload):
            loan = lifecycle.open_loan(find_device(tag))
            flash(
                _(
                    "%(tag)s lent until %(date)s.",
                    tag=tag,
                    date=format_date(loan.due_on, "long"),
                ),
                GREEN,
            )
        else:
            left.append(tag)
    basket["lend"] = left
    if not left:
        basket["borrower"] = None
    _keep(basket)
    return redirect(url_for("pages.desk"))


@bp.post("/desk/take-back")
@role_required(*DESK_ROLES)
def desk_take_back():
    """Take back one lent device that was scanned with no borrower."""
    basket = _basket()
    tag = request.form.get("tag", "")
    if tag in basket["take_back"]:
        payload = {"condition_note": request.form.get("condition_note", "")[:500]}
        if _act(tag, "return", payload):
            flash(_("%(tag)s taken back.", tag=tag), GREEN)
        basket["take_back"].remove(tag)
        _keep(basket)
    return redirect(url_for("pages.desk"))


@bp.post("/desk/clear")
@role_required(*DESK_ROLES)
def desk_clear():
    session.pop("desk", None)
    return redirect(url_for("pages.desk"))


def _act(tag: str, action: str, payload: dict) -> bool:
    """Perform `action` on the device; flash why not (red) when refused."""
    device = find_device(tag)
    if device is None:
        flash(_("No device has the tag %(tag)s.", tag=tag), RED)
        return False
    try:
        lifecycle.perform(device, action, me(), payload)
    except (WorkflowError, Conflict) as exc:
        for reason in wording.why_not(action, exc):
            flash(f"{tag}: {reason}", RED)
        return False
    return True
