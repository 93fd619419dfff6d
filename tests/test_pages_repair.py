"""A repair partner's bench work on the pages: erasing disks, the quality check.

Through Flask's test client, as a Dutch-speaking repair partner: what the page
says, and what the API then shows (the page and the API share one domain).
"""

import hashlib
import html
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import get_translations

from assettrack.erasures import LOG_MAX_BYTES
from assettrack.pages import texts
from assettrack.pages import wording
from assettrack.workflow import checklist
from assettrack.workflow import erasure as rules
from assettrack.workflow import lendability
from tests.conftest import seen

BRUSSELS = ZoneInfo("Europe/Brussels")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def shown(response) -> str:
    """What a reader sees: the page's text without its tags, spaces collapsed."""
    words = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    words = re.sub(r"\s+", " ", html.unescape(words))
    return re.sub(r" ([.,:;)])", r"\1", words)


def flashes(response) -> list[str]:
    return [
        html.unescape(m)
        for m in re.findall(
            r'<p class="flash \w+" role="\w+">([^<]*)</p>',
            response.get_data(as_text=True),
        )
    ]


def field_errors(response, name: str) -> list[str]:
    """The errors shown beside the field `name` (the `field` macro's ids)."""
    return [
        html.unescape(m)
        for m in re.findall(
            rf'<p class="error" id="{name}-error-\d+">([^<]*)</p>',
            response.get_data(as_text=True),
        )
    ]


def wiping(world, disks) -> tuple[str, list[int]]:
    """A device with `disks`, its wipe started; its tag and disk ids."""
    device = world.intake(disks=disks)
    world.ok(world.repair.act(device["asset_tag"], "start_wipe"))
    return device["asset_tag"], [disk["id"] for disk in device["disks"]]


