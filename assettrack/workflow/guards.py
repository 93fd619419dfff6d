"""Guards: named, side-effect-free checks on a `DeviceFacts` snapshot.

Each returns None when the action may go ahead, or a sentence saying why not.
A guard about one field of the action's payload names that field, so the API
can answer 422 for it; the others refuse the transition itself (409).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from assettrack.workflow.facts import DeviceFacts


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[[DeviceFacts], str | None]
    field: str | None = None

    def __call__(self, facts: DeviceFacts) -> str | None:
        return self.check(facts)


def guard(check=None, *, field: str | None = None):
    """Turn a check function into a named `Guard`."""

    def wrap(fn):
        return Guard(fn.__name__, fn, field)

    return wrap(check) if check else wrap


def _unerased(facts: DeviceFacts, since: int | None) -> list[str]:
    return [
        disk.label
        for disk in facts.disks
        if disk.data_bearing
        and (since is None or disk.erased_after is None or disk.erased_after < since)
    ]


@guard
def disks_erased_this_cycle(facts: DeviceFacts) -> str | None:
    if not any(disk.data_bearing for disk in facts.disks):
        return (
            "no data-bearing disk is recorded for this device; record its disks first"
        )
    missing = _unerased(facts, facts.last_wipe_start)
    if missing:
        return "no passed erasure in this wipe cycle for: " + ", ".join(missing)
    return None


@guard
def wipe_current(facts: DeviceFacts) -> str | None:
    finished = facts.last_wipe_finish
    if finished is None or finished < facts.last_exposure:
        return "not wiped since it was last received or returned"
    missing = _unerased(facts, facts.last_wipe_start)
    if missing:
        return "disk added since the last wipe, not erased: " + ", ".join(missing)
    return None


@guard
def disks_wiped_or_destroyed(facts: DeviceFacts) -> str | None:
    missing = _unerased(facts, facts.last_exposure)
    if missing:
        return "disk not wiped or destroyed in this cycle: " + ", ".join(missing)
    return None


@guard
def quality_check_passed(facts: DeviceFacts) -> str | None:
    if facts.qc is None:
        return "no quality-check record since the device entered qc"
    failed = [
        item for item in facts.mandatory_qc_items if facts.qc.items.get(item) != "pass"
    ]
    if failed:
        return "mandatory quality-check items not passed: " + ", ".join(failed)
    if not facts.qc.grade:
        return "the quality check has no cosmetic grade"
    return None


@guard(field="failed_items")
def failed_item_named(facts: DeviceFacts) -> str | None:
    named = facts.payload.get("failed_items")
    recorded = facts.qc and any(v == "fail" for v in facts.qc.items.values())
    if not named and not recorded:
        return "name at least one failed quality-check item"
    return None


@guard
def at_lending_location(facts: DeviceFacts) -> str | None:
    if facts.location is None or facts.location.kind != "lending":
        where = facts.location.name if facts.location else "no location"
        return f"the device is not at a lending location ({where}); transfer it first"
    return None


@guard(field="borrower")
def borrower_known(facts: DeviceFacts) -> str | None:
    return None if facts.borrower_known else "no such borrower"


def _due_date_problem(facts: DeviceFacts) -> str | None:
    due: date = facts.payload["due_date"]
    if due <= facts.today:
        return "must be in the future"
    if due > facts.today + timedelta(days=facts.max_loan_days):
        return f"must be within {facts.max_loan_days} days"
    return None


@guard(field="due_date")
def due_date_in_future(facts: DeviceFacts) -> str | None:
    return _due_date_problem(facts)


@guard(field="due_date")
def due_date_later_than_current(facts: DeviceFacts) -> str | None:
    if facts.loan and facts.payload["due_date"] <= facts.loan.due_on:
        return f"must be later than the current due date {facts.loan.due_on}"
    return _due_date_problem(facts)


@guard
def renewals_left(facts: DeviceFacts) -> str | None:
    if facts.loan and facts.loan.renewals >= facts.max_renewals:
        return f"renewal limit reached ({facts.max_renewals})"
    return None


@guard(field="reason")
def reason_given(facts: DeviceFacts) -> str | None:
    reason = facts.payload.get("reason")
    return None if isinstance(reason, str) and reason.strip() else "give a reason"


@guard(field="location")
def destination_given(facts: DeviceFacts) -> str | None:
    if facts.destination is None:
        return "no such location"
    if facts.location and facts.destination.id == facts.location.id:
        return "the device is already there"
    return None
