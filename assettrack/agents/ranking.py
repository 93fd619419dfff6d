"""Where a device goes in the repair queue, from its findings.

Score (research/agents.md section c): `health_score = max(0, 100 - sum of
penalties)`, P0 = 60, P1 = 25, P2 = 10, P3 = 2, each rule once (at its most
urgent level); `priority` is the most urgent level found.

Categories, from the findings that need work (P0-P2; P3 is informational):

- `parts_donor`: not worth repairing. Either a serious (P0/P1) finding whose
  repair is "parts" (a soldered part failed: the board is the part), or serious
  findings in two or more components none of the cheap swaps fixes, or three or
  more different cheap swaps with at least one serious finding (a failed disk
  plus a worn-out battery plus RAM below 4 GB costs more than a donated laptop
  is worth). A stale erasure is a re-wipe, not a repair: it never makes a donor.
- `quick_win`: every P0-P2 finding is fixed by a cheap swap (battery, RAM,
  SSD, CMOS coin cell, fan cleaning) and at most two different swaps.
- `repair`: anything else with a P0-P2 finding.
- `healthy`: only P3 findings, or none.

The queue sorts most urgent first: priority, then the lower health score, then
quick wins before repairs before donors (a quick win gives a device back
soonest). Grouping quick wins apart from donors is the page's job.
"""

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass

PENALTY = {0: 60, 1: 25, 2: 10, 3: 2}
CHEAP_REPAIRS = {"battery", "ram", "ssd", "cmos_battery", "clean_fan"}
MAX_QUICK_SWAPS = 2  # more different swaps than this is no longer a quick win
DONOR_SWAPS = 3  # this many different swaps plus a serious finding: parts donor
CATEGORY_ORDER = {"quick_win": 0, "repair": 1, "parts_donor": 2, "healthy": 3}
NOTHING = 4  # sorts after P3: a device with no finding


@dataclass(frozen=True)
class Rank:
    priority: int | None  # most urgent P-level; None = nothing found
    health_score: int
    category: str
    reasons: tuple[str, ...]  # rule ids, most important first

    def as_dict(self) -> dict:
        return {
            "priority": self.priority,
            "health_score": self.health_score,
            "category": self.category,
            "reasons": list(self.reasons),
        }


def rank(found: Sequence) -> Rank:
    """The rank of one device; takes Findings or their stored dicts."""
    facts = [_fact(f) for f in found]
    worst: dict[str, int] = {}
    for rule, priority, _, _ in facts:
        worst[rule] = min(priority, worst.get(rule, priority))
    reasons = tuple(sorted(worst, key=lambda rule: worst[rule]))  # stable
    score = max(0, 100 - sum(PENALTY[p] for p in worst.values()))
    return Rank(
        priority=min(worst.values()) if worst else None,
        health_score=score,
        category=_category(facts),
        reasons=reasons,
    )


def queue_key(rank: Rank) -> tuple:
    """Sort key: most urgent first."""
    priority = NOTHING if rank.priority is None else rank.priority
    return (priority, rank.health_score, CATEGORY_ORDER.get(rank.category, 9))


def _category(facts: list[tuple[str, int, str, str]]) -> str:
    urgent = [f for f in facts if f[1] <= 2]
    if not urgent:
        return "healthy"
    serious = [f for f in urgent if f[1] <= 1 and f[2] != "erasure"]
    swaps = {repair for _, _, _, repair in urgent if repair in CHEAP_REPAIRS}
    costly = {part for _, _, part, repair in serious if repair not in CHEAP_REPAIRS}
    if (
        any(repair == "parts" for _, _, _, repair in serious)
        or len(costly) >= 2
        or (serious and len(swaps) >= DONOR_SWAPS)
    ):
        return "parts_donor"
    if all(f[3] in CHEAP_REPAIRS for f in urgent) and len(swaps) <= MAX_QUICK_SWAPS:
        return "quick_win"
    return "repair"


def _fact(finding) -> tuple[str, int, str, str]:
    """(rule, priority, component, repair) of a Finding or its dict."""
    if isinstance(finding, Mapping):
        get = finding.get
    else:

        def get(key):
            return getattr(finding, key, None)

    priority = get("priority")
    if isinstance(priority, bool) or priority not in PENALTY:
        priority = 3
    return (
        str(get("rule")),
        priority,
        str(get("component")),
        str(get("repair")),
    )
