"""A repair partner wipes disks and records how: the service judges what each wipe
reaches, and a device leaves `wiping` only when every disk still in it reached the
level the digibank's policy asks for its media, in this wipe cycle.

Everything goes through the HTTP API as the workbench sends it. Every refusal
says per disk what is missing and writes nothing to any table.
"""

import hashlib
import io

import pytest
from conftest import erasure
from conftest import refused
from conftest import seen
from test_hostile_input import changed_tables
from test_hostile_input import error_of
from test_hostile_input import snapshot

from assettrack.erasures import LOG_MAX_BYTES
from assettrack.workflow.erasure import RULES_VERSION

FINISH = "not erased as the policy requires in this wipe cycle: "
SINCE_WIPE = "disk not erased as the policy requires since the wipe: "
HDD = {"kind": "hdd", "interface": "sata", "make": "WDC", "serial": "H1"}
NVME = {"kind": "nvme", "interface": "nvme", "make": "Samsung", "serial": "N1"}
NWIPE_LOG = (
    b"[2026/11/28 09:00:01] info: nwipe 0.38\n"
    b"[2026/11/28 09:00:02] info: /dev/sda WDC WD5000LPCX serial WD-WX41A\n"
    b"[2026/11/28 10:35:12] info: Verified that /dev/sda is full of zeros.\n"
    b"******************************** Erased ********************************\n"
)


# --- how the bench talks to the service --------------------------------------------


def record(world, tag: str, body: dict) -> dict:
    response = world.repair.post(f"/devices/{tag}/erasures", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(world, tag: str, body: dict, log=None, **files):
    """POST the record as multipart/form-data, the tool's log in the part `log`."""
    form = {key: "" if value is None else str(value) for key, value in body.items()}
    if log is not None:
        form["log"] = log
    form.update(files)
    return world.repair.post(
        f"/devices/{tag}/erasures", data=form, content_type="multipart/form-data"
    )


def nothing_changes(world, send, status: int, code: str, fields=None) -> dict:
    """`send()` is refused with `status`; no row of any table changed."""
    before = snapshot(world.app)
    response = send()
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    error = error_of(response)
    assert error["code"] == code, error
    if fields is not None:
        assert set(error["details"]["fields"]) == set(fields), error
    assert changed_tables(before, snapshot(world.app)) == []
    return error


def wiping(world, **fields) -> tuple[str, list[int]]:
    device = world.intake(**fields)
    world.ok(world.repair.act(device["asset_tag"], "start_wipe"))
    return device["asset_tag"], [disk["id"] for disk in device["disks"]]


def erasures(world, tag: str, who: str = "repair") -> list[dict]:
    response = getattr(world, who).get(f"/devices/{tag}/erasures")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def set_policy(world, levels: dict, who: str = "coordinator") -> dict:
    response = getattr(world, who).client.put(
        "/api/v1/erasure-policy", headers=getattr(world, who).headers, json=levels
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# --- what a wipe reaches ------------------------------------------------------------


def test_a_single_overwrite_pass_is_not_purge_on_an_ssd(world):
    tag, [ssd] = wiping(world)
    shown = record(world, tag, erasure(ssd, "overwrite", claimed_level="purge"))
    assert (shown["media"], shown["level"], shown["passes"]) == ("sata_ssd", "clear", 1)
    assert shown["meets_policy"] == (
        "sata_ssd needs purge, but this erasure reaches only clear"
    )
    assert any("claims purge" in p for p in shown["problems"]), shown["problems"]
    assert shown["rules_version"] == RULES_VERSION
    assert shown["operator"] == {"email": "repair@example.be", "name": ""}
    assert "finish_wipe" not in seen(world.repair, tag)["device"]["allowed_actions"]
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason=FINISH
        + "ssd S1: sata_ssd needs purge, best this cycle: clear (overwrite)",
    )
    sanitized = record(world, tag, erasure(ssd, "ata_sanitize_block"))
    assert (sanitized["level"], sanitized["meets_policy"]) == ("purge", None)
    world.ok(world.repair.act(tag, "finish_wipe"))
    listed = erasures(world, tag)
    assert [e["id"] for e in listed] == [sanitized["id"], shown["id"]]  # newest first
    assert [e["meets_policy"] for e in listed] == [None, shown["meets_policy"]]


def test_an_nvme_drive_sanitized_by_its_own_command_finishes_the_wipe(world):
    tag, [nvme] = wiping(world, disks=[NVME])
    disk = seen(world.repair, tag)["device"]["disks"][0]
    assert (disk["interface"], disk["make"], disk["removed_at"]) == (
        "nvme",
        "Samsung",
        None,
    )
    wrong = record(world, tag, erasure(nvme, "ata_secure_erase"))
    assert wrong["level"] is None
    assert "ata_secure_erase is not a way to sanitise nvme" in wrong["problems"]
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason=FINISH + "nvme N1: nvme needs purge, no passing erasure this cycle",
    )
    done = record(world, tag, erasure(nvme, "nvme_sanitize_crypto"))
    assert (done["media"], done["level"], done["problems"]) == ("nvme", "purge", [])
    world.ok(world.repair.act(tag, "finish_wipe"))


