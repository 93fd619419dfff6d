"""The device agent on Macs and Windows laptops: what a repair partner learns.

Recorded outputs of ioreg, system_profiler, powercfg and PowerShell
(tests/fixtures/agent/macos and windows, sources in the README there) go
through the same parsers the agent runs on those machines; the runner answers
as the tool did, so these run on Linux.
"""

import datetime as dt
import json
import shutil
from pathlib import Path

from assettrack.agents import battery
from assettrack.agents import health
from assettrack.agents import identity
from assettrack.agents import report
from assettrack.agents.fields import REASONS
from assettrack.schemas.agent import ReportSchema

FIXTURES = Path(__file__).parent / "fixtures" / "agent"
MACOS = FIXTURES / "macos"
WINDOWS = FIXTURES / "windows"
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def recorded(answers: dict[str, str | None]):
    """A runner answering as each tool did: a fixture name, or None = not installed.

    powercfg writes its report to the file named last on its command line, so
    the recorded report is copied there; `ran` keeps every argv it was given.
    """

    def runner(argv: list[str]) -> tuple[int, str]:
        runner.ran.append(argv)
        name = answers.get(argv[0], "missing")
        if name is None or name == "missing":
            raise FileNotFoundError(2, "No such file or directory", argv[0])
        if name == "fails":
            return 1, ""
        if argv[0] == "powercfg":
            shutil.copy(WINDOWS / name, argv[-1])
            return 0, "Battery life report saved to file path " + argv[-1]
        if argv[0] == "system_profiler":
            name = answers.get(" ".join(argv[:2]), name)
        folder = MACOS if argv[0] in ("ioreg", "system_profiler") else WINDOWS
        return 0, (folder / name).read_text() if name else ""

    runner.ran = []
    return runner


def no_smartctl(args: list[str]) -> tuple[int, str]:
    raise FileNotFoundError(2, "No such file or directory", "smartctl")


def rules_for(batteries: list[dict], chassis: int = 10) -> set[tuple[str, str]]:
    found = health.findings(
        {"batteries": batteries, "machine": {"chassis_type": chassis}, "missing": {}},
        health.Context(received_at=NOW),
    )
    return {(f.rule, f.subject) for f in found if f.component == "battery"}


def assert_every_null_says_why(record: dict) -> None:
    nulls = {key for key, value in record.items() if value is None}
    assert nulls == set(record["missing"]), record
    assert set(record["missing"].values()) <= set(REASONS)


# --- macOS batteries ----------------------------------------------------------


def test_an_apple_silicon_macbook_is_compared_in_mah_not_by_its_100_percent():
    """MaxCapacity is a percentage on Apple silicon: wear comes from raw mAh."""
    runner = recorded({"ioreg": "ioreg-m1max.plist"})
    [bat], reason = battery.collect(system="darwin", runner=runner)

    assert reason is None
    assert runner.ran == [["ioreg", "-r", "-c", "AppleSmartBattery", "-a"]]
    assert bat["design_mah"] == 8694 and bat["full_mah"] == 8179
    assert bat["health_pct"] == 94.1
    assert bat["cycle_count"] == 35
    assert bat["serial"] == "XXXXXXXXXXXXXLWBD"
    assert bat["model"] == "bq40z651"
    assert bat["status"] == "Full"
    assert bat["capacity_source"] == "charge"
    # No design voltage on a Mac: Wh would be a guess, so it says why it is null.
    assert (bat["design_mah"], bat["design_wh"]) == (8694.0, None)
    assert bat["missing"]["design_wh"] == "not_present"
    assert bat["missing"]["voltage_min_design_v"] == "not_present"
    assert_every_null_says_why(bat)
    assert rules_for([bat]) == set(), "a healthy battery fires nothing"


def test_a_worn_intel_macbook_battery_is_flagged_for_replacement_planning():
    """Intel Macs give MaxCapacity in mAh; 3424 of 5088 mAh is 67 %."""
    [bat], _ = battery.collect(
        system="darwin", runner=recorded({"ioreg": "ioreg-intel-worn.plist"})
    )

    assert bat["full_mah"] == 3424 and bat["design_mah"] == 5088
    assert bat["health_pct"] == 67.3
    assert bat["missing"]["cycle_count"] == "not_present"
    assert_every_null_says_why(bat)
    assert rules_for([bat]) == {("BAT_WEAR", "InternalBattery-0")}


