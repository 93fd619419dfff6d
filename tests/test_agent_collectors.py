"""The device agent: what a repair partner learns from one laptop's report.

Recorded sysfs trees and real smartctl --json outputs (tests/fixtures/agent,
sources in its README) go through the same parsers the agent runs on a
device; one test runs the real collectors on this machine.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from assettrack.agents import battery
from assettrack.agents import disks
from assettrack.agents import identity
from assettrack.agents import report
from assettrack.agents import smart
from assettrack.agents.fields import REASONS

FIXTURES = Path(__file__).parent / "fixtures" / "agent"
SYSFS = FIXTURES / "sysfs"
SMARTCTL = FIXTURES / "smartctl"
# which recorded output answers `smartctl --json -a ... <device>`
RECORDED_DISKS = {
    "/dev/sda": "sata-ssd-healthy.json",
    "/dev/sdc": "hdd-failing.json",
    "/dev/nvme0": "nvme-healthy.json",
    "/dev/nvme1": "nvme-worn.json",
    "/dev/sdb": "usb-unknown-bridge.json",
}


def recorded_smartctl(args: list[str]) -> tuple[int, str]:
    """Answers as smartctl did when these outputs were recorded."""
    name = "scan-open.json" if "--scan-open" in args else RECORDED_DISKS[args[-1]]
    text = (SMARTCTL / name).read_text()
    return json.loads(text)["smartctl"]["exit_status"], text


def no_smartctl(args: list[str]) -> tuple[int, str]:
    """A device without smartmontools: running it fails as subprocess would."""
    raise FileNotFoundError(2, "No such file or directory", "smartctl")


def recorded_disk(name: str, device: str | None = None) -> dict:
    text = (SMARTCTL / name).read_text()
    return smart.parse(text, name=device)


def assert_every_null_says_why(record: dict) -> None:
    nulls = {key for key, value in record.items() if value is None}
    assert nulls == set(record["missing"]), record
    assert set(record["missing"].values()) <= set(REASONS)


# --- batteries ------------------------------------------------------------


def test_a_healthy_laptop_battery_shows_its_wear_and_cycles():
    batteries, reason = battery.collect(SYSFS / "laptop-healthy")

    assert reason is None
    [bat] = batteries
    assert bat["name"] == "BAT0"
    assert bat["design_wh"] == 57.0 and bat["full_wh"] == 54.15
    assert bat["health_pct"] == 95.0
    assert bat["cycle_count"] == 87
    assert bat["status"] == "Discharging"
    assert bat["capacity_source"] == "energy"
    assert bat["design_mah"] is None
    assert bat["missing"]["design_mah"] == "not_applicable"
    assert_every_null_says_why(bat)


def test_a_worn_laptop_reports_both_batteries_and_the_internal_one_near_half():
    batteries, _ = battery.collect(SYSFS / "laptop-worn-two-batteries")

    by_name = {b["name"]: b for b in batteries}
    assert sorted(by_name) == ["BAT0", "BAT1"], "a mouse's battery is not the laptop's"
    assert by_name["BAT0"]["health_pct"] == 55.0
    assert by_name["BAT0"]["cycle_count"] == 1187
    assert by_name["BAT1"]["health_pct"] == 86.5
    for bat in batteries:
        assert_every_null_says_why(bat)


def test_a_desktop_has_no_battery_and_says_so():
    batteries, reason = battery.collect(SYSFS / "desktop-no-battery")

    assert batteries == []
    assert reason == "no_battery"


def test_a_charge_based_battery_is_compared_in_mah_and_converted_with_its_voltage():
    [bat], _ = battery.collect(SYSFS / "battery-charge-based")

    assert bat["capacity_source"] == "charge"
    assert bat["design_mah"] == 5150.0 and bat["full_mah"] == 4120.0
    assert bat["health_pct"] == 80.0
    assert bat["design_wh"] == round(5.15 * 7.7, 2)
    assert bat["cycle_count"] == 0, "raw value kept: the server decides it is suspect"
    assert_every_null_says_why(bat)


# --- identity and platform -------------------------------------------------


def test_the_machine_is_named_from_dmi_and_the_platform_from_firmware_files():
    root = SYSFS / "laptop-healthy"
    machine = identity.machine(root)
    system = identity.operating_system(root)

    assert machine["vendor"] == "LENOVO"
    assert machine["family"] == "ThinkPad X1 Carbon 5th"
    assert machine["chassis_type"] == 10
    assert machine["serial"] == "PF0ABCDE"
    assert system["name"] == "Debian GNU/Linux" and system["version"] == "12"
    assert system["firmware"] == "uefi" and system["secure_boot"] is True
    assert system["tpm_version"] == "2"
    assert identity.cpu_model(root) == (
        "Intel(R) Core(TM) i5-7300U CPU @ 2.60GHz",
        None,
    )
    assert identity.installed_memory(root) == (8 * 2**30, None)
    assert_every_null_says_why(machine)


def test_a_legacy_bios_desktop_has_no_secure_boot_to_report():
    system = identity.operating_system(SYSFS / "desktop-no-battery")

    assert system["firmware"] == "bios"
    assert system["missing"]["secure_boot"] == "not_applicable"
    assert system["missing"]["tpm_version"] == "not_present"


def test_a_normal_user_gets_permission_denied_for_root_only_files_not_a_crash():
    """DMI serials are mode 0400 on Linux; the agent runs as a normal user."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "laptop"
        shutil.copytree(SYSFS / "laptop-healthy", root)
        os.chmod(scratch, 0o755)
        (root / "sys/class/dmi/id/product_serial").chmod(0o400)
        (root / "sys/class/power_supply/BAT0/energy_full").chmod(0o400)
        seen = as_a_normal_user(
            lambda: {
                "machine": identity.machine(root),
                "batteries": battery.collect(root)[0],
            }
        )

    assert seen["machine"]["vendor"] == "LENOVO", "world-readable fields still arrive"
    assert seen["machine"]["serial"] is None
    assert seen["machine"]["missing"]["serial"] == "permission_denied"
    [bat] = seen["batteries"]
    assert bat["design_wh"] == 57.0
    assert bat["missing"]["full_wh"] == "permission_denied"
    assert bat["missing"]["health_pct"] == "permission_denied"


