"""The states a device can be in."""

from enum import StrEnum


class State(StrEnum):
    received = "received"
    wiping = "wiping"
    refurbishing = "refurbishing"
    qc = "qc"
    ready = "ready"
    lent = "lent"
    returned = "returned"
    repair = "repair"
    scrapped = "scrapped"
    lost = "lost"


INITIAL = State.received
FINAL = frozenset({State.scrapped, State.lost})

# Intake is recorded as an event too, so replaying a device's events from the
# first one gives its current state.
INTAKE = "register"
