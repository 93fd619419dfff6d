"""A reporting period: from one date up to (not including) another, local time.

Dates are Belgian calendar dates: a device registered at 00:30 on 1 January in
Brussels counts for the new year, though it is still 31 December in UTC.
"""

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

from flask import current_app


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # not included

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @property
    def timezone(self) -> str:
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Europe/Brussels"

    def bounds(self) -> tuple[datetime, datetime]:
        """The aware instants the period runs between: [start, end)."""
        zone = ZoneInfo(self.timezone)
        return (
            datetime.combine(self.start, time(), zone),
            datetime.combine(self.end, time(), zone),
        )
