"""A lending desk registers borrowers and lends by the rules of its loan policy.

The borrower's name and contact are kept apart: a desk sees only its own
borrowers, and no device event or loan ever holds a name. Every refused lend
says why and changes nothing.
"""

import hashlib
import io
import json
from dataclasses import replace
from datetime import date
from datetime import timedelta

import sqlalchemy as sa
from pypdf import PdfReader

from assettrack.extensions import db
from assettrack.models import BorrowerIdentity
from assettrack.models import Loan
from assettrack.models import LoanPolicy
from assettrack.models import WorkflowEvent
from assettrack.workflow import BorrowerFacts
from assettrack.workflow import DeviceFacts
from assettrack.workflow import LoanFacts
from assettrack.workflow import State
from assettrack.workflow import guards as g
from tests.conftest import accepted
from tests.conftest import in_days
from tests.conftest import invalid
from tests.conftest import seen

SAMIRA = {
    "name": "Samira El Amrani",
    "contact": "samira@example.be",
    "language": "nl",
    "target_group": "job_seeker",
    "municipality": "Gent",
    "postcode": "9000",
    "id_document": "eid",
}


def register(world, **fields) -> dict:
    response = world.desk.post("/borrowers", json={**SAMIRA, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def loans_total(world) -> int:
    return world.desk.get("/loans").get_json()["total"]


def lend_refused(world, tag: str, payload: dict, fields: dict) -> None:
    """The lend is answered 422 naming `fields`; no device, event or loan changes."""
    before = loans_total(world)
    invalid(world, "desk", tag, "lend", payload, fields=fields)
    assert loans_total(world) == before


# --- registering ------------------------------------------------------------------------


def test_a_desk_registers_a_borrower_and_gets_a_card_number(world):
    borrower = register(world)
    assert borrower["code"] == "B-0043"  # one more than the highest card so far
    assert {k: borrower[k] for k in SAMIRA} == SAMIRA
    assert borrower["location"] == world.location_ids["digileenplek"]
    assert "id_number" not in borrower
    given = register(world, code="KROOK-7", name="Jonas")
    assert given["code"] == "KROOK-7"
    again = world.desk.post("/borrowers", json={**SAMIRA, "code": "krook-7"})
    assert again.status_code == 422
    assert again.get_json()["error"]["details"]["fields"] == {
        "code": ["a borrower with this card number exists"]
    }


def test_registering_keeps_to_the_few_fields_and_their_values(world):
    response = world.desk.post(
        "/borrowers",
        json={
            **SAMIRA,
            "target_group": "tourist",
            "id_document": "A123456789",
            "postcode": "90000",
            "id_number": "590101-123-45",
        },
    )
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) == {"target_group", "id_document", "postcode", "id_number"}
    missing = world.desk.post("/borrowers", json={"postcode": "9000"})
    assert set(missing.get_json()["error"]["details"]["fields"]) == {"name"}
    assert world.desk.get("/borrowers").get_json()["total"] == 1


def test_a_desk_sees_and_finds_only_its_own_borrowers(world, other_desk):
    code = register(world)["code"]
    assert code == "B-0901"  # card numbers are unique across organisations
    assert [b["code"] for b in world.desk.get("/borrowers").get_json()["items"]] == [
        "B-0042",
        code,
    ]
    assert [b["code"] for b in other_desk.get("/borrowers").get_json()["items"]] == [
        "B-0900"
    ]
    found = world.desk.get("/borrowers?q=samira").get_json()["items"]
    assert [b["code"] for b in found] == [code]
    assert [
        b["name"] for b in world.desk.get("/borrowers?q=b-0042").get_json()["items"]
    ] == ["Lena"]
    assert world.desk.get("/borrowers?q=omar").get_json()["total"] == 0
    assert world.desk.get("/borrowers?q=%25").get_json()["total"] == 0
    assert world.desk.get(f"/borrowers/{code}").get_json()["name"] == SAMIRA["name"]
    assert world.desk.get("/borrowers/B-0900").status_code == 404
    assert other_desk.get("/borrowers/B-0042").status_code == 404
    assert world.repair.get("/borrowers/B-0042").status_code == 403


# --- lending by the policy --------------------------------------------------------------


def test_the_due_date_comes_from_the_loan_policy_when_none_is_given(world):
    tag = world.ready_device()["asset_tag"]
    device = accepted(world, "desk", tag, "lend", {"borrower": "B-0042"}, to="lent")
    assert device["current_loan"]["due_on"] == in_days(91)
    laptops_here = {
        "location": world.location_ids["digileenplek"],
        "device_kind": "laptop",
        "loan_days": 28,
        "renewal_days": 14,
        "max_renewals": 2,
        "max_open_loans": 1,
    }
    assert world.desk.put("/loan-policies", json=laptops_here).status_code == 403
    answer = world.coordinator.put("/loan-policies", json=laptops_here)
    assert answer.status_code == 200, answer.get_json()
    register(world)
    other = world.ready_device()["asset_tag"]
    device = accepted(world, "desk", other, "lend", {"borrower": "B-0043"}, to="lent")
    assert device["current_loan"]["due_on"] == in_days(28)
    device = accepted(world, "desk", other, "renew", {}, to="lent")
    assert device["current_loan"]["due_on"] == in_days(42)


def test_a_coordinator_sets_the_loan_policies_and_bad_ones_change_nothing(world):
    everywhere = {
        "loan_days": 60,
        "renewal_days": 30,
        "max_renewals": 1,
        "max_open_loans": 2,
    }
    assert world.coordinator.put("/loan-policies", json=everywhere).status_code == 200
    changed = world.coordinator.put(
        "/loan-policies", json={**everywhere, "max_open_loans": 3}
    )
    assert changed.get_json()["max_open_loans"] == 3
    listed = world.desk.get("/loan-policies").get_json()
    assert [(p["location"], p["device_kind"]) for p in listed["items"]] == [
        (None, None)
    ]  # changed in place, not a second default
    assert listed["default"]["loan_days"] == 91  # what applies with no row at all

    for wrong, field in [
        ({**everywhere, "loan_days": 0}, "loan_days"),
        ({**everywhere, "device_kind": "phone"}, "device_kind"),
        ({**everywhere, "location": 9999}, "location"),
        ({**everywhere, "location": world.location_ids["workshop"]}, "location"),
        ({"loan_days": 30}, "max_open_loans"),
    ]:
        answer = world.coordinator.put("/loan-policies", json=wrong)
        assert answer.status_code == 422, answer.get_json()
        assert field in answer.get_json()["error"]["details"]["fields"], wrong
    after = world.desk.get("/loan-policies").get_json()["items"]
    assert [(p["loan_days"], p["max_open_loans"]) for p in after] == [(60, 3)]


def test_a_loan_keeps_figures_for_statistics_but_no_person(world):
    borrower = register(world)
    tag = world.ready_device()["asset_tag"]
    accepted(
        world,
        "desk",
        tag,
        "lend",
        {"borrower": borrower["code"], "accessories": ["charger", "bag"]},
        to="lent",
    )
    with world.app.app_context():
        loan = db.session.scalar(sa.select(Loan))
        assert (loan.borrower_group, loan.borrower_municipality) == (
            "job_seeker",
            "Gent",
        )
        assert len(loan.borrower_pseudonym) == 64
        assert loan.accessories_out == ["charger", "bag"]


def test_a_borrower_with_an_overdue_loan_borrows_nothing_more(world):
    first = world.lent_device()["asset_tag"]
    with world.app.app_context():
        db.session.execute(
            sa.update(Loan).values(due_on=date.today() - timedelta(days=3))
        )
        db.session.commit()
        db.session.add(LoanPolicy(max_open_loans=5))
        db.session.commit()
    tag = world.ready_device()["asset_tag"]
    lend_refused(
        world,
        tag,
        {"borrower": "B-0042"},
        {
            "borrower": [
                f"has an overdue loan (due {in_days(-3)}); take that device back first"
            ]
        },
    )
    accepted(world, "desk", first, "return", to="returned")
    accepted(world, "desk", tag, "lend", {"borrower": "B-0042"}, to="lent")


def test_a_borrower_has_at_most_the_policys_open_loans(world):
    world.lent_device()
    tag = world.ready_device()["asset_tag"]
    lend_refused(
        world,
        tag,
        {"borrower": "B-0042"},
        {
            "borrower": [
                "already has 1 open loan(s), the most this lending point allows (1)"
            ]
        },
    )
    with world.app.app_context():
        db.session.add(
            LoanPolicy(location_id=world.location_ids["digileenplek"], max_open_loans=2)
        )
        db.session.commit()
    accepted(world, "desk", tag, "lend", {"borrower": "B-0042"}, to="lent")


def test_an_unknown_other_desks_or_anonymised_borrower_borrows_nothing(
    world, other_desk
):
    tag = world.ready_device()["asset_tag"]
    for code in ("B-9999", "B-0900"):
        lend_refused(world, tag, {"borrower": code}, {"borrower": ["no such borrower"]})
    with world.app.app_context():
        db.session.execute(sa.delete(BorrowerIdentity))
        db.session.commit()
    lend_refused(
        world,
        tag,
        {"borrower": "B-0042"},
        {"borrower": ["this borrower was anonymised; register them again"]},
    )


def test_the_borrower_accepts_the_current_agreement_at_the_desk(world):
    text = "Ik zorg goed voor het toestel en breng het terug op de afgesproken dag."
    response = world.coordinator.post(
        "/loan-agreements", json={"organisation": world.org_ids["desk"], "text": text}
    )
    assert response.status_code == 201, response.get_json()
    first = response.get_json()
    assert (first["version"], first["sha256"]) == (
        1,
        hashlib.sha256(text.encode()).hexdigest(),
    )
    second = world.coordinator.post(
        "/loan-agreements",
        json={"organisation": world.org_ids["desk"], "text": text + " Versie 2."},
    ).get_json()
    assert second["version"] == 2
    assert world.desk.post("/loan-agreements", json={"text": "x"}).status_code == 403
    listed = world.desk.get("/loan-agreements").get_json()["items"]
    assert [a["version"] for a in listed] == [2, 1]

    tag = world.ready_device()["asset_tag"]
    for payload in (
        {"borrower": "B-0042"},
        {"borrower": "B-0042", "agreement_accepted": False},
    ):
        lend_refused(
            world,
            tag,
            payload,
            {
                "agreement_accepted": [
                    "the borrower must accept the loan agreement (version 2)"
                ]
            },
        )
    accepted(
        world,
        "desk",
        tag,
        "lend",
        {"borrower": "B-0042", "agreement_accepted": True},
        to="lent",
    )
    loan = world.desk.get("/loans").get_json()["items"][0]
    assert loan["agreement_sha256"] == second["sha256"]


# --- renewing and taking back -----------------------------------------------------------


def test_the_desk_renews_beyond_the_limit_only_with_a_reason(world):
    tag = world.lent_device()["asset_tag"]
    for days in (45, 60):
        accepted(world, "desk", tag, "renew", {"due_date": in_days(days)}, to="lent")
    assert "renew" not in seen(world.desk, tag)["device"]["allowed_actions"]
    reason = "waits for a job interview next week"
    accepted(
        world,
        "desk",
        tag,
        "renew",
        {"due_date": in_days(75), "override_reason": reason},
        to="lent",
    )
    event = seen(world.desk, tag)["events"][-1]
    assert event["payload"]["override_reason"] == reason
    assert seen(world.desk, tag)["device"]["current_loan"]["renewals"] == 3


def test_a_returned_device_goes_to_wipe_with_its_condition_noted(world):
    tag = world.ready_device()["asset_tag"]
    accepted(
        world,
        "desk",
        tag,
        "lend",
        {"borrower": "B-0042", "accessories": ["charger", "mouse"]},
        to="lent",
    )
    accepted(
        world,
        "desk",
        tag,
        "return",
        {"condition_note": "scratch on the lid", "accessories_back": ["charger"]},
        to="returned",
    )
    loan = world.desk.get("/loans").get_json()["items"][0]
    assert (loan["outcome"], loan["condition_note"]) == (
        "returned",
        "scratch on the lid",
    )
    assert (loan["accessories_out"], loan["accessories_back"]) == (
        ["charger", "mouse"],
        ["charger"],
    )
    world.move(tag, "workshop")
    assert "start_wipe" in seen(world.repair, tag)["device"]["allowed_actions"]
    other = world.ready_device()["asset_tag"]
    lend_refused(
        world,
        other,
        {"borrower": "B-0042", "accessories": ["keyboard"]},
        {"accessories": {"0": ["Must be one of: charger, bag, mouse, other."]}},
    )


def test_no_device_event_or_loan_ever_holds_a_borrowers_name(world):
    borrower = register(world, name="Zoë Uniekenaam", contact="zoe.uniek@example.be")
    tag = world.ready_device()["asset_tag"]
    accepted(world, "desk", tag, "lend", {"borrower": borrower["code"]}, to="lent")
    accepted(world, "desk", tag, "renew", {}, to="lent")
    accepted(world, "desk", tag, "return", {"condition_note": "fine"}, to="returned")
    with world.app.app_context():
        payloads = json.dumps(
            [e.payload for e in db.session.scalars(sa.select(WorkflowEvent))]
        )
        loans = [
            {c.name: str(getattr(loan, c.name)) for c in Loan.__table__.columns}
            for loan in db.session.scalars(sa.select(Loan))
        ]
    assert borrower["code"] in payloads
    for secret in ("Uniekenaam", "zoe.uniek"):
        assert secret not in payloads
        assert secret not in json.dumps(loans)
        assert secret not in world.coordinator.get(f"/devices/{tag}/events").get_data(
            as_text=True
        )


# --- the loan slip ----------------------------------------------------------------------


def test_the_loan_slip_shows_device_due_date_accessories_and_agreement(
    world, other_desk
):
    text = "Ik breng het toestel terug met alle toebehoren."
    agreement = world.coordinator.post(
        "/loan-agreements", json={"organisation": world.org_ids["desk"], "text": text}
    ).get_json()
    borrower = register(world, name="Zoë Peeters")
    device = world.ready_device()
    accepted(
        world,
        "desk",
        device["asset_tag"],
        "lend",
        {
            "borrower": borrower["code"],
            "accessories": ["charger", "bag"],
            "agreement_accepted": True,
        },
        to="lent",
    )
    loan_id = world.desk.get("/loans").get_json()["items"][0]["id"]
    response = world.desk.get(f"/loans/{loan_id}/slip.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    reader = PdfReader(io.BytesIO(response.data))
    printed = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Uitleenbewijs",
        "Bibliotheek De Krook",
        borrower["code"],
        "Zoë Peeters",
        device["asset_tag"],
        "ThinkPad T480",
        in_days(91),
        "lader, tas",
        "Leenovereenkomst, versie 1",
        text,
        agreement["sha256"],
        "Handtekening lener",
    ):
        assert expected in printed, expected
    assert other_desk.get(f"/loans/{loan_id}/slip.pdf").status_code == 404
    assert world.repair.get(f"/loans/{loan_id}/slip.pdf").status_code == 403
    assert world.coordinator.get(f"/loans/{loan_id}/slip.pdf").status_code == 200
    assert world.desk.get("/loans/999/slip.pdf").status_code == 404


# --- the eligibility guards, pure -------------------------------------------------------


def test_the_eligibility_guards_read_only_their_facts():
    today = date(2026, 11, 29)
    facts = DeviceFacts(
        State.ready, today, borrower_known=True, borrower=BorrowerFacts()
    )
    for check in (
        g.borrower_known,
        g.borrower_not_overdue,
        g.borrower_under_max_loans,
        g.agreement_accepted,
    ):
        assert check(facts) is None

    assert g.borrower_not_overdue(
        replace(facts, borrower=BorrowerFacts(overdue_since=date(2026, 11, 1)))
    ).startswith("has an overdue loan (due 2026-11-01)")
    busy = replace(facts, borrower=BorrowerFacts(open_loans=2), max_open_loans=3)
    assert g.borrower_under_max_loans(busy) is None
    assert g.borrower_under_max_loans(replace(busy, max_open_loans=2))
    # The desk's basket counts: one open loan and one in the basket fill two.
    basket = replace(busy, borrower=BorrowerFacts(open_loans=1, in_basket=1))
    assert "and 1 in the basket" in g.borrower_under_max_loans(
        replace(basket, max_open_loans=2)
    )
    assert g.borrower_under_max_loans(basket) is None
    assert g.agreement_accepted(replace(facts, agreement_version=3))
    assert (
        g.agreement_accepted(
            replace(facts, agreement_version=3, payload={"agreement_accepted": True})
        )
        is None
    )
    lent = DeviceFacts(State.lent, today, loan=LoanFacts(today, 2), max_renewals=2)
    assert g.renewals_left(lent)
    assert g.renewals_left(replace(lent, payload={"override_reason": "  "}))
    assert (
        g.renewals_left(replace(lent, payload={"override_reason": "exam week"})) is None
    )
    assert g.renewals_left(replace(lent, max_renewals=3)) is None
