"""Borrowers, loan policies, agreements and loans: the lending desk's records.

A borrower's name and contact live in `BorrowerIdentity`, apart from loans and
device events: events and loans name a borrower by card number only, and a loan
keeps pseudonymous figures (group, municipality, HMAC of the id) for statistics.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app

from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import BorrowerIdentity
from assettrack.models import Loan
from assettrack.models import LoanAgreement
from assettrack.models import LoanPolicy
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.problems import Refusal
from assettrack.workflow import BorrowerFacts

TARGET_GROUPS = ("job_seeker", "pupil_student", "senior", "newcomer", "other")
# Which kind of ID document the desk saw: never its number.
ID_DOCUMENTS = ("eid", "passport", "residence_permit", "other", "none")
ACCESSORIES = ("charger", "bag", "mouse", "other")


# --- borrowers ----------------------------------------------------------------------


def borrowers_of(user: User, q: str | None = None) -> sa.Select:
    """A desk sees only its own organisation's borrowers (DESIGN.md, Privacy).

    `q` finds a borrower by card number or by a part of their name.
    """
    select = sa.select(Borrower).order_by(Borrower.code)
    if user.role != "admin":
        select = select.where(Borrower.organisation_id == user.organisation_id)
    if q:
        pattern = (
            "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        named = sa.select(BorrowerIdentity.borrower_id).where(
            BorrowerIdentity.name.ilike(pattern, escape="\\")
        )
        select = select.where(
            sa.or_(Borrower.code.ilike(pattern, escape="\\"), Borrower.id.in_(named))
        )
    return select


def borrower_of(user: User, code: str) -> Borrower | None:
    """The borrower with this card number, if `user` may see them."""
    return db.session.scalar(
        borrowers_of(user).where(sa.func.upper(Borrower.code) == code.upper())
    )


def _next_code() -> str:
    """A free card number "B-" + number, one more than the highest so far."""
    codes = db.session.scalars(
        sa.select(Borrower.code).where(Borrower.code.like("B-%"))
    )
    numbers = [int(c[2:]) for c in codes if c[2:].isdigit()]
    return f"B-{max(numbers, default=0) + 1:04d}"


def _lending_point(location_id: int | None, user: User) -> int | None:
    """The registering lending point: given, or the organisation's only one."""
    own = sa.select(Location.id).where(
        Location.organisation_id == user.organisation_id, Location.kind == "lending"
    )
    points = list(db.session.scalars(own))
    if location_id is None:
        return points[0] if len(points) == 1 else None
    if location_id not in points and user.role != "admin":
        raise Refusal("location", "not a lending point of your organisation")
    if db.session.get(Location, location_id) is None:
        raise Refusal("location", "no such location")
    return location_id


def register_borrower(data: dict, user: User) -> Borrower:
    """Register a borrower for `user`'s organisation; the identity kept apart."""
    if user.organisation_id is None:
        raise Refusal("organisation", "your account belongs to no organisation", 409)
    data = dict(data)
    identity = BorrowerIdentity(**data.pop("identity"))
    code = data.pop("code", None) or _next_code()
    taken = sa.select(Borrower.id).where(sa.func.upper(Borrower.code) == code.upper())
    if db.session.scalar(taken):
        raise Refusal("code", "a borrower with this card number exists")
    data["location_id"] = _lending_point(data.get("location_id"), user)
    borrower = Borrower(
        code=code, organisation_id=user.organisation_id, identity=identity, **data
    )
    db.session.add(borrower)
    db.session.commit()
    return borrower


def pseudonym(borrower_id: int) -> str:
    """The same borrower always gives the same hex string; it names nobody.

    Kept on each loan at lend and by anonymising: one person, one pseudonym.
    """
    key = current_app.config["SECRET_KEY"].encode()
    message = f"borrower:{borrower_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def hold(borrower: Borrower) -> None:
    """Keep other lends to this borrower waiting until this transaction ends.

    Two desks lending two devices to one borrower at the same moment must count
    each other's loan against the maximum. Writing the borrower's row (to what
    it is) locks it on PostgreSQL and takes SQLite's one write lock, where a
    SELECT ... FOR UPDATE would do nothing.
    """
    db.session.execute(
        sa.update(Borrower.__table__)
        .where(Borrower.__table__.c.id == borrower.id)
        .values(id=Borrower.__table__.c.id)
    )


def borrower_facts(
    borrower: Borrower, today: date, in_basket: int = 0
) -> BorrowerFacts:
    """What eligibility to borrow looks at: anonymised, open and overdue loans."""
    open_loans = sa.select(Loan.due_on).where(
        Loan.borrower_id == borrower.id, Loan.closed_at.is_(None)
    )
    dues = list(db.session.scalars(open_loans))
    overdue = min((due for due in dues if due < today), default=None)
    return BorrowerFacts(
        anonymised=borrower.identity is None,
        open_loans=len(dues),
        in_basket=in_basket,
        overdue_since=overdue,
    )


