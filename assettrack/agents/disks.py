"""The disks in the device: sysfs's list, with smartctl's health on top.

sysfs (/sys/block) is readable without root and names every disk with its size
and whether it spins; smartctl adds serials and health when it may. A disk
smartctl could not read still appears, its SMART fields saying why.
"""

import os
import re
from pathlib import Path

from assettrack.agents import smart
from assettrack.agents.fields import read_int
from assettrack.agents.fields import read_text
from assettrack.agents.fields import under

NOT_DISKS = re.compile(r"^(loop|ram|zram|dm-|md|sr|fd|nbd)")
SECTOR = 512  # /sys/block/*/size counts 512-byte sectors whatever the disk's own


def collect(
    root: str | Path = "/", runner: smart.Runner = smart.run_smartctl
) -> tuple[list[dict], str | None]:
    """Every disk, and why the list is empty when it is."""
    found = block_devices(root)
    checked, reason = smart.collect(runner)
    by_base = {smart.base_name(d["name"]): d for d in checked}
    if reason == "not_present":  # smartctl ran but could open nothing
        reason = "permission_denied" if _unprivileged() else "unreadable"
    disks = []
    for kernel_name, facts in found.items():
        disk = by_base.pop(smart.base_name(kernel_name), None)
        if disk is None:
            disk = smart.unavailable(f"/dev/{kernel_name}", reason or "unreadable")
        disks.append(_fill(disk, facts))
    disks.extend(by_base.values())  # smartctl saw it, sysfs did not (other OSes)
    return disks, (None if disks else reason or "not_present")


def block_devices(root: str | Path = "/") -> dict[str, dict]:
    """Kernel disk name -> what sysfs tells anyone about it."""
    base = under(root, "/sys/block")
    try:
        names = sorted(p.name for p in base.iterdir())
    except OSError:
        return {}
    found = {}
    for name in names:
        if NOT_DISKS.match(name):
            continue
        sectors, _ = read_int(base / name / "size")
        if not sectors:
            continue
        rotational, _ = read_int(base / name / "queue" / "rotational")
        model, _ = read_text(base / name / "device" / "model")
        found[name] = {
            "size_bytes": sectors * SECTOR,
            "rotational": None if rotational is None else rotational == 1,
            "model": model,
        }
    return found


def _fill(disk: dict, facts: dict) -> dict:
    """Fill the disk's null fields from sysfs facts where sysfs knows them."""
    for key, value in facts.items():
        if disk.get(key) is None and value is not None:
            disk[key] = value
            disk["missing"].pop(key, None)
    return disk


def _unprivileged() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() != 0