def in_qc(world, **fields) -> str:
    """A device wiped and submitted for the quality check; its tag."""
    device = world.intake(**fields)
    tag = device["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    world.erase_all(device)
    world.ok(world.repair.act(tag, "finish_wipe"))
    world.ok(world.repair.act(tag, "submit_qc"))
    return tag


ERASURE_FORM = {
    "technique": "overwrite",
    "passes": "1",
    "tool": "nwipe",
    "tool_version": "0.38",
    "verification": "full",
    "verification_result": "passed",
    "hidden_areas": "yes",
    "outcome": "erased",
    "started_at": "2026-11-28T09:00",
    "finished_at": "2026-11-28T09:40",
}


def erase_on_page(visitor, tag: str, disk_id: int, **fields):
    form = {**ERASURE_FORM, **fields}
    return visitor.post(
        f"/devices/{tag}/disks/{disk_id}/erasure",
        {key: value for key, value in form.items() if value is not None},
        content_type="multipart/form-data",
    )


def erasures_of(world, tag: str) -> list[dict]:
    response = world.repair.get(f"/devices/{tag}/erasures")
    assert response.status_code == 200
    return response.get_json()


# The erasure form


def test_the_erasure_form_offers_first_what_meets_the_policy_for_this_disk(web, world):
    tag, (hdd, nvme) = wiping(
        world,
        [{"kind": "hdd", "serial": "WCJ0"}, {"kind": "nvme", "serial": "S4DENX"}],
    )
    visitor = web.visitor("repair")

    device_page = text(visitor.get(f"/devices/{tag}"))
    hdd_form = text(visitor.get(f"/devices/{tag}/disks/{hdd}/erasure"))
    nvme_form = text(visitor.get(f"/devices/{tag}/disks/{nvme}/erasure"))

    for disk in (hdd, nvme):
        assert f'href="/devices/{tag}/disks/{disk}/erasure"' in device_page
    assert "Wisbeurt registreren" in device_page
    assert "Het beleid vraagt Clear voor deze schijf (harde schijf (HDD))." in hdd_form
    groups = re.findall(r'<optgroup label="([^"]+)">', nvme_form)
    assert groups == [
        "Voldoet aan het beleid voor deze schijf (Purge)",
        "Haalt minder dan het beleid vraagt",
        "Haalt geen niveau op deze schijf",
    ]
    meets = nvme_form[nvme_form.index(groups[0]) : nvme_form.index(groups[1])]
    assert "NVMe Sanitize, cryptografisch wissen — Purge" in meets
    assert "ATA Secure Erase" not in meets  # an ATA command on an NVMe drive
    # The first technique that meets the policy is the one chosen to start with.
    assert re.search(r'<option selected value="overwrite">', hdd_form)


def test_an_erasure_saved_on_the_page_is_the_record_the_api_shows(web, world):
    tag, (disk,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0", "size_gb": 500}])
    visitor = web.visitor("repair")
    log = b"nwipe 0.38: /dev/sda WCJ0 Erased, verified, 0 errors\n"

    response = visitor.post(
        f"/devices/{tag}/disks/{disk}/erasure",
        {**ERASURE_FORM, "log": (io.BytesIO(log), "nwipe_log.txt", "text/plain")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/devices/{tag}#disk-{disk}"
    (record,) = erasures_of(world, tag)
    assert record["disk"] == disk
    assert (record["technique"], record["passes"], record["tool"]) == (
        "overwrite",
        1,
        "nwipe",
    )
    assert (record["level"], record["meets_policy"]) == ("clear", None)
    assert record["hidden_areas"] == "yes"
    assert record["operator"]["email"] == "repair@example.be"
    # Times typed in Brussels (winter: UTC+1) are stored as the moments they were.
    assert datetime.fromisoformat(record["started_at"]) == datetime(
        2026, 11, 28, 9, 0, tzinfo=BRUSSELS
    )
    assert record["log_sha256"] == hashlib.sha256(log).hexdigest()
    assert world.repair.get(record["log_url"].removeprefix("/api/v1")).data == log

    page = visitor.get(f"/devices/{tag}")
    assert "Wisbeurt van schijf WCJ0 opgeslagen." in flashes(page)
    assert "Bereikt niveau: Clear — voldoet aan het beleid" in shown(page)
    assert "Gewist zoals het beleid vraagt in deze wisronde." in shown(page)
    downloaded = visitor.get(f"/devices/{tag}/erasures/{record['id']}/log")
    assert downloaded.data == log
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    # Every disk erased: the wipe can be finished from the page.
    assert f'action="/devices/{tag}/actions/finish_wipe"' in text(page)


def test_an_ssd_overwrite_is_kept_but_shown_as_not_meeting_the_policy(web, world):
    tag, (disk,) = wiping(world, [{"kind": "ssd", "serial": "S1"}])
    visitor = web.visitor("repair")

    response = erase_on_page(visitor, tag, disk, hidden_areas="not_checked")

    assert response.status_code == 302
    (record,) = erasures_of(world, tag)
    assert record["level"] == "clear"
    assert record["meets_policy"] == (
        "sata_ssd needs purge, but this erasure reaches only clear"
    )
    page = visitor.get(f"/devices/{tag}")
    reason = "SATA-SSD vraagt Purge, maar deze wisbeurt haalt maar Clear"
    assert flashes(page) == [
        f"Wisbeurt van schijf S1 opgeslagen, maar ze voldoet niet aan het beleid: {reason}"
    ]
    reads = shown(page)
    assert f"Bereikt niveau: Clear — voldoet niet aan het beleid: {reason}" in reads
    assert 'class="erasure erasure-short' in text(page)  # amber
    # The classification's own remarks, in Dutch too.
    assert "verborgen sectoren (HPA/DCO) werden niet gecontroleerd" in reads
    # The wipe cannot finish, and the page says why in Dutch.
    assert f'action="/devices/{tag}/actions/finish_wipe"' not in text(page)
    assert "Nog niet mogelijk: Wissen afronden" in reads
    assert "ssd S1: SATA-SSD vraagt Purge, beste in deze wisronde: Clear" in reads


def test_a_failed_erasure_reaches_no_level_and_is_shown_red(web, world):
    tag, (disk,) = wiping(world, [{"kind": "nvme", "serial": "S4DENX"}])
    visitor = web.visitor("repair")

    erase_on_page(
        visitor,
        tag,
        disk,
        technique="nvme_sanitize_crypto",
        passes="",
        outcome="failed",
    )

    (record,) = erasures_of(world, tag)
    assert record["level"] is None
    page = visitor.get(f"/devices/{tag}")
    assert 'class="erasure erasure-none' in text(page)
    assert "Bereikt niveau: geen" in shown(page)
    assert "de wisbeurt is mislukt, dus er is geen niveau bereikt" in shown(page)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"finished_at": "2026-11-28T08:59"},
            "finished_at",
            "mag niet vóór het begin liggen",
        ),
        ({"passes": ""}, "passes", "zeg hoeveel keer de schijf overschreven werd"),
        (
            {"verification_result": ""},
            "verification_result",
            "zeg of de controle geslaagd of mislukt is",
        ),
        ({"tool": ""}, "tool", "Dit veld is vereist."),
        ({"started_at": "gisteren"}, "started_at", "Ongeldige datum/tijd."),
        (
            {
                "log": (
                    io.BytesIO(b"x" * (LOG_MAX_BYTES + 1)),
                    "big.pdf",
                    "application/pdf",
                )
            },
            "log",
            "Het bestand is groter dan 10 MB.",
        ),
        (
            {"log": (io.BytesIO(b""), "empty.log", "text/plain")},
            "log",
            "het logbestand is leeg",
        ),
    ],
)
def test_bad_input_shows_beside_its_field_and_stores_nothing(
    web, world, fields, field, message
):
    tag, (disk,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])
    before = seen(world.repair, tag)

    response = erase_on_page(web.visitor("repair"), tag, disk, **fields)

    assert response.status_code == 422
    assert field_errors(response, field) == [message]
    assert erasures_of(world, tag) == []
    assert seen(world.repair, tag) == before


