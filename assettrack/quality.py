"""The quality check: a device's checklist, its recorded checks and lendability.

A tester may save a check halfway; whether it is complete enough to pass is the
`quality_check_passed` guard's question, asked at `pass_qc`.
"""

import sqlalchemy as sa

from assettrack import intake
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import QcRecord
from assettrack.models import User
from assettrack.problems import Refusal
from assettrack.workflow import checklist
from assettrack.workflow import lendability
from assettrack.workflow.checklist import Template


def template_for(device: Device) -> Template:
    """The checklist this device is checked against now.

    :raises Refusal: 409 when its kind has no checklist (kind "other").
    """
    template = checklist.for_kind(device.kind)
    if template is None:
        raise Refusal(
            "device",
            f"there is no quality-check checklist for a device of kind {device.kind}",
            409,
        )
    return template


def _storage_gb(device: Device) -> float | None:
    """The specs' storage, else the sum of its data-bearing disks when all are known."""
    if device.specs.get("storage_gb") is not None:
        return device.specs["storage_gb"]
    sizes = [
        disk.size_gb
        for disk in device.disks
        if disk.data_bearing and disk.removed_at is None
    ]
    if not sizes or None in sizes:
        return None
    return sum(sizes)


def machine_of(device: Device, template: Template) -> lendability.Machine:
    """What the lendability rules know of the device's hardware."""
    specs = device.specs or {}
    return lendability.Machine(
        kind=template.kind,
        ram_gb=specs.get("ram_gb"),
        storage_gb=_storage_gb(device),
        battery_health_pct=specs.get("battery_health_pct"),
    )


def _problems(template: Template, results: dict[str, str]) -> list[str]:
    unknown = [key for key in results if template.item(key) is None]
    problems = []
    if unknown:
        problems.append(f"not on the {template.name} checklist: " + ", ".join(unknown))
    for key, result in results.items():
        item = template.item(key)
        if item is None or result != "na" or item.na_allowed:
            continue
        if item.blocker:
            problems.append(f"{key} is a blocker: check it, it cannot be na")
        else:
            problems.append(f"{key} cannot be na on a {template.kind}")
    return problems


def record_qc(device: Device, data: dict, tester: User) -> QcRecord:
    """Record a (possibly partial) check with the lendability it leads to.

    `data["items"]`: key -> {"result": pass | fail | na, "note": text}.
    :raises Refusal: 409 outside qc; 422 naming an item the checklist lacks, or
        one that cannot be na.
    """
    if device.state != "qc":
        raise Refusal(
            "device", f"a quality check is recorded in qc, not {device.state}", 409
        )
    template = template_for(device)
    given = data["items"]
    results = {key: given[key]["result"] for key in given}
    if problems := _problems(template, results):
        raise Refusal("items", "; ".join(problems))
    # In checklist order, so a record reads like the form.
    ordered = [key for key in template.keys if key in results]
    assessed = lendability.assess(
        machine_of(device, template), template, results, data["grade"]
    )
    record = QcRecord(
        tester_id=tester.id,
        template=template.name,
        items={key: results[key] for key in ordered},
        item_notes={key: given[key]["note"] for key in ordered if given[key]["note"]},
        grade=data["grade"],
        notes=data["notes"],
        lendability=assessed.lendability,
        lendability_reasons=[reason.as_dict() for reason in assessed.reasons],
        rules_version=assessed.rules_version,
    )
    intake._record(device, record)  # one commit, tied to the history
    return record


def checks_of(device: Device) -> list[QcRecord]:
    """The device's recorded checks, newest first."""
    return list(
        db.session.scalars(
            sa.select(QcRecord)
            .where(QcRecord.device_id == device.id)
            .order_by(QcRecord.id.desc())
        )
    )
