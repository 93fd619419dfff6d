"""The stock endpoint and the stock page, next to a bare endpoint in the same run.

    python bench/stock.py
    python bench/stock.py --db postgresql://postgres@127.0.0.1:5432/bench --rounds 300

The question (issue 7): does a coordinator see the stock of 100k devices (~1M
events) fast enough, as JSON (`GET /api/v1/stock`) and as the page (`GET /stock`,
table and bar chart)? Target: p95 under 100 ms for every request kind.

Uses bench/run.py's database (seeded when empty; its schema must be at head),
gunicorn server, percentiles and results file. The API is asked with the
coordinator's bearer token; the page by the coordinator logged in on the login
page (given the bench password of bench/seed.py when it has none, as
bench/desk.py does for desk users). A round sends, in a shuffled order, one
`GET /bench/bare` and one of each stock request: the three groupings, filters
by state, kind and one place, and the page grouped by place and by municipality.
Stock requests read only, so the database stays as it was.

Before the run (PostgreSQL only), the queries reading devices or their events
are taken from the code itself: the select `stock.count` executes for each
filter, and those `GET /stock` executes (in process, Flask test client), each
compiled with literal binds. Each is shown with `EXPLAIN (ANALYZE, BUFFERS)`
and whether PostgreSQL reads a table whole (seq scan) or through an index.
Exit status: 0 pass, 1 the target missed, 2 an error.
"""

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

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
from seed import DESK_PASSWORD
from seed import TOKENS
from seed import desk_password_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_MS = 100.0
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/bench"
COORDINATOR = "coordinator@bench.example"
CSRF = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')
# What each request kind asks; {place} is the busiest digileenplek.
REQUESTS = {
    "api location": ("api", "/api/v1/stock?group=location"),
    "api organisation": ("api", "/api/v1/stock?group=organisation"),
    "api municipality": ("api", "/api/v1/stock?group=municipality"),
    "api state=ready": ("api", "/api/v1/stock?group=location&state=ready"),
    "api kind=laptop": ("api", "/api/v1/stock?group=organisation&kind=laptop"),
    "api location=<place>": ("api", "/api/v1/stock?group=location&location={place}"),
    "page /stock": ("page", "/stock"),
    "page /stock?group=municipality": ("page", "/stock?group=municipality"),
}
# A query worth explaining reads the devices or their history.
READS = re.compile(r"\bFROM (devices|workflow_events)\b")
SCAN = re.compile(r"(Seq|Index|Index Only|Bitmap Heap) Scan")
SEQ = re.compile(r"Seq Scan on (\w+)")
EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")
# The filters of stock.count whose query is explained.
EXPLAINED = {
    "no filter": {},
    "state=ready": {"state": "ready"},
    "kind=laptop": {"kind": "laptop"},
    "location=<place>": {"location": None},  # the busiest digileenplek
}


class StockPlan:
    """What the run asks for, from the database; the coordinator gets a password."""

    def __init__(self, url: str, seed: int):
        self.rng = random.Random(seed)
        engine = sa.create_engine(url)
        with engine.begin() as c:
            self.devices = c.scalar(sa.text("SELECT count(*) FROM devices"))
            self.events = c.scalar(sa.text("SELECT count(*) FROM workflow_events"))
            self.password_set = c.execute(
                sa.text(
                    "UPDATE users SET password_hash = :hash "
                    "WHERE email = :email AND password_hash IS NULL"
                ),
                {"hash": desk_password_hash(), "email": COORDINATOR},
            ).rowcount
            self.place = c.scalar(
                sa.text(
                    "SELECT l.id FROM locations l JOIN devices d "
                    "ON d.location_id = l.id OR d.home_location_id = l.id "
                    "WHERE l.kind = 'lending' GROUP BY l.id "
                    "ORDER BY count(*) DESC, l.id LIMIT 1"
                )
            )
        engine.dispose()
        self.paths = {
            name: (what, path.format(place=self.place))
            for name, (what, path) in REQUESTS.items()
        }


