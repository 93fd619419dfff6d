"""The repair partner reads a device's health: what to fix, and how urgently.

Recorded machines (tests/fixtures/agent) go through the agent's own
collectors, then through the service's rules; hand-made minimal reports sit
exactly at and around each threshold of research/agents.md section (c).
"""

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from assettrack.agents import health
from assettrack.agents import ranking
from assettrack.agents import report
from assettrack.agents.health import GB
from assettrack.agents.health import GIB
from assettrack.agents.health import Context
from assettrack.agents.health import Finding

FIXTURES = Path(__file__).parent / "fixtures" / "agent"
NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
AT_NOW = Context(received_at=NOW)


# which scan entry (device type) each recorded output was taken with
SCANNED_AS = {
    "hdd-failing.json": "/dev/sdc",
    "sata-ssd-healthy.json": "/dev/sda",
    "nvme-healthy.json": "/dev/nvme0",
    "nvme-worn.json": "/dev/nvme1",
}


def smartctl_answering(disks: dict[str, str]):
    """A runner where smartctl lists `disks` (device -> recorded output file)."""
    scan = json.loads((FIXTURES / "smartctl" / "scan-open.json").read_text())
    entries = {d["name"]: d for d in scan["devices"]}
    listed = [{**entries[SCANNED_AS[r]], "name": d} for d, r in disks.items()]

    def run(args: list[str]) -> tuple[int, str]:
        if "--scan-open" in args:
            return 0, json.dumps({**scan, "devices": listed})
        text = (FIXTURES / "smartctl" / disks[args[-1]]).read_text()
        return json.loads(text)["smartctl"]["exit_status"], text

    return run


def no_smartctl(args: list[str]) -> tuple[int, str]:
    raise FileNotFoundError(2, "No such file or directory", "smartctl")


def machine(tree: str, disks: dict[str, str] | None = None) -> dict:
    """A recorded machine's report as the agent builds it.

    psutil's sections describe the host running the tests, not the recorded
    machine: they are emptied so the story does not depend on this host.
    """
    runner = smartctl_answering(disks) if disks is not None else no_smartctl
    shown = report.collect(FIXTURES / "sysfs" / tree, runner, now=NOW)
    shown["filesystems"], shown["temperatures"] = [], []
    shown["missing"].update(filesystems="not_present", temperatures="not_present")
    shown["memory"]["usable_bytes"] = None
    shown["memory"]["missing"]["usable_bytes"] = "not_present"
    return shown


def by_rule(found: list[Finding]) -> dict[str, list[Finding]]:
    rules: dict[str, list[Finding]] = {}
    for finding in found:
        rules.setdefault(finding.rule, []).append(finding)
    return rules


def rules_of(found: list[Finding]) -> set[str]:
    return {f.rule for f in found}


# --- recorded machines -------------------------------------------------------


def test_a_worn_laptop_battery_is_to_be_replaced_with_its_percentage_shown():
    seen = machine("laptop-worn-two-batteries", {"/dev/sda": "sata-ssd-healthy.json"})

    found = health.findings(seen, AT_NOW)

    rules = by_rule(found)
    [severe] = rules["BAT_WEAR_SEVERE"]
    assert severe.subject == "BAT0" and severe.priority == 1
    assert severe.value == 55.0 and "55.0 %" in severe.text
    assert severe.repair == "battery" and severe.source
    [cycles] = rules["BAT_CYCLES"]
    assert cycles.value == 1187 and "1187" in cycles.text
    assert all(f.subject != "BAT1" for f in found), "BAT1 holds 86.5 %: fine"
    assert not {"DISK_SMART_FAIL", "DISK_PENDING", "DISK_REALLOC"} & rules_of(found)
    assert "BAT_MISSING" not in rules
    rank = ranking.rank(found)
    assert rank.category == "quick_win" and rank.priority == 1
    assert rank.reasons[0] == "BAT_WEAR_SEVERE"


