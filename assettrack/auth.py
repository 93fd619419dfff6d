"""Bearer tokens and role rules for the API.

Tokens are random; only their SHA-256 is stored (a slow hash buys nothing for
256 random bits, and lookups stay one indexed query).
"""

import functools
import hashlib
import secrets

import sqlalchemy as sa
from flask import g
from flask import request

from assettrack import ratelimit
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import ApiToken
from assettrack.models import User

ADMIN = "admin"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """Create a token for `user` and return it; it is never shown again."""
    token = "at_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token)))
    db.session.commit()
    return token


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if header:  # no header at all was counted before the view (api/__init__)
            ratelimit.refuse_api_address()
        raise ApiError(401, "send a token: Authorization: Bearer <token>")
    row = db.session.execute(
        sa.select(User, ApiToken.id)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token.strip()))
        .where(ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).first()
    if row is None:
        ratelimit.refuse_api_address()  # guessing tokens counts per address
        raise ApiError(401, "this token is not valid")
    user, token_id = row
    ratelimit.refuse_api_token(token_id)
    return user


def requires(*roles: str):
    """Let through a request with a valid token whose role is one of `roles`.

    With no roles, any valid token will do. Admins pass every rule.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            user = _authenticate()
            if roles and user.role != ADMIN and user.role not in roles:
                raise ApiError(403, f"a {user.role} user may not do this")
            g.user = user
            return view(*args, **kwargs)

        wrapper.required_roles = roles
        return wrapper

    return decorate


def current_user() -> User:
    return g.user
