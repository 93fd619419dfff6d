"""The JSON API, version 1 (the contract in API.md)."""

from flask import Blueprint

from assettrack.ratelimit import limit_api_address

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Requests without a token count per address; with one, per token (auth.py).
bp.before_request(limit_api_address)

from assettrack.api import agent  # noqa: E402,F401  (routes register on bp)
from assettrack.api import audit  # noqa: E402,F401
from assettrack.api import certificates  # noqa: E402,F401
from assettrack.api import devices  # noqa: E402,F401
from assettrack.api import figures  # noqa: E402,F401
from assettrack.api import health  # noqa: E402,F401
from assettrack.api import labels  # noqa: E402,F401
from assettrack.api import openapi  # noqa: E402,F401
from assettrack.api import people  # noqa: E402,F401
from assettrack.api import places  # noqa: E402,F401
from assettrack.api import quality  # noqa: E402,F401
from assettrack.api import records  # noqa: E402,F401
from assettrack.api import reminders  # noqa: E402,F401
from assettrack.api import scan  # noqa: E402,F401
from assettrack.api import stock  # noqa: E402,F401
from assettrack.api import stock_takes  # noqa: E402,F401
from assettrack.api import tags  # noqa: E402,F401
