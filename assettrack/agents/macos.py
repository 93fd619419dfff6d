"""What macOS's own tools say about the battery and the machine.

Batteries come from `ioreg -r -c AppleSmartBattery -a` (the keys osquery's
darwin battery table reads), with `system_profiler SPPowerDataType -json` as a
fallback when ioreg gives no answer. Capacities are mAh: on Apple silicon
`MaxCapacity` is a percentage, so full capacity is `AppleRawMaxCapacity`
(or `BatteryData.FullChargeCapacity` where macOS moved it); on Intel Macs
`MaxCapacity` is the mAh value itself. The machine comes from
`system_profiler SPHardwareDataType -json`, which needs no root.
"""

import plistlib
import re
from xml.parsers.expat import ExpatError

from assettrack.agents.commands import Runner
from assettrack.agents.commands import attempt
from assettrack.agents.fields import Record
from assettrack.agents.fields import json_object

IOREG = ["ioreg", "-r", "-c", "AppleSmartBattery", "-a"]
POWER_PROFILE = ["system_profiler", "SPPowerDataType", "-json"]
HARDWARE_PROFILE = ["system_profiler", "SPHardwareDataType", "-json"]
APPLE = "Apple Inc."
# machine name prefix -> SMBIOS chassis type (10 notebook, 13 all-in-one,
# 35 mini PC, 7 tower, 3 desktop); MacBooks are the portable ones
CHASSIS = {"MacBook": 10, "iMac": 13, "Mac mini": 35, "Mac Pro": 7, "Mac Studio": 3}
PERCENT_AT_MOST = 100  # an Apple-silicon MaxCapacity; Intel's is mAh, far above


def batteries(runner: Runner) -> tuple[list[dict], str | None]:
    """Every battery ioreg knows; system_profiler when ioreg does not answer."""
    text, reason = attempt(runner, IOREG)
    if text is not None:
        found, why = parse_ioreg(text)
        if found or why == "no_battery":
            return found, why
        reason = why
    profile, _ = attempt(runner, POWER_PROFILE)
    if profile is None:
        return [], reason
    return parse_power_profile(profile)


def parse_ioreg(text: str) -> tuple[list[dict], str | None]:
    """Battery records from `ioreg -a` XML (an array of AppleSmartBattery dicts)."""
    if not text.strip():
        return [], "no_battery"  # ioreg prints nothing when no battery matches
    try:
        data = plistlib.loads(text.encode("utf-8"))
    except (ValueError, ExpatError):
        return [], "unreadable"
    entries = data if isinstance(data, list) else [data]
    entries = [e for e in entries if isinstance(e, dict)]
    entries = [e for e in entries if e.get("BatteryInstalled") is not False]
    found = [_ioreg_battery(entry, index) for index, entry in enumerate(entries)]
    return found, (None if found else "no_battery")


def _ioreg_battery(entry: dict, index: int) -> dict:
    nested = entry.get("BatteryData")
    nested = nested if isinstance(nested, dict) else {}
    record = Record(name=f"InternalBattery-{index}")
    record.put("manufacturer", _text(entry.get("Manufacturer")))
    record.put("model", _text(entry.get("DeviceName")))
    record.put("serial", _text(entry.get("Serial") or entry.get("BatterySerialNumber")))
    record.put("technology", None)
    record.put("status", _status(entry))
    record.put("cycle_count", _first(entry, nested, "CycleCount"))
    record.put("capacity_source", "charge")
    record.put("voltage_min_design_v", None)  # ioreg has only the live voltage
    design = _first(entry, nested, "DesignCapacity")
    full, now = _full_and_now(entry, nested)
    volts_mv = _int(entry.get("Voltage")) or _int(entry.get("AppleRawBatteryVoltage"))
    for key, mah in (("design", design), ("full", full)):
        record.put(f"{key}_mah", None if mah is None else float(mah))
    # Without the design voltage, design and full capacity in Wh would be guesses
    # (mAh x today's voltage reads ~11 % high on an M1 Max): mAh is what counts.
    record.lack("not_present", "design_wh", "full_wh")
    if now is not None and volts_mv:  # the charge now, at the voltage now
        record.put("now_wh", round(now * volts_mv / 1e6, 2))
    else:
        record.put("now_wh", None)
    record.put("health_pct", *_health(full, design))
    return record.as_dict()


