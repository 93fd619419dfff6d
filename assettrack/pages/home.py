"""The start page: type or scan an asset tag and land on the device."""

from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required

from assettrack import places
from assettrack.pages import bp
from assettrack.pages.auth import may
from assettrack.pages.donations import INTAKE_ROLES
from assettrack.pages.forms import FindForm
from assettrack.tagging import TagError
from assettrack.tagging import find_device
from labels.tags import make_tag


def tag_problem(exc: TagError) -> str:
    """Why typed text is no tag, in the reader's language."""
    if exc.code == "bad_check":
        return _(
            "The check character does not match: probably a typo or a misread."
            " Compare it with the label or scan it again."
        )
    example = make_tag(123, prefix=current_app.config["TAG_PREFIX"])
    return _("This is not an asset tag. Tags look like %(example)s.", example=example)


@bp.get("/")
@login_required
def home():
    form = FindForm(request.args)
    if "tag" in request.args and form.validate():
        try:
            device = find_device(form.tag.data)
        except TagError as exc:
            form.tag.errors.append(tag_problem(exc))
        else:
            if device is not None:
                return redirect(url_for("pages.device", tag=device.asset_tag))
            form.tag.errors.append(
                _("No device has the tag %(tag)s.", tag=form.tag.data.strip()[:40])
            )
    batches = places.recent_donations(5) if may(*INTAKE_ROLES) else []
    status = 404 if form.tag.errors else 200
    return render_template("home.html", form=form, batches=batches), status