def as_a_normal_user(collect) -> dict:
    """`collect()` run without root: in a child that drops to nobody when we are root."""
    if os.geteuid() != 0:
        return collect()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: give up root for good, collect, hand back JSON
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(write_end, "w") as out:
                json.dump(collect(), out)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        text = answer.read()
    os.waitpid(pid, 0)
    return json.loads(text)


def test_show_prints_the_report_as_json_from_the_command_line():
    command = [
        sys.executable,
        "-m",
        "assettrack.agents",
        "show",
        "--root",
        str(SYSFS / "laptop-worn-two-batteries"),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
        timeout=120,
    )
    shown = json.loads(done.stdout)

    assert shown["machine"]["model"] == "20FAS0U900"
    assert [b["cycle_count"] for b in shown["batteries"]] == [1187, 412]


# --- disks -------------------------------------------------------------------


def test_a_healthy_sata_ssd_shows_no_bad_sectors():
    disk = recorded_disk("sata-ssd-healthy.json", "/dev/sda")

    assert disk["name"] == "/dev/sda"
    assert disk["model"] == "SSDSCKJB240G7R"
    assert disk["interface"] == "sata" and disk["rotational"] is False
    assert disk["smart_passed"] is True
    assert disk["power_on_hours"] == 21213
    assert disk["reallocated_sectors"] == 0 and disk["pending_sectors"] == 0
    assert disk["missing"]["reported_uncorrectable"] == "not_present"
    assert disk["missing"]["nvme_percentage_used"] == "not_applicable"
    assert_every_null_says_why(disk)


def test_a_failing_hdd_shows_reallocated_and_pending_sectors():
    disk = recorded_disk("hdd-failing.json")

    assert disk["smart_passed"] is False
    assert disk["smartctl_exit_status"] == 216
    assert disk["reallocated_sectors"] == 1975
    assert disk["pending_sectors"] == 8
    assert disk["offline_uncorrectable"] == 0
    assert disk["rotational"] is True and disk["rotation_rpm"] == 7200
    assert disk["power_on_hours"] == 65592
    assert disk["serial"] == "MSK423Y20S3HBC"
    assert_every_null_says_why(disk)


def test_a_healthy_nvme_shows_its_wear_and_spare():
    disk = recorded_disk("nvme-healthy.json")

    assert disk["interface"] == "nvme" and disk["rotational"] is False
    assert disk["nvme_critical_warning"] == 0
    assert disk["nvme_percentage_used"] == 0
    assert disk["nvme_available_spare_pct"] == 100
    assert disk["nvme_media_errors"] == 0
    assert disk["missing"]["reallocated_sectors"] == "not_applicable"
    assert_every_null_says_why(disk)


def test_a_worn_out_nvme_shows_its_critical_warning_and_endurance_used_up():
    disk = recorded_disk("nvme-worn.json")

    assert disk["nvme_critical_warning"] == 5
    assert disk["nvme_percentage_used"] == 104
    assert disk["nvme_available_spare_pct"] < disk["nvme_spare_threshold_pct"]
    assert disk["nvme_media_errors"] == 7
    assert disk["smart_passed"] is False


