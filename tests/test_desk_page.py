"""The lending desk page through the test client: scans are form posts of typed text.

A borrower card, then devices, each answered at once in a colour; one press
lends them all. A lent device scanned with no borrower is taken back.
"""

import html
import io
import re
from datetime import date
from datetime import timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from conftest import in_days

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Loan
from assettrack.models import LoanAgreement
from assettrack.models import LoanPolicy
from assettrack.models import Reminder
from tests.test_scanning import drawn
from tests.test_scanning import photographed

_FLASH = re.compile(r'<p class="flash (\w+)"[^>]*>(.*?)</p>', re.S)


def scan(desk, text: str) -> list[tuple[str, str]]:
    """Scan `text` and follow to the desk page: its (colour, message) pairs."""
    page = desk.post("/desk/scan", {"code": text}, follow_redirects=True)
    assert page.status_code == 200
    return shown(page)


def shown(page) -> list[tuple[str, str]]:
    return [
        (c, html.unescape(m)) for c, m in _FLASH.findall(page.get_data(as_text=True))
    ]


def allow_three_loans(world) -> None:
    with world.app.app_context():
        db.session.add(LoanPolicy(max_open_loans=3))
        db.session.commit()


def test_a_borrower_card_then_two_devices_then_one_press_lends_both(world, web):
    allow_three_loans(world)
    first, second = (world.ready_device()["asset_tag"] for _ in range(2))
    desk = web.visitor("desk")
    assert "Scan een leenkaart of een label" in desk.get("/desk").get_data(as_text=True)

    assert scan(desk, "B-0042") == [("ok", "Ontlener B-0042. Scan nu de toestellen.")]
    assert scan(desk, first) == [("ok", f"{first} kan uitgeleend worden.")]
    assert scan(desk, second.lower()) == [("ok", f"{second} kan uitgeleend worden.")]
    assert scan(desk, first) == [("warning", f"{first} zit al in de mand.")]

    page = desk.post(
        "/desk/lend",
        {"agreement_accepted": "y", "accessories": ["charger"]},
        follow_redirects=True,
    )
    messages = shown(page)
    assert [c for c, _m in messages] == ["ok", "ok"]
    assert messages[0][1].startswith(f"{first} uitgeleend tot ")
    with world.app.app_context():
        loans = db.session.scalars(sa.select(Loan).order_by(Loan.id)).all()
        assert [loan.device.asset_tag for loan in loans] == [first, second]
        assert [loan.accessories_out for loan in loans] == [["charger"], ["charger"]]
    assert "Uitlenen aan" not in page.get_data(as_text=True)  # the basket is empty


def test_a_device_not_ready_shows_red_with_the_reason_in_dutch(world, web):
    tag = world.intake(location=world.location_ids["digileenplek"])["asset_tag"]
    desk = web.visitor("desk")
    scan(desk, "B-0042")
    [(colour, message)] = scan(desk, tag)
    assert colour == "error"
    assert message.startswith(f"{tag}: ")
    assert "ontvangen" in message  # the device's state, in Dutch
    assert "Uitlenen aan B-0042" in desk.get("/desk").get_data(as_text=True)
    assert desk.post("/desk/lend", {}).status_code == 302
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Loan.id))) == 0


def another_borrower(world) -> str:
    created = world.desk.post("/borrowers", json={"name": "Ander"})
    assert created.status_code == 201, created.get_json()
    return created.get_json()["code"]


def test_a_device_already_lent_shows_red_to_another_borrower(world, web):
    tag = world.lent_device()["asset_tag"]  # to B-0042
    desk = web.visitor("desk")
    scan(desk, another_borrower(world))
    [(colour, message)] = scan(desk, tag)
    assert colour == "error" and "uitgeleend" in message


def test_the_borrowers_own_device_scanned_after_their_card_is_taken_back(world, web):
    tag = world.lent_device()["asset_tag"]  # to B-0042
    desk = web.visitor("desk")
    scan(desk, "B-0042")
    assert scan(desk, tag) == [("ok", f"{tag} is uitgeleend: terugnemen?")]


def test_the_basket_counts_towards_the_most_a_borrower_may_borrow(world, web):
    first, second = (world.ready_device()["asset_tag"] for _ in range(2))
    desk = web.visitor("desk")
    scan(desk, "B-0042")
    assert scan(desk, first) == [("ok", f"{first} kan uitgeleend worden.")]
    # The default policy: one open loan; the first device fills it already.
    [(colour, message)] = scan(desk, second)
    assert colour == "error" and message.startswith(f"{second}: ")
    assert "1 in de mand" in message, message
    page = desk.post("/desk/lend", {}, follow_redirects=True)
    assert [c for c, _m in shown(page)] == ["ok"]


