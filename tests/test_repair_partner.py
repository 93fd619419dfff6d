"""A repair partner at the bench: intake, wipe, refurbish, check, repair, scrap.

Each action goes through the HTTP API as the person would send it. Every refusal
must say why and change nothing; every accepted action adds exactly one event.
"""

from assettrack.workflow import ACTIONS
from assettrack.workflow import State
from assettrack.workflow import replay
from tests.conftest import accepted
from tests.conftest import erasure
from tests.conftest import forbidden
from tests.conftest import in_days
from tests.conftest import invalid
from tests.conftest import qc_record
from tests.conftest import refused
from tests.conftest import seen

TWO_DISKS = [
    {"kind": "ssd", "serial": "S1", "size_gb": 256},
    {"kind": "hdd", "serial": "H1", "size_gb": 500},
    {"kind": "other", "model": "DVD-RW", "data_bearing": False},
]


def erase(world, tag: str, disk_id: int, technique="crypto_erase", **changes) -> None:
    response = world.repair.post(
        f"/devices/{tag}/erasures", json=erasure(disk_id, technique, **changes)
    )
    assert response.status_code == 201, response.get_json()


def unerased(label: str, media: str, needs: str) -> str:
    return f"{label}: {media} needs {needs}, no passing erasure this cycle"


SSD_S1 = unerased("ssd S1", "sata_ssd", "purge")


def add_disk(world, tag: str, **disk) -> dict:
    response = world.repair.post(f"/devices/{tag}/disks", json=disk)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def wiped(world, **fields) -> dict:
    """A device whose wipe is finished: on the bench, refurbishing."""
    device = world.intake(**fields)
    tag = device["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    world.erase_all(device)
    world.ok(world.repair.act(tag, "finish_wipe"))
    return device


def in_qc(world) -> str:
    tag = wiped(world)["asset_tag"]
    world.ok(world.repair.act(tag, "submit_qc"))
    return tag


# --- intake and the happy path --------------------------------------------------


def test_a_registered_device_starts_its_history_as_received(world):
    tag = world.intake()["asset_tag"]
    device = seen(world.repair, tag)
    assert device["device"]["state"] == "received"
    [event] = device["events"]
    assert (
        event["action"],
        event["from_state"],
        event["to_state"],
        event["actor"],
    ) == ("register", None, "received", "repair@example.be")
    assert device["device"]["allowed_actions"] == [
        "start_wipe",
        "send_to_repair",
        "transfer",
        "relocate",
    ]
    # At the workshop it is out of a lending desk's reach altogether.
    assert world.desk.get(f"/devices/{tag}").status_code == 403


def test_a_repair_partner_takes_a_device_from_intake_to_ready(world):
    device = world.intake()
    tag = device["asset_tag"]
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    world.erase_all(device)
    accepted(world, "repair", tag, "finish_wipe", to="refurbishing")
    accepted(world, "repair", tag, "submit_qc", to="qc")
    world.record_qc(tag)
    ready = accepted(world, "repair", tag, "pass_qc", to="ready")
    assert ready["allowed_actions"] == [
        "send_to_repair",
        "scrap",
        "transfer",
        "relocate",
    ]
    history = [e["action"] for e in seen(world.repair, tag)["events"]]
    assert history == ["register", "start_wipe", "finish_wipe", "submit_qc", "pass_qc"]
    assert replay(history) == State.ready


def test_an_action_in_the_wrong_state_is_refused_with_what_is_possible_now(world):
    tag = world.intake()["asset_tag"]
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    details = refused(
        world,
        "repair",
        tag,
        "start_wipe",
        reason="not possible while the device is wiping",
    )
    assert details["allowed"] == ["send_to_repair", "transfer", "relocate"]
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="not possible while the device is wiping",
    )


def test_a_lending_desk_may_not_wipe_check_or_repair_a_device(world):
    device = world.intake()
    tag = device["asset_tag"]
    forbidden(world, "desk", tag, "start_wipe")
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    world.erase_all(device)
    for action in ("finish_wipe", "submit_qc", "pass_qc", "finish_repair"):
        forbidden(world, "desk", tag, action)
    forbidden(world, "coordinator", tag, "finish_wipe")


def test_an_admin_may_do_the_repair_partners_work(world):
    device = world.intake()
    tag = device["asset_tag"]
    accepted(world, "admin", tag, "start_wipe", to="wiping")
    world.erase_all(device)
    accepted(world, "admin", tag, "finish_wipe", to="refurbishing")


