"""What scoping costs: the device list and one device, as a coordinator (who
reaches everything, no condition) and as a repair partner and a desk (who
reach only their organisation's places), next to a bare endpoint in one run.

    python bench/reach.py
    python bench/reach.py --db postgresql://postgres@127.0.0.1:5432/bench --rounds 300

The question (issue 8): does "a repair partner sees only devices in its care"
slow the lists down? The condition is `location_id IN (the organisation's
places) OR in_transit_to_id IN (...)` on every device query (reach.py).
Target: a scoped request's p95 under 100 ms, like the stock bench's.

Uses bench/run.py's database (seeded when empty; its schema must be at head:
`flask --app assettrack db upgrade` with DATABASE_URL set), gunicorn server,
percentiles and results file. A round sends, in a shuffled order, one
`GET /bench/bare` and, for each person, `GET /api/v1/devices` (first page of
50), the same filtered to one state, and one device they reach by tag.
Everything only reads. Exit status: 0 pass, 1 the target missed, 2 an error.
"""

import argparse
import os
import random
import time

import requests
import sqlalchemy as sa
from run import Server
from run import database
from run import database_label
from run import exit_with
from run import save
from run import serve_and_measure
from run import server_timing
from run import summary
from seed import TOKENS
from seed import desk_token

TARGET_MS = 100.0
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/bench"
PEOPLE = ("coordinator", "repair", "desk")
KINDS = {
    "list": "/api/v1/devices?per_page=50",
    "list state=ready": "/api/v1/devices?per_page=50&state=ready",
    "one device": "/api/v1/devices/{tag}",
}


class ReachPlan:
    """Who asks (their tokens) and a device each of them reaches."""

    def __init__(self, url: str, seed: int):
        self.rng = random.Random(seed)
        engine = sa.create_engine(url)
        with engine.connect() as c:
            self.devices = c.scalar(sa.text("SELECT count(*) FROM devices"))
            repair_org = c.scalar(
                sa.text("SELECT organisation_id FROM users WHERE email = :e"),
                {"e": "repair1@bench.example"},
            )
            # The busiest digileenplek's desk: the most devices to scope.
            desk_place, desk_org = c.execute(
                sa.text(
                    "SELECT l.id, l.organisation_id FROM locations l "
                    "JOIN devices d ON d.location_id = l.id WHERE l.kind = 'lending' "
                    "GROUP BY l.id ORDER BY count(*) DESC, l.id LIMIT 1"
                )
            ).one()

            def a_device_of(org: int) -> str:
                return c.scalar(
                    sa.text(
                        "SELECT d.asset_tag FROM devices d JOIN locations l "
                        "ON l.id = d.location_id WHERE l.organisation_id = :org "
                        "ORDER BY d.id LIMIT 1"
                    ),
                    {"org": org},
                )

            self.tokens = {
                "coordinator": TOKENS["coordinator"],
                "repair": TOKENS["repair"],
                "desk": desk_token(desk_place),
            }
            tags = {
                "coordinator": a_device_of(repair_org),
                "repair": a_device_of(repair_org),
                "desk": a_device_of(desk_org),
            }
        engine.dispose()
        self.paths = {
            (who, kind): path.format(tag=tags[who])
            for who in PEOPLE
            for kind, path in KINDS.items()
        }


def measure(server: Server, plan: ReachPlan, rounds: int, warmup: int) -> dict:
    sessions = {}
    for who, token in plan.tokens.items():
        sessions[who] = requests.Session()
        sessions[who].headers["Authorization"] = f"Bearer {token}"
    bare = requests.Session()
    timings: dict = {"bare": [], **{key: [] for key in plan.paths}}
    for number in range(warmup + rounds):
        warm = number < warmup
        order = [("bare", bare, "/bench/bare")] + [
            (key, sessions[key[0]], path) for key, path in plan.paths.items()
        ]
        plan.rng.shuffle(order)
        for key, session, path in order:
            headers = {"Connection": "close"} if warm else {}
            started = time.perf_counter()
            answer = session.get(server.base + path, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                raise RuntimeError(f"GET {path} -> {answer.status_code} {answer.text}")
            if not warm:
                timings[key].append(
                    (elapsed, *server_timing(answer.headers["Server-Timing"]))
                )
    for session in (*sessions.values(), bare):
        session.close()
    return timings


def report(label: str, plan: ReachPlan, args, timings: dict) -> tuple[dict, bool]:
    results = {
        ("bare" if key == "bare" else f"{key[0]}: {key[1]}"): summary(samples)
        for key, samples in timings.items()
    }
    print(f"\nassettrack reach bench: {label}; {plan.devices:,} devices")
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads "
        f"on 127.0.0.1, {os.cpu_count()} cores; "
        f"{args.rounds} rounds after {args.warmup} warm-up; seed {args.seed}"
    )
    print(f"load average (1 min) {args.load[0]:.1f} before, {args.load[1]:.1f} after\n")
    print(f"{'request':34} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7}  (ms)")
    for name, r in results.items():
        figures = f"{r['p50']:>7.2f} {r['p95']:>7.2f} {r['p99']:>7.2f}"
        print(f"{name:34} {r['n']:>5} {figures}")
    print()
    passed = True
    for kind in KINDS:
        everything = results[f"coordinator: {kind}"]["p95"]
        for who in ("repair", "desk"):
            scoped = results[f"{who}: {kind}"]["p95"]
            ok = scoped < TARGET_MS
            passed &= ok
            print(
                f"{'PASS' if ok else 'FAIL'}  {who}: {kind} p95 {scoped:.1f} ms "
                f"< {TARGET_MS:.0f} ms (coordinator, unscoped: {everything:.1f} ms)"
            )
    return results, passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG, help="postgresql:// URL or sqlite")
    parser.add_argument("--rounds", type=int, default=300, help="rounds measured")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reseed", action="store_true", help="rebuild the database")
    args = parser.parse_args()

    target, url = database(args.db, args.reseed)
    plan = ReachPlan(url, args.seed)
    timings = serve_and_measure(target, args, measure, plan)
    label = database_label(url)
    results, passed = report(label, plan, args, timings)
    save(
        f"reach-{label.lower()}.json",
        {
            "database": label,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "args": vars(args),
            "devices": plan.devices,
            "paths": {f"{w}: {k}": p for (w, k), p in plan.paths.items()},
            "target_ms": TARGET_MS,
            "results": results,
            "passed": passed,
        },
    )
    return 0 if passed else 1


if __name__ == "__main__":
    exit_with(main)
