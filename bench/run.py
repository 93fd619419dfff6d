"""Latency of the device API under gunicorn, next to a bare endpoint in the same run.

    python bench/run.py --db sqlite
    python bench/run.py --db postgresql://postgres@127.0.0.1:5432/bench

Seeds the database first when it holds no devices (bench/seed.py: 100k devices,
~1M events), starts gunicorn on a free loopback port serving bench/app.py, warms
up, then runs a fixed number of rounds. Each round sends, in a shuffled order,
one `GET /bench/bare` (the baseline), one `GET /api/v1/devices/<tag>` on a random
device and one workflow action on a device where it is allowed; the actions take
turns: transfer, receive (by the desk it was sent to), send_to_repair, finish_repair,
renew, lend. A single client with one keep-alive connection, so the figures are
latencies, not throughput.

Targets (the issue): an action's p95 under 30 ms, and within 3x the bare p95.
The same --seed gives the same devices, order and payloads; the database moves on
with each run (devices are lent, renewed, moved), so a run finds its devices
by their current state. Exit status: 0 pass, 1 a target missed, 2 an error.
"""

import argparse
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import date
from datetime import timedelta
from pathlib import Path

import requests
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from seed import TOKENS  # noqa: E402
from seed import desk_token  # noqa: E402
from seed import sqlalchemy_url  # noqa: E402

DEFAULT_SQLITE = ROOT / "instance" / "bench.sqlite"
ACTIONS = ("transfer", "receive", "send_to_repair", "finish_repair", "renew", "lend")
MAX_RENEWALS = 2  # the service's default ASSETTRACK_MAX_RENEWALS
TARGET_MS, TARGET_RATIO = 30.0, 3.0


