"""The lifecycle table, decided on plain snapshots: no app, no database.

Every row of `TRANSITIONS` against every state and every role, each guard's
refusal and the sentence it gives, and the table's own consistency checks.
"""

from dataclasses import replace
from datetime import date
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from assettrack.workflow import ACTIONS
from assettrack.workflow import BY_ACTION
from assettrack.workflow import FINAL
from assettrack.workflow import INITIAL
from assettrack.workflow import INTAKE
from assettrack.workflow import TRANSITIONS
from assettrack.workflow import DeviceFacts
from assettrack.workflow import DiskFacts
from assettrack.workflow import Erased
from assettrack.workflow import InvalidPayload
from assettrack.workflow import LoanFacts
from assettrack.workflow import NotPermitted
from assettrack.workflow import PlaceFacts
from assettrack.workflow import QcFacts
from assettrack.workflow import Refused
from assettrack.workflow import State
from assettrack.workflow import UnknownAction
from assettrack.workflow import allowed
from assettrack.workflow import decide
from assettrack.workflow import machine
from assettrack.workflow import replay
from assettrack.workflow import target_of
from assettrack.workflow.checklist import CURRENT
from assettrack.workflow.erasure import DEFAULT_POLICY
from assettrack.workflow.erasure import MEDIA_OF_KIND
from assettrack.workflow.erasure import Level
from assettrack.workflow.erasure import Media
from assettrack.workflow.transitions import row

TODAY = date(2026, 11, 28)
WORKSHOP = PlaceFacts(1, "Werkplaats Gent", "workshop")
DIGILEENPLEK = PlaceFacts(2, "De Krook", "lending")
STORAGE = PlaceFacts(3, "Magazijn Gent", "storage")
ROLES = ("admin", "coordinator", "repair", "desk")
LAPTOP = CURRENT["laptop"]
ALL_PASS = {item: "pass" for item in LAPTOP.keys}


def checked(grade: str | None = "B", lendability="school_office", **results):
    """A laptop's check: all passed but for `results`, rated `lendability`."""
    items = {k: v for k, v in {**ALL_PASS, **results}.items() if v is not None}
    return QcFacts(items, grade, LAPTOP, lendability)


STAYS = "(stays)"
NOT_OUT = {"received", "wiping", "refurbishing", "qc", "ready", "returned", "repair"}
# DESIGN.md's lifecycle table, written out again on purpose: a change to the
# table in code must be a change to the design too.
DESIGN = {
    # DESIGN.md says received and returned; refurbishing is added on purpose, so a
    # device repaired before its wipe, or given a disk after it, can be wiped again.
    "start_wipe": ({"received", "returned", "refurbishing"}, "wiping"),
    "finish_wipe": ({"wiping"}, "refurbishing"),
    "submit_qc": ({"refurbishing"}, "qc"),
    "pass_qc": ({"qc"}, "ready"),
    "fail_qc": ({"qc"}, "refurbishing"),
    "lend": ({"ready"}, "lent"),
    "renew": ({"lent"}, STAYS),
    "return": ({"lent"}, "returned"),
    "send_to_repair": (
        {"received", "wiping", "refurbishing", "qc", "ready", "returned"},
        "repair",
    ),
    "finish_repair": ({"repair"}, "refurbishing"),
    "scrap": (NOT_OUT, "scrapped"),
    "report_lost": ({"lent"}, "lost"),
    # DESIGN.md moves ready devices in one step. A hand-over is two scans (sent,
    # received; issue 7), and received or returned devices travel to the
    # workshop too.
    "transfer": (NOT_OUT, STAYS),
    "receive": (NOT_OUT, STAYS),
    "relocate": (NOT_OUT, STAYS),
}


