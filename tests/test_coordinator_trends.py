"""A coordinator looks at trends: stock per digileenplek over time, and how long
devices stay in each state, on the figures page.

A year of random work goes through the API (intake, bench, transfers sent and
received, found elsewhere, loans, returns, losses, scrapping) with the clock
of the events moved on between steps. The series and the stays the reports
give must be what a replay of every device's events, written here, says.
"""

import io
import random
import re
import statistics
from collections import defaultdict
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from conftest import in_days

from assettrack import stock
from assettrack.extensions import db
from assettrack.models import Location
from assettrack.models import WorkflowEvent
from assettrack.reporting.over_time import last_months
from assettrack.reporting.over_time import over_time
from assettrack.reporting.over_time import steps_of
from assettrack.reporting.period import Period
from assettrack.reporting.time_in_state import time_in_state
from tests.test_coordinator_stock import text_of

BRUSSELS = ZoneInfo("Europe/Brussels")
OUT = ("lent", "scrapped", "lost")


class Clock:
    """The time new events are recorded at, moved on by the test."""

    def __init__(self, start: datetime):
        self.now = start

    def stamp(self, mapper, connection, event) -> None:
        if event.at is None:
            event.at = self.now


@pytest.fixture
def clock():
    """Events recorded from 400 days ago on, as the test moves the clock."""
    found = Clock(datetime.now(UTC) - timedelta(days=400))
    sa.event.listen(WorkflowEvent, "before_insert", found.stamp)
    yield found
    sa.event.remove(WorkflowEvent, "before_insert", found.stamp)


# --- a year of random work through the API ------------------------------------------


class Year:
    """Devices taken in, made ready, moved, lent and lost, one step a few days."""

    def __init__(self, world, clock: Clock, rng: random.Random):
        self.world, self.clock, self.rng = world, clock, rng
        self.places = [p for p in world.location_ids]
        self.devices: dict[str, dict] = {}  # tag: {"state", "place", "transit"}
        self.borrowers = 0

    def tick(self) -> None:
        latest = datetime.now(UTC) - timedelta(hours=1)
        step = timedelta(hours=self.rng.uniform(2, 24 * 12))
        self.clock.now = min(self.clock.now + step, latest)

    def act(self, api, tag: str, action: str, payload: dict | None = None) -> None:
        self.world.ok(api.act(tag, action, payload))
        self.tick()

    def some(self, *states: str, transit: bool = False, place: str | None = None):
        found = [
            tag
            for tag, d in self.devices.items()
            if d["state"] in states
            and d["transit"] == transit
            and (place is None or d["place"] == place)
        ]
        return self.rng.choice(found) if found else None

    def run(self, steps: int) -> None:
        moves = {
            "intake": 3,
            "ready": 3,
            "send": 3,
            "receive": 3,
            "relocate": 2,
            "lend": 4,
            "return": 3,
            "lost": 1,
            "scrap": 1,
        }
        for _ in range(steps):
            move = self.rng.choices(list(moves), weights=list(moves.values()))[0]
            getattr(self, f"do_{move}")()

    def do_intake(self) -> None:
        tag = self.world.intake()["asset_tag"]
        self.devices[tag] = {"state": "received", "place": "workshop", "transit": False}
        self.tick()

    def do_ready(self) -> None:
        tag = self.some("received", "returned", place="workshop")
        if tag is None:
            return self.do_intake()
        w = self.world
        self.act(w.repair, tag, "start_wipe")
        w.erase_all(w.repair.get(f"/devices/{tag}").get_json())
        self.act(w.repair, tag, "finish_wipe")
        self.act(w.repair, tag, "submit_qc")
        w.record_qc(tag)
        self.act(w.repair, tag, "pass_qc")
        self.devices[tag]["state"] = "ready"

    def do_send(self) -> None:
        tag = self.some("received", "ready", "returned")
        if tag is None:
            return
        device = self.devices[tag]
        there = self.rng.choice([p for p in self.places if p != device["place"]])
        where = {"location": self.world.location_ids[there]}
        self.act(self.world.coordinator, tag, "transfer", where)
        device.update(transit=True, sent_to=there)

    def do_receive(self) -> None:
        tag = self.some("received", "ready", "returned", transit=True)
        if tag is None:
            return self.do_send()
        device = self.devices[tag]
        if self.rng.random() < 0.25:  # it arrived somewhere else
            there = self.rng.choice(self.places)
            where = {"location": self.world.location_ids[there]}
            self.act(self.world.coordinator, tag, "receive", where)
        else:
            there = device["sent_to"]
            self.act(self.world.coordinator, tag, "receive")
        device.update(transit=False, place=there)

    def do_relocate(self) -> None:
        transit = self.rng.random() < 0.3
        tag = self.some("received", "ready", "returned", transit=transit)
        if tag is None:
            return
        here = self.devices[tag]["place"]
        there = self.rng.choice([p for p in self.places if p != here])
        where = {"location": self.world.location_ids[there]}
        self.act(self.world.coordinator, tag, "relocate", where)
        self.devices[tag].update(transit=False, place=there)

    def do_lend(self) -> None:
        tag = self.some("ready", place="digileenplek")
        if tag is None:
            tag = self.some("ready")
            if tag is None:
                return self.do_ready()
            where = {"location": self.world.location_ids["digileenplek"]}
            self.act(self.world.coordinator, tag, "transfer", where)
            self.act(self.world.coordinator, tag, "receive")
            self.devices[tag]["place"] = "digileenplek"
        self.borrowers += 1
        made = self.world.desk.post("/borrowers", json={"name": f"B {self.borrowers}"})
        assert made.status_code == 201, made.get_json()
        loan = {"borrower": made.get_json()["code"], "due_date": in_days(30)}
        self.act(self.world.desk, tag, "lend", loan)
        self.devices[tag]["state"] = "lent"

    def do_return(self) -> None:
        tag = self.some("lent")
        if tag is not None:
            self.act(self.world.desk, tag, "return")
            self.devices[tag]["state"] = "returned"

    def do_lost(self) -> None:
        tag = self.some("lent")
        if tag is not None:
            self.act(self.world.coordinator, tag, "report_lost")
            self.devices[tag]["state"] = "lost"

    def do_scrap(self) -> None:
        tag = self.some("ready")
        if tag is not None:
            self.act(self.world.repair, tag, "scrap", {"reason": "cracked case"})
            self.devices[tag]["state"] = "scrapped"