# --- loan policies ------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    loan_days: int = 91
    renewal_days: int = 91
    max_renewals: int = 2
    max_open_loans: int = 1


DEFAULT_POLICY = Policy()


def policy_for(location_id: int | None, kind: str | None) -> Policy:
    """The most specific policy row: location and kind, location, kind, default."""
    rows = db.session.scalars(
        sa.select(LoanPolicy).where(
            sa.or_(
                LoanPolicy.location_id == location_id, LoanPolicy.location_id.is_(None)
            ),
            sa.or_(LoanPolicy.device_kind == kind, LoanPolicy.device_kind.is_(None)),
        )
    ).all()
    if not rows:
        return DEFAULT_POLICY
    best = max(
        rows, key=lambda r: (r.location_id is not None, r.device_kind is not None)
    )
    return Policy(
        best.loan_days, best.renewal_days, best.max_renewals, best.max_open_loans
    )


def policies() -> list[LoanPolicy]:
    """Every policy row, defaults (no place, no kind) first."""
    return db.session.scalars(
        sa.select(LoanPolicy).order_by(
            LoanPolicy.location_id.is_not(None),
            LoanPolicy.location_id,
            LoanPolicy.device_kind.is_not(None),
            LoanPolicy.device_kind,
        )
    ).all()


def set_policy(data: dict) -> LoanPolicy:
    """Create or change the policy of one place and kind (either may be "all")."""
    location_id, kind = data["location_id"], data["device_kind"]
    if location_id is not None:
        place = db.session.get(Location, location_id)
        if place is None or place.kind != "lending":
            raise Refusal("location", "no such lending point")
    row = db.session.scalar(
        sa.select(LoanPolicy).where(
            LoanPolicy.location_id.is_(None)
            if location_id is None
            else LoanPolicy.location_id == location_id,
            LoanPolicy.device_kind.is_(None)
            if kind is None
            else LoanPolicy.device_kind == kind,
        )
    ) or LoanPolicy(location_id=location_id, device_kind=kind)
    for name in ("loan_days", "renewal_days", "max_renewals", "max_open_loans"):
        setattr(row, name, data[name])
    db.session.add(row)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Refusal("location", "written twice at once; try again", 409) from exc
    return row


# --- agreements ---------------------------------------------------------------------


def current_agreement(organisation_id: int | None) -> LoanAgreement | None:
    """The organisation's latest agreement version, which a new loan must accept."""
    if organisation_id is None:
        return None
    return db.session.scalar(
        sa.select(LoanAgreement)
        .where(LoanAgreement.organisation_id == organisation_id)
        .order_by(LoanAgreement.version.desc())
        .limit(1)
    )


def agreements_of(user: User) -> sa.Select:
    select = sa.select(LoanAgreement).order_by(
        LoanAgreement.organisation_id, LoanAgreement.version.desc()
    )
    if user.role not in ("admin", "coordinator"):
        select = select.where(LoanAgreement.organisation_id == user.organisation_id)
    return select


def write_agreement(data: dict, user: User) -> LoanAgreement:
    """A new version of an organisation's agreement; earlier ones stay as signed."""
    organisation_id = data.get("organisation_id") or user.organisation_id
    if organisation_id is None:
        raise Refusal("organisation", "name the organisation the agreement is for")
    if db.session.get(Organisation, organisation_id) is None:
        raise Refusal("organisation", "no such organisation")
    latest = current_agreement(organisation_id)
    text = data["text"]
    agreement = LoanAgreement(
        organisation_id=organisation_id,
        version=(latest.version if latest else 0) + 1,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    db.session.add(agreement)
    try:
        db.session.commit()
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Refusal("organisation", "written twice at once; try again", 409) from exc
    return agreement


# --- loans --------------------------------------------------------------------------


def loans(args: dict, user: User | None = None) -> sa.Select:
    """Loans, a desk's own lending point(s) only (by the location's organisation)."""
    select = sa.select(Loan).order_by(Loan.due_on, Loan.id)
    if user is not None and user.role == "desk":
        own = sa.select(Location.id).where(
            Location.organisation_id == user.organisation_id
        )
        select = select.where(Loan.location_id.in_(own))
    if args.get("overdue") is True:
        select = select.where(Loan.closed_at.is_(None), Loan.due_on < date.today())
    if "open" in args:
        closed = (
            Loan.closed_at.is_(None) if args["open"] else Loan.closed_at.is_not(None)
        )
        select = select.where(closed)
    return select


def loan_of(user: User, loan_id: int) -> Loan | None:
    """The loan, if it is one of `user`'s lending point(s) (or `user` sees all)."""
    return db.session.scalar(loans({}, user).where(Loan.id == loan_id))
