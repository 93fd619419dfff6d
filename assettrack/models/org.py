"""Organisations, their places, and the people who act for them."""

import hashlib
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class OrganisationKind(StrEnum):
    coordinator = "coordinator"
    repair = "repair"
    lending = "lending"
    donor = "donor"


class LocationKind(StrEnum):
    lending = "lending"  # a digileenplek
    workshop = "workshop"
    storage = "storage"


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    repair = "repair"
    desk = "desk"


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    address: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # media type -> level required before a disk may leave wiping (None: default)
    erasure_policy: so.Mapped[dict | None] = so.mapped_column(sa.JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)


class Location(db.Model):
    __tablename__ = "locations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    municipality: so.Mapped[str] = so.mapped_column(sa.String(80))
    postcode: so.Mapped[str] = so.mapped_column(sa.String(4))
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    organisation: so.Mapped[Organisation] = so.relationship(lazy="joined")


MIN_PASSWORD_LENGTH = 8


class User(UserMixin, db.Model):
    """A person with a role; pages log in with a password, the API with a token."""

    __tablename__ = "users"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    # For the web pages; API clients use tokens. None: no page login.
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(255))
    organisation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    organisation: so.Mapped[Organisation | None] = so.relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValueError(
                f"a password has at least {MIN_PASSWORD_LENGTH} characters"
            )
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(
            self.password_hash, password
        )

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The page session's user id, tied to the password: changing it logs
        out every session made with the old one."""
        return f"{self.id}.{self.password_fingerprint()}"

    def password_fingerprint(self) -> str:
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:16]


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database leak leaks no token."""

    __tablename__ = "api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    # None only for tokens made before tokens expired (migration 0015).
    expires_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    # "read": GET and HEAD only; "write": everything the person's role allows.
    scope: so.Mapped[str] = so.mapped_column(
        sa.String(10), default="write", server_default="write"
    )
    user: so.Mapped[User] = so.relationship(lazy="joined")