def test_a_failing_hdd_shows_its_pending_and_reallocated_counts():
    seen = machine("desktop-no-battery", {"/dev/sda": "hdd-failing.json"})

    found = health.findings(seen, AT_NOW)

    rules = by_rule(found)
    [pending] = rules["DISK_PENDING"]
    assert pending.priority == 0 and pending.value == 8
    assert "8 pending" in pending.text and "MSK423Y20S3HBC" in pending.subject
    [realloc] = rules["DISK_REALLOC"]
    assert realloc.priority == 1 and "1975 reallocated" in realloc.text
    assert {"DISK_SMART_FAIL", "DISK_PREFAIL", "DISK_PAST_FAIL"} <= set(rules)
    assert rules["DISK_OLD_HDD"][0].value == 65592
    assert "DISK_HDD_BOOT" in rules, "its only disk spins: SSD candidate"
    assert "BAT_MISSING" not in rules, "a desktop (chassis 3) needs no battery"
    assert found[0].priority == 0, "most urgent first"
    assert [f.priority for f in found] == sorted(f.priority for f in found)
    rank = ranking.rank(found)
    assert (rank.priority, rank.category) == (0, "quick_win"), "swap the disk"
    assert rank.health_score == 0


def test_a_worn_out_nvme_shows_its_critical_warning_and_endurance():
    seen = machine("laptop-healthy", {"/dev/nvme0": "nvme-worn.json"})

    found = health.findings(seen, AT_NOW)

    rules = by_rule(found)
    [critical] = rules["NVME_CRIT"]
    assert critical.priority == 0 and critical.value == 5
    assert "spare below threshold" in critical.text
    assert "reliability degraded" in critical.text
    [worn] = rules["NVME_WORN"]
    assert (worn.priority, worn.value, worn.limit) == (1, 104, 100)
    assert "104 %" in worn.text
    assert rules["NVME_SPARE"][0].value == 7
    assert rules["NVME_MEDIA"][0].value == 7
    assert {f.repair for f in found if f.component == "disk"} == {"ssd"}


def test_a_healthy_laptop_has_nothing_above_p3():
    seen = machine("laptop-healthy", {"/dev/nvme0": "nvme-healthy.json"})

    found = health.findings(seen, AT_NOW)

    assert [f for f in found if f.priority < 3] == []
    rank = ranking.rank(found)
    assert rank.category == "healthy" and rank.health_score >= 90


def test_a_cheap_laptop_with_soldered_32_gb_storage_cannot_get_a_bigger_disk():
    seen = machine("battery-charge-based", {})

    found = health.findings(seen, AT_NOW)

    rules = by_rule(found)
    [small] = rules["DISK_SMALL"]
    assert small.value == 31268536320 and "31.3 GB" in small.text
    assert small.repair == "none", "eMMC is soldered"
    assert "BAT_WEAR" not in rules, "exactly 80 % of design is not worn"
    [suspect] = rules["BAT_DATA_SUSPECT"]
    assert suspect.value == 0 and suspect.priority == 3
    assert "DISK_UNKNOWN" in rules
    assert ranking.rank(found).category == "repair"


def test_without_smartctl_each_disk_asks_for_a_bench_check():
    seen = machine("laptop-healthy")

    found = health.findings(seen, AT_NOW)

    [unknown] = by_rule(found)["DISK_UNKNOWN"]
    assert unknown.value == "tool_missing" and unknown.priority == 3
    assert "bench check" in unknown.text


def test_a_laptop_without_battery_needs_one_but_a_desktop_does_not():
    laptop = machine("laptop-healthy", {"/dev/nvme0": "nvme-healthy.json"})
    laptop["batteries"] = []
    laptop["missing"]["batteries"] = "no_battery"
    desktop = machine("desktop-no-battery", {})

    assert "BAT_MISSING" in rules_of(health.findings(laptop, AT_NOW))
    assert "BAT_MISSING" not in rules_of(health.findings(desktop, AT_NOW))
    known_laptop = Context(received_at=NOW, kind="laptop")
    [missing] = by_rule(health.findings(desktop, known_laptop))["BAT_MISSING"]
    assert missing.priority == 1 and missing.repair == "battery"


def test_a_battery_list_not_collected_on_this_os_is_not_a_missing_battery():
    laptop = device(
        machine={"chassis_type": 10, "missing": {}},
        batteries=[],
        missing={"batteries": "unsupported_os"},
    )

    assert health.findings(laptop, Context(received_at=NOW, kind="laptop")) == []


# --- minimal reports at the thresholds ------------------------------------------


def device(**sections) -> dict:
    """A report holding only `sections`: every other list empty, for a reason."""
    base = {
        "schema": "assettrack-agent-report/1",
        "report_id": "00000000-0000-4000-8000-000000000000",
        "collected_at": NOW.isoformat(),
        "sent_at": NOW.isoformat(),
        "batteries": [],
        "disks": [],
        "filesystems": [],
        "temperatures": [],
        "missing": {
            "batteries": "no_battery",
            "disks": "not_present",
            "filesystems": "not_present",
            "temperatures": "not_present",
        },
    }
    return {**base, **sections}