# --- what a replay of the events says -----------------------------------------------


def events_of(app) -> list[WorkflowEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(sa.select(WorkflowEvent).order_by(WorkflowEvent.id))
        )
        db.session.expunge_all()
        return found


def on_hand_at(events, moment: datetime) -> dict[int, int]:
    """Replay every device's events before `moment`: on hand per place."""
    last = {}
    for event in events:
        if event.at < moment:
            last[event.device_id] = event
    counts: dict[int, int] = defaultdict(int)
    for event in last.values():
        travelling = event.action == "transfer"
        if event.to_state not in OUT and not travelling and event.location_id:
            counts[event.location_id] += 1
    return counts


def replayed_series(events, period: Period, now: datetime) -> dict[int, list[int]]:
    _, steps = steps_of(period)
    series = defaultdict(list)
    for step in steps:
        counted = on_hand_at(events, min(step.bounds()[1], now))
        for place in {e.location_id for e in events if e.location_id} | set(counted):
            series[place].append(counted.get(place, 0))
    return series


def p90(values: list[float]) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    rank = 0.9 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def replayed_stays(events, period: Period, now: datetime) -> dict[str, dict]:
    start, end = period.bounds()
    by_device = defaultdict(list)
    for event in events:
        if event.from_state is None or event.from_state != event.to_state:
            by_device[event.device_id].append(event)
    ended, going = defaultdict(list), defaultdict(list)
    for changes in by_device.values():
        for before, after in zip(changes, changes[1:], strict=False):
            if start <= after.at < end:
                ended[after.from_state].append((after.at - before.at).total_seconds())
        if changes[-1].to_state not in ("scrapped", "lost"):
            going[changes[-1].to_state].append((now - changes[-1].at).total_seconds())

    def days(seconds):
        return round(seconds / 86400, 2)

    return {
        state: {
            "stays": len(ended[state]),
            "median_days": days(statistics.median(ended[state])),
            "mean_days": days(statistics.fmean(ended[state])),
            "p90_days": days(p90(ended[state])),
        }
        for state in ended
    } | {
        f"open {state}": {
            "open": len(seconds),
            "open_median_days": days(statistics.median(seconds)),
        }
        for state, seconds in going.items()
    }


def close(a, b) -> bool:
    """Equal, or one hundredth of a day apart (PostgreSQL's own arithmetic)."""
    return a == b or (a is not None and b is not None and abs(a - b) <= 0.011)


