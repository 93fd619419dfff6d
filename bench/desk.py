"""Scan to answer at the lending desk page, next to a bare endpoint in the same run.

    python bench/desk.py --db sqlite
    python bench/desk.py --db postgresql://postgres@127.0.0.1:5432/bench

What a volunteer waits for after a scan: the browser POSTs the scanned text to
`/desk/scan` (the view reads it, asks the workflow with `lifecycle.check` and
flashes green, amber or red), follows the redirect and `GET /desk` shows the
answer. Both are timed; scan to answer is their sum.

Uses bench/run.py's database (seeded when empty), gunicorn server, percentiles
and results file. Each desk user of a few digileenplekken logs in on the login
page (bench/seed.py gives them the password DESK_PASSWORD) with their own
browser session and keep-alive connection. A round, at a random one of those
desks: scan a card of one of its borrowers without an open loan (green), then
one or two devices, each a ready device at that digileenplek (green; a second
one depends on the lending point's loan limit) or, one time in four, a device
that is lent or not ready yet (red), then "Start again" (`POST /desk/clear`).
One `GET /bench/bare` per scan, at a random place in the round. An answer in
another colour than expected stops the run. Scans write nothing, so the
database stays as it was.

Target: the issue wants a lend in under a minute and a return in seconds; a
scan's answer should take well under 100 ms at the 95th percentile.
Exit status: 0 pass, 1 the target missed, 2 an error.
"""

import argparse
import os
import random
import re
import time
from collections import Counter

import requests
import sqlalchemy as sa
from run import Server
from run import database
from run import database_label
from run import exit_with
from run import save
from run import serve_and_measure
from run import server_timing
from run import summary
from seed import DESK_PASSWORD
from seed import desk_password_hash

TARGET_MS = 100.0
GREEN, AMBER, RED = "ok", "warning", "error"  # the desk's flash categories
COLOURS = {GREEN: "green", AMBER: "amber", RED: "red"}
CSRF = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')
FLASH = re.compile(r'<p class="flash (\w+)"')
# Devices a desk cannot lend: someone has them, or they are not ready yet.
UNAVAILABLE = ("lent", "refurbishing", "qc", "repair", "wiping")


class Desk:
    """One digileenplek's desk: who logs in, whose cards and which devices."""

    def __init__(self, location: int, email: str, cards: list, ready: list):
        self.location, self.email = location, email
        self.cards, self.ready = cards, ready
        self.browser: requests.Session | None = None
        self.csrf = ""


class DeskPlan:
    """The desks of a run and the scans of each round, drawn from the database."""

    def __init__(self, url: str, desks: int, seed: int):
        self.rng = random.Random(seed)
        engine = sa.create_engine(url)
        with engine.begin() as c:

            def column(sql, **params):
                return [row[0] for row in c.execute(sa.text(sql), params)]

            self.devices = c.scalar(sa.text("SELECT count(*) FROM devices"))
            self.events = c.scalar(sa.text("SELECT count(*) FROM workflow_events"))
            # Databases seeded before the desk users had a password get it now.
            self.passwords_set = c.execute(
                sa.text(
                    "UPDATE users SET password_hash = :hash "
                    "WHERE role = 'desk' AND password_hash IS NULL"
                ),
                {"hash": desk_password_hash()},
            ).rowcount
            places = c.execute(
                sa.text(
                    "SELECT l.id, l.organisation_id, min(u.email) FROM locations l "
                    "JOIN users u ON u.organisation_id = l.organisation_id "
                    "AND u.role = 'desk' AND u.active "
                    "WHERE l.kind = 'lending' GROUP BY l.id, l.organisation_id "
                    "ORDER BY l.id"
                )
            ).all()
            self.desks = []
            for location, organisation, email in self.rng.sample(
                places, min(desks, len(places))
            ):
                # A borrower with a loan open may be at the lending point's limit.
                cards = column(
                    "SELECT b.code FROM borrowers b "
                    "JOIN borrower_identities i ON i.borrower_id = b.id "
                    "WHERE b.organisation_id = :org AND NOT EXISTS ("
                    "SELECT 1 FROM loans l WHERE l.borrower_id = b.id "
                    "AND l.closed_at IS NULL) ORDER BY b.id",
                    org=organisation,
                )
                ready = column(
                    "SELECT asset_tag FROM devices "
                    "WHERE state = 'ready' AND location_id = :here ORDER BY id",
                    here=location,
                )
                if cards and len(ready) >= 2:
                    self.desks.append(Desk(location, email, cards, ready))
            marks = ", ".join(f"'{state}'" for state in UNAVAILABLE)
            self.unavailable = column(
                f"SELECT asset_tag FROM devices WHERE state IN ({marks}) ORDER BY id"  # noqa: S608
            )
        engine.dispose()
        if not self.desks or not self.unavailable:
            raise RuntimeError("no desk with free borrowers and ready devices; reseed")

    def round(self) -> tuple[Desk, list[tuple[str, str, str | None]]]:
        """A desk and its scans: (what kind, text scanned, expected colour)."""
        rng = self.rng
        desk = rng.choice(self.desks)
        scans = [("card", rng.choice(desk.cards), GREEN)]
        ready = rng.sample(desk.ready, 2)
        for _ in range(rng.choice((1, 2))):
            if rng.random() < 0.25:
                scans.append(("device, red", rng.choice(self.unavailable), RED))
            else:
                # The first ready device is green; a second one may be over the
                # lending point's limit of open loans (with the basket) or not.
                if len(ready) == 2:
                    scans.append(("device, ready", ready.pop(), GREEN))
                else:
                    scans.append(("device, 2nd ready", ready.pop(), None))
        return desk, scans