class Plan:
    """The requests of a run, drawn from the devices' current states."""

    def __init__(self, url: str, rounds: int, seed: int):
        self.rng = random.Random(seed)
        engine = sa.create_engine(url)
        with engine.connect() as c:

            def q(sql, **params):
                return c.execute(sa.text(sql), params).all()

            def column(sql, **params):
                return [row[0] for row in q(sql, **params)]

            self.devices = c.scalar(sa.text("SELECT count(*) FROM devices"))
            self.events = c.scalar(sa.text("SELECT count(*) FROM workflow_events"))
            self.tags = column("SELECT asset_tag FROM devices ORDER BY id")
            self.desks = column(
                "SELECT id FROM locations WHERE kind = 'lending' ORDER BY id"
            )
            ready = q(
                "SELECT d.asset_tag, d.location_id FROM devices d "
                "JOIN locations l ON l.id = d.location_id "
                "WHERE d.state = 'ready' AND l.kind = 'lending' ORDER BY d.id"
            )
            in_state = "SELECT asset_tag FROM devices WHERE state = :state ORDER BY id"
            refurbishing = column(in_state, state="refurbishing")
            in_repair = column(in_state, state="repair")
            lent = q(
                "SELECT d.asset_tag, l.due_on, l.location_id FROM devices d "
                "JOIN loans l ON l.device_id = d.id AND l.closed_at IS NULL "
                "WHERE d.state = 'lent' AND l.renewals < :most ORDER BY d.id",
                most=MAX_RENEWALS,
            )
            # A lending point lends a borrower one device at a time by default
            # (loan policies): only borrowers without an open loan, each once.
            own_borrowers = (
                "SELECT b.code FROM borrowers b "
                "JOIN locations l ON l.organisation_id = b.organisation_id "
                "WHERE l.id = :desk AND NOT EXISTS (SELECT 1 FROM loans o "
                "WHERE o.borrower_id = b.id AND o.closed_at IS NULL) ORDER BY b.id"
            )
            self.borrowers = {d: column(own_borrowers, desk=d) for d in self.desks}
        engine.dispose()
        rng = self.rng
        per_action = math.ceil(rounds / len(ACTIONS))
        rng.shuffle(ready)
        need = {
            "ready devices at a digileenplek": (len(ready), 2 * per_action),
            "refurbishing devices": (len(refurbishing), per_action),
            "devices in repair": (len(in_repair), per_action),
            "lent devices with a renewal left": (len(lent), per_action),
        }
        if short := [
            f"{name}: {have} < {want}"
            for name, (have, want) in need.items()
            if have < want
        ]:
            raise SystemExit(
                "too few devices for this run ("
                + "; ".join(short)
                + "); reseed with --reseed or run fewer --rounds"
            )
        self.to_lend = ready[:per_action]
        self.to_move = ready[per_action:]
        self.travelling: deque = deque()
        self.to_repair = rng.sample(refurbishing, per_action)
        self.repaired = deque(rng.sample(in_repair, per_action))
        self.to_renew = rng.sample(lent, per_action)
        self.today = date.today()

    def get_tag(self) -> str:
        return self.rng.choice(self.tags)

    def action(self, number: int) -> tuple[str, str, dict, str]:
        """The number-th action: (tag, action, payload, token of who does it)."""
        action = ACTIONS[number % len(ACTIONS)]
        rng = self.rng
        if action == "transfer":
            # A ready device is sent to another digileenplek ...
            tag, here = self.to_move.pop()
            there = rng.choice([d for d in self.desks if d != here])
            self.travelling.append((tag, there))
            return tag, action, {"location": there}, TOKENS["coordinator"]
        if action == "receive":
            # ... and its desk scans it in (each transfer comes first in a round).
            tag, there = self.travelling.popleft()
            return tag, action, {}, desk_token(there)
        if action == "send_to_repair":
            tag = self.to_repair.pop()
            return tag, action, {"reason": "battery does not charge"}, TOKENS["repair"]
        if action == "finish_repair":
            return self.repaired.popleft(), action, {}, TOKENS["repair"]
        # The desk of the digileenplek where the device is lends and renews it.
        if action == "renew":
            tag, due, desk = self.to_renew.pop()
            due = date.fromisoformat(str(due))
            return (
                tag,
                action,
                {"due_date": (max(due, self.today) + timedelta(days=14)).isoformat()},
                desk_token(desk),
            )
        tag, desk = self.to_lend.pop()
        free = self.borrowers[desk]
        if not free:
            raise RuntimeError(
                f"no borrower without a loan left at desk {desk}; reseed"
            )
        return (
            tag,
            action,
            {
                "borrower": free.pop(rng.randrange(len(free))),
                "due_date": (self.today + timedelta(days=30)).isoformat(),
            },
            desk_token(desk),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving bench/app.py on loopback; always stopped on the way out."""

    def __init__(
        self,
        url: str,
        workers: int,
        threads: int,
        worker_class: str = "gthread",
        extra_env: dict | None = None,
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(
            "w+", prefix="bench-gunicorn-", suffix=".log"
        )
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
        env.update(
            DATABASE_URL=url,
            PYTHONPATH=os.pathsep.join(
                filter(None, [str(ROOT), env.get("PYTHONPATH")])
            ),
            # One token from one address sends thousands of requests a minute:
            # the benches measure the service, not its rate limits.
            ASSETTRACK_API_RATE_LIMIT="0",
            ASSETTRACK_API_ADDRESS_RATE_LIMIT="0",
        )
        env.update(extra_env or {})
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(threads),
            # The client keeps one connection open across the whole run.
            "--keep-alive",
            "300",
            "--log-level",
            "warning",
            "--chdir",
            str(ROOT),
            "bench.app:app",
        ]
        self.process = subprocess.Popen(  # noqa: S603 (our own argv)
            self.command,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}):\n{self.output()}"
                )
            try:
                answer = requests.get(self.base + "/bench/bare", timeout=5)
                if answer.status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or still booting
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not answer within {timeout} s:\n{self.output()}"
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the master stops its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest rank: the smallest value with a share q of the samples at or below."""
    return sorted_ms[max(0, math.ceil(q * len(sorted_ms)) - 1)]


def summary(samples: list[tuple[float, float, float]]) -> dict:
    """Client-side percentiles, and the median of what the server says it spent."""
    client = sorted(sample[0] for sample in samples)
    return {
        "n": len(client),
        "p50": percentile(client, 0.50),
        "p95": percentile(client, 0.95),
        "p99": percentile(client, 0.99),
        "mean": sum(client) / len(client),
        "app_p50": percentile(sorted(sample[1] for sample in samples), 0.50),
        "cpu_p50": percentile(sorted(sample[2] for sample in samples), 0.50),
    }


def server_timing(header: str) -> tuple[float, float]:
    """(wall, cpu) in ms from bench/app.py's Server-Timing header."""
    parts = dict(part.strip().split(";dur=") for part in header.split(","))
    return float(parts["app"]), float(parts["cpu"])


def measure(server: Server, plan: Plan, rounds: int, warmup: int) -> dict[str, list]:
    coordinator = {"Authorization": f"Bearer {TOKENS['coordinator']}"}
    session = requests.Session()
    timings: dict[str, list] = {"bare": [], "get": [], **{a: [] for a in ACTIONS}}
    errors = []

    def timed(key, method, path, headers, body=None, warm=False):
        if warm:  # a new connection each time, so every worker gets warm
            headers = {**headers, "Connection": "close"}
        started = time.perf_counter()
        response = session.request(
            method, server.base + path, headers=headers, json=body
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            errors.append(
                f"{method} {path} {body or ''} -> "
                f"{response.status_code} {response.text[:300]}"
            )
        elif not warm:
            timings[key].append(
                (elapsed, *server_timing(response.headers["Server-Timing"]))
            )

    for number in range(warmup + rounds):
        warm = number < warmup
        tag, action, payload, token = plan.action(number)
        requests_of_round = [
            ("bare", "GET", "/bench/bare", {}, None),
            ("get", "GET", f"/api/v1/devices/{plan.get_tag()}", coordinator, None),
            (
                action,
                "POST",
                f"/api/v1/devices/{tag}/actions/{action}",
                {"Authorization": f"Bearer {token}"},
                payload,
            ),
        ]
        plan.rng.shuffle(requests_of_round)
        for key, method, path, headers, body in requests_of_round:
            timed(key, method, path, headers, body, warm)
        if errors:
            raise RuntimeError("unexpected answers:\n" + "\n".join(errors[:5]))
    session.close()
    timings["actions"] = [t for a in ACTIONS for t in timings[a]]
    return timings


def report(label: str, plan: Plan, args, timings: dict[str, list]) -> tuple[dict, bool]:
    rows = [
        ("GET /bench/bare (baseline)", "bare"),
        ("GET /api/v1/devices/<tag>", "get"),
        ("POST .../actions/<action>, all", "actions"),
    ] + [(f"  {a}", a) for a in ACTIONS]
    results = {key: summary(timings[key]) for _, key in rows}
    print(
        f"\nassettrack bench: {label}; "
        f"{plan.devices:,} devices, {plan.events:,} events at start"
    )
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads "
        f"on 127.0.0.1, {os.cpu_count()} cores; "
        f"{args.rounds} rounds after {args.warmup} warm-up; seed {args.seed}"
    )
    # Anything else running shares the cores with client, server and database.
    print(f"load average (1 min) {args.load[0]:.1f} before, {args.load[1]:.1f} after\n")
    print(f"{'':34} {'':>5} {'client (HTTP round trip)':^31}  {'in Flask, p50':^15}")
    print(
        f"{'request':34} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  "
        f"{'wall':>7} {'cpu':>7}  (ms)"
    )
    for name, key in rows:
        r = results[key]
        print(
            f"{name:34} {r['n']:>5} {r['p50']:>7.2f} {r['p95']:>7.2f} "
            f"{r['p99']:>7.2f} {r['mean']:>7.2f}"
            f"  {r['app_p50']:>7.2f} {r['cpu_p50']:>7.2f}"
        )
    bare, action = results["bare"]["p95"], results["actions"]["p95"]
    ratio = action / bare
    under = action < TARGET_MS
    within = ratio < TARGET_RATIO
    print(
        f"\naction p95 / bare p95 = {ratio:.1f}x;  "
        f"GET p95 / bare p95 = {results['get']['p95'] / bare:.1f}x"
    )
    print(
        f"{'PASS' if under else 'FAIL'}  "
        f"action p95 {action:.1f} ms < {TARGET_MS:.0f} ms"
    )
    print(
        f"{'PASS' if within else 'FAIL'}  "
        f"action p95 {ratio:.1f}x bare p95 < {TARGET_RATIO:.0f}x"
    )
    return results, under and within


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default="sqlite",
        help=f"'sqlite' ({DEFAULT_SQLITE.relative_to(ROOT)}), "
        "a sqlite:/// URL or a postgresql:// URL",
    )
    parser.add_argument(
        "--rounds", type=int, default=2000, help="measured rounds (one of each request)"
    )
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reseed", action="store_true", help="rebuild the database first"
    )
    args = parser.parse_args()

    target, url = database(args.db, args.reseed)
    plan = Plan(url, args.rounds + args.warmup, args.seed)
    timings = serve_and_measure(target, args, measure, plan)
    label = database_label(url)
    results, passed = report(label, plan, args, timings)
    save(
        f"latest-{label.lower()}.json",
        {
            "database": label,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "args": vars(args),
            "devices": plan.devices,
            "events": plan.events,
            "results": results,
            "passed": passed,
        },
    )
    return 0 if passed else 1


