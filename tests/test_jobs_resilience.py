"""Background jobs when things go wrong (issue 8, Nothing lost): a failed
attempt is tried again and its row says so; after the last attempt the row says
why; a worker killed in the middle of a job leaves no half-made result, and the
job is done again by the next worker.

Real Redis, real rq workers: in process (`flask worker --burst`), and for the
kill a `flask worker` in a process of its own, ended with SIGKILL mid-sheet.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so
from rq.registry import StartedJobRegistry

from assettrack import jobs
from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.models import User


@pytest.fixture
def kinds():
    """Job kinds a test adds, taken away again after it."""
    added: list[str] = []

    def add(name, work):
        jobs.KINDS[name] = work
        added.append(name)

    yield add
    for name in added:
        jobs.KINDS.pop(name, None)


def submitted(app, kind: str) -> str:
    with app.test_request_context():
        user = db.session.scalar(sa.select(User).filter_by(role="coordinator"))
        return jobs.submit(kind, {}, user).id


def row(app, job_id: str) -> BackgroundJob:
    with app.app_context():
        job = db.session.get(
            BackgroundJob, job_id, options=[so.undefer(BackgroundJob.result)]
        )
        db.session.expunge(job)
        return job


def work(app) -> None:
    done = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert done.exit_code == 0, done.output


def test_a_failed_attempt_is_tried_again_and_the_row_says_why(world, redis_app, kinds):
    redis_app.config["JOB_RETRY_INTERVALS"] = [0]
    seen_while_waiting = []

    def flaky(params, progress):
        if not seen_while_waiting:
            seen_while_waiting.append(None)
            raise OSError("the network share was not there")
        # The second attempt: the row told the poller what happened meanwhile.
        seen_while_waiting.append(db.session.get(BackgroundJob, job_id).error)
        return b"sheet", "text/plain"

    kinds("flaky", flaky)
    job_id = submitted(redis_app, "flaky")
    work(redis_app)
    assert seen_while_waiting[1] == (
        "OSError: the network share was not there; it will be tried again"
    )
    done = row(redis_app, job_id)
    assert (done.status, done.error, done.result) == ("finished", None, b"sheet")


def test_after_the_last_attempt_the_job_is_failed_with_its_reason(
    world, redis_app, kinds
):
    redis_app.config.update(JOB_RETRIES=2, JOB_RETRY_INTERVALS=[0])
    attempts = []

    def broken(params, progress):
        attempts.append(1)
        raise ValueError("layout a4-9x9 does not exist")

    kinds("broken", broken)
    job_id = submitted(redis_app, "broken")
    work(redis_app)
    assert len(attempts) == 3  # the first and two more
    failed = row(redis_app, job_id)
    assert failed.status == "failed" and failed.finished_at is not None
    assert failed.error == "ValueError: layout a4-9x9 does not exist"
    answer = world.coordinator.get(f"/jobs/{job_id}").get_json()
    assert (answer["status"], answer["error"]) == ("failed", failed.error)


def test_a_worker_killed_mid_sheet_leaves_no_result_and_the_next_one_makes_it(
    world, redis_app
):
    """1,200 labels take a few seconds: the worker is killed after the first."""
    redis_app.config["JOB_RETRY_INTERVALS"] = [0]  # tried again at once
    reservation = world.coordinator.post(
        "/tag-reservations",
        json={"organisation": world.org_ids["repair"], "count": 1200},
    ).get_json()
    started = redis_app.test_client().post(
        "/api/v1/labels/sheets",
        json={"reservation": reservation["id"]},
        headers=world.coordinator.headers,
    )
    assert started.status_code == 202, started.get_json()
    job_id = started.get_json()["id"]
    environment = {
        **os.environ,
        "DATABASE_URL": redis_app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_app.config["REDIS_URL"],
        "ASSETTRACK_RQ_QUEUE": redis_app.config["RQ_QUEUE"],
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "assettrack", "worker"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while row(redis_app, job_id).done == 0:
            assert worker.poll() is None, "the worker stopped by itself"
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    killed = row(redis_app, job_id)
    assert killed.status == "started" and 0 < killed.done < 1200
    assert killed.result is None, "nothing half-made is kept"

    # The next worker finds the attempt abandoned (rq's registry clean-up, as
    # when the dead worker's time has run out) and does the job again.
    with redis_app.app_context():
        StartedJobRegistry(queue=jobs.queue()).cleanup(timestamp=time.time() + 3600)
    waiting = row(redis_app, job_id)
    assert waiting.status == "queued"
    assert waiting.error == (
        "the worker stopped in the middle of this job; it will be tried again"
    )
    work(redis_app)
    done = row(redis_app, job_id)
    assert (done.status, done.done, done.total) == ("finished", 1200, 1200)
    sheet = world.coordinator.get(f"/jobs/{job_id}/result")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")