def csrf_token(page: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


def log_in(server: Server, desk: Desk) -> None:
    """A browser session at the desk: the login page, then the desk page."""
    desk.browser = requests.Session()
    page = desk.browser.get(server.base + "/login")
    answer = desk.browser.post(
        server.base + "/login?next=/desk",
        data={
            "email": desk.email,
            "password": DESK_PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
        allow_redirects=False,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{desk.email} could not log in: {answer.status_code}")
    page = desk.browser.get(server.base + "/desk")
    if page.status_code != 200:
        raise RuntimeError(f"GET /desk as {desk.email} -> {page.status_code}")
    desk.csrf = csrf_token(page.text)


def measure(server: Server, plan: DeskPlan, rounds: int, warmup: int) -> dict:
    timings: dict[str, list] = {
        "scan": [],
        "post": [],
        "get": [],
        "bare": [],
        "card": [],
        "device, ready": [],
        "device, 2nd ready": [],
        "device, red": [],
        "start again": [],
    }
    answers: Counter = Counter()  # (what was scanned, colour of the answer)
    for desk in plan.desks:
        log_in(server, desk)

    def timed(desk, method, path, data=None, warm=False):
        # Warm-up uses a new connection each time, so every worker gets warm.
        headers = {"Connection": "close"} if warm else {}
        started = time.perf_counter()
        answer = desk.browser.request(
            method,
            server.base + path,
            data=data,
            headers=headers,
            allow_redirects=False,
        )
        elapsed = (time.perf_counter() - started) * 1000
        return answer, (elapsed, *server_timing(answer.headers["Server-Timing"]))

    def post_and_show(desk, path, data, warm):
        """A form POST and the GET of the page it redirects to, as a browser does."""
        posted, post = timed(
            desk, "POST", path, {**data, "csrf_token": desk.csrf}, warm
        )
        if posted.status_code != 302 or not posted.headers["Location"].endswith(
            "/desk"
        ):
            raise RuntimeError(f"POST {path} {data} -> {posted.status_code}")
        shown, get = timed(desk, "GET", "/desk", warm=warm)
        if shown.status_code != 200:
            raise RuntimeError(f"GET /desk after {path} -> {shown.status_code}")
        desk.csrf = csrf_token(shown.text)
        return FLASH.findall(shown.text), post, get

    for number in range(warmup + rounds):
        warm = number < warmup
        desk, scans = plan.round()
        steps = [("scan", scan) for scan in scans]
        for _ in scans:
            steps.insert(plan.rng.randrange(len(steps) + 1), ("bare", None))
        for step, scan in steps:
            if step == "bare":
                answer, sample = timed(desk, "GET", "/bench/bare", warm=warm)
                if answer.status_code != 200:
                    raise RuntimeError(f"GET /bench/bare -> {answer.status_code}")
                if not warm:
                    timings["bare"].append(sample)
                continue
            kind, text, expected = scan
            shown, post, get = post_and_show(desk, "/desk/scan", {"code": text}, warm)
            answer = RED if RED in shown else "/".join(sorted(set(shown)))
            if answer not in COLOURS or (expected and answer != expected):
                raise RuntimeError(
                    f"scanning {text} ({kind}) at {desk.email}: expected "
                    f"{expected}, the page showed {shown or 'nothing'}"
                )
            if not warm:
                answers[kind, COLOURS[answer]] += 1
                total = tuple(a + b for a, b in zip(post, get, strict=True))
                for key, sample in (
                    ("scan", total),
                    ("post", post),
                    ("get", get),
                    (kind, total),
                ):
                    timings[key].append(sample)
        _shown, post, get = post_and_show(desk, "/desk/clear", {}, warm)
        if not warm:
            timings["start again"].append(
                tuple(a + b for a, b in zip(post, get, strict=True))
            )
    for desk in plan.desks:
        desk.browser.close()
    timings["answers"] = {
        kind: {colour: n for (k, colour), n in sorted(answers.items()) if k == kind}
        for kind in dict.fromkeys(k for k, _ in sorted(answers))
    }
    return timings


ROWS = [
    ("GET /bench/bare (baseline)", "bare"),
    ("scan to answer (POST + GET)", "scan"),
    ("  POST /desk/scan", "post"),
    ("  GET /desk (shows the answer)", "get"),
    ("scan to answer, borrower card", "card"),
    ("scan to answer, ready device", "device, ready"),
    ("  a 2nd ready device", "device, 2nd ready"),
    ("scan to answer, red device", "device, red"),
    ("Start again (POST + GET)", "start again"),
]


def report(label: str, plan: DeskPlan, args, timings: dict) -> tuple[dict, bool]:
    results = {key: summary(timings[key]) for _, key in ROWS if timings[key]}
    print(
        f"\nassettrack desk bench: {label}; "
        f"{plan.devices:,} devices, {plan.events:,} events"
    )
    print(
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads "
        f"on 127.0.0.1, {os.cpu_count()} cores; {len(plan.desks)} desks logged in; "
        f"{args.rounds} rounds after {args.warmup} warm-up; seed {args.seed}"
    )
    print(f"load average (1 min) {args.load[0]:.1f} before, {args.load[1]:.1f} after")
    print(
        "answers: "
        + "; ".join(
            f"{kind} " + ", ".join(f"{n} {colour}" for colour, n in colours.items())
            for kind, colours in timings["answers"].items()
        )
        + "\n"
    )
    print(f"{'':34} {'':>5} {'client (HTTP round trips)':^31}  {'in Flask, p50':^15}")
    print(
        f"{'request':34} {'n':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'mean':>7}  "
        f"{'wall':>7} {'cpu':>7}  (ms)"
    )
    for name, key in ROWS:
        if key not in results:  # none of this kind in a short run
            continue
        r = results[key]
        print(
            f"{name:34} {r['n']:>5} {r['p50']:>7.2f} {r['p95']:>7.2f} "
            f"{r['p99']:>7.2f} {r['mean']:>7.2f}"
            f"  {r['app_p50']:>7.2f} {r['cpu_p50']:>7.2f}"
        )
    bare = results["bare"]
    scan = results["scan"]
    ratios = {q: scan[q] / bare[q] for q in ("p50", "p95")}
    passed = scan["p95"] < TARGET_MS
    print(
        f"\nscan to answer / bare: {ratios['p50']:.1f}x at p50, "
        f"{ratios['p95']:.1f}x at p95"
    )
    print(
        f"{'PASS' if passed else 'FAIL'}  scan to answer p95 "
        f"{scan['p95']:.1f} ms < {TARGET_MS:.0f} ms"
    )
    results["ratio_to_bare"] = ratios
    return results, passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default="sqlite",
        help="'sqlite', a sqlite:/// URL or a postgresql:// URL",
    )
    parser.add_argument("--rounds", type=int, default=1000, help="desk rounds measured")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--desks", type=int, default=8, help="desks logged in")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reseed", action="store_true", help="rebuild the database first"
    )
    args = parser.parse_args()

    target, url = database(args.db, args.reseed)
    plan = DeskPlan(url, args.desks, args.seed)
    if plan.passwords_set:
        print(f"gave {plan.passwords_set} desk users the bench password")
    timings = serve_and_measure(target, args, measure, plan)
    label = database_label(url)
    results, passed = report(label, plan, args, timings)
    save(
        f"desk-{label.lower()}.json",
        {
            "database": label,
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "args": vars(args),
            "devices": plan.devices,
            "events": plan.events,
            "desks": [desk.email for desk in plan.desks],
            "answers": timings["answers"],
            "target_ms": TARGET_MS,
            "results": results,
            "passed": passed,
        },
    )
    return 0 if passed else 1


if __name__ == "__main__":
    exit_with(main)
