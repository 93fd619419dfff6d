"""The funder's figures: as JSON, as a file made in the background, per batch."""

from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import Donation
from assettrack.reporting import export
from assettrack.reporting.fate import fate
from assettrack.reporting.figures import figures
from assettrack.reporting.period import Period
from assettrack.schemas.figures import DonationFateSchema
from assettrack.schemas.figures import FiguresExportSchema
from assettrack.schemas.figures import FiguresSchema
from assettrack.schemas.figures import PeriodQuery
from assettrack.schemas.labels import JobSchema


@bp.get("/figures")
@requires("coordinator")
@query(PeriodQuery())
@responds(FiguresSchema())
def get_figures(args):
    """Figures for [from, to), counted from the events: no borrower is named."""
    return figures(Period(args["from_"], args["to"]))


@bp.post("/figures/exports")
@requires("coordinator")
@body(FiguresExportSchema())
@responds(JobSchema(), 202)
def export_figures(data):
    """Start a CSV (zip) or XLSX file of the figures; the job says when it is done."""
    return export.request_export(data, current_user())


@bp.get("/donations/<id:donation_id>/fate")
@requires("coordinator")
@responds(DonationFateSchema())
def donation_fate(donation_id):
    """What became of each device of a batch, with its erasure certificate numbers."""
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        raise ApiError(404, f"no donation {donation_id}")
    return fate(donation)
