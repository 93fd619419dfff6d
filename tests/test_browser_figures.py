"""The coordinator's figures page in a real browser (Debian's headless Chromium).

A coordinator opens the figures, sees the two charts drawn on the server (the
devices on hand at each digileenplek over time, the median days per state) with
a legend naming the places, and exports the year as XLSX: the button starts the
job, its page says when it is ready, and the file downloads.
"""

import io

import openpyxl
import requests
from selenium.webdriver.common.by import By

from tests.browser import PASSWORD


def test_a_coordinator_reads_the_charts_and_exports_the_figures(
    world, web, browser, aalst
):
    world.ready_device()
    world.ready_device(at="aalst")
    world.lent_device()
    browser.open("/login")
    browser.type("E-mailadres", "coordinator@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")

    browser.open("/stock")
    browser.follow("Cijfers")  # in the menu
    assert browser.path == "/figures"
    assert browser.heading() == "Cijfers"

    chart = browser.driver.find_element(By.CSS_SELECTOR, "svg.on-hand-over-time")
    assert chart.find_element(By.TAG_NAME, "title").get_attribute("textContent") == (
        "Voorraad per digileenplek doorheen de tijd"
    )
    lines = chart.find_elements(By.CSS_SELECTOR, "g.place")
    assert sorted(g.get_attribute("data-place") for g in lines) == [
        "Bib Aalst",
        "De Krook",
    ]
    assert all(g.find_element(By.TAG_NAME, "polyline").is_displayed() for g in lines)
    # Twelve months, this month's end being now: one ready at Aalst, one at De
    # Krook (the other is lent).
    counts = {
        g.get_attribute("data-place"): g.get_attribute("data-counts") for g in lines
    }
    this_month_only = ",".join(["0"] * 11 + ["1"])
    assert counts == {"Bib Aalst": this_month_only, "De Krook": this_month_only}
    legend = [
        li.text for li in browser.driver.find_elements(By.CSS_SELECTOR, "ul.legend li")
    ]
    assert legend == ["Bib Aalst", "De Krook"]

    bars = browser.driver.find_element(By.CSS_SELECTOR, "svg.time-in-state")
    states = [
        g.get_attribute("data-state") for g in bars.find_elements(By.TAG_NAME, "g")
    ]
    assert "received" in states and "ready" in states
    assert "Tijd in elke status" in browser.text()

    browser.press("Exporteer XLSX")
    assert browser.path.startswith("/jobs/")
    assert browser.heading() == "Cijferexport"
    assert "klaar" in browser.text()  # no Redis here: it ran at once
    link = browser.driver.find_element(By.LINK_TEXT, "Bestand downloaden")
    cookies = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    file = requests.get(link.get_attribute("href"), cookies=cookies, timeout=10)
    assert file.status_code == 200
    assert ".xlsx" in file.headers["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(file.content), read_only=True)
    assert "summary" in workbook.sheetnames and "time_in_state" in workbook.sheetnames
