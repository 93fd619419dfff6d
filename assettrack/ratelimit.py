"""A per-process limit on public requests per client address.

Certificate numbers are sequential with a computable check character, so anyone
could walk through them; this slows that down to a crawl without Redis. Each
service process counts on its own (N processes allow N times the limit), and
behind a reverse proxy the client address is the proxy's unless the proxy
passes it on (werkzeug's ProxyFix): set a limit there too (nginx limit_req).
"""

import functools
import threading
import time
from collections import deque

from flask import Flask
from flask import current_app
from flask import request
from werkzeug.exceptions import TooManyRequests

_KEY = "assettrack.rate_limits"
WINDOW_S = 60.0
MAX_CLIENTS = 10_000  # forget everyone rather than grow without bound


class _Limiter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[tuple[str, str], deque] = {}

    def allow(self, bucket: str, client: str, limit: int, now: float) -> float:
        """0 when this request may go ahead, else seconds until one may."""
        with self.lock:
            if len(self.seen) > MAX_CLIENTS:
                self.seen.clear()
            times = self.seen.setdefault((bucket, client), deque())
            while times and times[0] <= now - WINDOW_S:
                times.popleft()
            if len(times) >= limit:
                return times[0] + WINDOW_S - now
            times.append(now)
            return 0.0


def _limiter(app: Flask) -> _Limiter:
    limiter = app.extensions.get(_KEY)
    if limiter is None:
        limiter = app.extensions.setdefault(_KEY, _Limiter())
    return limiter


def wait_needed(bucket: str, limit_setting: str) -> float:
    """Count this request in `bucket`; seconds to wait when over the limit, else 0.

    `limit_setting` names the config key holding the requests per minute (0: off).
    For pages, which answer a 429 page of their own.
    """
    return wait_for(bucket, request.remote_addr or "unknown", limit_setting)


def wait_for(bucket: str, key: str, limit_setting: str) -> float:
    """Like `wait_needed`, counting per `key` (a device, say) instead of address."""
    limit = current_app.config.get(limit_setting) or 0
    if limit <= 0:
        return 0.0
    return _limiter(current_app).allow(bucket, key, limit, time.monotonic())


def rate_limited(bucket: str, limit_setting: str):
    """Refuse a client's requests beyond the limit with 429 and Retry-After."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            wait = wait_needed(bucket, limit_setting)
            if wait:
                raise TooManyRequests(
                    "too many requests from your address; try again in a minute",
                    retry_after=max(1, int(wait + 0.999)),
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate
