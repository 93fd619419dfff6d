"""The agent on the device: it keeps every report until the service has it.

A repair technician enrols a donated laptop once; from then on the agent
writes each report to its spool before sending, sends the oldest first,
backs off (with jitter) while the service is away, and keeps its token in a
file nobody else can read. The service itself is in test_agent_loopback.py;
here the network is either absent (a closed port) or not needed.
"""

import json
import os
import random
import signal
import socket
import stat
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from assettrack.agents import cli
from assettrack.agents import schedule
from assettrack.agents import sender
from assettrack.agents import state
from assettrack.agents.spool import Spool

REPO = Path(__file__).parent.parent
MACHINE = REPO / "tests" / "fixtures" / "agent" / "sysfs" / "laptop-healthy"


def a_report(seq: int, padding: int = 0) -> dict:
    return {
        "schema": "assettrack-agent-report/1",
        "report_id": str(uuid.uuid4()),
        "seq": seq,
        "collected_at": "2026-11-29T09:00:00+00:00",
        "padding": "x" * padding,
    }


def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def agent(*args: str, state_dir: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "assettrack.agents", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "ASSETTRACK_AGENT_STATE": str(state_dir), **env},
        timeout=120,
    )


def enrolled(directory: Path, server: str = "https://assettrack.example.be") -> None:
    state.prepare(directory)
    state.save_enrolment(
        directory, state.Enrolment(server, "DB-000042", "device-token-abc")
    )


# --- the spool --------------------------------------------------------------


def test_spooled_reports_wait_oldest_first_whatever_order_they_were_written(
    tmp_path,
):
    spool = Spool(tmp_path)
    for seq in (3, 11, 1, 2):
        spool.add(a_report(seq))

    assert [item.seq for item in spool.pending()] == [1, 2, 3, 11]
    assert spool.highest_seq() == 11
    first = spool.pending()[0]
    assert first.path.name == f"0000000001-{first.report_id}.json"
    assert Spool.load(first)["seq"] == 1


def test_a_report_counter_never_repeats_even_when_its_file_is_lost(tmp_path):
    assert [state.next_seq(tmp_path) for _ in range(3)] == [1, 2, 3]
    (tmp_path / state.SEQ).unlink()

    # report 7 still waits in the spool: the next one is 8, not 1
    assert state.next_seq(tmp_path, at_least=7) == 8
    assert state.next_seq(tmp_path) == 9


def test_a_write_killed_halfway_leaves_the_old_file_whole(tmp_path):
    """SIGKILL while 64 MB are written: the file is the old one or the new one."""
    spool = Spool(tmp_path)
    spool.directory.mkdir()
    target = spool.directory / "0000000001-report.json"
    old, new = b'{"old": true}', b"n" * (64 * 1024 * 1024)
    state.write_atomic(target, old)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path\n"
            "from assettrack.agents.state import write_atomic\n"
            "write_atomic(Path(sys.argv[1]), b'n' * (64 * 1024 * 1024))",
            str(target),
        ],
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while not list(spool.directory.glob(".*.tmp")) and writer.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    assert target.read_bytes() in (old, new)
    spool.clean_leftovers()
    assert [p.name for p in spool.directory.iterdir()] == [target.name]


def test_a_full_spool_drops_the_oldest_reports_and_keeps_the_newest(tmp_path):
    spool = Spool(tmp_path, max_reports=3)
    dropped = [spool.add(a_report(seq))[1] for seq in range(1, 6)]

    assert [item.seq for item in spool.pending()] == [3, 4, 5]
    assert [[d.seq for d in batch] for batch in dropped] == [[], [], [], [1], [2]]


def test_a_spool_over_its_size_keeps_at_least_the_newest_report(tmp_path):
    spool = Spool(tmp_path, max_bytes=5_000)
    spool.add(a_report(1, padding=2_000))
    spool.add(a_report(2, padding=2_000))
    assert [item.seq for item in spool.pending()] == [1, 2]

    spool.add(a_report(3, padding=2_000))  # 3 x 2 KB > 5 KB: the oldest goes
    assert [item.seq for item in spool.pending()] == [2, 3]

    spool.add(a_report(4, padding=9_000))  # alone over the cap, and still kept
    assert [item.seq for item in spool.pending()] == [4]


