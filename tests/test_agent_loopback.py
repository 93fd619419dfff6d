"""The agent: the real `python -m assettrack.agents` against the real service.

A repair partner issues an enrolment code for a donated laptop; the
technician enrols the agent with it; the agent reports; the service stores
each report once, whatever happens on the way: the service down, the agent
killed while it waits for an answer, a report sent twice. When the token is
revoked the agent stops and says the device must be enrolled again.

The service is served on loopback (`live_server`); the agent reads a recorded
machine (tests/fixtures/agent/sysfs) with `--root`, so its reports are known.
"""

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from assettrack.agents import cli
from assettrack.agents import state
from assettrack.agents.spool import Spool
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import HealthReport

REPO = Path(__file__).parent.parent
MACHINE = REPO / "tests" / "fixtures" / "agent" / "sysfs" / "laptop-worn-two-batteries"


def agent(
    *args: str, state_dir: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "assettrack.agents",
            *args,
            "--state-dir",
            str(state_dir),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
    )


def report_once(state_dir: Path) -> subprocess.CompletedProcess:
    return agent("report", "--once", "--root", str(MACHINE), state_dir=state_dir)


def stored(app, tag: str) -> list[HealthReport]:
    """The device's health reports as the service stored them, in arrival order."""
    with app.app_context():
        device = db.session.scalar(sa.select(Device).where(Device.asset_tag == tag))
        rows = db.session.scalars(
            sa.select(HealthReport)
            .where(HealthReport.device_id == device.id)
            .order_by(HealthReport.id)
        ).all()
        db.session.expunge_all()
        return rows


