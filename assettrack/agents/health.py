"""What a repair partner should fix, from one report's raw values.

The service runs these rules on every report it receives (never trusting a
verdict the agent computed) and stores each finding with `RULES_VERSION`, so
old reports can be scored again when a threshold changes. The rules, their
thresholds and sources are research/agents.md section (c); the table below is
the one place they live. A value the report lacks (null, junk type) fires no
rule, except the rules that are about an absence (BAT_MISSING, DISK_UNKNOWN).
Pure: standard library only, importable on the device too.
"""

import datetime as dt
import math
import re
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import replace

RULES_VERSION = "2026-11-29.1"  # bump when a threshold below changes

GB = 10**9  # disks are sold in decimal gigabytes
GIB = 2**30  # RAM is sold in binary gigabytes

# --- thresholds, each next to its source (research/agents.md section c) -------
PORTABLE_CHASSIS = {8, 9, 10, 14, 31, 32}  # SMBIOS 3.x chassis types: portable
BAT_SEVERE_PCT = 60  # full/design below: acidanthera/bugtracker#1573, brief [D/J]
BAT_WORN_PCT = 80  # Apple "80 % at max cycle count"; fleetdm/fleet#22569 [D]
BAT_CYCLES = 1000  # Apple cycle-limit table; fleetdm/fleet#22569 [D]
BAT_OVER_DESIGN = 1.05  # full above design x this is implausible (rust-battop#6) [D]
BAT_UNUSED_PCT = 95  # 0 cycles yet below this health: the counter lies [J]
HDD_OLD_HOURS = 35_000  # ~4 years powered on; Schroeder & Gibson FAST '07 [D/J]
NVME_WORN_PCT = 100  # NVMe Percentage Used: rated endurance consumed [V/D]
NVME_WEARING_PCT = 80  # 80-99 %: plan the swap (P2) [J]
SYSTEM_DISK_MIN = 64 * GB  # Windows 11 specifications: 64 GB storage [D]
FS_FREE_PCT = 10  # system volume free below this share [J]
FS_FREE_MIN = 15 * GB  # ... or below this many bytes [J]
RAM_MIN = 4 * GIB  # Windows 11 specifications: 4 GB RAM [D]
RAM_SOME = 5 * GIB  # installed in [4, 5) GiB: "exactly 4 GB" (RAM_MIN) [J]
RAM_RESERVED = GIB // 2  # usable = installed - firmware/graphics share (fallback) [J]
CLOCK_SKEW = dt.timedelta(days=1)  # dead CMOS cell (pcproblemsandrepairs) [D]
# smartctl(8) EXIT STATUS bits
BIT_FAILING, BIT_PREFAIL = 3, 4
PAST_BITS = {5: "attribute failed in the past", 6: "error log", 7: "self-test errors"}
# NVMe critical_warning bits (smartmontools nvmeprint.cpp)
NVME_WARNINGS = {
    0: "spare below threshold",
    1: "temperature out of range",
    2: "reliability degraded",
    3: "read-only",
    4: "volatile memory backup failed",
    5: "persistent memory region unreliable",
}


@dataclass(frozen=True)
class Rule:
    priority: int  # 0 = do not lend .. 3 = informational
    component: str
    repair: str
    source: str


