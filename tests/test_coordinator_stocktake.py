"""A desk volunteer counts a room: scan every label, read the result, correct the
records (issue 7, Stock-take).

The result lists what was expected and found, what is missing, what was found
but the records put elsewhere (or on its way elsewhere), what was on its way
here, what is recorded as lent, scrapped or lost, and codes no device has. The
corrections are lifecycle events, one per device, and the stock counts follow.
"""

import html
import io
import re

import pytest
import sqlalchemy as sa
from test_hostile_input import Refusals
from test_hostile_input import changed_tables
from test_hostile_input import error_of
from test_hostile_input import snapshot

from assettrack import lifecycle
from assettrack import stock
from assettrack import stocktaking
from assettrack.extensions import db
from assettrack.models import StockTakeScan
from assettrack.models import User
from assettrack.workflow import Refused
from labels.tags import make_tag

UNKNOWN_TAG = make_tag(424242)


def place_id(world, name: str) -> int:
    return world.location_ids[name]


def at(world, name: str) -> int:
    """The devices `stock.count` has at the place now (not those on their way)."""
    with world.app.app_context():
        coordinator = db.session.scalar(
            sa.select(User).filter_by(email="coordinator@example.be")
        )
        counted = stock.count(coordinator, location=place_id(world, name))
        return sum(row.count for row in counted.rows if row.location is not None)


def travelling(world) -> int:
    with world.app.app_context():
        coordinator = db.session.scalar(
            sa.select(User).filter_by(email="coordinator@example.be")
        )
        return stock.count(coordinator).travelling


def device_at(world, where: str) -> str:
    """A device taken in at `where` (received there): its tag."""
    return world.intake(location=place_id(world, where))["asset_tag"]


