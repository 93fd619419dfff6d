"""The WSGI app the benchmark serves: the real app plus a bare endpoint.

`GET /bench/bare` goes through the same server, WSGI stack, Flask routing and
JSON rendering as the API, but does no work: the baseline each API request is
compared with in the same run. It exists only here, never in the product.

    gunicorn bench.app:app   (DATABASE_URL names the seeded database)
"""

from assettrack.app import create_app

app = create_app()


@app.get("/bench/bare")
def bare():
    return {"ok": True}
