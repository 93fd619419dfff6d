"""The web pages: server-rendered, Dutch first, one module per page group.

Views are thin: a form reads what the person typed, one domain call does the
work, and the page shows what the workflow allows. Templates live in
`assettrack/templates/`, styles in `assettrack/static/` (nothing from a CDN).
"""

from flask import Blueprint
from flask import Flask

from assettrack.extensions import csrf
from assettrack.extensions import login_manager

bp = Blueprint("pages", __name__)

from assettrack.pages import agent  # noqa: E402,F401  (routes register on bp)
from assettrack.pages import auth  # noqa: E402
from assettrack.pages import certificates  # noqa: E402,F401
from assettrack.pages import desk  # noqa: E402,F401
from assettrack.pages import devices  # noqa: E402,F401
from assettrack.pages import donations  # noqa: E402,F401
from assettrack.pages import erasures  # noqa: E402,F401
from assettrack.pages import errors  # noqa: E402,F401
from assettrack.pages import figures  # noqa: E402,F401
from assettrack.pages import home  # noqa: E402,F401
from assettrack.pages import jobs  # noqa: E402,F401
from assettrack.pages import quality  # noqa: E402,F401
from assettrack.pages import repair_queue  # noqa: E402,F401
from assettrack.pages import stock  # noqa: E402,F401
from assettrack.pages import stock_takes  # noqa: E402,F401
from assettrack.pages import verify  # noqa: E402,F401
from assettrack.pages import wording  # noqa: E402


def init_app(app: Flask) -> None:
    """Page logins, CSRF tokens on every form, and the words templates use."""
    login_manager.init_app(app)
    auth.configure(login_manager)
    csrf.init_app(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.globals.update(wording=wording, may=auth.may)
    app.register_blueprint(bp)