def start(api, world, where: str = "digileenplek") -> dict:
    response = api.post("/stock-takes", json={"location": place_id(world, where)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def scan(api, stock_take: dict, code: str, status: int = 201) -> dict:
    response = api.post(f"/stock-takes/{stock_take['id']}/scans", json={"code": code})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def tags(lines: list[dict]) -> list[str]:
    return sorted(line["asset_tag"] for line in lines)


class Room:
    """De Krook, with devices the records put there, elsewhere and on their way."""

    def __init__(self, world):
        self.world = world
        self.here = sorted(device_at(world, "digileenplek") for _ in range(3))
        self.found, self.missing = self.here[:2], self.here[2]
        self.from_store = device_at(world, "storage")  # found here: relocate
        self.arriving = device_at(world, "workshop")  # sent here, scanned: receive
        self.on_the_way = device_at(world, "workshop")  # sent here, not scanned
        krook = {"location": place_id(world, "digileenplek")}
        for tag in (self.arriving, self.on_the_way):
            world.ok(world.coordinator.act(tag, "transfer", krook))
        # Sent from here to the store, but it never left the room.
        self.leaving = device_at(world, "digileenplek")
        store = {"location": place_id(world, "storage")}
        world.ok(world.coordinator.act(self.leaving, "transfer", store))
        self.lent = world.lent_device()["asset_tag"]


@pytest.fixture
def room(world) -> Room:
    return Room(world)


def test_a_desk_counts_its_room_and_records_the_corrections(world, room):
    desk = world.desk
    krook_before, store_before = at(world, "digileenplek"), at(world, "storage")
    travelling_before = travelling(world)
    taken = start(desk, world)
    assert taken["location"]["name"] == "De Krook" and taken["closed_at"] is None
    # Taken in here: 4; one of them sent away, one other lent: neither expected.
    assert taken["result"]["counts"]["expected"] == 3

    # Each scan is answered at once; a scanner on the wrong layout, lower case,
    # a second scan of the same device: all read right, counted once.
    answer = scan(desk, taken, room.found[0].replace("-", ")"))
    assert (answer["finding"], answer["again"]) == ("found", False)
    assert answer["device"]["asset_tag"] == room.found[0]
    assert answer["counts"]["found"] == 1 and answer["counts"]["missing"] == 2
    assert scan(desk, taken, room.found[1].lower())["finding"] == "found"
    again = scan(desk, taken, room.found[0])
    assert (again["finding"], again["again"]) == ("found", True)
    assert again["counts"]["found"] == 2

    elsewhere = scan(desk, taken, room.from_store)
    assert elsewhere["finding"] == "elsewhere"
    assert elsewhere["device"]["location"]["name"] == "Magazijn Gent"
    assert elsewhere["device"]["correction"] == "relocate"
    leaving = scan(desk, taken, room.leaving)
    assert leaving["finding"] == "elsewhere"
    assert leaving["device"]["in_transit_to"]["name"] == "Magazijn Gent"
    arriving = scan(desk, taken, room.arriving)
    assert (arriving["finding"], arriving["device"]["correction"]) == (
        "arriving",
        "receive",
    )
    lent = scan(desk, taken, room.lent)
    assert lent["finding"] == "lent" and "take it back" in lent["device"]["advice"]
    unknown = scan(desk, taken, UNKNOWN_TAG)
    assert (unknown["finding"], unknown["device"]) == ("unknown", None)
    assert scan(desk, taken, "9789401412345")["finding"] == "unknown"
    last = scan(desk, taken, UNKNOWN_TAG)
    assert last["again"] is True

    result = desk.get(f"/stock-takes/{taken['id']}").get_json()["result"]
    assert tags(result["found"]) == room.found
    assert tags(result["missing"]) == [room.missing]
    assert tags(result["elsewhere"]) == sorted([room.from_store, room.leaving])
    assert tags(result["arriving"]) == [room.arriving]
    assert tags(result["on_the_way"]) == [room.on_the_way]  # not missing
    assert tags(result["out"]) == [room.lent]
    assert sorted(u["code"] for u in result["unknown"]) == sorted(
        [UNKNOWN_TAG, "9789401412345"]
    )
    assert result["counts"] == {
        "expected": 3,
        "scanned": 8,
        "found": 2,
        "missing": 1,
        "elsewhere": 2,
        "arriving": 1,
        "on_the_way": 1,
        "out": 1,
        "unknown": 2,
    }
    assert last["counts"] == result["counts"]  # the running count is the result's
    missing = result["missing"][0]
    assert missing["location"]["name"] == "De Krook"
    assert {"kind", "make", "model", "state"} <= set(missing)
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(StockTakeScan.id))) == 8

    # Nothing changed in the records until the corrections are recorded.
    assert at(world, "digileenplek") == krook_before
    corrections = desk.post(f"/stock-takes/{taken['id']}/corrections")
    assert corrections.status_code == 200, corrections.get_json()
    done = corrections.get_json()
    assert done["refused"] == []
    assert sorted((d["asset_tag"], d["corrected"]) for d in done["recorded"]) == sorted(
        [
            (room.from_store, "relocate"),
            (room.leaving, "relocate"),
            (room.arriving, "receive"),
        ]
    )
    krook, store = place_id(world, "digileenplek"), place_id(world, "storage")
    last = {
        tag: desk.get(f"/devices/{tag}/events").get_json()[-1]
        for tag in (room.from_store, room.leaving, room.arriving)
    }
    assert last[room.from_store]["action"] == "relocate"
    assert last[room.from_store]["payload"] == {
        "location": krook,
        "stock_take": taken["id"],
        "from_location": store,
    }
    assert last[room.leaving]["payload"]["sent_to"] == store
    assert last[room.arriving]["action"] == "receive"
    assert last[room.arriving]["location"] == krook
    assert {e["actor"] for e in last.values()} == {"desk@example.be"}
    # Three more devices here, one fewer in the store, two fewer on their way.
    assert at(world, "digileenplek") == krook_before + 3
    assert at(world, "storage") == store_before - 1
    assert travelling(world) == travelling_before - 2

    result = desk.get(f"/stock-takes/{taken['id']}").get_json()["result"]
    assert result["elsewhere"] == result["arriving"] == []
    corrected = {d["asset_tag"]: d["corrected"] for d in result["found"]}
    assert corrected[room.arriving] == "receive" and corrected[room.found[0]] is None
    assert tags(result["missing"]) == [room.missing]  # never changed

    # Run again: nothing left to do, nothing written.
    before = snapshot(world.app)
    second = desk.post(f"/stock-takes/{taken['id']}/corrections").get_json()
    assert (second["recorded"], second["refused"]) == ([], [])
    changed = changed_tables(before, snapshot(world.app))
    assert changed in ([], ["stock_takes"])  # only when it was last corrected


