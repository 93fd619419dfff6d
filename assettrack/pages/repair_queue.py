"""The repair queue page: what to fix first, with the findings behind each place.

The order and the categories are the domain's (`agents/server/repair_queue`,
`agents/ranking`); this view only shows a page of them, grouped by tab.
"""

from flask import render_template
from flask import request

from assettrack.agents.server import repair_queue
from assettrack.extensions import db
from assettrack.pages import bp
from assettrack.pages import findings
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required

PER_PAGE = 50


@bp.get("/repair-queue")
@role_required("repair", "coordinator")
def repair_queue_page():
    category = request.args.get("category")
    if category not in findings.CATEGORIES:
        category = None
    page = db.paginate(
        repair_queue.queue(me(), category),
        page=request.args.get("page", 1, type=int),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "repair/queue.html",
        page=page,
        category=category,
        categories=findings.CATEGORIES,
        words=findings,
    )
