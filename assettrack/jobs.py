"""Background jobs: rq on Redis when REDIS_URL is set, inline otherwise.

Job functions are plain functions that take ids; `enqueue` is the one place that
knows about rq. The worker (`flask worker`) runs inside the app context.
"""

from collections.abc import Callable

from flask import Flask
from flask import current_app

from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.models import User
from assettrack.models.types import utcnow
from assettrack.problems import Refusal

# What each kind of job does: params and a progress callback in, (bytes, mimetype) out.
Work = Callable[[dict, Callable[[int, int], None]], tuple[bytes, str]]
KINDS: dict[str, Work] = {}

_KEY = "assettrack.rq"


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if not url:
        app.extensions[_KEY] = None
        return
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    app.extensions[_KEY] = Queue(app.config["RQ_QUEUE"], connection=connection)


def queue(app: Flask | None = None):
    """The app's rq queue, or None when jobs run inline."""
    return (app or current_app).extensions.get(_KEY)


def enqueue(function: Callable, *args, rq_options: dict | None = None) -> dict:
    """Run `function` in a worker, or right now when there is no Redis.

    `rq_options`: how rq should treat it (retries, a failure callback).
    """
    rq_queue = queue()
    if rq_queue is None:
        return {"id": None, "status": "finished", "result": function(*args)}
    job = rq_queue.enqueue(function, *args, **(rq_options or {}))
    return {"id": job.id, "status": job.get_status(), "result": None}


def queue_status(app: Flask) -> str:
    rq_queue = queue(app)
    if rq_queue is None:
        return "inline"
    try:
        rq_queue.connection.ping()
    except Exception:  # any Redis failure means the same thing to a health check
        return "unreachable"
    return "ok"


def submit(kind: str, params: dict, user: User, total: int = 0) -> BackgroundJob:
    """Record a job and start it: in a worker, or right now without Redis."""
    job = BackgroundJob(kind=kind, params=params, total=total, requested_by_id=user.id)
    db.session.add(job)
    db.session.commit()
    try:
        enqueue(run, job.id, rq_options=_retried())
    except Exception as exc:  # Redis down: say so, leave no job waiting forever
        _fail(job.id, f"the job queue is unreachable: {exc}")
        raise Refusal(
            "queue", "the job queue is unreachable; try again later", 503
        ) from exc
    db.session.refresh(job)
    return job


def _retried() -> dict:
    """A failed attempt (or a worker that died doing it) is tried again, and the
    job's row says so; after the last attempt it says why it failed."""
    from rq import Callback
    from rq import Retry

    config = current_app.config
    return {
        "retry": Retry(config["JOB_RETRIES"], config["JOB_RETRY_INTERVALS"]),
        "on_failure": Callback(attempt_failed),
    }


def attempt_failed(rq_job, connection, kind, value, traceback) -> None:
    """rq calls this in the worker after each failed attempt, and in the worker
    that finds an attempt abandoned by a worker that died (value: AbandonedJobError)."""
    from rq.exceptions import AbandonedJobError

    why = (
        "the worker stopped in the middle of this job"
        if isinstance(value, AbandonedJobError)
        else f"{kind.__name__}: {value}"
    )
    job = db.session.get(BackgroundJob, rq_job.args[0])
    if job is None:
        return
    if rq_job.retries_left:
        job.status, job.done = "queued", 0
        job.error = f"{why}; it will be tried again"[:2000]
    else:
        job.status, job.error, job.finished_at = "failed", why[:2000], utcnow()
    db.session.commit()


def run(job_id: str) -> None:
    """Do one recorded job, keeping its row up to date for whoever polls it.

    In a context of its own: a worker runs many jobs in one process, and no
    job may see what an earlier one left in `g` or in the session.
    """
    with current_app.app_context():
        _run(job_id)


def _run(job_id: str) -> None:
    job = db.session.get(BackgroundJob, job_id)
    job.status = "started"
    db.session.commit()

    def progress(done: int, total: int) -> None:
        if done == total or done % 24 == 0:  # a commit per sheet, not per label
            job.done, job.total = done, total
            db.session.commit()

    try:
        result, mimetype = KINDS[job.kind](job.params, progress)
    except Exception as exc:
        db.session.rollback()
        if queue() is not None:
            raise  # rq tries it again; `attempt_failed` keeps the row up to date
        _fail(job_id, str(exc))  # inline: the caller learns why at once
        return
    job.result, job.result_type = result, mimetype
    job.status, job.finished_at, job.error = "finished", utcnow(), None
    db.session.commit()


def _fail(job_id: str, message: str) -> None:
    job = db.session.get(BackgroundJob, job_id)
    job.status, job.error, job.finished_at = "failed", message[:2000], utcnow()
    db.session.commit()