def battery(**values) -> dict:
    return {"name": "BAT0", "capacity_source": "energy", "missing": {}, **values}


def disk(**values) -> dict:
    fields = {"name": "/dev/sda", "serial": "S1", "interface": "sata"}
    return {**fields, "smart_passed": True, "missing": {}, **values}


def found_for(context: Context = AT_NOW, **sections) -> dict[str, list[Finding]]:
    return by_rule(health.findings(device(**sections), context))


@pytest.mark.parametrize(
    "full_wh,expected",
    [
        (59.9, "BAT_WEAR_SEVERE"),
        (60.0, "BAT_WEAR"),
        (79.9, "BAT_WEAR"),
        (80.0, None),
        (105.0, None),
        (105.1, "BAT_DATA_SUSPECT"),
    ],
)
def test_battery_wear_thresholds(full_wh, expected):
    rules = found_for(batteries=[battery(design_wh=100.0, full_wh=full_wh)])

    assert set(rules) == ({expected} if expected else set())
    if expected:
        assert rules[expected][0].value == full_wh


def test_battery_wear_is_computed_by_the_service_not_taken_from_the_agent():
    says_fine = battery(design_wh=50.0, full_wh=25.0, health_pct=99.0)

    assert "BAT_WEAR_SEVERE" in found_for(batteries=[says_fine])


def test_a_charge_battery_compares_mah_never_energy_against_charge():
    charge = battery(
        capacity_source="charge",
        design_mah=5000.0,
        full_mah=2500.0,
        design_wh=38.5,
        full_wh=38.5,  # a wrong conversion must not hide the wear
    )

    [severe] = found_for(batteries=[charge])["BAT_WEAR_SEVERE"]
    assert severe.value == 50.0


def test_a_battery_with_zero_design_capacity_is_suspect():
    rules = found_for(batteries=[battery(design_wh=0.0, full_wh=30.0)])

    assert set(rules) == {"BAT_DATA_SUSPECT"}


@pytest.mark.parametrize("cycles,fires", [(999, False), (1000, True), (2500, True)])
def test_battery_cycle_threshold(cycles, fires):
    rules = found_for(
        batteries=[battery(design_wh=50.0, full_wh=49.0, cycle_count=cycles)]
    )

    assert ("BAT_CYCLES" in rules) is fires


@pytest.mark.parametrize("full_wh,fires", [(95.0, False), (94.9, True)])
def test_zero_cycles_on_a_used_battery_means_the_counter_lies(full_wh, fires):
    rules = found_for(
        batteries=[battery(design_wh=100.0, full_wh=full_wh, cycle_count=0)]
    )

    assert ("BAT_DATA_SUSPECT" in rules) is fires


@pytest.mark.parametrize(
    "status,expected",
    [
        (0, set()),
        (2, set()),  # bit 1: could not open the device; says nothing of health
        (4, set()),  # bit 2: a SMART command failed
        (8, {"DISK_SMART_FAIL"}),
        (16, {"DISK_PREFAIL"}),
        (32, {"DISK_PAST_FAIL"}),
        (64, {"DISK_PAST_FAIL"}),
        (128, {"DISK_PAST_FAIL"}),
        (8 | 16 | 64, {"DISK_SMART_FAIL", "DISK_PREFAIL", "DISK_PAST_FAIL"}),
    ],
)
def test_smartctl_exit_status_bits(status, expected):
    rules = found_for(disks=[disk(smartctl_exit_status=status)])

    assert set(rules) == expected


@pytest.mark.parametrize("junk", [-1, 256, 1e308, "8", True])
def test_an_impossible_exit_status_says_nothing(junk):
    assert found_for(disks=[disk(smartctl_exit_status=junk)]) == {}


def test_smart_failed_without_exit_status_still_fails_the_disk():
    [failed] = found_for(disks=[disk(smart_passed=False)])["DISK_SMART_FAIL"]

    assert failed.priority == 0 and "FAILED" in failed.text