# --- the tests ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [3, 2026])
def test_the_series_and_the_stays_are_what_a_replay_of_the_events_says(
    world, aalst, clock, seed
):
    Year(world, clock, random.Random(seed)).run(steps=90)
    events = events_of(world.app)
    assert {e.action for e in events} >= {
        "transfer",
        "receive",
        "relocate",
        "lend",
        "return",
        "scrap",
    }
    today = datetime.now(BRUSSELS).date()
    now = datetime.now(UTC)
    with world.app.app_context():
        places = list(db.session.scalars(sa.select(Location)))
        long = last_months(today, 14)
        short = Period(today - timedelta(days=40), today + timedelta(days=1))
        trends = {p: over_time(p, places, now=now) for p in (long, short)}
        year = Period(today - timedelta(days=365), today + timedelta(days=1))
        stays = time_in_state(year, now=now)
        told_series = {p: replayed_series(events, p, now) for p in trends}
        told_stays = replayed_stays(events, year, now)
    for period, trend in trends.items():
        told = told_series[period]
        assert {line.place.id: line.counts for line in trend.lines} == {
            place.id: told.get(place.id, [0] * len(trend.steps)) for place in places
        }
    assert trends[long].step == "month" and len(trends[long].steps) == 14
    assert trends[short].step == "week" and len(trends[short].steps) == 6
    assert any(len(set(line.counts)) > 1 for line in trends[long].lines)

    told = told_stays
    for row in stays:
        state = row["state"]
        expected = told.get(state, {"stays": 0})
        assert row["stays"] == expected["stays"], state
        for key in ("median_days", "mean_days", "p90_days"):
            assert close(row[key], expected.get(key)), (state, key, row, expected)
        going = told.get(f"open {state}", {"open": 0})
        assert row["open"] == going["open"], state
        assert close(row["open_median_days"], going.get("open_median_days")), state
    assert sum(row["stays"] for row in stays) > 30


def test_a_transfer_counts_at_neither_place_until_it_is_received(world, aalst, clock):
    tag = world.ready_device(at="digileenplek")["asset_tag"]
    sent = clock.now = datetime.now(UTC) - timedelta(days=40)
    world.ok(
        world.coordinator.act(
            tag, "transfer", {"location": world.location_ids["aalst"]}
        )
    )
    clock.now = sent + timedelta(days=20)
    world.ok(world.coordinator.act(tag, "receive"))
    clock.now = sent + timedelta(days=25)
    # Found back at De Krook by a stock-take: it was at Aalst on the records.
    where = {"location": world.location_ids["digileenplek"]}
    world.ok(world.coordinator.act(tag, "relocate", where))
    with world.app.app_context():
        places = {p.id: p.name for p in stock.all_places().values()}
        krook, aalst_id = (
            world.location_ids["digileenplek"],
            world.location_ids["aalst"],
        )
        series = over_time(
            Period(sent.date() - timedelta(days=7), sent.date() + timedelta(days=35)),
            [stock.all_places()[krook], stock.all_places()[aalst_id]],
        )
    counts = {places[line.place.id]: line.counts for line in series.lines}
    # Weeks: before the send, in transit (two weeks), at Aalst, back at De Krook.
    assert counts["De Krook"][0] == 1 and counts["Bib Aalst"][0] == 0
    assert counts["De Krook"][1:3] == [0, 0] and counts["Bib Aalst"][1:3] == [0, 0]
    assert counts["Bib Aalst"][3] == 1
    assert counts["De Krook"][-1] == 1 and counts["Bib Aalst"][-1] == 0


def test_the_figures_answer_has_the_time_in_each_state(world, clock):
    tag = world.intake()["asset_tag"]
    clock.now = datetime.now(UTC) - timedelta(days=10)
    start = clock.now
    world.ok(world.repair.act(tag, "send_to_repair", {"reason": "no power"}))
    clock.now = start + timedelta(days=3)
    world.ok(world.repair.act(tag, "finish_repair"))
    today = datetime.now(BRUSSELS).date()
    response = world.coordinator.get(
        "/figures",
        query_string={
            "from": (today - timedelta(days=30)).isoformat(),
            "to": in_days(1),
        },
    )
    assert response.status_code == 200, response.get_json()
    rows = {row["state"]: row for row in response.get_json()["time_in_state"]}
    assert list(rows) == [
        "received",
        "wiping",
        "refurbishing",
        "qc",
        "ready",
        "lent",
        "returned",
        "repair",
        "scrapped",
        "lost",
    ]
    assert rows["repair"] == {
        "state": "repair",
        "stays": 1,
        "median_days": 3.0,
        "mean_days": 3.0,
        "p90_days": 3.0,
        "open": 0,
        "open_median_days": None,
    }
    assert rows["received"]["stays"] == 1
    assert rows["refurbishing"]["open"] == 1
    assert rows["refurbishing"]["open_median_days"] == 7.0
    assert "totals" in response.get_json() and "lending" in response.get_json()


def numbers_in(page, css_class: str) -> list[list[str]]:
    """The rows of the table of `css_class`, as the texts of their cells."""
    body = page.get_data(as_text=True)
    table = re.search(
        rf'<table class="figures {css_class}">(.*?)</table>', body, re.S
    ).group(1)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