def test_the_media_comes_from_the_disk_not_from_the_record(world):
    tag, [ssd] = wiping(world)
    nothing_changes(
        world,
        lambda: world.repair.post(
            f"/devices/{tag}/erasures", json=erasure(ssd, "overwrite", media="hdd")
        ),
        422,
        "validation_error",
        {"media"},
    )


def test_purge_without_verification_counts_but_says_so(world):
    tag, [ssd] = wiping(world)
    body = erasure(ssd, "ata_sanitize_crypto", verification="none")
    del body["verification_result"]
    shown = record(world, tag, body)
    assert shown["level"] == "purge" and shown["verification_result"] is None
    assert any("verif" in p for p in shown["problems"])
    world.ok(world.repair.act(tag, "finish_wipe"))


@pytest.mark.parametrize(
    "changes",
    [{"outcome": "failed"}, {"outcome": "aborted"}, {"verification_result": "failed"}],
    ids=["failed", "aborted", "verification-failed"],
)
def test_a_wipe_that_did_not_complete_or_failed_its_verification_does_not_count(
    world, changes
):
    tag, [ssd] = wiping(world)
    shown = record(world, tag, erasure(ssd, "ata_sanitize_block", **changes))
    assert shown["level"] is None
    assert any("no level is reached" in p for p in shown["problems"])
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason=FINISH + "ssd S1: sata_ssd needs purge, no passing erasure this cycle",
    )


def test_an_erasure_recorded_before_the_wipe_started_does_not_count(world):
    device = world.intake()
    tag, ssd = device["asset_tag"], device["disks"][0]["id"]
    record(world, tag, erasure(ssd, "ata_sanitize_block"))  # still `received`
    world.ok(world.repair.act(tag, "start_wipe"))
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason=FINISH + "ssd S1: sata_ssd needs purge, no passing erasure this cycle",
    )


def test_a_better_wipe_from_the_last_cycle_does_not_cover_a_weaker_one_now(world):
    tag, [ssd] = wiping(world)
    record(world, tag, erasure(ssd, "ata_sanitize_block"))
    world.ok(world.repair.act(tag, "finish_wipe"))
    world.ok(world.repair.act(tag, "start_wipe"))
    record(world, tag, erasure(ssd, "overwrite", passes=3))
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason=FINISH
        + "ssd S1: sata_ssd needs purge, best this cycle: clear (overwrite)",
    )


# --- the digibank's policy ----------------------------------------------------------