@pytest.mark.parametrize(
    "field,rule",
    [
        ("pending_sectors", "DISK_PENDING"),
        ("offline_uncorrectable", "DISK_PENDING"),
        ("reallocated_sectors", "DISK_REALLOC"),
        ("reported_uncorrectable", "DISK_REALLOC"),
        ("command_timeouts", "DISK_REALLOC"),
    ],
)
def test_one_bad_sector_counter_above_zero_fires_and_zero_does_not(field, rule):
    assert found_for(disks=[disk(**{field: 0})]) == {}
    [hit] = found_for(disks=[disk(**{field: 3})])[rule]
    assert hit.value == 3 and "3 " in hit.text


@pytest.mark.parametrize(
    "used,priority",
    [(79, None), (80, 2), (99, 2), (100, 1), (104, 1)],
)
def test_nvme_endurance_used(used, priority):
    rules = found_for(disks=[disk(interface="nvme", nvme_percentage_used=used)])

    if priority is None:
        assert rules == {}
    else:
        assert rules["NVME_WORN"][0].priority == priority


@pytest.mark.parametrize("spare,fires", [(10, False), (9, True)])
def test_nvme_spare_below_its_own_threshold(spare, fires):
    nvme = disk(nvme_available_spare_pct=spare, nvme_spare_threshold_pct=10)

    assert ("NVME_SPARE" in found_for(disks=[nvme])) is fires


@pytest.mark.parametrize(
    "rotational,hours,fires",
    [(True, 35_000, False), (True, 35_001, True), (False, 60_000, False)],
)
def test_an_old_spinning_disk(rotational, hours, fires):
    spinning = disk(rotational=rotational, power_on_hours=hours)

    assert ("DISK_OLD_HDD" in found_for(disks=[spinning])) is fires


@pytest.mark.parametrize("size,fires", [(64 * GB - 1, True), (64 * GB, False)])
def test_a_system_disk_below_64_gb(size, fires):
    rules = found_for(disks=[disk(size_bytes=size)])

    assert ("DISK_SMALL" in rules) is fires
    if fires:
        assert rules["DISK_SMALL"][0].repair == "ssd"


def test_the_system_disk_is_the_one_holding_the_root_filesystem():
    stick = disk(name="/dev/nvme1", serial="STICK", size_bytes=16 * GB)
    system = disk(
        name="/dev/nvme10", serial="BIG", size_bytes=512 * GB, rotational=True
    )
    root = {"mount": "/", "device": "/dev/nvme10n1p2", "missing": {}}

    rules = found_for(disks=[stick, system], filesystems=[root])

    assert "DISK_SMALL" not in rules, "nvme1 is not nvme10"
    assert rules["DISK_HDD_BOOT"][0].subject == "/dev/nvme10 BIG"


def test_with_two_disks_and_no_root_filesystem_no_system_disk_is_guessed():
    small = [disk(name="/dev/sda", size_bytes=GB), disk(name="/dev/sdb", size_bytes=GB)]

    assert "DISK_SMALL" not in found_for(disks=small)


@pytest.mark.parametrize(
    "total,free,fires",
    [
        (500 * GB, 50 * GB, False),
        (500 * GB, 49 * GB, True),  # 9.8 %
        (100 * GB, 15 * GB, False),
        (1000 * GB, 15 * GB - 1, True),  # 1.5 %, and below 15 GB
    ],
)
def test_a_nearly_full_system_volume(total, free, fires):
    root = {
        "mount": "/",
        "device": "/dev/sda1",
        "total_bytes": total,
        "free_bytes": free,
    }

    assert ("FS_FULL" in found_for(filesystems=[root])) is fires


@pytest.mark.parametrize(
    "current,rule",
    [(84.9, None), (85.0, "TEMP_HIGH"), (99.9, "TEMP_HIGH"), (100.0, "TEMP_CRIT")],
)
def test_temperature_against_the_sensors_own_limits(current, rule):
    sensor = {"sensor": "coretemp/Package id 0", "current_c": current}
    sensor.update(high_c=85.0, critical_c=100.0, missing={})

    rules = found_for(temperatures=[sensor])

    assert set(rules) == ({rule} if rule else set())


def test_a_sensor_without_limits_fires_nothing():
    sensor = {"sensor": "acpitz/0", "current_c": 120.0, "high_c": None}
    sensor.update(critical_c=None, missing={"high_c": "not_present"})

    assert found_for(temperatures=[sensor]) == {}


