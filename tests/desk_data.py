"""Lending-desk data made straight with the models, and a real SMTP server.

Reminders and anonymisation only read loans, so their tests build them here
rather than through the lending API.
"""

import socket
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from email import message_from_bytes
from email import policy

from aiosmtpd.controller import Controller

from assettrack.auth import issue_token
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import BorrowerIdentity
from assettrack.models import Device
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User


class Desk:
    """One lending organisation with its digileenplek, as ids."""

    def __init__(self, app, name: str, place: str):
        self.app = app
        with app.app_context():
            organisation = Organisation(name=name, kind="lending")
            db.session.add(organisation)
            db.session.flush()
            location = Location(
                name=place,
                kind="lending",
                municipality="Gent",
                postcode="9000",
                organisation_id=organisation.id,
            )
            db.session.add(location)
            db.session.commit()
            self.organisation_id, self.location_id = organisation.id, location.id
        self._devices = 0

    def _next(self) -> int:
        self._devices += 1
        return self._devices

    def token(self, role: str = "desk") -> dict:
        """Bearer headers for a new user of this organisation."""
        with self.app.app_context():
            user = User(
                email=f"{role}{self.organisation_id}-{self._next()}@example.be",
                role=role,
                organisation_id=self.organisation_id,
            )
            db.session.add(user)
            db.session.commit()
            return {"Authorization": f"Bearer {issue_token(user)}"}

    def borrower(self, code: str, contact: str, language: str = "nl", **fields):
        with self.app.app_context():
            borrower = Borrower(
                code=code,
                organisation_id=self.organisation_id,
                location_id=self.location_id,
                target_group=fields.pop("target_group", "senior"),
                municipality=fields.pop("municipality", "Gent"),
                postcode="9000",
                **fields,
            )
            borrower.identity = BorrowerIdentity(
                name=f"Person {code}", contact=contact, language=language
            )
            db.session.add(borrower)
            db.session.commit()
            return borrower.id

    def loan(
        self,
        borrower_id: int,
        due_on: date,
        returned: date | None = None,
        tag: str | None = None,
    ) -> int:
        """A loan of a new device, open unless `returned` is given."""
        number = self._next()
        with self.app.app_context():
            device = Device(
                asset_tag=tag or f"DB-{self.organisation_id}{number:04d}",
                kind="laptop",
                make="Lenovo",
                model="ThinkPad T480",
                state="lent" if returned is None else "ready",
                location_id=self.location_id,
            )
            db.session.add(device)
            db.session.flush()
            loan = Loan(
                device_id=device.id,
                borrower_id=borrower_id,
                location_id=self.location_id,
                lent_at=at(due_on - timedelta(days=91)),
                due_on=due_on,
                closed_at=None if returned is None else at(returned),
                outcome=None if returned is None else "returned",
            )
            db.session.add(loan)
            db.session.commit()
            return loan.id


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What a real SMTP server on loopback received, parsed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.inbox = Inbox()
        self.port = port or free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