def disk(
    label: str,
    at: int | None = None,
    level: str | None = None,
    technique: str = "ata_sanitize_block",
    *,
    needs: str | None = None,
    data_bearing: bool = True,
) -> DiskFacts:
    """A disk whose kind is the label's first word, erased at position `at`.

    The erasure reaches `level` (by default what the default policy needs for
    the disk's media), and the policy needs `needs` (by default, the default).
    """
    media = MEDIA_OF_KIND.get(label.split()[0], Media.OTHER)
    needs = Level(needs or DEFAULT_POLICY.required[media])
    erased = {} if at is None else {Level(level or needs): Erased(at, technique)}
    return DiskFacts(label, data_bearing, media, needs, erased)


def unerased(label: str, media: str, needs: str) -> str:
    return f"{label}: {media} needs {needs}, no passing erasure this cycle"


FINISH = "not erased as the policy requires in this wipe cycle: "
SINCE_WIPE = "disk not erased as the policy requires since the wipe: "
SCRAP = "disk not wiped or destroyed in this cycle: "
SSD_S1 = unerased("ssd S1", "sata_ssd", "purge")


def facts(state: State, **changes) -> DeviceFacts:
    """A device in `state` for which every guard of every action passes.

    History positions: intake 1, wipe started 3, disk erased at 4, wipe
    finished 6; on a lending shelf, QC passed, a fresh loan, a full payload.
    """
    good = DeviceFacts(
        state=state,
        today=TODAY,
        location=DIGILEENPLEK,
        disks=(disk("ssd S1", 4), disk("odd DVD", data_bearing=False)),
        last_exposure=1,
        last_wipe_start=3,
        last_wipe_finish=6,
        qc=checked(),
        loan=LoanFacts(TODAY + timedelta(days=10), 0),
        borrower_known=True,
        destination=STORAGE,
        payload={
            "borrower": "B-0042",
            "due_date": TODAY + timedelta(days=30),
            "reason": "hinge broken",
            "failed_items": ["battery"],
            "location": STORAGE.id,
        },
    )
    return replace(good, **changes)


def ready_for(action: str, state: State) -> DeviceFacts:
    """`facts(state)`, on its way to De Krook when the action is receiving it."""
    if action == "receive":
        return facts(state, in_transit_to=DIGILEENPLEK, location=WORKSHOP)
    return facts(state)


def with_payload(state: State, **payload) -> DeviceFacts:
    base = facts(state)
    return replace(base, payload={**base.payload, **payload})


def row_id(transition) -> str:
    return transition.action


def a_source_of(action: str) -> State:
    """One state the action starts from, the same one every run."""
    return min(BY_ACTION[action].sources, key=list(State).index)


# ---------------------------------------------------------------------------
# The table itself


def test_the_table_in_code_is_the_table_in_the_design():
    in_code = {
        t.action: ({s.value for s in t.sources}, t.target.value if t.target else STAYS)
        for t in TRANSITIONS
    }
    assert in_code == DESIGN


def test_every_state_of_the_lifecycle_is_reachable_and_the_end_states_are_final():
    machine._validate_table()  # the real table loads without complaint
    reachable = {INITIAL} | {t.target for t in TRANSITIONS if t.target}
    assert reachable == set(State)
    assert not any(t.sources & FINAL for t in TRANSITIONS)


@pytest.mark.parametrize(
    ("bad_table", "complaint"),
    [
        pytest.param(
            [t for t in TRANSITIONS if t.action != "report_lost"],
            "unreachable states: ['lost']",
            id="unreachable-state",
        ),
        pytest.param(
            [*TRANSITIONS, row("find_again", {State.lost}, State.ready, {"desk"})],
            "actions leave a final state: ['find_again']",
            id="leaves-final-state",
        ),
        pytest.param(
            [*TRANSITIONS, row("lend", {State.returned}, State.lent, {"desk"})],
            "an action appears twice",
            id="duplicate-action",
        ),
        pytest.param(
            [*TRANSITIONS, row("polish", {State.refurbishing}, None, set())],
            "nobody may perform: ['polish']",
            id="nobody-may-act",
        ),
    ],
)
def test_a_contradictory_table_is_refused_when_it_loads(
    monkeypatch, bad_table, complaint
):
    monkeypatch.setattr(machine, "TRANSITIONS", tuple(bad_table))
    monkeypatch.setattr(machine, "BY_ACTION", {t.action: t for t in bad_table})
    with pytest.raises(machine.InvalidDefinition, match=complaint.replace("[", r"\[")):
        machine._validate_table()


