"""The device lifecycle: states, the transition table, guards and `decide`.

Pure Python on purpose: it decides, `assettrack.lifecycle` applies.
"""

from assettrack.workflow.facts import BorrowerFacts
from assettrack.workflow.facts import DeviceFacts
from assettrack.workflow.facts import DiskFacts
from assettrack.workflow.facts import Erased
from assettrack.workflow.facts import LoanFacts
from assettrack.workflow.facts import PlaceFacts
from assettrack.workflow.facts import QcFacts
from assettrack.workflow.machine import ACTIONS
from assettrack.workflow.machine import BY_ACTION
from assettrack.workflow.machine import InvalidPayload
from assettrack.workflow.machine import NotPermitted
from assettrack.workflow.machine import Refused
from assettrack.workflow.machine import UnknownAction
from assettrack.workflow.machine import WorkflowError
from assettrack.workflow.machine import allowed
from assettrack.workflow.machine import decide
from assettrack.workflow.machine import replay
from assettrack.workflow.machine import table_markdown
from assettrack.workflow.machine import target_of
from assettrack.workflow.states import FINAL
from assettrack.workflow.states import INITIAL
from assettrack.workflow.states import INTAKE
from assettrack.workflow.states import State
from assettrack.workflow.transitions import TRANSITIONS

__all__ = [
    "ACTIONS",
    "BY_ACTION",
    "BorrowerFacts",
    "DeviceFacts",
    "DiskFacts",
    "Erased",
    "FINAL",
    "INITIAL",
    "INTAKE",
    "InvalidPayload",
    "LoanFacts",
    "NotPermitted",
    "PlaceFacts",
    "QcFacts",
    "Refused",
    "State",
    "TRANSITIONS",
    "UnknownAction",
    "WorkflowError",
    "allowed",
    "decide",
    "replay",
    "table_markdown",
    "target_of",
]
