"""The figures page's trends at 100k devices and ~1M events, in process.

    python bench/trends.py
    python bench/trends.py --db postgresql://postgres@127.0.0.1:5432/bench --rounds 5

The question (issue 7): how long do the two charts of the figures page take to
count for a year of a big digibank: the devices on hand per place over time
(`reporting.over_time`), and the time spent in each state
(`reporting.time_in_state`: the stays that ended in the year, and those still
open)? And the whole page, `GET /figures`, for the coordinator?

Uses bench/run.py's database (seeded when empty; its schema must be at head,
migration 0014 included) and bench/stock.py's coordinator password. These are
reports, not look-ups: measured in process (no HTTP), each `--rounds` times
after one warm-up, p50 and max printed. Before that (PostgreSQL), each query
they run that reads the devices or the events is shown with
`EXPLAIN (ANALYZE, BUFFERS)` and whether it reads a table whole or an index.
Exit status: 0 when every report is under `TARGET_S`, 1 when one is not, 2 on
an error.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from datetime import timedelta
from pathlib import Path

from run import database
from run import database_label
from seed import DESK_PASSWORD
from stock import COORDINATOR
from stock import DEFAULT_PG
from stock import READS
from stock import StockPlan
from stock import plan_of
from stock import print_plans
from stock import statements_of

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_S = 2.5  # a yearly report, not a look-up: worth a short wait, not more


def reports(app, today: date) -> dict:
    """What is measured: name -> a function that runs it once."""
    from assettrack import stock
    from assettrack.reporting.figures import figures
    from assettrack.reporting.over_time import last_months
    from assettrack.reporting.over_time import over_time
    from assettrack.reporting.period import Period
    from assettrack.reporting.time_in_state import ended_summary
    from assettrack.reporting.time_in_state import open_stays

    year = Period(today - timedelta(days=365), today + timedelta(days=1))
    weeks = Period(today - timedelta(days=56), today + timedelta(days=1))
    browser = app.test_client()
    answer = browser.post(
        "/login", data={"email": COORDINATOR, "password": DESK_PASSWORD}
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{COORDINATOR} could not log in: {answer.status_code}")

    def places():
        return list(stock.all_places().values())

    def page():
        answer = browser.get("/figures")
        if answer.status_code != 200:
            raise RuntimeError(f"GET /figures -> {answer.status_code}")

    return {
        "over_time, 12 months": lambda: over_time(last_months(today), places()),
        "over_time, 8 weeks": lambda: over_time(weeks, places()),
        "time_in_state: stays ended in a year": lambda: ended_summary(year),
        "time_in_state: stays open now": open_stays,
        "figures(year), all tables": lambda: figures(year),
        "GET /figures (page, this year)": page,
    }


def explain(app, runs: dict) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of each query a report runs on devices or events."""
    from assettrack.extensions import db

    found = {}
    with app.app_context():
        for name, run in runs.items():
            if name.startswith(("figures", "GET")):
                continue  # the other figures are bench/stock.py's and the API's
            for n, sql in enumerate(statements_of(db, run), 1):
                if READS.search(sql):
                    found[f"{name}, query {n}"] = sql
        plans = {name: plan_of(db, sql) for name, sql in found.items()}
        db.session.rollback()
    return plans


def measure(app, runs: dict, rounds: int) -> dict:
    from assettrack.extensions import db

    results = {}
    with app.app_context():
        for name, run in runs.items():
            run()  # warm-up: caches, plans
            db.session.rollback()
            seconds = []
            for _ in range(rounds):
                started = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - started)
                db.session.rollback()
            results[name] = {
                "n": rounds,
                "p50_s": statistics.median(seconds),
                "max_s": max(seconds),
            }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG, help="a postgresql:// URL")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()

    _, url = database(args.db, False)
    plan = StockPlan(url, 1)  # gives the coordinator the bench password
    os.environ["DATABASE_URL"] = url
    from assettrack.app import create_app

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        runs = reports(app, args.today)
    if url.startswith("postgresql"):
        print_plans(explain(app, runs))
    results = measure(app, runs, args.rounds)
    print(
        f"\nassettrack trends bench: {database_label(url)}; "
        f"{plan.devices:,} devices, {plan.events:,} events; "
        f"{args.rounds} rounds after one warm-up, in process\n"
    )
    print(f"{'report':44} {'p50 s':>7} {'max s':>7}")
    passed = True
    for name, found in results.items():
        ok = found["p50_s"] < TARGET_S
        passed &= ok
        print(
            f"{name:44} {found['p50_s']:>7.3f} {found['max_s']:>7.3f}"
            f"  {'PASS' if ok else 'FAIL'} (< {TARGET_S} s)"
        )
    return 0 if passed else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # noqa: BLE001  (the exit status says it failed)
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
