"""Asset tags in the database: hand out the next one, find a device by one."""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Organisation
from assettrack.models import TagCounter
from assettrack.models import TagReservation
from assettrack.models import User
from assettrack.problems import Refusal
from labels.tags import TagError
from labels.tags import make_tag
from labels.tags import normalise_tag
from labels.tags import parse_tag

__all__ = [
    "TagError",
    "canonical_tag",
    "claim_given_tag",
    "find_device",
    "next_asset_tag",
    "reserve_tags",
]


def check_tag_prefix(prefix: str) -> None:
    """Refuse to start with a prefix no tag could be printed with."""
    try:
        make_tag(1, prefix=prefix)
    except ValueError as exc:
        raise ValueError(f"ASSETTRACK_TAG_PREFIX: {exc}") from None


def _prefix() -> str:
    return current_app.config["TAG_PREFIX"]


def _take_number(prefix: str, count: int = 1) -> int:
    """Advance the prefix's counter by `count` inside the caller's transaction.

    Returns the last number of the block taken. The row stays locked until that
    transaction ends, so two intakes never get the same number; a number whose
    transaction rolled back was never printed.
    """
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(TagCounter)
        .values(prefix=prefix, last_number=count)
        .on_conflict_do_update(
            index_elements=[TagCounter.prefix],
            set_={"last_number": TagCounter.last_number + count},
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


def reserve_tags(organisation: Organisation, count: int, actor: User) -> TagReservation:
    """Take a block of `count` numbers off the counter for a pre-printed roll."""
    if organisation.kind == "donor":
        raise Refusal("organisation", "tags are reserved for a repair partner or desk")
    prefix = _prefix()
    try:
        last = _take_number(prefix, count)
        reservation = TagReservation(
            prefix=prefix,
            first_number=last - count + 1,
            last_number=last,
            organisation_id=organisation.id,
            reserved_by_id=actor.id,
        )
        db.session.add(reservation)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return reservation


def reservation_tags(reservation: TagReservation) -> list[str]:
    numbers = range(reservation.first_number, reservation.last_number + 1)
    return [make_tag(number, prefix=reservation.prefix) for number in numbers]


def claim_given_tag(tag: str, actor: User) -> None:
    """Check that a pre-printed tag scanned at intake may name a new device.

    :raises Refusal: the tag was never reserved, or for another organisation.
    """
    parsed = parse_tag(tag)
    reservation = db.session.scalar(
        sa.select(TagReservation).where(
            TagReservation.prefix == parsed.prefix,
            TagReservation.first_number <= parsed.number,
            TagReservation.last_number >= parsed.number,
        )
    )
    if reservation is None:
        raise Refusal(
            "asset_tag",
            f"{tag} is not on a reserved roll; leave it out to get a new tag",
        )
    if actor.role == "repair" and reservation.organisation_id != actor.organisation_id:
        raise Refusal(
            "asset_tag",
            f"{tag} is on a roll reserved for {reservation.organisation.name}",
        )


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
