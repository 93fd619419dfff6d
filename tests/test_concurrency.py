"""Two people acting on the same device at the same moment: exactly one wins.

DESIGN.md: the other gets a conflict answer, never a corrupted device. Checked
once step by step (two sessions, one stale) and then with real threads released
together by a barrier, on whichever database the suite runs against.
"""

import threading

import pytest
import sqlalchemy as sa
from conftest import in_days

from assettrack import lifecycle
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import BorrowerIdentity
from assettrack.models import Device
from assettrack.models import Loan
from assettrack.models import LoanPolicy
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.tagging import find_device

THREADS = 8
ROUNDS = 3


def device_record(app, tag: str) -> tuple[str, int, int]:
    """State, version and number of events of the device, read from the database."""
    with app.app_context():
        device = find_device(tag)
        events = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(WorkflowEvent)
            .where(WorkflowEvent.device_id == device.id)
        )
        return device.state, device.version, events


def test_an_action_on_a_device_someone_else_just_changed_is_a_conflict(world):
    """Desk A loaded the device; desk B acted first; A's action changes nothing."""
    tag = world.intake()["asset_tag"]
    with world.app.app_context():
        repair = db.session.get(User, world.repair.user_id)
        stale = find_device(tag)  # loaded at version 1, kept in this session
        with world.app.app_context():  # another request, its own session
            lifecycle.perform(
                find_device(tag),
                "start_wipe",
                db.session.get(User, world.repair.user_id),
                {},
            )
        assert stale.version == 1 and stale.state == "received"
        with pytest.raises(lifecycle.Conflict):
            lifecycle.perform(
                stale, "send_to_repair", repair, {"reason": "scherm kapot"}
            )
    assert device_record(world.app, tag) == ("wiping", 2, 2)


def test_the_stale_request_is_answered_409_conflict(world):
    """The same race over HTTP: the late request read before the winner wrote."""
    tag = world.intake()["asset_tag"]
    late = world.app.test_request_context(
        f"/api/v1/devices/{tag}/actions/send_to_repair",
        method="POST",
        headers=world.repair.headers,
        json={"reason": "scherm kapot"},
    )
    with late:
        stale = find_device(
            tag
        )  # the late request has read the device (and holds it)...
        # The winner runs in another thread, so it gets its own app context and session.
        winner = race(
            world.app,
            [(world.repair.headers, f"/api/v1/devices/{tag}/actions/start_wipe", {})],
        )[0]
        assert winner.status_code == 200, winner.get_json()
        assert stale.state == "received"
        response = (
            world.app.full_dispatch_request()
        )  # ...and only now acts on what it read
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"]["code"] == "conflict"
    assert device_record(world.app, tag) == ("wiping", 2, 2)