def test_a_log_too_large_even_for_the_form_is_refused_with_a_page(web, world, app):
    tag, (disk,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])
    huge = io.BytesIO(b"x" * (LOG_MAX_BYTES + 1024 * 1024))

    response = erase_on_page(
        web.visitor("repair"), tag, disk, log=(huge, "huge.pdf", "application/pdf")
    )

    assert response.status_code == 413
    assert "Het bestand is te groot" in text(response)
    assert erasures_of(world, tag) == []


def test_an_erasure_posted_without_its_token_is_refused(web, world):
    tag, (disk,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])
    visitor = web.visitor("repair")

    response = visitor.post(
        f"/devices/{tag}/disks/{disk}/erasure",
        ERASURE_FORM,
        csrf=False,
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert "Het formulier is verlopen" in text(response)
    assert erasures_of(world, tag) == []


def test_only_a_repair_partner_records_erasures_and_checks(web, world):
    tag, (disk,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])

    for role in ("desk", "coordinator"):
        visitor = web.visitor(role)
        assert visitor.get(f"/devices/{tag}/disks/{disk}/erasure").status_code == 403
        assert erase_on_page(visitor, tag, disk).status_code == 403
        assert visitor.get(f"/devices/{tag}/qc").status_code == 403
        assert "Wisbeurt registreren" not in text(visitor.get(f"/devices/{tag}"))
    assert erasures_of(world, tag) == []


def test_an_erasure_outside_a_wipe_is_warned_about_and_a_removed_disk_refused(
    web, world
):
    device = world.intake(disks=[{"kind": "hdd", "serial": "WCJ0"}])
    tag, disk = device["asset_tag"], device["disks"][0]["id"]
    visitor = web.visitor("repair")

    form = text(visitor.get(f"/devices/{tag}/disks/{disk}/erasure"))
    assert "telt niet mee voor een wisronde" in form
    assert "Start het wissen om te registreren" in text(visitor.get(f"/devices/{tag}"))

    visitor.post(f"/devices/{tag}/disks/{disk}/remove")
    response = erase_on_page(visitor, tag, disk)
    assert response.headers["Location"].startswith(f"/devices/{tag}")
    assert (
        "Deze schijf werd uit het toestel gehaald"
        in flashes(visitor.get(response.headers["Location"]))[0]
    )
    assert erasures_of(world, tag) == []