# ---------------------------------------------------------------------------
# Every row against every state


@pytest.mark.parametrize("transition", TRANSITIONS, ids=row_id)
@pytest.mark.parametrize("state", list(State), ids=str)
def test_an_action_is_accepted_exactly_in_its_source_states(transition, state):
    snapshot = ready_for(transition.action, state)
    if state in transition.sources:
        decided = decide(snapshot, transition.action, "admin")
        assert decided is transition
        target = DESIGN[transition.action][1]
        assert target_of(decided, state) == (state if target == STAYS else target)
    else:
        with pytest.raises(Refused) as refused:
            decide(snapshot, transition.action, "admin")
        assert refused.value.state == state
        assert refused.value.action == transition.action
        assert refused.value.reasons == [
            f"not possible while the device is {state.value}"
        ]
        assert refused.value.allowed == allowed(snapshot, "admin")
        assert transition.action not in refused.value.allowed
        assert state.value in str(refused.value)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_what_is_allowed_in_a_state_is_every_row_starting_there(state):
    # Every row but receiving: the device is not on its way.
    expected = [
        t.action for t in TRANSITIONS if state in t.sources and t.action != "receive"
    ]
    assert allowed(facts(state), "admin") == expected
    if state in FINAL:
        assert expected == []


@pytest.mark.parametrize("state", sorted(NOT_OUT), ids=str)
def test_a_device_on_its_way_can_only_be_received_or_found(state):
    on_its_way = facts(state, in_transit_to=DIGILEENPLEK, location=WORKSHOP)
    assert allowed(on_its_way, "admin") == ["receive", "relocate"]
    for transition in TRANSITIONS:
        if transition.action in ("receive", "relocate") or state not in (
            transition.sources
        ):
            continue
        with pytest.raises(Refused) as refused:
            decide(on_its_way, transition.action, "admin")
        assert refused.value.reasons == [
            "the device is in transit to De Krook; receive it first"
        ]
        assert refused.value.allowed == ["receive", "relocate"]


def test_a_device_is_received_back_where_it_was_sent_from_if_it_never_left():
    on_its_way = facts(
        State.ready, in_transit_to=DIGILEENPLEK, location=WORKSHOP, destination=WORKSHOP
    )
    assert decide(on_its_way, "receive", "desk").action == "receive"


@pytest.mark.parametrize("transition", TRANSITIONS, ids=row_id)
@pytest.mark.parametrize("role", ROLES)
def test_only_the_roles_named_in_a_row_may_take_its_action(transition, role):
    snapshot = ready_for(transition.action, a_source_of(transition.action))
    if role == "admin" or role in transition.roles:
        assert decide(snapshot, transition.action, role) is transition
        assert transition.action in allowed(snapshot, role)
    else:
        with pytest.raises(NotPermitted, match=f"a {role} user may not"):
            decide(snapshot, transition.action, role)
        assert transition.action not in allowed(snapshot, role)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_a_role_is_refused_before_the_state_is_even_considered(state):
    with pytest.raises(NotPermitted, match="a desk user may not start wipe"):
        decide(facts(state), "start_wipe", "desk")
    with pytest.raises(NotPermitted, match="a repair user may not lend"):
        decide(facts(state), "lend", "repair")


def test_the_lending_desk_may_lend_renew_return_and_report_lost_but_not_wipe_or_check():
    ready, lent = facts(State.ready), facts(State.lent)
    # and hand devices over: send, receive, correct where one was found
    assert allowed(ready, "desk") == ["lend", "send_to_repair", "transfer", "relocate"]
    assert allowed(lent, "desk") == ["renew", "return", "report_lost"]
    for action in (
        "start_wipe",
        "finish_wipe",
        "submit_qc",
        "pass_qc",
        "fail_qc",
        "finish_repair",
        "scrap",
    ):
        with pytest.raises(NotPermitted):
            decide(facts(a_source_of(action)), action, "desk")