def point_at(state_dir: Path, server: str) -> None:
    """Send the same device's reports somewhere else (a dead port, a black hole)."""
    enrolment = state.load_enrolment(state_dir)
    state.save_enrolment(
        state_dir, state.Enrolment(server, enrolment.asset_tag, enrolment.device_token)
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def laptop(world) -> str:
    return world.intake()["asset_tag"]


def issue_code(world, live_server: str, tag: str) -> dict:
    """A repair partner asks the service for the laptop's enrolment code."""
    response = requests.post(
        f"{live_server}/api/v1/devices/{tag}/enrollment-codes",
        headers=world.repair.headers,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def revoke(world, live_server: str, tag: str) -> None:
    response = requests.delete(
        f"{live_server}/api/v1/devices/{tag}/agent",
        headers=world.repair.headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def enrolled(world, laptop, live_server, tmp_path) -> Path:
    """The laptop's agent, enrolled with a fresh code; its state folder."""
    state_dir = tmp_path / "agent"
    code = issue_code(world, live_server, laptop)["code"]
    done = agent(
        "enroll", "--server", live_server, "--tag", laptop, "--code", code,
        state_dir=state_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Enrolled {laptop} with {live_server}" in done.stdout
    return state_dir


def test_the_command_the_service_issues_enrols_the_agent(
    world, laptop, live_server, tmp_path
):
    issued = issue_code(world, live_server, laptop)
    command = issued["command"].split()
    assert command[:2] == ["assettrack-agent", "enroll"]
    state_dir = tmp_path / "agent"

    done = agent(*command[1:], state_dir=state_dir)

    assert done.returncode == 0, done.stderr
    saved = state.load_enrolment(state_dir)
    assert (saved.server, saved.asset_tag) == (live_server, laptop)
    assert saved.device_token
    assert (state_dir / state.ENROLMENT).stat().st_mode & 0o777 == 0o600
    # the code is single use: enrolling again with it is refused
    again = agent(*command[1:], state_dir=tmp_path / "other")
    assert again.returncode == cli.ENROLMENT_REFUSED
    assert "refused the enrolment" in again.stderr
    assert not (tmp_path / "other" / state.ENROLMENT).exists()


def test_a_wrong_code_is_refused_and_stores_no_token(
    world, laptop, live_server, tmp_path
):
    issue_code(world, live_server, laptop)

    done = agent(
        "enroll", "--server", live_server, "--tag", laptop, "--code", "AAAA-AAAA",
        state_dir=tmp_path,
    )  # fmt: skip

    assert done.returncode == cli.ENROLMENT_REFUSED
    assert "code is wrong, already used or expired" in done.stderr
    assert not (tmp_path / state.ENROLMENT).exists()


def test_one_report_is_stored_once_for_its_device(app, laptop, enrolled):
    done = report_once(enrolled)

    assert done.returncode == 0, done.stderr
    assert "Sent report 1: stored." in done.stdout
    [row] = stored(app, laptop)
    assert row.seq == 1
    assert row.body["machine"]["model"] == "20FAS0U900"
    assert row.sent_at is not None
    assert Spool(enrolled).pending() == []


def test_reports_made_while_the_service_is_down_arrive_later_in_order(
    app, laptop, enrolled, live_server
):
    point_at(enrolled, f"http://127.0.0.1:{closed_port()}")
    for _ in range(2):
        down = report_once(enrolled)
        assert down.returncode == cli.WAITING
    assert "2 report(s) wait" in down.stderr
    assert stored(app, laptop) == []

    point_at(enrolled, live_server)
    up = report_once(enrolled)

    assert up.returncode == 0, up.stderr
    assert [row.seq for row in stored(app, laptop)] == [1, 2, 3]
    assert up.stdout.index("Sent report 1") < up.stdout.index("Sent report 3")
    assert Spool(enrolled).pending() == []


class BlackHole:
    """Passes the agent's request on to the service, and never answers the agent.

    So the service stores the report while the agent is still waiting: the
    moment a kill loses the answer.
    """

    def __init__(self, service: str):
        self.service = service.removeprefix("http://").split(":")
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.forwarded = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        self.held.append(client)
        request = _read_request(client)
        with socket.create_connection((self.service[0], int(self.service[1]))) as up:
            up.sendall(request)
            while up.recv(65536):  # the service's whole answer, dropped
                pass
        self.forwarded.set()

    def close(self) -> None:
        for connection in self.held:
            connection.close()
        self.listener.close()


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    return data.partition(b"\r\n\r\n")[0] + b"\r\n\r\n" + body


def test_an_agent_killed_while_waiting_for_the_answer_sends_again_stored_once(
    app, laptop, enrolled, live_server
):
    hole = BlackHole(live_server)
    point_at(enrolled, hole.url)
    waiting = subprocess.Popen(
        [
            sys.executable, "-m", "assettrack.agents", "report", "--once",
            "--root", str(MACHINE), "--state-dir", str(enrolled), "--timeout", "300",
        ],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert hole.forwarded.wait(60), "the agent never sent its report"
        assert [row.seq for row in stored(app, laptop)] == [1]  # the service has it
        os.kill(waiting.pid, signal.SIGKILL)
        waiting.wait(30)
    finally:
        waiting.kill()
        waiting.communicate()
        hole.close()
    assert [item.seq for item in Spool(enrolled).pending()] == [1]  # not lost

    point_at(enrolled, live_server)
    again = report_once(enrolled)

    assert again.returncode == 0, again.stderr
    assert "Sent report 1: the server had it already." in again.stdout
    assert "Sent report 2: stored." in again.stdout
    rows = stored(app, laptop)
    assert [row.seq for row in rows] == [1, 2]
    assert len({row.report_id for row in rows}) == 2


def test_a_report_sent_twice_is_answered_200_and_stored_once(
    app, laptop, enrolled, live_server, tmp_path
):
    point_at(enrolled, f"http://127.0.0.1:{closed_port()}")
    assert report_once(enrolled).returncode == cli.WAITING
    [waiting] = Spool(enrolled).pending()
    kept = shutil.copy(waiting.path, tmp_path / waiting.path.name)
    point_at(enrolled, live_server)
    assert report_once(enrolled).returncode == 0
    assert not waiting.path.exists()
    # the sent report's file is back, as after a kill between answer and delete
    shutil.copy(kept, waiting.path)

    again = report_once(enrolled)

    assert again.returncode == 0, again.stderr
    assert "Sent report 1: the server had it already." in again.stdout
    assert "Sent report 3: stored." in again.stdout
    rows = stored(app, laptop)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].report_id == waiting.report_id
    assert Spool(enrolled).pending() == []


def test_a_report_the_service_can_never_accept_is_set_aside_with_its_answer(
    app, laptop, enrolled
):
    first = report_once(enrolled)
    assert first.returncode == 0, first.stderr
    [row] = stored(app, laptop)
    broken = {k: v for k, v in row.body.items() if k != "sent_at"}
    broken.update(report_id="6f1c3a52-4d9f-4a8e-9b3e-2f7a1c0d5e11", seq=2)
    broken["batteries"] = [{**broken["batteries"][0], "health_pct": 999}]
    Spool(enrolled).add(broken)

    done = report_once(enrolled)

    assert done.returncode == cli.REJECTED
    assert "Report 2 can never be accepted (the server answered 422" in done.stderr
    assert "Sent report 3: stored." in done.stdout  # the rest went on
    rejected = enrolled / "rejected"
    assert sorted(p.name for p in rejected.iterdir()) == [
        f"0000000002-{broken['report_id']}.answer.json",
        f"0000000002-{broken['report_id']}.json",
    ]
    assert [r.seq for r in stored(app, laptop)] == [1, 3]


def test_a_busy_service_makes_the_agent_wait_and_keep_its_reports(
    app, laptop, enrolled
):
    app.config["AGENT_REPORT_RATE_LIMIT"] = 1
    assert report_once(enrolled).returncode == 0

    busy = report_once(enrolled)

    assert busy.returncode == cli.WAITING
    assert "the server is busy (429" in busy.stderr
    assert "1 report(s) wait" in busy.stderr
    assert [item.seq for item in Spool(enrolled).pending()] == [2]
    assert [r.seq for r in stored(app, laptop)] == [1]


def test_a_revoked_agent_stops_and_asks_to_be_enrolled_again(
    app, world, laptop, enrolled, live_server
):
    assert report_once(enrolled).returncode == 0
    revoke(world, live_server, laptop)

    stopped = report_once(enrolled)

    assert stopped.returncode == cli.REVOKED
    assert "revoked this device's token" in stopped.stderr
    assert f"enroll --server {live_server} --tag {laptop}" in stopped.stderr
    assert Spool(enrolled).pending() == []  # it keeps nothing more
    assert not (enrolled / state.ENROLMENT).exists()
    # and stays stopped, collecting nothing, until enrolled again
    still = report_once(enrolled)
    assert still.returncode == cli.REVOKED
    assert "enrolled again" in still.stderr
    assert Spool(enrolled).pending() == []
    assert [r.seq for r in stored(app, laptop)] == [1]

    code = issue_code(world, live_server, laptop)["code"]
    back = agent(
        "enroll", "--server", live_server, "--tag", laptop, "--code", code,
        state_dir=enrolled,
    )  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert report_once(enrolled).returncode == 0
    assert [r.seq for r in stored(app, laptop)] == [1, 3]


def test_run_keeps_reporting_until_the_device_is_revoked(
    app, world, laptop, enrolled, live_server, capsys
):
    """`run` in this process, its sleeps counted instead of slept."""
    slept = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(stored(app, laptop)) == 2:  # two reports in: revoke the device
            revoke(world, live_server, laptop)

    code = cli.main(
        ["run", "--root", str(MACHINE), "--state-dir", str(enrolled)],
        rng=random.Random(3),
        sleep=sleep,
        clock=lambda: sum(slept),
    )

    assert code == cli.REVOKED
    out = capsys.readouterr()
    assert "Sent report 1: stored." in out.out and "Sent report 2: stored." in out.out
    assert "The device must be enrolled again" in out.err
    assert [r.seq for r in stored(app, laptop)] == [1, 2]
    # one report an hour, less up to a sixth (the service's interval: 3600 s)
    assert all(3000 <= s <= 3600 for s in slept[1:])


def test_show_on_an_enrolled_device_sends_and_spools_nothing(app, laptop, enrolled):
    before = sorted(p.name for p in enrolled.rglob("*"))

    shown = subprocess.run(
        [sys.executable, "-m", "assettrack.agents", "show", "--root", str(MACHINE)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
        env={**os.environ, "ASSETTRACK_AGENT_STATE": str(enrolled)},
    )  # fmt: skip

    assert shown.returncode == 0, shown.stderr
    assert sorted(p.name for p in enrolled.rglob("*")) == before
    assert stored(app, laptop) == []
