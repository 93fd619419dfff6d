"""Error pages for people: in their language, with a way back."""

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden

from assettrack.pages import bp


def _page(title: str, message: str, status: int):
    return render_template("errors.html", title=title, message=message), status


@bp.app_errorhandler(CSRFError)
def form_expired(exc):
    """A form posted without its page's token: stale, or not from our page."""
    return _page(
        _("The form has expired"),
        _("Nothing was changed. Go back, reload the page and try again."),
        400,
    )


@bp.errorhandler(403)
def not_yours(exc):
    return _page(
        _("Not for your role"), _("Your role does not give access to this page."), 403
    )


class NotInCare(Forbidden):
    """A device in another organisation's care (reach.py)."""

    def __init__(self, tag: str, place: str):
        super().__init__()
        self.tag, self.place = tag, place


@bp.errorhandler(NotInCare)
def not_in_care(exc):
    return _page(
        _("Not in your care"),
        _(
            "%(tag)s is at %(place)s. You reach only the devices at your "
            "organisation's places; if it is here, ask a coordinator to relocate "
            "it, or count it in a stock-take.",
            tag=exc.tag,
            place=exc.place,
        ),
        403,
    )


@bp.errorhandler(404)
def not_found(exc):
    return _page(_("Not found"), _("There is nothing at this address."), 404)


@bp.errorhandler(413)
def too_large(exc):
    """A form with a file over the limit its page names: nothing was read."""
    return _page(
        _("The file is too large"),
        _("Nothing was saved. Go back and choose a smaller file."),
        413,
    )