def test_a_closed_stock_take_keeps_its_lists_and_takes_no_more_scans(world, room):
    taken = start(world.coordinator, world)
    scan(world.coordinator, taken, room.found[0])
    closed = world.coordinator.post(f"/stock-takes/{taken['id']}/close")
    assert closed.status_code == 200, closed.get_json()
    assert closed.get_json()["closed_at"] is not None
    kept = closed.get_json()["result"]
    assert room.missing in tags(kept["missing"])

    for path, body in (
        ("scans", {"code": room.found[1]}),
        ("corrections", None),
        ("close", None),
    ):
        before = snapshot(world.app)
        response = world.coordinator.post(
            f"/stock-takes/{taken['id']}/{path}", json=body
        )
        assert response.status_code == 409, (path, response.get_json())
        assert error_of(response)["code"] == "conflict"
        assert changed_tables(before, snapshot(world.app)) == []

    # The records move on; the closed stock-take's lists stay as they were.
    world.move(room.missing, "storage")
    again = world.coordinator.get(f"/stock-takes/{taken['id']}").get_json()
    assert again["result"] == kept
    missing = next(
        d for d in again["result"]["missing"] if d["asset_tag"] == room.missing
    )
    assert missing["location"]["name"] == "De Krook"
    # A new count may start now.
    assert start(world.coordinator, world)["id"] != taken["id"]


def test_one_place_is_counted_once_at_a_time(world):
    taken = start(world.desk, world)
    response = world.coordinator.post(
        "/stock-takes", json={"location": place_id(world, "digileenplek")}
    )
    assert response.status_code == 409
    assert error_of(response)["details"] == {"stock_take": taken["id"]}


def test_a_refused_correction_stops_none_of_the_others(world, room, monkeypatch):
    taken = start(world.coordinator, world)
    for tag in (room.from_store, room.leaving, room.arriving):
        scan(world.coordinator, taken, tag)
    perform = lifecycle.perform

    def refuse_one(device, action, actor, payload):
        if device.asset_tag == room.leaving:
            raise Refused(action, device.state, ["the cupboard is locked"], [])
        return perform(device, action, actor, payload)

    monkeypatch.setattr(stocktaking.lifecycle, "perform", refuse_one)
    done = world.coordinator.post(f"/stock-takes/{taken['id']}/corrections")
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert tags(body["recorded"]) == sorted([room.from_store, room.arriving])
    [refused] = body["refused"]
    assert refused["device"]["asset_tag"] == room.leaving
    assert (refused["action"], refused["reasons"]) == (
        "relocate",
        ["the cupboard is locked"],
    )
    still = world.coordinator.get(f"/devices/{room.leaving}").get_json()
    assert still["location"]["name"] == "De Krook"  # unchanged, still on its way
    assert still["in_transit"] is not None


def test_others_cannot_count_or_see_another_organisations_place(
    world, room, other_desk
):
    taken = start(world.desk, world)
    scan(world.desk, taken, room.found[0])
    checks = [
        (other_desk.get, f"/stock-takes/{taken['id']}", 404),
        (other_desk.post, f"/stock-takes/{taken['id']}/scans", 404),
        (other_desk.post, f"/stock-takes/{taken['id']}/corrections", 404),
        (other_desk.post, f"/stock-takes/{taken['id']}/close", 404),
        (world.repair.get, f"/stock-takes/{taken['id']}", 404),
    ]
    for send, path, status in checks:
        before = snapshot(world.app)
        response = send(path, json={"code": room.found[1]} if "scans" in path else None)
        assert response.status_code == status, (path, response.get_json())
        error_of(response)
        assert changed_tables(before, snapshot(world.app)) == []
    for api, where in ((world.repair, "digileenplek"), (world.desk, "storage")):
        before = snapshot(world.app)
        response = api.post("/stock-takes", json={"location": place_id(world, where)})
        assert response.status_code == 403, response.get_json()
        assert error_of(response)["code"] == "forbidden"
        assert changed_tables(before, snapshot(world.app)) == []
    assert other_desk.get("/stock-takes").get_json()["total"] == 0
    assert world.desk.get("/stock-takes").get_json()["total"] == 1
    mine = world.coordinator.get(
        "/stock-takes", query_string={"location": place_id(world, "digileenplek")}
    ).get_json()
    assert [s["id"] for s in mine["items"]] == [taken["id"]]
    # The repair partner counts its own workshop.
    assert start(world.repair, world, "workshop")["location"]["name"] == (
        "Werkplaats Gent"
    )


def test_a_misread_label_is_refused_and_nothing_is_kept(world, room):
    taken = start(world.desk, world)
    tag = room.found[0]
    misread = tag[:-2] + ("1" if tag[-2] != "1" else "2") + tag[-1]
    before = snapshot(world.app)
    response = world.desk.post(
        f"/stock-takes/{taken['id']}/scans", json={"code": misread}
    )
    assert response.status_code == 422
    assert "code" in error_of(response)["details"]["fields"]
    assert changed_tables(before, snapshot(world.app)) == []