def test_an_hdd_overwrite_is_enough_by_default_but_not_under_a_stricter_policy(
    world,
):
    defaults = world.desk.get("/erasure-policy")
    assert defaults.status_code == 200
    assert defaults.get_json() == {
        "hdd": "clear",
        "sata_ssd": "purge",
        "nvme": "purge",
        "emmc": "purge",
        "other": "purge",
    }
    first, [hdd] = wiping(world, disks=[HDD])
    record(world, first, erasure(hdd, "overwrite"))
    world.ok(world.repair.act(first, "finish_wipe"))

    assert set_policy(world, {"hdd": "purge"})["hdd"] == "purge"
    assert world.repair.get("/erasure-policy").get_json()["hdd"] == "purge"
    second, [hdd2] = wiping(world, disks=[{**HDD, "serial": "H2"}])
    shown = record(world, second, erasure(hdd2, "overwrite"))
    assert (
        shown["meets_policy"] == "hdd needs purge, but this erasure reaches only clear"
    )
    refused(
        world,
        "repair",
        second,
        "finish_wipe",
        reason=FINISH + "hdd H2: hdd needs purge, best this cycle: clear (overwrite)",
    )
    # A device wiped to the old policy is held back too, until its disk is redone.
    refused(
        world,
        "repair",
        first,
        "submit_qc",
        reason=SINCE_WIPE
        + "hdd H1: hdd needs purge, best this cycle: clear (overwrite)",
    )
    record(world, second, erasure(hdd2, "ata_enhanced_secure_erase"))
    world.ok(world.repair.act(second, "finish_wipe"))

    assert set_policy(world, {}, who="admin")["hdd"] == "clear"  # back to the default
    world.ok(world.repair.act(first, "submit_qc"))


def test_only_a_coordinator_sets_the_policy_and_only_to_known_levels(world):
    put = world.coordinator.client.put
    for who in ("repair", "desk"):
        api = getattr(world, who)
        nothing_changes(
            world,
            lambda api=api: put(
                "/api/v1/erasure-policy", headers=api.headers, json={"hdd": "purge"}
            ),
            403,
            "forbidden",
        )
    coordinator = world.coordinator.headers
    for body, fields in [
        ({"tape": "clear"}, {"tape"}),
        ({"ssd": "purge"}, {"ssd"}),  # the media is sata_ssd
        ({"hdd": "wiped"}, {"hdd"}),
        ({"hdd": None}, {"hdd"}),
        ({"hdd": "PURGE", "nvme": "clear"}, {"hdd"}),
    ]:
        nothing_changes(
            world,
            lambda body=body: put(
                "/api/v1/erasure-policy", headers=coordinator, json=body
            ),
            422,
            "validation_error",
            fields,
        )
    assert world.desk.get("/erasure-policy").get_json()["hdd"] == "clear"


def test_destruction_meets_every_policy_and_lets_a_device_be_scrapped(world):
    set_policy(world, {"hdd": "destroy"})
    device = world.intake(disks=[HDD, {"kind": "ssd", "serial": "S1"}])
    tag, (hdd, ssd) = device["asset_tag"], [d["id"] for d in device["disks"]]
    record(world, tag, erasure(hdd, "ata_enhanced_secure_erase"))
    record(world, tag, erasure(ssd, "overwrite"))
    refused(
        world,
        "coordinator",
        tag,
        "scrap",
        reason="disk not wiped or destroyed in this cycle: "
        "hdd H1: hdd needs destroy, best this cycle: purge (ata_enhanced_secure_erase); "
        "ssd S1: sata_ssd needs purge, best this cycle: clear (overwrite)",
    )
    record(
        world, tag, erasure(hdd, "shred", verification="none", verification_result=None)
    )
    record(world, tag, erasure(ssd, "disintegrate"))
    world.ok(world.coordinator.act(tag, "scrap", {"reason": "moederbord defect"}))


# --- disks added, replaced and taken out --------------------------------------------


