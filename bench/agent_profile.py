"""Where one ingested report's time goes: in process, no HTTP, with pyinstrument.

    python bench/agent_profile.py [--db URL | --db sqlite] [--reports 300]

The database bench/agent_ingest.py prepared (`bench_agent`, or its SQLite file)
takes --reports reports through the Flask test client, as gunicorn would hand
them over: first timed without the profiler (wall and CPU per report, and the
SQL statements one report runs), then under pyinstrument, whose tree is printed.
Scoring runs inline (no REDIS_URL), as in agent_ingest.py's default run.
"""

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from agent_ingest import DEFAULT_PG  # noqa: E402
from agent_ingest import DEFAULT_SQLITE  # noqa: E402
from agent_ingest import MACHINES  # noqa: E402
from agent_ingest import agent_token  # noqa: E402
from seed import sqlalchemy_url  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_PG)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args()
    target = f"sqlite:///{DEFAULT_SQLITE}" if args.db == "sqlite" else args.db
    os.environ["DATABASE_URL"] = sqlalchemy_url(target)
    os.environ["ASSETTRACK_AGENT_REPORT_RATE_LIMIT"] = "0"
    os.environ.pop("REDIS_URL", None)

    import sqlalchemy as sa
    from pyinstrument import Profiler

    from assettrack.agents.report import collect
    from assettrack.extensions import db
    from bench.app import app
    from tests.test_agent_collectors import SYSFS
    from tests.test_agent_collectors import recorded_smartctl

    with app.app_context():
        ids = list(db.session.scalars(sa.text("SELECT device_id FROM agent_tokens")))
        seq = db.session.scalar(
            sa.text("SELECT coalesce(max(seq), 0) FROM health_reports")
        )
        stored = db.session.scalar(sa.text("SELECT count(*) FROM health_reports"))
        statements = []
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *a: statements.append(a[2].split()[0]),
        )
    template = json.loads(
        json.dumps(collect(root=SYSFS / MACHINES[0], runner=recorded_smartctl))
    )
    now = datetime.now(UTC).isoformat(timespec="seconds")
    client = app.test_client()
    sent = 0

    def send() -> None:
        nonlocal sent, seq
        sent, seq = sent + 1, seq + 1
        token = agent_token(args.seed, ids[sent % len(ids)])
        body = {**template, "report_id": str(uuid.uuid4()), "seq": seq}
        body.update(collected_at=now, sent_at=now)
        answer = client.post(
            "/api/v1/agent/reports",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        if answer.status_code != 201:
            raise SystemExit(f"{answer.status_code} {answer.get_data(as_text=True)}")

    for _ in range(20):
        send()
    statements.clear()
    send()
    one = list(statements)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.reports):
        send()
    wall = (time.perf_counter() - wall) / args.reports
    cpu = (time.process_time() - cpu) / args.reports
    print(
        f"{target}: {stored:,} reports stored at start; one report, in process: "
        f"{1000 * wall:.2f} ms wall, {1000 * cpu:.2f} ms CPU (mean of {args.reports})"
    )
    print(f"{len(one)} SQL statements a report: {' '.join(one)}")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.reports):
        send()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
