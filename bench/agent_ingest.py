"""Health reports ingested per second through gunicorn, next to a bare JSON POST.

    python bench/agent_ingest.py                       # PostgreSQL bench_agent
    python bench/agent_ingest.py --db sqlite           # instance/bench_agent.sqlite
    python bench/agent_ingest.py --redis 13            # scoring queued in Redis db 13

The question (issue 6): how many agent reports a second does the service take in
on 2 cores, through gunicorn, on PostgreSQL; targets at least 1,000 a second and
at least half of what a bare JSON endpoint on the same server manages in the
same run. The database (its own: `bench_agent`, never `test`) is seeded with
bench/seed.py's generator (--devices devices with their histories, so a device
has wipes and erased disks to compare a report with) and one agent token per
device, deterministic from --seed; it is rebuilt when it does not match.

The load comes from wrk (bench/agent_ingest.lua), lighter than a Python client on
the same 2 cores: every request POSTs a report the real collector built from a
recorded machine (tests/fixtures/agent, four machines taking turns per device)
with a new report id and the device's next seq, with that device's token. The
same bodies and headers go to `POST /bench/bare` (bench/app.py: parses the JSON,
answers a small JSON). Rounds alternate bare and ingest; the CPU time of wrk, the
gunicorn workers, PostgreSQL and Redis is read around each run, so the client's
share of the 2 cores is known. The per-device rate limit is switched off
(ASSETTRACK_AGENT_REPORT_RATE_LIMIT=0): 2,000 devices at 1,000 reports a second
would each report every 2 s.

Without --redis the scoring job runs inline in the request, as without Redis in
production. With --redis N it is queued in Redis db N (empty, or only rq's keys) and
not counted in the ingest rate; afterwards one `flask worker --burst` drains the
queue alone and its rate is reported apart. Exit status: 0 pass, 1 a target
missed, 2 an error.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import psutil
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from run import Server  # noqa: E402
from run import database_label  # noqa: E402
from run import exit_with  # noqa: E402
from run import save  # noqa: E402
from seed import sqlalchemy_url  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/bench_agent"
DEFAULT_SQLITE = ROOT / "instance" / "bench_agent.sqlite"
LUA = BENCH / "agent_ingest.lua"
MACHINES = (
    "laptop-healthy",
    "laptop-worn-two-batteries",
    "desktop-no-battery",
    "battery-charge-based",
)
TARGET_RATE, TARGET_SHARE = 1000.0, 0.5
INGEST, BARE = "/api/v1/agent/reports", "/bench/bare"


def agent_token(seed: int, device_id: int) -> str:
    """The device token of device `device_id`; only its hash is stored."""
    return f"bench-agent-{seed}-{device_id}"


def prepare(target: str, devices: int, seed: int, reseed: bool) -> list[int]:
    """Seed the database when it does not hold `devices` devices with tokens."""
    url = sqlalchemy_url(target)
    if reseed or _prepared(url) != devices:
        import seed as seeding

        print(f"seeding {target}: {devices:,} devices ...", flush=True)
        seeding.seed(target, devices, seed, date.today(), True, 200)
        _add_tokens(url, seed)
    engine = sa.create_engine(url)
    with engine.connect() as c:
        ids = list(c.scalars(sa.text("SELECT device_id FROM agent_tokens ORDER BY 1")))
    engine.dispose()
    return ids


def _prepared(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            devices = c.scalar(sa.text("SELECT count(*) FROM devices"))
            tokens = c.scalar(
                sa.text("SELECT count(DISTINCT device_id) FROM agent_tokens")
            )
            return devices if devices == tokens else -1
    except sa.exc.SQLAlchemyError:
        return -1
    finally:
        engine.dispose()


def _add_tokens(url: str, seed: int) -> None:
    from assettrack.auth import hash_token

    engine = sa.create_engine(url)
    with engine.begin() as c:
        ids = list(c.scalars(sa.text("SELECT id FROM devices ORDER BY id")))
        c.execute(
            sa.text(
                "INSERT INTO agent_tokens (device_id, token_hash, created_at) "
                "VALUES (:device, :hash, :now)"
            ),
            [
                {
                    "device": i,
                    "hash": hash_token(agent_token(seed, i)),
                    "now": datetime.now(UTC).replace(tzinfo=None),
                }
                for i in ids
            ],
        )
    engine.dispose()
    print(f"added {len(ids):,} agent tokens", flush=True)


def write_bodies(folder: Path, device_ids: list[int], seed: int) -> dict:
    """The wrk script's data: tokens and one report template per recorded machine."""
    from assettrack.agents.report import collect
    from tests.test_agent_collectors import SYSFS
    from tests.test_agent_collectors import recorded_smartctl

    sizes = {}
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for number, machine in enumerate(MACHINES):
        report = json.loads(
            json.dumps(collect(root=SYSFS / machine, runner=recorded_smartctl))
        )
        report.update(
            report_id="@@REPORT_ID@@", seq=987654321, collected_at=now, sent_at=now
        )
        text = json.dumps(report)
        (folder / f"machine-{number}.json").write_text(text)
        # as sent: a 36-character report id, a seq of about 5 digits
        sizes[machine] = len(text.encode()) - len("@@REPORT_ID@@") + 36 - 9 + 5
    (folder / "tokens.txt").write_text(
        "".join(
            f"{agent_token(seed, i)} {n % len(MACHINES)}\n"
            for n, i in enumerate(device_ids)
        )
    )
    return sizes