def test_a_disk_added_after_the_wipe_blocks_the_loan_until_it_is_erased(world):
    tag = world.ready_device()["asset_tag"]
    # found at the digileenplek by the coordinator's check
    added = world.coordinator.post(
        f"/devices/{tag}/disks", json={**NVME, "serial": "N2"}
    )
    assert added.status_code == 201, added.get_json()
    refused(
        world,
        "desk",
        tag,
        "lend",
        {"borrower": "B-0042", "due_date": "2099-01-01"},
        reason=SINCE_WIPE + "nvme N2: nvme needs purge, no passing erasure this cycle",
    )
    world.move(tag, "workshop")  # erased at the repair partner's, then back
    record(world, tag, erasure(added.get_json()["id"], "nvme_sanitize_block"))
    world.move(tag, "digileenplek")
    assert "lend" in seen(world.desk, tag)["device"]["allowed_actions"]


def test_a_replaced_disk_is_a_new_disk_with_no_wipe(world):
    device = world.intake()
    tag, old = device["asset_tag"], device["disks"][0]["id"]
    world.ok(world.repair.act(tag, "start_wipe"))
    kept = record(world, tag, erasure(old, "ata_sanitize_block"))
    world.ok(world.repair.act(tag, "finish_wipe"))

    removed = world.repair.client.delete(
        f"/api/v1/devices/{tag}/disks/{old}", headers=world.repair.headers
    )
    assert removed.status_code == 200, removed.get_json()
    assert removed.get_json()["removed_at"] is not None
    new = world.repair.post(
        f"/devices/{tag}/disks", json={"kind": "ssd", "serial": "S2", "size_gb": 512}
    ).get_json()
    refused(
        world,
        "repair",
        tag,
        "submit_qc",
        reason=SINCE_WIPE
        + "ssd S2: sata_ssd needs purge, no passing erasure this cycle",
    )
    record(world, tag, erasure(new["id"], "ata_sanitize_crypto"))
    world.ok(world.repair.act(tag, "submit_qc"))
    # The old disk and its erasure stay on record, for the history and certificate.
    disks = seen(world.repair, tag)["device"]["disks"]
    assert [(d["serial"], d["removed_at"] is None) for d in disks] == [
        ("S1", False),
        ("S2", True),
    ]
    assert kept["id"] in [e["id"] for e in erasures(world, tag)]


def test_a_disk_taken_out_no_longer_holds_back_the_wipe(world):
    tag, (ssd, hdd) = wiping(world, disks=[{"kind": "ssd", "serial": "S1"}, HDD])
    record(world, tag, erasure(ssd, "ata_sanitize_block"))
    refused(
        world,
        "repair",
        tag,
        "finish_wipe",
        reason=FINISH + "hdd H1: hdd needs clear, no passing erasure this cycle",
    )
    path = f"/api/v1/devices/{tag}/disks/{hdd}"
    delete = world.repair.client.delete
    nothing_changes(
        world, lambda: delete(path, headers=world.desk.headers), 403, "forbidden"
    )
    assert delete(path, headers=world.repair.headers).status_code == 200
    world.ok(world.repair.act(tag, "finish_wipe"))

    nothing_changes(
        world, lambda: delete(path, headers=world.repair.headers), 409, "conflict"
    )
    nothing_changes(
        world,
        lambda: world.repair.post(f"/devices/{tag}/erasures", json=erasure(hdd)),
        422,
        "validation_error",
        {"disk"},
    )
    other = world.intake()
    nothing_changes(
        world,
        lambda: delete(
            f"/api/v1/devices/{other['asset_tag']}/disks/{ssd}",
            headers=world.repair.headers,
        ),
        404,
        "not_found",
    )
    nothing_changes(
        world,
        lambda: delete(
            f"/api/v1/devices/{tag}/disks/99999", headers=world.repair.headers
        ),
        404,
        "not_found",
    )


# --- the tool's log ----------------------------------------------------------------


