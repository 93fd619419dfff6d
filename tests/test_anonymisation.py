"""Borrowers are forgotten after the retention period, or sooner when they ask.

Their loans stay, for the statistics, with only a target group, a
municipality and a keyed pseudonym.
"""

import hashlib
import hmac
from datetime import date
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import BorrowerIdentity
from assettrack.models import Loan
from assettrack.models import Reminder
from assettrack.models import User
from tests.desk_data import Desk
from tests.desk_data import at

TODAY = date.today()


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.fixture
def krook(app):
    return Desk(app, "Bibliotheek De Krook", "De Krook")


def borrower_codes(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Borrower.code)))


def loans_of(app, *loan_ids) -> list[tuple]:
    with app.app_context():
        return [
            (
                loan.borrower_id,
                loan.borrower_pseudonym,
                loan.borrower_group,
                loan.borrower_municipality,
            )
            for loan in (db.session.get(Loan, i) for i in loan_ids)
        ]


def expected_pseudonym(app, borrower_id: int) -> str:
    key = app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"borrower:{borrower_id}".encode(), hashlib.sha256).hexdigest()


def test_the_retention_run_forgets_only_who_returned_long_enough_ago(
    app, runner, krook
):
    app.config["RETENTION_DAYS"] = 365
    gone = krook.borrower(
        "B-1", "an@example.be", target_group="job_seeker", municipality="Melle"
    )
    first = krook.loan(gone, ago(500), returned=ago(480))
    second = krook.loan(gone, ago(390), returned=ago(370))
    recent = krook.borrower("B-2", "bo@example.be")
    krook.loan(recent, ago(120), returned=ago(100))
    still_lending = krook.borrower("B-3", "cor@example.be")
    krook.loan(still_lending, ago(600), returned=ago(580))
    krook.loan(still_lending, ago(30))  # open, even if overdue
    never_borrowed = krook.borrower("B-4", "+32 470 00 00 00", created_at=at(ago(400)))
    new = krook.borrower("B-5", "eva@example.be")
    with app.app_context():
        db.session.add(
            Reminder(
                loan_id=second,
                stage="overdue_7",
                due_on=ago(390),
                to_address="an@example.be",
                subject="Je lening bij De Krook is een week te laat",
                status="sent",
            )
        )
        db.session.commit()

    result = runner.invoke(args=["borrowers", "anonymise"])
    assert result.exit_code == 0, result.output
    assert "'anonymised': 2" in result.output

    assert borrower_codes(app) == {"B-2", "B-3", "B-5"}
    pseudonym = expected_pseudonym(app, gone)
    assert loans_of(app, first, second) == [
        (None, pseudonym, "job_seeker", "Melle"),
        (None, pseudonym, "job_seeker", "Melle"),
    ]
    with app.app_context():
        identities = set(db.session.scalars(sa.select(BorrowerIdentity.borrower_id)))
        assert identities == {recent, still_lending, new}
        assert never_borrowed not in identities
        reminder = db.session.scalar(sa.select(Reminder))
        assert (reminder.loan_id, reminder.to_address) == (second, "")

    # A second run finds no one else.
    assert "'anonymised': 0" in runner.invoke(args=["borrowers", "anonymise"]).output
    assert borrower_codes(app) == {"B-2", "B-3", "B-5"}


def test_the_retention_period_is_configurable(app, krook):
    from assettrack import anonymising

    borrower = krook.borrower("B-1", "an@example.be")
    krook.loan(borrower, ago(120), returned=ago(40))
    app.config["RETENTION_DAYS"] = 60
    with app.app_context():
        assert anonymising.anonymise_due(TODAY) == 0
    app.config["RETENTION_DAYS"] = 30
    with app.app_context():
        assert anonymising.anonymise_due(TODAY) == 1
    assert borrower_codes(app) == set()


def test_forgetting_is_refused_while_a_loan_is_open(app, client, krook):
    borrower = krook.borrower("B-1", "an@example.be")
    returned = krook.loan(borrower, ago(200), returned=ago(150))
    open_loan = krook.loan(borrower, ago(-10))
    before = loans_of(app, returned, open_loan)

    response = client.delete("/api/v1/borrowers/B-1", headers=krook.token())

    assert response.status_code == 409, response.json
    assert response.json["error"]["code"] == "conflict"
    assert "on loan" in response.json["error"]["message"]
    assert borrower_codes(app) == {"B-1"}
    assert loans_of(app, returned, open_loan) == before
    with app.app_context():
        assert db.session.get(BorrowerIdentity, borrower).name == "Person B-1"


def test_forgetting_on_request_keeps_the_loans_figures(app, client, krook):
    borrower = krook.borrower("B-1", "an@example.be", target_group="student")
    first = krook.loan(borrower, ago(200), returned=ago(150))
    second = krook.loan(borrower, ago(40), returned=ago(2))

    response = client.delete("/api/v1/borrowers/B-1", headers=krook.token())

    assert response.status_code == 200, response.json
    assert response.json == {"borrower": "B-1", "loans": 2}
    assert borrower_codes(app) == set()
    pseudonym = expected_pseudonym(app, borrower)
    assert loans_of(app, first, second) == [(None, pseudonym, "student", "Gent")] * 2
    with app.app_context():
        assert db.session.get(BorrowerIdentity, borrower) is None
    again = client.delete("/api/v1/borrowers/B-1", headers=krook.token())
    assert again.status_code == 404
    assert again.json["error"]["code"] == "not_found"


def test_only_the_borrowers_own_desk_or_an_admin_may_forget_them(app, client, krook):
    krook.borrower("B-1", "an@example.be")
    krook.borrower("B-2", "bo@example.be")
    other = Desk(app, "Bibliotheek Brugge", "Biekorf")

    elsewhere = client.delete("/api/v1/borrowers/B-1", headers=other.token())
    assert elsewhere.status_code == 404, elsewhere.json  # not theirs to know of
    repair = client.delete("/api/v1/borrowers/B-1", headers=krook.token("repair"))
    assert repair.status_code == 403
    assert borrower_codes(app) == {"B-1", "B-2"}

    admin = client.delete("/api/v1/borrowers/B-2", headers=krook.token("admin"))
    assert admin.status_code == 200, admin.json
    assert borrower_codes(app) == {"B-1"}


def test_the_anonymise_job_kind_runs_for_an_admin(app, krook):
    from assettrack import anonymising
    from assettrack import jobs

    borrower = krook.borrower("B-1", "an@example.be")
    krook.loan(borrower, ago(900), returned=ago(800))
    with app.app_context():
        user = User(email="admin@example.be", role="admin")
        db.session.add(user)
        db.session.commit()
        job = jobs.submit(anonymising.JOB, {"today": TODAY.isoformat()}, user)
        assert job.status == "finished", job.error
        assert job.result == b'{"anonymised": 1}'
    assert borrower_codes(app) == set()


def test_the_domain_refuses_another_organisations_borrower(app, krook):
    from assettrack import anonymising
    from assettrack.workflow import NotPermitted

    krook.borrower("B-1", "an@example.be")
    other = Desk(app, "Bibliotheek Brugge", "Biekorf")
    with app.app_context():
        stranger = User(
            email="desk@brugge.be", role="desk", organisation_id=other.organisation_id
        )
        db.session.add(stranger)
        borrower = db.session.scalar(sa.select(Borrower).filter_by(code="B-1"))
        with pytest.raises(NotPermitted):
            anonymising.forget(borrower, stranger)
        db.session.rollback()
    assert borrower_codes(app) == {"B-1"}
