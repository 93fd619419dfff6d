"""What the machine is: DMI (vendor, model, serials), OS and firmware facts.

Read from files under a root path so tests use recorded trees. On Linux the
DMI serials and UUID are root-only (mode 0400): a normal user gets
`permission_denied` for them and the world-readable fields still arrive.
"""

import platform
import sys
from pathlib import Path

from assettrack.agents import commands
from assettrack.agents import macos
from assettrack.agents import windows
from assettrack.agents.fields import Record
from assettrack.agents.fields import read_int
from assettrack.agents.fields import read_text
from assettrack.agents.fields import under

DMI = "/sys/class/dmi/id"
DMI_FIELDS = {
    "vendor": "sys_vendor",
    "model": "product_name",
    "version": "product_version",
    "family": "product_family",
    "chassis_type": "chassis_type",
    "bios_vendor": "bios_vendor",
    "bios_version": "bios_version",
    "bios_date": "bios_date",
    "board_vendor": "board_vendor",
    "board_name": "board_name",
    "chassis_asset_tag": "chassis_asset_tag",
    "serial": "product_serial",
    "system_uuid": "product_uuid",
    "board_serial": "board_serial",
    "chassis_serial": "chassis_serial",
}
# efivars name of the SecureBoot variable (EFI global variable GUID)
SECURE_BOOT = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"


def _linux(root: str | Path) -> bool:
    return str(root) != "/" or sys.platform.startswith("linux")


def machine(
    root: str | Path = "/",
    system: str | None = None,
    runner: commands.Runner = commands.run,
) -> dict:
    """Vendor, model, chassis, BIOS and serials: DMI, system_profiler or CIM.

    `system` is `sys.platform` unless given (a recorded `root` means linux).
    """
    system = system or (sys.platform if str(root) == "/" else "linux")
    if system in ("darwin", "win32"):
        found, reason = (macos if system == "darwin" else windows).machine(runner)
        return _every_field(found, reason or "not_present")
    if not system.startswith("linux"):
        record = Record()
        record.lack("unsupported_os", *DMI_FIELDS)
        return record.as_dict()
    base = under(root, DMI)
    record = Record()
    for key, filename in DMI_FIELDS.items():
        if key == "chassis_type":
            record.put(key, *read_int(base / filename))
        else:
            record.put(key, *read_text(base / filename))
    return record.as_dict()


def _every_field(found: dict | None, reason: str) -> dict:
    """The DMI fields, as the tool gave them; those it did not are null for `reason`."""
    record = Record()
    record.lack(reason, *DMI_FIELDS)
    for key, value in (found or {}).items():
        if key != "missing":
            record.put(key, value, found["missing"].get(key))
    return record.as_dict()


def operating_system(root: str | Path = "/") -> dict:
    """OS name and version, kernel, architecture, UEFI and Secure Boot, TPM."""
    record = Record(
        family=sys.platform if str(root) == "/" else "linux",
        kernel=platform.release() if str(root) == "/" else None,
        arch=platform.machine() or None,
    )
    if not _linux(root):
        record.put("name", platform.system() or None)
        record.put("version", platform.version() or None)
        record.lack("unsupported_os", "firmware", "secure_boot", "tpm_version")
        return record.as_dict()
    release = _os_release(under(root, "/etc/os-release"))
    record.put("name", release.get("NAME"))
    record.put("version", release.get("VERSION_ID"))
    if str(root) != "/":
        record.put("kernel", *read_text(under(root, "/proc/sys/kernel/osrelease")))
    uefi = under(root, "/sys/firmware/efi").is_dir()
    record.put("firmware", "uefi" if uefi else "bios")
    if uefi:
        record.put("secure_boot", *_secure_boot(root))
    else:
        record.put("secure_boot", None, "not_applicable")
    major, reason = read_text(under(root, "/sys/class/tpm/tpm0/tpm_version_major"))
    record.put("tpm_version", major, reason)
    return record.as_dict()


def _os_release(path: Path) -> dict[str, str]:
    text, _ = read_text(path)
    fields = {}
    for line in (text or "").splitlines():
        key, _, value = line.partition("=")
        if key and value:
            fields[key.strip()] = value.strip().strip("\"'")
    return fields


def _secure_boot(root: str | Path) -> tuple[bool | None, str | None]:
    """The SecureBoot efivar: 4 attribute bytes, then 1 (on) or 0 (off)."""
    path = under(root, "/sys/firmware/efi/efivars") / SECURE_BOOT
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "not_present"
    except PermissionError:
        return None, "permission_denied"
    except OSError:
        return None, "unreadable"
    return (data[4] == 1, None) if len(data) >= 5 else (None, "unreadable")


def cpu_model(root: str | Path = "/") -> tuple[str | None, str | None]:
    """The CPU's marketing name: /proc/cpuinfo on Linux, platform elsewhere."""
    if not _linux(root):
        model = platform.processor()
        return (model, None) if model else (None, "unsupported_os")
    text, reason = read_text(under(root, "/proc/cpuinfo"))
    for line in (text or "").splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            return value.strip(), None
    return None, reason or "not_present"


def installed_memory(root: str | Path = "/") -> tuple[int | None, str | None]:
    """Installed RAM: online memory blocks × block size (psutil sees only usable)."""
    if not _linux(root):
        return None, "unsupported_os"
    base = under(root, "/sys/devices/system/memory")
    block_hex, reason = read_text(base / "block_size_bytes")
    if block_hex is None:
        return None, reason
    online = 0
    try:
        blocks = [p for p in base.iterdir() if p.name.startswith("memory")]
    except OSError:
        return None, "unreadable"
    for block in blocks:
        state, _ = read_text(block / "online")
        online += state == "1"
    try:
        size = int(block_hex, 16)
    except ValueError:
        return None, "unreadable"
    return (online * size, None) if online else (None, "not_present")