class Meter:
    """CPU seconds of wrk, the gunicorn workers and the database/Redis servers."""

    def __init__(self, server: Server):
        self.master = psutil.Process(server.process.pid)

    def _others(self) -> dict[str, float]:
        cpu = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0}
        for process in [self.master, *self.master.children(recursive=True)]:
            cpu["gunicorn"] += _cpu(process)
        for process in psutil.process_iter(["name"]):
            name = process.info["name"] or ""
            if name.startswith("postgres"):
                cpu["postgres"] += _cpu(process)
            elif name.startswith("redis-server"):
                cpu["redis"] += _cpu(process)
        return cpu

    def __enter__(self):
        self.started = time.perf_counter()
        self.client = _children_cpu()
        self.before = self._others()
        return self

    def __exit__(self, *_):
        after = self._others()
        self.wall = time.perf_counter() - self.started
        self.cpu = {k: after[k] - self.before[k] for k in after}
        self.cpu["wrk"] = _children_cpu() - self.client


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.Error:  # gone, or a postgres backend that ended meanwhile
        return 0.0
    return times.user + times.system


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def max_seq(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as c:
        seq = c.scalar(sa.text("SELECT coalesce(max(seq), 0) FROM health_reports"))
    engine.dispose()
    return seq


def load(server: Server, args, path: str, seconds: int, nonce: int, seq0: int):
    """One wrk run on `path`: its figures and the CPU everything used meanwhile."""
    command = [
        "wrk",
        f"-t{args.client_threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        server.base,
        "--",
        path,
        str(args.data),
        str(nonce),
        str(seq0),
        str(args.client_threads),
    ]
    with Meter(server) as meter:
        done = subprocess.run(  # noqa: S603 (our own argv)
            command, capture_output=True, text=True
        )
    if done.returncode:
        raise RuntimeError(
            f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    lines = [x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")]
    if not lines:
        raise RuntimeError(f"wrk said:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(lines[0].removeprefix("BENCH_JSON "))
    figures["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["cpu_s"] = meter.cpu
    figures["wall_s"] = meter.wall
    return figures


def combine(runs: list[dict]) -> dict:
    """Rounds of one endpoint together: rate over all, latency the median round's."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["duration_us"] for r in runs) / 1e6
    wall = sum(r["wall_s"] for r in runs)
    middle = sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]
    statuses: dict[str, int] = {}
    for r in runs:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    cpu = {k: sum(r["cpu_s"][k] for r in runs) for k in runs[0]["cpu_s"]}
    return {
        "requests": requests,
        "rate": requests / seconds,
        "rates": [round(r["rate"], 1) for r in runs],
        "latency_ms": middle["latency_ms"],
        "statuses": statuses,
        "socket_errors": sum(
            v for r in runs for k, v in r["errors"].items() if k != "status"
        ),
        "cpu_s": cpu,
        "cpu_ms_per_request": {k: 1000 * v / requests for k, v in cpu.items()},
        "client_share": cpu["wrk"] / (wall * os.cpu_count()),
        "busy_share": sum(cpu.values()) / (wall * os.cpu_count()),
    }


def free_redis_db(url: str) -> None:
    """Refuse a Redis db holding anything but rq's keys (an earlier run's)."""
    from redis import Redis

    connection = Redis.from_url(url)
    if any(not key.startswith(b"rq:") for key in connection.scan_iter(count=1000)):
        raise RuntimeError(f"{url} is not empty: pick another --redis db number")


def forget_jobs(url: str) -> None:
    """Delete the finished jobs' keys rq keeps for a while (this db is ours)."""
    from redis import Redis

    connection = Redis.from_url(url)
    for key in connection.scan_iter("rq:*", count=1000):
        connection.delete(key)


def drain(target: str, redis_url: str) -> dict:
    """Time one `flask worker --burst` emptying the queue of scoring jobs."""
    from redis import Redis

    queued = Redis.from_url(redis_url).llen("rq:queue:assettrack")
    env = {**os.environ, "DATABASE_URL": target, "REDIS_URL": redis_url}
    env["PYTHONPATH"] = str(ROOT)
    started = time.perf_counter()
    before = _children_cpu()
    subprocess.run(  # noqa: S603 (our own argv)
        [sys.executable, "-m", "flask", "--app", "assettrack", "worker", "--burst"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    left = Redis.from_url(redis_url).llen("rq:queue:assettrack")
    return {
        "jobs": queued - left,
        "left": left,
        "seconds": seconds,
        "rate": (queued - left) / seconds,
        "worker_cpu_s": _children_cpu() - before,
    }


def measure(server: Server, args, url: str) -> dict:
    nonce = random.SystemRandom().getrandbits(32)
    runs: dict[str, list] = {"bare": [], "ingest": []}
    for warm in (True, False):
        for number in range(1 if warm else args.rounds):
            for key, path in (("bare", BARE), ("ingest", INGEST)):
                nonce = (nonce + 1) % 2**32
                seconds = args.warmup if warm else args.seconds
                seq0 = max_seq(url) + 1
                figures = load(server, args, path, seconds, nonce, seq0)
                label = "warm-up" if warm else f"round {number + 1}"
                print(
                    f"  {label:8} {key:6} {figures['rate']:8.1f} req/s  "
                    f"p50 {figures['latency_ms']['p50']:6.2f} ms  "
                    f"statuses {figures['statuses']}",
                    flush=True,
                )
                if not warm:
                    runs[key].append(figures)
    return {key: combine(value) for key, value in runs.items()}


def report(label: str, args, results: dict) -> bool:
    bare, ingest = results["bare"], results["ingest"]
    share = ingest["rate"] / bare["rate"]
    print(
        f"\nagent ingest: {label}, jobs {args.jobs}; {args.devices:,} devices; "
        f"gunicorn {args.worker_class} {args.workers} workers x {args.threads} "
        f"threads; "
        f"wrk {args.client_threads} thread(s), {args.connections} connections; "
        f"{args.rounds} x {args.seconds:g} s per endpoint; "
        f"load average {args.load[0]:.1f} before, {args.load[1]:.1f} after"
    )
    print(
        f"{'endpoint':28} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7}  "
        f"{'non-2xx':>7}  CPU ms/request: gunicorn  db  wrk; wrk share"
    )
    rows = (("POST /bench/bare (baseline)", bare), (f"POST {INGEST}", ingest))
    for name, r in rows:
        lat, cpu = r["latency_ms"], r["cpu_ms_per_request"]
        bad = sum(n for code, n in r["statuses"].items() if not code.startswith("2"))
        print(
            f"{name:28} {r['rate']:>8.1f} {lat['p50']:>7.2f} {lat['p95']:>7.2f} "
            f"{lat['p99']:>7.2f}  {bad + r['socket_errors']:>7}  "
            f"{cpu['gunicorn']:>8.2f} {cpu['postgres']:>4.2f} {cpu['wrk']:>4.2f}; "
            f"{100 * r['client_share']:.0f} %"
        )
    fresh = ingest["statuses"].get("201", 0) == ingest["requests"]
    clean = all(
        r["socket_errors"] == 0 and all(code.startswith("2") for code in r["statuses"])
        for _, r in rows
    )
    fast = ingest["rate"] >= TARGET_RATE
    near = share >= TARGET_SHARE
    print(f"\ningest / bare = {100 * share:.0f} %")
    print(f"{'PASS' if clean else 'FAIL'}  no errors, no non-2xx answers")
    print(f"{'PASS' if fresh else 'FAIL'}  every report stored as new (201)")
    print(f"{'PASS' if fast else 'FAIL'}  {ingest['rate']:.0f} reports/s >= 1,000")
    print(f"{'PASS' if near else 'FAIL'}  {100 * share:.0f} % of bare >= 50 %")
    return clean and fresh and fast and near


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db", default=DEFAULT_PG, help="'sqlite' or a postgresql:// URL"
    )
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--redis", type=int, metavar="N", help="queue scoring in Redis db N"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client-threads", type=int, default=1)
    args = parser.parse_args()

    target = f"sqlite:///{DEFAULT_SQLITE}" if args.db == "sqlite" else args.db
    url = sqlalchemy_url(target)
    device_ids = prepare(target, args.devices, args.seed, args.reseed)
    env = {"ASSETTRACK_AGENT_REPORT_RATE_LIMIT": "0"}
    redis_url = None
    if args.redis is not None:
        redis_url = f"redis://127.0.0.1:6379/{args.redis}"
        free_redis_db(redis_url)
        env["REDIS_URL"] = redis_url
    args.jobs = f"queued in {redis_url}" if redis_url else "inline"
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as data:
        args.data = Path(data)
        sizes = write_bodies(args.data, device_ids, args.seed)
        print(f"report sizes (bytes): {sizes}", flush=True)
        server = Server(target, args.workers, args.threads, args.worker_class, env)
        try:
            server.wait_ready()
            load_before = os.getloadavg()[0]
            results = measure(server, args, url)
            args.load = (load_before, os.getloadavg()[0])
        finally:
            server.stop()
    label = database_label(url)
    passed = report(label, args, results)
    if redis_url:
        results["drain"] = drain(target, redis_url)
        forget_jobs(redis_url)
        d = results["drain"]
        print(
            f"then one worker drained {d['jobs']:,} scoring jobs in "
            f"{d['seconds']:.1f} s: {d['rate']:.0f} jobs/s ({d['left']} left)"
        )
    args.data = None
    jobs = "redis" if redis_url else "inline"
    name = f"agent-ingest-{label.lower()}-{jobs}-{args.worker_class}.json"
    save(
        name,
        {
            "database": label,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "args": {k: v for k, v in vars(args).items() if k != "data"},
            "report_bytes": sizes,
            "results": results,
            "passed": passed,
        },
    )
    print(f"figures in bench/results/{name}")
    return 0 if passed else 1


if __name__ == "__main__":
    exit_with(main)
