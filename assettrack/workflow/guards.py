"""Guards: named, side-effect-free checks on a `DeviceFacts` snapshot.

Each returns None when the action may go ahead, or a sentence saying why not.
A guard about one field of the action's payload names that field, so the API
can answer 422 for it; the others refuse the transition itself (409).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

from assettrack.workflow.erasure import at_least
from assettrack.workflow.erasure import best
from assettrack.workflow.facts import DeviceFacts
from assettrack.workflow.facts import DiskFacts
from assettrack.workflow.facts import QcFacts
from assettrack.workflow.lendability import LENDABLE


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


def _shortfall(disk: DiskFacts, since: int | None) -> str | None:
    """What the disk lacks since `since`, as the person at the bench must read it.

    None when a passing erasure recorded since then reaches the level the policy
    needs for the disk's media (Destroy reaches every level).
    """
    if not disk.data_bearing:
        return None
    cycle = {
        level: erased
        for level, erased in disk.erased.items()
        if since is not None and erased.position >= since
    }
    if any(at_least(level, disk.needs) for level in cycle):
        return None
    top = best(cycle)
    reached = (
        f"best this cycle: {top} ({cycle[top].technique})"
        if top
        else "no passing erasure this cycle"
    )
    return f"{disk.label}: {disk.media} needs {disk.needs}, {reached}"


def _shortfalls(facts: DeviceFacts, since: int | None) -> str:
    return "; ".join(
        problem for disk in facts.disks if (problem := _shortfall(disk, since))
    )


@guard
def disks_erased_this_cycle(facts: DeviceFacts) -> str | None:
    if not any(disk.data_bearing for disk in facts.disks):
        return (
            "no data-bearing disk is recorded for this device; record its disks first"
        )
    missing = _shortfalls(facts, facts.last_wipe_start)
    if missing:
        return "not erased as the policy requires in this wipe cycle: " + missing
    return None


@guard
def wipe_current(facts: DeviceFacts) -> str | None:
    finished = facts.last_wipe_finish
    if finished is None or finished < facts.last_exposure:
        return "not wiped since it was last received or returned"
    missing = _shortfalls(facts, facts.last_wipe_start)
    if missing:
        # A disk added since, or a policy raised since: erase that disk again.
        return "disk not erased as the policy requires since the wipe: " + missing
    return None


@guard
def disks_wiped_or_destroyed(facts: DeviceFacts) -> str | None:
    missing = _shortfalls(facts, facts.last_exposure)
    if missing:
        return "disk not wiped or destroyed in this cycle: " + missing
    return None


def _checklist_problems(qc: QcFacts) -> list[str]:
    """What stops a recorded check from passing, every problem at once."""
    template, items = qc.template, qc.items
    problems = []
    if missing := [key for key in template.keys if key not in items]:
        problems.append("not checked yet: " + template.labels(missing))
    failed = [
        i.key for i in template.mandatory if items.get(i.key) not in (None, "pass")
    ]
    if failed:
        problems.append(
            "mandatory quality-check items not passed: " + template.labels(failed)
        )
    # A blocker given na (never accepted by record_qc) is no proof it is gone.
    problems += [
        b.blocked for b in template.blockers if items.get(b.key) not in (None, "pass")
    ]
    if not qc.grade:
        problems.append("the quality check has no cosmetic grade")
    return problems


@guard
def quality_check_passed(facts: DeviceFacts) -> str | None:
    """Complete, mandatory items passed, no lock left, graded, and lendable.

    Every problem is named at once, as sentences joined by "; " (none holds "; "
    itself). A device the lendability rules call not lendable never becomes
    ready: fail the check (then repair or upgrade it) or scrap it.
    """
    qc = facts.qc
    if qc is None:
        return "no quality-check record since the device entered qc"
    if qc.template is None:
        return "the check was made on a checklist no longer in use, check it again"
    problems = _checklist_problems(qc)
    if not problems and qc.lendability not in LENDABLE:
        why = qc.lendability_reasons or ("no lendability class recorded",)
        problems = [f"not lendable: {reason}" for reason in why]
        problems.append("fail the check or scrap the device")
    return "; ".join(problems) or None


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
    if not facts.borrower_known:
        return "no such borrower"
    if facts.borrower and facts.borrower.anonymised:
        return "this borrower was anonymised; register them again"
    return None


@guard(field="borrower")
def borrower_not_overdue(facts: DeviceFacts) -> str | None:
    since = facts.borrower and facts.borrower.overdue_since
    if since:
        return f"has an overdue loan (due {since}); take that device back first"
    return None


@guard(field="borrower")
def borrower_under_max_loans(facts: DeviceFacts) -> str | None:
    borrower = facts.borrower
    if not borrower or borrower.open_loans + borrower.in_basket < facts.max_open_loans:
        return None
    if borrower.in_basket:
        return (
            f"with {borrower.open_loans} open loan(s) and {borrower.in_basket} in the"
            f" basket, the borrower has the most this lending point allows"
            f" ({facts.max_open_loans})"
        )
    return (
        f"already has {borrower.open_loans} open loan(s), the most"
        f" this lending point allows ({facts.max_open_loans})"
    )


@guard(field="agreement_accepted")
def agreement_accepted(facts: DeviceFacts) -> str | None:
    if facts.agreement_version is None or facts.payload.get("agreement_accepted"):
        return None
    return (
        f"the borrower must accept the loan agreement"
        f" (version {facts.agreement_version})"
    )


def _due_date_problem(facts: DeviceFacts) -> str | None:
    due: date | None = facts.payload.get("due_date")
    if due is None:  # no policy gave one: the loan was closed meanwhile
        return "give a due date"
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
    due = facts.payload.get("due_date")
    if facts.loan and due is not None and due <= facts.loan.due_on:
        return f"must be later than the current due date {facts.loan.due_on}"
    return _due_date_problem(facts)


@guard
def renewals_left(facts: DeviceFacts) -> str | None:
    """The policy's limit, unless the desk overrides it with a reason."""
    override = facts.payload.get("override_reason")
    if isinstance(override, str) and override.strip():
        return None
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
    if (
        facts.in_transit_to is None
        and facts.location
        and facts.destination.id == facts.location.id
    ):
        return "the device is already there"
    return None


@guard
def in_transit(facts: DeviceFacts) -> str | None:
    if facts.in_transit_to is None:
        where = facts.location.name if facts.location else "no location"
        return f"the device is not in transit; it is at {where}"
    return None