def test_a_repair_partner_never_lends_renews_returns_or_reports_lost():
    for action in ("lend", "renew", "return", "report_lost"):
        with pytest.raises(NotPermitted, match="a repair user may not"):
            decide(facts(a_source_of(action)), action, "repair")


def test_an_admin_may_take_every_action():
    for transition in TRANSITIONS:
        snapshot = ready_for(transition.action, a_source_of(transition.action))
        assert decide(snapshot, transition.action, "admin") is transition


def test_an_unknown_action_is_named_in_the_answer():
    with pytest.raises(UnknownAction, match="there is no action 'polish'"):
        decide(facts(State.ready), "polish", "admin")


# ---------------------------------------------------------------------------
# Each guard's refusal names its reason


# (action, state, the snapshot's changes, the reason the action is refused with)
DEVICE_REFUSALS = [
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"disks": ()},
        "no data-bearing disk is recorded for this device; record its disks first",
        id="finish_wipe-no-disks",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"disks": (disk("odd DVD", data_bearing=False),)},
        "no data-bearing disk is recorded for this device; record its disks first",
        id="finish_wipe-only-optical",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"disks": (disk("ssd S1"),)},
        FINISH + SSD_S1,
        id="finish_wipe-never-erased",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {
            "disks": (
                disk("ssd S1", 2),
                disk("hdd H1", 3),
                disk("hdd H2", 1),
            )
        },
        FINISH + SSD_S1 + "; " + unerased("hdd H2", "hdd", "clear"),
        id="finish_wipe-erased-last-cycle",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"last_wipe_start": None},
        FINISH + SSD_S1,
        id="finish_wipe-no-wipe-started",
    ),
    pytest.param(
        "submit_qc",
        State.refurbishing,
        {"last_wipe_finish": None},
        "not wiped since it was last received or returned",
        id="submit_qc-never-wiped",
    ),
    pytest.param(
        "submit_qc",
        State.refurbishing,
        {"last_exposure": 9},
        "not wiped since it was last received or returned",
        id="submit_qc-returned-since-wipe",
    ),
    pytest.param(
        "submit_qc",
        State.refurbishing,
        {"disks": (disk("ssd S1", 4), disk("hdd H9"))},
        SINCE_WIPE + unerased("hdd H9", "hdd", "clear"),
        id="submit_qc-disk-added",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": None},
        "no quality-check record since the device entered qc",
        id="pass_qc-no-record",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": checked(battery="fail", usb_ports="fail")},
        "mandatory quality-check items not passed: Battery, USB ports",
        id="pass_qc-mandatory-failed",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": checked(screen="na")},
        "mandatory quality-check items not passed: Screen",
        id="pass_qc-mandatory-skipped",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": QcFacts({"power_boot": "pass"}, "A", LAPTOP, "school_office")},
        "not checked yet: " + LAPTOP.labels(LAPTOP.keys[1:]),
        id="pass_qc-incomplete",
    ),
    *(
        pytest.param(
            "pass_qc",
            State.qc,
            {"qc": checked(**{blocker: "fail"})},
            sentence,
            id=f"pass_qc-blocker-{blocker}",
        )
        for blocker, sentence in [
            ("bios_password", "a BIOS or disk password is still set"),
            ("mdm_enrolment", "still enrolled in MDM/Autopilot"),
            ("anti_theft", "anti-theft (Computrace/Absolute) is still active"),
            ("activation_lock", "activation lock is still on"),
        ]
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": checked(activation_lock="na")},
        "activation lock is still on",
        id="pass_qc-blocker-na",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": checked(None)},
        "the quality check has no cosmetic grade",
        id="pass_qc-no-grade",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": checked(None, webcam=None, battery="fail", bios_password="fail")},
        "not checked yet: Webcam; mandatory quality-check items not passed: Battery;"
        " a BIOS or disk password is still set; the quality check has no cosmetic grade",
        id="pass_qc-every-problem-at-once",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": QcFacts(ALL_PASS, "A", None, "school_office")},
        "the check was made on a checklist no longer in use, check it again",
        id="pass_qc-unknown-checklist",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {
            "qc": QcFacts(
                ALL_PASS,
                "A",
                LAPTOP,
                "not_lendable",
                ("2 GB RAM: below the 4 GB minimum, upgrade it",),
            )
        },
        "not lendable: 2 GB RAM: below the 4 GB minimum, upgrade it;"
        " fail the check or scrap the device",
        id="pass_qc-not-lendable",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": QcFacts(ALL_PASS, "A", LAPTOP, "not_lendable", ("RAM", "storage"))},
        "not lendable: RAM; not lendable: storage; fail the check or scrap the device",
        id="pass_qc-not-lendable-twice",
    ),
    pytest.param(
        "pass_qc",
        State.qc,
        {"qc": checked("A", lendability=None)},
        "not lendable: no lendability class recorded;"
        " fail the check or scrap the device",
        id="pass_qc-no-lendability",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"location": WORKSHOP},
        "the device is not at a lending location (Werkplaats Gent); transfer it first",
        id="lend-at-workshop",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"location": None},
        "the device is not at a lending location (no location); transfer it first",
        id="lend-nowhere",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"last_exposure": 7},
        "not wiped since it was last received or returned",
        id="lend-wipe-not-current",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"disks": (disk("ssd S1", 4), disk("nvme N2", 2))},
        SINCE_WIPE + unerased("nvme N2", "nvme", "purge"),
        id="lend-disk-added",
    ),
    pytest.param(
        "renew",
        State.lent,
        {"loan": LoanFacts(TODAY + timedelta(days=10), 2)},
        "renewal limit reached (2)",
        id="renew-limit",
    ),
    pytest.param(
        "scrap",
        State.returned,
        {"last_exposure": 8},
        SCRAP + SSD_S1,
        id="scrap-returned-unwiped",
    ),
    pytest.param(
        "scrap",
        State.received,
        {"disks": (disk("hdd H1"),)},
        SCRAP + unerased("hdd H1", "hdd", "clear"),
        id="scrap-never-wiped",
    ),
    # The level reached must meet the policy for the disk's media.
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"disks": (disk("ssd S1", 4, "clear", "overwrite"),)},
        FINISH + "ssd S1: sata_ssd needs purge, best this cycle: clear (overwrite)",
        id="finish_wipe-ssd-overwritten-only",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"disks": (disk("hdd H1", 4, "clear", "overwrite", needs="purge"),)},
        FINISH + "hdd H1: hdd needs purge, best this cycle: clear (overwrite)",
        id="finish_wipe-hdd-under-a-stricter-policy",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {
            "disks": (
                DiskFacts(
                    "nvme N1",
                    True,
                    Media.NVME,
                    Level.PURGE,
                    {
                        Level.PURGE: Erased(2, "nvme_sanitize_crypto"),
                        Level.CLEAR: Erased(5, "overwrite"),
                    },
                ),
            )
        },
        FINISH + "nvme N1: nvme needs purge, best this cycle: clear (overwrite)",
        id="finish_wipe-purge-only-last-cycle",
    ),
    pytest.param(
        "finish_wipe",
        State.wiping,
        {"disks": (disk("hdd H1", 4, "purge", needs="destroy"),)},
        FINISH
        + "hdd H1: hdd needs destroy, best this cycle: purge (ata_sanitize_block)",
        id="finish_wipe-policy-needs-destruction",
    ),
    pytest.param(
        "submit_qc",
        State.refurbishing,
        {"disks": (disk("hdd H1", 4, "clear", "overwrite", needs="purge"),)},
        SINCE_WIPE + "hdd H1: hdd needs purge, best this cycle: clear (overwrite)",
        id="submit_qc-policy-raised-since-the-wipe",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"disks": (disk("ssd S1", 4, "clear", "overwrite"),)},
        SINCE_WIPE + "ssd S1: sata_ssd needs purge, best this cycle: clear (overwrite)",
        id="lend-ssd-overwritten-only",
    ),
    pytest.param(
        "receive",
        State.ready,
        {},
        "the device is not in transit; it is at De Krook",
        id="receive-not-sent",
    ),
    pytest.param(
        "scrap",
        State.received,
        {"disks": (disk("emmc E1", 4, "clear", "overwrite"),)},
        SCRAP + "emmc E1: emmc needs purge, best this cycle: clear (overwrite)",
        id="scrap-emmc-overwritten-only",
    ),
]


