"""Rate limits, counted in Redis when the app has one, else in this process.

Certificate numbers are sequential, passwords can be guessed and a token can be
run in a loop: these limits slow that to a crawl. With `REDIS_URL` every service
process and machine counts in one place (the Redis rq uses, keys under the
app's RATE_LIMIT_PREFIX), so N gunicorn workers allow the limit, not N times it.
Without Redis (the embedded mode) each process counts alone.

The counting is the `limits` library's moving window (the storage layer under
Flask-Limiter): exact, like the old per-process deque, and one Lua call per
request in Redis. Counters are keyed by an address, a device id or a token id,
never by a token or a password.

If Redis is configured but unreachable, requests are allowed (a warning is
logged) and Redis is not asked again for a few seconds: a missing limit for a
while is better than refusing everyone or making every request wait for a
timeout. Behind a reverse proxy the client address is the proxy's unless the
proxy passes it on (werkzeug's ProxyFix): set a limit there too (nginx
limit_req).
"""

import functools
import logging
import threading
import time

from flask import Flask
from flask import current_app
from flask import request
from limits import RateLimitItem
from limits import RateLimitItemPerMinute
from limits import parse
from limits.storage import MemoryStorage
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

_KEY = "assettrack.rate_limits"
PAUSE_S = 10.0  # after a Redis failure, allow without asking for this long
REDIS_TIMEOUT_S = 0.5  # a limit check must not hold a request up for long
MAX_KEYS = 10_000  # in memory: forget everyone rather than grow without bound


class Limiter:
    """One app's counters: shared in Redis, or this process's own."""

    def __init__(self, redis_url: str | None, prefix: str) -> None:
        self.shared = bool(redis_url)
        if redis_url:
            storage = RedisStorage(
                redis_url,
                key_prefix=prefix,
                socket_connect_timeout=REDIS_TIMEOUT_S,
                socket_timeout=REDIS_TIMEOUT_S,
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.window = MovingWindowRateLimiter(storage)
        self.paused_until = 0.0
        self.lock = threading.Lock()

    def wait(self, item: RateLimitItem, bucket: str, key: str) -> float:
        """Count one request; 0 when it may go ahead, else seconds until one may."""
        if self.paused_until and time.monotonic() < self.paused_until:
            return 0.0
        if not self.shared and len(getattr(self.storage, "events", ())) > MAX_KEYS:
            self.storage.reset()  # its expiry empties lists but keeps their keys
        try:
            if self.window.hit(item, bucket, key):
                return 0.0
            reset_at, _remaining = self.window.get_window_stats(item, bucket, key)
        except Exception as exc:  # Redis down or confused: allow, say so
            if not self.shared:
                raise
            self._pause(exc)
            return 0.0
        return max(reset_at - time.time(), 0.001)

    def _pause(self, exc: Exception) -> None:
        with self.lock:
            already = time.monotonic() < self.paused_until
            self.paused_until = time.monotonic() + PAUSE_S
        if not already:
            log.warning(
                "rate limits are not counted for %ss: Redis is unreachable (%s)",
                PAUSE_S,
                exc,
            )


def limiter(app: Flask) -> Limiter:
    """The app's counters, made on first use."""
    found = app.extensions.get(_KEY)
    if found is None:
        prefix = app.config.get("RATE_LIMIT_PREFIX") or (
            f"{app.config.get('RQ_QUEUE') or 'assettrack'}-limits"
        )
        found = app.extensions.setdefault(
            _KEY, Limiter(app.config.get("REDIS_URL"), prefix)
        )
    return found


@functools.lru_cache(maxsize=64)
def _item(setting: int | str) -> RateLimitItem | None:
    """A limit from a setting: requests per minute (int) or "600/minute"."""
    if isinstance(setting, str):
        text = setting.strip()
        if text.isdigit():
            setting = int(text)
        elif text:
            try:
                return parse(text)
            except ValueError as exc:
                raise ValueError(
                    f"a rate limit reads like '600/minute', not {text!r}"
                ) from exc
        else:
            return None
    return RateLimitItemPerMinute(setting) if setting > 0 else None


def wait_needed(bucket: str, limit_setting: str) -> float:
    """Count this request in `bucket`; seconds to wait when over the limit, else 0.

    `limit_setting` names the config key holding the limit (0: off). Counted per
    client address. For pages, which answer a 429 page of their own.
    """
    return wait_for(bucket, client_address(), limit_setting)


def wait_for(bucket: str, key: str, limit_setting: str) -> float:
    """Like `wait_needed`, counting per `key` (a device, say) instead of address."""
    item = _item(current_app.config.get(limit_setting) or 0)
    if item is None:
        return 0.0
    return limiter(current_app).wait(item, bucket, key)


def refuse_over(bucket: str, key: str, limit_setting: str, message: str) -> None:
    """Raise 429 with Retry-After (whole seconds) when `key` is over the limit."""
    if wait := wait_for(bucket, key, limit_setting):
        raise TooManyRequests(message, retry_after=retry_after(wait))


def retry_after(wait: float) -> int:
    """Whole seconds for a Retry-After header: rounded up, at least 1."""
    return max(1, int(wait + 0.999))


def client_address() -> str:
    return request.remote_addr or "unknown"


def rate_limited(bucket: str, limit_setting: str):
    """Refuse a client's requests beyond the limit with 429 and Retry-After."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refuse_over(
                bucket,
                client_address(),
                limit_setting,
                "too many requests from your address; try again in a minute",
            )
            return view(*args, **kwargs)

        return wrapper

    return decorate


def limit_api_address() -> None:
    """Before every API request without a token: the per-address limit."""
    if not request.headers.get("Authorization"):
        refuse_api_address()


def refuse_api_address() -> None:
    """429 when this address sent too many API requests without a valid token."""
    refuse_over(
        "api-address",
        client_address(),
        "API_ADDRESS_RATE_LIMIT",
        "too many requests without a valid token from your address; try again later",
    )


def refuse_api_token(token_id: int) -> None:
    """429 when this token (by its id, never itself) sent too many requests."""
    refuse_over(
        "api-token",
        str(token_id),
        "API_RATE_LIMIT",
        "too many requests with this token; try again later",
    )
