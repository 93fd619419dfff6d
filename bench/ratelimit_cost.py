"""What a rate-limit check costs a request: in process memory, and in Redis.

    python bench/ratelimit_cost.py [--redis redis://127.0.0.1:6379/15] [-n 20000]

Times `ratelimit.Limiter.wait` (one moving-window hit: what every API request
with a token pays) in a loop, over as many distinct keys as a busy service has
tokens, with a limit high enough never to refuse; then the same with the limit
refused (a hit plus the window read for Retry-After). Keys go under a prefix of
this run's own and are deleted afterwards.
"""

import argparse
import statistics
import time
import uuid

import redis

from assettrack.ratelimit import Limiter
from assettrack.ratelimit import _item


def timed(limiter: Limiter, item, keys: int, n: int) -> list[float]:
    """Microseconds per check, in batches of 1,000."""
    per_batch = []
    for start in range(0, n, 1000):
        began = time.perf_counter()
        for i in range(start, start + 1000):
            limiter.wait(item, "bench", str(i % keys))
        per_batch.append((time.perf_counter() - began) * 1e6 / 1000)
    return per_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=200)
    args = parser.parse_args()
    prefix = f"bench-limits-{uuid.uuid4().hex}"
    allowed, refused = _item("1000000/minute"), _item("1/hour")
    try:
        for name, url in (("memory", None), ("redis", args.redis)):
            limiter = Limiter(url, prefix)
            for label, item in (("allowed", allowed), ("refused", refused)):
                timed(limiter, item, args.keys, 1000)  # warm up
                batches = timed(limiter, item, args.keys, args.n)
                print(
                    f"{name:6} {label:7} median {statistics.median(batches):7.1f} µs"
                    f"  p90 {statistics.quantiles(batches, n=10)[-1]:7.1f} µs"
                    " per check"
                )
    finally:
        connection = redis.Redis.from_url(args.redis)
        keys = connection.keys(f"{prefix}*")
        if keys:
            connection.delete(*keys)


if __name__ == "__main__":
    main()
