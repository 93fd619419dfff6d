"""What the guards may know about a device: a plain snapshot, built by the service.

Positions in the device's history are event ids: they only grow, so "erased
after the last wipe started" is a comparison of two ids, not of two clocks.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from assettrack.workflow.states import State


@dataclass(frozen=True)
class DiskFacts:
    label: str
    data_bearing: bool = True
    # Event id current when the disk's latest passed erasure was recorded.
    erased_after: int | None = None


@dataclass(frozen=True)
class PlaceFacts:
    id: int
    name: str
    kind: str  # lending, workshop, storage


@dataclass(frozen=True)
class QcFacts:
    items: Mapping[str, str]  # item -> pass | fail | na
    grade: str | None


@dataclass(frozen=True)
class LoanFacts:
    due_on: date
    renewals: int


@dataclass(frozen=True)
class DeviceFacts:
    state: State
    today: date
    location: PlaceFacts | None = None
    disks: tuple[DiskFacts, ...] = ()
    last_exposure: int = 0  # intake or return: someone's data may be on it
    last_wipe_start: int | None = None
    last_wipe_finish: int | None = None
    qc: QcFacts | None = None  # the latest check since the device entered qc
    loan: LoanFacts | None = None
    # What the action's payload names, looked up by the service.
    borrower_known: bool = False
    destination: PlaceFacts | None = None
    mandatory_qc_items: tuple[str, ...] = ()
    max_renewals: int = 2
    max_loan_days: int = 366
    payload: Mapping[str, object] = field(default_factory=dict)
