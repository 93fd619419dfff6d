"""The lending desk's overdue loans: staged e-mail reminders and the call list.

Reminders go through a real SMTP server on loopback (aiosmtpd); what it
received is what the borrower would read.
"""

import threading
from datetime import date
from datetime import timedelta

import pytest
import sqlalchemy as sa

from assettrack import jobs
from assettrack import reminders
from assettrack.extensions import db
from assettrack.models import Reminder
from assettrack.models import User
from tests.desk_data import Desk
from tests.desk_data import SmtpServer
from tests.desk_data import free_port

TODAY = date.today()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def krook(app):
    return Desk(app, "Bibliotheek De Krook", "De Krook")


def recorded(app) -> list[tuple[int, str, str, str]]:
    with app.app_context():
        return [
            (r.loan_id, r.stage, r.status, r.to_address)
            for r in db.session.scalars(sa.select(Reminder).order_by(Reminder.id))
        ]


def send(app, today: date = TODAY) -> dict:
    with app.app_context():
        return reminders.send_due(today)


def test_each_stage_mails_its_message_in_the_borrowers_language_once(
    app, smtp, krook, runner
):
    soon = krook.loan(krook.borrower("B-1", "an@example.be", "nl"), days(3))
    due = krook.loan(krook.borrower("B-2", "bea@example.be", "fr"), TODAY)
    week = krook.loan(krook.borrower("B-3", "cas@example.be", "en"), days(-7))
    fortnight = krook.loan(krook.borrower("B-4", "dirk@example.be"), days(-20))
    krook.loan(krook.borrower("B-5", "eva@example.be"), days(4))  # not yet
    krook.loan(krook.borrower("B-6", "fien@example.be"), days(-30), returned=TODAY)

    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "'sent': 4" in result.output

    assert sorted(recorded(app)) == sorted(
        [
            (soon, "before_due", "sent", "an@example.be"),
            (due, "due", "sent", "bea@example.be"),
            (week, "overdue_7", "sent", "cas@example.be"),
            (fortnight, "overdue_14", "sent", "dirk@example.be"),
        ]
    )
    assert len(smtp.inbox.messages) == 4
    (dutch,) = smtp.inbox.to("an@example.be")
    assert dutch["Subject"] == "Je lening bij De Krook moet binnenkort terug"
    assert dutch["From"] == "uitleen@krook.example.be"
    text = dutch.get_body().get_content()
    assert "Het toestel Lenovo ThinkPad T480 (DB-" in text
    assert "Breng het terug met de toebehoren" in text
    assert "Person B-1" not in text  # only what they need to act
    (french,) = smtp.inbox.to("bea@example.be")
    assert french["Subject"] == "Votre prêt de De Krook arrive à échéance aujourd'hui"
    assert "L'appareil Lenovo ThinkPad T480" in french.get_body().get_content()
    (english,) = smtp.inbox.to("cas@example.be")
    assert english["Subject"] == "Your loan from De Krook is a week overdue"
    (late,) = smtp.inbox.to("dirk@example.be")
    assert late["Subject"] == "Je lening bij De Krook is twee weken te laat"
    with app.app_context():
        ids = set(db.session.scalars(sa.select(Reminder.message_id)))
    assert ids == {m["Message-ID"] for m in smtp.inbox.messages}

    # The job kind runs again the same day: nothing new is sent or recorded.
    with app.app_context():
        user = User(email="cron@example.be", role="admin")
        db.session.add(user)
        db.session.commit()
        job = jobs.submit(reminders.JOB, {"today": TODAY.isoformat()}, user)
        assert job.status == "finished", job.error
    assert len(smtp.inbox.messages) == 4
    assert len(recorded(app)) == 4


def test_the_next_stage_is_mailed_when_its_day_comes(app, smtp, krook):
    loan = krook.loan(krook.borrower("B-1", "an@example.be"), days(1))

    send(app, days(-2))
    send(app, days(-1))
    send(app, days(1))
    send(app, days(8))

    assert [stage for _, stage, _, _ in recorded(app)] == [
        "before_due",
        "due",
        "overdue_7",
    ]
    assert all(row[0] == loan for row in recorded(app))
    assert len(smtp.inbox.messages) == 3


def test_two_workers_at_once_send_each_reminder_once(app, smtp, krook):
    for n in range(6):
        krook.loan(krook.borrower(f"B-{n}", f"p{n}@example.be"), days(-7))
    start = threading.Barrier(2)
    counts = []

    def worker():
        with app.app_context():
            start.wait()
            counts.append(reminders.send_due(TODAY))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(c["sent"] for c in counts) == 6
    assert len(smtp.inbox.messages) == 6
    assert len({m["To"] for m in smtp.inbox.messages}) == 6
    assert len(recorded(app)) == 6