def explain(url: str, place: int) -> dict:
    """EXPLAIN (ANALYZE, BUFFERS) of the queries that read devices or events.

    Those of `stock.count` per filter (the API's), and those `GET /stock` runs
    (the page's), each the select SQLAlchemy executes, with literal binds.
    """
    os.environ["DATABASE_URL"] = url
    from assettrack import stock
    from assettrack.app import create_app
    from assettrack.extensions import db
    from assettrack.models import User

    app = create_app({"WTF_CSRF_ENABLED": False})
    found = {}
    with app.app_context():

        def sql_of(run) -> list[str]:
            return [sql for sql in statements_of(db, run) if READS.search(sql)]

        coordinator = db.session.scalar(sa.select(User).filter_by(email=COORDINATOR))
        for name, filters in EXPLAINED.items():
            filters = {k: place if v is None else v for k, v in filters.items()}
            counted = sql_of(lambda f=filters: stock.count(coordinator, **f))
            for n, sql in enumerate(counted, 1):
                found[f"stock.count, {name}, query {n} of {len(counted)}"] = sql
        browser = app.test_client()
        browser.post("/login", data={"email": COORDINATOR, "password": DESK_PASSWORD})
        page = sql_of(lambda: browser.get("/stock"))
        for n, sql in enumerate(page, 1):
            table = READS.search(sql).group(1)
            found[f"GET /stock, query {n} of {len(page)} ({table})"] = sql
        plans = {name: plan_of(db, sql) for name, sql in found.items()}
        db.session.rollback()
    return plans


def statements_of(db, run) -> list[str]:
    """The SQL of every ORM statement `run()` executes, with literal values."""
    seen = []

    def keep(state):
        seen.append(state.statement)

    sa.event.listen(sa.orm.Session, "do_orm_execute", keep)
    try:
        run()
    finally:
        sa.event.remove(sa.orm.Session, "do_orm_execute", keep)
    dialect = db.engine.dialect
    return [
        str(s.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for s in seen
    ]


def plan_of(db, sql: str) -> dict:
    lines = [
        row[0]
        for row in db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql))
    ]
    text = "\n".join(lines)
    return {
        "sql": sql,
        "plan": text,
        "scans": [line.strip(" ->") for line in lines if SCAN.search(line)],
        "seq_scans": sorted(set(SEQ.findall(text))),
        "execution_ms": float(EXECUTION.search(text).group(1)),
    }


def print_plans(plans: dict) -> None:
    for name, found in plans.items():
        print(f"\n--- {name} ---\n{found['sql']}\n")
        print(found["plan"])
        how = (
            "SEQ SCAN on " + ", ".join(found["seq_scans"])
            if found["seq_scans"]
            else "index"
        )
        print(f"=> {how}; {found['execution_ms']:.1f} ms in PostgreSQL")
    if plans:
        print("\nsummary of the plans:")
        for name, found in plans.items():
            how = ", ".join(f"seq scan on {t}" for t in found["seq_scans"]) or "index"
            print(f"  {name:52} {found['execution_ms']:>7.1f} ms  {how}")