def serve_and_measure(target: str, args, measure, plan):
    """Start gunicorn, run `measure(server, plan, rounds, warmup)` against it and stop
    it (also on an error, Ctrl-C or SIGTERM); the load average goes into `args.load`."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))  # so `finally` stops gunicorn
    server = Server(target, args.workers, args.threads)
    try:
        server.wait_ready()
        load_before = os.getloadavg()[0]
        timings = measure(server, plan, args.rounds, args.warmup)
        args.load = (load_before, os.getloadavg()[0])
    finally:
        server.stop()
    return timings


def database(db: str, reseed: bool) -> tuple[str, str]:
    """(target as given to seed.py, SQLAlchemy URL) of --db; seeded when empty."""
    target = f"sqlite:///{DEFAULT_SQLITE}" if db == "sqlite" else db
    url = sqlalchemy_url(target)
    if reseed or not seeded(url):
        print(f"seeding {target} (bench/seed.py) ...", flush=True)
        seed = [sys.executable, str(BENCH / "seed.py"), target, "--replace"]
        subprocess.run(seed, check=True)  # noqa: S603 (our own argv)
    return target, url


def database_label(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def save(name: str, figures: dict) -> None:
    """Write a run's figures to bench/results/<name>."""
    out = BENCH / "results" / name
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))


def exit_with(main) -> None:
    """Run `main` and exit 0 pass, 1 a target missed, 2 an error."""
    try:
        sys.exit(main())
    except (
        RuntimeError,
        subprocess.CalledProcessError,
        requests.RequestException,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit("interrupted; gunicorn stopped")


def seeded(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(sa.text("SELECT count(*) FROM devices")))
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


if __name__ == "__main__":
    exit_with(main)
