"""What the guards may know about a device: a plain snapshot, built by the service.

Positions in the device's history are event ids: they only grow, so "erased
after the last wipe started" is a comparison of two ids, not of two clocks.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from assettrack.workflow.checklist import Template
from assettrack.workflow.erasure import Level
from assettrack.workflow.erasure import Media
from assettrack.workflow.states import State


@dataclass(frozen=True)
class Erased:
    """A disk's latest passing erasure of one level: when in the history, and how."""

    position: int  # the event id current when it was recorded
    technique: str


@dataclass(frozen=True)
class DiskFacts:
    """One disk still in the device (a removed disk needs no wipe)."""

    label: str
    data_bearing: bool = True
    media: Media = Media.OTHER
    needs: Level = Level.PURGE  # the level the policy requires for this media
    # Per level reached, the latest passing erasure (outcome erased, verification
    # not failed) of that level; the guards keep those of the current cycle.
    erased: Mapping[Level, Erased] = field(default_factory=dict)


@dataclass(frozen=True)
class PlaceFacts:
    id: int
    name: str
    kind: str  # lending, workshop, storage


@dataclass(frozen=True)
class QcFacts:
    """The latest check since the device entered qc, and what it was checked against.

    `template`: None when the check names a checklist this version no longer has.
    `lendability`: the class `workflow.lendability` gave it when it was recorded.
    """

    items: Mapping[str, str]  # item -> pass | fail | na
    grade: str | None
    template: Template | None = None
    lendability: str | None = None
    lendability_reasons: tuple[str, ...] = ()  # those that limit the class


@dataclass(frozen=True)
class LoanFacts:
    due_on: date
    renewals: int


@dataclass(frozen=True)
class BorrowerFacts:
    """What lending needs to know of the borrower a lend names: never who they are."""

    anonymised: bool = False
    open_loans: int = 0
    in_basket: int = 0  # devices the desk is about to lend them along with this one
    overdue_since: date | None = None  # the due date of their oldest overdue loan


@dataclass(frozen=True)
class DeviceFacts:
    state: State
    today: date
    location: PlaceFacts | None = None
    in_transit_to: PlaceFacts | None = None  # sent there, not received yet
    disks: tuple[DiskFacts, ...] = ()
    last_exposure: int = 0  # intake or return: someone's data may be on it
    last_wipe_start: int | None = None
    last_wipe_finish: int | None = None
    qc: QcFacts | None = None  # the latest check since the device entered qc
    loan: LoanFacts | None = None
    # What the action's payload names, looked up by the service.
    borrower_known: bool = False
    borrower: BorrowerFacts | None = None
    destination: PlaceFacts | None = None
    # From the loan policy of the device's lending point and kind.
    max_renewals: int = 2
    max_open_loans: int = 1
    agreement_version: int | None = None  # the agreement a lend must have accepted
    max_loan_days: int = 366
    payload: Mapping[str, object] = field(default_factory=dict)
