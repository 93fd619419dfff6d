"""Borrowers and loans, for lending desks (and coordinators' figures)."""

from assettrack import lending
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import page_of
from assettrack.schemas.people import BorrowerSchema
from assettrack.schemas.people import LoanQuery
from assettrack.schemas.people import LoanSchema

borrower_schema = BorrowerSchema()


@bp.get("/borrowers")
@requires("desk")
@query(PageQuery())
@responds(page_of(BorrowerSchema)())
def list_borrowers(args):
    return paginate(lending.borrowers_of(current_user()), **args)


@bp.post("/borrowers")
@requires("desk")
@body(borrower_schema)
@responds(borrower_schema, 201)
def create_borrower(data):
    return lending.create_borrower(data, current_user())


@bp.get("/loans")
@requires("desk", "coordinator")
@query(LoanQuery())
@responds(page_of(LoanSchema)())
def list_loans(args):
    return paginate(lending.loans(args), args["page"], args["per_page"])
