"""What Windows's own tools say about the batteries and the machine.

Batteries come from `powercfg /batteryreport /xml` (as glpi-agent's
Win32/Batteries.pm reads them): design and full-charge capacity in mWh and the
cycle count, which `Win32_Battery` often leaves empty. powercfg writes a file,
so the agent gives it a private temporary folder and removes it afterwards.
The machine comes from CIM classes through one PowerShell call; neither needs
Administrator rights.
"""

import datetime as dt
import json
import re
import tempfile
import xml.etree.ElementTree as ET  # noqa: N817 - the usual name
from pathlib import Path

from assettrack.agents.commands import Runner
from assettrack.agents.commands import attempt
from assettrack.agents.fields import Record

REPORT_FILE = "battery-report.xml"
POWERSHELL = ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command"]
# One JSON object, one key per CIM class; dates as yyyy-MM-dd (PowerShell 5.1
# would write a DateTime as "/Date(ms)/").
MACHINE_SCRIPT = (
    "[pscustomobject]@{"
    "ComputerSystem = Get-CimInstance -ClassName Win32_ComputerSystem"
    " | Select-Object Manufacturer, Model, SystemFamily; "
    "BIOS = Get-CimInstance -ClassName Win32_BIOS"
    " | Select-Object Manufacturer, SMBIOSBIOSVersion, SerialNumber,"
    " @{n='ReleaseDate'; e={ if ($_.ReleaseDate) {"
    " $_.ReleaseDate.ToString('yyyy-MM-dd') } }}; "
    "Enclosure = Get-CimInstance -ClassName Win32_SystemEnclosure"
    " | Select-Object -First 1 -Property ChassisTypes, SMBIOSAssetTag, SerialNumber; "
    "Product = Get-CimInstance -ClassName Win32_ComputerSystemProduct"
    " | Select-Object UUID, Version; "
    "BaseBoard = Get-CimInstance -ClassName Win32_BaseBoard"
    " | Select-Object -First 1 -Property Manufacturer, Product, SerialNumber"
    "} | ConvertTo-Json -Depth 4 -Compress"
)
# report field -> (CIM class key in the script's output, property)
MACHINE_FIELDS = {
    "vendor": ("ComputerSystem", "Manufacturer"),
    "model": ("ComputerSystem", "Model"),
    "version": ("Product", "Version"),
    "family": ("ComputerSystem", "SystemFamily"),
    "bios_vendor": ("BIOS", "Manufacturer"),
    "bios_version": ("BIOS", "SMBIOSBIOSVersion"),
    "bios_date": ("BIOS", "ReleaseDate"),
    "board_vendor": ("BaseBoard", "Manufacturer"),
    "board_name": ("BaseBoard", "Product"),
    "chassis_asset_tag": ("Enclosure", "SMBIOSAssetTag"),
    "serial": ("BIOS", "SerialNumber"),
    "system_uuid": ("Product", "UUID"),
    "board_serial": ("BaseBoard", "SerialNumber"),
    "chassis_serial": ("Enclosure", "SerialNumber"),
}


def powercfg_argv(output: Path) -> list[str]:
    return ["powercfg", "/batteryreport", "/xml", "/output", str(output)]


def batteries(runner: Runner) -> tuple[list[dict], str | None]:
    """Every battery in powercfg's report; its file never outlives the call."""
    with tempfile.TemporaryDirectory(prefix="assettrack-agent-") as scratch:
        path = Path(scratch) / REPORT_FILE
        _, reason = attempt(runner, powercfg_argv(path))
        if reason:
            return [], reason
        try:
            data = path.read_bytes()
        except OSError:
            return [], "unreadable"
    return parse_battery_report(data)


def parse_battery_report(data: bytes) -> tuple[list[dict], str | None]:
    """Battery records from the report's Batteries/Battery elements."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - powercfg's own file, our folder
    except ET.ParseError:
        return [], "unreadable"
    listing = _child(root, "Batteries")
    if listing is None:
        return [], "unreadable"
    found = [
        _battery(element, index)
        for index, element in enumerate(e for e in listing if _local(e) == "Battery")
    ]
    return found, (None if found else "no_battery")


def _battery(element: ET.Element, index: int) -> dict:
    values = {_local(child): (child.text or "").strip() for child in element}
    part = values.get("Id") or None
    record = Record(name=part or f"battery {index}")
    record.put("manufacturer", values.get("Manufacturer") or None)
    record.put("model", part)
    record.put("serial", values.get("SerialNumber") or None)
    record.put("technology", values.get("Chemistry") or None)
    record.put("status", None)  # the report is history, not the live state
    record.put("cycle_count", *_whole(values.get("CycleCount")))
    record.put("capacity_source", "energy")
    record.lack("not_applicable", "design_mah", "full_mah", "voltage_min_design_v")
    design, design_reason = _whole(values.get("DesignCapacity"))  # mWh
    full, full_reason = _whole(values.get("FullChargeCapacity"))
    record.put("design_wh", None if design is None else design / 1000, design_reason)
    record.put("full_wh", None if full is None else full / 1000, full_reason)
    record.put("now_wh", None)
    if design is None or full is None:
        record.put("health_pct", None, design_reason or full_reason)
    elif design <= 0:
        record.put("health_pct", None, "unreadable")
    else:
        record.put("health_pct", round(100 * full / design, 1))
    return record.as_dict()


def machine(runner: Runner) -> tuple[dict | None, str | None]:
    """Vendor, model, chassis, BIOS and serials from CIM, or None and why."""
    text, reason = attempt(runner, [*POWERSHELL, MACHINE_SCRIPT])
    if text is None:
        return None, reason
    parsed = parse_machine(text)
    return (parsed, None) if parsed else (None, "unreadable")


def parse_machine(text: str) -> dict | None:
    """The machine record from the script's JSON (one object per CIM class)."""
    try:
        data = json.loads(text or "null")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    record = Record()
    for key, (cim_class, prop) in MACHINE_FIELDS.items():
        record.put(key, _value(_instance(data, cim_class).get(prop)))
    types = _instance(data, "Enclosure").get("ChassisTypes")
    types = types if isinstance(types, list) else [types]
    chassis = [t for t in types if isinstance(t, int) and not isinstance(t, bool)]
    record.put("chassis_type", chassis[0] if chassis else None)
    return record.as_dict()


def _instance(data: dict, cim_class: str) -> dict:
    value = data.get(cim_class)
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def _value(value) -> str | None:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    stamp = re.fullmatch(r"/Date\((-?\d+)\)/", text)
    if stamp:  # PowerShell 5.1's DateTime: milliseconds since 1970
        moment = dt.datetime.fromtimestamp(int(stamp.group(1)) / 1000, dt.UTC)
        return moment.date().isoformat()
    return text or None


def _whole(text: str | None) -> tuple[int | None, str | None]:
    if not text:
        return None, "not_present"
    try:
        return int(text), None
    except ValueError:
        return None, "unreadable"


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child) == name), None)


def _local(element: ET.Element) -> str:
    """The tag without its namespace (http://schemas.microsoft.com/battery/2012)."""
    return str(element.tag).rsplit("}", 1)[-1]
