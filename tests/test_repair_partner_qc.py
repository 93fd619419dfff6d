"""A repair partner checks a refurbished device before it may be lent.

Through the HTTP API, as the bench sends it: the device's own checklist (laptop,
desktop or tablet), a check saved halfway and finished later, every reason
`pass_qc` says no, and the lendability class each check leads to, with the
reasons a desk will read. A refused request changes nothing.
"""

import pytest
from conftest import accepted
from conftest import qc_record
from conftest import refused
from conftest import seen

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import QcRecord

BLOCKERS = {
    "bios_password": "a BIOS or disk password is still set",
    "mdm_enrolment": "still enrolled in MDM/Autopilot",
    "anti_theft": "anti-theft (Computrace/Absolute) is still active",
    "activation_lock": "activation lock is still on",
}
SCHOOL_LAPTOP = {"ram_gb": 8, "storage_gb": 256}


def in_qc(world, kind: str = "laptop", **specs) -> str:
    """A device of `kind`, wiped and submitted to QC; its tag."""
    device = world.intake(kind=kind, specs=specs)
    tag = device["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    world.erase_all(device)
    world.ok(world.repair.act(tag, "finish_wipe"))
    world.ok(world.repair.act(tag, "submit_qc"))
    return tag


def everything(world, tag: str) -> dict:
    """The device, its history and its checks, as the repair partner sees them."""
    checks = world.repair.get(f"/devices/{tag}/qc")
    assert checks.status_code == 200
    return {**seen(world.repair, tag), "checks": checks.get_json()}


def check(world, tag: str, body: dict) -> dict:
    response = world.repair.post(f"/devices/{tag}/qc", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def check_refused(world, tag: str, body: dict, status: int = 422) -> dict:
    """The check is refused with `status`; device, history and checks unchanged."""
    before = everything(world, tag)
    response = world.repair.post(f"/devices/{tag}/qc", json=body)
    assert response.status_code == status, response.get_json()
    assert everything(world, tag) == before, "a refused check changed something"
    return response.get_json()["error"]


def reasons(record: dict) -> list[str]:
    return [reason["text"] for reason in record["lendability_reasons"]]


# --- the checklist follows the device's kind --------------------------------------


def template_of(world, tag: str) -> dict:
    response = world.repair.get(f"/devices/{tag}/qc/template")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_each_kind_of_device_has_its_own_checklist(world):
    laptop = template_of(world, world.intake(kind="laptop")["asset_tag"])
    desktop = template_of(world, world.intake(kind="desktop")["asset_tag"])
    tablet = template_of(world, world.intake(kind="tablet")["asset_tag"])
    aio = template_of(world, world.intake(kind="all_in_one")["asset_tag"])

    assert (laptop["name"], desktop["name"], tablet["name"]) == (
        "laptop@2026.11",
        "desktop@2026.11",
        "tablet@2026.11",
    )
    assert aio["name"] == "desktop@2026.11"
    assert desktop["device_kinds"] == ["desktop", "all_in_one"]

    def keys(template):
        return {item["key"] for item in template["items"]}

    assert {"touchpad", "battery", "charger_present"} <= keys(laptop)
    assert not {"touchpad", "battery", "charger_present"} & keys(desktop)
    assert not {"keyboard", "touchpad", "ram"} & keys(tablet)

    def item(template, key):
        return next(i for i in template["items"] if i["key"] == key)

    # A desktop may have no webcam; a laptop's screen is never "not applicable".
    assert item(desktop, "webcam")["na_allowed"] is True
    assert item(desktop, "webcam")["mandatory"] is False
    assert item(laptop, "screen") == {
        "key": "screen",
        "label": "Screen",
        "check": item(laptop, "screen")["check"],
        "mandatory": True,
        "blocker": False,
        "na_allowed": False,
        "blocked": "",
    }
    for template in (laptop, desktop, tablet):
        assert template["results"] == ["pass", "fail", "na"]
        assert [g["grade"] for g in template["grades"]] == ["A", "B", "C"]
        for key, sentence in BLOCKERS.items():
            blocker = item(template, key)
            assert (blocker["blocker"], blocker["mandatory"]) == (True, True)
            assert blocker["na_allowed"] is False
            assert blocker["blocked"] == sentence


def test_a_device_of_kind_other_has_no_checklist(world):
    tag = world.intake(kind="other")["asset_tag"]
    response = world.repair.get(f"/devices/{tag}/qc/template")
    assert response.status_code == 409
    assert (
        "no quality-check checklist for a device of kind other"
        in (response.get_json()["error"]["message"])
    )


def test_the_checklists_grades_and_lendability_classes_are_listed_for_forms(world):
    response = world.desk.get("/qc-templates")
    assert response.status_code == 200
    listed = response.get_json()
    assert [t["name"] for t in listed["templates"]] == [
        "laptop@2026.11",
        "desktop@2026.11",
        "tablet@2026.11",
    ]
    assert [c["name"] for c in listed["lendability_classes"]] == [
        "not_lendable",
        "basic",
        "school_office",
    ]
    assert listed["rules_version"] == "lend-2026.11"


def test_an_unknown_tag_has_no_checklist_and_no_checks(world):
    assert world.desk.get("/devices/DB-NOPE/qc/template").status_code == 404
    assert world.desk.get("/devices/DB-NOPE/qc").status_code == 404


# --- a check that passes ------------------------------------------------------------


def test_a_complete_passing_check_makes_the_device_ready(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    record = check(
        world,
        tag,
        qc_record(
            "B",
            webcam={"result": "pass", "note": "slight dust on the lens"},
        )
        | {"notes": "new thermal paste"},
    )
    assert record["template"] == "laptop@2026.11"
    assert record["items"]["webcam"] == {
        "result": "pass",
        "note": "slight dust on the lens",
    }
    assert record["items"]["screen"] == {"result": "pass", "note": ""}
    assert (record["grade"], record["notes"]) == ("B", "new thermal paste")
    assert record["tester"] == "repair@example.be"
    assert record["rules_version"] == "lend-2026.11"
    assert record["lendability"] == "school_office"
    ready = accepted(world, "repair", tag, "pass_qc", to="ready")
    assert ready["state"] == "ready"


def test_the_checks_are_listed_newest_first_for_everyone(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    first = check(world, tag, qc_record(None, webcam=None))
    second = check(world, tag, qc_record("A"))
    listed = world.coordinator.get(f"/devices/{tag}/qc")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.get_json()] == [second["id"], first["id"]]
    assert listed.get_json()[0] == second


# --- every reason pass_qc says no ------------------------------------------------------


def test_a_check_saved_halfway_is_kept_but_does_not_pass(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    partial = check(world, tag, qc_record("A", webcam=None, usb_ports=None))
    assert set(partial["items"]) == set(qc_record()["items"]) - {"webcam", "usb_ports"}
    assert partial["lendability"] == "not_lendable"
    assert "not checked yet: Webcam, USB ports" in reasons(partial)
    refused(
        world, "repair", tag, "pass_qc", reason="not checked yet: Webcam, USB ports"
    )
    check(world, tag, qc_record("A"))
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_failed_mandatory_items_are_listed(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    check(world, tag, qc_record("A", battery="fail", screen="fail"))
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="mandatory quality-check items not passed: Screen, Battery",
    )


@pytest.mark.parametrize("blocker", BLOCKERS)
def test_a_lock_left_on_a_donated_device_stops_it(world, blocker):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    record = check(world, tag, qc_record("A", **{blocker: "fail"}))
    assert record["lendability"] == "not_lendable"
    assert {
        "rule": f"blocker_{blocker}",
        "text": BLOCKERS[blocker],
        "limit": "not_lendable",
    } in record["lendability_reasons"]
    refused(world, "repair", tag, "pass_qc", reason=BLOCKERS[blocker])
    # The lock is removed and the item checked again: the device may pass.
    check(world, tag, qc_record("A"))
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_a_check_without_a_cosmetic_grade_does_not_pass(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    check(world, tag, qc_record(None))
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="the quality check has no cosmetic grade",
    )


def test_every_problem_is_named_at_once(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    check(world, tag, qc_record(None, wifi=None, keyboard="fail", anti_theft="fail"))
    details = refused(world, "repair", tag, "pass_qc", reason="not checked yet: Wi-Fi")
    assert details["reason"].endswith(
        "not checked yet: Wi-Fi; mandatory quality-check items not passed: Keyboard;"
        " anti-theft (Computrace/Absolute) is still active;"
        " the quality check has no cosmetic grade"
    )


def test_a_device_the_rules_call_not_lendable_does_not_become_ready(world):
    tag = in_qc(world, ram_gb=2, storage_gb=256)
    record = check(world, tag, qc_record("A"))
    assert record["lendability"] == "not_lendable"
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="not lendable: 2 GB RAM: below the 4 GB minimum, upgrade it;"
        " fail the check or scrap the device",
    )
    accepted(
        world, "repair", tag, "fail_qc", {"failed_items": ["ram"]}, to="refurbishing"
    )


def test_a_check_on_a_checklist_no_longer_in_use_must_be_made_again(world, app):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    record = check(world, tag, qc_record("A"))
    with app.app_context():  # as left by an older version of the checklist
        db.session.get(QcRecord, record["id"]).template = "laptop@2025.01"
        db.session.commit()
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="the check was made on a checklist no longer in use, check it again",
    )
    check(world, tag, qc_record("A"))
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_a_failed_item_in_the_check_is_enough_to_fail_qc(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    check(world, tag, qc_record("A", touchpad="fail"))
    accepted(world, "repair", tag, "fail_qc", to="refurbishing")
    # Back in qc, the old check no longer counts.
    accepted(world, "repair", tag, "submit_qc", to="qc")
    refused(
        world,
        "repair",
        tag,
        "pass_qc",
        reason="no quality-check record since the device entered qc",
    )


# --- checks the service refuses, changing nothing -------------------------------------


def test_a_check_outside_qc_is_refused(world):
    device = world.intake(specs=SCHOOL_LAPTOP)
    error = check_refused(world, device["asset_tag"], qc_record("A"), 409)
    assert error["code"] == "conflict"
    assert "a quality check is recorded in qc, not received" in error["message"]
    ready = world.ready_device(at="workshop")
    check_refused(world, ready["asset_tag"], qc_record("A"), 409)


def test_pass_qc_outside_qc_is_refused(world):
    tag = world.intake()["asset_tag"]
    before = seen(world.repair, tag)
    response = world.repair.act(tag, "pass_qc")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "illegal_transition"
    assert seen(world.repair, tag) == before


def test_an_item_not_on_the_devices_checklist_is_named(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    body = qc_record("A", teleporter="pass")
    error = check_refused(world, tag, body)
    assert error["details"]["fields"] == {
        "items": ["not on the laptop@2026.11 checklist: teleporter"]
    }
    desktop = in_qc(world, "desktop", ram_gb=8, storage_gb=256)
    error = check_refused(world, desktop, qc_record("A", "desktop", touchpad="pass"))
    assert error["details"]["fields"] == {
        "items": ["not on the desktop@2026.11 checklist: touchpad"]
    }
    tablet = in_qc(world, "tablet", ram_gb=4, storage_gb=64)
    check_refused(world, tablet, qc_record("A", "tablet", keyboard="pass"))


@pytest.mark.parametrize("blocker", BLOCKERS)
def test_a_blocker_can_never_be_not_applicable(world, blocker):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    error = check_refused(world, tag, qc_record("A", **{blocker: "na"}))
    assert error["details"]["fields"] == {
        "items": [f"{blocker} is a blocker: check it, it cannot be na"]
    }


def test_a_mandatory_item_cannot_be_not_applicable(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    error = check_refused(world, tag, qc_record("A", screen="na", touchpad="na"))
    assert error["details"]["fields"] == {
        "items": ["screen cannot be na on a laptop; touchpad cannot be na on a laptop"]
    }


def test_a_malformed_check_is_refused(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    for body in (
        {"items": {}},
        {"items": {"screen": "pass"}},  # the result goes in an object
        {"items": {"screen": {"result": "ok"}}},
        {"items": {"screen": {"result": "pass"}}, "grade": "D"},
        {"grade": "A"},
    ):
        error = check_refused(world, tag, body)
        assert error["code"] == "validation_error"


def test_a_lending_desk_may_read_checks_but_not_record_them(world):
    tag = in_qc(world, **SCHOOL_LAPTOP)
    before = everything(world, tag)
    response = world.desk.post(f"/devices/{tag}/qc", json=qc_record("A"))
    assert response.status_code == 403
    assert everything(world, tag) == before


# --- the lendability a check leads to ------------------------------------------------


def test_a_4_gb_laptop_with_a_webcam_is_basic(world):
    tag = in_qc(world, ram_gb=4, storage_gb=128)
    record = check(world, tag, qc_record("A"))
    assert record["lendability"] == "basic"
    assert reasons(record) == [
        "4 GB RAM: enough for web and video calls, not for school/office (needs 8 GB)",
        "128 GB storage: enough for school/office use",
        "battery health not measured: the tester's battery check decides",
        "cosmetic grade A: the grade does not change the class",
    ]
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_an_8_gb_256_gb_laptop_is_for_school_and_office(world):
    tag = in_qc(world, ram_gb=8, storage_gb=256, battery_health_pct=91)
    record = check(world, tag, qc_record("C"))
    assert record["lendability"] == "school_office"
    assert reasons(record) == [
        "8 GB RAM: enough for school/office use",
        "256 GB storage: enough for school/office use",
        "battery at 91 % of its design capacity",
        "cosmetic grade C: the grade does not change the class",
    ]


def test_a_worn_battery_makes_a_laptop_basic_and_a_dead_one_not_lendable(world):
    worn = check(
        world, in_qc(world, **SCHOOL_LAPTOP, battery_health_pct=72), qc_record("A")
    )
    assert worn["lendability"] == "basic"
    assert (
        "battery at 72 % of its design capacity: too short for a school day"
        in reasons(worn)
    )
    tag = in_qc(world, **SCHOOL_LAPTOP, battery_health_pct=55)
    dead = check(world, tag, qc_record("A"))
    assert dead["lendability"] == "not_lendable"
    assert (
        "battery at 55 % of its design capacity: replace it before lending"
        in reasons(dead)
    )
    refused(world, "repair", tag, "pass_qc", reason="replace it before lending")


def test_unknown_ram_is_not_a_pass_and_storage_comes_from_the_disks(world):
    # world.intake records one 256 GB SSD and no specs.
    tag = in_qc(world)
    record = check(world, tag, qc_record("B"))
    assert record["lendability"] == "basic"
    assert reasons(record)[:2] == [
        "RAM not recorded: basic at most until it is",
        "256 GB storage: enough for school/office use",
    ]


def test_a_desktop_without_webcam_or_wifi_passes_with_those_said(world):
    tag = in_qc(world, "desktop", ram_gb=8, storage_gb=500)
    record = check(
        world,
        tag,
        qc_record("B", "desktop", webcam="na", wifi="na", microphone_speakers="fail"),
    )
    assert record["lendability"] == "school_office"
    assert reasons(record)[:3] == [
        "Wi-Fi: not on this device",
        "Webcam: not on this device",
        "Microphone and speakers: not working",
    ]
    assert not any("battery" in text for text in reasons(record))
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_a_tablet_is_judged_against_its_own_sizes(world):
    tag = in_qc(world, "tablet", ram_gb=3, storage_gb=64, battery_health_pct=88)
    record = check(world, tag, qc_record("A", "tablet", storage_health="na"))
    assert record["template"] == "tablet@2026.11"
    assert record["lendability"] == "basic"
    assert (
        "3 GB RAM: enough for web and video calls, not for school/office (needs 4 GB)"
        in reasons(record)
    )
    accepted(world, "repair", tag, "pass_qc", to="ready")


def test_the_lendability_is_kept_as_derived_when_the_check_was_made(world, app):
    tag = in_qc(world, ram_gb=4, storage_gb=128)
    record = check(world, tag, qc_record("A"))
    with app.app_context():  # the specs corrected afterwards
        device = db.session.scalar(db.select(Device).filter_by(asset_tag=tag))
        device.specs = {"ram_gb": 16, "storage_gb": 512}
        db.session.commit()
    assert world.repair.get(f"/devices/{tag}/qc").get_json()[0] == record


def test_a_health_value_in_the_specs_is_validated(world):
    response = world.repair.post(
        "/devices",
        json={
            "kind": "laptop",
            "location": world.location_ids["workshop"],
            "specs": {"battery_health_pct": 250},
        },
    )
    assert response.status_code == 422
    assert "specs" in response.get_json()["error"]["details"]["fields"]
