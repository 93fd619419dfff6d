"""The coordinator's stock dashboard in a real browser (Debian's headless Chromium).

A coordinator reads the table, switches how it is grouped, clicks a number to
see the devices behind it, and looks at the charts drawn on the server: the
devices per state at each digileenplek, and the loans of the last 12 months.
"""

from selenium.webdriver.common.by import By

from tests.browser import PASSWORD


def table(browser) -> dict[str, dict]:
    """The stock table as read: {line: {column heading: cell element}}."""
    grid = browser.driver.find_element(By.CSS_SELECTOR, "table.stock")
    headings = [th.text for th in grid.find_elements(By.CSS_SELECTOR, "thead th")][1:]
    lines = {}
    for row in grid.find_elements(By.CSS_SELECTOR, "tbody tr"):
        cells = row.find_elements(By.TAG_NAME, "td")
        lines[row.find_element(By.TAG_NAME, "th").text] = dict(
            zip(headings, cells, strict=True)
        )
    return lines


def numbers(lines: dict[str, dict]) -> dict[str, dict[str, str]]:
    return {
        line: {heading: cell.text for heading, cell in cells.items()}
        for line, cells in lines.items()
    }


def test_a_coordinator_reads_the_stock_and_opens_the_devices_behind_a_number(
    world, web, browser, aalst
):
    world.intake()
    ready = sorted(world.ready_device()["asset_tag"] for _ in range(2))
    world.lent_device()
    world.ready_device(at="aalst")
    browser.open("/login")
    browser.type("E-mailadres", "coordinator@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")

    browser.open("/stock")
    assert browser.heading() == "Voorraad"
    current = browser.driver.find_element(By.CSS_SELECTOR, "nav.tabs a[aria-current]")
    assert current.text == "Per plaats"
    columns = ["ontvangen", "klaar om uit te lenen", "uitgeleend", "Totaal"]
    shown = numbers(table(browser))
    assert {line: [cells[c] for c in columns] for line, cells in shown.items()} == {
        "Bib Aalst": ["0", "1", "0", "1"],
        "De Krook": ["0", "2", "1", "3"],
        "Werkplaats Gent": ["1", "0", "0", "1"],
    }

    # The chart: one bar group a digileenplek (not the workshop), in the table's order.
    groups = browser.driver.find_elements(
        By.CSS_SELECTOR, "svg[aria-labelledby='chart-title'] > g"
    )
    assert [g.find_element(By.TAG_NAME, "text").text for g in groups] == [
        "Bib Aalst",
        "De Krook",
    ]
    segments = [
        [
            rect.get_attribute("textContent")
            for rect in g.find_elements(By.TAG_NAME, "rect")
        ]
        for g in groups
    ]
    assert segments == [
        ["Bib Aalst: 1 klaar om uit te lenen"],
        ["De Krook: 2 klaar om uit te lenen", "De Krook: 1 uitgeleend"],
    ]
    # Loans per month: twelve columns, this month's holding today's loan.
    months = browser.driver.find_elements(By.CSS_SELECTOR, "svg.lent-per-month > g")
    assert [g.get_attribute("data-lent") for g in months] == ["0"] * 11 + ["1"]

    browser.follow("Per gemeente")
    assert browser.path.startswith("/stock?group=municipality")
    lines = table(browser)
    assert {
        line: [cells[c] for c in columns] for line, cells in numbers(lines).items()
    } == {"Aalst": ["0", "1", "0", "1"], "Gent": ["1", "2", "1", "4"]}
    assert not browser.driver.find_elements(
        By.CSS_SELECTOR, "svg[aria-labelledby='chart-title']"
    )  # the bars are per digileenplek, drawn only when grouped per place

    number = lines["Gent"]["klaar om uit te lenen"].find_element(By.TAG_NAME, "a")
    browser._to_next_page(number.click)
    assert browser.path.startswith("/stock/devices?")
    assert browser.heading() == "Toestellen in voorraad"
    assert "2 toestellen" in browser.text()
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert sorted(row.find_element(By.TAG_NAME, "a").text for row in rows) == ready
    assert all("klaar om uit te lenen" in row.text for row in rows)
