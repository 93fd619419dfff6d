"""The WSGI app the benchmark serves: the real app plus a bare endpoint.

`GET /bench/bare` goes through the same server, WSGI stack, Flask routing and
JSON rendering as the API, but does no work: the baseline each API request is
compared with in the same run. `POST /bench/bare` also parses the JSON body it
is sent, as an API view does before its work: the baseline for a POSTed report
(bench/agent_ingest.py). Every answer also carries a `Server-Timing` header
with the time Flask spent on it, wall and CPU of the serving thread, so that a
run on a busy machine can still tell the app's own cost from waiting for a
core. All three exist only here, never in the product.

    DATABASE_URL=... gunicorn bench.app:app
"""

import time

from flask import g
from flask import request

from assettrack.app import create_app
from assettrack.extensions import csrf

app = create_app()


@app.get("/bench/bare")
def bare():
    return {"ok": True}


@app.post("/bench/bare")
@csrf.exempt  # like the API: a bearer token, no cookie
def bare_post():
    """The baseline for a POSTed report: parse the JSON body, answer a little JSON."""
    data = request.get_json()
    return {"ok": True, "keys": len(data)}, 201


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
