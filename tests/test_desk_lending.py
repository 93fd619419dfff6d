"""A lending desk at the counter, and a coordinator moving stock between places.

Lend, renew, take back, report lost and transfer through the HTTP API. Every
refusal says why and changes nothing; every accepted action adds one event.
"""

from assettrack.workflow import ACTIONS
from tests.conftest import accepted
from tests.conftest import forbidden
from tests.conftest import in_days
from tests.conftest import invalid
from tests.conftest import refused
from tests.conftest import seen


def lend(due_in_days: int = 30, borrower: str = "B-0042") -> dict:
    return {"borrower": borrower, "due_date": in_days(due_in_days)}


# --- lending ---------------------------------------------------------------------------


def test_a_desk_lends_a_ready_device_to_a_known_borrower(world):
    tag = world.ready_device()["asset_tag"]
    assert seen(world.desk, tag)["device"]["allowed_actions"] == [
        "lend",
        "send_to_repair",
        "transfer",
        "relocate",
    ]
    device = accepted(world, "desk", tag, "lend", lend(30), to="lent")
    assert device["current_loan"] == {
        "due_on": in_days(30),
        "renewals": 0,
        "overdue": False,
        "borrower": "B-0042",
    }
    assert device["allowed_actions"] == ["renew", "return", "report_lost"]
    event = seen(world.desk, tag)["events"][-1]
    assert event["location"] == world.location_ids["digileenplek"]


def test_lending_is_refused_away_from_a_lending_location(world):
    """A desk does not reach a device at the workshop at all (403, reach.py); an
    admin, who reaches everything, meets the lifecycle's guard."""
    tag = world.ready_device(at="workshop")["asset_tag"]
    forbidden(world, "desk", tag, "lend", lend())
    details = refused(
        world,
        "admin",
        tag,
        "lend",
        lend(),
        reason="the device is not at a lending location (Werkplaats Gent); transfer it first",
    )
    assert {"transfer", "relocate"} <= set(details["allowed"])
    stored = world.ready_device(at="storage")["asset_tag"]
    refused(
        world,
        "admin",
        stored,
        "lend",
        lend(),
        reason="not at a lending location (Magazijn Gent)",
    )


def test_lending_to_an_unknown_borrower_names_the_borrower_field(world):
    tag = world.ready_device()["asset_tag"]
    invalid(
        world,
        "desk",
        tag,
        "lend",
        lend(borrower="B-9999"),
        fields={"borrower": ["no such borrower"]},
    )


def test_lending_needs_a_due_date_in_the_future(world):
    tag = world.ready_device()["asset_tag"]
    for days in (-1, 0):
        invalid(
            world,
            "desk",
            tag,
            "lend",
            lend(days),
            fields={"due_date": ["must be in the future"]},
        )
    invalid(
        world,
        "desk",
        tag,
        "lend",
        lend(367),
        fields={"due_date": ["must be within 366 days"]},
    )
    invalid(
        world,
        "desk",
        tag,
        "lend",
        {"borrower": "B-0042", "due_date": "next week"},
        fields={"due_date": ["Not a valid date."]},
    )
    accepted(world, "desk", tag, "lend", lend(1), to="lent")


def test_an_unknown_borrower_and_a_past_date_are_answered_together(world):
    tag = world.ready_device()["asset_tag"]
    invalid(
        world,
        "desk",
        tag,
        "lend",
        lend(-3, borrower="B-0000"),
        fields={
            "borrower": ["no such borrower"],
            "due_date": ["must be in the future"],
        },
    )


def test_a_device_with_a_disk_added_after_its_wipe_is_not_lent(world):
    device = world.ready_device()
    tag = device["asset_tag"]
    response = world.coordinator.post(  # found at the digileenplek
        f"/devices/{tag}/disks", json={"kind": "hdd", "serial": "H7"}
    )
    assert response.status_code == 201
    refused(
        world,
        "desk",
        tag,
        "lend",
        lend(),
        reason="disk not erased as the policy requires since the wipe: "
        "hdd H7: hdd needs clear, no passing erasure this cycle",
    )


def test_only_a_desk_or_an_admin_lends(world):
    tag = world.ready_device()["asset_tag"]
    forbidden(world, "repair", tag, "lend", lend())
    forbidden(world, "coordinator", tag, "lend", lend())
    accepted(world, "admin", tag, "lend", lend(), to="lent")


def test_a_device_not_ready_is_not_lent(world):
    tag = world.intake(location=world.location_ids["digileenplek"])["asset_tag"]
    refused(
        world,
        "desk",
        tag,
        "lend",
        lend(),
        reason="not possible while the device is received",
    )