@pytest.mark.parametrize(("action", "state", "changes", "reason"), DEVICE_REFUSALS)
def test_a_guard_refuses_the_action_and_names_its_reason(
    action, state, changes, reason
):
    snapshot = facts(state, **changes)
    with pytest.raises(Refused) as refused:
        decide(snapshot, action, "admin")
    assert refused.value.reasons == [reason]
    assert refused.value.state == state
    assert reason in str(refused.value)
    assert action not in refused.value.allowed
    assert refused.value.allowed == allowed(snapshot, "admin")


def test_every_device_guard_in_the_table_has_a_refusal_case():
    tested = {p.values[0] for p in DEVICE_REFUSALS}
    with_device_guards = {
        t.action for t in TRANSITIONS if any(g.field is None for g in t.guards)
    }
    assert with_device_guards <= tested


def test_every_failing_guard_is_named_not_only_the_first():
    snapshot = facts(State.ready, location=STORAGE, last_wipe_finish=None)
    with pytest.raises(Refused) as refused:
        decide(snapshot, "lend", "desk")
    assert refused.value.reasons == [
        "the device is not at a lending location (Magazijn Gent); transfer it first",
        "not wiped since it was last received or returned",
    ]


# (action, state, payload changes or facts changes, field, message)
PAYLOAD_REFUSALS = [
    pytest.param(
        "lend",
        State.ready,
        {"borrower_known": False},
        "borrower",
        "no such borrower",
        id="lend-unknown-borrower",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"payload": {"due_date": TODAY}},
        "due_date",
        "must be in the future",
        id="lend-due-today",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"payload": {"due_date": TODAY - timedelta(days=1)}},
        "due_date",
        "must be in the future",
        id="lend-due-yesterday",
    ),
    pytest.param(
        "lend",
        State.ready,
        {"payload": {"due_date": TODAY + timedelta(days=367)}},
        "due_date",
        "must be within 366 days",
        id="lend-due-too-far",
    ),
    pytest.param(
        "renew",
        State.lent,
        {"payload": {"due_date": TODAY + timedelta(days=10)}},
        "due_date",
        f"must be later than the current due date {TODAY + timedelta(days=10)}",
        id="renew-same-date",
    ),
    pytest.param(
        "renew",
        State.lent,
        {"payload": {"due_date": TODAY + timedelta(days=5)}},
        "due_date",
        f"must be later than the current due date {TODAY + timedelta(days=10)}",
        id="renew-earlier",
    ),
    pytest.param(
        "renew",
        State.lent,
        {
            "loan": LoanFacts(TODAY - timedelta(days=9), 0),
            "payload": {"due_date": TODAY},
        },
        "due_date",
        "must be in the future",
        id="renew-overdue-to-today",
    ),
    pytest.param(
        "renew",
        State.lent,
        {"payload": {"due_date": TODAY + timedelta(days=400)}},
        "due_date",
        "must be within 366 days",
        id="renew-too-far",
    ),
    pytest.param(
        "fail_qc",
        State.qc,
        {"qc": checked("A"), "payload": {"failed_items": None}},
        "failed_items",
        "name at least one failed quality-check item",
        id="fail_qc-nothing-failed",
    ),
    pytest.param(
        "fail_qc",
        State.qc,
        {"qc": None, "payload": {"failed_items": []}},
        "failed_items",
        "name at least one failed quality-check item",
        id="fail_qc-empty-list",
    ),
    pytest.param(
        "send_to_repair",
        State.ready,
        {"payload": {"reason": ""}},
        "reason",
        "give a reason",
        id="repair-empty-reason",
    ),
    pytest.param(
        "send_to_repair",
        State.qc,
        {"payload": {"reason": "   "}},
        "reason",
        "give a reason",
        id="repair-blank-reason",
    ),
    pytest.param(
        "send_to_repair",
        State.received,
        {"payload": {"reason": None}},
        "reason",
        "give a reason",
        id="repair-no-reason",
    ),
    pytest.param(
        "transfer",
        State.ready,
        {"destination": None},
        "location",
        "no such location",
        id="transfer-unknown-place",
    ),
    pytest.param(
        "transfer",
        State.ready,
        {"destination": DIGILEENPLEK},
        "location",
        "the device is already there",
        id="transfer-same-place",
    ),
]


