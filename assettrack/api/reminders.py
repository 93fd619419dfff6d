"""The lending desk's overdue loans to call about, and forgetting a borrower."""

from datetime import date

from assettrack import anonymising
from assettrack import lending
from assettrack import reminders
from assettrack.api import bp
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.errors import ApiError
from assettrack.schemas.reminders import CallListSchema
from assettrack.schemas.reminders import ForgottenSchema


@bp.get("/loans/overdue-calls")
@requires("desk")
@responds(CallListSchema())
def overdue_calls():
    """Overdue loans of the desk's organisation: whom to call, longest overdue first."""
    return {"items": reminders.call_list(current_user(), date.today())}


@bp.delete("/borrowers/<code>")
@requires("desk")
@responds(ForgottenSchema())
def forget_borrower(code):
    """Forget a borrower on their request; refused (409) while a loan is open."""
    borrower = lending.borrower_of(current_user(), code[:40])
    if borrower is None:  # or another organisation's: they may not know
        raise ApiError(404, "no such borrower")
    loans = anonymising.forget(borrower, current_user())
    return {"borrower": code, "loans": loans}