# --- renewing ---------------------------------------------------------------------------------


def test_a_loan_is_renewed_to_a_later_date_at_most_twice(world):
    tag = world.lent_device()["asset_tag"]  # due in 30 days
    invalid(
        world,
        "desk",
        tag,
        "renew",
        {"due_date": in_days(30)},
        fields={"due_date": [f"must be later than the current due date {in_days(30)}"]},
    )
    invalid(
        world,
        "desk",
        tag,
        "renew",
        {"due_date": in_days(20)},
        fields={"due_date": [f"must be later than the current due date {in_days(30)}"]},
    )
    device = accepted(world, "desk", tag, "renew", {"due_date": in_days(45)}, to="lent")
    assert (device["current_loan"]["due_on"], device["current_loan"]["renewals"]) == (
        in_days(45),
        1,
    )
    device = accepted(world, "desk", tag, "renew", {"due_date": in_days(60)}, to="lent")
    assert (device["current_loan"]["due_on"], device["current_loan"]["renewals"]) == (
        in_days(60),
        2,
    )
    assert device["allowed_actions"] == ["return", "report_lost"]
    details = refused(
        world,
        "desk",
        tag,
        "renew",
        {"due_date": in_days(90)},
        reason="renewal limit reached (2)",
    )
    assert details["allowed"] == ["return", "report_lost"]
    assert [e["action"] for e in seen(world.desk, tag)["events"]][-3:] == [
        "lend",
        "renew",
        "renew",
    ]


def test_a_renewal_cannot_stretch_a_loan_beyond_the_longest_loan(world):
    tag = world.lent_device()["asset_tag"]
    invalid(
        world,
        "desk",
        tag,
        "renew",
        {"due_date": in_days(400)},
        fields={"due_date": ["must be within 366 days"]},
    )


def test_only_a_lent_device_is_renewed(world):
    tag = world.ready_device()["asset_tag"]
    refused(
        world,
        "desk",
        tag,
        "renew",
        {"due_date": in_days(40)},
        reason="not possible while the device is ready",
    )
    forbidden(
        world,
        "repair",
        world.lent_device()["asset_tag"],
        "renew",
        {"due_date": in_days(40)},
    )


# --- returning and losing -------------------------------------------------------------------


def test_a_returned_device_must_be_wiped_again_before_the_next_loan(world):
    tag = world.lent_device()["asset_tag"]
    device = accepted(world, "desk", tag, "return", to="returned")
    assert device["current_loan"] is None
    refused(
        world, "desk", tag, "return", reason="not possible while the device is returned"
    )
    details = refused(
        world,
        "desk",
        tag,
        "lend",
        lend(),
        reason="not possible while the device is returned",
    )
    # The desk sends it to the workshop, where it is wiped.
    assert {"transfer", "relocate"} <= set(details["allowed"])
    workshop = {"location": world.location_ids["workshop"]}
    world.ok(world.desk.act(tag, "transfer", workshop))
    world.ok(world.repair.act(tag, "receive"))
    assert seen(world.repair, tag)["device"]["allowed_actions"] == [
        "start_wipe",
        "send_to_repair",
        "transfer",
        "relocate",
    ]


def test_the_loan_is_closed_when_the_device_comes_back(world):
    tag = world.lent_device()["asset_tag"]
    accepted(world, "desk", tag, "return", to="returned")
    loans = world.desk.get("/loans").get_json()["items"]
    assert len(loans) == 1 and loans[0]["closed_at"] is not None


def test_a_lost_device_stays_lost(world):
    tag = world.lent_device()["asset_tag"]
    forbidden(world, "repair", tag, "report_lost")
    device = accepted(world, "desk", tag, "report_lost", to="lost")
    assert device["current_loan"] is None and device["allowed_actions"] == []
    payloads = {
        "lend": lend(),
        "renew": {"due_date": in_days(40)},
        "send_to_repair": {"reason": "found again"},
        "fail_qc": {"failed_items": ["power"]},
        "transfer": {"location": world.location_ids["storage"]},
        "receive": {},
        "relocate": {"location": world.location_ids["storage"]},
    }
    for action in ACTIONS:
        details = refused(
            world,
            "admin",
            tag,
            action,
            payloads.get(action),
            reason="not possible while the device is lost",
        )
        assert details["allowed"] == []


def test_a_coordinator_may_report_a_device_lost(world):
    tag = world.lent_device()["asset_tag"]
    accepted(world, "coordinator", tag, "report_lost", to="lost")


