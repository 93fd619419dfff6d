"""Background jobs: rq on Redis when REDIS_URL is set, inline otherwise.

Job functions are plain functions that take ids; `enqueue` is the one place that
knows about rq. The worker (`flask worker`) runs inside the app context.
"""

from collections.abc import Callable

from flask import Flask
from flask import current_app

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


def enqueue(function: Callable, *args, **kwargs) -> dict:
    """Run `function` in a worker, or right now when there is no Redis."""
    rq_queue = queue()
    if rq_queue is None:
        return {"id": None, "status": "finished", "result": function(*args, **kwargs)}
    job = rq_queue.enqueue(function, *args, **kwargs)
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