def test_a_spool_file_that_is_not_a_report_is_set_aside_not_sent(tmp_path):
    spool = Spool(tmp_path)
    spool.add(a_report(1))
    broken = spool.pending()[0]
    broken.path.write_text("{half a rep")
    enrolment = state.Enrolment(f"http://127.0.0.1:{closed_port()}", "DB-1", "t")

    sent = sender.send_spool(spool, enrolment, timeout=5)

    assert sent.dropped_unreadable == [broken.path.name]
    assert spool.pending() == []
    assert (tmp_path / "rejected" / broken.path.name).read_text() == "{half a rep"


# --- backoff and schedule ----------------------------------------------------


def test_backoff_grows_from_30_seconds_to_at_most_6_hours_with_full_jitter():
    rng = random.Random(6)
    for failures in range(1, 30):
        ceiling = min(6 * 3600, 30 * 2 ** (failures - 1))
        waits = [schedule.backoff_s(failures, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        # full jitter: spread over the whole range, not bunched at the ceiling
        assert min(waits) < ceiling * 0.1 and max(waits) > ceiling * 0.9


def test_backoff_waits_at_least_what_retry_after_says():
    rng = random.Random(7)
    assert all(schedule.backoff_s(1, rng, retry_after_s=120) >= 120 for _ in range(50))
    # a server asking for a week is capped at 6 hours
    assert schedule.backoff_s(1, rng, retry_after_s=7 * 86400) == 6 * 3600


def test_retry_after_can_be_seconds_or_an_http_date():
    import datetime as dt

    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
    assert sender.retry_after("42") == 42
    assert sender.retry_after("Sun, 29 Nov 2026 12:01:30 GMT", now=now) == 90
    assert sender.retry_after("soon") is None
    assert sender.retry_after(None) is None


class Clock:
    """Time as the loop sees it; sleeping moves it on."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def answered(*stops: sender.Answer | None):
    """A send step that ends each pass with the given answers, in turn."""
    passes = iter(stops)

    def send() -> sender.Sent:
        return sender.Sent(stopped_by=next(passes))

    return send


def test_run_backs_off_while_the_server_is_away_and_resets_after_success():
    clock, rng = Clock(), random.Random(42)
    collected = []
    away = sender.Answer(None, problem="Connection refused")
    busy = sender.Answer(429, retry_after_s=600)
    revoked = sender.Answer(401, {"error": {"code": "device_revoked"}})
    send = answered(away, away, away, busy, None, None, away, revoked)

    stopped = schedule.run_loop(
        collect=lambda: collected.append(clock.now),
        send=send,
        interval_s=lambda: 3600,
        rng=rng,
        sleep=clock.sleep,
        clock=clock,
    )

    assert stopped.revoked
    startup, *waits = clock.slept
    assert 0 <= startup <= 300  # machines booted together spread out
    # away three times: tried again within 30 s, 60 s, 120 s
    assert waits[0] <= 30 and waits[1] <= 60 and waits[2] <= 120
    assert waits[3] >= 600  # busy: Retry-After honoured
    # sent: nothing more until the next report, 5/6 to 6/6 of the interval on
    assert len(collected) == 3
    gaps = [b - a for a, b in zip(collected, collected[1:], strict=False)]
    assert all(3000 <= gap <= 3600 for gap in gaps)
    # after a success the count starts again: the next failure waits at most 30 s
    assert waits[-1] <= 30


def test_run_does_not_collect_more_often_than_the_interval_while_backing_off():
    clock, rng = Clock(), random.Random(1)
    collected = []
    away = sender.Answer(None, problem="timed out")
    unauthorized = sender.Answer(401, {"error": {"code": "unauthorized"}})
    send = answered(*([away] * 40), unauthorized)

    stopped = schedule.run_loop(
        collect=lambda: collected.append(clock.now),
        send=send,
        interval_s=lambda: 3600,
        rng=rng,
        sleep=clock.sleep,
        clock=clock,
    )

    assert stopped.unauthorized
    gaps = [b - a for a, b in zip(collected, collected[1:], strict=False)]
    assert gaps and all(3000 <= gap <= 3600 for gap in gaps)


# --- enrolment and the token file -----------------------------------------


def test_the_token_file_is_readable_by_its_user_only_whatever_the_umask(tmp_path):
    directory = tmp_path / "state"
    previous = os.umask(0)
    try:
        enrolled(directory)
    finally:
        os.umask(previous)

    token_file = directory / state.ENROLMENT
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert json.loads(token_file.read_text())["device_token"] == "device-token-abc"
    assert state.load_enrolment(directory).asset_tag == "DB-000042"
    assert not list(directory.glob(".*.tmp"))


def test_reporting_before_enrolment_says_how_to_enrol(tmp_path):
    done = agent("report", "--once", state_dir=tmp_path / "state")

    assert done.returncode == cli.NOT_ENROLLED
    assert "not enrolled" in done.stderr
    assert "assettrack-agent enroll --server URL --tag TAG --code CODE" in done.stderr
    assert not (tmp_path / "state").exists()


def test_enrolling_with_a_server_that_is_down_stores_nothing(tmp_path):
    server = f"http://127.0.0.1:{closed_port()}"
    done = agent(
        "enroll", "--server", server, "--tag", "DB-1", "--code", "ABCD-EFGH",
        state_dir=tmp_path,
    )  # fmt: skip

    assert done.returncode == cli.WAITING
    assert "could not reach the server" in done.stderr
    assert not (tmp_path / state.ENROLMENT).exists()


def test_the_token_is_never_sent_in_clear_text_over_a_network(tmp_path):
    done = agent(
        "enroll", "--server", "http://assettrack.example.be", "--tag", "DB-1",
        "--code", "ABCD-EFGH", state_dir=tmp_path,
    )  # fmt: skip

    assert done.returncode == cli.USAGE
    assert "https://" in done.stderr
    assert cli.server_address("http://localhost:5000/") == "http://localhost:5000"
    assert cli.server_address("https://a.example.be/x/") == "https://a.example.be/x"


# --- reporting while the server is away --------------------------------------


def test_an_unreachable_server_leaves_the_reports_spooled_in_order(tmp_path):
    enrolled(tmp_path, server=f"http://127.0.0.1:{closed_port()}")

    first = agent("report", "--once", "--root", str(MACHINE), state_dir=tmp_path)
    second = agent("report", "--once", "--root", str(MACHINE), state_dir=tmp_path)

    assert first.returncode == second.returncode == cli.WAITING
    assert "2 report(s) wait" in second.stderr
    assert "could not reach the server" in second.stderr
    waiting = Spool(tmp_path).pending()
    assert [item.seq for item in waiting] == [1, 2]
    reports = [Spool.load(item) for item in waiting]
    assert [r["seq"] for r in reports] == [1, 2]
    assert reports[0]["machine"]["model"] == "20HRCTO1WW"
    assert "sent_at" not in reports[0]  # set when it is sent, not before


def test_a_second_agent_on_the_same_state_folder_is_turned_away(tmp_path):
    enrolled(tmp_path)
    with state.locked(tmp_path):
        done = agent("report", "--once", "--root", str(MACHINE), state_dir=tmp_path)

    assert done.returncode == cli.BUSY
    assert "another assettrack-agent" in done.stderr
    assert Spool(tmp_path).pending() == []


# --- show ----------------------------------------------------------------------


def test_show_prints_the_report_and_writes_nothing_anywhere(tmp_path):
    home, state_dir = tmp_path / "home", tmp_path / "state"
    home.mkdir()
    state_dir.mkdir()
    env = {"HOME": str(home), "XDG_STATE_HOME": "", "ASSETTRACK_AGENT_STATE": ""}
    without_state_var = agent(
        "show", "--root", str(MACHINE), state_dir=state_dir, **env
    )
    with_state_var = agent("show", "--root", str(MACHINE), state_dir=state_dir)

    for done in (without_state_var, with_state_var):
        assert done.returncode == 0, done.stderr
        shown = json.loads(done.stdout)
        assert shown["schema"] == "assettrack-agent-report/1"
        assert "seq" not in shown and "sent_at" not in shown
    assert list(home.iterdir()) == []
    assert list(state_dir.iterdir()) == []


def test_the_help_lists_every_exit_code(tmp_path):
    done = agent("--help", state_dir=tmp_path)

    assert done.returncode == 0
    for code, meaning in cli.EXIT_CODES.items():
        assert f"{code:>3}  {meaning}" in done.stdout


@pytest.mark.parametrize(
    ("seconds", "said"), [(45, "45 s"), (3600, "60 min"), (21600, "6 h")]
)
def test_durations_read_as_a_technician_would_say_them(seconds, said):
    assert cli._duration(seconds) == said