RULES = {
    # rule id: priority, component, repair, source (short citation)
    "ERASURE_INVALID": Rule(0, "erasure", "none", "issue 6: a wipe is per disk [J]"),
    "DISK_SMART_FAIL": Rule(0, "disk", "ssd", "smartctl(8) exit status bit 3 [V]"),
    "DISK_PREFAIL": Rule(0, "disk", "ssd", "smartctl(8) exit status bit 4 [V]"),
    "DISK_PENDING": Rule(0, "disk", "ssd", "Backblaze SMART stats 197/198 [D/J]"),
    "NVME_CRIT": Rule(0, "disk", "ssd", "smartmontools nvmeprint.cpp [V]"),
    "NVME_SPARE": Rule(0, "disk", "ssd", "smartmontools nvmeprint.cpp [V]"),
    "DISK_REALLOC": Rule(1, "disk", "ssd", "Backblaze SMART stats 5/187/188 [D]"),
    "DISK_PAST_FAIL": Rule(1, "disk", "ssd", "smartctl(8) exit status bits 5-7 [V]"),
    "NVME_WORN": Rule(1, "disk", "ssd", "NVMe Percentage Used (smartctl) [V/D]"),
    "NVME_MEDIA": Rule(1, "disk", "ssd", "uncorrected media errors [J]"),
    "BAT_MISSING": Rule(1, "battery", "battery", "laptop chassis without battery [J]"),
    "BAT_WEAR_SEVERE": Rule(1, "battery", "battery", "acidanthera/bugtracker#1573 [D]"),
    "TEMP_CRIT": Rule(1, "thermal", "clean_fan", "hwmon critical limit (psutil) [V]"),
    "BAT_WEAR": Rule(2, "battery", "battery", "Apple 80 %; fleetdm/fleet#22569 [D]"),
    "BAT_CYCLES": Rule(2, "battery", "battery", "Apple cycle limits; fleet#22569 [D]"),
    "DISK_OLD_HDD": Rule(2, "disk", "ssd", "Schroeder & Gibson FAST '07 [D/J]"),
    "DISK_SMALL": Rule(2, "storage", "ssd", "Microsoft Windows 11 specifications [D]"),
    "TEMP_HIGH": Rule(2, "thermal", "clean_fan", "hwmon high limit (psutil) [J]"),
    "RAM_LOW": Rule(2, "memory", "ram", "Microsoft Windows 11 specifications [D]"),
    "RTC_SUSPECT": Rule(2, "clock", "cmos_battery", "dead CMOS cell breaks TLS [D]"),
    "BAT_DATA_SUSPECT": Rule(3, "battery", "none", "svartalf/rust-battop#6 [D]"),
    "DISK_HDD_BOOT": Rule(3, "storage", "ssd", "cheapest speed-up for donations [J]"),
    "DISK_UNKNOWN": Rule(3, "disk", "none", "SMART unreadable: bench check [J]"),
    "FS_FULL": Rule(3, "storage", "none", "system volume nearly full [J]"),
    "RAM_MIN": Rule(3, "memory", "ram", "Windows 11 minimum exactly [J]"),
    "WIN11_INELIGIBLE": Rule(3, "platform", "none", "Windows 11 specifications [D]"),
    "COMPONENT_SWAP": Rule(3, "disk", "none", "audit of component serials [J]"),
}
ORDER = {rule: index for index, rule in enumerate(RULES)}


@dataclass(frozen=True)
class Context:
    """What the service knows beside the report."""

    received_at: dt.datetime  # aware: the server's clock when the report arrived
    erased_serials: frozenset[str] | None = None  # None: no erasure recorded
    kind: str | None = None  # the device kind the service knows ("laptop", ...)
    previous: dict | None = None  # the device's previous stored report


@dataclass(frozen=True)
class Finding:
    rule: str
    priority: int
    component: str
    subject: str
    value: float | int | str | None
    limit: float | int | str | None
    repair: str
    text: str
    source: str

    def as_dict(self) -> dict:
        return asdict(self)


def findings(report: dict, context: Context) -> list[Finding]:
    """Every rule that fires on this report, most urgent first."""
    report = report if isinstance(report, dict) else {}
    found: list[Finding] = []
    for check in (
        _batteries,
        _disks,
        _system_disk,
        _filesystems,
        _temperatures,
        _memory,
        _platform,
        _clock,
        _swaps,
        _erasure,
    ):
        found.extend(check(report, context))
    return sorted(found, key=lambda f: (f.priority, ORDER[f.rule], f.subject))


def _hit(rule, subject, value, limit, text, priority=None, repair=None) -> Finding:
    known = RULES[rule]
    return Finding(
        rule=rule,
        priority=known.priority if priority is None else priority,
        component=known.component,
        subject=subject,
        value=value,
        limit=limit,
        repair=known.repair if repair is None else repair,
        text=text,
        source=known.source,
    )


# --- batteries ----------------------------------------------------------------