def test_a_return_needs_no_borrower_scan(world, web):
    tag = world.lent_device()["asset_tag"]
    desk = web.visitor("desk")
    assert scan(desk, tag) == [("ok", f"{tag} is uitgeleend: terugnemen?")]
    page = desk.post("/desk/take-back", {"tag": tag}, follow_redirects=True)
    assert shown(page) == [("ok", f"{tag} teruggenomen.")]
    with world.app.app_context():
        device = db.session.scalar(sa.select(Device).filter_by(asset_tag=tag))
        assert device.state == "returned"


def test_a_device_without_a_borrower_asks_for_the_card_first(world, web):
    tag = world.ready_device()["asset_tag"]
    desk = web.visitor("desk")
    assert scan(desk, tag) == [("warning", "Scan eerst de leenkaart.")]


def test_a_scanner_on_the_wrong_keyboard_layout_still_reads_the_card(world, web):
    desk = web.visitor("desk")
    # A US scanner on a Belgian AZERTY desk types "B)à" for "B-0" and so on.
    typed = "".join(
        {"-": ")", "0": "à", "4": "'", "2": "é"}.get(ch, ch) for ch in "B-0042"
    )
    assert scan(desk, typed) == [("ok", "Ontlener B-0042. Scan nu de toestellen.")]


def test_only_desk_people_open_the_desk(web):
    assert web.visitor("repair").get("/desk").status_code == 403


def test_lending_waits_for_the_loan_agreement_when_there_is_one(world, web):
    tag = world.ready_device()["asset_tag"]
    with world.app.app_context():
        db.session.add(
            LoanAgreement(
                organisation_id=world.org_ids["desk"], version=1, text="x", sha256="0"
            )
        )
        db.session.commit()
    desk = web.visitor("desk")
    scan(desk, "B-0042")
    assert scan(desk, tag) == [("ok", f"{tag} kan uitgeleend worden.")]
    [(colour, message)] = shown(desk.post("/desk/lend", {}, follow_redirects=True))
    assert message == (
        f"{tag}: de ontlener moet de leenovereenkomst aanvaarden (versie 1)"
    )
    assert "Uitlenen aan B-0042" in desk.get("/desk").get_data(as_text=True)
    page = desk.post("/desk/lend", {"agreement_accepted": "y"}, follow_redirects=True)
    assert shown(page)[0][0] == "ok"


