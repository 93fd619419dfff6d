"""The lending desk in a real browser (Debian's headless Chromium), as a scanner uses it.

A USB scanner is a keyboard: it types the code fast, then presses Enter, into
whatever has the focus. Nobody clicks into the scan field: it has the focus.
"""

import sqlalchemy as sa
from selenium.webdriver.common.keys import Keys

from assettrack.extensions import db
from assettrack.models import Loan
from assettrack.models import LoanPolicy
from tests.browser import PASSWORD


def scan(browser, code: str) -> None:
    """Type `code` and Enter into the focused element, as a scanner does."""
    focused = browser.driver.switch_to.active_element
    assert focused.get_attribute("id") == "code"  # the scan field always has it
    browser._to_next_page(lambda: focused.send_keys(code + Keys.ENTER))


def test_a_desk_scans_a_card_and_two_devices_and_lends_them(world, web, browser):
    with world.app.app_context():
        db.session.add(LoanPolicy(max_open_loans=3))
        db.session.commit()
    first, second = (world.ready_device()["asset_tag"] for _ in range(2))
    browser.open("/login")
    browser.type("E-mailadres", "desk@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")

    browser.open("/desk")
    assert browser.heading() == "Uitleenbalie"
    scan(browser, "B-0042")
    assert browser.messages() == ["Ontlener B-0042. Scan nu de toestellen."]
    scan(browser, first)
    assert browser.messages() == [f"{first} kan uitgeleend worden."]
    scan(browser, second)
    assert browser.messages() == [f"{second} kan uitgeleend worden."]
    assert "Uitlenen aan B-0042" in browser.text()

    browser.field("lader", within="Toebehoren").click()
    browser.field("De ontlener aanvaardt de leenovereenkomst").click()
    browser.press("Deze toestellen uitlenen")
    messages = browser.messages()
    assert len(messages) == 2
    assert messages[0].startswith(f"{first} uitgeleend tot ")
    assert messages[1].startswith(f"{second} uitgeleend tot ")
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Loan.id))) == 2

    scan(browser, first)  # no borrower now: a return
    assert browser.messages() == [f"{first} is uitgeleend: terugnemen?"]
    # The charger went out with it: ticked; the volunteer notes a scratch.
    assert browser.field("lader", within="Mee teruggebracht").is_selected()
    browser.type("Staat (niet verplicht)", "kras op het deksel")
    browser.press(f"{first} terugnemen")
    assert browser.messages() == [f"{first} teruggenomen."]
    assert browser.driver.switch_to.active_element.get_attribute("id") == "code"
    with world.app.app_context():
        loan = db.session.scalar(sa.select(Loan).order_by(Loan.id).limit(1))
        assert (loan.outcome, loan.accessories_back, loan.condition_note) == (
            "returned",
            ["charger"],
            "kras op het deksel",
        )