def _full_and_now(entry: dict, nested: dict) -> tuple[int | None, int | None]:
    """Full and present charge in mAh, whichever generation of keys this Mac has."""
    full = _int(entry.get("AppleRawMaxCapacity"))
    if full is not None:
        return full, _int(entry.get("AppleRawCurrentCapacity"))
    full = _int(nested.get("FullChargeCapacity"))  # macOS 27 moved it here
    if full is not None:
        return full, _int(nested.get("RemainingCapacity"))
    legacy = _int(entry.get("MaxCapacity"))
    if legacy is not None and legacy > PERCENT_AT_MOST:  # Intel: mAh
        return legacy, _int(entry.get("CurrentCapacity"))
    return None, None


def _status(entry: dict) -> str | None:
    if entry.get("FullyCharged") is True:
        return "Full"
    if entry.get("IsCharging") is True:
        return "Charging"
    if entry.get("ExternalConnected") is False:
        return "Discharging"
    if entry.get("ExternalConnected") is True:
        return "Not charging"
    return None


def parse_power_profile(text: str) -> tuple[list[dict], str | None]:
    """The fallback: cycle count and Apple's own maximum capacity, no mAh."""
    items = json_object(text).get("SPPowerDataType")
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    found = []
    for item in items:
        health = item.get("sppower_battery_health_info")
        if not isinstance(health, dict):
            continue
        model = item.get("sppower_battery_model_info")
        model = model if isinstance(model, dict) else {}
        record = Record(name=f"InternalBattery-{len(found)}")
        record.put("manufacturer", _text(model.get("sppower_battery_manufacturer")))
        record.put("model", _text(model.get("sppower_battery_device_name")))
        record.put("serial", _text(model.get("sppower_battery_serial_number")))
        record.lack("not_present", "technology", "status")
        record.put("cycle_count", _int(health.get("sppower_battery_cycle_count")))
        record.lack("not_present", "capacity_source", "voltage_min_design_v")
        record.lack("not_present", "design_wh", "full_wh", "now_wh")
        record.lack("not_present", "design_mah", "full_mah")
        percent = health.get("sppower_battery_health_maximum_capacity")
        record.put("health_pct", _percent(percent))
        found.append(record.as_dict())
    if found:
        return found, None
    listed = isinstance(json_object(text).get("SPPowerDataType"), list)
    return [], ("no_battery" if listed else "unreadable")


def machine(runner: Runner) -> tuple[dict | None, str | None]:
    """Model, serial and boot ROM from system_profiler, or None and why."""
    text, reason = attempt(runner, HARDWARE_PROFILE)
    if text is None:
        return None, reason
    parsed = parse_hardware(text)
    return (parsed, None) if parsed else (None, "unreadable")


def parse_hardware(text: str) -> dict | None:
    """The machine record from `system_profiler SPHardwareDataType -json`."""
    items = json_object(text).get("SPHardwareDataType")
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        return None
    item = items[0]
    name = _text(item.get("machine_name"))
    model = _text(item.get("machine_model"))
    record = Record(vendor=APPLE)
    record.put("model", model)
    record.put("version", _text(item.get("model_number")))
    record.put("family", name)
    record.put("chassis_type", _chassis(name or model or ""))
    record.put("bios_vendor", APPLE)
    record.put("bios_version", _text(item.get("boot_rom_version")))
    record.put("serial", _text(item.get("serial_number")))
    record.put("system_uuid", _text(item.get("platform_UUID")))
    return record.as_dict()


def _chassis(name: str) -> int | None:
    for prefix, chassis in CHASSIS.items():
        if name.startswith(prefix):
            return chassis
    return None


def _first(entry: dict, nested: dict, key: str) -> int | None:
    value = _int(entry.get(key))
    return value if value is not None else _int(nested.get(key))


def _health(full: int | None, design: int | None) -> tuple[float | None, str | None]:
    """Full as a share of design, both mAh; a design of 0 is a gauge that lies."""
    if full is None or design is None:
        return None, "not_present"
    if design <= 0:
        return None, "unreadable"
    return round(100 * full / design, 1), None


def _percent(value) -> float | None:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%?\s*", str(value or ""))
    return float(match.group(1)) if match else None


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
