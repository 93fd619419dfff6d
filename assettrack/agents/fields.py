"""One shape for every reported object: plain fields, and why some are null.

Every object in a report (the report's sections, each battery, each disk)
carries a `missing` map naming each of its null fields with a reason code, so
the service can tell "this laptop has no battery" from "we were not allowed to
read it" without guessing. docs/agent-report.md lists the codes.
"""

import json
from pathlib import Path

# The only reasons a field may be null; the service validates against these.
REASONS = {
    "no_battery": "the device has no battery",
    "not_present": "the hardware or driver does not report this value",
    "not_applicable": "the value does not exist for this kind of component",
    "permission_denied": "the agent's user may not read it (needs root)",
    "tool_missing": "the program that reads it (smartctl) is not installed",
    "unreadable": "the source exists but gave no usable answer",
    "unsupported_os": "not collected on this operating system",
    "timeout": "the source did not answer in time",
}


class Record:
    """Fields of one reported object; a null field always says why."""

    def __init__(self, **values):
        self.values: dict = {}
        self.missing: dict[str, str] = {}
        for key, value in values.items():
            self.put(key, value)

    def put(self, key: str, value, reason: str | None = None) -> None:
        """Set `key`; when `value` is None, `reason` (default not_present) says why."""
        if value is None:
            assert (reason or "not_present") in REASONS, reason
            self.missing[key] = reason or "not_present"
        else:
            self.missing.pop(key, None)
        self.values[key] = value

    def lack(self, reason: str, *keys: str) -> None:
        """Mark several fields null for one reason."""
        for key in keys:
            self.put(key, None, reason)

    def as_dict(self) -> dict:
        return {**self.values, "missing": dict(self.missing)}


def read_text(path: Path) -> tuple[str | None, str | None]:
    """The stripped text of a sysfs-like file, or None and why it could not be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except FileNotFoundError:
        return None, "not_present"
    except PermissionError:
        return None, "permission_denied"
    except OSError:  # sysfs answers EIO/ENODATA for values the firmware lacks
        return None, "unreadable"
    return (text, None) if text else (None, "not_present")


def read_int(path: Path) -> tuple[int | None, str | None]:
    """A whole number from a sysfs-like file, or None and why."""
    text, reason = read_text(path)
    if text is None:
        return None, reason
    try:
        return int(text), None
    except ValueError:
        return None, "unreadable"


def under(root: str | Path, absolute: str) -> Path:
    """`absolute` (e.g. "/sys/class/dmi/id") inside `root`; tests use fixture roots."""
    return Path(root) / absolute.lstrip("/")


def json_object(text: str | bytes | None) -> dict:
    """A tool's or the server's JSON output as an object; anything else is {}."""
    try:
        value = json.loads(text or "{}")
    except ValueError:  # not JSON (UnicodeDecodeError is one too)
        return {}
    return value if isinstance(value, dict) else {}