def csrf_token(page: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise RuntimeError("no CSRF token on the login page")
    return found.group(1)


def log_in(server: Server) -> requests.Session:
    """The coordinator's browser session, logged in on the login page."""
    browser = requests.Session()
    page = browser.get(server.base + "/login")
    answer = browser.post(
        server.base + "/login?next=/stock",
        data={
            "email": COORDINATOR,
            "password": DESK_PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{COORDINATOR} could not log in: {answer.status_code}")
    return browser


def measure(server: Server, plan: StockPlan, rounds: int, warmup: int) -> dict:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {TOKENS['coordinator']}"
    browser = log_in(server)
    timings: dict[str, list] = {"bare": [], "api": [], "page": []}
    timings |= {name: [] for name in plan.paths}

    def timed(session, key, path, warm):
        # Warm-up uses a new connection each time, so every worker gets warm.
        headers = {"Connection": "close"} if warm else {}
        started = time.perf_counter()
        answer = session.get(server.base + path, headers=headers, allow_redirects=False)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(
                f"GET {path} -> {answer.status_code} {answer.text[:300]}"
            )
        if not warm:
            sample = (elapsed, *server_timing(answer.headers["Server-Timing"]))
            timings[key].append(sample)
            return sample
        return None

    for number in range(warmup + rounds):
        warm = number < warmup
        order = [("bare", "bare", "/bench/bare")] + [
            (name, what, path) for name, (what, path) in plan.paths.items()
        ]
        plan.rng.shuffle(order)
        for name, what, path in order:
            session = browser if what == "page" else api
            sample = timed(session, name, path, warm)
            if sample and what != "bare":
                timings[what].append(sample)
    api.close()
    browser.close()
    return timings


def report(label: str, plan: StockPlan, args, timings: dict) -> tuple[dict, bool]:
    rows = [
        ("GET /bench/bare (baseline)", "bare"),
        ("GET /api/v1/stock, all", "api"),
        *[(f"  {name[4:]}", name) for name in plan.paths if name.startswith("api ")],
        ("GET /stock (page), all", "page"),
        *[(f"  {name[5:]}", name) for name in plan.paths if name.startswith("page ")],
    ]
    results = {key: summary(timings[key]) for _, key in rows}
    print(
        f"\nassettrack stock bench: {label}; "
        f"{plan.devices:,} devices, {plan.events:,} events; place {plan.place}"
    )
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads "
        f"on 127.0.0.1, {os.cpu_count()} cores; "
        f"{args.rounds} rounds after {args.warmup} warm-up; seed {args.seed}"
    )
    print(f"load average (1 min) {args.load[0]:.1f} before, {args.load[1]:.1f} after\n")
    print(
        f"{'':34} {'':>5} {'client (HTTP round trip)':^31}  "
        f"{'in Flask, p50':^15}  {'p95 /':>6}"
    )
    print(
        f"{'request':34} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  "
        f"{'wall':>7} {'cpu':>7}  {'bare':>6}  (ms)"
    )
    bare = results["bare"]["p95"]
    for name, key in rows:
        r = results[key]
        r["ratio_to_bare_p95"] = r["p95"] / bare
        print(
            f"{name:34} {r['n']:>5} {r['p50']:>7.2f} {r['p95']:>7.2f} "
            f"{r['p99']:>7.2f} {r['mean']:>7.2f}"
            f"  {r['app_p50']:>7.2f} {r['cpu_p50']:>7.2f}"
            f"  {r['ratio_to_bare_p95']:>5.1f}x"
        )
    print()
    passed = True
    for name, key in rows[1:]:
        ok = results[key]["p95"] < TARGET_MS
        passed &= ok
        print(
            f"{'PASS' if ok else 'FAIL'}  {name.strip()} p95 "
            f"{results[key]['p95']:.1f} ms < {TARGET_MS:.0f} ms"
        )
    return results, passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default=DEFAULT_PG,
        help="a postgresql:// URL (default: the bench database), or 'sqlite'",
    )
    parser.add_argument("--rounds", type=int, default=300, help="rounds measured")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reseed", action="store_true", help="rebuild the database first"
    )
    args = parser.parse_args()

    target, url = database(args.db, args.reseed)
    plan = StockPlan(url, args.seed)
    if plan.password_set:
        print(f"gave {COORDINATOR} the bench password")
    plans = explain(url, plan.place) if url.startswith("postgresql") else {}
    print_plans(plans)
    timings = serve_and_measure(target, args, measure, plan)
    label = database_label(url)
    results, passed = report(label, plan, args, timings)
    seq = [name for name, found in plans.items() if found["seq_scans"]]
    if seq:
        print("\nseq scans in: " + "; ".join(seq))
    save(
        f"stock-{label.lower()}.json",
        {
            "database": label,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "args": vars(args),
            "devices": plan.devices,
            "events": plan.events,
            "place": plan.place,
            "paths": plan.paths,
            "target_ms": TARGET_MS,
            "results": results,
            "plans": plans,
            "passed": passed,
        },
    )
    return 0 if passed else 1


if __name__ == "__main__":
    exit_with(main)
