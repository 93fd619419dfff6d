"""A donor's certificate, in a real browser (Debian's headless Chromium, in Dutch).

A coordinator downloads the batch certificate from the batch page; the donor
opens the address in its QR code on a phone-sized screen and reads a green
"Echt"; then uploads a copy someone changed and reads the red verdict.
Everything is checked as the person reads it on the screen.
"""

import base64
import json

from selenium.webdriver.common.by import By

from assettrack.certificates.render import extract
from tests.browser import PASSWORD

DONOR = "Bakkerij Peeters NV"
GREEN, RED = "rgba(26, 127, 55, 1)", "rgba(180, 35, 24, 1)"  # --ok, --bad

# Fetches what the form of the button reading arguments[0] would open, with the
# page's own session cookie: the bytes a click would download.
FETCH_FORM = """
const [label, done] = [arguments[0], arguments[arguments.length - 1]];
const button = [...document.querySelectorAll("button")]
  .find((b) => b.textContent.trim() === label);
const form = button.form;
const url = form.action + "?" + new URLSearchParams(new FormData(form));
fetch(url, {credentials: "same-origin"})
  .then((response) => response.arrayBuffer().then((buffer) => {
    let text = "";
    for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
    done([response.status, response.headers.get("Content-Type"), btoa(text)]);
  }))
  .catch((error) => done([0, String(error), ""]));
"""


def batch_with_one_device_erased(world) -> tuple[int, list[str]]:
    gift = world.coordinator.post(
        "/donations", json={"donor": DONOR, "received_on": "2026-11-03"}
    ).get_json()["id"]
    devices = [world.intake(donation=gift) for _ in range(2)]
    erased = devices[0]
    world.ok(world.repair.act(erased["asset_tag"], "start_wipe"))
    world.erase_all(erased)
    world.ok(world.repair.act(erased["asset_tag"], "finish_wipe"))
    return gift, [d["asset_tag"] for d in devices]


def log_in(browser, email: str) -> None:
    browser.open("/login")
    browser.type("E-mailadres", email)
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")


def verdict_colour(browser) -> str:
    verdict = browser.driver.find_element(By.CSS_SELECTOR, ".verdict")
    return verdict.value_of_css_property("border-left-color")


def test_a_donor_checks_the_batch_certificate_and_spots_a_changed_copy(
    web, world, browser, live_server, tmp_path
):
    gift, (erased, waiting) = batch_with_one_device_erased(world)

    # The coordinator, on the batch page.
    log_in(browser, "coordinator@example.be")
    browser.open(f"/donations/{gift}")
    assert "Gewist: 1 van 2 toestellen. Nog niet gewist: 1." in browser.text()
    assert browser.field("Taal van het certificaat").get_attribute("value") == "nl"
    status, mimetype, data = browser.driver.execute_async_script(
        FETCH_FORM, "Partijcertificaat downloaden"
    )
    assert (status, mimetype) == (200, "application/pdf")
    pdf = base64.b64decode(data)
    certificate = json.loads(extract(pdf)[0])
    number, qr_url = certificate["number"], certificate["verify_url"]
    assert qr_url == f"{live_server}/verify/{number}"
    browser.press("Afmelden")

    # The donor scans the QR code with a phone: no login, no app.
    browser.driver.set_window_size(390, 844)
    browser.driver.get(qr_url)

    assert browser.heading().endswith("Echt")
    assert verdict_colour(browser) == GREEN
    shown = browser.text()
    assert f"Certificaat {number} werd uitgereikt door Digibank Gent" in shown
    assert "B. P. N." in shown and DONOR not in shown
    assert erased in shown and "Purge" in shown
    assert f"{waiting} Lenovo ThinkPad T480: nog niet gewist" in shown
    assert browser.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    ), "the page is wider than the phone"
    browser.screenshot(tmp_path / "verify-genuine.png")

    # A copy with the donor's name changed, uploaded through the form.
    changed = tmp_path / "certificaat.pdf"
    changed.write_bytes(pdf.replace(DONOR.encode(), b"Bakkerij Peeters BV"))
    browser.field("Certificaat (PDF-bestand)").send_keys(str(changed))
    browser.press("Bestand controleren")

    assert browser.heading().endswith(
        "Dit bestand werd gewijzigd nadat het werd uitgereikt"
    )
    assert verdict_colour(browser) == RED
    assert "Echt" not in browser.text() and "Bakkerij Peeters BV" not in browser.text()
    browser.screenshot(tmp_path / "verify-tampered.png")

    # The file as it was issued checks out, with the donor's name in full.
    original = tmp_path / "origineel.pdf"
    original.write_bytes(pdf)
    browser.field("Certificaat (PDF-bestand)").send_keys(str(original))
    browser.press("Bestand controleren")
    assert browser.heading().endswith("Echt")
    assert f"Dit bestand is certificaat {number}" in browser.text()
    assert DONOR in browser.text()
