"""Logging in and out of the pages, and who may open which page.

The API keeps its bearer tokens (`assettrack.auth`); a page session is a
Flask-Login cookie for a person with a password.
"""

import functools
import hmac
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from flask_login import current_user
from flask_login import login_required
from flask_login import login_user
from flask_login import logout_user
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from assettrack.extensions import db
from assettrack.models import User
from assettrack.pages import bp
from assettrack.pages.forms import LoginForm
from assettrack.ratelimit import wait_needed

ADMIN = "admin"
# Checked when no such person exists, so a wrong e-mail address takes as long
# to refuse as a wrong password and does not tell who has an account.
_NOBODY = generate_password_hash("no such person")


def configure(login_manager: LoginManager) -> None:
    login_manager.login_view = "pages.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)


def load_user(session_id: str) -> User | None:
    """The person of a page session; none once deactivated or the password changed."""
    user_id, _dot, fingerprint = session_id.partition(".")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(user.password_fingerprint(), fingerprint):
        return None
    return user


def role_required(*roles: str):
    """Let in a logged-in person whose role is one of `roles`; admins always."""

    def decorate(view):
        @functools.wraps(view)
        @login_required
        def wrapper(*args, **kwargs):
            if current_user.role != ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def me() -> User:
    """The logged-in person as the domain takes them (not Flask-Login's proxy)."""
    return current_user._get_current_object()


def may(*roles: str) -> bool:
    """For templates: would `role_required(*roles)` let the current person in?"""
    return current_user.is_authenticated and (
        current_user.role == ADMIN or current_user.role in roles
    )


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path on this site."""
    parts = urlsplit(target or "")
    if target and target.startswith("/") and not parts.netloc and not parts.scheme:
        return target
    return url_for("pages.home")


def _person(email: str) -> User | None:
    user = db.session.scalar(sa.select(User).filter_by(email=email.strip().lower()))
    if user is None or user.password_hash is None:
        check_password_hash(_NOBODY, "")
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    if request.method == "POST" and (wait := wait_needed("login", "LOGIN_RATE_LIMIT")):
        # Passwords are not guessed from one address faster than this.
        flash(
            _(
                "Too many attempts. Try again in %(seconds)s seconds.",
                seconds=int(wait) + 1,
            ),
            "error",
        )
        headers = {"Retry-After": str(int(wait) + 1)}
        return render_template("auth/login.html", form=form), 429, headers
    if form.validate_on_submit():
        user = _person(form.email.data)
        if user and user.check_password(form.password.data) and user.is_active:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong e-mail address or password."), "error")
        return render_template("auth/login.html", form=form), 401
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("pages.login"))
