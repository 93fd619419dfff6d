"""Disk health from `smartctl --json` (smartmontools 7.0 or newer).

`smartctl --scan-open --json` lists the disks, then `smartctl --json -a` reads
each. The runner is a parameter so tests feed recorded outputs through this
same parser. Without root smartctl cannot open disks: that is a reason on the
disk, never a crash; without smartctl every SMART field says `tool_missing`.
"""

import re
import subprocess
from collections.abc import Callable

from assettrack.agents.fields import Record
from assettrack.agents.fields import json_object

# (exit status, stdout); raises FileNotFoundError when smartctl is not installed
Runner = Callable[[list[str]], tuple[int, str]]

TIMEOUT_S = 30
# ATA attribute id -> report field: the Backblaze five
ATA_FIELDS = {
    5: "reallocated_sectors",
    187: "reported_uncorrectable",
    188: "command_timeouts",
    197: "pending_sectors",
    198: "offline_uncorrectable",
}
# NVMe SMART/Health log key -> report field
NVME_FIELDS = {
    "critical_warning": "nvme_critical_warning",
    "available_spare": "nvme_available_spare_pct",
    "available_spare_threshold": "nvme_spare_threshold_pct",
    "percentage_used": "nvme_percentage_used",
    "media_errors": "nvme_media_errors",
    "unsafe_shutdowns": "nvme_unsafe_shutdowns",
}
SMART_FIELDS = [
    "model",
    "serial",
    "firmware",
    "size_bytes",
    "rotational",
    "rotation_rpm",
    "interface",
    "smart_passed",
    "power_on_hours",
    "temperature_c",
    *ATA_FIELDS.values(),
    *NVME_FIELDS.values(),
]


class SmartctlMissing(Exception):
    """smartctl is not installed on this device."""


def run_smartctl(args: list[str]) -> tuple[int, str]:
    """Run the real smartctl; no shell, fixed timeout."""
    done = subprocess.run(  # noqa: S603 - fixed program, argv from smartctl's own scan
        ["smartctl", *args],  # noqa: S607 - found on PATH like any admin tool
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return done.returncode, done.stdout


def collect(runner: Runner = run_smartctl) -> tuple[list[dict], str | None]:
    """One record per disk smartctl can see, and why the list is empty when it is."""
    try:
        _, scan_out = runner(["--scan-open", "--json"])
    except FileNotFoundError:
        return [], "tool_missing"
    except subprocess.TimeoutExpired:
        return [], "timeout"
    devices = json_object(scan_out).get("devices") or []
    disks = []
    for device in devices:
        name = device.get("name")
        if not isinstance(name, str) or not name.startswith("/dev/"):
            continue
        args = ["--json", "-a"]
        if device.get("type"):
            args += ["-d", str(device["type"])]
        try:
            status, out = runner([*args, name])
        except subprocess.TimeoutExpired:
            disks.append(unavailable(name, "timeout"))
            continue
        disks.append(parse(out, name=name, exit_status=status))
    return disks, (None if disks else "not_present")


def unavailable(name: str, reason: str, exit_status: int | None = None) -> dict:
    """A disk whose SMART data could not be read at all."""
    record = Record(name=name)
    record.put("smartctl_exit_status", exit_status, reason)
    record.lack(reason, *SMART_FIELDS)
    return record.as_dict()


def parse(text: str, name: str | None = None, exit_status: int | None = None) -> dict:
    """One disk's record from `smartctl --json -a` output."""
    data = json_object(text)
    device = data.get("device") or {}
    smartctl = data.get("smartctl") or {}
    name = name or device.get("name") or "unknown"  # the name we asked for wins
    if exit_status is None:
        exit_status = smartctl.get("exit_status")
    if not _has_identity(data):
        return unavailable(name, _why_unreadable(smartctl), exit_status)
    record = Record(name=name, smartctl_exit_status=exit_status)
    record.put("model", data.get("model_name") or data.get("product"))
    record.put("serial", data.get("serial_number"))
    record.put("firmware", data.get("firmware_version"))
    record.put("size_bytes", (data.get("user_capacity") or {}).get("bytes"))
    _kind(record, data, device)
    passed = (data.get("smart_status") or {}).get("passed")
    record.put("smart_passed", passed if isinstance(passed, bool) else None)
    record.put("power_on_hours", (data.get("power_on_time") or {}).get("hours"))
    record.put("temperature_c", (data.get("temperature") or {}).get("current"))
    _ata(record, data)
    _nvme(record, data)
    return record.as_dict()


def _has_identity(data: dict) -> bool:
    return any(key in data for key in ("model_name", "product", "smart_status"))


def _why_unreadable(smartctl: dict) -> str:
    """permission_denied when smartctl said so; else the disk is unreadable to it."""
    said = " ".join(str(m.get("string", "")) for m in smartctl.get("messages") or [])
    denied = ("permission denied", "operation not permitted")
    return (
        "permission_denied" if any(w in said.lower() for w in denied) else "unreadable"
    )


def _kind(record: Record, data: dict, device: dict) -> None:
    protocol = str(device.get("protocol") or "").lower()
    info = str(device.get("info_name") or "").lower()
    dtype = str(device.get("type") or "").lower()
    if protocol == "nvme":
        record.put("interface", "nvme")
        record.put("rotational", False)
        record.put("rotation_rpm", None, "not_applicable")
        return
    if "usb" in info or dtype.startswith("usb"):
        record.put("interface", "usb")
    elif protocol == "ata":
        record.put("interface", "sata")
    else:
        record.put("interface", protocol or None)
    rpm = data.get("rotation_rate")
    record.put("rotation_rpm", rpm if isinstance(rpm, int) else None)
    record.put("rotational", None if rpm is None else rpm > 0)


def _ata(record: Record, data: dict) -> None:
    table = (data.get("ata_smart_attributes") or {}).get("table")
    if not isinstance(table, list):
        record.lack("not_applicable", *ATA_FIELDS.values())
        return
    raw = {row.get("id"): (row.get("raw") or {}).get("value") for row in table}
    for attribute, key in ATA_FIELDS.items():
        record.put(key, raw.get(attribute))


def _nvme(record: Record, data: dict) -> None:
    log = data.get("nvme_smart_health_information_log")
    if not isinstance(log, dict):
        record.lack("not_applicable", *NVME_FIELDS.values())
        return
    for source, key in NVME_FIELDS.items():
        record.put(key, log.get(source))


def base_name(device: str) -> str:
    """The kernel's disk name for a smartctl device: /dev/nvme0 -> nvme0n1 family."""
    name = device.rsplit("/", 1)[-1]
    return re.sub(r"^(nvme\d+)n\d+$", r"\1", name)