def _batteries(report: dict, context: Context) -> list[Finding]:
    batteries = _records(report.get("batteries"))
    if not batteries:
        return _no_battery(report, context)
    found = []
    for index, bat in enumerate(batteries):
        name = _text(bat.get("name")) or f"battery {index}"
        found.extend(_battery(bat, name, report, context))
    return found


def _no_battery(report: dict, context: Context) -> list[Finding]:
    said = _mapping(report.get("missing")).get("batteries")
    chassis = _int(_mapping(report.get("machine")).get("chassis_type"))
    laptop = chassis in PORTABLE_CHASSIS or context.kind == "laptop"
    if report.get("batteries") != [] or said != "no_battery" or not laptop:
        return []
    why = f"chassis type {chassis}" if chassis in PORTABLE_CHASSIS else "kind laptop"
    text = f"This laptop ({why}) reports no battery: fit one before lending."
    return [_hit("BAT_MISSING", "", None, "battery present", text)]


def _battery(bat: dict, name: str, report: dict, context: Context) -> list[Finding]:
    found = []
    design, full = _capacity(bat)
    cycles = _int(bat.get("cycle_count"))
    health = None
    if design is not None and full is not None:
        if design <= 0 or full < 0:
            text = (
                f"{name} reports {full:g} of a design capacity of {design:g}: "
                "verify it by hand."
            )
            found.append(_hit("BAT_DATA_SUSPECT", name, design, "> 0", text))
        elif math.isfinite(100 * full / design):
            health = round(100 * full / design, 1)
        else:
            text = f"{name} reports an impossible full capacity: verify it by hand."
            found.append(_hit("BAT_DATA_SUSPECT", name, None, "<= 105 %", text))
    if health is not None and health > 100 * BAT_OVER_DESIGN:
        text = f"{name} claims {health} % of its design capacity: verify it by hand."
        found.append(_hit("BAT_DATA_SUSPECT", name, health, "<= 105 %", text))
    elif health is not None and health < BAT_SEVERE_PCT:
        text = (
            f"{name} holds {health} % of its design capacity "
            f"(below {BAT_SEVERE_PCT} %): replace it before lending."
        )
        found.append(_hit("BAT_WEAR_SEVERE", name, health, BAT_SEVERE_PCT, text))
    elif health is not None and health < BAT_WORN_PCT:
        text = (
            f"{name} holds {health} % of its design capacity "
            f"(below {BAT_WORN_PCT} %): plan a new battery."
        )
        found.append(_hit("BAT_WEAR", name, health, BAT_WORN_PCT, text))
    if cycles is not None and cycles >= BAT_CYCLES:
        text = f"{name} has {cycles} charge cycles (limit {BAT_CYCLES})."
        found.append(_hit("BAT_CYCLES", name, cycles, BAT_CYCLES, text))
    if cycles == 0 and health is not None and health < BAT_UNUSED_PCT:
        text = (
            f"{name} says 0 charge cycles at {health} % of design: the driver "
            "does not count cycles, verify the battery by hand."
        )
        found.append(_hit("BAT_DATA_SUSPECT", name, 0, "cycle count > 0", text))
    return found


def _capacity(bat: dict) -> tuple[float | None, float | None]:
    """Design and full capacity in one unit: never energy against charge."""
    pairs = [("design_wh", "full_wh"), ("design_mah", "full_mah")]
    if bat.get("capacity_source") == "charge":
        pairs.reverse()
    for design_key, full_key in pairs:
        design, full = _number(bat.get(design_key)), _number(bat.get(full_key))
        if design is not None and full is not None:
            return design, full
    return None, None


# --- disks --------------------------------------------------------------------


def _disks(report: dict, context: Context) -> list[Finding]:
    found = []
    for disk in _records(report.get("disks")):
        found.extend(_disk(disk))
    return found


