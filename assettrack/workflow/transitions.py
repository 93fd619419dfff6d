"""THE lifecycle table: one row per action, as in DESIGN.md.

Admins may perform every action; the roles column names who else may.
"""

from dataclasses import dataclass

from assettrack.workflow import guards as g
from assettrack.workflow.states import State as S


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[S]
    target: S | None  # None: the device stays in the state it is in
    roles: frozenset[str]
    guards: tuple[g.Guard, ...] = ()


def row(action, sources, target, roles, *guards) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), guards)


REPAIR, DESK, COORD = "repair", "desk", "coordinator"
# refurbishing too: a device repaired before its wipe, or given a disk after it,
# must be wiped (again) before QC; DESIGN.md's table lacked that way back.
_NEEDS_WIPE = {S.received, S.returned, S.refurbishing}
_WORKING = {S.received, S.wiping, S.refurbishing, S.qc, S.ready, S.returned}
_NOT_OUT = set(S) - {S.lent, S.scrapped, S.lost}
# A transfer is two scans: `transfer` sends the device (it is in transit, at
# neither place), `receive` takes it in. `relocate` records a device found
# where the records do not have it (a stock-take's correction). While a device
# is in transit only these two may happen to it.
WHILE_IN_TRANSIT = frozenset({"receive", "relocate"})

# fmt: off
TRANSITIONS = (
    #   action            from                       to              who may                  guards
    row("start_wipe",     _NEEDS_WIPE,               S.wiping,       {REPAIR}),
    row("finish_wipe",    {S.wiping},                S.refurbishing, {REPAIR},                g.disks_erased_this_cycle),
    row("submit_qc",      {S.refurbishing},          S.qc,           {REPAIR},                g.wipe_current),
    row("pass_qc",        {S.qc},                    S.ready,        {REPAIR},                g.quality_check_passed),
    row("fail_qc",        {S.qc},                    S.refurbishing, {REPAIR},                g.failed_item_named),
    row("lend",           {S.ready},                 S.lent,         {DESK},                  g.at_lending_location, g.wipe_current, g.borrower_known, g.borrower_not_overdue, g.borrower_under_max_loans, g.agreement_accepted, g.due_date_in_future),
    row("renew",          {S.lent},                  None,           {DESK},                  g.renewals_left, g.due_date_later_than_current),
    row("return",         {S.lent},                  S.returned,     {DESK}),
    row("send_to_repair", _WORKING,                  S.repair,       {REPAIR, DESK, COORD},   g.reason_given),
    row("finish_repair",  {S.repair},                S.refurbishing, {REPAIR}),
    row("scrap",          _NOT_OUT,                  S.scrapped,     {REPAIR, COORD},         g.disks_wiped_or_destroyed),
    row("report_lost",    {S.lent},                  S.lost,         {DESK, COORD}),
    row("transfer",       _NOT_OUT,                  None,           {COORD, REPAIR, DESK},   g.destination_given),
    row("receive",        _NOT_OUT,                  None,           {COORD, REPAIR, DESK},   g.in_transit, g.destination_given),
    row("relocate",       _NOT_OUT,                  None,           {COORD, REPAIR, DESK},   g.destination_given),
)
# fmt: on