def test_smtp_down_is_recorded_as_failed_and_retried_by_the_next_run(app, krook):
    loan = krook.loan(krook.borrower("B-1", "an@example.be"), days(-7))
    port = free_port()  # nothing listens there yet
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

    assert send(app) == {"sent": 0, "failed": 1, "skipped": 0}
    with app.app_context():
        failed = db.session.scalar(sa.select(Reminder))
        assert (failed.loan_id, failed.stage, failed.status) == (
            loan,
            "overdue_7",
            "failed",
        )
        assert "refused" in failed.error.lower()

    with SmtpServer(port) as server:
        assert send(app) == {"sent": 1, "failed": 0, "skipped": 0}
        assert send(app) == {"sent": 0, "failed": 0, "skipped": 0}
    assert len(server.inbox.messages) == 1
    with app.app_context():
        (reminder,) = db.session.scalars(sa.select(Reminder))
        assert (reminder.status, reminder.error) == ("sent", None)
        assert reminder.message_id == server.inbox.messages[0]["Message-ID"]


def test_without_a_mail_server_reminders_are_recorded_as_failed(app, krook):
    krook.loan(krook.borrower("B-1", "an@example.be"), TODAY)
    app.config.update(MAIL_SERVER=None)

    assert send(app)["failed"] == 1
    with app.app_context():
        reminder = db.session.scalar(sa.select(Reminder))
        assert reminder.error.startswith("no mail server configured")


def test_a_borrower_without_e_mail_is_not_mailed_but_on_the_call_list(
    app, client, smtp, krook
):
    phone = krook.loan(krook.borrower("B-1", "+32 470 12 34 56"), days(-9))
    mailed = krook.loan(krook.borrower("B-2", "an@example.be", "fr"), days(-15))
    krook.loan(krook.borrower("B-3", "bo@example.be"), TODAY)  # due, not overdue
    krook.loan(krook.borrower("B-4", "cor@example.be"), days(-40), returned=TODAY)
    other = Desk(app, "Bibliotheek Brugge", "Biekorf")
    other.loan(other.borrower("X-1", "+32 50 11 22 33"), days(-3))

    assert send(app)["sent"] == 2  # B-2 and B-3
    assert smtp.inbox.to("+32 470 12 34 56") == []

    response = client.get("/api/v1/loans/overdue-calls", headers=krook.token())
    assert response.status_code == 200, response.json
    rows = response.json["items"]
    assert [row["loan"] for row in rows] == [mailed, phone]  # longest overdue first
    by_phone = rows[1]
    assert by_phone["borrower"] == "B-1"
    assert by_phone["name"] == "Person B-1"
    assert by_phone["contact"] == "+32 470 12 34 56"
    assert by_phone["by_email"] is False
    assert by_phone["days_overdue"] == 9
    assert by_phone["device"].startswith("DB-")
    assert by_phone["reminders"] == []
    assert rows[0]["by_email"] is True
    assert [(r["stage"], r["status"]) for r in rows[0]["reminders"]] == [
        ("overdue_14", "sent")
    ]

    theirs = client.get("/api/v1/loans/overdue-calls", headers=other.token())
    assert [row["borrower"] for row in theirs.json["items"]] == ["X-1"]

    forbidden = client.get("/api/v1/loans/overdue-calls", headers=krook.token("repair"))
    assert forbidden.status_code == 403
    assert forbidden.json["error"]["code"] == "forbidden"


def test_anonymised_loans_get_no_reminders(app, smtp, krook):
    from assettrack.models import Loan

    loan = krook.loan(krook.borrower("B-1", "an@example.be"), days(-7))
    with app.app_context():
        db.session.get(Loan, loan).borrower_id = None
        db.session.commit()

    assert send(app) == {"sent": 0, "failed": 0, "skipped": 0}
    assert smtp.inbox.messages == []


@pytest.mark.redis
def test_cron_queues_the_reminders_and_a_worker_sends_them(redis_app, smtp, krook):
    loan = krook.loan(krook.borrower("B-1", "an@example.be"), days(-7))
    redis_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    runner = redis_app.test_cli_runner()

    queued = runner.invoke(args=["reminders", "send"])
    assert queued.exit_code == 0, queued.output
    assert queued.output.startswith("queued ")
    assert smtp.inbox.messages == []

    worked = runner.invoke(args=["worker", "--burst"])
    assert worked.exit_code == 0, worked.output
    assert [m["To"] for m in smtp.inbox.messages] == ["an@example.be"]
    assert recorded(redis_app) == [(loan, "overdue_7", "sent", "an@example.be")]


def test_a_renewed_loan_is_reminded_again_for_its_new_due_date(app, smtp, krook):
    loan_id = krook.loan(krook.borrower("B-7", "gert@example.be"), days(3))
    assert send(app)["sent"] == 1

    with app.app_context():  # renewed at the desk: due a month later
        loan = db.session.get(reminders.Loan, loan_id)
        loan.due_on = days(33)
        db.session.commit()
    assert send(app)["sent"] == 0  # nothing due yet for the new date
    assert send(app, days(30))["sent"] == 1  # three days before the new date

    assert [m["To"] for m in smtp.inbox.messages] == ["gert@example.be"] * 2
    assert [stage for _, stage, _, _ in recorded(app)] == ["before_due"] * 2
