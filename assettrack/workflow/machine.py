"""Decide whether an action may happen; the service applies the decision.

Pure: no Flask, no database. `decide` either returns the transition to apply
or raises an exception that says why not and what is allowed now.
"""

from assettrack.workflow.facts import DeviceFacts
from assettrack.workflow.states import FINAL
from assettrack.workflow.states import INITIAL
from assettrack.workflow.states import State
from assettrack.workflow.transitions import TRANSITIONS
from assettrack.workflow.transitions import WHILE_IN_TRANSIT
from assettrack.workflow.transitions import Transition

ADMIN = "admin"
BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}
ACTIONS = tuple(BY_ACTION)


class InvalidDefinition(Exception):
    """The transition table contradicts itself; raised when it loads."""


class WorkflowError(Exception):
    """Base of every answer `decide` gives instead of a transition."""


class UnknownAction(WorkflowError):
    def __init__(self, action: str):
        super().__init__(f"there is no action {action!r}")
        self.action = action


class NotPermitted(WorkflowError):
    def __init__(self, action: str, role: str):
        super().__init__(f"a {role} user may not {action.replace('_', ' ')}")
        self.action, self.role = action, role


class Refused(WorkflowError):
    """The action is not possible in this state, or a guard said no."""

    def __init__(
        self, action: str, state: State, reasons: list[str], allowed: list[str]
    ):
        super().__init__(f"cannot {action.replace('_', ' ')}: " + "; ".join(reasons))
        self.action, self.state = action, state
        self.reasons, self.allowed = reasons, allowed


class InvalidPayload(WorkflowError):
    """A guard about the action's payload said no: field -> messages."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("invalid action payload")
        self.fields = fields


def may(role: str, transition: Transition) -> bool:
    return role == ADMIN or role in transition.roles


def target_of(transition: Transition, state: State) -> State:
    return transition.target or state


def _moving(facts: DeviceFacts, action: str) -> str | None:
    """Why nothing but arriving can happen to a device on its way; None if not."""
    if facts.in_transit_to is None or action in WHILE_IN_TRANSIT:
        return None
    return f"the device is in transit to {facts.in_transit_to.name}; receive it first"


def allowed(facts: DeviceFacts, role: str) -> list[str]:
    """The actions this role could take now, judged without a payload."""
    return [
        t.action
        for t in TRANSITIONS
        if facts.state in t.sources
        and may(role, t)
        and not _moving(facts, t.action)
        and not any(gd.field is None and gd(facts) for gd in t.guards)
    ]


def decide(facts: DeviceFacts, action: str, role: str) -> Transition:
    """The transition `action` makes from `facts`, or an exception saying why not.

    :raises UnknownAction: no such action.
    :raises NotPermitted: the role may never take this action.
    :raises Refused: wrong state, or a guard on the device said no (409).
    :raises InvalidPayload: a guard on the payload said no (422).
    """
    transition = BY_ACTION.get(action)
    if transition is None:
        raise UnknownAction(action)
    if not may(role, transition):
        raise NotPermitted(action, role)
    if facts.state not in transition.sources:
        reason = f"not possible while the device is {facts.state.value}"
        raise Refused(action, facts.state, [reason], allowed(facts, role))
    if reason := _moving(facts, action):
        raise Refused(action, facts.state, [reason], allowed(facts, role))
    device_reasons = [
        r for gd in transition.guards if gd.field is None and (r := gd(facts))
    ]
    if device_reasons:
        raise Refused(action, facts.state, device_reasons, allowed(facts, role))
    fields: dict[str, list[str]] = {}
    for gd in transition.guards:
        if gd.field is not None and (problem := gd(facts)):
            fields.setdefault(gd.field, []).append(problem)
    if fields:
        raise InvalidPayload(fields)
    return transition


def replay(actions: list[str]) -> State:
    """The state a history of accepted actions leads to (intake first)."""
    state = INITIAL
    for action in actions[1:]:
        state = target_of(BY_ACTION[action], state)
    return state


def _validate_table() -> None:
    """Check the table when it loads: every state reachable, end states final."""
    seen, frontier = {INITIAL}, [INITIAL]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in t.sources:
                nxt = target_of(t, state)
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
    problems = []
    if unreachable := set(State) - seen:
        problems.append(f"unreachable states: {sorted(s.value for s in unreachable)}")
    if leaving := [t.action for t in TRANSITIONS if t.sources & FINAL]:
        problems.append(f"actions leave a final state: {leaving}")
    if len(BY_ACTION) != len(TRANSITIONS):
        problems.append("an action appears twice")
    if nobody := [t.action for t in TRANSITIONS if not t.roles]:
        problems.append(f"nobody may perform: {nobody}")
    if problems:
        raise InvalidDefinition("; ".join(problems))


_validate_table()


def table_markdown() -> str:
    """The transition table as Markdown, as the README shows it."""
    lines = [
        "| from | action | to | who (besides admin) | guards |",
        "|---|---|---|---|---|",
    ]
    order = list(State)
    for t in TRANSITIONS:
        sources = ", ".join(s.value for s in sorted(t.sources, key=order.index))
        target = t.target.value if t.target else "(stays)"
        roles = ", ".join(sorted(t.roles))
        guards = ", ".join(g.name for g in t.guards) or "—"
        lines.append(f"| {sources} | `{t.action}` | {target} | {roles} | {guards} |")
    return "\n".join(lines)
