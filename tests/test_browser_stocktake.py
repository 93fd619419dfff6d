"""A desk volunteer counts De Krook in a real browser (headless Chromium), scanning
labels with a USB scanner: it types the code and Enter into the focused field."""

from selenium.webdriver.common.keys import Keys
from test_coordinator_stocktake import UNKNOWN_TAG
from test_coordinator_stocktake import Room

from tests.browser import PASSWORD


def scan(browser, code: str) -> None:
    """Type `code` and Enter into the focused element, as a scanner does."""
    focused = browser.driver.switch_to.active_element
    assert focused.get_attribute("id") == "code"  # the scan field always has it
    browser._to_next_page(lambda: focused.send_keys(code + Keys.ENTER))


def count(browser, name: str) -> str:
    row = browser.driver.find_element("css selector", f'tr[data-count="{name}"] td')
    return row.text


def test_a_volunteer_scans_the_room_and_records_the_corrections(world, web, browser):
    room = Room(world)
    browser.open("/login")
    browser.type("E-mailadres", "desk@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")

    browser.follow("Inventaris")
    assert browser.heading() == "Inventaris"
    browser.choose("Plek die je telt", "De Krook")
    browser.press("De inventaris beginnen")
    assert browser.heading() == "Inventaris van De Krook"
    assert count(browser, "expected") == "3"

    scan(browser, room.found[0])
    assert browser.messages() == [f"{room.found[0]} gevonden: het hoort hier."]
    assert count(browser, "found") == "1" and count(browser, "missing") == "2"
    scan(browser, room.from_store)
    [message] = browser.messages()
    assert "Magazijn Gent" in message
    flash = browser.driver.find_element("css selector", ".flash")
    assert "warning" in flash.get_attribute("class")
    scan(browser, UNKNOWN_TAG)
    assert browser.messages() == [f"Geen toestel heeft de code {UNKNOWN_TAG}."]
    assert count(browser, "unknown") == "1"
    assert room.missing in browser.text()

    browser.press("Correcties registreren")
    assert browser.messages() == ["1 correctie geregistreerd."]
    assert count(browser, "elsewhere") == "0" and count(browser, "found") == "2"
    assert browser.driver.switch_to.active_element.get_attribute("id") == "code"

    browser.press("De inventaris afsluiten")
    assert browser.messages() == [
        "Inventaris afgesloten. De lijsten blijven hier bewaard."
    ]
    assert "Ontbreekt: hier verwacht, niet gescand" in browser.text()
    assert not browser.driver.find_elements("id", "code")
