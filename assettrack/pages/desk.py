"""The lending desk: one scan field; a borrower card, then devices, then lend.

The basket lives in the session (borrower card and device tags); every scan says
at once, in a colour, whether the workflow would let the device go to this
borrower now. The workflow decides (`lifecycle.check`), never this view. A lent
device scanned with no borrower is offered for return; a device on its way here
is received.
"""

from datetime import date

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
from assettrack import reach
from assettrack import reminders
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.home import tag_problem
from assettrack.pages.photos import codes_in_photo
from assettrack.problems import Conflict
from assettrack.tagging import TagError
from assettrack.tagging import find_device
from assettrack.workflow import WorkflowError
from scanner.decode import tags_in
from scanner.keyboard import layout_candidates

DESK_ROLES = ("desk",)
# Flash categories: the page shows them green, amber and red, with a sound each.
GREEN, AMBER, RED = "ok", "warning", "error"
ACCESSORIES = {
    "charger": _l("charger"),
    "bag": _l("bag"),
    "mouse": _l("mouse"),
    "other": _l("other"),
}


# The reminder stages (reminders.STAGES), as the call list names them.
STAGE_NAMES = {
    "before_due": _l("3 days before"),
    "due": _l("on the due date"),
    "overdue_7": _l("7 days late"),
    "overdue_14": _l("14 days late"),
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
    basket = _basket()
    return render_template(
        "desk/desk.html",
        basket=basket,
        coming_back=[_coming_back(tag) for tag in basket["take_back"]],
        accessories=ACCESSORIES,
    )


def _coming_back(tag: str) -> dict:
    """A lent device on the desk: what went out with it, and whether it may stay."""
    device = find_device(tag)
    loan = device and lifecycle.open_loan(device)
    return {
        "tag": tag,
        "due_on": loan and format_date(loan.due_on, "long"),
        "accessories_out": loan.accessories_out if loan else [],
        "renewable": loan is not None
        and lifecycle.check(device, "renew", me(), {}) is None,
    }


@bp.get("/desk/calls")
@role_required(*DESK_ROLES)
def desk_calls():
    """Whom to call: the overdue loans of the desk's lending point."""
    calls = [
        {
            **call,
            "due": format_date(call["due_on"], "long"),
            "sent": [
                STAGE_NAMES.get(r.stage, r.stage)
                for r in call["reminders"]
                if r.status == "sent"
            ],
        }
        for call in reminders.call_list(me(), date.today())
    ]
    return render_template("desk/calls.html", calls=calls)


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
    codes = codes_in_photo()
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
    if not _in_care(device):
        return
    tag = device.asset_tag
    if device.in_transit_to is not None:
        # A delivery: scanning it in at the desk is the hand-over's second scan.
        if not _act(tag, "receive", {}):
            return
        place = device.location.name
        flash(
            _("%(tag)s has arrived: received at %(place)s.", tag=tag, place=place),
            GREEN,
        )
        if basket["borrower"] is None:
            return
    if tag in basket["lend"] or tag in basket["take_back"]:
        flash(_("%(tag)s is already in the basket.", tag=tag), AMBER)
    elif device.state == "lent" and _lent_to(device, basket["borrower"]):
        basket["take_back"].append(tag)
        flash(_("%(tag)s is lent out: take it back?", tag=tag), GREEN)
    elif basket["borrower"] is None:
        flash(_("Scan the borrower card first."), AMBER)
    else:
        payload = {"borrower": basket["borrower"], "agreement_accepted": True}
        in_basket = len(basket["lend"])
        if refusal := lifecycle.check(device, "lend", me(), payload, in_basket):
            for reason in wording.why_not("lend", refusal):
                flash(f"{tag}: {reason}", RED)
        else:
            basket["lend"].append(tag)
            flash(_("%(tag)s can be lent.", tag=tag), GREEN)


def _lent_to(device, borrower_code: str | None) -> bool:
    """Offer a lent device for return: with no card scanned, or to its borrower."""
    if borrower_code is None:
        return True
    loan = lifecycle.open_loan(device)
    return loan is not None and loan.borrower.code == borrower_code


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
        payload = {
            "condition_note": request.form.get("condition_note", "").strip()[:500],
            "accessories_back": [
                a
                for a in request.form.getlist("accessories_back")
                if a in lending.ACCESSORIES
            ],
        }
        if _act(tag, "return", payload):
            flash(_("%(tag)s taken back.", tag=tag), GREEN)
        basket["take_back"].remove(tag)
        _keep(basket)
    return redirect(url_for("pages.desk"))


@bp.post("/desk/renew")
@role_required(*DESK_ROLES)
def desk_renew():
    """Let the borrower keep a scanned lent device longer, as the policy allows."""
    basket = _basket()
    tag = request.form.get("tag", "")
    if tag in basket["take_back"]:
        if _act(tag, "renew", {}):
            loan = lifecycle.open_loan(find_device(tag))
            when = format_date(loan.due_on, "long")
            flash(_("%(tag)s renewed until %(date)s.", tag=tag, date=when), GREEN)
        basket["take_back"].remove(tag)
        _keep(basket)
    return redirect(url_for("pages.desk"))


@bp.post("/desk/clear")
@role_required(*DESK_ROLES)
def desk_clear():
    session.pop("desk", None)
    return redirect(url_for("pages.desk"))


def _in_care(device) -> bool:
    """Whether the desk reaches the device (reach.py); says where it is if not."""
    if reach.within(me(), device):
        return True
    place = reach.place_of(device)
    flash(
        _(
            "%(tag)s is at %(place)s, not in your care. If it is here, ask a "
            "coordinator to relocate it.",
            tag=device.asset_tag,
            place=place.name if place else "?",
        ),
        RED,
    )
    return False


def _act(tag: str, action: str, payload: dict) -> bool:
    """Perform `action` on the device; flash why not (red) when refused."""
    device = find_device(tag)
    if device is None:
        flash(_("No device has the tag %(tag)s.", tag=tag), RED)
        return False
    if not _in_care(device):
        return False
    try:
        lifecycle.perform(device, action, me(), payload)
    except (WorkflowError, Conflict) as exc:
        for reason in wording.why_not(action, exc):
            flash(f"{tag}: {reason}", RED)
        return False
    return True
