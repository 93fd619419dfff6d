"""Where a request's time goes: its SQL statements, who issued them, and its CPU.

    python bench/queries.py --db sqlite
    python bench/queries.py --db postgresql://postgres@127.0.0.1:5432/bench

Runs the benchmark's requests in process (Flask's test client, no gunicorn, no
HTTP) on the seeded database, and prints for each kind of request its median
time, CPU and time inside the database driver, and its number of statements;
then the statements of one more such request, each with the assettrack
functions that caused it. Like run.py, it performs real actions.
"""

import argparse
import sys
import time
from pathlib import Path
from statistics import median

from sqlalchemy import event

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from run import ACTIONS  # noqa: E402
from run import DEFAULT_SQLITE  # noqa: E402
from run import Plan  # noqa: E402
from seed import TOKENS  # noqa: E402
from seed import sqlalchemy_url  # noqa: E402

from assettrack.app import create_app  # noqa: E402
from assettrack.extensions import db  # noqa: E402


def caller() -> str:
    """The two innermost assettrack functions on the stack: who wanted it."""
    names = []
    frame = sys._getframe(2)
    while frame and len(names) < 2:
        path = frame.f_code.co_filename
        if "/assettrack/" in path:
            module = path.rsplit("/assettrack/", 1)[1].removesuffix(".py")
            names.append(f"{module.replace('/', '.')}.{frame.f_code.co_name}")
        frame = frame.f_back
    return " < ".join(names) or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--n", type=int, default=50, help="requests of each kind")
    args = parser.parse_args()
    url = sqlalchemy_url(
        f"sqlite:///{DEFAULT_SQLITE}" if args.db == "sqlite" else args.db
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    statements: list[tuple[float, str, str]] = []
    tracing = False
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        spent = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        who = caller() if tracing else ""  # walking the stack costs CPU: not timed
        statements.append((spent, who, " ".join(statement.split())))

    client = app.test_client()
    plan = Plan(url, 2 * args.n * len(ACTIONS), seed=7)
    coordinator = {"Authorization": f"Bearer {TOKENS['coordinator']}"}
    number = 0

    def next_action(kind):
        nonlocal number
        while ACTIONS[number % len(ACTIONS)] != kind:
            number += 1
        tag, action, payload, token = plan.action(number)
        number += 1
        return client.post(
            f"/api/v1/devices/{tag}/actions/{action}",
            json=payload,
            headers={"Authorization": f"Bearer {token}"},
        )

    kinds = {
        "GET /api/v1/devices/<tag>": lambda: client.get(
            f"/api/v1/devices/{plan.get_tag()}", headers=coordinator
        )
    }
    kinds.update(
        {
            f"POST .../actions/{kind}": (lambda kind=kind: next_action(kind))
            for kind in ACTIONS
        }
    )
    for name, send in kinds.items():
        for _ in range(5):  # warm: imports, statement caches, prepared statements
            send()
        wall, cpu, in_driver, counts = [], [], [], []
        for _ in range(args.n):
            del statements[:]
            started, started_cpu = time.perf_counter(), time.thread_time()
            response = send()
            cpu.append((time.thread_time() - started_cpu) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
            in_driver.append(sum(spent for spent, _, _ in statements))
            counts.append(len(statements))
        print(
            f"\n{name}: p50 {median(wall):.2f} ms, of which CPU {median(cpu):.2f} ms "
            f"and in the database driver {median(in_driver):.2f} ms; "
            f"{min(counts)}-{max(counts)} statements, e.g."
        )
        tracing = True
        del statements[:]
        assert send().status_code == 200
        tracing = False
        for spent, who, sql in statements:
            print(f"  {spent:6.2f}  {who:52} {sql[:70]}")


if __name__ == "__main__":
    main()
