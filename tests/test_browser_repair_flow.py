"""The whole bench in a real browser: intake → wipe → quality check → ready to lend.

Debian's headless Chromium, speaking Dutch like a Flemish workshop PC, is the
repair partner: they take in a laptop (NVMe SSD) and a desktop (hard disk),
erase each disk on its form (a sanitize and an overwrite, with the tool's log
for one), fill in the checklists and pass both devices. What the person reads
is checked on the screen; what was stored, at the end through the API.
"""

import hashlib

from selenium.webdriver.common.by import By

from tests.browser import PASSWORD
from tests.browser import _quote

NWIPE_LOG = (
    b"[2026/11/28 09:02:11] nwipe: info: Device /dev/sda has serial number WCJ0A1\n"
    b"[2026/11/28 10:41:57] nwipe: notice: /dev/sda: Verified, 1 pass, 0 errors\n"
    b"[2026/11/28 10:41:57] nwipe: notice: HPA/DCO: no hidden sectors\n"
)


def register(browser, kind: str, make: str, model: str, serial: str, disk: dict) -> str:
    """Fill in the next-device form as the person would; the new tag."""
    browser.choose("Soort", kind)
    browser.type("Merk", make)
    browser.type("Model", model)
    browser.type("Serienummer", serial)
    browser.type("Werkgeheugen (GB)", "8")
    browser.choose("Soort schijf", disk["kind"], within="Schijf 1")
    browser.type("Grootte (GB)", disk["size"], within="Schijf 1")
    browser.type("Serienummer van de schijf", disk["serial"], within="Schijf 1")
    browser.press("Toestel registreren")
    (registered,) = [m for m in browser.messages() if m.endswith(" geregistreerd.")]
    return registered.removesuffix(" geregistreerd.")


def erase(browser, technique: str, tool: str, log=None, **fields) -> None:
    """Fill in a disk's erasure form and save it."""
    browser.follow("Wisbeurt registreren")
    assert browser.heading() == "Wisbeurt registreren"
    browser.choose("Techniek", technique)
    if "passes" in fields:
        browser.type("Aantal keer overschreven", fields["passes"])
    browser.type("Programma", tool)
    browser.type("Versie", fields.get("version", ""))
    browser.choose("Controle", "volledig teruggelezen")
    browser.choose("Resultaat van de controle", "geslaagd")
    if "hidden_areas" in fields:
        browser.choose("Verborgen zones (HPA/DCO)", fields["hidden_areas"])
    if log is not None:
        browser.field("Logbestand van het programma (optioneel)").send_keys(str(log))
    browser.press("Wisbeurt opslaan")


def click_label(browser, xpath: str) -> None:
    browser.driver.find_element(By.XPATH, xpath).click()


def check_everything(browser, not_there: tuple[str, ...] = ()) -> None:
    """Answer every item: in order (a lock: gone), or not there; grade A; save."""
    browser.follow("Checklist openen")
    items = browser.driver.find_elements(
        By.CSS_SELECTOR, "form.checklist fieldset.item"
    )
    assert len(items) > 10
    for item in items:
        legend = item.find_element(By.TAG_NAME, "legend").text
        lock = "blocker" in item.get_attribute("class").split()
        answer = "Ja" if lock else "in orde"
        if legend in not_there:
            answer = "niet van toepassing"
        item.find_element(
            By.XPATH, f".//label[normalize-space()={_quote(answer)}]"
        ).click()
    grade = "//fieldset[contains(@class, 'grade')]//label"
    click_label(browser, f"{grade}[starts-with(normalize-space(), 'A ')]")
    browser.press("Controle opslaan")


