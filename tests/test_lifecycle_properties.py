"""Long random working days on a few devices never break the lifecycle's promises.

Hypothesis sends random actions, records and payloads (good and bad), by random
people, at fresh devices through the HTTP API on the real database. After every
step the device is in a known state, moved exactly as the table says or not at
all; at the end each device's history replays to its state, and no device was
ever checked or lent without a finished wipe after it was last received or returned.
"""

from typing import NamedTuple

import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from assettrack import lifecycle
from assettrack import reach
from assettrack import workflow
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import ErasureRecord
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.workflow import ACTIONS
from assettrack.workflow import BY_ACTION
from assettrack.workflow import FINAL
from assettrack.workflow import INTAKE
from assettrack.workflow import State
from assettrack.workflow import replay
from assettrack.workflow import target_of
from assettrack.workflow.erasure import DEFAULT_POLICY
from assettrack.workflow.erasure import at_least
from assettrack.workflow.erasure import media_of
from tests.conftest import erasure
from tests.conftest import in_days
from tests.conftest import qc_record

ROLES = ("admin", "coordinator", "repair", "desk")
RECORDS = ("erase", "record_qc", "add_disk")
DEVICES = 3
# Disks at intake: one SSD; an SSD, an HDD and a DVD drive; none recorded yet.
INTAKE_DISKS = (
    [{"kind": "ssd", "serial": "S1"}],
    [
        {"kind": "ssd", "serial": "S2"},
        {"kind": "hdd", "serial": "H2"},
        {"kind": "other", "model": "DVD", "data_bearing": False},
    ],
    [],
)


class Random(NamedTuple):
    """Someone tries something on a device, with one of its payload variants."""

    kind: str
    device: int
    role: str
    variant: int


class Advance(NamedTuple):
    """The right person does the next useful thing (so devices get far)."""

    device: int


class Detour(NamedTuple):
    """A returned device goes to repair before its wipe; any other one advances.

    The wipe guard on submit_qc exists for this path, and random steps seldom
    find it: it needs a loan and a return first.
    """

    device: int


class Mark(NamedTuple):
    """What any change to a device moves: its state, version and history length."""

    state: str
    version: int
    events: int


class Look(NamedTuple):
    mark: Mark
    allowed: tuple[str, ...]
    disks: tuple[int, ...]
    at_lending_place: bool
    location: int | None
    reached: bool  # by the person of that role (reach.py)


steps = st.lists(
    st.one_of(
        st.builds(Advance, st.integers(0, DEVICES - 1)),
        st.builds(Advance, st.integers(0, DEVICES - 1)),
        st.builds(Detour, st.integers(0, DEVICES - 1)),
        st.builds(
            Random,
            st.sampled_from(ACTIONS + RECORDS),
            st.integers(0, DEVICES - 1),
            st.sampled_from(ROLES),
            st.integers(0, 11),
        ),
    ),
    min_size=20,
    max_size=60,
)


def payload_choices(world, kind: str, disks: tuple[int, ...]) -> list[dict]:
    places = world.location_ids
    choices = {
        "lend": [
            {"borrower": "B-0042", "due_date": in_days(30)},
            {"borrower": "B-0042", "due_date": in_days(1)},
            {"borrower": "B-9999", "due_date": in_days(30)},
            {"borrower": "B-0042", "due_date": in_days(0)},
            {"borrower": "B-0042", "due_date": in_days(-1)},
            {"borrower": "B-0042", "due_date": in_days(400)},
            {"borrower": "B-0042"},
        ],
        "renew": [{"due_date": in_days(d)} for d in (45, 60, 90, 20, 0, 500)] + [{}],
        "send_to_repair": [
            {"reason": "fan rattles"},
            {"reason": ""},
            {"reason": "  "},
            {},
        ],
        "fail_qc": [{"failed_items": ["battery"]}, {}, {"failed_items": []}],
        "transfer": [
            {"location": places["digileenplek"]},
            {"location": places["storage"]},
            {"location": places["workshop"]},
            {"location": 99999},
            {},
        ],
        "receive": [
            {},
            {"location": places["storage"]},
            {"location": places["digileenplek"]},
            {"location": 99999},
        ],
        "relocate": [
            {"location": places["digileenplek"]},
            {"location": places["workshop"]},
            {"location": 99999},
            {},
        ],
        "scrap": [{}, {"reason": "mainboard dead"}],
        "erase": [
            erasure(disk, **changes)
            for disk in (*disks, 99999)
            for changes in (
                {},
                {"outcome": "failed"},
                {"technique": "shred"},
                {"technique": "overwrite"},  # Clear: enough for an HDD only
                {"verification_result": "failed"},
            )
        ],
        "record_qc": [
            qc_record(),
            qc_record(battery="fail"),
            qc_record(None),
            qc_record("C", webcam="fail"),
            qc_record(bios_password="fail"),
            qc_record("B", usb_ports=None),
        ],
        "add_disk": [
            {"kind": "hdd", "serial": "H9"},
            {"kind": "other", "model": "DVD", "data_bearing": False},
        ],
    }
    return choices.get(kind, [{}, {"note": "done at the bench"}])


