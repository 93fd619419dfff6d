"""A coordinator looks at the stock: where every device is, in which state, and
which devices are behind each number (issue 7, Stock).

The counts must be what the devices' own histories say, after any sequence of
workflow actions; every rollup must add up; each number must lead to exactly
the devices it counts; a repair partner or desk sees only its own places.
"""

import html
import importlib
import random
import re
from collections import Counter
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from pathlib import Path
from urllib.parse import parse_qsl
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from assettrack import stock
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import WorkflowEvent
from assettrack.reporting.per_month import lent_per_month
from tests.test_coordinator_figures import record

MIGRATION = (
    Path(__file__).parent.parent
    / "assettrack/migrations/versions/0009_home_location.py"
)


def stock_of(api, **query) -> dict:
    response = api.get("/stock", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def listed(api, url: str) -> list[str]:
    """The tags the device list at `url` (an /api/v1 address) shows, all pages."""
    parts = urlsplit(url)
    assert parts.path == "/api/v1/devices"
    query = dict(parse_qsl(parts.query)) | {"per_page": 500}
    response = api.get("/devices", query_string=query)
    assert response.status_code == 200, response.get_json()
    page = response.get_json()
    assert page["total"] == len(page["items"])
    return sorted(item["asset_tag"] for item in page["items"])


def from_history(app) -> dict[str, dict]:
    """Each device's state, place and home as its events alone say."""
    with app.app_context():
        lending = set(
            db.session.scalars(sa.select(Location.id).where(Location.kind == "lending"))
        )
        tags = dict(db.session.execute(sa.select(Device.id, Device.asset_tag)).all())
        kinds = dict(db.session.execute(sa.select(Device.id, Device.kind)).all())
        told: dict[str, dict] = {}
        for event in db.session.scalars(
            sa.select(WorkflowEvent).order_by(WorkflowEvent.id)
        ):
            device = told.setdefault(
                tags[event.device_id], {"kind": kinds[event.device_id], "home": None}
            )
            device["state"], device["location"] = event.to_state, event.location_id
            if event.action == "register" or (
                event.action == "transfer" and event.location_id in lending
            ):
                device["home"] = event.location_id
        return told


def random_workflows(world, seed: int, steps: int) -> None:
    """What a digibank does in a week, in a random order: take in, wipe, make
    ready, move between places, lend."""
    rng = random.Random(seed)
    places = list(world.location_ids)
    ready: list[str] = []
    received: list[str] = []
    for _ in range(steps):
        step = rng.choice(
            ["intake", "intake", "wipe", "ready", "ready", "move", "move", "lend"]
        )
        if step == "intake":
            kind = rng.choice(["laptop", "desktop", "tablet"])
            received.append(world.intake(kind=kind)["asset_tag"])
        elif step == "wipe" and received:
            world.ok(world.repair.act(received.pop(), "start_wipe"))
        elif step == "ready":
            ready.append(world.ready_device(at=rng.choice(places))["asset_tag"])
        elif step == "move" and ready:
            tag = rng.choice(ready)
            now = world.coordinator.get(f"/devices/{tag}").get_json()["location"]["id"]
            there = rng.choice([p for p in places if world.location_ids[p] != now])
            world.ok(
                world.coordinator.act(
                    tag, "transfer", {"location": world.location_ids[there]}
                )
            )
        elif step == "lend":
            world.lent_device()


def test_the_counts_are_what_the_histories_say_after_random_workflows(world, aalst):
    random_workflows(world, seed=2, steps=16)
    told = from_history(world.app)
    # The week had some of everything: the counts below are not trivially right.
    assert len({d["state"] for d in told.values()}) >= 4
    assert any(d["home"] != d["location"] for d in told.values())
    expected = Counter((d["location"], d["state"], d["kind"]) for d in told.values())
    answer = stock_of(world.coordinator)
    counted = Counter(
        {
            (row["location"]["id"], row["state"], row["kind"]): row["count"]
            for row in answer["rows"]
            if row["count"]
        }
    )
    assert counted == expected
    assert answer["totals"]["devices"] == len(told)
    assert answer["totals"]["by_state"] == dict(
        Counter(d["state"] for d in told.values())
    )
    assert answer["totals"]["by_kind"] == dict(
        Counter(d["kind"] for d in told.values())
    )
    # Home: the one rule, as the history tells it, is what the column holds.
    with world.app.app_context():
        homes = dict(
            db.session.execute(
                sa.select(Device.asset_tag, Device.home_location_id)
            ).all()
        )
    assert homes == {tag: d["home"] for tag, d in told.items()}
    away = Counter(
        (d["home"], d["state"], d["kind"])
        for d in told.values()
        if d["home"] != d["location"]
    )
    assert away == Counter(
        {
            (row["location"]["id"], row["state"], row["kind"]): row["away"]
            for row in answer["rows"]
            if row["away"]
        }
    )


def test_every_number_lists_exactly_the_devices_it_counts(world, aalst):
    random_workflows(world, seed=11, steps=10)
    told = from_history(world.app)
    for group in stock.GROUPS:
        for row in stock_of(world.coordinator, group=group)["rows"]:
            tags = listed(world.coordinator, row["devices"])
            assert len(tags) == row["count"], row
            for tag in tags:
                assert told[tag]["state"] == row["state"]
                assert told[tag]["kind"] == row["kind"]
            if row["away_devices"]:
                away = listed(world.coordinator, row["away_devices"])
                assert len(away) == row["away"], row
                assert all(told[t]["home"] == row["location"]["id"] for t in away)


def test_the_rollups_add_up_per_organisation_and_per_municipality(world, aalst):
    random_workflows(world, seed=3, steps=12)
    world.ready_device(at="aalst")
    places = stock_of(world.coordinator)
    owner = {
        row["location"]["id"]: row["location"]["organisation"] for row in places["rows"]
    }
    town = {
        row["location"]["id"]: row["location"]["municipality"] for row in places["rows"]
    }
    for group, of in (("organisation", owner), ("municipality", town)):
        rolled = stock_of(world.coordinator, group=group)
        assert rolled["totals"] == places["totals"]
        summed = Counter()
        for row in places["rows"]:
            summed[of[row["location"]["id"]], row["state"], row["kind"]] += row["count"]
        key = (
            (lambda r: r["organisation"]["id"])
            if group == "organisation"
            else (lambda r: r["municipality"])
        )
        assert +summed == Counter(
            {(key(r), r["state"], r["kind"]): r["count"] for r in rolled["rows"]}
        )
    towns = stock_of(world.coordinator, group="municipality")["rows"]
    assert {"Gent", "Aalst"} <= {row["municipality"] for row in towns}


def test_a_device_sent_to_the_store_stays_at_home_at_its_digileenplek(world):
    tag = world.ready_device()["asset_tag"]  # at De Krook
    krook = world.location_ids["digileenplek"]
    world.ok(
        world.coordinator.act(
            tag, "transfer", {"location": world.location_ids["storage"]}
        )
    )
    rows = stock_of(world.coordinator, location=krook)["rows"]
    assert [(r["location"]["id"], r["count"], r["away"]) for r in rows] == [
        (krook, 0, 1)
    ]
    assert listed(world.coordinator, rows[0]["away_devices"]) == [tag]
    stored = stock_of(world.coordinator, location=world.location_ids["storage"])
    assert [(r["count"], r["away"]) for r in stored["rows"]] == [(1, 0)]
    # Back to a digileenplek: that one is its home now.
    world.ok(world.coordinator.act(tag, "transfer", {"location": krook}))
    assert listed(world.coordinator, f"/api/v1/devices?home={krook}&away=false") == [
        tag
    ]


def test_a_repair_partner_or_desk_sees_only_its_own_places(world, aalst):
    world.intake()
    world.ready_device()
    world.ready_device(at="aalst")
    seen = {
        role: {r["location"]["name"] for r in stock_of(api)["rows"]}
        for role, api in (
            ("coordinator", world.coordinator),
            ("admin", world.admin),
            ("repair", world.repair),
            ("desk", world.desk),
        )
    }
    assert (
        seen["coordinator"]
        == seen["admin"]
        == {
            "Werkplaats Gent",
            "De Krook",
            "Bib Aalst",
        }
    )
    assert seen["repair"] == {"Werkplaats Gent"}
    assert seen["desk"] == {"De Krook"}
    assert stock_of(world.desk)["totals"]["devices"] == 1
    assert stock_of(world.desk, location=aalst)["rows"] == []
    assert stock_of(world.desk, group="municipality")["totals"]["devices"] == 1


@pytest.mark.parametrize(
    "query",
    [
        {"group": "place"},
        {"state": "sold"},
        {"kind": "car"},
        {"location": "0"},
        {"location": "De Krook"},
    ],
)
def test_a_bad_query_is_a_422_naming_the_field(world, query):
    response = world.coordinator.get("/stock", query_string=query)
    assert response.status_code == 422
    assert set(query) <= set(response.get_json()["error"]["details"]["fields"])


def test_the_devices_without_a_token_or_with_bad_filters_are_refused(world):
    assert world.client.get("/api/v1/stock").status_code == 401
    response = world.coordinator.get("/devices", query_string={"away": "maybe"})
    assert response.status_code == 422


def test_the_migration_fills_in_the_home_by_the_same_rule(world, aalst):
    random_workflows(world, seed=5, steps=10)
    spec = importlib.util.spec_from_file_location("home_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with world.app.app_context():
        before = dict(
            db.session.execute(sa.select(Device.id, Device.home_location_id)).all()
        )
        db.session.execute(sa.update(Device).values(home_location_id=None))
        db.session.execute(sa.text(migration.BACKFILL))
        db.session.commit()
        after = dict(
            db.session.execute(sa.select(Device.id, Device.home_location_id)).all()
        )
    assert after == before and None not in after.values()


# --- the page ------------------------------------------------------------------------


def text_of(page) -> str:
    body = re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def links_of(page, path: str) -> list[tuple[str, str]]:
    """(address, number) of each link on the page to `path`."""
    found = re.findall(
        r'<a href="(' + re.escape(path) + r'[^"]*)">(?:<strong>)?(\d+)',
        page.get_data(as_text=True),
    )
    return [(html.unescape(url), number) for url, number in found]


def test_the_stock_page_shows_the_table_and_a_chart_in_dutch(world, web, aalst):
    world.intake()
    world.ready_device()
    world.ready_device(at="aalst")
    world.lent_device()
    coordinator = web.visitor("coordinator")
    page = coordinator.get("/stock")
    assert page.status_code == 200
    shown = text_of(page)
    assert "Voorraad" in shown and "Per plaats" in shown
    assert "De Krook" in shown and "Bib Aalst" in shown and "Werkplaats Gent" in shown
    body = page.get_data(as_text=True)
    assert "<svg" in body and "<script" not in body and "//cdn" not in body
    assert "Toestellen per status per digileenplek" in shown
    for group in stock.GROUPS:
        follow_every_number(coordinator, f"/stock?group={group}")
    per_town = text_of(coordinator.get("/stock?group=municipality&kind=laptop"))
    assert "Aalst" in per_town and "Gent" in per_town


def follow_every_number(visitor, address: str) -> None:
    """Each number on the page opens a list of exactly that many devices."""
    links = links_of(visitor.get(address), "/stock/devices")
    assert links, address
    for url, number in links:
        listing = visitor.get(url)
        assert listing.status_code == 200, url
        rows = re.findall(
            r'<a href="/devices/([^"]+)">', listing.get_data(as_text=True)
        )
        assert len(rows) == int(number), url


def test_only_coordinators_open_the_stock_page_and_bad_filters_say_so(world, web):
    assert web.visitor("desk").get("/stock").status_code == 403
    assert web.visitor("repair").get("/stock/devices").status_code == 403
    assert web.visitor("admin").get("/stock").status_code == 200
    bad = web.visitor("coordinator").get("/stock?group=planeet")
    assert bad.status_code == 422
    assert "group" in text_of(bad)


# --- devices lent per month ------------------------------------------------------

BRUSSELS = ZoneInfo("Europe/Brussels")


def month_back(today: date, months: int, day: int = 15) -> date:
    """The `day` of the month `months` before `today`'s."""
    n = today.year * 12 + today.month - 1 - months
    return date(n // 12, n % 12 + 1, day)


def lent_at(world, at: datetime, action: str = "lend") -> None:
    """A loan (or another event) as an earlier desk system wrote it at `at`."""
    to_state = "lent" if action == "lend" else "returned"
    tag = world.intake()["asset_tag"]
    record(
        world,
        tag,
        action,
        at,
        place="digileenplek",
        from_state="ready",
        to_state=to_state,
    )


def test_the_loans_per_month_are_the_lend_events_of_each_belgian_month(world, web):
    today = datetime.now(BRUSSELS).date()
    world.lent_device()
    world.lent_device()
    at_noon = [(3, 15), (3, 2), (7, 28), (11, 1), (12, 15), (13, 15)]
    for months, day in at_noon:  # the last two are before the chart's year
        when = month_back(today, months, day)
        lent_at(world, datetime.combine(when, time(12), BRUSSELS))
    # 00:30 on the first of a month in Gent is still the month before in UTC.
    first = month_back(today, 5, 1)
    lent_at(world, datetime.combine(first, time(0, 30), BRUSSELS))
    lent_at(world, datetime.combine(first, time(12), BRUSSELS), action="return")

    with world.app.app_context():
        events = db.session.scalars(
            sa.select(WorkflowEvent.at).where(WorkflowEvent.action == "lend")
        ).all()
        counted = lent_per_month(today)
        desktops = lent_per_month(today, kind="desktop")
    told = Counter(
        (at if at.tzinfo else at.replace(tzinfo=UTC))
        .astimezone(BRUSSELS)
        .date()
        .replace(day=1)
        for at in events
    )
    months = [month_back(today, n, 1) for n in range(11, -1, -1)]
    assert [m.first for m in counted] == months
    assert {m.first: m.lent for m in counted} == {m: told[m] for m in months}
    assert [m.lent for m in counted][-1] == 2 and counted[-4].lent == 2
    assert counted[-6].lent == 1  # the loan at 00:30 on the first
    assert sum(m.lent for m in counted) == len(events) - 2  # two were too long ago
    assert [m.lent for m in desktops] == [0] * 12

    page = web.visitor("coordinator").get("/stock")
    drawn = re.findall(
        r'data-month="(\d{4}-\d\d)" data-lent="(\d+)"', page.get_data(as_text=True)
    )
    assert drawn == [(m.first.isoformat()[:7], str(m.lent)) for m in counted]
    assert "Toestellen uitgeleend per maand" in text_of(page)
