"""Forgetting borrowers: after the retention period, or when they ask.

What goes is who they are (the borrower and identity rows) and the link from
their loans to them. What stays on each loan is what the statistics need: the
target group, the municipality and a keyed pseudonym (HMAC of the borrower id
with the app's secret key), so loans of one person can still be counted as
one person without anyone being able to say who. Reminders lose the address
they were sent to. Workflow events never held names, so they stay as they are.
"""

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from assettrack import jobs
from assettrack.extensions import db
from assettrack.lending import pseudonym
from assettrack.models import Borrower
from assettrack.models import Loan
from assettrack.models import Reminder
from assettrack.models import User
from assettrack.problems import Refusal
from assettrack.workflow import NotPermitted

JOB = "anonymise"


def _has_open_loan(borrower_id):
    return (
        sa.select(Loan.id)
        .where(Loan.borrower_id == borrower_id, Loan.closed_at.is_(None))
        .exists()
    )


def past_retention(today: date) -> list[Borrower]:
    """Borrowers with no open loan whose last return (or, never having borrowed,
    their registration) is more than the retention period ago."""
    days = current_app.config["RETENTION_DAYS"]
    cutoff = datetime.combine(today - timedelta(days=days), time(), tzinfo=UTC)
    last_return = (
        sa.select(sa.func.max(Loan.closed_at))
        .where(Loan.borrower_id == Borrower.id)
        .scalar_subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Borrower)
            .where(~_has_open_loan(Borrower.id))
            .where(sa.func.coalesce(last_return, Borrower.created_at) < cutoff)
            .order_by(Borrower.id)
        ).unique()
    )


def anonymise_due(today: date | None = None) -> int:
    """Anonymise every borrower past retention, in one commit; how many."""
    borrowers = past_retention(today or date.today())
    for borrower in borrowers:
        _erase(borrower)
    db.session.commit()
    return len(borrowers)


def forget(borrower: Borrower, user: User) -> int:
    """The right to be forgotten, asked at the desk; how many loans were kept.

    Refused while a loan is open: the desk must still know who has the device.

    :raises NotPermitted: another organisation's borrower (403).
    :raises Refusal: a loan is open (409); nothing is changed.
    """
    if user.role != "admin" and borrower.organisation_id != user.organisation_id:
        raise NotPermitted("forget another organisation's borrowers", user.role)
    if db.session.scalar(sa.select(_has_open_loan(borrower.id))):
        raise Refusal(
            "borrower",
            f"borrower {borrower.code} still has a device on loan; "
            "take it back before forgetting them",
            409,
        )
    loans = _erase(borrower)
    db.session.commit()
    return loans


def _erase(borrower: Borrower) -> int:
    """Keep the figures on each loan, then delete who the borrower was."""
    db.session.execute(
        sa.update(Reminder)
        .where(
            Reminder.loan_id.in_(
                sa.select(Loan.id).where(Loan.borrower_id == borrower.id)
            )
        )
        .values(to_address="")
        .execution_options(synchronize_session="fetch")
    )
    loans = (
        db.session.scalars(sa.select(Loan).where(Loan.borrower_id == borrower.id))
        .unique()
        .all()
    )
    for loan in loans:
        loan.borrower_pseudonym = loan.borrower_pseudonym or pseudonym(borrower.id)
        loan.borrower_group = loan.borrower_group or borrower.target_group
        loan.borrower_municipality = loan.borrower_municipality or borrower.municipality
        loan.borrower_id = None
        loan.borrower = None
    db.session.flush()
    db.session.delete(borrower)
    db.session.flush()
    return len(loans)


def run_job(params: dict, progress) -> tuple[bytes, str]:
    """The "anonymise" job: anonymise who is past retention on `params["today"]`."""
    today = date.fromisoformat(params["today"]) if params.get("today") else None
    count = anonymise_due(today)
    progress(1, 1)
    return json.dumps({"anonymised": count}).encode(), "application/json"


def scheduled(today: str | None = None) -> dict:
    """What cron's `flask borrowers anonymise` enqueues: no user, no job row."""
    return {"anonymised": anonymise_due(date.fromisoformat(today) if today else None)}


jobs.KINDS[JOB] = run_job