# Disks taken out and added


def test_a_disk_is_taken_out_only_after_confirming(web, world):
    tag, (hdd, ssd) = wiping(
        world, [{"kind": "hdd", "serial": "WCJ0"}, {"kind": "ssd", "serial": "S1"}]
    )
    visitor = web.visitor("repair")

    question = visitor.get(f"/devices/{tag}/disks/{hdd}/remove")
    assert question.status_code == 200
    assert "Schijf WCJ0 uit het toestel halen?" in text(question)
    assert [d["removed_at"] for d in seen(world.repair, tag)["device"]["disks"]] == [
        None,
        None,
    ]

    response = visitor.post(f"/devices/{tag}/disks/{hdd}/remove")

    assert response.headers["Location"].startswith(f"/devices/{tag}")
    disks = seen(world.repair, tag)["device"]["disks"]
    assert [d["removed_at"] is not None for d in disks] == [True, False]
    page = visitor.get(f"/devices/{tag}")
    assert "Schijf hdd WCJ0 uit het toestel gehaald." in flashes(page)
    assert "de wisronde hoeft ze niet meer te dekken" in shown(page)
    # Taking it out twice says it was already done.
    visitor.post(f"/devices/{tag}/disks/{hdd}/remove")
    assert any(
        "al uit het toestel gehaald" in m
        for m in flashes(visitor.get(f"/devices/{tag}"))
    )


def test_a_disk_found_later_is_added_and_must_be_erased(web, world):
    tag, (first,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])
    visitor = web.visitor("repair")
    erase_on_page(visitor, tag, first)

    response = visitor.post(
        f"/devices/{tag}/disks",
        {"disk-kind": "nvme", "disk-size_gb": "256", "disk-serial": "S4DENX"},
    )

    assert response.status_code == 302
    disks = seen(world.repair, tag)["device"]["disks"]
    assert [(d["kind"], d["serial"], d["size_gb"]) for d in disks][-1] == (
        "nvme",
        "S4DENX",
        256,
    )
    page = visitor.get(f"/devices/{tag}")
    assert "Schijf nvme S4DENX toegevoegd." in flashes(page)
    assert "Nog te wissen in deze wisronde." in shown(page)
    assert f'action="/devices/{tag}/actions/finish_wipe"' not in text(page)

    bad = visitor.post(f"/devices/{tag}/disks", {"disk-kind": "floppy"})
    assert bad.status_code == 302
    assert any(
        m.startswith("Soort schijf:") for m in flashes(visitor.get(f"/devices/{tag}"))
    )
    assert len(seen(world.repair, tag)["device"]["disks"]) == 2


# The quality check


def checked(page: str, name: str) -> list[str]:
    """The values of the radio buttons or check boxes named `name` that are on."""
    return re.findall(
        rf'<input checked id="[^"]+" name="{name}" type="\w+" value="(\w+)"', page
    )


def item_form(results: dict, item_notes: dict | None = None, **extra) -> dict:
    form = {f"{key}-result": result for key, result in results.items()}
    form |= {f"{key}-note": note for key, note in (item_notes or {}).items()}
    return form | extra


def all_items(kind: str = "laptop", **changes) -> dict:
    results = {key: "pass" for key in checklist.for_kind(kind).keys}
    return results | changes


def test_the_checklist_page_offers_each_item_its_own_answers(web, world):
    tag = in_qc(world)

    page = text(web.visitor("repair").get(f"/devices/{tag}/qc"))

    laptop = checklist.for_kind("laptop")
    for item in laptop.items:
        answers = re.findall(rf'name="{item.key}-result"[^>]*value="(\w+)"', page)
        answers = answers or re.findall(
            rf'value="(\w+)"[^>]*name="{item.key}-result"', page
        )
        expected = ["pass", "fail"] + (["na"] if item.na_allowed else [])
        assert answers == expected, item.key
    assert (
        "<legend>BIOS- of schijfwachtwoord verwijderd (of geen ingesteld)?</legend>"
        in page
    )
    assert "<legend>Scherm</legend>" in page
    assert "geen dode of vastzittende pixels" in page  # what to look for, in Dutch
    assert "</strong> — lichte slijtage" in page


