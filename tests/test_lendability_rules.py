"""The checklist table and the lendability rules, on plain values: no app, no database.

The rules must say why: every rule that fired is a reason, the class is the
lowest limit among them, and an unknown value is never taken for a pass.
"""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assettrack.workflow import checklist
from assettrack.workflow.lendability import BASIC
from assettrack.workflow.lendability import CLASSES
from assettrack.workflow.lendability import NOT_LENDABLE
from assettrack.workflow.lendability import RULES_VERSION
from assettrack.workflow.lendability import SCHOOL_OFFICE
from assettrack.workflow.lendability import THRESHOLDS
from assettrack.workflow.lendability import Machine
from assettrack.workflow.lendability import assess

LAPTOP = checklist.CURRENT["laptop"]
DESKTOP = checklist.CURRENT["desktop"]
TABLET = checklist.CURRENT["tablet"]


def passed(template, **results) -> dict:
    items = {key: "pass" for key in template.keys}
    items.update(results)
    return {key: value for key, value in items.items() if value is not None}


def laptop(**specs) -> Machine:
    return Machine("laptop", **{"ram_gb": 8, "storage_gb": 256, **specs})


def texts(result) -> list[str]:
    return [reason.text for reason in result.reasons]


# --- the checklist table ---------------------------------------------------------


@pytest.mark.parametrize("template", checklist.CURRENT.values(), ids=str)
def test_every_template_item_is_well_formed(template):
    assert template.name == f"{template.kind}@{checklist.VERSION}"
    assert len(set(template.keys)) == len(template.keys)
    for item in template.items:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", item.key), item.key
        assert item.label and item.check
        # A blocker must pass and can never be na; nor can a mandatory item.
        if item.blocker:
            assert item.mandatory and not item.na_allowed and item.blocked
        else:
            assert not item.blocked
        if item.mandatory:
            assert not item.na_allowed


def test_every_kind_has_the_blockers_and_the_items_its_hardware_has():
    for template in (LAPTOP, DESKTOP, TABLET):
        assert [b.key for b in template.blockers] == [
            "bios_password",
            "mdm_enrolment",
            "anti_theft",
            "activation_lock",
        ]
    assert LAPTOP.item("touchpad").mandatory and DESKTOP.item("touchpad") is None
    assert DESKTOP.item("battery") is None and TABLET.item("battery").mandatory
    assert DESKTOP.item("webcam").na_allowed and not TABLET.item("webcam").na_allowed
    assert TABLET.item("keyboard") is None and TABLET.item("ram") is None


def test_device_kinds_map_to_templates():
    assert checklist.for_kind("laptop") is LAPTOP
    assert checklist.for_kind("all_in_one") is DESKTOP
    assert checklist.for_kind("tablet") is TABLET
    assert checklist.for_kind("other") is None
    assert checklist.by_name("laptop@2026.11") is LAPTOP
    assert checklist.by_name("laptop@2025.01") is None
    assert checklist.by_name("") is None


def test_labels_are_given_in_checklist_order():
    assert LAPTOP.labels(["usb_ports", "screen"]) == "Screen, USB ports"


# --- the lendability rules ------------------------------------------------------------


def test_a_fully_passed_8_gb_laptop_is_for_school_and_office():
    result = assess(laptop(battery_health_pct=95), LAPTOP, passed(LAPTOP), "A")
    assert result.lendability == SCHOOL_OFFICE
    assert result.rules_version == RULES_VERSION
    assert texts(result) == [
        "8 GB RAM: enough for school/office use",
        "256 GB storage: enough for school/office use",
        "battery at 95 % of its design capacity",
        "cosmetic grade A: the grade does not change the class",
    ]
    assert all(reason.limit is None for reason in result.reasons)


@pytest.mark.parametrize(
    ("ram", "lendability", "rule"),
    [
        (2, NOT_LENDABLE, "ram_too_small"),
        (3.5, NOT_LENDABLE, "ram_too_small"),
        (4, BASIC, "ram_basic"),
        (6, BASIC, "ram_basic"),
        (8, SCHOOL_OFFICE, "ram_school_office"),
        (None, BASIC, "ram_unknown"),
    ],
)
def test_ram_thresholds(ram, lendability, rule):
    result = assess(laptop(ram_gb=ram), LAPTOP, passed(LAPTOP), "B")
    assert result.lendability == lendability
    assert rule in [reason.rule for reason in result.reasons]


@pytest.mark.parametrize(
    ("storage", "lendability"),
    [
        (32, NOT_LENDABLE),
        (63, NOT_LENDABLE),
        (64, BASIC),
        (120, BASIC),
        (128, SCHOOL_OFFICE),
    ],
)
def test_storage_thresholds(storage, lendability):
    result = assess(laptop(storage_gb=storage), LAPTOP, passed(LAPTOP), "B")
    assert result.lendability == lendability