@pytest.mark.parametrize(
    "installed,usable,rule",
    [
        (4 * GIB - 1, None, "RAM_LOW"),
        (2 * GIB, None, "RAM_LOW"),
        (4 * GIB, None, "RAM_MIN"),
        (8 * GIB, None, None),
        (8 * GIB, 2 * GIB, None),  # installed wins over usable
        (None, int(3.8 * GIB), "RAM_MIN"),  # a 4 GB machine minus graphics
        (None, int(3.4 * GIB), "RAM_LOW"),
        (None, int(7.7 * GIB), None),
    ],
)
def test_ram_below_4_gb(installed, usable, rule):
    memory = {"installed_bytes": installed, "usable_bytes": usable, "missing": {}}

    rules = found_for(memory=memory)

    assert set(rules) == ({rule} if rule else set())
    if rule == "RAM_LOW":
        assert rules[rule][0].repair == "ram" and rules[rule][0].priority == 2


@pytest.mark.parametrize(
    "system,fires",
    [
        ({"firmware": "uefi", "tpm_version": "2", "missing": {}}, False),
        ({"firmware": "bios", "tpm_version": "2", "missing": {}}, True),
        ({"firmware": "uefi", "tpm_version": "1", "missing": {}}, True),
        (
            {"firmware": "uefi", "tpm_version": None},
            True,
        ),
        (
            {"firmware": "uefi", "tpm_version": None, "secure_boot": False},
            True,
        ),
    ],
)
def test_windows_11_eligibility_from_tpm_and_uefi(system, fires):
    system = {"missing": {"tpm_version": "not_present"}, **system}

    assert ("WIN11_INELIGIBLE" in found_for(os=system)) is fires


def test_an_unreadable_tpm_is_not_a_missing_tpm():
    system = {"firmware": "uefi", "tpm_version": None}
    system["missing"] = {"tpm_version": "permission_denied"}

    assert found_for(os=system) == {}


def iso(delta: dt.timedelta) -> str:
    return (NOW + delta).isoformat()


@pytest.mark.parametrize(
    "skew,fires",
    [
        (dt.timedelta(days=1), False),
        (dt.timedelta(days=1, seconds=1), True),
        (-dt.timedelta(days=1), False),
        (-dt.timedelta(days=1, seconds=1), True),
        (-dt.timedelta(days=3650), True),  # a dead coin cell: back in 2016
    ],
)
def test_a_device_clock_more_than_a_day_off_the_server(skew, fires):
    rules = found_for(sent_at=iso(skew), collected_at=iso(skew))

    assert ("RTC_SUSPECT" in rules) is fires
    if fires:
        assert rules["RTC_SUSPECT"][0].repair == "cmos_battery"


def test_a_spooled_report_is_old_but_its_clock_is_right():
    rules = found_for(
        collected_at=iso(-dt.timedelta(days=10)), sent_at=iso(dt.timedelta())
    )

    assert "RTC_SUSPECT" not in rules


def test_without_sent_at_the_collection_time_tells_the_clock():
    late = device(collected_at=iso(dt.timedelta(days=2)))
    del late["sent_at"]

    assert "RTC_SUSPECT" in rules_of(health.findings(late, AT_NOW))


@pytest.mark.parametrize("junk", ["yesterday", "2026-11-29T12:00:00", 1764417600, None])
def test_an_unreadable_clock_fires_nothing(junk):
    assert found_for(sent_at=junk, collected_at=junk) == {}


# --- erasure and swaps ------------------------------------------------------------


def wiped(*serials: str, previous: dict | None = None) -> Context:
    return Context(
        received_at=NOW, erased_serials=frozenset(serials), previous=previous
    )


def test_a_disk_the_last_wipe_did_not_cover_blocks_lending():
    rules = found_for(wiped("OLD-DISK"), disks=[disk(serial="NEW-DISK")])

    [stale] = rules["ERASURE_INVALID"]
    assert stale.priority == 0 and stale.value == "NEW-DISK"
    assert "NEW-DISK" in stale.subject and "wipe" in stale.text
    assert ranking.rank([stale]).priority == 0


def test_the_erased_disk_itself_is_fine_in_any_case_or_spacing():
    assert found_for(wiped(" ab-12 "), disks=[disk(serial="AB-12")]) == {}


def test_without_any_erasure_recorded_nothing_is_said_of_it():
    assert found_for(AT_NOW, disks=[disk(serial="NEW-DISK")]) == {}


