"""Stock-takes: count a room by scanning its labels, then correct the records."""

from assettrack import stocktaking
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import found
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.errors import ApiError
from assettrack.schemas.common import NoFieldsSchema
from assettrack.schemas.common import page_of
from assettrack.schemas.stock_takes import ScanBodySchema
from assettrack.schemas.stock_takes import StockTakeCorrectionsSchema
from assettrack.schemas.stock_takes import StockTakeQuery
from assettrack.schemas.stock_takes import StockTakeResultSchema
from assettrack.schemas.stock_takes import StockTakeScanSchema
from assettrack.schemas.stock_takes import StockTakeSchema
from assettrack.schemas.stock_takes import StockTakeStartSchema

COUNTERS = ("coordinator", "repair", "desk")


def _stock_take(stock_take_id: int):
    """The stock-take; 404 too when it is another organisation's."""
    found = stocktaking.get(current_user(), stock_take_id)
    if found is None:
        raise ApiError(404, f"no stock-take {stock_take_id}")
    return found


@bp.post("/stock-takes")
@requires(*COUNTERS)
@body(StockTakeStartSchema())
@responds(StockTakeResultSchema(), 201)
def start_stock_take(data):
    """Start counting a place: coordinators any place, others their organisation's.

    One open stock-take per place: 409 names the open one (details.stock_take).
    """
    try:
        stock_take = stocktaking.start(data["location"], current_user())
    except stocktaking.NotYours as exc:
        raise ApiError(403, str(exc)) from None
    except stocktaking.AlreadyOpen as exc:
        raise ApiError(409, str(exc), stock_take=exc.stock_take.id) from None
    return stocktaking.report(stock_take)


@bp.get("/stock-takes")
@requires(*COUNTERS)
@query(StockTakeQuery())
@responds(page_of(StockTakeSchema)())
def list_stock_takes(args):
    """The stock-takes of the places the user may count, the newest first."""
    select = stocktaking.visible(current_user(), args.get("location"))
    return paginate(select, args["page"], args["per_page"])


@bp.get("/stock-takes/<id:stock_take_id>")
@requires(*COUNTERS)
@responds(StockTakeResultSchema())
def get_stock_take(stock_take_id):
    """The result: found, missing, elsewhere, arriving, on the way, out, unknown."""
    return stocktaking.report(_stock_take(stock_take_id))


@bp.post("/stock-takes/<id:stock_take_id>/scans")
@requires(*COUNTERS)
@found("stock_take_id", _stock_take, into="stock_take")
@body(ScanBodySchema())
@responds(StockTakeScanSchema(), 201)
def scan_for_stock_take(stock_take, data):
    """Record one scanned code and say at once what it is; a device counts once.

    A tag whose check character fails is a misread: 422, nothing kept.
    """
    return stocktaking.scan(stock_take, data["code"], current_user())


@bp.post("/stock-takes/<id:stock_take_id>/corrections")
@requires(*COUNTERS)
@found("stock_take_id", _stock_take, into="stock_take")
@body(NoFieldsSchema(), optional=True)
@responds(StockTakeCorrectionsSchema())
def correct_stock_take(stock_take, data):
    """Record the corrections: relocate what was elsewhere, receive what was arriving.

    One event per device; a refused one is listed with its reasons and stops nothing.
    """
    return stocktaking.correct(stock_take, current_user())


@bp.post("/stock-takes/<id:stock_take_id>/close")
@requires(*COUNTERS)
@found("stock_take_id", _stock_take, into="stock_take")
@body(NoFieldsSchema(), optional=True)
@responds(StockTakeResultSchema())
def close_stock_take(stock_take, data):
    """Close the stock-take: no more scans; its lists are kept as they are now."""
    return stocktaking.report(stocktaking.close(stock_take, current_user()))