@pytest.mark.parametrize(
    ("action", "state", "changes", "field", "message"), PAYLOAD_REFUSALS
)
def test_a_bad_payload_is_refused_for_the_field_it_concerns(
    action, state, changes, field, message
):
    changes = dict(changes)
    payload = changes.pop("payload", {})
    snapshot = replace(with_payload(state, **payload), **changes)
    with pytest.raises(InvalidPayload) as invalid:
        decide(snapshot, action, "admin")
    assert invalid.value.fields == {field: [message]}
    # a payload problem never hides the action from the list of what is possible
    assert action in allowed(snapshot, "admin")


def test_a_refused_device_is_answered_before_its_payload_is_judged():
    snapshot = replace(
        with_payload(State.ready, due_date=TODAY),
        location=WORKSHOP,
        borrower_known=False,
    )
    with pytest.raises(Refused):
        decide(snapshot, "lend", "desk")


def test_borrower_and_due_date_problems_are_answered_together():
    snapshot = replace(with_payload(State.ready, due_date=TODAY), borrower_known=False)
    with pytest.raises(InvalidPayload) as invalid:
        decide(snapshot, "lend", "desk")
    assert invalid.value.fields == {
        "borrower": ["no such borrower"],
        "due_date": ["must be in the future"],
    }


def test_a_failed_item_in_the_recorded_check_is_enough_to_fail_qc():
    snapshot = facts(State.qc, qc=checked("C", webcam="fail"), payload={})
    assert decide(snapshot, "fail_qc", "repair").target == State.refurbishing