def test_when_ioreg_fails_system_profiler_still_gives_cycles_and_capacity():
    runner = recorded(
        {"ioreg": "fails", "system_profiler": "power-apple-silicon-83pct.json"}
    )
    [bat], reason = battery.collect(system="darwin", runner=runner)

    assert reason is None
    assert runner.ran[-1] == ["system_profiler", "SPPowerDataType", "-json"]
    assert bat["cycle_count"] == 88
    assert bat["health_pct"] == 83.0
    assert bat["missing"]["design_mah"] == "not_present"
    assert_every_null_says_why(bat)


def test_the_check_battery_mac_reports_its_745_cycles_through_the_fallback():
    runner = recorded(
        {"ioreg": None, "system_profiler": "power-intel-check-battery.json"}
    )
    [bat], _ = battery.collect(system="darwin", runner=runner)

    assert bat["cycle_count"] == 745
    assert bat["missing"]["health_pct"] == "not_present"


def test_a_mac_mini_has_no_battery_and_says_so():
    """ioreg prints nothing when no AppleSmartBattery exists."""
    batteries, reason = battery.collect(system="darwin", runner=recorded({"ioreg": ""}))

    assert batteries == []
    assert reason == "no_battery"


def test_a_mac_without_its_tools_says_tool_missing_and_a_failing_one_unreadable():
    assert battery.collect(system="darwin", runner=recorded({})) == (
        [],
        "tool_missing",
    )
    failing = recorded({"ioreg": "fails", "system_profiler": "fails"})
    assert battery.collect(system="darwin", runner=failing) == ([], "unreadable")


# --- Windows batteries --------------------------------------------------------


def test_a_thinkpad_on_windows_reports_both_batteries_and_the_worn_one():
    runner = recorded({"powercfg": "batteryreport-thinkpad-t470s-two-batteries.xml"})
    batteries, reason = battery.collect(system="win32", runner=runner)

    assert reason is None
    by_name = {b["name"]: b for b in batteries}
    assert sorted(by_name) == ["00HW023", "01AV406"]
    inner, outer = by_name["00HW023"], by_name["01AV406"]
    assert inner["design_wh"] == 23.54 and inner["full_wh"] == 19.45
    assert inner["health_pct"] == 82.6 and inner["cycle_count"] == 173
    assert outer["health_pct"] == 68.5 and outer["cycle_count"] == 143
    assert outer["serial"] == "3319", "powercfg pads serials with spaces"
    assert outer["technology"] == "LiP" and outer["manufacturer"] == "SMP"
    assert outer["capacity_source"] == "energy"
    assert outer["missing"]["design_mah"] == "not_applicable"
    for bat in batteries:
        assert_every_null_says_why(bat)
    assert rules_for(batteries) == {("BAT_WEAR", "01AV406")}


def test_powercfg_writes_into_a_private_folder_the_agent_removes():
    runner = recorded({"powercfg": "batteryreport-dell-xps13.xml"})
    battery.collect(system="win32", runner=runner)

    [argv] = runner.ran
    assert argv[:4] == ["powercfg", "/batteryreport", "/xml", "/output"]
    written = Path(argv[-1])
    assert written.name == "battery-report.xml"
    assert not written.parent.exists(), "the temporary folder is gone"


def test_a_dell_that_counts_no_cycles_is_marked_verify_by_hand_as_on_linux():
    """0 cycles at 85 % of design: the same rule as a Linux driver reporting 0."""
    [bat], _ = battery.collect(
        system="win32", runner=recorded({"powercfg": "batteryreport-dell-xps13.xml"})
    )
    [linux], _ = battery.collect(FIXTURES / "sysfs" / "battery-charge-based")

    assert bat["health_pct"] == 84.8 and bat["cycle_count"] == 0
    assert {rule for rule, _ in rules_for([bat])} == {"BAT_DATA_SUSPECT"}
    assert {rule for rule, _ in rules_for([linux])} == {"BAT_DATA_SUSPECT"}


def test_worn_batteries_fire_the_same_rules_on_every_system():
    worn_linux, _ = battery.collect(FIXTURES / "sysfs" / "laptop-worn-two-batteries")
    [worn_mac], _ = battery.collect(
        system="darwin", runner=recorded({"ioreg": "ioreg-intel-worn.plist"})
    )
    windows, _ = battery.collect(
        system="win32",
        runner=recorded({"powercfg": "batteryreport-thinkpad-t470s-two-batteries.xml"}),
    )
    [worn_windows] = [b for b in windows if b["health_pct"] < 80]

    assert ("BAT_WEAR_SEVERE", "BAT0") in rules_for(worn_linux), "55 % on Linux"
    for bat in (worn_mac, worn_windows):  # 67.3 % and 68.5 %
        assert {rule for rule, _ in rules_for([bat])} == {"BAT_WEAR"}
    severe = dict(worn_windows, full_wh=worn_windows["design_wh"] * 0.55)
    assert {rule for rule, _ in rules_for([severe])} == {"BAT_WEAR_SEVERE"}


