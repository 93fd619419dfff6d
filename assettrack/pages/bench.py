"""What the device page shows of the bench work, and why an action must wait.

Disks with their erasure records and the level each needs, the latest quality
check with the lendability it led to, and for each action the workflow holds
back, the guards' reasons.
"""

from dataclasses import dataclass

from assettrack import erasures
from assettrack import lifecycle
from assettrack import workflow
from assettrack.models import Device
from assettrack.models import Disk
from assettrack.models import ErasureRecord
from assettrack.models import QcRecord
from assettrack.models import User
from assettrack.pages import wording
from assettrack.pages.texts import term
from assettrack.workflow import checklist
from assettrack.workflow import erasure as rules
from assettrack.workflow.checklist import Template
from assettrack.workflow.machine import may


@dataclass
class DiskShown:
    """A disk on the device page: the level it needs and its erasure records."""

    disk: Disk
    media: rules.Media
    needs: rules.Level
    records: list[ErasureRecord]
    done: bool  # erased as the policy asks since the wipe last started


def disks_on(device: Device, history: lifecycle.History) -> list[DiskShown]:
    """The device's disks, those in it first, each with its records (newest first)."""
    policy = erasures.policy_for(device)
    records = erasures.erasures_of(device)
    since = history.positions.get("start_wipe")
    shown = []
    for disk in sorted(device.disks, key=lambda d: (d.removed_at is not None, d.id)):
        media = rules.media_of(disk.kind, disk.interface)
        mine = [record for record in records if record.disk_id == disk.id]
        for record in mine:
            record.this_round = since is not None and record.after_event_id >= since
        done = any(r.this_round and r.level and r.meets_policy is None for r in mine)
        shown.append(DiskShown(disk, media, policy.required[media], mine, done))
    return shown


@dataclass
class CheckShown:
    """A recorded check as the device page sums it up, item labels translated."""

    record: QcRecord
    this_round: bool  # made since the device last entered qc
    failed: list[str]  # item labels, locks left out
    locks: list[str]  # what each lock still on means
    not_applicable: list[str]
    unchecked: list[str]
    passed: int
    total: int
    notes: list[tuple[str, str]]  # (item label, its note)


def _labels(template: Template | None, keys, locks: bool = False) -> list[str]:
    """Item labels in checklist order; without the locks if `locks` is set."""
    if template is None:  # a checklist version no longer in use: its keys
        return list(keys)
    return [
        term(item.label)
        for item in template.items
        if item.key in set(keys) and not (locks and item.blocker)
    ]


def latest_check(device: Device, history: lifecycle.History) -> CheckShown | None:
    """The device's latest check, whichever round it was made in.

    `device` as `devices.present` left it (with `latest_check`).
    """
    record = device.latest_check  # as `devices.present` found it
    if record is None:
        return None
    template = checklist.by_name(record.template)
    results, notes = record.items, record.item_notes or {}
    keys = template.keys if template else tuple(results)
    return CheckShown(
        record=record,
        this_round=history.qc is not None and history.qc.id == record.id,
        failed=_labels(template, [k for k in keys if results.get(k) == "fail"], True),
        locks=[
            term(item.blocked)
            for item in (template.blockers if template else ())
            if results.get(item.key) in ("fail", "na")
        ],
        not_applicable=_labels(template, [k for k in keys if results.get(k) == "na"]),
        unchecked=_labels(template, [k for k in keys if k not in results]),
        passed=sum(1 for k in keys if results.get(k) == "pass"),
        total=len(keys),
        notes=[
            (label, notes[key])
            for key in keys
            if notes.get(key)
            for label in _labels(template, [key])
        ],
    )


def failed_in(history: lifecycle.History) -> list[str]:
    """The failed items of this qc round's check, to tick on the fail_qc form."""
    items = history.qc.items if history.qc else {}
    return [key for key, result in items.items() if result == "fail"]


# The steps that take a device on its way; why one must wait is worth saying.
# (Scrapping or moving a device is not a step the bench waits for.)
NEXT_STEPS = ("finish_wipe", "submit_qc", "pass_qc", "lend")


def not_yet(device: Device, history: lifecycle.History, user: User) -> dict:
    """Step -> why not yet, for the next steps of this state the guards hold back.

    The buttons are `device.allowed_actions` (from `devices.present`); these are
    the steps `user` could take in this state, with the reasons translated.
    """
    facts = lifecycle.facts_for(device, history=history)
    waiting = {}
    for transition in workflow.TRANSITIONS:
        action = transition.action
        if (
            action not in NEXT_STEPS
            or action in device.allowed_actions
            or facts.state not in transition.sources
            or not may(user.role, transition)
        ):
            continue
        try:
            workflow.decide(facts, action, user.role)
        except workflow.Refused as exc:
            waiting[action] = [wording.sentence(reason) for reason in exc.reasons]
        except workflow.InvalidPayload:
            pass  # a payload field: the form says it when posted
    return waiting
