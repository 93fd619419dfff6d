"""A repair partner at the workbench, in a real browser (Debian's headless Chromium).

The browser speaks Dutch like a Flemish workshop PC; the person logs in, takes in
a batch of two laptops by typing into the forms, opens one and starts its wipe.
Everything is checked as the person reads it on the screen.
"""

import re

from tests.browser import PASSWORD


def register_laptop(browser, serial: str, disk_serial: str) -> str:
    """Fill in the next-device form as the person would; the new tag."""
    browser.type("Serienummer", serial)
    browser.type("Serienummer van de schijf", disk_serial, within="Schijf 1")
    browser.press("Toestel registreren")
    (registered,) = [m for m in browser.messages() if m.endswith(" geregistreerd.")]
    return registered.removesuffix(" geregistreerd.")


def test_repair_partner_takes_in_a_batch_and_starts_a_wipe(web, browser, tmp_path):
    browser.open("/")
    assert browser.heading() == "Aanmelden"
    browser.type("E-mailadres", "repair@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")
    assert browser.heading() == "Toestel zoeken"

    browser.follow("Nieuwe partij ontvangen")
    browser.type("Schenker", "Stad Gent")
    browser.type("Opmerkingen", "twee laptops van de dienst ICT")
    browser.press("Partij aanmaken")
    assert browser.heading() == "Partij van Stad Gent"
    assert "Partij van Stad Gent aangemaakt." in browser.messages()
    assert "Nog geen toestellen" in browser.text()

    browser.choose("Soort", "laptop")
    browser.type("Merk", "Lenovo")
    browser.type("Model", "ThinkPad T480")
    browser.type("Werkgeheugen (GB)", "8")
    browser.choose("Soort schijf", "NVMe-SSD", within="Schijf 1")
    browser.type("Grootte (GB)", "256", within="Schijf 1")
    first = register_laptop(browser, "PF1ABC", "S4DENX0M1")
    # The next laptop of the batch starts as a copy of this one.
    assert browser.field("Model").get_attribute("value") == "ThinkPad T480"
    second = register_laptop(browser, "PF2DEF", "S4DENX0M2")

    assert re.fullmatch(r"DB-\d{6}\w", first) and first != second
    assert "Toestellen in deze partij (2)" in browser.text()
    for tag in (first, second):
        assert tag in browser.text()
    assert "Labels van deze partij afdrukken" in browser.text()

    browser.follow(second)
    assert browser.heading() == f"{second} ontvangen"
    assert "Wissen starten" in browser.buttons(within="Wat je nu kunt doen")
    assert "geregistreerd bij ontvangst" in browser.text()

    browser.press("Wissen starten")

    assert browser.path == f"/devices/{second}"
    assert "Gedaan: Wissen starten." in browser.messages()
    assert browser.heading() == f"{second} in wisbeurt"
    assert "wissen gestart" in browser.text()
    assert "Wissen starten" not in browser.buttons(within="Wat je nu kunt doen")
    browser.screenshot(tmp_path / "device-page.png")
