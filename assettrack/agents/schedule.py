"""When `run` reports and when it tries again: jitter, so machines spread out.

Reports come every `report_interval_s` (the server's last word) less a random
sixth of it, so 300 laptops switched on at nine do not all report at nine
(GLPI does the same). After a failed send the spool is tried again after
`random(0, min(6 h, 30 s * 2^n))` ("full jitter"), or later if the server
said Retry-After; one success starts the count again. research/agents.md (g).
"""

import random
import time
from collections.abc import Callable

from assettrack.agents.sender import Sent

BASE_S = 30.0
CAP_S = 6 * 3600.0
FIRST_SPREAD_S = 300.0


def backoff_s(
    failures: int, rng: random.Random, retry_after_s: float | None = None
) -> float:
    """Seconds to wait after the `failures`-th failure in a row (1, 2, ...)."""
    ceiling = min(CAP_S, BASE_S * 2 ** min(max(failures - 1, 0), 32))
    delay = rng.uniform(0, ceiling)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, CAP_S))
    return delay


def next_report_in(interval_s: float, rng: random.Random) -> float:
    """The interval less up to a sixth of it, at random."""
    return interval_s - rng.uniform(0, interval_s / 6)


def first_report_in(interval_s: float, rng: random.Random) -> float:
    """A start-up spread: machines booted together report minutes apart."""
    return rng.uniform(0, min(interval_s / 6, FIRST_SPREAD_S))


def run_loop(
    collect: Callable[[], None],
    send: Callable[[], Sent],
    interval_s: Callable[[], float],
    rng: random.Random,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_wait: Callable[[float, str], None] = lambda seconds, why: None,
) -> Sent:
    """Collect on schedule and send what waits, until the server refuses the token.

    Returns the pass that was stopped by a 401 (revoked or unknown token).
    """
    sleep(first_report_in(interval_s(), rng))
    next_collect = clock()
    retry_at: float | None = None
    failures = 0
    while True:
        now = clock()
        if now >= next_collect:
            collect()
            next_collect = now + next_report_in(interval_s(), rng)
        if retry_at is None or now >= retry_at:
            sent = send()
            if sent.revoked or sent.unauthorized:
                return sent
            if sent.retry_later:
                failures += 1
                wait = backoff_s(failures, rng, sent.stopped_by.retry_after_s)
                retry_at = now + wait
                on_wait(wait, sent.stopped_by.describe())
            else:
                failures, retry_at = 0, None
        wake = next_collect if retry_at is None else min(next_collect, retry_at)
        sleep(max(0.0, wake - clock()))