@pytest.mark.parametrize(
    "language, words",
    [
        (
            "nl",
            ("Cijfers", "Voorraad per digileenplek doorheen de tijd", "Exporteer XLSX"),
        ),
        (
            "fr",
            ("Chiffres", "Stock par digileenplek au fil du temps", "Exporter en XLSX"),
        ),
        ("en", ("Figures", "Stock per digileenplek over time", "Export XLSX")),
    ],
)
def test_the_figures_page_shows_the_numbers_in_each_language(
    world, web, aalst, clock, language, words
):
    Year(world, clock, random.Random(7)).run(steps=30)
    coordinator = web.visitor("coordinator")
    page = coordinator.get(f"/figures?lang={language}")
    assert page.status_code == 200
    shown = text_of(page)
    for word in words:
        assert word in shown, word
    body = page.get_data(as_text=True)
    assert "<script" not in body and "//cdn" not in body
    assert body.count("<title id=") == 2 and body.count("<desc id=") == 2

    today = datetime.now(BRUSSELS).date()
    events = events_of(world.app)
    with world.app.app_context():
        told = replayed_series(events, last_months(today), datetime.now(UTC))
        names = {p.id: p.name for p in stock.all_places().values()}
        year = Period.year(today.year)
        totals = {
            row["what"]: row["times"]
            for row in world.coordinator.get(
                "/figures",
                query_string={
                    "from": year.start.isoformat(),
                    "to": year.end.isoformat(),
                },
            ).get_json()["totals"]
        }
    on_hand = {row[0]: row[1:] for row in numbers_in(page, "on-hand")[1:]}
    assert on_hand == {
        name: [str(n) for n in told.get(place, [0] * 12)]
        for place, name in names.items()
    }
    drawn = dict(re.findall(r'data-place="([^"]+)" data-counts="([\d,]+)"', body))
    assert drawn == {
        names[p]: ",".join(map(str, told.get(p, [0] * 12)))
        for p in (world.location_ids["digileenplek"], world.location_ids["aalst"])
    }
    rows = {row[0]: row[1:] for row in numbers_in(page, "totals")[1:]}
    assert len(rows) == len(totals)
    assert sorted(int(row[0]) for row in rows.values()) == sorted(totals.values())


def test_a_chosen_year_or_period_and_bad_ones(world, web):
    coordinator = web.visitor("coordinator")
    page = coordinator.get("/figures?year=2025")
    assert page.status_code == 200
    assert 'value="2025-01-01"' in page.get_data(as_text=True)
    assert coordinator.get("/figures?from=2026-03-01&to=2026-04-01").status_code == 200
    assert coordinator.get("/figures?from=2026-03-01").status_code == 422
    assert coordinator.get("/figures?from=2026-04-01&to=2026-03-01").status_code == 422
    assert coordinator.get("/figures?year=zeventig").status_code == 422
    assert web.visitor("desk").get("/figures").status_code == 403
    assert web.visitor("repair").get("/figures").status_code == 403


def test_the_export_button_makes_a_file_and_shows_its_progress(world, web):
    world.lent_device()
    coordinator = web.visitor("coordinator")
    started = coordinator.post(
        "/figures/export", {"from": "2026-01-01", "to": "2027-01-01", "format": "xlsx"}
    )
    assert started.status_code == 303
    job = coordinator.get(started.headers["Location"])
    assert job.status_code == 200
    assert "Cijferexport" in text_of(job) or "export" in text_of(job).lower()
    link = re.search(r'href="(/jobs/[^"]+/file)"', job.get_data(as_text=True)).group(1)
    file = coordinator.get(link)
    assert file.status_code == 200 and file.data[:2] == b"PK"
    assert ".xlsx" in file.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(file.data), read_only=True)[
        "time_in_state"
    ]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    told = world.coordinator.get(
        "/figures", query_string={"from": "2026-01-01", "to": "2027-01-01"}
    ).get_json()["time_in_state"]
    assert header[:2] == ["state", "stays"]
    assert rows == [[row[key] for key in header] for row in told]
    refused = coordinator.post(
        "/figures/export", {"from": "2026-01-01", "to": "2027-01-01"}, csrf=False
    )
    assert refused.status_code == 400
    assert (
        coordinator.post(
            "/figures/export",
            {"from": "2026-01-01", "to": "2027-01-01", "format": "pdf"},
        ).status_code
        == 422
    )


def test_the_stock_page_and_the_menu_lead_to_the_figures(world, web):
    page = web.visitor("coordinator").get("/stock")
    assert 'href="/figures"' in page.get_data(as_text=True)


def test_a_week_and_a_month_step(app):
    with app.app_context():
        step, steps = steps_of(Period(date(2026, 3, 1), date(2026, 3, 20)))
        assert step == "week"
        assert [s.start.day for s in steps] == [1, 8, 15]
        assert steps[-1].end == date(2026, 3, 20)
        step, steps = steps_of(Period(date(2026, 1, 15), date(2026, 6, 1)))
        assert step == "month"
        assert [s.start for s in steps][:2] == [date(2026, 1, 15), date(2026, 2, 1)]
        assert len(steps) == 5