# --- hostile input on the new bodies ----------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/stock-takes", {"location": "1"}, "location"),
        ("/stock-takes", {"location": 0}, "location"),
        ("/stock-takes", {"location": 2**40}, "location"),
        ("/stock-takes", {"location": None}, "location"),
        ("/stock-takes", {"location": 1.5}, "location"),
        ("/stock-takes", {}, "location"),
        ("/stock-takes", {"location": "{place}", "extra": 1}, "extra"),
        ("/stock-takes", {"location": 999999}, "location"),
        ("{scans}", {"code": ""}, "code"),
        ("{scans}", {"code": "   "}, "code"),
        ("{scans}", {"code": 42}, "code"),
        ("{scans}", {"code": ["DB-1"]}, "code"),
        ("{scans}", {"code": "x" * 100_000}, "code"),
        ("{scans}", {"code": "DB\u0000123"}, "code"),
        ("{scans}", {"code": "\ud800"}, "code"),
        ("{scans}", {"code": "DB-1", "device": 1}, "device"),
        ("{scans}", {}, "code"),
        ("{corrections}", {"all": True}, "all"),
        ("{close}", {"now": True}, "now"),
    ],
)
def test_a_hostile_body_is_a_422_in_the_one_shape_and_writes_nothing(
    world, path, body, field
):
    place = place_id(world, "digileenplek")
    taken = start(world.coordinator, world, "storage")
    base = f"/stock-takes/{taken['id']}"
    path = path.format(
        scans=f"{base}/scans", corrections=f"{base}/corrections", close=f"{base}/close"
    )
    body = {k: place if v == "{place}" else v for k, v in body.items()}
    refusals = Refusals(world.app)
    refusals.expect(
        f"{path} {str(body)[:60]}",
        lambda: world.coordinator.post(path, json=body),
        422,
        "validation_error",
        field,
    )
    refusals.assert_all_clean()


def test_a_body_that_is_not_a_json_object_is_refused(world):
    taken = start(world.coordinator, world, "storage")
    refusals = Refusals(world.app)
    for path in ("/stock-takes", f"/stock-takes/{taken['id']}/scans"):
        refusals.expect(
            f"{path} list",
            lambda path=path: world.coordinator.post(path, json=["x"]),
            422,
            "validation_error",
        )
        refusals.expect(
            f"{path} not json",
            lambda path=path: world.coordinator.post(
                path, data="{nope", content_type="application/json"
            ),
            400,
            "bad_request",
        )
        refusals.expect(
            f"{path} huge",
            lambda path=path: world.coordinator.post(
                path,
                data='{"code": "' + "x" * 20_000_000 + '"}',
                content_type="application/json",
            ),
            413,
            "payload_too_large",
        )
    refusals.assert_all_clean()


def test_the_endpoints_are_described_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/stock-takes",
        "/api/v1/stock-takes/{stock_take_id}",
        "/api/v1/stock-takes/{stock_take_id}/scans",
        "/api/v1/stock-takes/{stock_take_id}/corrections",
        "/api/v1/stock-takes/{stock_take_id}/close",
    ):
        assert path in paths, path
    scans = paths["/api/v1/stock-takes/{stock_take_id}/scans"]["post"]
    assert "201" in scans["responses"] and "requestBody" in scans


# --- the page ------------------------------------------------------------------------

_FLASH = re.compile(r'<p class="flash (\w+)"[^>]*>(.*?)</p>', re.S)


def shown(page) -> list[tuple[str, str]]:
    return [
        (c, html.unescape(m)) for c, m in _FLASH.findall(page.get_data(as_text=True))
    ]


def page_scan(visitor, stock_take_id: int, code: str) -> list[tuple[str, str]]:
    page = visitor.post(
        f"/stock-takes/{stock_take_id}/scan", {"code": code}, follow_redirects=True
    )
    assert page.status_code == 200
    return shown(page)