def test_the_tools_log_is_kept_byte_for_byte_with_its_sha256(world):
    tag, [hdd] = wiping(world, disks=[HDD])
    response = upload(
        world,
        tag,
        erasure(hdd, "overwrite", passes=3),
        log=(io.BytesIO(NWIPE_LOG), "../../nwipe_log_20261128.txt", "text/plain"),
    )
    assert response.status_code == 201, response.get_json()
    shown = response.get_json()
    assert shown["passes"] == 3 and shown["level"] == "clear"
    assert shown["log_sha256"] == hashlib.sha256(NWIPE_LOG).hexdigest()
    assert shown["log_url"] == f"/api/v1/devices/{tag}/erasures/{shown['id']}/log"

    log = world.coordinator.client.get(
        shown["log_url"], headers=world.coordinator.headers
    )
    assert log.status_code == 200
    assert log.data == NWIPE_LOG
    assert log.mimetype == "text/plain"
    assert log.headers["Content-Disposition"] == (
        "attachment; filename=nwipe_log_20261128.txt"
    )
    assert log.headers["X-Content-Type-Options"] == "nosniff"
    assert erasures(world, tag, "coordinator")[0]["log_sha256"] == shown["log_sha256"]
    world.ok(world.repair.act(tag, "finish_wipe"))


def test_a_record_without_a_log_has_none_to_fetch(world):
    tag, [ssd] = wiping(world)
    shown = record(world, tag, erasure(ssd, "ata_sanitize_block"))
    assert (shown["log_sha256"], shown["log_url"]) == (None, None)
    missing = world.repair.get(f"/devices/{tag}/erasures/{shown['id']}/log")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    other = world.intake()["asset_tag"]
    elsewhere = world.repair.get(f"/devices/{other}/erasures/{shown['id']}/log")
    assert elsewhere.status_code == 404


def test_a_log_over_the_limit_is_refused_and_nothing_is_stored(world):
    tag, [ssd] = wiping(world)
    body = erasure(ssd, "ata_sanitize_block")
    too_big = b"x" * (LOG_MAX_BYTES + 1)
    nothing_changes(
        world,
        lambda: upload(world, tag, body, log=(io.BytesIO(too_big), "huge.log")),
        413,
        "payload_too_large",
    )
    nothing_changes(
        world,
        lambda: upload(
            world, tag, body, log=(io.BytesIO(b"x" * (3 * LOG_MAX_BYTES)), "h")
        ),
        413,
        "payload_too_large",
    )
    nothing_changes(
        world,
        lambda: upload(world, tag, body, log=(io.BytesIO(b""), "empty.log")),
        422,
        "validation_error",
        {"log"},
    )
    just_fits = upload(
        world, tag, body, log=(io.BytesIO(b"y" * LOG_MAX_BYTES), "ok.log")
    )
    assert just_fits.status_code == 201, just_fits.get_json()


# --- records that are refused -------------------------------------------------------

BAD_RECORDS = [
    pytest.param({"passes": ...}, {"passes"}, id="overwrite-without-passes"),
    pytest.param({"passes": 0}, {"passes"}, id="no-passes"),
    pytest.param({"passes": 100}, {"passes"}, id="too-many-passes"),
    pytest.param({"passes": "3"}, {"passes"}, id="passes-as-text"),
    pytest.param({"technique": "overwrite-1-pass"}, {"technique"}, id="old-technique"),
    pytest.param({"method": "purge"}, {"method"}, id="old-method-field"),
    pytest.param({"result": "passed"}, {"result"}, id="old-result-field"),
    pytest.param(
        {"verification_result": ...}, {"verification_result"}, id="unverified"
    ),
    pytest.param(
        {"verification": "none"}, {"verification_result"}, id="result-without-verify"
    ),
    pytest.param({"verification_result": "ok"}, {"verification_result"}, id="ok"),
    pytest.param({"hidden_areas": "handled"}, {"hidden_areas"}, id="hpa-handled"),
    pytest.param({"outcome": "erased_with_exceptions"}, {"outcome"}, id="outcome"),
    pytest.param({"claimed_level": "nuked"}, {"claimed_level"}, id="claimed"),
    pytest.param(
        {"finished_at": "2026-11-28T08:59:00+01:00"}, {"finished_at"}, id="ends-early"
    ),
    pytest.param({"level": "purge"}, {"level"}, id="level-is-worked-out"),
    pytest.param({"log_sha256": "0" * 64}, {"log_sha256"}, id="sha-is-computed"),
    pytest.param({"operator": "someone"}, {"operator"}, id="operator-is-the-sender"),
    pytest.param({"tool": ""}, {"tool"}, id="no-tool"),
    pytest.param({"disk": 99_999}, {"disk"}, id="no-such-disk"),
]