# --- wiping -----------------------------------------------------------------------


def test_a_wipe_finishes_only_when_every_data_bearing_disk_has_a_passed_erasure(world):
    device = world.intake(disks=TWO_DISKS)
    tag = device["asset_tag"]
    ssd, hdd, _optical = (d["id"] for d in device["disks"])
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason="not erased as the policy requires in this wipe cycle: "
        + SSD_S1
        + "; "
        + unerased("hdd H1", "hdd", "clear"),
    )
    erase(world, tag, ssd)
    erase(world, tag, hdd, outcome="failed")
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason="not erased as the policy requires in this wipe cycle: "
        + unerased("hdd H1", "hdd", "clear"),
    )
    erase(world, tag, hdd)
    assert "finish_wipe" in seen(world.repair, tag)["device"]["allowed_actions"]
    accepted(world, "repair", tag, "finish_wipe", to="refurbishing")


def test_a_device_without_recorded_disks_cannot_finish_its_wipe(world):
    tag = world.intake(disks=[])["asset_tag"]
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason="no data-bearing disk is recorded for this device",
    )
    disk = add_disk(world, tag, kind="emmc", serial="E1")
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason="not erased as the policy requires in this wipe cycle: "
        + unerased("emmc E1", "emmc", "purge"),
    )
    erase(world, tag, disk["id"])
    accepted(world, "repair", tag, "finish_wipe", to="refurbishing")


def test_an_erasure_from_before_the_loan_does_not_count_after_the_return(world):
    tag = world.lent_device()["asset_tag"]
    accepted(world, "desk", tag, "return", to="returned")
    world.move(tag, "workshop")
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason="not erased as the policy requires in this wipe cycle: " + SSD_S1,
    )
    world.erase_all(seen(world.repair, tag)["device"])
    accepted(world, "repair", tag, "finish_wipe", to="refurbishing")


# --- the wipe guard on submit_qc ------------------------------------------------------


def test_submitting_for_qc_is_refused_when_a_disk_was_added_after_the_wipe(world):
    tag = wiped(world)["asset_tag"]
    disk = add_disk(world, tag, kind="nvme", serial="N2")
    refused(
        world,
        "repair",
        tag,
        "submit_qc",
        reason="disk not erased as the policy requires since the wipe: "
        + unerased("nvme N2", "nvme", "purge"),
    )
    erase(world, tag, disk["id"])
    accepted(world, "repair", tag, "submit_qc", to="qc")


def test_a_new_device_repaired_before_its_wipe_is_wiped_before_qc(world):
    device = world.intake()
    tag = device["asset_tag"]
    accepted(
        world,
        "repair",
        tag,
        "send_to_repair",
        {"reason": "does not power on"},
        to="repair",
    )
    accepted(world, "repair", tag, "finish_repair", to="refurbishing")
    details = refused(
        world,
        "repair",
        tag,
        "submit_qc",
        reason="not wiped since it was last received or returned",
    )
    assert "start_wipe" in details["allowed"]
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    world.erase_all(device)
    accepted(world, "repair", tag, "finish_wipe", to="refurbishing")
    accepted(world, "repair", tag, "submit_qc", to="qc")


def test_a_disk_added_while_refurbishing_is_wiped_before_qc(world):
    device = wiped(world)
    tag = device["asset_tag"]
    added = world.repair.post(
        f"/devices/{tag}/disks", json={"kind": "hdd", "serial": "WD-NEW"}
    )
    assert added.status_code == 201, added.get_json()
    refused(
        world,
        "repair",
        tag,
        "submit_qc",
        reason="disk not erased as the policy requires since the wipe: "
        + unerased("hdd WD-NEW", "hdd", "clear"),
    )
    accepted(world, "repair", tag, "start_wipe", to="wiping")
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason="not erased as the policy requires in this wipe cycle: "
        + SSD_S1
        + "; "
        + unerased("hdd WD-NEW", "hdd", "clear"),
    )
    world.erase_all(world.repair.get(f"/devices/{tag}").get_json())
    accepted(world, "repair", tag, "finish_wipe", to="refurbishing")
    accepted(world, "repair", tag, "submit_qc", to="qc")