def _disk(disk: dict) -> list[Finding]:
    subject = _disk_subject(disk)
    repair = _disk_repair(disk)
    found = []

    def hit(rule, value, limit, text, priority=None):
        found.append(_hit(rule, subject, value, limit, text, priority, repair))

    status = _int(disk.get("smartctl_exit_status"))
    status = status if status is not None and 0 <= status <= 255 else None
    bits = {bit for bit in range(8) if status is not None and status >> bit & 1}
    if disk.get("smart_passed") is False or BIT_FAILING in bits:
        said = f"smartctl exit status {status} (bit 3: disk failing)"
        if disk.get("smart_passed") is False:
            said = "SMART overall health: FAILED"
        hit("DISK_SMART_FAIL", status, "bit 3", f"{subject}: {said}. Replace it.")
    if BIT_PREFAIL in bits:
        text = f"{subject}: a prefail attribute is at its threshold now. Replace it."
        hit("DISK_PREFAIL", status, "bit 4", text)
    pending = _int(disk.get("pending_sectors"))
    offline = _int(disk.get("offline_uncorrectable"))
    if (pending or 0) > 0 or (offline or 0) > 0:
        text = (
            f"{subject}: {pending or 0} pending and {offline or 0} offline "
            "uncorrectable sectors: data is unreadable now. Replace it."
        )
        hit("DISK_PENDING", max(pending or 0, offline or 0), 0, text)
    counts = {
        "reallocated sectors": _int(disk.get("reallocated_sectors")),
        "reported uncorrectable errors": _int(disk.get("reported_uncorrectable")),
        "command timeouts": _int(disk.get("command_timeouts")),
    }
    bad = {what: n for what, n in counts.items() if n is not None and n > 0}
    if bad:
        listed = ", ".join(f"{n} {what}" for what, n in bad.items())
        hit("DISK_REALLOC", max(bad.values()), 0, f"{subject}: {listed}.")
    past = [PAST_BITS[bit] for bit in sorted(bits & set(PAST_BITS))]
    if past:
        text = f"{subject}: smartctl exit status {status} ({', '.join(past)})."
        hit("DISK_PAST_FAIL", status, "bits 5-7", text)
    _nvme(disk, hit, subject)
    hours = _int(disk.get("power_on_hours"))
    if disk.get("rotational") is True and hours is not None and hours > HDD_OLD_HOURS:
        text = f"{subject}: spinning disk with {hours} power-on hours."
        hit("DISK_OLD_HDD", hours, HDD_OLD_HOURS, text)
    if not isinstance(disk.get("smart_passed"), bool):
        why = _text(_mapping(disk.get("missing")).get("smart_passed")) or "unreadable"
        text = f"{subject}: SMART not readable ({why}); run a bench check."
        found.append(_hit("DISK_UNKNOWN", subject, why, None, text))
    return found


def _nvme(disk: dict, hit, subject: str) -> None:
    warning = _int(disk.get("nvme_critical_warning"))
    if warning is not None and warning > 0:
        said = [what for bit, what in NVME_WARNINGS.items() if warning >> bit & 1]
        text = f"{subject}: NVMe critical warning {warning} ({', '.join(said)})."
        hit("NVME_CRIT", warning, 0, text)
    spare = _number(disk.get("nvme_available_spare_pct"))
    spare_min = _number(disk.get("nvme_spare_threshold_pct"))
    if spare is not None and spare_min is not None and spare < spare_min:
        text = (
            f"{subject}: {spare:g} % spare left, below its {spare_min:g} % threshold."
        )
        hit("NVME_SPARE", spare, spare_min, text)
    used = _number(disk.get("nvme_percentage_used"))
    if used is not None and used >= NVME_WEARING_PCT:
        worn = used >= NVME_WORN_PCT
        text = f"{subject}: {used:g} % of its rated endurance used."
        limit = NVME_WORN_PCT if worn else NVME_WEARING_PCT
        hit("NVME_WORN", used, limit, text, None if worn else 2)
    errors = _int(disk.get("nvme_media_errors"))
    if errors is not None and errors > 0:
        hit("NVME_MEDIA", errors, 0, f"{subject}: {errors} uncorrected media errors.")


def _disk_subject(disk: dict) -> str:
    name = _text(disk.get("name")) or "disk"
    serial = _text(disk.get("serial"))
    return f"{name} {serial}" if serial else name


def _disk_repair(disk: dict) -> str:
    """Soldered eMMC cannot be swapped: the board is the part."""
    name = _text(disk.get("name")) or ""
    return "parts" if "mmcblk" in name else "ssd"