def test_a_failed_optional_item_does_not_stop_a_device_passing_qc():
    snapshot = facts(
        State.qc, qc=checked("C", webcam="fail", microphone_speakers="fail")
    )
    assert decide(snapshot, "pass_qc", "repair").target == State.ready


def test_a_disk_that_is_not_data_bearing_needs_no_erasure():
    snapshot = facts(
        State.wiping,
        disks=(disk("ssd S1", 3), disk("odd DVD", data_bearing=False)),
    )
    assert decide(snapshot, "finish_wipe", "repair").target == State.refurbishing
    assert decide(
        replace(snapshot, state=State.received, last_exposure=3), "scrap", "coordinator"
    )


@pytest.mark.parametrize(
    ("action", "state"),
    [("finish_wipe", State.wiping), ("lend", State.ready), ("scrap", State.received)],
)
@pytest.mark.parametrize(
    "erased",
    [
        disk("hdd H1", 4, "clear", "overwrite"),
        disk("hdd H1", 4, "purge", "ata_secure_erase"),
        disk("ssd S1", 4, "destroy", "shred"),
        disk("nvme N1", 4, "destroy", "disintegrate", needs="destroy"),
        disk("ssd S1", 4, "purge", needs="clear"),
    ],
    ids=lambda d: f"{d.label}-{next(iter(d.erased))}-needs-{d.needs}",
)
def test_a_level_at_or_above_what_the_policy_needs_counts(action, state, erased):
    snapshot = facts(state, disks=(erased,))
    assert decide(snapshot, action, "admin")


