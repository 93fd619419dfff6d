"""Borrowers (the least personal data lending needs) and their loans."""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class Borrower(db.Model):
    """A person known to a lending point by a card number: the pseudonymous part.

    What statistics need (target group, municipality, postcode) lives here; the
    name and contact live apart in `BorrowerIdentity`, so anonymising a borrower
    is deleting that row and cutting the loans' link, nothing else.
    No ID document number is ever kept: only which kind of document was seen.
    """

    __tablename__ = "borrowers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    location_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("locations.id"), index=True
    )  # the lending point that registered them
    target_group: so.Mapped[str] = so.mapped_column(sa.String(20), default="other")
    municipality: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    postcode: so.Mapped[str] = so.mapped_column(sa.String(4), default="")
    id_document: so.Mapped[str] = so.mapped_column(sa.String(20), default="none")
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)

    identity: so.Mapped["BorrowerIdentity | None"] = so.relationship(
        lazy="joined", cascade="all, delete-orphan", uselist=False
    )


class BorrowerIdentity(db.Model):
    """Who the borrower is: kept apart, shown only to their own lending point."""

    __tablename__ = "borrower_identities"

    borrower_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("borrowers.id"), primary_key=True
    )
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    contact: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    language: so.Mapped[str] = so.mapped_column(sa.String(5), default="nl")


class LoanAgreement(db.Model):
    """The text a borrower accepts, per organisation and version; never edited."""

    __tablename__ = "loan_agreements"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "version"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    version: so.Mapped[int]
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)


class LoanPolicy(db.Model):
    """How long and how often a device may be lent, per lending point and kind.

    A row with no location or no kind is the default for the rest.
    """

    __tablename__ = "loan_policies"
    __table_args__ = (sa.UniqueConstraint("location_id", "device_kind"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    location_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("locations.id"))
    device_kind: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    loan_days: so.Mapped[int] = so.mapped_column(default=91)
    renewal_days: so.Mapped[int] = so.mapped_column(default=91)
    max_renewals: so.Mapped[int] = so.mapped_column(default=2)
    max_open_loans: so.Mapped[int] = so.mapped_column(default=1)


class Loan(db.Model):
    __tablename__ = "loans"
    __table_args__ = (
        # At most one open loan per device, whatever the application does.
        sa.Index(
            "uq_loans_open_device",
            "device_id",
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    # None once the borrower is anonymised: the loan keeps only the figures below.
    borrower_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("borrowers.id"), index=True
    )
    borrower_pseudonym: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    borrower_group: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    borrower_municipality: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    location_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("locations.id"))
    agreement_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("loan_agreements.id")
    )
    agreement_sha256: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    accessories_out: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    accessories_back: so.Mapped[list | None] = so.mapped_column(sa.JSON)
    condition_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    lent_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    due_on: so.Mapped[date] = so.mapped_column(index=True)
    renewals: so.Mapped[int] = so.mapped_column(default=0)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(10))  # returned, lost

    borrower: so.Mapped[Borrower | None] = so.relationship(lazy="joined")
    device = so.relationship("Device", lazy="joined")

    @property
    def overdue(self) -> bool:
        return self.closed_at is None and self.due_on < date.today()


class Reminder(db.Model):
    """One reminder sent (or tried) for a loan at one stage; never sent twice.

    Keyed by the due date it was about too: a renewed loan is reminded again.
    """

    __tablename__ = "reminders"
    __table_args__ = (sa.UniqueConstraint("loan_id", "stage", "due_on"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    loan_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("loans.id"), index=True)
    stage: so.Mapped[str] = so.mapped_column(sa.String(20))  # before_due, due, ...
    due_on: so.Mapped[date]
    to_address: so.Mapped[str] = so.mapped_column(sa.String(200))
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    message_id: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(10))  # sending, sent, failed
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    sent_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