def _system_disk(report: dict, context: Context) -> list[Finding]:
    disk = system_disk(report)
    if disk is None:
        return []
    found = []
    subject = _disk_subject(disk)
    size = _int(disk.get("size_bytes"))
    if size is not None and 0 < size < SYSTEM_DISK_MIN:
        soldered = _disk_repair(disk) == "parts"
        text = (
            f"{subject}: system disk of {size / GB:.1f} GB, below "
            f"{SYSTEM_DISK_MIN // GB} GB"
            + (" (soldered: cannot be swapped)." if soldered else ": fit a bigger SSD.")
        )
        repair = "none" if soldered else "ssd"
        found.append(
            _hit("DISK_SMALL", subject, size, SYSTEM_DISK_MIN, text, repair=repair)
        )
    if disk.get("rotational") is True:
        text = f"{subject}: the system disk spins; an SSD is the cheapest speed-up."
        found.append(_hit("DISK_HDD_BOOT", subject, "rotational", "solid state", text))
    return found


def system_disk(report: dict) -> dict | None:
    """The disk holding the root filesystem; else the only internal disk."""
    disks = _records(report.get("disks"))
    root = _root_filesystem(report)
    device = (_text(root.get("device")) or "") if root else ""
    for disk in disks:
        name = (_text(disk.get("name")) or "").removeprefix("/dev/")
        rest = device.removeprefix("/dev/")
        if name and rest.startswith(name):
            if re.fullmatch(r"(n\d+)?(p?\d+)?", rest[len(name) :]):
                return disk
    internal = [d for d in disks if d.get("interface") != "usb"] or disks
    return internal[0] if len(internal) == 1 else None


def _root_filesystem(report: dict) -> dict | None:
    for fs in _records(report.get("filesystems")):
        if _text(fs.get("mount")) in ("/", "C:\\", "C:/", "C:"):
            return fs
    return None


def _filesystems(report: dict, context: Context) -> list[Finding]:
    fs = _root_filesystem(report)
    if fs is None:
        return []
    total, free = _int(fs.get("total_bytes")), _int(fs.get("free_bytes"))
    if total is None or total <= 0 or free is None or free < 0:
        return []
    share = round(100 * free / total, 1)
    if share >= FS_FREE_PCT and free >= FS_FREE_MIN:
        return []
    mount = _text(fs.get("mount")) or "/"
    text = f"{mount} has {free / GB:.1f} GB free ({share} %): clean up before lending."
    return [_hit("FS_FULL", mount, free, f"{FS_FREE_PCT} % or 15 GB", text)]


# --- thermal, memory, platform, clock -------------------------------------------


def _temperatures(report: dict, context: Context) -> list[Finding]:
    found = []
    for index, sensor in enumerate(_records(report.get("temperatures"))):
        name = _text(sensor.get("sensor")) or f"sensor {index}"
        now = _number(sensor.get("current_c"))
        critical = _number(sensor.get("critical_c"))
        high = _number(sensor.get("high_c"))
        if now is None:
            continue
        if critical and critical > 0 and now >= critical:
            text = f"{name} at {now:g} °C, at or above its critical {critical:g} °C."
            found.append(_hit("TEMP_CRIT", name, now, critical, text))
        elif high and high > 0 and now >= high:
            text = f"{name} at {now:g} °C, at or above its high {high:g} °C."
            found.append(_hit("TEMP_HIGH", name, now, high, text))
    return found


def _memory(report: dict, context: Context) -> list[Finding]:
    memory = _mapping(report.get("memory"))
    installed = _int(memory.get("installed_bytes"))
    usable = _int(memory.get("usable_bytes"))
    if installed is not None and installed > 0:
        seen, low, some = installed, installed < RAM_MIN, installed < RAM_SOME
        what = "installed"
    elif usable is not None and usable > 0:
        seen = usable
        low = usable < RAM_MIN - RAM_RESERVED
        some = usable <= RAM_MIN
        what = "usable"
    else:
        return []
    amount = f"{seen / GIB:.1f} GB RAM {what}"
    if low:
        text = f"{amount}, below {RAM_MIN // GIB} GB: add a module if a slot is free."
        return [_hit("RAM_LOW", "", seen, RAM_MIN, text)]
    if some:
        text = f"{amount}: just the {RAM_MIN // GIB} GB minimum."
        return [_hit("RAM_MIN", "", seen, RAM_MIN, text)]
    return []


