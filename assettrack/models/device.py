"""Donated batches, the devices in them and their disks."""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.org import Location
from assettrack.models.org import Organisation
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class Donation(db.Model):
    __tablename__ = "donations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    donor_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    received_on: so.Mapped[date]
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    donor: so.Mapped[Organisation] = so.relationship(lazy="joined")


class TagCounter(db.Model):
    """The last asset-tag number handed out per prefix; numbers are never reused."""

    __tablename__ = "tag_counters"

    prefix: so.Mapped[str] = so.mapped_column(sa.String(4), primary_key=True)
    last_number: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class TagReservation(db.Model):
    """A roll of tags printed before its devices exist, for one organisation.

    Its numbers came off the counter in one block, so no device can get one of
    them except by scanning the printed label at intake.
    """

    __tablename__ = "tag_reservations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    prefix: so.Mapped[str] = so.mapped_column(sa.String(4))
    first_number: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    last_number: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    reserved_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    organisation: so.Mapped[Organisation] = so.relationship(lazy="joined")

    @property
    def count(self) -> int:
        return self.last_number - self.first_number + 1


class Device(db.Model):
    """One donated device. Its `state` is written only by `assettrack.lifecycle`."""

    __tablename__ = "devices"
    __table_args__ = (
        sa.Index("ix_devices_state_location", "state", "location_id"),
        # The stock counts read only these: an index-only scan, not the table.
        sa.Index(
            "ix_devices_stock",
            "location_id",
            "home_location_id",
            "state",
            "kind",
            "in_transit_to_id",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    asset_tag: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    make: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    model: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    serial: so.Mapped[str] = so.mapped_column(sa.String(80), default="", index=True)
    specs: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    state: so.Mapped[str] = so.mapped_column(sa.String(20))
    location_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("locations.id"), index=True
    )
    # Where the device belongs, set only through `stock.new_home`: the
    # digileenplek it was last transferred to, else where it was taken in.
    home_location_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("locations.id"), index=True
    )
    # Sent by a `transfer` and not yet received: where to, since when. The
    # device stays at `location_id` in the records but counts at neither place.
    in_transit_to_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("locations.id"), index=True
    )
    in_transit_since: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    custodian_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    donation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("donations.id"), index=True
    )
    version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)

    location: so.Mapped[Location | None] = so.relationship(
        lazy="joined", foreign_keys=[location_id]
    )
    in_transit_to: so.Mapped[Location | None] = so.relationship(
        lazy="joined", foreign_keys=[in_transit_to_id]
    )
    custodian: so.Mapped[Organisation | None] = so.relationship(lazy="joined")
    disks: so.Mapped[list["Disk"]] = so.relationship(
        back_populates="device", order_by="Disk.id", lazy="selectin"
    )

    # Optimistic locking: an UPDATE that finds another version changes nothing
    # and raises, so two desks acting at once never both win.
    __mapper_args__ = {"version_id_col": version}

    @property
    def transit(self) -> dict | None:
        """Where the device was sent and since when; None when it is not on its way."""
        if self.in_transit_to is None:
            return None
        return {"to": self.in_transit_to, "since": self.in_transit_since}

    def touch(self) -> None:
        """Mark the device changed, so concurrent writers conflict on its version."""
        self.updated_at = utcnow()


class Disk(db.Model):
    __tablename__ = "disks"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(10))  # hdd, ssd, nvme, emmc
    interface: so.Mapped[str] = so.mapped_column(sa.String(10), default="")
    make: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    model: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    serial: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    size_gb: so.Mapped[int | None]
    data_bearing: so.Mapped[bool] = so.mapped_column(default=True)
    added_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    # Taken out (replaced, sent to destruction): kept for the certificate, but
    # no longer a disk the device's wipe must cover.
    removed_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    device: so.Mapped[Device] = so.relationship(back_populates="disks")

    @property
    def label(self) -> str:
        return f"{self.kind} {self.serial or self.model or self.id}".strip()