def test_a_check_is_saved_halfway_then_completed_and_the_device_passes(web, world):
    tag = in_qc(world, specs={"ram_gb": 4})
    visitor = web.visitor("repair")
    halfway = {"power_boot": "pass", "screen": "fail", "webcam": "na"}

    response = visitor.post(
        f"/devices/{tag}/qc", item_form(halfway, {"screen": "kras linksboven"})
    )

    assert response.status_code == 302
    (saved,) = world.repair.get(f"/devices/{tag}/qc").get_json()
    assert {k: v["result"] for k, v in saved["items"].items()} == halfway
    assert saved["items"]["screen"]["note"] == "kras linksboven"
    assert saved["lendability"] == "not_lendable"
    page = visitor.get(f"/devices/{tag}")
    assert (
        "Kwaliteitscontrole opgeslagen. Uitleenbaarheid: niet uitleenbaar."
        in flashes(page)
    )
    reads = shown(page)
    assert "Uitleenbaarheid: niet uitleenbaar" in reads
    assert "nog niet gecontroleerd: Toetsenbord, Touchpad" in reads
    assert "Niet in orde Scherm" in reads
    assert "Scherm kras linksboven" in reads  # the item's note
    assert "Checklist verder invullen" in reads
    # The page goes on where the tester left.
    form = text(visitor.get(f"/devices/{tag}/qc"))
    assert checked(form, "screen-result") == ["fail"]
    assert checked(form, "webcam-result") == ["na"]
    assert checked(form, "keyboard-result") == []
    assert 'value="kras linksboven"' in form

    response = visitor.post(
        f"/devices/{tag}/qc", item_form(all_items(webcam="na"), grade="B", notes="ok")
    )

    assert response.status_code == 302
    checks = world.repair.get(f"/devices/{tag}/qc").get_json()
    assert len(checks) == 2
    assert checks[0]["grade"] == "B"
    assert checks[0]["lendability"] == "basic"  # 4 GB RAM: basic at most
    page = visitor.get(f"/devices/{tag}")
    reads = shown(page)
    assert "Uitleenbaarheid: basis (basis: surfen, e-mail en videobellen)" in reads
    assert (
        "4 GB RAM: genoeg om te surfen en te videobellen, niet voor school en kantoor"
        " (vraagt 8 GB)"
    ) in reads
    assert "256 GB opslag: genoeg voor school en kantoor" in reads
    assert "Webcam: niet aanwezig op dit toestel" in reads
    assert "Uiterlijke klasse B: lichte slijtage" in reads
    assert f'action="/devices/{tag}/actions/pass_qc"' in text(page)

    visitor.post(f"/devices/{tag}/actions/pass_qc")

    page = visitor.get(f"/devices/{tag}")
    assert "Gedaan: Goedkeuren bij kwaliteitscontrole." in flashes(page)
    assert "klaar om uit te lenen" in text(page)
    assert seen(world.repair, tag)["device"]["state"] == "ready"


def test_a_lock_left_on_holds_back_pass_qc_with_dutch_reasons(web, world):
    tag = in_qc(world, specs={"ram_gb": 8, "storage_gb": 256})
    visitor = web.visitor("repair")
    visitor.post(
        f"/devices/{tag}/qc", item_form(all_items(bios_password="fail"), grade="A")
    )
    before = seen(world.coordinator, tag)

    page = visitor.get(f"/devices/{tag}")
    assert f'action="/devices/{tag}/actions/pass_qc"' not in text(page)
    assert (
        "Nog niet mogelijk: Goedkeuren bij kwaliteitscontrole"
        " een BIOS- of schijfwachtwoord is nog ingesteld"
    ) in shown(page)
    assert "Uitleenbaarheid: niet uitleenbaar" in shown(page)

    response = visitor.post(f"/devices/{tag}/actions/pass_qc")

    assert response.headers["Location"] == f"/devices/{tag}"
    (said,) = flashes(visitor.get(f"/devices/{tag}"))
    assert said == (
        "Goedkeuren bij kwaliteitscontrole geweigerd:"
        " een BIOS- of schijfwachtwoord is nog ingesteld"
    )
    assert seen(world.coordinator, tag) == before


