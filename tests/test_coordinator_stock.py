"""A coordinator looks at the stock: where every device is, in which state, and
which devices are behind each number (issue 7, Stock).

The counts must be what the devices' own histories say, after any sequence of
workflow actions; every rollup must add up; each number must lead to exactly
the devices it counts; a repair partner or desk sees only its own places.
"""

import html
import random
import re
from collections import Counter
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
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
    """Each device's state, place, home and destination as its events alone say."""
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
                tags[event.device_id],
                {"kind": kinds[event.device_id], "home": None, "sent_to": None},
            )
            device["state"], device["location"] = event.to_state, event.location_id
            if event.action == "transfer":
                device["sent_to"] = event.payload["location"]
            if event.action in ("receive", "relocate"):
                device["sent_to"] = None
            if event.action == "register" or (
                event.action in ("receive", "relocate") and event.location_id in lending
            ):
                device["home"] = event.location_id
        return told


def random_workflows(world, seed: int, steps: int) -> None:
    """What a digibank does in a week, in a random order: take in, wipe, make
    ready, send between places, receive, find one elsewhere, lend."""
    rng = random.Random(seed)
    places = list(world.location_ids)
    ready: list[str] = []
    travelling: list[str] = []
    received: list[str] = []
    for _ in range(steps):
        step = rng.choice(
            ["intake", "intake", "wipe", "ready", "ready", "send", "send", "arrive"]
            + ["found", "lend"]
        )
        if step == "intake":
            kind = rng.choice(["laptop", "desktop", "tablet"])
            received.append(world.intake(kind=kind)["asset_tag"])
        elif step == "wipe" and received:
            world.ok(world.repair.act(received.pop(), "start_wipe"))
        elif step == "ready":
            ready.append(world.ready_device(at=rng.choice(places))["asset_tag"])
        elif step in ("send", "found") and ready:
            tag = ready.pop(rng.randrange(len(ready)))
            now = world.coordinator.get(f"/devices/{tag}").get_json()["location"]["id"]
            there = rng.choice([p for p in places if world.location_ids[p] != now])
            action = "transfer" if step == "send" else "relocate"
            world.ok(
                world.coordinator.act(
                    tag, action, {"location": world.location_ids[there]}
                )
            )
            (travelling if step == "send" else ready).append(tag)
        elif step == "arrive" and travelling:
            tag = travelling.pop(0)
            world.ok(world.coordinator.act(tag, "receive"))
            ready.append(tag)
        elif step == "lend":
            world.lent_device()


