"""Bearer tokens and role rules for the API.

Tokens are random; only their SHA-256 is stored (a slow hash buys nothing for
256 random bits, and lookups stay one indexed query). A token expires (a year by
default) and has a scope: "read" lets it only look (GET, HEAD), "write" lets it
do what its person's role allows.
"""

import functools
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import g
from flask import request

from assettrack import ratelimit
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import ApiToken
from assettrack.models import User
from assettrack.models.types import utcnow

ADMIN = "admin"
SCOPES = ("read", "write")
READING = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_TOKEN_DAYS = 365
MAX_TOKEN_DAYS = 3 * 365


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    user: User, days: int = DEFAULT_TOKEN_DAYS, scope: str = "write"
) -> str:
    """Create a token for `user` and return it; it is never shown again."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days, not {days}")
    if scope not in SCOPES:
        raise ValueError(f"a token's scope is one of {', '.join(SCOPES)}")
    token = "at_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(days=days),
            scope=scope,
        )
    )
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
        sa.select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == hash_token(token.strip()))
        .where(ApiToken.revoked_at.is_(None), User.active.is_(True))
    ).first()
    if row is None:
        ratelimit.refuse_api_address()  # guessing tokens counts per address
        raise ApiError(401, "this token is not valid")
    user, found = row
    if found.expires_at is not None and found.expires_at <= utcnow():
        raise ApiError(
            401, f"this token expired on {found.expires_at:%Y-%m-%d}; ask for a new one"
        )
    ratelimit.refuse_api_token(found.id)
    if found.scope != "write" and request.method not in READING:
        raise ApiError(403, "this token may only read")
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