def _mark(device: Device) -> Mark:
    events = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WorkflowEvent)
        .filter_by(device_id=device.id)
    )
    return Mark(device.state, device.version, events)


def mark(app, tag: str) -> Mark:
    with app.app_context():
        return _mark(db.session.scalar(sa.select(Device).filter_by(asset_tag=tag)))


def look(app, tag: str, role: str) -> Look:
    """The device as the database has it, and what `role` may do with it now."""
    with app.app_context():
        device = db.session.scalar(sa.select(Device).filter_by(asset_tag=tag))
        person = db.session.scalar(
            sa.select(User).filter_by(email=f"{role}@example.be")
        )
        return Look(
            _mark(device),
            tuple(workflow.allowed(lifecycle.facts_for(device), role)),
            tuple(disk.id for disk in device.disks),
            device.location is not None and device.location.kind == "lending",
            device.location_id,
            reach.within(person, device),
        )


def lent_only_with_erased_disks(app, tag: str) -> None:
    """At a loan every data-bearing disk in the device has a passing erasure since
    the wipe began, reaching the level the policy needs for its media."""
    with app.app_context():
        device = db.session.scalar(sa.select(Device).filter_by(asset_tag=tag))
        wipe_began = db.session.scalar(
            sa.select(sa.func.max(WorkflowEvent.id)).filter_by(
                device_id=device.id, action="start_wipe"
            )
        )
        assert wipe_began is not None
        for disk in device.disks:
            if disk.data_bearing and disk.removed_at is None:
                needs = DEFAULT_POLICY.required[media_of(disk.kind, disk.interface)]
                levels = db.session.scalars(
                    sa.select(ErasureRecord.level)
                    .filter_by(disk_id=disk.id, outcome="erased")
                    .where(
                        ErasureRecord.after_event_id >= wipe_began,
                        ErasureRecord.verification_result != "failed",
                    )
                )
                assert any(at_least(level, needs) for level in levels), (
                    f"{tag} lent with {disk.label} not erased since its wipe began"
                )