def test_a_returned_device_repaired_before_its_wipe_cannot_go_to_qc(world):
    tag = world.lent_device()["asset_tag"]
    accepted(world, "desk", tag, "return", to="returned")
    accepted(
        world, "desk", tag, "send_to_repair", {"reason": "cracked screen"}, to="repair"
    )
    world.move(tag, "workshop")
    accepted(world, "repair", tag, "finish_repair", to="refurbishing")
    refused(
        world,
        "repair",
        tag,
        "submit_qc",
        reason="not wiped since it was last received or returned",
    )


def test_a_wiped_device_back_from_repair_goes_to_qc(world):
    tag = wiped(world)["asset_tag"]
    accepted(
        world,
        "repair",
        tag,
        "send_to_repair",
        {"reason": "keyboard missing keys"},
        to="repair",
    )
    accepted(world, "repair", tag, "finish_repair", to="refurbishing")
    accepted(world, "repair", tag, "submit_qc", to="qc")


# --- quality check -----------------------------------------------------------------------


def test_passing_qc_needs_a_record_every_mandatory_item_passed_and_a_grade(world):
    tag = in_qc(world)
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="no quality-check record since the device entered qc",
    )
    world.record_qc(tag, battery="fail")
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="mandatory quality-check items not passed: Battery",
    )
    world.record_qc(tag, grade=None)
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="the quality check has no cosmetic grade",
    )
    world.record_qc(tag, grade="C", webcam="fail", microphone_speakers="fail")
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_a_check_from_an_earlier_round_does_not_pass_the_device(world):
    tag = in_qc(world)
    world.record_qc(tag)
    accepted(
        world,
        "repair",
        tag,
        "fail_qc",
        {"failed_items": ["keyboard"]},
        to="refurbishing",
    )
    accepted(world, "repair", tag, "submit_qc", to="qc")
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="no quality-check record since the device entered qc",
    )


def test_failing_qc_needs_a_failed_item_named(world):
    tag = in_qc(world)
    assert "fail_qc" in seen(world.repair, tag)["device"]["allowed_actions"]
    unnamed = {"failed_items": ["name at least one failed quality-check item"]}
    invalid(world, "repair", tag, "fail_qc", {}, fields=unnamed)
    invalid(world, "repair", tag, "fail_qc", {"failed_items": []}, fields=unnamed)
    accepted(
        world,
        "repair",
        tag,
        "fail_qc",
        {"failed_items": ["battery"]},
        to="refurbishing",
    )
    assert seen(world.repair, tag)["events"][-1]["payload"] == {
        "failed_items": ["battery"]
    }


def test_a_failed_item_in_the_recorded_check_is_enough_to_fail_qc(world):
    tag = in_qc(world)
    world.record_qc(tag, usb_ports="fail")
    accepted(world, "repair", tag, "fail_qc", to="refurbishing")


def test_a_quality_check_outside_qc_is_refused_and_changes_nothing(world):
    tag = wiped(world)["asset_tag"]
    before = seen(world.repair, tag)
    response = world.repair.post(f"/devices/{tag}/qc", json=qc_record())
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert seen(world.repair, tag) == before


# --- repair ---------------------------------------------------------------------------------


def test_sending_a_device_to_repair_needs_a_reason(world):
    tag = world.intake()["asset_tag"]
    invalid(
        world,
        "repair",
        tag,
        "send_to_repair",
        {},
        fields={"reason": ["Missing data for required field."]},
    )
    invalid(
        world,
        "repair",
        tag,
        "send_to_repair",
        {"reason": ""},
        fields={"reason": ["give a reason"]},
    )
    invalid(
        world,
        "repair",
        tag,
        "send_to_repair",
        {"reason": "   "},
        fields={"reason": ["give a reason"]},
    )
    accepted(
        world, "repair", tag, "send_to_repair", {"reason": "fan rattles"}, to="repair"
    )
    assert seen(world.repair, tag)["events"][-1]["payload"] == {"reason": "fan rattles"}


def test_a_device_can_be_sent_to_repair_from_every_working_state_but_not_while_lent(
    world,
):
    received = world.intake()["asset_tag"]
    wiping = world.intake()["asset_tag"]
    world.ok(world.repair.act(wiping, "start_wipe"))
    refurbishing = wiped(world)["asset_tag"]
    qc = in_qc(world)
    ready = world.ready_device(at="workshop")["asset_tag"]
    lent = world.lent_device()["asset_tag"]
    returned = world.lent_device()["asset_tag"]
    world.ok(world.desk.act(returned, "return"))
    refused(
        world,
        "desk",
        lent,
        "send_to_repair",
        {"reason": "noisy fan"},
        reason="not possible while the device is lent",
    )
    accepted(
        world, "desk", returned, "send_to_repair", {"reason": "noisy fan"}, to="repair"
    )
    for tag in (received, wiping, refurbishing, qc, ready):  # at the workshop
        accepted(
            world, "repair", tag, "send_to_repair", {"reason": "noisy fan"}, to="repair"
        )