def damaged(disk: int, changes: dict) -> dict:
    body = erasure(disk, "overwrite")
    for key, value in changes.items():
        if value is ...:
            del body[key]
        else:
            body[key] = value
    return body


@pytest.mark.parametrize(("changes", "fields"), BAD_RECORDS)
def test_a_bad_record_names_its_fields_and_stores_nothing(world, changes, fields):
    tag, [ssd] = wiping(world)
    post = world.repair.post
    nothing_changes(
        world,
        lambda: post(f"/devices/{tag}/erasures", json=damaged(ssd, changes)),
        422,
        "validation_error",
        fields,
    )


@pytest.mark.parametrize(
    ("changes", "fields"),
    [p for p in BAD_RECORDS if p.id not in ("passes-as-text",)],
    ids=lambda v: str(v)[:30],
)
def test_a_bad_record_sent_as_a_form_is_refused_the_same_way(world, changes, fields):
    tag, [ssd] = wiping(world)
    body = damaged(ssd, changes)
    log = (io.BytesIO(NWIPE_LOG), "nwipe.log")
    nothing_changes(
        world,
        lambda: upload(world, tag, body, log=log),
        422,
        "validation_error",
        fields,
    )


def test_a_form_must_carry_one_log_and_nothing_else(world):
    tag, [ssd] = wiping(world)
    body = erasure(ssd, "ata_sanitize_block")

    def log():
        return (io.BytesIO(NWIPE_LOG), "nwipe.log")

    for files, fields in [
        ({"photo": (io.BytesIO(b"\xff\xd8"), "bench.jpg")}, {"photo"}),
        ({"log": [log(), log()]}, {"log"}),
    ]:
        nothing_changes(
            world,
            lambda files=files: upload(world, tag, body, **files),
            422,
            "validation_error",
            fields,
        )
    garbled = b'--XYZ\r\nContent-Disposition: form-data; name="disk"\r\n\r\n1'
    nothing_changes(
        world,
        lambda: world.repair.post(
            f"/devices/{tag}/erasures",
            data=garbled,
            content_type="multipart/form-data; boundary=ABC",
        ),
        422,
        "validation_error",
    )
    nothing_changes(
        world,
        lambda: world.repair.post(
            f"/devices/{tag}/erasures", data=b"", content_type="multipart/form-data"
        ),
        422,
        "validation_error",
    )


def test_no_erasure_is_recorded_on_a_disk_of_another_device_or_a_lent_device(world):
    tag, _ = wiping(world)
    other = world.intake()
    nothing_changes(
        world,
        lambda: world.repair.post(
            f"/devices/{tag}/erasures", json=erasure(other["disks"][0]["id"])
        ),
        422,
        "validation_error",
        {"disk"},
    )
    lent = world.lent_device()
    nothing_changes(
        world,
        lambda: world.admin.post(  # the repair partner does not reach it (403)
            f"/devices/{lent['asset_tag']}/erasures",
            json=erasure(lent["disks"][0]["id"]),
        ),
        409,
        "conflict",
    )
    nothing_changes(
        world,
        lambda: world.desk.post(
            f"/devices/{tag}/erasures", json=erasure(other["disks"][0]["id"])
        ),
        403,
        "forbidden",
    )