def test_a_windows_desktop_has_no_battery_and_is_not_told_to_fit_one():
    batteries, reason = battery.collect(
        system="win32",
        runner=recorded({"powercfg": "batteryreport-desktop-no-battery.xml"}),
    )
    found = health.findings(
        {
            "batteries": [],
            "machine": {"chassis_type": 3},
            "missing": {"batteries": reason},
        },
        health.Context(received_at=NOW),
    )

    assert (batteries, reason) == ([], "no_battery")
    assert [f.rule for f in found if f.component == "battery"] == []


def test_windows_without_powercfg_or_with_it_failing_says_why():
    assert battery.collect(system="win32", runner=recorded({})) == ([], "tool_missing")
    failing = recorded({"powercfg": "fails"})
    assert battery.collect(system="win32", runner=failing) == ([], "unreadable")


# --- machine identity ---------------------------------------------------------


def test_a_windows_laptop_is_named_from_cim_with_its_serial_and_chassis():
    runner = recorded({"powershell.exe": "machine-thinkpad-t470s.json"})
    machine = identity.machine(system="win32", runner=runner)

    assert runner.ran[0][:4] == [
        "powershell.exe",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
    ]
    assert machine["vendor"] == "LENOVO" and machine["model"] == "20HGS0001P"
    assert machine["family"] == "ThinkPad T470s"
    assert machine["chassis_type"] == 10
    assert machine["serial"] == "PF0XXXXX"
    assert machine["bios_version"] == "N1WET68W (1.47 )"
    assert machine["bios_date"] == "2022-07-21"
    assert_every_null_says_why(machine)


def test_a_macbook_is_portable_and_an_imac_is_not():
    air = identity.machine(
        system="darwin",
        runner=recorded({"system_profiler": "hardware-macbook-air-m1.json"}),
    )
    imac = identity.machine(
        system="darwin", runner=recorded({"system_profiler": "hardware-imac-pro.json"})
    )

    assert air["vendor"] == "Apple Inc." and air["model"] == "MacBookAir10,1"
    assert air["family"] == "MacBook Air" and air["chassis_type"] == 10
    assert air["serial"] == "XXXXXXXXQ6LR"
    assert air["bios_version"] == "7429.41.5"
    assert air["missing"]["board_serial"] == "not_present"
    assert imac["model"] == "iMacPro1,1" and imac["chassis_type"] == 13
    assert imac["serial"] == "C02VT3******"
    for machine in (air, imac):
        assert_every_null_says_why(machine)
    assert health.PORTABLE_CHASSIS >= {air["chassis_type"]}
    assert imac["chassis_type"] not in health.PORTABLE_CHASSIS


def test_identity_says_tool_missing_or_unreadable_on_every_field():
    missing = identity.machine(system="darwin", runner=recorded({}))
    failing = identity.machine(
        system="win32", runner=recorded({"powershell.exe": "fails"})
    )

    assert missing["serial"] is None
    assert set(missing["missing"].values()) == {"tool_missing"}
    assert set(failing["missing"].values()) == {"unreadable"}
    assert set(failing["missing"]) == set(identity.DMI_FIELDS)


# --- the whole report ---------------------------------------------------------


def test_a_windows_report_is_accepted_by_the_service_as_it_is():
    tools = recorded(
        {
            "powercfg": "batteryreport-thinkpad-t470s-two-batteries.xml",
            "powershell.exe": "machine-thinkpad-t470s.json",
        }
    )
    shown = report.collect(runner=no_smartctl, platform="win32", tools=tools)

    assert shown["machine"]["model"] == "20HGS0001P"
    assert [b["health_pct"] for b in shown["batteries"]] == [82.6, 68.5]
    assert "batteries" not in shown["missing"]
    ReportSchema().load({**json.loads(json.dumps(shown)), "seq": 1})  # as spooled


def test_a_mac_report_is_accepted_by_the_service_as_it_is():
    tools = recorded(
        {
            "ioreg": "ioreg-m1max.plist",
            "system_profiler": "hardware-macbook-air-m1.json",
        }
    )
    shown = report.collect(runner=no_smartctl, platform="darwin", tools=tools)

    assert shown["machine"]["family"] == "MacBook Air"
    assert shown["batteries"][0]["health_pct"] == 94.1
    ReportSchema().load({**json.loads(json.dumps(shown)), "seq": 1})  # as spooled
