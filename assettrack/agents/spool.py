"""Reports waiting to be sent: written to disk before any sending, oldest first.

A report is a file `<seq:010d>-<report_id>.json` in `<state>/spool`, written
whole (tmp + fsync + rename) as soon as it is collected and deleted only once
the server said it has it. So a report survives a dead network, a reboot or a
kill in the middle of sending, and the file name keeps the sending order.
When the spool is full (50 reports or 5 MB) the oldest reports go, never the
newest. A report the server can never accept moves to `<state>/rejected`
with the server's answer beside it, for a person to look at.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

from assettrack.agents.state import write_atomic
from assettrack.agents.state import write_json

MAX_REPORTS = 50
MAX_BYTES = 5 * 1024 * 1024
NAME = re.compile(r"^(\d{10})-([0-9a-fA-F-]{36})\.json$")


@dataclass(frozen=True)
class Spooled:
    path: Path
    seq: int
    report_id: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


class Spool:
    def __init__(
        self,
        state_dir: Path,
        max_reports: int = MAX_REPORTS,
        max_bytes: int = MAX_BYTES,
    ):
        self.directory = state_dir / "spool"
        self.rejected_dir = state_dir / "rejected"
        self.max_reports, self.max_bytes = max_reports, max_bytes

    def add(self, report: dict) -> tuple[Spooled, list[Spooled]]:
        """Write `report` (it has its seq and report_id); the reports dropped to fit."""
        seq, report_id = int(report["seq"]), str(report["report_id"])
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.directory / f"{seq:010d}-{report_id}.json"
        write_atomic(path, json.dumps(report, separators=(",", ":")).encode())
        return Spooled(path, seq, report_id), self._fit()

    def pending(self) -> list[Spooled]:
        """The waiting reports, oldest (lowest seq) first."""
        try:
            names = sorted(p.name for p in self.directory.iterdir())
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            match = NAME.match(name)
            if match:
                found.append(Spooled(self.directory / name, int(match[1]), match[2]))
        return found

    def highest_seq(self) -> int:
        waiting = self.pending()
        return waiting[-1].seq if waiting else 0

    @staticmethod
    def load(item: Spooled) -> dict:
        """The stored report; ValueError when the file is not a report."""
        report = json.loads(item.path.read_text(encoding="utf-8"))
        if not isinstance(report, dict):
            raise ValueError("not a JSON object")
        return report

    @staticmethod
    def remove(item: Spooled) -> None:
        item.path.unlink(missing_ok=True)

    def reject(self, item: Spooled, answer: dict) -> Path:
        """Move a report the server will never accept aside, with its answer."""
        self.rejected_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self.rejected_dir / item.path.name
        write_json(target.with_suffix(".answer.json"), answer)
        item.path.replace(target)
        return target

    def clear(self) -> int:
        waiting = self.pending()
        for item in waiting:
            self.remove(item)
        return len(waiting)

    def clean_leftovers(self) -> None:
        """Temporary files of a write that was killed before its rename."""
        if self.directory.is_dir():
            for leftover in self.directory.glob(".*.tmp"):
                leftover.unlink(missing_ok=True)

    def _fit(self) -> list[Spooled]:
        """Drop the oldest reports until the caps hold; the newest always stays."""
        waiting = self.pending()
        sizes = [item.size for item in waiting]
        dropped = []
        while len(waiting) > 1 and (
            len(waiting) > self.max_reports or sum(sizes) > self.max_bytes
        ):
            oldest = waiting.pop(0)
            sizes.pop(0)
            self.remove(oldest)
            dropped.append(oldest)
        return dropped