class Run:
    """Performs steps through the API and checks each one against the table."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.tags = [
            world.intake(disks=list(disks))["asset_tag"] for disks in INTAKE_DISKS
        ]
        # per device: (action, from, to, actor) of every accepted action, in order
        self.accepted: dict[str, list[tuple]] = {tag: [] for tag in self.tags}

    def act(self, tag: str, action: str, role: str, payload: dict) -> bool:
        transition = BY_ACTION[action]
        permitted = role == "admin" or role in transition.roles
        now = look(self.app, tag, role)
        before = now.mark
        response = getattr(self.world, role).act(tag, action, payload)
        after = mark(self.app, tag)
        assert after.state in set(State)
        if response.status_code == 200:
            # out of reach, only a device found at one's own place is relocated
            assert now.reached or action == "relocate"
            assert permitted and before.state in transition.sources
            assert action in now.allowed, "an accepted action was not offered"
            assert after.state == target_of(transition, State(before.state))
            assert response.get_json()["state"] == after.state
            assert (after.version, after.events) == (
                before.version + 1,
                before.events + 1,
            )
            self.accepted[tag].append(
                (action, before.state, after.state, f"{role}@example.be")
            )
            if action == "lend":
                lent_only_with_erased_disks(self.app, tag)
            return True
        assert after == before, f"refused {action} changed the device"
        error = response.get_json()["error"]
        if response.status_code == 403:
            assert not (permitted and now.reached) and error["code"] == "forbidden"
        elif response.status_code == 409:
            assert permitted and error["code"] == "illegal_transition"
            details = error["details"]
            assert (details["state"], details["action"]) == (before.state, action)
            assert details["allowed"] == list(now.allowed)
            if before.state in transition.sources:
                assert action not in now.allowed, "a refused action was offered"
            else:
                assert (
                    details["reason"]
                    == f"not possible while the device is {before.state}"
                )
        elif (
            response.status_code == 422
            and error["message"] == "the action's payload is not acceptable"
        ):
            # the device may take the action; this payload may not
            assert permitted and action in now.allowed
            assert error["details"]["fields"]
        else:
            assert response.status_code == 422, response.get_json()
            assert error["code"] == "validation_error" and error["details"]["fields"]
        return False

    def record(self, tag: str, kind: str, role: str, body: dict) -> bool:
        path = {"erase": "erasures", "record_qc": "qc", "add_disk": "disks"}[kind]
        before = mark(self.app, tag)
        response = getattr(self.world, role).post(f"/devices/{tag}/{path}", json=body)
        after = mark(self.app, tag)
        if response.status_code == 201:
            assert (after.state, after.events) == (before.state, before.events)
            assert after.version == before.version + 1
            assert before.state not in FINAL
            return True
        assert response.status_code in (403, 409, 422), response.get_json()
        assert after == before, f"refused {kind} changed the device"
        return False

    def random(self, step: Random) -> None:
        tag = self.tags[step.device]
        disks = look(self.app, tag, step.role).disks if step.kind == "erase" else ()
        choices = payload_choices(self.world, step.kind, disks)
        payload = choices[step.variant % len(choices)]
        if step.kind in RECORDS:
            self.record(tag, step.kind, step.role, payload)
        else:
            self.act(tag, step.kind, step.role, payload)

    def advance(self, step: Advance | Detour) -> None:
        """Take the step the workflow offers next; record what it asks for first."""
        tag = self.tags[step.device]
        now = look(self.app, tag, "admin")
        state = State(now.mark.state)
        workshop = self.world.location_ids["workshop"]
        at_the_bench = {State.received, State.wiping, State.refurbishing, State.qc}
        at_the_bench |= {State.repair, State.returned}
        if isinstance(step, Detour):
            at_the_bench -= {State.returned}  # the desk sends it to repair
        if now.allowed == ("receive", "relocate"):  # on its way: take it in
            self.act(tag, "receive", "coordinator", {})
        elif state in at_the_bench and now.location != workshop:
            # bench work is done at the repair partner's, in its reach
            self.act(tag, "transfer", "coordinator", {"location": workshop})
        elif isinstance(step, Detour) and state == State.returned:
            self.act(tag, "send_to_repair", "desk", {"reason": "screen flickers"})
        elif state in (State.received, State.returned):
            self.act(tag, "start_wipe", "repair", {})
        elif state == State.wiping and "finish_wipe" in now.allowed:
            self.act(tag, "finish_wipe", "repair", {})
        elif state == State.wiping:  # erase first, finish at the next advance
            if not now.disks:
                self.record(tag, "add_disk", "repair", {"kind": "nvme", "serial": "N1"})
            self.erase_all(tag)
        elif state == State.refurbishing and "submit_qc" not in now.allowed:
            self.erase_all(tag)  # a disk added since the wipe
        elif state == State.refurbishing:
            self.act(tag, "submit_qc", "repair", {})
        elif state == State.qc and "pass_qc" in now.allowed:
            self.act(tag, "pass_qc", "repair", {})
        elif state == State.qc:
            self.record(tag, "record_qc", "repair", qc_record())
        elif state == State.ready and not now.at_lending_place:
            self.act(
                tag,
                "transfer",
                "coordinator",
                {"location": self.world.location_ids["digileenplek"]},
            )
        elif state == State.ready and "lend" not in now.allowed:
            self.erase_all(tag)  # a disk added since the wipe
        elif state == State.ready:
            self.act(
                tag, "lend", "desk", {"borrower": "B-0042", "due_date": in_days(30)}
            )
        elif state == State.lent:
            self.act(tag, "return", "desk", {})
        elif state == State.repair:
            self.act(tag, "finish_repair", "repair", {})

    def erase_all(self, tag: str) -> None:
        for disk in look(self.app, tag, "repair").disks:
            self.record(tag, "erase", "repair", erasure(disk))  # Purge: enough

    def check_histories(self) -> None:
        for tag in self.tags:
            events = self.world.admin.get(f"/devices/{tag}/events").get_json()
            actions = [e["action"] for e in events]
            state = mark(self.app, tag).state
            event(f"a device ended {state}")
            event(f"a device was lent {actions.count('lend')} times")
            assert events[0]["action"] == INTAKE and events[0]["from_state"] is None
            assert [
                (e["action"], e["from_state"], e["to_state"], e["actor"])
                for e in events[1:]
            ] == self.accepted[tag]
            assert replay(actions) == State(state)
            for earlier, later in zip(events, events[1:], strict=False):
                assert later["from_state"] == earlier["to_state"]
                assert later["to_state"] == target_of(
                    BY_ACTION[later["action"]], State(later["from_state"])
                )
            exposed = False  # someone's data may be on the device
            for action in actions:
                if action in (INTAKE, "return"):
                    exposed = True
                elif action == "finish_wipe":
                    exposed = False
                elif action in ("submit_qc", "lend"):
                    assert not exposed, (
                        f"{tag} reached {action} without a wipe since it came in: {actions}"
                    )
                elif action == "finish_repair" and exposed and "return" in actions:
                    event("a returned device was repaired before its wipe")


# Without shrinking: a long failing day shrinks for minutes; its history is in the message.
@settings(
    max_examples=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_random_work_on_devices_keeps_every_promise_of_the_lifecycle(app, world, steps):
    run = Run(app, world)
    for step in steps:
        if isinstance(step, Advance | Detour):
            run.advance(step)
        else:
            run.random(step)
    run.check_histories()
