"""A borrower's whole story at the desk, end to end, through what the desk uses.

Registered by the API, two devices lent in one basket on the desk page, one
renewed, the other overdue: the reminder arrives at a real SMTP server; both
come back; after the retention period the person is forgotten and only the
figures stay. The parts each have their own tests; this one checks they fit.
"""

from datetime import date
from datetime import timedelta

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import Loan
from assettrack.models import WorkflowEvent
from tests.test_desk_page import scan
from tests.test_desk_page import shown

NAME = "Samira El Amrani"


def test_register_lend_two_renew_remind_return_and_forget(world, web, runner, smtp):
    two_at_once = {
        "loan_days": 91,
        "renewal_days": 91,
        "max_renewals": 2,
        "max_open_loans": 2,
    }
    assert world.coordinator.put("/loan-policies", json=two_at_once).status_code == 200
    registered = world.desk.post(
        "/borrowers",
        json={
            "name": NAME,
            "contact": "samira@example.be",
            "target_group": "job_seeker",
            "municipality": "Gent",
            "postcode": "9000",
            "id_document": "eid",
        },
    )
    assert registered.status_code == 201, registered.get_json()
    card = registered.get_json()["code"]
    kept, late = (world.ready_device()["asset_tag"] for _ in range(2))

    # The desk: the card, two devices into the basket, one press.
    desk = web.visitor("desk")
    scan(desk, card)
    assert scan(desk, kept)[0][0] == scan(desk, late)[0][0] == "ok"
    lent = desk.post(
        "/desk/lend",
        {"agreement_accepted": "y", "accessories": ["charger"]},
        follow_redirects=True,
    )
    assert [colour for colour, _ in shown(lent)] == ["ok", "ok"]
    loans = world.desk.get("/loans?open=true").get_json()["items"]
    assert sorted(loan["device"] for loan in loans) == sorted([kept, late])
    due = date.fromisoformat(loans[0]["due_on"])
    assert due == date.today() + timedelta(days=91)

    # One is renewed at the desk: no card needed, the device is enough.
    scan(desk, kept)
    renewed = desk.post("/desk/renew", {"tag": kept}, follow_redirects=True)
    assert renewed.status_code == 200 and shown(renewed)[0][0] == "ok"

    # A week after the due date the other one is late: one e-mail, about it.
    week_late = (due + timedelta(days=7)).isoformat()
    sent = runner.invoke(args=["reminders", "send", "--today", week_late])
    assert sent.exit_code == 0 and "'sent': 1" in sent.output, sent.output
    [mail] = smtp.inbox.to("samira@example.be")
    assert "een week te laat" in mail["Subject"]
    assert late in mail.get_body().get_content()
    assert kept not in mail.get_body().get_content()

    # Both come back, without the card.
    for tag in (kept, late):
        scan(desk, tag)
        back = desk.post("/desk/take-back", {"tag": tag}, follow_redirects=True)
        assert shown(back) == [("ok", f"{tag} teruggenomen.")]
    assert world.desk.get(f"/devices/{late}").get_json()["state"] == "returned"

    # A year and a day later the retention run forgets who she was.
    later = (date.today() + timedelta(days=366)).isoformat()
    forgot = runner.invoke(args=["borrowers", "anonymise", "--today", later])
    # (B-0042, registered with the world and never lent to, goes as well.)
    assert forgot.exit_code == 0 and "'anonymised': 2" in forgot.output, forgot.output
    assert world.desk.get(f"/borrowers?q={NAME[:6]}").get_json()["items"] == []
    with world.app.app_context():
        assert db.session.scalar(sa.select(Borrower).filter_by(code=card)) is None
        figures = db.session.execute(
            sa.select(Loan.borrower_id, Loan.borrower_group, Loan.borrower_municipality)
        ).all()
        assert figures == [(None, "job_seeker", "Gent")] * 2
        payloads = db.session.scalars(sa.select(WorkflowEvent.payload)).all()
        assert not [p for p in payloads if NAME in str(p) or "samira" in str(p)]