def race(app, requests: list) -> list:
    """Send each (headers, path, json) from its own thread and client, all at once."""
    barrier = threading.Barrier(len(requests))
    answers: list = [None] * len(requests)

    def send(i: int, headers: dict, path: str, body: dict) -> None:
        client = app.test_client()
        barrier.wait()
        try:
            answers[i] = client.post(path, headers=headers, json=body)
        except BaseException as exc:  # reported below, not lost in the thread
            answers[i] = exc

    threads = [
        threading.Thread(target=send, args=(i, *request))
        for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    return answers


def assert_one_winner(answers: list) -> None:
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [200] + [409] * (len(answers) - 1), [
        (a.status_code, a.get_json()) for a in answers
    ]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.get_json()["error"]["code"] in (
                "conflict",
                "illegal_transition",
            ), answer.get_json()


@pytest.fixture
def borrowers(world) -> list[str]:
    """One borrower per thread, all of the desk's own digileenplek."""
    with world.app.app_context():
        organisation = db.session.get(User, world.desk.user_id).organisation_id
        codes = [f"B-{100 + i}" for i in range(THREADS)]
        db.session.add_all(
            Borrower(
                code=c,
                organisation_id=organisation,
                identity=BorrowerIdentity(name=f"Lener {c}"),
            )
            for c in codes
        )
        # Each round's winner borrows again in the next round.
        db.session.add(LoanPolicy(max_open_loans=ROUNDS))
        db.session.commit()
    return codes


def test_eight_desks_lending_one_device_at_once_lend_it_once(world, borrowers):
    for _ in range(ROUNDS):
        tag = world.ready_device()["asset_tag"]
        state, version, events = device_record(world.app, tag)
        path = f"/api/v1/devices/{tag}/actions/lend"
        answers = race(
            world.app,
            [
                (world.desk.headers, path, {"borrower": code, "due_date": in_days(14)})
                for code in borrowers
            ],
        )
        assert_one_winner(answers)
        assert device_record(world.app, tag) == ("lent", version + 1, events + 1)
        winner = next(a for a in answers if a.status_code == 200).get_json()
        with world.app.app_context():
            loans = db.session.scalars(
                sa.select(Loan).join(Device).where(Device.asset_tag == tag)
            ).all()
            assert [(loan.borrower.code, loan.closed_at) for loan in loans] == [
                (winner["current_loan"]["borrower"], None)
            ]


def test_desks_lending_different_devices_to_one_borrower_at_once_lend_one(world):
    """The policy allows one open loan: eight devices at once still make one loan."""
    for _ in range(ROUNDS):
        tags = [world.ready_device()["asset_tag"] for _ in range(THREADS)]
        borrower = world.desk.post("/borrowers", json={"name": "Lener"}).get_json()
        answers = race(
            world.app,
            [
                (
                    world.desk.headers,
                    f"/api/v1/devices/{tag}/actions/lend",
                    {"borrower": borrower["code"], "due_date": in_days(14)},
                )
                for tag in tags
            ],
        )
        statuses = sorted(answer.status_code for answer in answers)
        assert statuses == [200] + [422] * (THREADS - 1), statuses
        for answer in answers:
            if answer.status_code == 422:  # refused, saying why: the loan just made
                [why] = answer.get_json()["error"]["details"]["fields"]["borrower"]
                assert why.startswith("already has 1 open loan(s)"), why
        with world.app.app_context():
            loans = db.session.scalars(
                sa.select(Loan).join(Borrower).where(Borrower.code == borrower["code"])
            ).all()
        winner = next(a for a in answers if a.status_code == 200).get_json()
        assert [loan.device.asset_tag for loan in loans] == [winner["asset_tag"]]
        lent = [device_record(world.app, tag)[0] for tag in tags]
        assert sorted(lent) == ["lent"] + ["ready"] * (THREADS - 1)


def test_eight_repair_partners_starting_one_wipe_at_once_start_it_once(world):
    for _ in range(ROUNDS):
        tag = world.intake()["asset_tag"]
        state, version, events = device_record(world.app, tag)
        assert state == "received"
        path = f"/api/v1/devices/{tag}/actions/start_wipe"
        assert_one_winner(race(world.app, [(world.repair.headers, path, {})] * THREADS))
        assert device_record(world.app, tag) == ("wiping", version + 1, events + 1)


def test_different_actions_at_once_leave_one_consistent_device(world):
    """A desk returns while another reports the device lost: one of the two happened."""
    for _ in range(ROUNDS):
        tag = world.lent_device()["asset_tag"]
        _, version, events = device_record(world.app, tag)
        path = f"/api/v1/devices/{tag}/actions/"
        answers = race(
            world.app,
            [
                (world.desk.headers, path + ("return" if i % 2 else "report_lost"), {})
                for i in range(THREADS)
            ],
        )
        assert_one_winner(answers)
        state, new_version, new_events = device_record(world.app, tag)
        assert state in ("returned", "lost") and (new_version, new_events) == (
            version + 1,
            events + 1,
        )
        with world.app.app_context():
            loan = db.session.scalars(
                sa.select(Loan).join(Device).where(Device.asset_tag == tag)
            ).one()
            assert loan.closed_at is not None and loan.outcome == state


def test_devices_registered_at_the_same_moment_get_different_tags(world):
    body = {
        "kind": "laptop",
        "location": world.location_ids["workshop"],
        "disks": [{"kind": "ssd"}],
    }
    answers = race(
        world.app, [(world.repair.headers, "/api/v1/devices", body)] * THREADS
    )
    assert [a.status_code for a in answers] == [201] * THREADS, [
        a.get_json() for a in answers
    ]
    tags = [a.get_json()["asset_tag"] for a in answers]
    assert len(set(tags)) == THREADS, tags
    listed = world.repair.get("/devices?per_page=500").get_json()
    assert sorted(d["asset_tag"] for d in listed["items"]) == sorted(tags)
