"""Every battery's wear, from Linux sysfs (/sys/class/power_supply).

psutil reads only the first battery's charge and ignores design capacity and
cycle count, so wear comes from sysfs directly (as node_exporter and GLPI do).
Drivers report either energy_* (µWh) or charge_* (µAh); charge is turned into
Wh with voltage_min_design, never mixed with energy values. macOS and Windows
batteries come from their own tools (`macos.py`, `windows.py`).
"""

import sys
from pathlib import Path

from assettrack.agents import commands
from assettrack.agents import macos
from assettrack.agents import windows
from assettrack.agents.fields import Record
from assettrack.agents.fields import read_int
from assettrack.agents.fields import read_text
from assettrack.agents.fields import under

POWER_SUPPLY = "/sys/class/power_supply"
TEXT_FIELDS = {
    "manufacturer": "manufacturer",
    "model": "model_name",
    "serial": "serial_number",
    "technology": "technology",
    "status": "status",
}


def collect(
    root: str | Path = "/",
    system: str | None = None,
    runner: commands.Runner = commands.run,
) -> tuple[list[dict], str | None]:
    """All batteries, and why the list is empty when it is.

    `system` is `sys.platform` unless given (a recorded sysfs `root` means
    linux); tests pass it with a `runner` of recorded outputs.
    """
    system = system or (sys.platform if str(root) == "/" else "linux")
    if system == "darwin":
        return macos.batteries(runner)
    if system == "win32":
        return windows.batteries(runner)
    if not system.startswith("linux"):
        return [], "unsupported_os"
    base = under(root, POWER_SUPPLY)
    try:
        supplies = sorted(base.iterdir())
    except FileNotFoundError:
        return [], "no_battery"
    except PermissionError:
        return [], "permission_denied"
    batteries = [_battery(path) for path in supplies if _is_battery(path)]
    return batteries, (None if batteries else "no_battery")


def _is_battery(path: Path) -> bool:
    kind, _ = read_text(path / "type")
    if kind != "Battery":
        return False
    scope, _ = read_text(path / "scope")  # "Device": a mouse's or headset's battery
    present, _ = read_int(path / "present")
    return scope != "Device" and present != 0


def _battery(path: Path) -> dict:
    record = Record(name=path.name)
    for key, filename in TEXT_FIELDS.items():
        record.put(key, *read_text(path / filename))
    cycles, reason = read_int(path / "cycle_count")
    record.put("cycle_count", cycles, reason)
    if (path / "energy_full_design").exists() or (path / "energy_full").exists():
        _energy(path, record)
    else:
        _charge(path, record)
    return record.as_dict()


def _energy(path: Path, record: Record) -> None:
    record.put("capacity_source", "energy")
    record.lack("not_applicable", "design_mah", "full_mah", "voltage_min_design_v")
    values = {}
    for key in ("design", "full", "now"):
        name = "energy_full_design" if key == "design" else f"energy_{key}"
        values[key] = read_int(path / name)
        record.put(f"{key}_wh", _round(values[key][0], 1e6), values[key][1])
    _health(record, values["full"], values["design"])


def _charge(path: Path, record: Record) -> None:
    record.put("capacity_source", "charge")
    volts_micro, volts_reason = read_int(path / "voltage_min_design")
    record.put("voltage_min_design_v", _round(volts_micro, 1e6, 3), volts_reason)
    values = {}
    for key in ("design", "full", "now"):
        name = "charge_full_design" if key == "design" else f"charge_{key}"
        micro_ah, reason = values[key] = read_int(path / name)
        if key != "now":
            record.put(f"{key}_mah", _round(micro_ah, 1e3), reason)
        if micro_ah is None:
            record.put(f"{key}_wh", None, reason)
        elif volts_micro is None:
            record.put(f"{key}_wh", None, volts_reason)
        else:
            record.put(f"{key}_wh", round(micro_ah * volts_micro / 1e12, 2))
    _health(record, values["full"], values["design"])


def _health(record: Record, full: tuple, design: tuple) -> None:
    """Full capacity as a share of design, in the same unit on both sides.

    `full` and `design` are (value, reason) pairs as read_int answers them.
    """
    (full, full_reason), (design, design_reason) = full, design
    if full is None or design is None:
        record.put("health_pct", None, full_reason or design_reason)
    elif design <= 0:
        record.put("health_pct", None, "unreadable")
    else:
        record.put("health_pct", round(100 * full / design, 1))


def _round(value: int | None, divisor: float, digits: int = 2) -> float | None:
    return None if value is None else round(value / divisor, digits)
