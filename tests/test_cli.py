"""An operator at the command line: people, tokens and the demo data set (API.md)."""

from itertools import groupby

import pytest
import sqlalchemy as sa

from assettrack.demo import DEMO_PASSWORD
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import Device
from assettrack.models import HealthReport
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.workflow import State
from assettrack.workflow import replay
from tests.browser import Visitor


def flask(runner, *args: str):
    return runner.invoke(args=list(args))


def person(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if user is not None:
            db.session.expunge(user)
        return user


def token_for(runner, email: str) -> str:
    result = flask(runner, "token", "create", email)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[-1]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("role", "org", "org_kind"),
    [
        ("admin", "Digibank Gent", "coordinator"),
        ("coordinator", "Digibank Gent", "coordinator"),
        ("repair", "Werkplaats De Vlaspit", "repair"),
        ("desk", "Bibliotheek De Krook", "lending"),
    ],
)
def test_operator_creates_a_person_with_a_role_in_an_organisation(
    app, runner, role, org, org_kind
):
    result = flask(
        runner, "user", "create", f"{role}@gent.example", "--role", role, "--org", org
    )

    assert result.exit_code == 0, result.output
    assert f"{role}@gent.example" in result.output
    user = person(app, f"{role}@gent.example")
    assert user.role == role
    assert user.organisation.name == org
    assert user.organisation.kind == org_kind


def test_colleagues_created_with_the_same_org_share_one_organisation(app, runner):
    for email in ("an@krook.example", "bart@krook.example"):
        result = flask(
            runner,
            "user",
            "create",
            email,
            "--role",
            "desk",
            "--org",
            "Bibliotheek De Krook",
        )
        assert result.exit_code == 0, result.output

    assert (
        person(app, "an@krook.example").organisation_id
        == person(app, "bart@krook.example").organisation_id
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1


def test_creating_the_same_person_twice_fails_and_says_so(app, runner):
    first = flask(runner, "user", "create", "desk@gent.example", "--role", "desk")
    assert first.exit_code == 0, first.output

    # Typed again, with capitals and a stray space: still the same person.
    again = flask(
        runner, "user", "create", " Desk@Gent.example", "--role", "coordinator"
    )

    assert again.exit_code != 0
    assert "desk@gent.example exists already" in again.output
    assert person(app, "desk@gent.example").role == "desk"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_an_unknown_role_is_refused(app, runner):
    result = flask(
        runner, "user", "create", "vrijwilliger@gent.example", "--role", "volunteer"
    )

    assert result.exit_code != 0
    assert "volunteer" in result.output
    assert "desk" in result.output  # the message lists the roles there are
    assert person(app, "vrijwilliger@gent.example") is None


def test_a_printed_token_opens_the_api(runner, client):
    assert (
        flask(
            runner,
            "user",
            "create",
            "coordinator@gent.example",
            "--role",
            "coordinator",
        ).exit_code
        == 0
    )

    result = flask(runner, "token", "create", "coordinator@gent.example")

    assert result.exit_code == 0, result.output
    token = result.output.splitlines()[-1]
    assert token and token == token.strip() and " " not in token
    assert client.get("/api/v1/devices", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/devices", headers=bearer(token + "x")).status_code == 401


def test_each_token_is_new_and_both_work(runner, client):
    assert (
        flask(runner, "user", "create", "desk@gent.example", "--role", "desk").exit_code
        == 0
    )

    first, second = (
        token_for(runner, "desk@gent.example"),
        token_for(runner, "desk@gent.example"),
    )

    assert first != second
    for token in (first, second):
        assert client.get("/api/v1/borrowers", headers=bearer(token)).status_code == 200


def test_a_token_for_an_unknown_email_is_refused(runner):
    result = flask(runner, "token", "create", "niemand@gent.example")

    assert result.exit_code != 0
    assert "no user niemand@gent.example" in result.output


def _totals() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (
            Device,
            WorkflowEvent,
            Loan,
            Borrower,
            User,
            Organisation,
            HealthReport,
        )
    }


def test_demo_loads_every_state_with_histories_that_replay_and_loads_once(
    app, runner, client
):
    result = flask(runner, "demo")

    assert result.exit_code == 0, result.output
    assert "token create coordinator@digibank.example" in result.output
    token = token_for(runner, "coordinator@digibank.example")
    for state in State:
        page = client.get(
            f"/api/v1/devices?state={state.value}&per_page=1", headers=bearer(token)
        )
        assert page.status_code == 200, page.get_json()
        assert page.get_json()["total"] > 0, f"no demo device is {state.value}"

    with app.app_context():
        states = dict(db.session.execute(sa.select(Device.id, Device.state)).all())
        events = db.session.execute(
            sa.select(WorkflowEvent.device_id, WorkflowEvent.action).order_by(
                WorkflowEvent.device_id, WorkflowEvent.id
            )
        ).all()
        histories = {
            device_id: [action for _, action in rows]
            for device_id, rows in groupby(events, key=lambda row: row.device_id)
        }
        assert histories.keys() == states.keys()
        for device_id, actions in histories.items():
            assert replay(actions).value == states[device_id], (device_id, actions)

        open_loans = db.session.scalars(
            sa.select(Loan).where(Loan.closed_at.is_(None))
        ).all()
        assert sorted(loan.device_id for loan in open_loans) == sorted(
            device_id for device_id, state in states.items() if state == "lent"
        )
        assert all(not loan.overdue for loan in open_loans)
        before = _totals()

    again = flask(runner, "demo")

    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    with app.app_context():
        assert _totals() == before


def test_demo_repair_queue_shows_every_category_and_each_partner_its_own(
    app, runner, client
):
    assert flask(runner, "demo").exit_code == 0
    token = token_for(runner, "coordinator@digibank.example")
    queue = client.get("/api/v1/repair-queue?per_page=500", headers=bearer(token))
    assert queue.status_code == 200, queue.get_json()
    items = queue.get_json()["items"]
    assert {item["category"] for item in items} == {
        "quick_win",
        "repair",
        "parts_donor",
        "healthy",
    }
    assert {"ERASURE_INVALID", "RTC_SUSPECT"} <= {
        reason for item in items for reason in item["reasons"]
    }
    with app.app_context():
        workshops = dict(
            db.session.execute(
                sa.select(Location.id, Location.organisation_id).where(
                    Location.kind == "workshop"
                )
            ).all()
        )
    assert {item["location"] for item in items} <= workshops.keys()

    for key in ("gent", "aalst"):
        partner = person(app, f"repair.{key}@digibank.example")
        bench = Visitor(app.test_client())
        assert bench.login(partner.email, DEMO_PASSWORD).status_code == 302
        page = bench.get("/repair-queue").get_data(as_text=True)
        own = {
            item["asset_tag"]
            for item in items
            if workshops[item["location"]] == partner.organisation_id
        }
        assert own, f"no demo device reports at repair.{key}"
        assert all(tag in page for tag in own)
        assert not any(
            item["asset_tag"] in page for item in items if item["asset_tag"] not in own
        )
