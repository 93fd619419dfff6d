"""One health report: every collector's output under a new report id.

`collect()` is what `show` prints and what `report`/`run` spool and post to
POST /api/v1/agent/reports (`cli.py`, `spool.py`, `sender.py`). Each
collector is isolated: one that fails leaves its section empty with a reason,
never the whole report. docs/agent-report.md describes every field.
"""

import datetime as dt
import uuid
from pathlib import Path

from assettrack.agents import AGENT_VERSION
from assettrack.agents import battery
from assettrack.agents import commands
from assettrack.agents import disks
from assettrack.agents import identity
from assettrack.agents import smart
from assettrack.agents import system

SCHEMA = "assettrack-agent-report/1"


def collect(
    root: str | Path = "/",
    runner: smart.Runner = smart.run_smartctl,
    now: dt.datetime | None = None,
    platform: str | None = None,
    tools: commands.Runner = commands.run,
) -> dict:
    """The report this device would send now; reads only, writes nothing.

    `platform` (default `sys.platform`) and `tools` (ioreg, powercfg, ...)
    let tests collect a Mac's or a Windows laptop's report from recordings.
    """
    now = now or dt.datetime.now(dt.UTC)
    report: dict = {
        "schema": SCHEMA,
        "report_id": str(uuid.uuid4()),
        "collected_at": now.isoformat(timespec="seconds"),
        "agent_version": AGENT_VERSION,
    }
    missing: dict[str, str] = {}
    sections = {
        "machine": lambda: identity.machine(root, platform, tools),
        "os": lambda: _merged(identity.operating_system(root), system.boot()),
        "cpu": lambda: system.cpu(root),
        "memory": lambda: system.memory(root),
        "charge": system.charge,
    }
    for key, section in sections.items():
        try:
            report[key] = section()
        except Exception:  # noqa: BLE001 - one broken reader must not lose the report
            report[key], missing[key] = None, "unreadable"
    lists = {
        "batteries": lambda: battery.collect(root, platform, tools),
        "disks": lambda: disks.collect(root, runner),
        "filesystems": system.filesystems,
        "temperatures": system.temperatures,
    }
    for key, listing in lists.items():
        try:
            report[key], reason = listing()
        except Exception:  # noqa: BLE001 - as above
            report[key], reason = [], "unreadable"
        if reason:
            missing[key] = reason
    report["missing"] = missing
    return report


def _merged(*records: dict) -> dict:
    """Several records as one, their `missing` maps joined."""
    merged: dict = {}
    missing: dict = {}
    for record in records:
        missing.update(record["missing"])
        merged.update({k: v for k, v in record.items() if k != "missing"})
    return {**merged, "missing": missing}