def test_the_counts_are_what_the_histories_say_after_random_workflows(world, aalst):
    random_workflows(world, seed=2, steps=24)
    told = from_history(world.app)
    # The week had some of everything: the counts below are not trivially right.
    assert len({d["state"] for d in told.values()}) >= 4
    assert any(d["home"] != d["location"] for d in told.values())
    assert any(d["sent_to"] for d in told.values())
    expected = Counter(
        (d["location"], d["state"], d["kind"])
        for d in told.values()
        if not d["sent_to"]
    )
    answer = stock_of(world.coordinator)
    on_the_way = Counter(
        (d["location"], d["sent_to"]) for d in told.values() if d["sent_to"]
    )
    assert on_the_way == Counter(
        {(route["from"], route["to"]): route["count"] for route in answer["in_transit"]}
    )
    # Each place and organisation the rows name is described once.
    described = {place["id"]: place for place in answer["places"]}
    assert len(described) == len(answer["places"])
    assert {row["location"] for row in answer["rows"]} <= set(described)
    assert {o["id"] for o in answer["organisations"]} == {
        place["organisation"] for place in answer["places"]
    }
    # The places and the routes add up to every device.
    assert answer["totals"]["in_transit"] == sum(on_the_way.values())
    assert sum(row["count"] for row in answer["rows"]) + sum(
        route["count"] for route in answer["in_transit"]
    ) == len(told)
    counted = Counter(
        {
            (row["location"], row["state"], row["kind"]): row["count"]
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
        if d["home"] != d["location"] or d["sent_to"]
    )
    assert away == Counter(
        {
            (row["location"], row["state"], row["kind"]): row["away"]
            for row in answer["rows"]
            if row["away"]
        }
    )


def test_every_number_lists_exactly_the_devices_it_counts(world, aalst):
    random_workflows(world, seed=12, steps=14)
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
                assert all(told[t]["home"] == row["location"] for t in away)
    routes = stock_of(world.coordinator)["in_transit"]
    assert routes, "the week sent devices that have not arrived yet"
    for route in routes:
        tags = listed(world.coordinator, route["devices"])
        assert len(tags) == route["count"], route
        assert {told[t]["sent_to"] for t in tags} == {route["to"]}
        assert {told[t]["location"] for t in tags} == {route["from"]}


def test_the_rollups_add_up_per_organisation_and_per_municipality(world, aalst):
    random_workflows(world, seed=3, steps=12)
    world.ready_device(at="aalst")
    places = stock_of(world.coordinator)
    owner = {place["id"]: place["organisation"] for place in places["places"]}
    town = {place["id"]: place["municipality"] for place in places["places"]}
    for group, of in (("organisation", owner), ("municipality", town)):
        rolled = stock_of(world.coordinator, group=group)
        assert rolled["totals"] == places["totals"]
        summed = Counter()
        for row in places["rows"]:
            summed[of[row["location"]], row["state"], row["kind"]] += row["count"]
        key = (
            (lambda r: r["organisation"])
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
    world.move(tag, "storage")
    rows = stock_of(world.coordinator, location=krook)["rows"]
    assert [(r["location"], r["count"], r["away"]) for r in rows] == [(krook, 0, 1)]
    assert listed(world.coordinator, rows[0]["away_devices"]) == [tag]
    stored = stock_of(world.coordinator, location=world.location_ids["storage"])
    assert [(r["count"], r["away"]) for r in stored["rows"]] == [(1, 0)]
    # Back to a digileenplek: that one is its home now.
    world.move(tag, "digileenplek")
    assert listed(world.coordinator, f"/api/v1/devices?home={krook}&away=false") == [
        tag
    ]


def test_a_repair_partner_or_desk_sees_only_its_own_places(world, aalst):
    world.intake()
    world.ready_device()
    world.ready_device(at="aalst")
    seen = {
        role: {place["name"] for place in stock_of(api)["places"]}
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


def test_the_stock_page_shows_what_is_on_the_way_and_how_long(world, web):
    late, fresh = (world.ready_device(at="workshop")["asset_tag"] for _ in range(2))
    krook = {"location": world.location_ids["digileenplek"]}
    for tag in (late, fresh):
        world.ok(world.coordinator.act(tag, "transfer", krook))
    with world.app.app_context():
        db.session.execute(
            sa.update(Device)
            .where(Device.asset_tag == late)
            .values(in_transit_since=datetime.now(UTC) - timedelta(days=9, hours=1))
        )
        db.session.commit()
    coordinator = web.visitor("coordinator")
    page = coordinator.get("/stock")
    shown = text_of(page)
    assert "Onderweg" in shown
    assert "Werkplaats Gent De Krook 2 9 dagen" in shown
    assert '<tr class="late">' in page.get_data(as_text=True), "9 days is too long"
    assert [number for _url, number in links_of(page, "/stock/devices")][-1] == "2"
    follow_every_number(coordinator, "/stock")
    # Received: on the way no more, and counted at De Krook.
    world.ok(world.desk.act(late, "receive"))
    world.ok(world.desk.act(fresh, "receive"))
    shown = text_of(coordinator.get("/stock"))
    assert "Onderweg" not in shown


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

    # The ended months are remembered; this month's count moves with each loan.
    world.lent_device()
    again = web.visitor("coordinator").get("/stock").get_data(as_text=True)
    now = re.findall(r'data-month="(\d{4}-\d\d)" data-lent="(\d+)"', again)
    assert now[:-1] == drawn[:-1] and now[-1] == (drawn[-1][0], "3")
