"""Stock: where the devices are, in which state, of which kind (issue 7)."""

from assettrack import stock
from assettrack.api import bp
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.schemas.stock import StockQuery
from assettrack.schemas.stock import StockSchema


@bp.get("/stock")
@requires("coordinator", "repair", "desk")
@query(StockQuery())
@responds(StockSchema())
def get_stock(args):
    """Counts by place (or organisation, municipality) × state × kind, with totals.

    Coordinators see every place; a repair partner or desk its organisation's.
    """
    return stock.count(current_user(), **args)