def test_a_phone_photo_of_the_label_is_a_scan(world, web):
    tag = world.ready_device()["asset_tag"]
    desk = web.visitor("desk")
    scan(desk, "B-0042")
    label = drawn(tag, zxingcpp.BarcodeFormat.Code128, height=150)
    page = desk.post(
        "/desk/photo",
        {"photo": (io.BytesIO(photographed(label, degrees=3)), "label.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert shown(page) == [("ok", f"{tag} kan uitgeleend worden.")]
    page = desk.post(
        "/desk/photo",
        {"photo": (io.BytesIO(b"not a photo"), "label.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert [c for c, _m in shown(page)] == ["error"]


def test_each_device_is_lent_on_its_own_and_a_refused_one_stays(world, web):
    first, second = (world.ready_device()["asset_tag"] for _ in range(2))
    with world.app.app_context():
        policy = db.session.merge(LoanPolicy(max_open_loans=2))
        db.session.commit()
        policy_id = policy.id
    desk = web.visitor("desk")
    scan(desk, "B-0042")
    scan(desk, first)
    scan(desk, second)
    # Meanwhile the coordinator allows one open loan again: the second is refused.
    with world.app.app_context():
        db.session.get(LoanPolicy, policy_id).max_open_loans = 1
        db.session.commit()
    page = desk.post("/desk/lend", {}, follow_redirects=True)
    (lent, lent_text), (refused, why) = shown(page)
    assert lent == "ok" and lent_text.startswith(f"{first} uitgeleend tot ")
    assert refused == "error" and why.startswith(f"{second}: heeft al 1 openstaande")
    body = page.get_data(as_text=True)
    assert "Uitlenen aan B-0042" in body and second in body


def lent_with(world, accessories: list[str]) -> str:
    tag = world.ready_device()["asset_tag"]
    world.ok(
        world.desk.act(
            tag,
            "lend",
            {"borrower": "B-0042", "due_date": in_days(30), "accessories": accessories},
        )
    )
    return tag


def test_taking_back_ticks_off_what_went_out_and_keeps_the_condition(world, web):
    tag = lent_with(world, ["charger", "bag"])
    desk = web.visitor("desk")
    scan(desk, tag)
    body = desk.get("/desk").get_data(as_text=True)
    ticked = re.findall(r'name="accessories_back" value="(\w+)" checked', body)
    assert ticked == ["charger", "bag"]  # what went out, ticked to start with
    page = desk.post(
        "/desk/take-back",
        {"tag": tag, "accessories_back": ["charger"], "condition_note": "kras"},
        follow_redirects=True,
    )
    assert shown(page) == [("ok", f"{tag} teruggenomen.")]
    with world.app.app_context():
        loan = db.session.scalar(sa.select(Loan))
        assert (loan.outcome, loan.accessories_back, loan.condition_note) == (
            "returned",
            ["charger"],
            "kras",
        )


def test_a_scanned_lent_device_can_be_renewed_until_the_limit(world, web):
    tag = lent_with(world, [])
    desk = web.visitor("desk")
    for _ in range(2):  # the default policy: two renewals
        scan(desk, tag)
        assert f"{tag} verlengen" in desk.get("/desk").get_data(as_text=True)
        [(colour, message)] = shown(
            desk.post("/desk/renew", {"tag": tag}, follow_redirects=True)
        )
        assert colour == "ok" and message.startswith(f"{tag} verlengd tot "), message
    scan(desk, tag)
    body = desk.get("/desk").get_data(as_text=True)
    assert f"{tag} terugnemen" in body and f"{tag} verlengen" not in body
    with world.app.app_context():
        loan = db.session.scalar(sa.select(Loan))
        assert loan.renewals == 2
        assert loan.due_on == date.fromisoformat(in_days(30)) + timedelta(days=2 * 91)


@pytest.mark.parametrize(
    ("language", "field", "answer"),
    [
        ("fr", "Scannez une carte", "Emprunteur B-0042. Scannez"),
        ("en", "Scan a borrower card or a label", "Borrower B-0042. Now scan"),
    ],
)
def test_the_desk_speaks_french_and_english_too(world, web, language, field, answer):
    tag = world.intake(location=world.location_ids["digileenplek"])["asset_tag"]
    desk = web.visitor("desk")
    assert field in desk.get(f"/desk?lang={language}").get_data(as_text=True)
    [(colour, message)] = scan(desk, "B-0042")
    assert colour == "ok" and answer in message, message
    [(colour, message)] = scan(desk, tag)
    assert colour == "error"
    assert {"fr": "reçu", "en": "received"}[language] in message, message


def test_the_desk_sees_whom_to_call_longest_overdue_first(world, web):
    desk = web.visitor("desk")
    assert "Niemand te bellen" in desk.get("/desk/calls").get_data(as_text=True)
    tag = lent_with(world, [])
    with world.app.app_context():  # ten days pass after the due date
        loan = db.session.scalar(sa.select(Loan))
        loan.due_on = date.today() - timedelta(days=10)
        db.session.add(
            Reminder(
                loan_id=loan.id,
                stage="overdue_7",
                due_on=loan.due_on,
                to_address="lena@example.be",
                subject="Breng je laptop terug",
                status="sent",
            )
        )
        db.session.commit()
    assert "Wie bellen" in desk.get("/desk").get_data(as_text=True)
    page = desk.get("/desk/calls").get_data(as_text=True)
    row = re.search(r"<tbody>(.*)</tbody>", page, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", " ", c).split()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert cells[0] == ["Lena", "B-0042"]
    assert cells[1] == ["lena@example.be"]
    assert cells[2][0] == tag
    assert cells[4] == ["10"]
    assert cells[5] == ["7", "dagen", "te", "laat"]
    assert web.visitor("repair").get("/desk/calls").status_code == 403


def test_a_delivery_scanned_at_the_desk_is_received_there(world, web):
    """The hand-over's second scan is the desk's ordinary scan."""
    krook = {"location": world.location_ids["digileenplek"]}
    first, second = (world.ready_device(at="workshop")["asset_tag"] for _ in range(2))
    for tag in (first, second):
        world.ok(world.coordinator.act(tag, "transfer", krook))
    desk = web.visitor("desk")
    assert scan(desk, first) == [
        ("ok", f"{first} is aangekomen: ontvangen in De Krook.")
    ]
    arrived = world.desk.get(f"/devices/{first}").get_json()
    assert arrived["location"]["name"] == "De Krook" and arrived["in_transit"] is None
    # With a card scanned first, it is received and goes into the basket at once.
    scan(desk, "B-0042")
    assert scan(desk, second) == [
        ("ok", f"{second} is aangekomen: ontvangen in De Krook."),
        ("ok", f"{second} kan uitgeleend worden."),
    ]


def test_a_device_in_another_organisations_care_is_named_with_where_it_is(world, web):
    """Scanned at the counter, a device still at the workshop: red, where it
    stands and whom to ask; the basket stays empty and the device unchanged."""
    tag = world.ready_device(at="workshop")["asset_tag"]
    desk = web.visitor("desk")
    assert scan(desk, "B-0042")[0][0] == "ok"
    assert scan(desk, tag) == [
        (
            "error",
            f"{tag} staat bij Werkplaats Gent, niet bij jullie. Is het toestel hier? "
            "Vraag een coördinator om het te verplaatsen.",
        )
    ]
    page = desk.get("/desk").get_data(as_text=True)
    assert tag not in page
    assert world.coordinator.get(f"/devices/{tag}").get_json()["state"] == "ready"
    # Its own page says the same, in a 403.
    refused = desk.get(f"/devices/{tag}")
    assert refused.status_code == 403
    assert "Niet bij jullie" in refused.get_data(as_text=True)
    assert "Werkplaats Gent" in refused.get_data(as_text=True)
