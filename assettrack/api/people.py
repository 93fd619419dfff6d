"""Borrowers, loans and loan agreements, for lending desks (and coordinators)."""

from flask import Response

from assettrack import lending
from assettrack import slips
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.errors import ApiError
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import page_of
from assettrack.schemas.people import BorrowerQuery
from assettrack.schemas.people import BorrowerSchema
from assettrack.schemas.people import LoanAgreementSchema
from assettrack.schemas.people import LoanPolicyListSchema
from assettrack.schemas.people import LoanPolicySchema
from assettrack.schemas.people import LoanQuery
from assettrack.schemas.people import LoanSchema

borrower_schema = BorrowerSchema()
agreement_schema = LoanAgreementSchema()


@bp.get("/borrowers")
@requires("desk")
@query(BorrowerQuery())
@responds(page_of(BorrowerSchema)())
def list_borrowers(args):
    user = current_user()
    return paginate(
        lending.borrowers_of(user, args.pop("q", None)), args["page"], args["per_page"]
    )


@bp.get("/borrowers/<code>")
@requires("desk")
@responds(borrower_schema)
def get_borrower(code):
    borrower = lending.borrower_of(current_user(), code[:40])
    if borrower is None:
        raise ApiError(404, "no such borrower")
    return borrower


@bp.post("/borrowers")
@requires("desk")
@body(borrower_schema)
@responds(borrower_schema, 201)
def create_borrower(data):
    return lending.register_borrower(data, current_user())


@bp.get("/loans")
@requires("desk", "coordinator")
@query(LoanQuery())
@responds(page_of(LoanSchema)())
def list_loans(args):
    loans = lending.loans(args, current_user())
    return paginate(loans, args["page"], args["per_page"])


@bp.get("/loans/<id:loan_id>/slip.pdf")
@requires("desk", "coordinator")
def loan_slip(loan_id):
    """The loan slip (PDF) the borrower signs and takes home."""
    loan = lending.loan_of(current_user(), loan_id)
    if loan is None:
        raise ApiError(404, f"no loan {loan_id}")
    pdf = slips.render_slip(slips.slip_facts(loan))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="loan-{loan_id}.pdf"',
            "Cache-Control": "no-store",  # it names the borrower
        },
    )


@bp.get("/loan-agreements")
@requires("desk", "coordinator")
@query(PageQuery())
@responds(page_of(LoanAgreementSchema)())
def list_agreements(args):
    return paginate(lending.agreements_of(current_user()), **args)


@bp.post("/loan-agreements")
@requires("coordinator")
@body(agreement_schema)
@responds(agreement_schema, 201)
def write_agreement(data):
    return lending.write_agreement(data, current_user())


@bp.get("/loan-policies")
@requires("desk", "coordinator")
@responds(LoanPolicyListSchema())
def list_policies():
    """The loan policies; the most specific row that fits a device applies."""
    return {"items": lending.policies(), "default": lending.DEFAULT_POLICY}


@bp.put("/loan-policies")
@requires("coordinator")
@body(LoanPolicySchema())
@responds(LoanPolicySchema())
def set_policy(data):
    """Set how long and how often one place (or all) lends one kind (or all)."""
    return lending.set_policy(data)
