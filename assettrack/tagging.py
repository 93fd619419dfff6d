"""Asset tags in the database: hand out the next one, find a device by one."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import TagCounter
from labels.tags import TagError
from labels.tags import make_tag
from labels.tags import normalise_tag

__all__ = ["TagError", "find_device", "next_asset_tag", "canonical_tag"]


def check_tag_prefix(prefix: str) -> None:
    """Refuse to start with a prefix no tag could be printed with."""
    try:
        make_tag(1, prefix=prefix)
    except ValueError as exc:
        raise ValueError(f"ASSETTRACK_TAG_PREFIX: {exc}") from None


def _prefix() -> str:
    return current_app.config["TAG_PREFIX"]


def _take_number(prefix: str) -> int:
    """Increment the prefix's counter inside the caller's transaction.

    The row stays locked until that transaction ends, so two intakes never get
    the same number; a number whose transaction rolled back was never printed.
    """
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(TagCounter)
        .values(prefix=prefix, last_number=1)
        .on_conflict_do_update(
            index_elements=[TagCounter.prefix],
            set_={"last_number": TagCounter.last_number + 1},
        )
        .returning(TagCounter.last_number)
    )
    return db.session.execute(statement).scalar_one()


def next_asset_tag() -> str:
    """A tag no device has; skips numbers already taken by pre-printed tags."""
    prefix = _prefix()
    while True:
        tag = make_tag(_take_number(prefix), prefix=prefix)
        if not db.session.scalar(sa.select(Device.id).where(Device.asset_tag == tag)):
            return tag


def canonical_tag(raw: str) -> str:
    """The canonical form of what a person or scanner typed.

    :raises TagError: not a tag, or its check character is wrong.
    """
    return normalise_tag(raw, prefix=_prefix())


def find_device(raw: str) -> Device | None:
    """The device a typed or scanned tag names, or None.

    :raises TagError: not a tag, or its check character is wrong.
    """
    select = (
        sa.select(Device)
        .where(Device.asset_tag == canonical_tag(raw))
        .options(so.joinedload(Device.disks))  # one query, not two
    )
    return db.session.execute(select).unique().scalar_one_or_none()