def test_a_usb_stick_or_an_unreadable_serial_does_not_void_the_wipe():
    stick = disk(name="/dev/sdb", serial="STICK", interface="usb")
    unknown = disk(
        name="/dev/sda", serial=None, missing={"serial": "permission_denied"}
    )

    assert "ERASURE_INVALID" not in found_for(wiped("X"), disks=[stick, unknown])


def test_a_swapped_battery_and_disk_are_noted_for_the_audit():
    before = device(batteries=[battery(serial="1342")], disks=[disk(serial="A")])
    now = dict(batteries=[battery(serial="9999")], disks=[disk(serial="B")])

    rules = found_for(Context(received_at=NOW, previous=before), **now)

    swaps = {f.subject: f for f in rules["COMPONENT_SWAP"]}
    assert sorted(swaps) == ["battery", "disk"]
    assert "1342" in swaps["battery"].value and "9999" in swaps["battery"].value
    assert all(f.priority == 3 for f in swaps.values())
    assert {f.component for f in swaps.values()} == {"battery", "disk"}


def test_same_parts_or_an_unknown_past_is_no_swap():
    before = device(batteries=[battery(serial="1342")], disks=[disk(serial=None)])
    now = dict(batteries=[battery(serial="1342")], disks=[disk(serial="B")])

    assert found_for(Context(received_at=NOW, previous=before), **now) == {}
    assert found_for(Context(received_at=NOW, previous=None), **now) == {}


# --- nulls and junk -----------------------------------------------------------------


def nulled(value):
    """Every field null, its reason in the object's missing map."""
    if isinstance(value, dict):
        out = {k: nulled(v) for k, v in value.items() if k != "missing"}
        out = {k: (v if isinstance(v, list | dict) else None) for k, v in out.items()}
        out["missing"] = {k: "permission_denied" for k, v in out.items() if v is None}
        return out
    if isinstance(value, list):
        return [nulled(v) for v in value]
    return None


def test_a_report_with_every_field_null_says_nothing_it_cannot_know():
    full = machine("laptop-worn-two-batteries", {"/dev/sda": "sata-ssd-healthy.json"})
    empty = nulled(full)

    found = health.findings(empty, wiped("X", previous=full))

    assert rules_of(found) <= {"DISK_UNKNOWN"}, "only the absence rules fire"
    assert ranking.rank(found).category == "healthy"


JUNK = ["", "12", -1, 1e308, math.nan, math.inf, True, [], {}, [None], {"a": 1}]


def broken_copies(full: dict, junk):
    """The report with `junk` in one field at a time, everywhere."""
    for key in full:
        yield {**full, key: junk}
    for section in ("machine", "os", "memory", "charge"):
        for key in full[section]:
            yield {**full, section: {**full[section], key: junk}}
    for listed in ("batteries", "disks", "filesystems", "temperatures"):
        for key in full[listed][0]:
            yield {**full, listed: [{**full[listed][0], key: junk}]}


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_junk_in_any_field_never_crashes(junk):
    full = machine("laptop-worn-two-batteries", {"/dev/sda": "hdd-failing.json"})
    full["filesystems"] = [
        {"mount": "/", "device": "/dev/sda1", "total_bytes": 10 * GB}
        | {"free_bytes": GB, "fstype": "ext4", "missing": {}}
    ]
    full["temperatures"] = [
        {"sensor": "coretemp/0", "current_c": 99.0, "high_c": 85.0}
        | {"critical_c": 100.0, "missing": {}}
    ]

    for broken in broken_copies(full, junk):
        for previous in (full, broken, junk):
            context = Context(NOW, frozenset({"X"}), "laptop", previous)
            found = health.findings(broken, context)
            json.dumps([f.as_dict() for f in found], allow_nan=False)
            ranking.rank(found)


@pytest.mark.parametrize("junk", [None, [], "report", 42])
def test_a_report_that_is_not_an_object_finds_nothing(junk):
    assert health.findings(junk, AT_NOW) == []


# --- ranking and the repair queue -----------------------------------------------------


def finding(rule: str, priority: int, component: str, repair: str) -> Finding:
    return Finding(rule, priority, component, "", None, None, repair, rule, "test")


