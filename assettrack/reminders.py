"""Reminders for loans coming due or overdue, by e-mail, each recorded once.

A loan is at one stage at a time (the last one whose day has come), so a run
after a few days without cron sends the reminder that fits today, not every
reminder missed. The `Reminder` row is written before the message is sent, in
its own transaction: the unique (loan, stage) constraint lets only one of two
racing workers send it. A failed send is tried again by a later run, while its
stage is still today's; one that was never marked (the process died while
sending) stays as it is, as a message may have left.

Borrowers whose contact is not an e-mail address get no e-mail: they are on the
desk's call list (`call_list`).
"""

import json
import re
import smtplib
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import format_date
from flask_babel import gettext as _

from assettrack import jobs
from assettrack.extensions import db
from assettrack.i18n import DEFAULT
from assettrack.i18n import LANGUAGES
from assettrack.models import Borrower
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import Reminder
from assettrack.models import User
from assettrack.models.types import utcnow

JOB = "reminders"
SENDING = "sending"  # written before the send; then sent or failed


@dataclass(frozen=True)
class Stage:
    name: str
    days: int  # relative to the due date: -3 is three days before


# The reminders a loan gets, in order.
STAGES = (
    Stage("before_due", -3),
    Stage("due", 0),
    Stage("overdue_7", 7),
    Stage("overdue_14", 14),
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_email(contact: str) -> bool:
    return bool(_EMAIL.match(contact.strip()))


def stage_on(due_on: date, today: date) -> Stage | None:
    """The stage a loan due on `due_on` is at `today` (None: too early)."""
    current = None
    for stage in STAGES:
        if today >= due_on + timedelta(days=stage.days):
            current = stage
    return current


def _subject(stage: str, place: str) -> str:
    if stage == "before_due":
        return _("Your loan from %(place)s is due soon", place=place)
    if stage == "due":
        return _("Your loan from %(place)s is due today", place=place)
    if stage == "overdue_7":
        return _("Your loan from %(place)s is a week overdue", place=place)
    return _("Your loan from %(place)s is two weeks overdue", place=place)


def _body(stage: str, place: str, device: str, due: str) -> str:
    if stage == "before_due":
        what = _(
            "The %(device)s you borrowed from %(place)s is due back on %(due)s.",
            device=device,
            place=place,
            due=due,
        )
    elif stage == "due":
        what = _(
            "The %(device)s you borrowed from %(place)s is due back today, %(due)s.",
            device=device,
            place=place,
            due=due,
        )
    else:
        what = _(
            "The %(device)s you borrowed from %(place)s was due back on %(due)s.",
            device=device,
            place=place,
            due=due,
        )
    todo = _(
        "Please bring it back with its accessories, or come by to ask whether "
        "the loan can be renewed."
    )
    return "\n\n".join([_("Hello,"), what, todo, place]) + "\n"


def compose(loan: Loan, stage: str, place: str) -> tuple[str, str]:
    """Subject and body in the borrower's language: only what they need to act."""
    identity = loan.borrower.identity
    language = identity.language if identity.language in LANGUAGES else DEFAULT
    device = f"{loan.device.make} {loan.device.model} ({loan.device.asset_tag})"
    with force_locale(language):
        due = format_date(loan.due_on, format="long")
        return _subject(stage, place), _body(stage, place, device.strip(), due)


def due_reminders(today: date) -> list[tuple[Loan, Stage]]:
    """Open loans to an e-mail address whose stage today has no reminder sent yet."""
    loans = db.session.scalars(
        sa.select(Loan)
        .where(Loan.closed_at.is_(None), Loan.borrower_id.is_not(None))
        .where(Loan.due_on <= today - timedelta(days=STAGES[0].days))
        .order_by(Loan.due_on, Loan.id)
    ).unique()
    done = {
        (loan_id, stage, due_on)
        for loan_id, stage, due_on in db.session.execute(
            sa.select(Reminder.loan_id, Reminder.stage, Reminder.due_on)
            .join(Loan, Loan.id == Reminder.loan_id)
            .where(Loan.closed_at.is_(None), Reminder.status != "failed")
        )
    }
    found = []
    for loan in loans:
        stage = stage_on(loan.due_on, today)
        identity = loan.borrower.identity if loan.borrower else None
        if stage is None or identity is None or not is_email(identity.contact):
            continue
        if (loan.id, stage.name, loan.due_on) not in done:
            found.append((loan, stage))
    return found


def send_due(today: date | None = None) -> dict:
    """Send every reminder due today; how many were sent and failed."""
    today = today or date.today()
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for loan, stage in due_reminders(today):
        counts[_remind(loan, stage)] += 1
    return counts


def _remind(loan: Loan, stage: Stage) -> str:
    place = db.session.get(Location, loan.location_id).name
    subject, body = compose(loan, stage.name, place)
    to_address = loan.borrower.identity.contact.strip()
    reminder = _claim(loan, stage.name, to_address, subject)
    if reminder is None:
        return "skipped"  # another worker has it
    message = _message(to_address, subject, body)
    try:
        _send(message)
    except (OSError, smtplib.SMTPException, LookupError) as exc:
        reminder.status, reminder.error = "failed", str(exc)[:2000] or repr(exc)
    else:
        reminder.status, reminder.error = "sent", None
        reminder.message_id = message["Message-ID"]
    reminder.sent_at = utcnow()
    db.session.commit()
    return reminder.status


def _claim(loan: Loan, stage: str, to_address: str, subject: str):
    """This worker's Reminder row for (loan, stage, due date); None if taken."""
    loan_id, due_on = loan.id, loan.due_on
    claimed = db.session.execute(
        sa.update(Reminder)
        .where(
            Reminder.loan_id == loan_id,
            Reminder.stage == stage,
            Reminder.due_on == due_on,
            Reminder.status == "failed",
        )
        .values(status=SENDING, to_address=to_address, subject=subject)
    ).rowcount
    if claimed:
        db.session.commit()
        return db.session.scalar(
            sa.select(Reminder).filter_by(loan_id=loan_id, stage=stage, due_on=due_on)
        )
    reminder = Reminder(
        loan_id=loan_id,
        stage=stage,
        due_on=due_on,
        to_address=to_address,
        subject=subject,
        status=SENDING,
    )
    db.session.add(reminder)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    return reminder


def _message(to_address: str, subject: str, body: str) -> EmailMessage:
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def _send(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        raise LookupError("no mail server configured (ASSETTRACK_MAIL_SERVER)")
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=15) as smtp:
        if config.get("MAIL_STARTTLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def call_list(user: User, today: date) -> list[dict]:
    """Overdue open loans of the desk's organisation, longest overdue first."""
    select = (
        sa.select(Loan)
        .join(Location, Location.id == Loan.location_id)
        .where(Loan.closed_at.is_(None), Loan.due_on < today)
        .where(Loan.borrower_id.is_not(None))
        .order_by(Loan.due_on, Loan.id)
    )
    if user.role != "admin":
        select = select.where(Location.organisation_id == user.organisation_id)
    loans = db.session.scalars(select).unique().all()
    sent = _reminders_of([loan.id for loan in loans])
    rows = []
    for loan in loans:
        borrower: Borrower = loan.borrower
        identity = borrower.identity
        contact = identity.contact if identity else ""
        rows.append(
            {
                "loan": loan.id,
                "borrower": borrower.code,
                "name": identity.name if identity else "",
                "contact": contact,
                "language": identity.language if identity else DEFAULT,
                "by_email": is_email(contact),
                "device": loan.device.asset_tag,
                "model": f"{loan.device.make} {loan.device.model}".strip(),
                "due_on": loan.due_on,
                "days_overdue": (today - loan.due_on).days,
                "reminders": sent.get(loan.id, []),
            }
        )
    return rows


def _reminders_of(loan_ids: list[int]) -> dict[int, list[Reminder]]:
    found: dict[int, list[Reminder]] = {}
    if loan_ids:
        for reminder in db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.loan_id.in_(loan_ids))
            .order_by(Reminder.sent_at)
        ):
            found.setdefault(reminder.loan_id, []).append(reminder)
    return found


def run_job(params: dict, progress) -> tuple[bytes, str]:
    """The "reminders" job: send what is due on `params["today"]` (default today)."""
    today = date.fromisoformat(params["today"]) if params.get("today") else None
    counts = send_due(today)
    progress(1, 1)
    return json.dumps(counts).encode(), "application/json"


def scheduled(today: str | None = None) -> dict:
    """What cron's `flask reminders send` enqueues: no user, no job row."""
    return send_due(date.fromisoformat(today) if today else None)


jobs.KINDS[JOB] = run_job
