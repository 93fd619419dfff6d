"""The agent's state directory: its enrolment, its report counter, its lock.

Everything the agent keeps lives in one folder its user owns (mode 0700):
`enrolment.json` holds the device token and is created mode 0600 from the
start, so it is never readable by others, not even for a moment. Every file
is written whole or not at all (temporary file, fsync, rename), so a power
cut or a kill leaves the old version or the new one, never half of either.
"""

import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "ASSETTRACK_AGENT_STATE"
ENROLMENT = "enrolment.json"
SETTINGS = "settings.json"
REVOKED = "revoked.json"
SEQ = "seq"
LOCK = "lock"
DEFAULT_INTERVAL_S = 3600
# whatever the server says, never report more often than this or less often
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 7 * 24 * 3600


class Busy(Exception):
    """Another agent process is using this state directory."""


@dataclass(frozen=True)
class Enrolment:
    server: str
    asset_tag: str
    device_token: str

    @property
    def reports_url(self) -> str:
        return f"{self.server}/api/v1/agent/reports"


def default_dir() -> Path:
    """$ASSETTRACK_AGENT_STATE, else the user's own state folder for this OS."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "assettrack-agent"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "assettrack-agent"
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "assettrack-agent"


def prepare(directory: Path) -> Path:
    """The state directory, created user-only when it does not exist yet."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """`path` holds `data` whole, or keeps what it held: tmp, fsync, rename.

    The temporary file is created with `mode` (O_EXCL), so a secret is never
    readable by others, even before the rename.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # left by an earlier process with our pid that was killed
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, mode)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # whatever the umask left
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, path)
    _sync_dir(path.parent)


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no directory fsync)."""
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, value: dict, mode: int = 0o600) -> None:
    write_atomic(path, json.dumps(value, indent=2).encode() + b"\n", mode)


def read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return value if isinstance(value, dict) else None


# --- enrolment ------------------------------------------------------------


def save_enrolment(directory: Path, enrolment: Enrolment) -> None:
    write_json(
        directory / ENROLMENT,
        {
            "server": enrolment.server,
            "asset_tag": enrolment.asset_tag,
            "device_token": enrolment.device_token,
            "enrolled_at": _now(),
        },
    )
    (directory / REVOKED).unlink(missing_ok=True)


def load_enrolment(directory: Path) -> Enrolment | None:
    try:
        data = read_json(directory / ENROLMENT)
    except ValueError:
        return None
    if not data:
        return None
    try:
        return Enrolment(
            str(data["server"]), str(data["asset_tag"]), str(data["device_token"])
        )
    except KeyError:
        return None


def mark_revoked(directory: Path, enrolment: Enrolment, message: str) -> None:
    """Forget the token; remember why, so the next run says so instead of 'enrol'."""
    write_json(
        directory / REVOKED,
        {
            "revoked_at": _now(),
            "server": enrolment.server,
            "asset_tag": enrolment.asset_tag,
            "message": message,
        },
    )
    (directory / ENROLMENT).unlink(missing_ok=True)


def revoked(directory: Path) -> dict | None:
    try:
        return read_json(directory / REVOKED)
    except ValueError:
        return {}


# --- the server's report interval -----------------------------------------


def interval(directory: Path) -> int:
    """Seconds between reports, as the server last said."""
    try:
        data = read_json(directory / SETTINGS) or {}
    except ValueError:
        data = {}
    return clamp_interval(data.get("report_interval_s"))


def save_interval(directory: Path, seconds: object) -> int:
    seconds = clamp_interval(seconds)
    if seconds != interval(directory):
        write_json(directory / SETTINGS, {"report_interval_s": seconds})
    return seconds


def clamp_interval(seconds: object) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return DEFAULT_INTERVAL_S
    return int(min(MAX_INTERVAL_S, max(MIN_INTERVAL_S, seconds)))


# --- the report counter ---------------------------------------------------


def next_seq(directory: Path, at_least: int = 0) -> int:
    """The next report's number: one more than any before it on this device.

    `at_least` is the highest number still in the spool, so a lost counter
    file never makes a number come round twice.
    """
    try:
        last = int((directory / SEQ).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        last = 0
    seq = max(last, at_least) + 1
    write_atomic(directory / SEQ, f"{seq}\n".encode(), mode=0o600)
    return seq


# --- one agent at a time --------------------------------------------------


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the state directory for this process; Busy when another has it.

    The lock is an OS file lock, so a killed process never leaves it held.
    """
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(fd)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _lock(fd: int) -> None:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        raise Busy(str(error)) from error


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