def test_fail_qc_is_ticked_with_the_saved_failures_and_sends_the_device_back(
    web, world
):
    tag = in_qc(world)
    visitor = web.visitor("repair")
    visitor.post(f"/devices/{tag}/qc", item_form(all_items(battery="fail"), grade="C"))

    page = text(visitor.get(f"/devices/{tag}"))
    assert checked(page, "fail_qc-failed_items") == ["battery"]
    assert "Batterij" in page

    visitor.post(
        f"/devices/{tag}/actions/fail_qc",
        {
            "fail_qc-failed_items": ["battery", "screen"],
            "fail_qc-note": "nieuwe batterij",
        },
    )

    device = seen(world.repair, tag)
    assert device["device"]["state"] == "refurbishing"
    assert device["events"][-1]["payload"] == {
        "failed_items": ["battery", "screen"],
        "note": "nieuwe batterij",
    }


def test_a_blocker_cannot_be_answered_not_applicable(web, world):
    tag = in_qc(world)
    visitor = web.visitor("repair")

    response = visitor.post(
        f"/devices/{tag}/qc", item_form({"power_boot": "pass", "bios_password": "na"})
    )

    assert response.status_code == 422
    assert "Ongeldige keuze." in text(response)
    assert world.repair.get(f"/devices/{tag}/qc").get_json() == []


def test_a_check_needs_an_answer_and_a_note_needs_its_result(web, world):
    tag = in_qc(world)
    visitor = web.visitor("repair")

    nothing = visitor.post(f"/devices/{tag}/qc", {"grade": "A"})
    lonely_note = visitor.post(
        f"/devices/{tag}/qc",
        item_form({"screen": "pass"}, {"keyboard": "toets Q plakt"}),
    )

    assert nothing.status_code == 422
    assert "Beantwoord minstens één punt voor je opslaat." in flashes(nothing)
    assert lonely_note.status_code == 422
    assert "Geef een resultaat bij deze opmerking." in text(lonely_note)
    assert world.repair.get(f"/devices/{tag}/qc").get_json() == []


def test_the_checklist_waits_for_the_quality_check_state(web, world):
    tag, _disks = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])
    visitor = web.visitor("repair")

    response = visitor.get(f"/devices/{tag}/qc")

    assert response.headers["Location"].startswith(f"/devices/{tag}")
    (said,) = flashes(visitor.get(response.headers["Location"]))
    assert said == (
        "De checklist vul je in zodra het toestel in kwaliteitscontrole is;"
        " nu is het in wisbeurt."
    )


# The API's device carries its lendability


def test_the_api_device_carries_the_lendability_of_its_latest_check(world):
    tag = in_qc(world, specs={"ram_gb": 8, "storage_gb": 256})
    assert world.repair.get(f"/devices/{tag}").get_json()["lendability"] is None

    world.record_qc(tag, grade="A")

    lendable = world.coordinator.get(f"/devices/{tag}").get_json()["lendability"]
    assert lendable["class"] == "school_office"
    assert lendable["rules_version"] == lendability.RULES_VERSION
    assert {
        "rule": "ram_school_office",
        "text": "8 GB RAM: enough for school/office use",
        "limit": None,
    } in lendable["reasons"]
    assert datetime.fromisoformat(lendable["checked_at"]).tzinfo is not None
    listed = world.repair.get("/devices").get_json()["items"]
    assert "lendability" not in listed[0]


# Every word the bench pages show has its Dutch and French