def test_a_repair_partner_takes_two_devices_from_intake_to_ready(
    web, world, browser, tmp_path
):
    log_file = tmp_path / "nwipe_sda.log"
    log_file.write_bytes(NWIPE_LOG)

    browser.open("/")
    browser.type("E-mailadres", "repair@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")

    # Intake: one batch, a laptop with an NVMe SSD and a desktop with a hard disk.
    browser.follow("Nieuwe partij ontvangen")
    browser.type("Schenker", "Stad Gent")
    browser.press("Partij aanmaken")
    laptop = register(
        browser, "laptop", "Lenovo", "ThinkPad T480", "PF1ABC",
        {"kind": "NVMe-SSD", "size": "256", "serial": "S4DENX0M1"},
    )  # fmt: skip
    desktop = register(
        browser, "desktop", "Dell", "OptiPlex 7050", "7GH2K3",
        {"kind": "harde schijf (HDD)", "size": "500", "serial": "WCJ0A1"},
    )  # fmt: skip
    assert "Toestellen in deze partij (2)" in browser.text()

    # The laptop: its NVMe SSD sanitized (Purge, what the policy asks for flash).
    browser.follow(laptop)
    assert browser.heading() == f"{laptop} ontvangen"
    browser.press("Wissen starten")
    assert "Nog te wissen in deze wisronde." in browser.text()
    assert "Wissen afronden" not in browser.buttons(within="Wat je nu kunt doen")
    erase(
        browser, "NVMe Sanitize, cryptografisch wissen — Purge", "nvme-cli",
        version="2.8",
    )  # fmt: skip
    assert browser.path.startswith(f"/devices/{laptop}")
    assert "Wisbeurt van schijf S4DENX0M1 opgeslagen." in browser.messages()
    assert "Bereikt niveau: Purge — voldoet aan het beleid" in browser.text()
    browser.press("Wissen afronden")
    browser.press("Naar kwaliteitscontrole")
    assert browser.heading() == f"{laptop} in kwaliteitscontrole"
    assert "Goedkeuren bij kwaliteitscontrole" not in browser.buttons(
        within="Wat je nu kunt doen"
    )
    check_everything(browser)
    assert (
        "Kwaliteitscontrole opgeslagen. Uitleenbaarheid: school/kantoor."
        in browser.messages()
    )
    assert "Uitleenbaarheid: school/kantoor" in browser.text()
    browser.press("Goedkeuren bij kwaliteitscontrole")
    assert browser.heading() == f"{laptop} klaar om uit te lenen"
    assert "Gedaan: Goedkeuren bij kwaliteitscontrole." in browser.messages()

    # The desktop: its hard disk overwritten once with nwipe, the log kept.
    browser.open("/")
    browser.type("Inventarislabel", desktop)
    browser.press("Openen")
    assert browser.heading() == f"{desktop} ontvangen"
    browser.press("Wissen starten")
    erase(
        browser, "Overschrijven (nwipe, shred, DBAN) — Clear", "nwipe",
        log=log_file, passes="1", version="0.38",
        hidden_areas="gecontroleerd: gewist of niet aanwezig",
    )  # fmt: skip
    assert "Wisbeurt van schijf WCJ0A1 opgeslagen." in browser.messages()
    assert "Bereikt niveau: Clear — voldoet aan het beleid" in browser.text()
    browser.press("Wissen afronden")
    browser.press("Naar kwaliteitscontrole")
    check_everything(browser, not_there=("Webcam",))
    assert "Webcam: niet aanwezig op dit toestel" in browser.text()
    browser.press("Goedkeuren bij kwaliteitscontrole")
    assert browser.heading() == f"{desktop} klaar om uit te lenen"
    assert "klaar om uit te lenen" in browser.text()
    browser.screenshot(tmp_path / "desktop-ready.png")

    # What was stored, as the API shows it.
    for tag, level, technique in (
        (laptop, "purge", "nvme_sanitize_crypto"),
        (desktop, "clear", "overwrite"),
    ):
        device = world.repair.get(f"/devices/{tag}").get_json()
        assert device["state"] == "ready"
        assert device["lendability"]["class"] == "school_office"
        (record,) = world.repair.get(f"/devices/{tag}/erasures").get_json()
        assert (record["technique"], record["level"], record["meets_policy"]) == (
            technique,
            level,
            None,
        )
        assert record["operator"]["email"] == "repair@example.be"
        events = world.repair.get(f"/devices/{tag}/events").get_json()
        assert [e["action"] for e in events] == [
            "register",
            "start_wipe",
            "finish_wipe",
            "submit_qc",
            "pass_qc",
        ]
        (check,) = world.repair.get(f"/devices/{tag}/qc").get_json()
        assert check["grade"] == "A"
        assert check["tester"] == "repair@example.be"
    (desktop_record,) = world.repair.get(f"/devices/{desktop}/erasures").get_json()
    assert desktop_record["log_sha256"] == hashlib.sha256(NWIPE_LOG).hexdigest()
    assert desktop_record["hidden_areas"] == "yes"
    (desktop_check,) = world.repair.get(f"/devices/{desktop}/qc").get_json()
    assert desktop_check["items"]["webcam"]["result"] == "na"
    assert desktop_check["template"].startswith("desktop@")