def test_the_last_renewal_within_the_limit_is_accepted():
    snapshot = facts(State.lent, loan=LoanFacts(TODAY + timedelta(days=10), 1))
    assert decide(snapshot, "renew", "desk").target is None
    assert target_of(BY_ACTION["renew"], State.lent) == State.lent


@pytest.mark.parametrize("action", ["transfer", "receive", "relocate"])
def test_a_hand_over_keeps_the_device_in_its_state(action):
    decided = decide(ready_for(action, State.ready), action, "coordinator")
    assert target_of(decided, State.ready) == State.ready


# ---------------------------------------------------------------------------
# `allowed` agrees with `decide`

positions = st.one_of(st.none(), st.integers(0, 12))
snapshots = st.builds(
    DeviceFacts,
    state=st.sampled_from(State),
    today=st.just(TODAY),
    location=st.sampled_from([None, WORKSHOP, DIGILEENPLEK, STORAGE]),
    in_transit_to=st.sampled_from([None, None, DIGILEENPLEK, STORAGE]),
    disks=st.lists(
        st.builds(
            DiskFacts,
            label=st.sampled_from(["ssd S1", "hdd H1", "nvme N1"]),
            data_bearing=st.booleans(),
            media=st.sampled_from(Media),
            needs=st.sampled_from(Level),
            erased=st.dictionaries(
                st.sampled_from(Level),
                st.builds(Erased, st.integers(0, 12), st.just("overwrite")),
                max_size=3,
            ),
        ),
        max_size=3,
    ).map(tuple),
    last_exposure=st.integers(0, 12),
    last_wipe_start=positions,
    last_wipe_finish=positions,
    qc=st.one_of(
        st.none(),
        st.builds(
            QcFacts,
            items=st.one_of(
                st.just(ALL_PASS),
                st.dictionaries(
                    st.sampled_from(LAPTOP.keys),
                    st.sampled_from(["pass", "fail", "na"]),
                ),
            ),
            grade=st.sampled_from([None, "", "A", "B", "C"]),
            template=st.sampled_from([LAPTOP, None]),
            lendability=st.sampled_from(
                [None, "not_lendable", "basic", "school_office"]
            ),
        ),
    ),
    loan=st.one_of(
        st.none(),
        st.builds(
            LoanFacts,
            due_on=st.dates(TODAY - timedelta(days=30), TODAY + timedelta(days=60)),
            renewals=st.integers(0, 3),
        ),
    ),
    borrower_known=st.booleans(),
    destination=st.sampled_from([None, WORKSHOP, DIGILEENPLEK, STORAGE]),
    payload=st.fixed_dictionaries(
        {
            "due_date": st.dates(
                TODAY - timedelta(days=5), TODAY + timedelta(days=400)
            ),
            "reason": st.sampled_from(["", "  ", "fan rattles"]),
        },
        optional={"failed_items": st.lists(st.sampled_from(LAPTOP.keys), max_size=2)},
    ),
)


@settings(max_examples=300, deadline=None)
@given(snapshot=snapshots, role=st.sampled_from(ROLES))
def test_allowed_offers_exactly_the_actions_whose_device_guards_pass(snapshot, role):
    offered = allowed(snapshot, role)
    for action in ACTIONS:
        try:
            decide(snapshot, action, role)
            possible = True
        except InvalidPayload:
            possible = True  # the device may; this payload may not
        except (Refused, NotPermitted):
            possible = False
        assert (action in offered) == possible, action


# ---------------------------------------------------------------------------
# Replaying a history


def test_replaying_a_history_gives_the_state_it_led_to():
    loan_and_back = [
        INTAKE,
        "start_wipe",
        "finish_wipe",
        "submit_qc",
        "fail_qc",
        "submit_qc",
        "pass_qc",
        "transfer",
        "lend",
        "renew",
        "renew",
        "return",
        "start_wipe",
    ]
    assert replay(loan_and_back) == State.wiping
    assert replay([*loan_and_back[:9], "report_lost"]) == State.lost
    assert (
        replay([INTAKE, "send_to_repair", "finish_repair", "scrap"]) == State.scrapped
    )
    assert replay([INTAKE]) == INITIAL