@pytest.mark.parametrize(
    ("health", "lendability", "text"),
    [
        (
            59,
            NOT_LENDABLE,
            "battery at 59 % of its design capacity: replace it before lending",
        ),
        (
            60,
            BASIC,
            "battery at 60 % of its design capacity: too short for a school day",
        ),
        (
            79.5,
            BASIC,
            "battery at 79.5 % of its design capacity: too short for a school day",
        ),
        (80, SCHOOL_OFFICE, "battery at 80 % of its design capacity"),
        (
            None,
            SCHOOL_OFFICE,
            "battery health not measured: the tester's battery check decides",
        ),
    ],
)
def test_battery_thresholds(health, lendability, text):
    result = assess(laptop(battery_health_pct=health), LAPTOP, passed(LAPTOP), "B")
    assert result.lendability == lendability
    assert text in texts(result)


def test_a_desktop_has_no_battery_rule():
    result = assess(
        Machine("desktop", 8, 256, battery_health_pct=10), DESKTOP, passed(DESKTOP), "B"
    )
    assert result.lendability == SCHOOL_OFFICE
    assert not any("battery" in text for text in texts(result))


def test_a_tablet_has_its_own_sizes():
    assert THRESHOLDS["tablet"].ram_min < THRESHOLDS["laptop"].ram_min
    small = assess(Machine("tablet", 2, 32), TABLET, passed(TABLET), "A")
    assert small.lendability == BASIC
    assert (
        "2 GB RAM: enough for web and video calls, not for school/office (needs 4 GB)"
        in texts(small)
    )
    assert assess(
        Machine("tablet", 4, 64), TABLET, passed(TABLET), "A"
    ).lendability == (SCHOOL_OFFICE)
    assert assess(
        Machine("tablet", 1, 64), TABLET, passed(TABLET), "A"
    ).lendability == (NOT_LENDABLE)


def test_an_unchecked_item_makes_the_check_not_lendable_yet():
    result = assess(laptop(), LAPTOP, passed(LAPTOP, wifi=None, webcam=None), "A")
    assert result.lendability == NOT_LENDABLE
    assert texts(result)[0] == "not checked yet: Wi-Fi, Webcam"


def test_each_blocker_makes_a_device_not_lendable_with_its_own_sentence():
    for blocker in LAPTOP.blockers:
        for answer in ("fail", "na"):  # na never proves the lock gone
            checked = passed(LAPTOP, **{blocker.key: answer})
            result = assess(laptop(), LAPTOP, checked, "A")
            assert result.lendability == NOT_LENDABLE
            assert (blocker.blocked, NOT_LENDABLE) in [
                (r.text, r.limit) for r in result.reasons
            ]


def test_failed_mandatory_items_are_named_together():
    result = assess(
        laptop(), LAPTOP, passed(LAPTOP, keyboard="fail", charger_present="fail"), "A"
    )
    assert result.lendability == NOT_LENDABLE
    assert "failed: Keyboard, Charger included (repair before lending)" in texts(result)


def test_an_optional_item_failed_or_absent_is_said_but_does_not_limit():
    result = assess(
        laptop(),
        LAPTOP,
        passed(LAPTOP, webcam="na", microphone_speakers="fail"),
        "A",
    )
    assert result.lendability == SCHOOL_OFFICE
    assert texts(result)[:2] == [
        "Webcam: not on this device",
        "Microphone and speakers: not working",
    ]


@given(grade=st.sampled_from([None, "", "A", "B", "C"]))
def test_the_cosmetic_grade_never_changes_the_class(grade):
    for machine in (laptop(), laptop(ram_gb=4), laptop(ram_gb=2)):
        graded = assess(machine, LAPTOP, passed(LAPTOP), "A").lendability
        assert assess(machine, LAPTOP, passed(LAPTOP), grade).lendability == graded


def test_the_class_is_the_lowest_limit_and_every_rule_that_fired_is_a_reason():
    result = assess(
        laptop(ram_gb=4, storage_gb=32, battery_health_pct=70),
        LAPTOP,
        passed(LAPTOP),
        None,
    )
    assert result.lendability == NOT_LENDABLE
    assert [(r.rule, r.limit) for r in result.reasons] == [
        ("ram_basic", BASIC),
        ("storage_too_small", NOT_LENDABLE),
        ("battery_worn", BASIC),
        ("grade_missing", None),
    ]


@given(
    ram=st.one_of(st.none(), st.integers(0, 64)),
    storage=st.one_of(st.none(), st.integers(0, 2000)),
    health=st.one_of(st.none(), st.integers(0, 120)),
    results=st.dictionaries(
        st.sampled_from(LAPTOP.keys), st.sampled_from(checklist.RESULTS)
    ),
)
def test_the_class_is_always_the_lowest_limit_of_its_reasons(
    ram, storage, health, results
):
    result = assess(Machine("laptop", ram, storage, health), LAPTOP, results, "B")
    order = list(CLASSES)
    limits = [order.index(r.limit) for r in result.reasons if r.limit]
    assert order.index(result.lendability) == min(limits, default=len(order) - 1)
    if len(results) < len(LAPTOP.keys) or ram is None or storage is None:
        assert result.lendability != SCHOOL_OFFICE  # unknown is never a pass
    # A refusal joins sentences with "; ": no reason may hold one itself.
    assert not any("; " in reason.text for reason in result.reasons)