def test_finishing_a_repair_puts_the_device_back_on_the_bench(world):
    tag = world.intake()["asset_tag"]
    accepted(world, "repair", tag, "send_to_repair", {"reason": "hinge"}, to="repair")
    forbidden(world, "desk", tag, "finish_repair")
    refused(
        world,
        "repair",
        tag,
        "start_wipe",
        reason="not possible while the device is repair",
    )
    accepted(world, "repair", tag, "finish_repair", to="refurbishing")


# --- scrapping -------------------------------------------------------------------------------


def test_scrapping_needs_every_disk_wiped_or_destroyed(world):
    device = world.intake(disks=TWO_DISKS)
    tag = device["asset_tag"]
    ssd, hdd, _optical = (d["id"] for d in device["disks"])
    refused(
        world,
        "coordinator",
        tag,
        "scrap",
        reason="disk not wiped or destroyed in this cycle: "
        + SSD_S1
        + "; "
        + unerased("hdd H1", "hdd", "clear"),
    )
    erase(world, tag, hdd, "shred")
    refused(
        world,
        "coordinator",
        tag,
        "scrap",
        reason="disk not wiped or destroyed in this cycle: " + SSD_S1,
    )
    erase(world, tag, ssd)
    forbidden(world, "desk", tag, "scrap")
    accepted(
        world, "coordinator", tag, "scrap", {"reason": "mainboard dead"}, to="scrapped"
    )


def test_a_returned_device_is_not_scrapped_on_the_strength_of_an_erasure_before_its_loan(
    world,
):
    tag = world.lent_device()["asset_tag"]
    refused(
        world, "admin", tag, "scrap", reason="not possible while the device is lent"
    )
    accepted(world, "desk", tag, "return", to="returned")
    world.move(tag, "workshop")
    refused(
        world,
        "repair",
        tag,
        "scrap",
        reason="disk not wiped or destroyed in this cycle: " + SSD_S1,
    )


def test_nothing_more_happens_to_a_scrapped_device(world):
    device = world.intake(disks=[{"kind": "hdd", "serial": "H1"}])
    tag = device["asset_tag"]
    erase(world, tag, device["disks"][0]["id"], "shred")
    accepted(world, "repair", tag, "scrap", to="scrapped")
    payloads = {
        "lend": {"borrower": "B-0042", "due_date": in_days(30)},
        "renew": {"due_date": in_days(40)},
        "send_to_repair": {"reason": "try again"},
        "fail_qc": {"failed_items": ["power"]},
        "transfer": {"location": world.location_ids["storage"]},
        "relocate": {"location": world.location_ids["storage"]},
    }
    for action in ACTIONS:
        details = refused(
            world,
            "admin",
            tag,
            action,
            payloads.get(action),
            reason="not possible while the device is scrapped",
        )
        assert details["allowed"] == []
    before = seen(world.repair, tag)
    response = world.repair.post(
        f"/devices/{tag}/erasures", json=erasure(device["disks"][0]["id"])
    )
    assert response.status_code == 409
    assert seen(world.repair, tag) == before


# --- donated batches ------------------------------------------------------------------


def test_a_batch_registered_at_intake_lists_its_devices(world):
    created = world.repair.post(
        "/donations",
        json={"donor": "Scholengroep Brugge", "received_on": "2026-11-20"},
    )
    assert created.status_code == 201, created.get_json()
    batch = created.get_json()
    tags = {world.intake(donation=batch["id"])["asset_tag"] for _ in range(2)}
    world.intake()  # another device, outside the batch

    shown = world.coordinator.get(f"/donations/{batch['id']}").get_json()
    assert (shown["donor"], shown["device_count"]) == ("Scholengroep Brugge", 2)
    listed = world.coordinator.client.get(
        shown["devices"], headers=world.coordinator.headers
    )
    assert {d["asset_tag"] for d in listed.get_json()["items"]} == tags