FAILED_DISK = finding("DISK_SMART_FAIL", 0, "disk", "ssd")
PENDING = finding("DISK_PENDING", 0, "disk", "ssd")
WORN_BATTERY = finding("BAT_WEAR_SEVERE", 1, "battery", "battery")
LOW_RAM = finding("RAM_LOW", 2, "memory", "ram")
DEAD_CLOCK = finding("RTC_SUSPECT", 2, "clock", "cmos_battery")
SOLDERED_FAIL = finding("DISK_SMART_FAIL", 0, "disk", "parts")
SMALL_EMMC = finding("DISK_SMALL", 2, "storage", "none")
STALE_WIPE = finding("ERASURE_INVALID", 0, "erasure", "none")
NO_WIN11 = finding("WIN11_INELIGIBLE", 3, "platform", "none")
HDD_BOOT = finding("DISK_HDD_BOOT", 3, "storage", "ssd")


def test_the_health_score_adds_each_rules_penalty_once():
    assert ranking.rank([]).health_score == 100
    assert ranking.rank([NO_WIN11]).health_score == 98
    assert ranking.rank([WORN_BATTERY, LOW_RAM, NO_WIN11]).health_score == 63
    two_disks = [FAILED_DISK, finding("DISK_SMART_FAIL", 0, "disk", "ssd")]
    assert ranking.rank(two_disks).health_score == 40
    assert ranking.rank([FAILED_DISK, PENDING, WORN_BATTERY]).health_score == 0


def test_a_rule_counts_at_its_most_urgent_level():
    mild = finding("NVME_WORN", 2, "disk", "ssd")
    worn = finding("NVME_WORN", 1, "disk", "ssd")

    rank = ranking.rank([mild, worn])

    assert (rank.priority, rank.health_score) == (1, 75)


@pytest.mark.parametrize(
    "found,category",
    [
        ([], "healthy"),
        ([NO_WIN11, HDD_BOOT], "healthy"),
        ([FAILED_DISK, PENDING], "quick_win"),
        ([FAILED_DISK, WORN_BATTERY, NO_WIN11], "quick_win"),
        ([LOW_RAM, DEAD_CLOCK], "quick_win"),
        ([FAILED_DISK, WORN_BATTERY, LOW_RAM], "parts_donor"),
        ([WORN_BATTERY, LOW_RAM, DEAD_CLOCK], "parts_donor"),
        ([SOLDERED_FAIL], "parts_donor"),
        (
            [LOW_RAM, DEAD_CLOCK, finding("TEMP_HIGH", 2, "thermal", "clean_fan")],
            "repair",
        ),
        ([SMALL_EMMC], "repair"),
        ([STALE_WIPE], "repair"),
        ([STALE_WIPE, FAILED_DISK, WORN_BATTERY], "repair"),
        (
            [
                finding("X_BOARD", 0, "platform", "none"),
                finding("X_SCREEN", 1, "display", "none"),
            ],
            "parts_donor",
        ),
    ],
)
def test_categories_separate_quick_wins_from_parts_donors(found, category):
    assert ranking.rank(found).category == category


def test_reasons_name_the_rules_most_important_first():
    rank = ranking.rank([NO_WIN11, LOW_RAM, FAILED_DISK, WORN_BATTERY])

    assert rank.reasons == (
        "DISK_SMART_FAIL",
        "BAT_WEAR_SEVERE",
        "RAM_LOW",
        "WIN11_INELIGIBLE",
    )
    assert json.loads(json.dumps(rank.as_dict()))["reasons"][0] == "DISK_SMART_FAIL"


def test_stored_findings_rank_the_same_as_fresh_ones():
    found = [FAILED_DISK, WORN_BATTERY, LOW_RAM]

    assert ranking.rank([f.as_dict() for f in found]) == ranking.rank(found)


def test_the_queue_puts_the_most_urgent_device_first():
    devices = {
        "healthy": [],
        "informational": [NO_WIN11],
        "clock": [DEAD_CLOCK],
        "battery": [WORN_BATTERY],
        "battery and ram": [WORN_BATTERY, LOW_RAM],
        "failed disk": [FAILED_DISK],
        "failed disk, pending, battery": [FAILED_DISK, PENDING, WORN_BATTERY],
        "stale wipe": [STALE_WIPE],
    }
    ranks = {name: ranking.rank(found) for name, found in devices.items()}

    queue = sorted(ranks, key=lambda name: ranking.queue_key(ranks[name]))

    assert queue == [
        "failed disk, pending, battery",  # P0, score 0
        "failed disk",  # P0, score 40, quick win before the repair below
        "stale wipe",  # P0, score 40, repair
        "battery and ram",  # P1, score 65
        "battery",  # P1, score 75
        "clock",  # P2
        "informational",  # P3
        "healthy",  # nothing found
    ]