def test_the_scan_page_answers_each_scan_in_dutch_and_records_corrections(
    world, web, room
):
    desk = web.visitor("desk")
    start_page = desk.get("/stock-takes").get_data(as_text=True)
    assert "Inventaris" in start_page and "De Krook" in start_page
    assert "Magazijn Gent" not in start_page  # not the desk's place to count
    started = desk.post("/stock-takes", {"location": place_id(world, "digileenplek")})
    assert started.status_code == 302
    stock_take_id = int(started.headers["Location"].rsplit("/", 1)[1])

    assert page_scan(desk, stock_take_id, room.found[0]) == [
        ("ok", f"{room.found[0]} gevonden: het hoort hier.")
    ]
    [(colour, message)] = page_scan(desk, stock_take_id, room.from_store)
    assert colour == "warning" and "Magazijn Gent" in message
    [(colour, message)] = page_scan(desk, stock_take_id, room.arriving)
    assert colour == "warning"
    [(colour, message)] = page_scan(desk, stock_take_id, room.lent)
    assert colour == "warning" and "balie" in message
    [(colour, message)] = page_scan(desk, stock_take_id, UNKNOWN_TAG)
    assert colour == "error" and UNKNOWN_TAG in message
    [(colour, _m)] = page_scan(desk, stock_take_id, room.found[0])
    assert colour == "warning"

    page = desk.get(f"/stock-takes/{stock_take_id}").get_data(as_text=True)
    assert 'id="code"' in page and "autofocus" in page
    assert room.missing in page and "Correcties registreren" in page

    done = desk.post(f"/stock-takes/{stock_take_id}/corrections", follow_redirects=True)
    assert shown(done) == [("ok", "2 correcties geregistreerd.")]
    for tag in (room.from_store, room.arriving):
        events = world.desk.get(f"/devices/{tag}/events").get_json()
        assert events[-1]["action"] in ("relocate", "receive")
        assert events[-1]["payload"]["stock_take"] == stock_take_id

    closed = desk.post(f"/stock-takes/{stock_take_id}/close", follow_redirects=True)
    assert shown(closed)[0][0] == "ok"
    assert 'id="code"' not in closed.get_data(as_text=True)
    [(colour, _m)] = page_scan(desk, stock_take_id, room.found[1])
    assert colour == "error"


def test_the_pages_keep_other_organisations_out(world, web, room):
    taken = start(world.desk, world)
    repair = web.visitor("repair")
    assert repair.get(f"/stock-takes/{taken['id']}").status_code == 404
    refused = repair.post("/stock-takes", {"location": place_id(world, "digileenplek")})
    assert refused.status_code == 403
    assert web.visitor().get("/stock-takes").status_code == 302  # log in first
    coordinator = web.visitor("coordinator").get("/stock").get_data(as_text=True)
    assert "/stock-takes" in coordinator


def test_a_photo_of_a_label_counts_as_a_scan(world, web, room):
    label = world.desk.get(f"/devices/{room.found[0]}/label.png").data
    taken = start(world.desk, world)
    desk = web.visitor("desk")
    page = desk.post(
        f"/stock-takes/{taken['id']}/photo",
        {"photo": (io.BytesIO(label), "label.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert shown(page) == [("ok", f"{room.found[0]} gevonden: het hoort hier.")]


@pytest.mark.parametrize("code", ["DB\x00123", "x" * 10_000, "   "])
def test_the_scan_page_refuses_what_the_api_refuses_and_writes_nothing(
    world, web, code
):
    taken = start(world.desk, world)
    desk = web.visitor("desk")
    desk.token()  # its page visit is no write
    before = snapshot(world.app)
    page = desk.post(
        f"/stock-takes/{taken['id']}/scan", {"code": code}, follow_redirects=True
    )
    assert page.status_code == 200
    assert [c for c, _m in shown(page)] == ([] if not code.strip() else ["error"])
    assert changed_tables(before, snapshot(world.app)) == []


def test_a_long_list_is_cut_while_scanning_and_whole_once_closed(
    world, web, room, monkeypatch
):
    from assettrack.pages import stock_takes as page_module

    monkeypatch.setattr(page_module, "SHOWN_WHILE_SCANNING", 1)
    taken = start(world.desk, world)
    desk = web.visitor("desk")
    page = desk.get(f"/stock-takes/{taken['id']}").get_data(as_text=True)
    missing = room.here  # none scanned yet: all three missing
    assert sum(tag in page for tag in missing) == 1
    assert "Alle 3 tonen" in page
    whole = desk.get(f"/stock-takes/{taken['id']}?all=1").get_data(as_text=True)
    assert all(tag in whole for tag in missing)


def test_two_people_starting_at_once_get_one_open_stock_take(world, monkeypatch):
    """The second start checked before the first was written: the database's
    index refuses it, and the answer names the open one."""
    taken = start(world.desk, world)
    looked = []
    open_at = stocktaking.open_at

    def raced(place):
        looked.append(place.id)
        return None if len(looked) == 1 else open_at(place)

    monkeypatch.setattr(stocktaking, "open_at", raced)
    before = snapshot(world.app)
    response = world.coordinator.post(
        "/stock-takes", json={"location": place_id(world, "digileenplek")}
    )
    assert response.status_code == 409, response.get_json()
    assert error_of(response)["details"] == {"stock_take": taken["id"]}
    assert changed_tables(before, snapshot(world.app)) == []