def domain_texts() -> set[str]:
    """Every fixed English text of the checklists, lendability and erasure rules."""
    found = set()
    for _key, *_codes, label in checklist.ROWS:
        found.add(label)
    found |= set(checklist.CHECKS.values()) | set(checklist.BLOCKED.values())
    found |= set(checklist.GRADES.values()) | set(lendability.CLASSES.values())
    found |= {rule.why for rule in rules.RULES.values()}
    return found


def test_every_fixed_text_of_the_rules_is_marked_for_translation():
    assert domain_texts() - texts.TEXTS == set()
    assert set(wording.QUESTIONS) == {
        item.key for t in checklist.CURRENT.values() for item in t.blockers
    }
    assert set(wording.TECHNIQUES) == {t.value for t in rules.Technique}
    assert set(wording.MEDIA) == {m.value for m in rules.Media}
    assert set(wording.LENDABILITY) == set(lendability.CLASSES)


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_rules_texts_are_in_the_dutch_and_french_catalogs(app, language):
    with app.test_request_context(headers={"Accept-Language": language}):
        catalog = get_translations()._catalog

    assert [t for t in domain_texts() if not catalog.get(t)] == []


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        # a guard's shortfalls, one per disk, joined with "; "
        (
            "not erased as the policy requires in this wipe cycle: ssd S1: sata_ssd"
            " needs purge, best this cycle: clear (overwrite); hdd WCJ0: hdd needs"
            " clear, no passing erasure this cycle",
            "niet gewist zoals het beleid vraagt in deze wisronde: ssd S1: SATA-SSD"
            " vraagt Purge, beste in deze wisronde: Clear (Overschrijven (nwipe,"
            " shred, DBAN)); hdd WCJ0: harde schijf (HDD) vraagt Clear, geen geslaagde"
            " wisbeurt in deze wisronde",
        ),
        # every problem of a check at once, item labels translated
        (
            "not checked yet: Screen, Keyboard; a BIOS or disk password is still set;"
            " the quality check has no cosmetic grade",
            "nog niet gecontroleerd: Scherm, Toetsenbord; een BIOS- of"
            " schijfwachtwoord is nog ingesteld; de kwaliteitscontrole heeft geen"
            " uiterlijke klasse",
        ),
        (
            "not lendable: 2 GB RAM: below the 4 GB minimum, upgrade it",
            "niet uitleenbaar: 2 GB RAM: onder het minimum van 4 GB, upgrade het toestel",
        ),
        (
            "battery at 55 % of its design capacity: replace it before lending",
            "batterij op 55 % van de oorspronkelijke capaciteit: vervang ze vóór"
            " het uitlenen",
        ),
        # a sentence that itself holds "; " is still one sentence
        (
            "no data-bearing disk is recorded for this device; record its disks first",
            "voor dit toestel is geen schijf met gegevens geregistreerd; registreer"
            " eerst de schijven",
        ),
    ],
)
def test_joined_and_nested_domain_sentences_read_in_dutch(app, english, dutch):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert wording.sentence(english) == dutch


def test_the_bench_pages_speak_english_and_french_when_chosen(web, world):
    tag = in_qc(world)
    visitor = web.visitor("repair")

    french = shown(visitor.get(f"/devices/{tag}/qc?lang=fr"))
    english = shown(visitor.get(f"/devices/{tag}/qc?lang=en"))
    device = shown(visitor.get(f"/devices/{tag}?lang=fr"))

    assert "Écran" in french and "Enregistrer le contrôle" in french
    assert "Mot de passe BIOS ou disque supprimé (ou aucun défini) ?" in french
    assert "Screen" in english and "Save the check" in english
    assert "Disques et effacement des données" in device
    assert "Bereikt" not in device and "Bereikt" not in english


def test_times_are_read_in_brussels_summer_time_too(web, world):
    tag, (disk,) = wiping(world, [{"kind": "hdd", "serial": "WCJ0"}])

    erase_on_page(
        web.visitor("repair"),
        tag,
        disk,
        started_at="2026-07-01T09:00",
        finished_at="2026-07-01T10:30",
    )

    (record,) = erasures_of(world, tag)
    assert record["started_at"] == "2026-07-01T07:00:00+00:00"  # UTC+2 in summer
