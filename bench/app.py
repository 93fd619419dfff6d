"""The WSGI app the benchmark serves: the real app plus a bare endpoint.

`GET /bench/bare` goes through the same server, WSGI stack, Flask routing and
JSON rendering as the API, but does no work: the baseline each API request is
compared with in the same run. Every answer also carries a `Server-Timing`
header with the time Flask spent on it, wall and CPU of the serving thread, so
that a run on a busy machine can still tell the app's own cost from waiting for
a core. Both exist only here, never in the product.

    DATABASE_URL=... gunicorn bench.app:app
"""

import time

from flask import g

from assettrack.app import create_app

app = create_app()


@app.get("/bench/bare")
def bare():
    return {"ok": True}


@app.before_request
def _start_clock():
    g.bench_clock = (time.perf_counter(), time.thread_time())


@app.after_request
def _server_timing(response):
    wall, cpu = g.bench_clock
    response.headers["Server-Timing"] = (
        f"app;dur={(time.perf_counter() - wall) * 1000:.3f}, "
        f"cpu;dur={(time.thread_time() - cpu) * 1000:.3f}"
    )
    return response
