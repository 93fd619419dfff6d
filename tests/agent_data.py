"""Reports as the agent builds them from the recorded machines in tests/fixtures/agent."""

import json
import uuid
from datetime import UTC
from datetime import datetime

from assettrack.agents.report import collect
from tests.test_agent_collectors import SYSFS
from tests.test_agent_collectors import no_smartctl
from tests.test_agent_collectors import recorded_smartctl

_seq = iter(range(1, 10**6))


def recorded_report(machine: str = "laptop-healthy", smartctl: bool = True) -> dict:
    """What the agent would send from the recorded `machine`, as JSON carries it."""
    runner = recorded_smartctl if smartctl else no_smartctl
    report = json.loads(json.dumps(collect(root=SYSFS / machine, runner=runner)))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {**report, "seq": next(_seq), "collected_at": now, "sent_at": now}


def fresh(report: dict) -> dict:
    """The same machine's next report: a new id and sequence number."""
    return {**report, "report_id": str(uuid.uuid4()), "seq": next(_seq)}


def with_disks(report: dict, *serials: str) -> dict:
    """The report with only its first disk, once per serial given."""
    first = report["disks"][0]
    return {**report, "disks": [{**first, "serial": s} for s in serials]}
