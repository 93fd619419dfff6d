"""Borrowers and loans: queries and records for the lending desk."""

from datetime import date

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import Loan
from assettrack.models import User
from assettrack.problems import Refusal


def borrowers_of(user: User) -> sa.Select:
    """A desk sees only its own organisation's borrowers (DESIGN.md, Privacy)."""
    select = sa.select(Borrower).order_by(Borrower.code)
    if user.role != "admin":
        select = select.where(Borrower.organisation_id == user.organisation_id)
    return select


def create_borrower(data: dict, user: User) -> Borrower:
    if user.organisation_id is None:
        raise Refusal("organisation", "your account belongs to no organisation", 409)
    if db.session.scalar(sa.select(Borrower.id).filter_by(code=data["code"])):
        raise Refusal("code", "a borrower with this card number exists")
    borrower = Borrower(organisation_id=user.organisation_id, **data)
    db.session.add(borrower)
    db.session.commit()
    return borrower


def loans(args: dict) -> sa.Select:
    select = sa.select(Loan).order_by(Loan.due_on, Loan.id)
    if args.get("overdue") is True:
        select = select.where(Loan.closed_at.is_(None), Loan.due_on < date.today())
    if "open" in args:
        closed = (
            Loan.closed_at.is_(None) if args["open"] else Loan.closed_at.is_not(None)
        )
        select = select.where(closed)
    return select
