"""What psutil reads on the running machine: CPU, memory, filesystems, sensors.

psutil covers every OS the agent runs on, but only the live host: these
sections are tested on the real machine, not on recorded trees.
"""

import datetime as dt
import time
from pathlib import Path

from assettrack.agents import identity
from assettrack.agents.fields import Record

# pseudo and image filesystems say nothing about the disk's free space
SKIP_FSTYPES = {"squashfs", "tmpfs", "devtmpfs", "overlay", "iso9660", "udf"}


def _psutil():
    try:
        import psutil
    except ImportError:  # the agent extra was not installed
        return None
    return psutil


def cpu(root: str | Path = "/") -> dict:
    record = Record()
    record.put("model", *identity.cpu_model(root))
    psutil = _psutil()
    if psutil is None:
        record.lack("tool_missing", "cores", "threads")
    else:
        record.put("cores", psutil.cpu_count(logical=False))
        record.put("threads", psutil.cpu_count(logical=True))
    return record.as_dict()


def memory(root: str | Path = "/") -> dict:
    record = Record()
    record.put("installed_bytes", *identity.installed_memory(root))
    psutil = _psutil()
    if psutil is None:
        record.lack("tool_missing", "usable_bytes", "swap_bytes")
    else:
        record.put("usable_bytes", psutil.virtual_memory().total)
        record.put("swap_bytes", psutil.swap_memory().total)
    return record.as_dict()


def filesystems() -> tuple[list[dict], str | None]:
    psutil = _psutil()
    if psutil is None:
        return [], "tool_missing"
    found = []
    for part in psutil.disk_partitions(all=False):
        if part.fstype in SKIP_FSTYPES or part.mountpoint.startswith("/snap/"):
            continue
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError:
            continue
        found.append(
            Record(
                mount=part.mountpoint,
                device=part.device or None,
                fstype=part.fstype or None,
                total_bytes=usage.total,
                free_bytes=usage.free,
            ).as_dict()
        )
    return found, (None if found else "not_present")


def temperatures() -> tuple[list[dict], str | None]:
    """Every sensor with the limits the sensor itself declares."""
    psutil = _psutil()
    if psutil is None:
        return [], "tool_missing"
    if not hasattr(psutil, "sensors_temperatures"):
        return [], "unsupported_os"
    found = []
    for chip, readings in sorted(psutil.sensors_temperatures().items()):
        for index, reading in enumerate(readings):
            found.append(
                Record(
                    sensor=f"{chip}/{reading.label or index}",
                    current_c=reading.current,
                    high_c=reading.high,
                    critical_c=reading.critical,
                ).as_dict()
            )
    return found, (None if found else "not_present")


def charge() -> dict:
    """Current charge and mains power (psutil sees only the first battery)."""
    record = Record()
    psutil = _psutil()
    if psutil is None or not hasattr(psutil, "sensors_battery"):
        record.lack(
            "tool_missing" if psutil is None else "unsupported_os",
            "percent",
            "power_plugged",
        )
        return record.as_dict()
    battery = psutil.sensors_battery()
    if battery is None:
        record.lack("no_battery", "percent", "power_plugged")
    else:
        record.put("percent", round(battery.percent, 1))
        record.put("power_plugged", battery.power_plugged)
    return record.as_dict()


def boot() -> dict:
    record = Record()
    psutil = _psutil()
    if psutil is None:
        record.lack("tool_missing", "boot_time", "uptime_s")
        return record.as_dict()
    booted = psutil.boot_time()
    record.put("boot_time", _iso(booted))
    record.put("uptime_s", int(time.time() - booted))
    return record.as_dict()


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")
