"""What the device agent costs the laptop it runs on: peak memory and CPU per report.

    python bench/agent_cost.py [--runs 10]

The question (issue 6): the agent's peak RSS under 40 MB and its CPU time under
0.5 s per report. Each command below runs --runs times in a subprocess: its
user + system CPU from os.wait4 (smartctl, when the agent runs it, included: a
waited-for child), its peak RSS from GNU time (/usr/bin/time -f %M) around it.
In the same run, as the baseline, `python -c pass`: the interpreter's own start.

- `show --root <recorded machine>`: the real command line, collecting from a
  recorded sysfs tree (tests/fixtures/agent/sysfs; smartctl is not run then).
- `show` on this host: the real /sys, /proc and /etc; smartctl when installed.
- `report --once` to a real service on loopback: gunicorn on bench/app.py (as
  bench/run.py runs it) over a small SQLite database of its own (bench/seed.py,
  40 devices), the agent enrolled with a code the service issued; each run
  collects, spools, sends and gets its findings back.
- in process: one `collect()` after a warm-up (CPU, and how much the RSS grows).

Exit status: 0 pass, 1 a target missed, 2 an error.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import requests
import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

from run import Server  # noqa: E402
from run import exit_with  # noqa: E402
from run import percentile  # noqa: E402
from run import save  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "agent" / "sysfs" / "laptop-healthy"
AGENT = [sys.executable, "-m", "assettrack.agents"]
TARGET_RSS_MB, TARGET_CPU_S = 40.0, 0.5
TIME = "/usr/bin/time"  # GNU time (Debian: apt-get install time)


def measure(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(peak RSS in MB, user + system CPU in s, wall in s) of one run.

    Through GNU time, which is small: a child forked from this (large) process
    would count this process's memory in its own peak RSS, even after exec.
    The CPU is what os.wait4 says of time and what it waited for, in µs.
    """
    with tempfile.NamedTemporaryFile("r", prefix="bench-agent-rss-") as rss:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (our own argv)
            [TIME, "-f", "%M", "-o", rss.name, *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        error = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if process.returncode:
            raise RuntimeError(
                f"{' '.join(command)} exited {process.returncode}: "
                f"{error.decode()[-800:]}"
            )
        peak_kb = int(rss.read().split()[-1])
    return peak_kb / 1024, usage.ru_utime + usage.ru_stime, wall


def runs(command: list[str], count: int, env: dict | None = None) -> dict:
    measure(command, env)  # the first run fills the page cache and .pyc files
    samples = [measure(command, env) for _ in range(count)]
    rss = sorted(s[0] for s in samples)
    cpu = sorted(s[1] for s in samples)
    wall = sorted(s[2] for s in samples)
    return {
        "runs": count,
        "rss_mb": {"p50": percentile(rss, 0.5), "max": rss[-1]},
        "cpu_s": {"p50": percentile(cpu, 0.5), "max": cpu[-1]},
        "wall_s": {"p50": percentile(wall, 0.5), "max": wall[-1]},
    }


def in_process(root: str, count: int) -> dict:
    """One collect() after a warm-up: CPU (smartctl included) and RSS growth."""
    from assettrack.agents import cli

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    cli.collect(root)
    rss_before = _rss_mb()
    spent = []
    for _ in range(count):
        started = cpu()
        cli.collect(root)
        spent.append(cpu() - started)
    spent.sort()
    return {
        "runs": count,
        "cpu_s": {"p50": percentile(spent, 0.5), "max": spent[-1]},
        "rss_growth_mb": _rss_mb() - rss_before,
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def loopback_service(folder: Path):
    """gunicorn over a small seeded SQLite database, and an agent enrolled with it."""
    import seed as seeding

    target = f"sqlite:///{folder / 'agent-cost.sqlite'}"
    seeding.seed(target, 40, 20261129, date.today(), True, 40)
    server = Server(target, 1, 2, extra_env={"ASSETTRACK_AGENT_REPORT_RATE_LIMIT": "0"})
    try:
        server.wait_ready()
        coordinator = {"Authorization": f"Bearer {seeding.TOKENS['coordinator']}"}
        engine = sa.create_engine(target)
        with engine.connect() as c:
            tag = c.scalar(sa.text("SELECT asset_tag FROM devices ORDER BY id"))
        engine.dispose()
        issued = requests.post(
            f"{server.base}/api/v1/devices/{tag}/enrollment-codes",
            headers=coordinator,
            json={},
            timeout=10,
        )
        issued.raise_for_status()
        state = folder / "agent-state"
        measure(
            AGENT
            + ["enroll", "--state-dir", str(state), "--server", server.base]
            + ["--tag", tag, "--code", issued.json()["code"]]
        )
    except BaseException:
        server.stop()
        raise
    return server, state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    smartctl = shutil.which("smartctl")
    results = {
        "python -c pass (baseline)": runs([sys.executable, "-c", "pass"], args.runs),
        "show --root laptop-healthy": runs(
            AGENT + ["show", "--root", str(FIXTURE)], args.runs
        ),
        "show on this host": runs(AGENT + ["show"], args.runs),
    }
    with tempfile.TemporaryDirectory(prefix="bench-agent-cost-") as folder:
        server, state = loopback_service(Path(folder))
        try:
            results["report --once --root laptop-healthy, loopback"] = runs(
                AGENT
                + ["report", "--once", "--state-dir", str(state)]
                + ["--root", str(FIXTURE)],
                args.runs,
            )
            results["report --once on this host, loopback"] = runs(
                AGENT + ["report", "--once", "--state-dir", str(state)], args.runs
            )
        finally:
            server.stop()
    inside = {
        "collect() laptop-healthy": in_process(str(FIXTURE), args.runs),
        "collect() this host": in_process("/", args.runs),
    }
    load = (load_before, os.getloadavg()[0])

    print(
        f"\nagent cost: {args.runs} runs each after one warm-up; "
        f"{os.cpu_count()} cores; smartctl {smartctl or 'not installed'}; "
        f"load average {load[0]:.1f} before, {load[1]:.1f} after"
    )
    print(
        f"{'command (subprocess)':48} {'peak RSS MB':>12} {'CPU s':>13} "
        f"{'wall s':>7}\n{'':48} {'p50':>6} {'max':>5} {'p50':>6} {'max':>6} "
        f"{'p50':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:48} {r['rss_mb']['p50']:>6.1f} {r['rss_mb']['max']:>5.1f} "
            f"{r['cpu_s']['p50']:>6.3f} {r['cpu_s']['max']:>6.3f} "
            f"{r['wall_s']['p50']:>7.3f}"
        )
    for name, r in inside.items():
        print(
            f"in process, {name:36} CPU p50 {r['cpu_s']['p50']:.4f} s, "
            f"max {r['cpu_s']['max']:.4f} s; RSS grew {r['rss_growth_mb']:.1f} MB"
        )
    agent = {k: v for k, v in results.items() if "baseline" not in k}
    worst_rss = max(r["rss_mb"]["max"] for r in agent.values())
    worst_cpu = max(r["cpu_s"]["max"] for r in agent.values())
    small, light = worst_rss < TARGET_RSS_MB, worst_cpu < TARGET_CPU_S
    print(f"{'PASS' if small else 'FAIL'}  peak RSS {worst_rss:.1f} MB < 40 MB")
    print(f"{'PASS' if light else 'FAIL'}  CPU {worst_cpu:.3f} s a report < 0.5 s")
    save(
        "agent-cost.json",
        {
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "load": load,
            "smartctl": smartctl,
            "subprocess": results,
            "in_process": inside,
            "passed": small and light,
        },
    )
    print("figures in bench/results/agent-cost.json")
    return 0 if small and light else 1


if __name__ == "__main__":
    exit_with(main)
