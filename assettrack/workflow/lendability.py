"""What a checked device is fit to be lent for: explicit, versioned rules.

Classes, worst first:
    not_lendable   must not go out: a lock is still on, a mandatory item failed
                   or was not checked, or the hardware is below the minimum.
    basic          web, e-mail and video calls.
    school_office  schoolwork and office work: an office suite and many tabs at
                   once; a laptop's battery lasts a school day.

Every rule that fires gives a reason in the users' words; a rule may also set
a limit, the best class the fact allows. The class is the lowest limit.

- A value that is not known is never a pass. RAM or storage not recorded:
  basic at most, since the check itself shows the device boots, browses and
  updates. Battery health not measured (the device agent fills it in later):
  said in a reason, and the tester's battery item, which must pass, decides.
- The cosmetic grade never changes the class: a scratched lid does not stop
  homework. It is given as a reason for the desk.
- An optional item that failed or is absent (a webcam, say) is a reason, not a
  limit: a USB webcam fixes it.

The result is stored with `RULES_VERSION`; change a rule, change the version.
"""

from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass

from assettrack.workflow.checklist import Template

RULES_VERSION = "lend-2026.11"

NOT_LENDABLE, BASIC, SCHOOL_OFFICE = "not_lendable", "basic", "school_office"
CLASSES = {  # worst first
    NOT_LENDABLE: "not lendable",
    BASIC: "basic: web, e-mail and video calls",
    SCHOOL_OFFICE: "school/office: office suite, many tabs, a school day on battery",
}
LENDABLE = (BASIC, SCHOOL_OFFICE)


@dataclass(frozen=True)
class Thresholds:
    """Sizes in GB below which a device is not lendable, or basic at most."""

    ram_min: int
    ram_school: int
    storage_min: int
    storage_school: int


# 4 GB RAM and 64 GB storage: the Windows 11 minimum
# (microsoft.com/windows/windows-11-specifications; research/agents.md c,
# RAM_LOW and DISK_SMALL). The school/office sizes and the tablets' (which
# run lighter systems) are our own judgement.
THRESHOLDS = {
    "laptop": Thresholds(ram_min=4, ram_school=8, storage_min=64, storage_school=128),
    "desktop": Thresholds(ram_min=4, ram_school=8, storage_min=64, storage_school=128),
    "tablet": Thresholds(ram_min=2, ram_school=4, storage_min=32, storage_school=64),
}
# Battery full-charge capacity as % of design. Below 80 %: Apple designs
# batteries to keep "up to 80 %" at their maximum cycle count, and Fleet flags
# health below 80 % (fleetdm/fleet PR #22569). Below 60 %: replace before
# lending, about where users see "service battery" warnings
# (acidanthera/bugtracker#1573; research/agents.md c, BAT_WEAR_SEVERE).
BATTERY_WORN_PCT = 80
BATTERY_REPLACE_PCT = 60


@dataclass(frozen=True)
class Machine:
    """What the rules know of the hardware; None: not recorded."""

    kind: str  # the template's kind: laptop, desktop, tablet
    ram_gb: float | None = None
    storage_gb: float | None = None
    battery_health_pct: float | None = None


@dataclass(frozen=True)
class Reason:
    rule: str  # stable id, e.g. "ram_basic"
    text: str
    limit: str | None = None  # the best class this fact allows; None: information

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Lendability:
    lendability: str
    reasons: tuple[Reason, ...]
    rules_version: str = RULES_VERSION


def _gb(value: float) -> str:
    return f"{value:g} GB"


def _checklist(template: Template, results: Mapping[str, str]) -> list[Reason]:
    reasons = []
    unchecked = [key for key in template.keys if key not in results]
    if unchecked:
        text = "not checked yet: " + template.labels(unchecked)
        reasons.append(Reason("unchecked", text, NOT_LENDABLE))
    for item in template.blockers:
        if results.get(item.key) in ("fail", "na"):
            reasons.append(Reason(f"blocker_{item.key}", item.blocked, NOT_LENDABLE))
    failed = [
        item.key
        for item in template.mandatory
        if results.get(item.key) in ("fail", "na")
    ]
    if failed:
        text = "failed: " + template.labels(failed) + " (repair before lending)"
        reasons.append(Reason("mandatory_failed", text, NOT_LENDABLE))
    for item in template.items:
        if item.mandatory:
            continue
        if results.get(item.key) == "fail":
            reasons.append(Reason(f"{item.key}_failed", f"{item.label}: not working"))
        elif results.get(item.key) == "na":
            reasons.append(
                Reason(f"{item.key}_absent", f"{item.label}: not on this device")
            )
    return reasons


def _size(
    what: str, value: float | None, minimum: int, school: int, rule: str
) -> Reason:
    if value is None:
        return Reason(
            f"{rule}_unknown",
            f"{what} not recorded: basic at most until it is",
            BASIC,
        )
    if value < minimum:
        return Reason(
            f"{rule}_too_small",
            f"{_gb(value)} {what}: below the {_gb(minimum)} minimum, upgrade it",
            NOT_LENDABLE,
        )
    if value < school:
        return Reason(
            f"{rule}_basic",
            f"{_gb(value)} {what}: enough for web and video calls,"
            f" not for school/office (needs {_gb(school)})",
            BASIC,
        )
    return Reason(
        f"{rule}_school_office", f"{_gb(value)} {what}: enough for school/office use"
    )


def _battery(machine: Machine, template: Template) -> Reason | None:
    if template.item("battery") is None:
        return None
    health = machine.battery_health_pct
    if health is None:
        return Reason(
            "battery_unmeasured",
            "battery health not measured: the tester's battery check decides",
        )
    said = f"battery at {health:g} % of its design capacity"
    if health < BATTERY_REPLACE_PCT:
        return Reason(
            "battery_replace", said + ": replace it before lending", NOT_LENDABLE
        )
    if health < BATTERY_WORN_PCT:
        return Reason("battery_worn", said + ": too short for a school day", BASIC)
    return Reason("battery_good", said)


def _grade(grade: str | None) -> Reason:
    if not grade:
        return Reason("grade_missing", "no cosmetic grade yet")
    return Reason(
        "grade", f"cosmetic grade {grade}: the grade does not change the class"
    )


def assess(
    machine: Machine,
    template: Template,
    results: Mapping[str, str],
    grade: str | None,
) -> Lendability:
    """The class a device checked against `template` may be lent as, with reasons.

    `results`: item -> pass | fail | na, as far as the tester got.
    """
    limits = THRESHOLDS[template.kind]
    reasons = [
        *_checklist(template, results),
        _size("RAM", machine.ram_gb, limits.ram_min, limits.ram_school, "ram"),
        _size(
            "storage",
            machine.storage_gb,
            limits.storage_min,
            limits.storage_school,
            "storage",
        ),
        _battery(machine, template),
        _grade(grade),
    ]
    reasons = tuple(reason for reason in reasons if reason is not None)
    order = list(CLASSES)
    best = min(
        (order.index(r.limit) for r in reasons if r.limit),
        default=order.index(SCHOOL_OFFICE),
    )
    return Lendability(order[best], reasons)