@pytest.mark.parametrize(
    "recorded,reason",
    [
        ("usb-unknown-bridge.json", "unreadable"),
        ("virtio-unknown-type.json", "unreadable"),
        ("sata-permission-denied.json", "permission_denied"),
    ],
)
def test_a_disk_smartctl_cannot_read_says_why_on_every_smart_field(recorded, reason):
    disk = recorded_disk(recorded)

    assert disk["smart_passed"] is None
    assert disk["missing"]["smart_passed"] == reason
    assert disk["missing"]["reallocated_sectors"] == reason
    assert disk["smartctl_exit_status"] in (1, 2)
    assert_every_null_says_why(disk)


def test_every_disk_smartctl_lists_is_read_through_the_runner():
    found, reason = smart.collect(recorded_smartctl)

    assert reason is None
    by_name = {d["name"]: d for d in found}
    assert sorted(by_name) == sorted(RECORDED_DISKS)
    assert by_name["/dev/sdc"]["pending_sectors"] == 8
    assert by_name["/dev/nvme1"]["nvme_percentage_used"] == 104
    assert by_name["/dev/sdb"]["missing"]["smart_passed"] == "unreadable"


def test_without_smartctl_the_disks_sysfs_knows_still_appear_saying_tool_missing():
    found, reason = disks.collect(SYSFS / "desktop-no-battery", no_smartctl)

    assert reason is None
    [disk] = found  # loop0 and the DVD drive are not disks
    assert disk["name"] == "/dev/sda"
    assert disk["size_bytes"] == 976773168 * 512
    assert disk["rotational"] is True
    assert disk["model"] == "WDC WD5000AAKX-0"
    assert disk["missing"]["smart_passed"] == "tool_missing"
    assert disk["missing"]["reallocated_sectors"] == "tool_missing"
    assert_every_null_says_why(disk)


def test_sysfs_and_smartctl_views_of_one_nvme_disk_become_one_disk():
    found, _ = disks.collect(SYSFS / "laptop-healthy", recorded_smartctl)

    names = [d["name"] for d in found]
    assert names.count("/dev/nvme0") == 1, "nvme0n1 in sysfs is smartctl's nvme0"
    assert "/dev/nvme0n1" not in names


# --- the whole report --------------------------------------------------------


def test_show_prints_one_report_with_the_fields_the_service_expects():
    shown = report.collect(SYSFS / "laptop-worn-two-batteries", recorded_smartctl)

    assert {"report_id", "collected_at", "agent_version"} <= set(shown)
    assert shown["schema"] == report.SCHEMA
    assert shown["collected_at"].endswith("+00:00")
    assert [b["health_pct"] for b in shown["batteries"]] == [55.0, 86.5]
    assert len(shown["disks"]) >= 5
    json.dumps(shown)  # sendable as it is
    assert report.collect()["report_id"] != shown["report_id"]


def test_the_real_collectors_on_this_machine():
    """psutil and sysfs on the host running the tests (a VM without a battery)."""
    shown = report.collect()

    assert shown["memory"]["usable_bytes"] > 0
    assert shown["cpu"]["cores"] >= 1 and shown["cpu"]["threads"] >= 1
    assert shown["os"]["uptime_s"] >= 0
    assert shown["filesystems"], "at least the root filesystem"
    if battery_here():
        assert shown["batteries"] and "batteries" not in shown["missing"]
    else:
        assert shown["batteries"] == []
        assert shown["missing"]["batteries"] == "no_battery"
        assert shown["charge"]["missing"]["percent"] == "no_battery"
    for section in ("machine", "os", "cpu", "memory", "charge"):
        assert_every_null_says_why(shown[section])
    for disk in shown["disks"]:
        assert_every_null_says_why(disk)


def battery_here() -> bool:
    supplies = Path("/sys/class/power_supply")
    return supplies.is_dir() and any(
        (p / "type").is_file() and (p / "type").read_text().strip() == "Battery"
        for p in supplies.iterdir()
    )


def test_the_agent_imports_nothing_from_the_service():
    """Installed alone on a laptop: no Flask, nothing of assettrack outside agents."""
    code = (
        "import sys, assettrack.agents.__main__, assettrack.agents.report\n"
        "import assettrack.agents.health, assettrack.agents.ranking\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy'}\n"
        "       or (m.startswith('assettrack.') and not m.startswith('assettrack.agents'))]\n"
        "print(bad)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stdout.strip() == "[]"