def _platform(report: dict, context: Context) -> list[Finding]:
    system = _mapping(report.get("os"))
    missing = _mapping(system.get("missing"))
    lacks = []
    if system.get("firmware") == "bios":
        lacks.append("legacy BIOS boot (no UEFI / Secure Boot)")
    tpm = _text(system.get("tpm_version"))
    if tpm is not None and not tpm.startswith("2"):
        lacks.append(f"TPM {tpm} (needs 2.0)")
    elif tpm is None and missing.get("tpm_version") == "not_present":
        lacks.append("no TPM")
    if not lacks:
        return []
    text = f"Not eligible for Windows 11: {'; '.join(lacks)}. OS path: Linux."
    return [_hit("WIN11_INELIGIBLE", "", "; ".join(lacks), "TPM 2.0 + UEFI", text)]


def _clock(report: dict, context: Context) -> list[Finding]:
    """The device clock at send time against the server's (a spooled report's
    collected_at is legitimately old, so it counts only without sent_at)."""
    key = "sent_at" if report.get("sent_at") is not None else "collected_at"
    device = _moment(report.get(key))
    server = context.received_at
    if device is None or not isinstance(server, dt.datetime) or server.tzinfo is None:
        return []
    skew = device - server
    if abs(skew) <= CLOCK_SKEW:
        return []
    days = skew.total_seconds() / 86400
    way = "ahead of" if days > 0 else "behind"
    text = (
        f"The device clock ({key}) is {abs(days):.1f} days {way} the server's: "
        "replace the CMOS coin cell."
    )
    return [_hit("RTC_SUSPECT", "", round(days, 2), 1, text)]


# --- identity over time -----------------------------------------------------------


def _swaps(report: dict, context: Context) -> list[Finding]:
    previous = context.previous if isinstance(context.previous, dict) else None
    if previous is None:
        return []
    found = []
    for part, serials in (("disk", _disk_serials), ("battery", _battery_serials)):
        before, now = serials(previous), serials(report)
        if not before or not now or before == now:
            continue
        gone, new = sorted(before - now), sorted(now - before)
        change = f"gone {', '.join(gone) or '-'}; new {', '.join(new) or '-'}"
        text = f"A {part} was swapped since the last report ({change})."
        swap = _hit("COMPONENT_SWAP", part, change, None, text)
        found.append(replace(swap, component=part))
    return found


def _erasure(report: dict, context: Context) -> list[Finding]:
    """A disk the last wipe did not cover may still hold a donor's data."""
    if context.erased_serials is None:
        return []
    erased = {_serial(s) for s in context.erased_serials} - {None}
    found = []
    for disk in _internal_disks(report):
        serial = _serial(disk.get("serial"))
        if serial is None or serial in erased:
            continue
        subject = _disk_subject(disk)
        text = (
            f"{subject} was not part of the last erasure (disk changed since): "
            "wipe it before lending."
        )
        found.append(_hit("ERASURE_INVALID", subject, serial, "erased serials", text))
    return found


def _internal_disks(report: dict) -> list[dict]:
    """External (USB) disks are not the device's own."""
    return [d for d in _records(report.get("disks")) if d.get("interface") != "usb"]


def _disk_serials(report: dict) -> set[str]:
    return {_serial(d.get("serial")) for d in _internal_disks(report)} - {None}


def _battery_serials(report: dict) -> set[str]:
    batteries = _records(report.get("batteries"))
    return {_serial(b.get("serial")) for b in batteries} - {None}


# --- robust reading: junk fires nothing -------------------------------------------


def _records(value) -> list[dict]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _int(value) -> int | None:
    number = _number(value)
    if number is None or number != int(number):
        return None
    return int(number)


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _serial(value) -> str | None:
    text = _text(value)
    return text.upper() if text else None


def _moment(value) -> dt.datetime | None:
    """An aware datetime from ISO 8601 text; naive or junk: None."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