# --- moving stock ---------------------------------------------------------------------------


def test_a_hand_over_is_two_scans_and_the_device_is_lent_only_once_received(world):
    tag = world.ready_device(at="workshop")["asset_tag"]
    workshop = world.location_ids["workshop"]
    krook = world.location_ids["digileenplek"]
    sent = accepted(world, "repair", tag, "transfer", {"location": krook}, to="ready")
    assert sent["location"]["id"] == workshop, "on its way, it is not there yet"
    assert sent["in_transit"]["to"]["id"] == krook
    assert sent["in_transit"]["since"] is not None
    event = seen(world.repair, tag)["events"][-1]
    assert (event["action"], event["location"]) == ("transfer", workshop)
    assert event["payload"] == {"location": krook}

    details = refused(
        world,
        "desk",
        tag,
        "lend",
        lend(),
        reason="the device is in transit to De Krook; receive it first",
    )
    assert details["allowed"] == ["receive", "relocate"]

    received = accepted(world, "desk", tag, "receive", to="ready")
    assert received["location"]["id"] == krook and received["in_transit"] is None
    event = seen(world.desk, tag)["events"][-1]
    assert (event["action"], event["location"]) == ("receive", krook)
    assert event["payload"] == {"location": krook, "sent_to": krook}
    accepted(world, "desk", tag, "lend", lend(), to="lent")


def test_a_device_received_at_another_place_is_where_it_arrived(world):
    tag = world.ready_device(at="workshop")["asset_tag"]
    krook, storage = world.location_ids["digileenplek"], world.location_ids["storage"]
    accepted(world, "coordinator", tag, "transfer", {"location": krook}, to="ready")
    device = accepted(
        world, "coordinator", tag, "receive", {"location": storage}, to="ready"
    )
    assert device["location"]["id"] == storage and device["in_transit"] is None
    event = seen(world.coordinator, tag)["events"][-1]
    assert event["payload"] == {"location": storage, "sent_to": krook}


def test_only_a_device_on_its_way_is_received(world):
    tag = world.ready_device()["asset_tag"]
    details = refused(
        world,
        "desk",
        tag,
        "receive",
        {},
        reason="the device is not in transit; it is at De Krook",
    )
    assert "receive" not in details["allowed"]


def test_a_device_found_elsewhere_is_put_where_it_was_found(world):
    tag = world.ready_device(at="workshop")["asset_tag"]
    workshop, krook = world.location_ids["workshop"], world.location_ids["digileenplek"]
    # Recorded at the workshop, the desk does not reach it, but it is here.
    forbidden(world, "desk", tag, "transfer", {"location": krook})
    storage = {"location": world.location_ids["storage"]}
    forbidden(world, "desk", tag, "relocate", storage)  # not the desk's place
    device = world.ok(world.desk.act(tag, "relocate", {"location": krook}))
    assert (device["location"]["id"], device["state"]) == (krook, "ready")
    event = seen(world.desk, tag)["events"][-1]
    assert event["payload"] == {"location": krook, "from_location": workshop}
    invalid(
        world,
        "desk",
        tag,
        "relocate",
        {"location": krook},
        fields={"location": ["the device is already there"]},
    )


def test_a_transfer_needs_a_known_other_place(world):
    tag = world.ready_device()["asset_tag"]
    invalid(
        world,
        "coordinator",
        tag,
        "transfer",
        {"location": world.location_ids["digileenplek"]},
        fields={"location": ["the device is already there"]},
    )
    invalid(
        world,
        "coordinator",
        tag,
        "transfer",
        {"location": 9999},
        fields={"location": ["no such location"]},
    )
    invalid(
        world,
        "coordinator",
        tag,
        "transfer",
        {},
        fields={"location": ["Missing data for required field."]},
    )
    invalid(
        world,
        "coordinator",
        tag,
        "transfer",
        {"location": "De Krook"},
        fields={"location": ["Not a valid integer."]},
    )


def test_a_lent_device_is_not_sent_but_a_returned_one_goes_back_to_the_workshop(world):
    tag = world.lent_device()["asset_tag"]
    workshop = world.location_ids["workshop"]
    refused(
        world,
        "coordinator",
        tag,
        "transfer",
        {"location": workshop},
        reason="not possible while the device is lent",
    )
    accepted(world, "desk", tag, "return", to="returned")
    device = accepted(
        world, "desk", tag, "transfer", {"location": workshop}, to="returned"
    )
    assert device["in_transit"]["to"]["id"] == workshop
    accepted(world, "repair", tag, "receive", to="returned")
