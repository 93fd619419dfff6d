"""A coordinator reserves a roll of tags; a repair partner sticks them on at intake."""

import pytest

from labels.tags import make_tag
from labels.tags import parse_tag


def reserve(world, count: int, org: str = "repair"):
    return world.coordinator.post(
        "/tag-reservations", json={"organisation": world.org_ids[org], "count": count}
    )


def numbers_of(reservation: dict) -> range:
    first = parse_tag(reservation["first_tag"]).number
    last = parse_tag(reservation["last_tag"]).number
    return range(first, last + 1)


def test_a_reserved_roll_is_a_block_no_new_device_gets(world):
    world.intake()  # takes number 1
    response = reserve(world, 50)
    assert response.status_code == 201, response.get_json()
    roll = response.get_json()
    assert numbers_of(roll) == range(2, 52) and roll["count"] == 50
    after = world.intake()["asset_tag"]
    assert parse_tag(after).number == 52


def test_intake_binds_a_scanned_tag_from_the_partners_roll(world):
    roll = reserve(world, 10).get_json()
    tag = make_tag(numbers_of(roll)[3])
    # A QWERTY scanner on a Belgian AZERTY desk types the hyphen as ")".
    typed = tag.replace("-", ")").lower()
    device = world.intake(asset_tag=typed)
    assert device["asset_tag"] == tag
    assert world.repair.get(f"/devices/{tag}").get_json()["state"] == "received"


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("used twice", "already in use"),
        ("never reserved", "not on a reserved roll"),
        ("another partner's roll", "reserved for Bibliotheek De Krook"),
    ],
)
def test_a_tag_that_may_not_name_a_new_device_is_refused(world, which, message):
    own = reserve(world, 5).get_json()
    other = reserve(world, 5, org="desk").get_json()
    tag = {
        "used twice": make_tag(numbers_of(own)[0]),
        "never reserved": make_tag(900_000),
        "another partner's roll": make_tag(numbers_of(other)[0]),
    }[which]
    if which == "used twice":
        world.intake(asset_tag=tag)
    before = world.coordinator.get("/devices").get_json()["total"]
    response = world.repair.post(
        "/devices",
        json={
            "kind": "laptop",
            "location": world.location_ids["workshop"],
            "asset_tag": tag,
        },
    )
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert message in error["details"]["fields"]["asset_tag"][0]
    assert world.coordinator.get("/devices").get_json()["total"] == before


def test_only_a_coordinator_reserves_and_a_partner_sees_its_own_rolls(world):
    assert reserve(world, 3).status_code == 201
    assert reserve(world, 4, org="desk").status_code == 201
    for person in (world.repair, world.desk):
        refused = person.post(
            "/tag-reservations",
            json={"organisation": world.org_ids["repair"], "count": 5},
        )
        assert refused.status_code == 403
    mine = world.repair.get("/tag-reservations").get_json()
    assert [r["count"] for r in mine["items"]] == [3]
    everyone = world.coordinator.get("/tag-reservations").get_json()
    assert sorted(r["count"] for r in everyone["items"]) == [3, 4]


@pytest.mark.parametrize(
    "body",
    [{"organisation": 1, "count": 0}, {"organisation": 1, "count": 5001}, {"count": 5}],
)
def test_a_bad_reservation_is_refused_and_takes_no_numbers(world, body):
    response = world.coordinator.post("/tag-reservations", json=body)
    assert response.status_code == 422
    assert parse_tag(world.intake()["asset_tag"]).number == 1
