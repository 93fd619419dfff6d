"""The demo's device agents: devices on the workbench that report their health.

About fifteen devices at the repair partners' workshops get an agent the way a
volunteer would enrol one (`enrolment.issue_code`, then `enrolment.enroll`) and
send one to three reports through the service's own path (`ReportSchema`, then
`ingest.take_in`), so the findings and the repair queue are the service's own.

The reports are made up but shaped like the agent's (docs/agent-report.md):
the device's make and model, its recorded disks' serials (a wiped device does
not look unwiped), batteries in Wh with cycle counts, SMART values, and every
null with its reason. One story per device: healthy ones, quick wins, a repair,
a parts donor, a dead CMOS cell, a swapped disk, a desktop without battery.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa

from assettrack import jobs
from assettrack.agents.server import enrolment
from assettrack.agents.server import ingest
from assettrack.agents.server import repair_queue
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import HealthReport
from assettrack.models import RepairRank
from assettrack.models.types import utcnow
from assettrack.schemas.agent import REPORT_SCHEMA
from assettrack.schemas.agent import ReportSchema

GIB = 2**30
BENCH = ("received", "wiping", "refurbishing", "qc", "repair")
AGENT_VERSION = "0.1.0"


@dataclass(frozen=True)
class Story:
    """What one device's reports show; `battery` is (share of design, cycles)."""

    what: str
    kind: str = "laptop"
    battery: tuple[float, int] | None = (0.9, 300)  # None: no battery reported
    ram_gib: int | None = None  # None: what intake recorded
    disk: str = "good"  # good, worn, failing, dead
    hot: bool = False  # the CPU runs at its high limit: fan full of dust
    dead_clock: bool = False  # CMOS cell empty: the clock restarts in 2018
    root: bool = True  # without root: no serials, no SMART
    swapped: bool = False  # system disk swapped after the wipe (second report)
    reports: int = 2


STORIES = (
    Story("healthy", battery=(0.94, 143)),
    Story("healthy", battery=(0.86, 388), reports=3),
    Story("healthy, agent without root", battery=(0.89, 512), root=False, reports=1),
    Story("desktop without battery", kind="desktop", battery=None),
    Story("worn battery", battery=(0.71, 640)),
    Story("worn-out battery", battery=(0.52, 1243), reports=3),
    Story("low RAM", ram_gib=2, reports=1),
    Story("failing SSD", disk="failing"),
    Story("worn SSD", disk="worn", battery=(0.83, 702)),
    Story("dead CMOS cell", dead_clock=True, battery=(0.91, 233)),
    Story("fan full of dust", hot=True, battery=(0.76, 820), reports=3),
    Story("donor removed the battery", battery=None, reports=1),
    Story("three small jobs", hot=True, ram_gib=2, battery=(0.74, 910)),
    Story("parts donor", disk="dead", ram_gib=2, battery=(0.43, 1410)),
    Story("disk swapped after the wipe", swapped=True, battery=(0.88, 301)),
)

# fmt: off
# model: DMI product name, version, family, BIOS vendor, version, date, board,
# chassis type; batteries: (manufacturer, model, design Wh, technology)
MACHINES = {
    "ThinkPad T480": ("20L5S01400", "ThinkPad T480", "ThinkPad T480", "LENOVO",
                      "N24ET75W (1.50 )", "02/14/2023", "20L5S01400", 10,
                      [("SMP", "01AV421", 24.05, "Li-poly"),
                       ("SANYO", "01AV423", 23.48, "Li-ion")]),
    "ThinkPad T490": ("20N2S0AD00", "ThinkPad T490", "ThinkPad T490", "LENOVO",
                      "N2IET98W (1.76 )", "11/13/2022", "20N2S0AD00", 10,
                      [("Celxpert", "01AV479", 50.53, "Li-poly")]),
    "ThinkPad L390": ("20NR001FMB", "ThinkPad L390", "ThinkPad L390", "LENOVO",
                      "R10ET63W (1.48 )", "08/30/2022", "20NR001FMB", 10,
                      [("SMP", "01AV483", 45.0, "Li-poly")]),
    "Latitude 5490": ("Latitude 5490", None, "Latitude", "Dell Inc.", "1.31.0",
                      "05/22/2023", "0VR7CH", 10,
                      [("SMP", "DELL 7V69Y83", 68.0, "Li-ion")]),
    "Latitude 7490": ("Latitude 7490", None, "Latitude", "Dell Inc.", "1.33.0",
                      "04/12/2023", "0KP0FT", 10,
                      [("SMP", "DELL GJKGH8B", 60.0, "Li-poly")]),
    "EliteBook 840 G5": ("HP EliteBook 840 G5", None, "103C_5336AN HP EliteBook",
                         "HP", "Q78 Ver. 01.24.00", "03/07/2023", "83B2", 10,
                         [("Hewlett-Packard", "Primary", 50.0, "Li-ion")]),
    "ProDesk 600 G3 SFF": ("HP ProDesk 600 G3 SFF", None, "103C_53307F HP ProDesk",
                           "HP", "P07 Ver. 02.42", "01/17/2023", "82B4", 3, []),
}
# CPU as /proc/cpuinfo names it: base clock, cores, threads
CPUS = {
    "i5-8250U": ("1.60GHz", 4, 8), "i5-8350U": ("1.70GHz", 4, 8),
    "i5-8265U": ("1.60GHz", 4, 8), "i7-8565U": ("1.80GHz", 4, 8),
    "i3-8145U": ("2.10GHz", 2, 4), "i7-8650U": ("1.90GHz", 4, 8),
    "i5-6500": ("3.20GHz", 4, 4), "i5-7500": ("3.40GHz", 4, 4),
}
SIZES = {256: 256060514304, 512: 512110190592, 500: 500107862016}
FIRMWARE = {"nvme": "5L7QCXB7", "ssd": "EXT41L6Q", "hdd": "CC43"}
# What a volunteer puts in for a disk that has to go (kind: model, serial prefix)
SPARE_DISKS = {"nvme": ("WDC PC SN530 SDBPNPZ-256G-1014", "20233B80"),
               "ssd": ("KINGSTON SA400S37240G", "50026B7782")}
ATA_ONLY = ("reallocated_sectors", "reported_uncorrectable", "command_timeouts",
            "pending_sectors", "offline_uncorrectable")
NVME_ONLY = ("nvme_critical_warning", "nvme_available_spare_pct",
             "nvme_spare_threshold_pct", "nvme_percentage_used", "nvme_media_errors",
             "nvme_unsafe_shutdowns")
# What smartctl reads and sysfs does not: null without root
UNREAD_WITHOUT_ROOT = ("serial", "firmware", "rotation_rpm", "smart_passed",
                       "smartctl_exit_status", "power_on_hours", "temperature_c")
# fmt: on


def part(reason: str = "not_present", **values) -> dict:
    """A flat reported object; each null field named in `missing` with `reason`."""
    missing = {key: reason for key, value in values.items() if value is None}
    return {**values, "missing": missing}


def enrol_and_report(rng: random.Random, partners: list) -> None:
    """Give the demo's bench devices their agents and send their reports."""
    now = utcnow()
    for device, partner, story in _cast(rng, partners):
        code, _ = enrolment.issue_code(device, partner.user)
        device, _token = enrolment.enroll(device.asset_tag, code)
        Reporter(rng, device, story).send_all(now)
        if jobs.queue() is not None:  # a worker ranks later; the demo ranks now
            repair_queue.rank_devices([device.id])


def summary() -> str:
    """One line: how many devices report, and the repair queue per category."""
    reporting = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(HealthReport.device_id)))
    )
    ranks = dict(
        db.session.execute(
            sa.select(RepairRank.category, sa.func.count()).group_by(
                RepairRank.category
            )
        ).all()
    )
    queue = ", ".join(
        f"{category.replace('_', ' ')} {ranks.get(category, 0)}"
        for category in ("quick_win", "repair", "parts_donor", "healthy")
    )
    return f"Device agents: {reporting} devices report (repair queue: {queue})."


def _cast(rng: random.Random, partners: list) -> list[tuple]:
    """A bench device for each story, the workshops taking turns."""
    workshops = {partner.workshop.id: partner for partner in partners}
    devices = db.session.scalars(
        sa.select(Device)
        .where(Device.state.in_(BENCH), Device.location_id.in_(workshops))
        .order_by(Device.id)
    ).all()
    candidates = [d for d in devices if _reports_cleanly(d)]
    rng.shuffle(candidates)
    cast, used = [], set()
    for turn, story in enumerate(STORIES):
        prefer = partners[turn % len(partners)].workshop.id
        fitting = [
            d
            for d in candidates
            if d.id not in used
            and d.kind == story.kind
            and (not story.swapped or ingest.erased_serials(d.id) is not None)
        ]
        fitting.sort(key=lambda d: d.location_id != prefer)  # stable: keeps shuffle
        if fitting:
            used.add(fitting[0].id)
            cast.append((fitting[0], workshops[fitting[0].location_id], story))
    return cast


def _rpm(model: str) -> int:
    """Seagate's LM line are 2.5" laptop disks at 5,400 rpm; the rest 7,200."""
    return 5400 if "LM" in model else 7200


def _reports_cleanly(device: Device) -> bool:
    """A device mid-wipe runs no agent once a disk is erased: its OS is gone."""
    return device.state != "wiping" or ingest.erased_serials(device.id) is None


class Reporter:
    """One device's agent: the same machine report after report, a story told."""

    def __init__(self, rng: random.Random, device: Device, story: Story):
        self.rng, self.device, self.story = rng, device, story
        self.disks = [d for d in device.disks if d.removed_at is None]
        self.battery_serials = [str(rng.randint(1000, 99999)) for _ in range(2)]
        self.wear = {}  # disk serial -> (hours, NVMe used %, unsafe shutdowns)

    def send_all(self, now: datetime) -> None:
        """1-3 reports an hour apart (the agent's interval), the last just now."""
        count = self.story.reports
        for seq in range(1, count + 1):
            collected = now - timedelta(
                hours=count - seq, minutes=self.rng.randint(2, 50)
            )
            raw = self.report(seq, collected, swapped=self.story.swapped and seq > 1)
            data = ReportSchema().load(raw)
            reporter = enrolment.Reporter(self.device.id, self.device.kind)
            ingest.take_in(reporter, data, raw)

    def report(self, seq: int, collected: datetime, swapped: bool) -> dict:
        story = self.story
        clock = collected
        if story.dead_clock:  # the clock starts again at the firmware's epoch
            clock = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(hours=seq)
        sent = clock + timedelta(seconds=self.rng.randint(2, 40))
        disks = self._disks(swapped)
        batteries = self._batteries(seq)
        top = {} if batteries else {"batteries": "no_battery"}
        if not self.story.hot and self.rng.random() < 0.3:
            top["temperatures"] = "not_present"  # some drivers expose no hwmon
        return {
            "schema": REPORT_SCHEMA,
            "report_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "seq": seq,
            "collected_at": clock.isoformat(timespec="seconds"),
            "sent_at": sent.isoformat(timespec="seconds"),
            "agent_version": AGENT_VERSION,
            "machine": self._machine(),
            "os": self._os(clock),
            "cpu": self._cpu(),
            "memory": self._memory(),
            "charge": self._charge(batteries),
            "batteries": batteries,
            "disks": disks,
            "filesystems": self._filesystems(disks),
            "temperatures": [] if "temperatures" in top else self._temperatures(),
            "missing": top,
        }

    def _machine(self) -> dict:
        product, version, family, bios, bios_version, bios_date, board, chassis, _ = (
            MACHINES[self.device.model]
        )
        secret = "not_present" if self.story.root else "permission_denied"
        machine = part(
            vendor={"Lenovo": "LENOVO", "Dell": "Dell Inc.", "HP": "HP"}[
                self.device.make
            ],
            model=product,
            version=version,
            family=family,
            chassis_type=chassis,
            bios_vendor=bios,
            bios_version=bios_version,
            bios_date=bios_date,
            board_vendor=bios,
            board_name=board,
            chassis_asset_tag=None,
        )
        serials = part(
            secret,
            serial=self.device.serial if self.story.root else None,
            system_uuid=None
            if not self.story.root
            else str(uuid.UUID(int=self.device.id * 7919 + 12345)),
            board_serial=None,
            chassis_serial=None,
        )
        return {
            **machine,
            **serials,
            "missing": {**machine["missing"], **serials["missing"]},
        }

    def _os(self, clock: datetime) -> dict:
        uptime = self.rng.randint(600, 7200)
        return part(
            family="linux",
            name="Linux Mint",
            version="21.3",
            kernel="5.15.0-91-generic",
            arch="x86_64",
            firmware="uefi",
            secure_boot=self.device.kind == "laptop",
            tpm_version="2",
            boot_time=(clock - timedelta(seconds=uptime)).isoformat(timespec="seconds"),
            uptime_s=uptime,
        )

    def _cpu(self) -> dict:
        name = self.device.specs.get("cpu", "Intel Core i5-8250U").split()[-1]
        ghz, cores, threads = CPUS.get(name, ("1.60GHz", 4, 8))
        model = f"Intel(R) Core(TM) {name} CPU @ {ghz}"
        return part(model=model, cores=cores, threads=threads)

    def _memory(self) -> dict:
        gib = self.story.ram_gib or self.device.specs.get("ram_gb") or 8
        usable = gib * GIB - self.rng.randint(180, 420) * 2**20  # firmware, graphics
        return part(installed_bytes=gib * GIB, usable_bytes=usable, swap_bytes=2 * GIB)

    def _batteries(self, seq: int) -> list[dict]:
        if self.story.battery is None:
            return []
        share, cycles = self.story.battery
        found = []
        specs = MACHINES[self.device.model][-1]
        for index, (maker, model, design, technology) in enumerate(specs):
            if index:  # a second (external) battery: younger, healthy
                share, cycles = 0.9, cycles // 3
            full = round(design * (share - 0.002 * seq), 2)  # wears a little
            now_wh = round(full * self.rng.uniform(0.35, 0.98), 2)
            found.append(
                part(
                    "not_applicable",
                    name=f"BAT{index}",
                    manufacturer=maker,
                    model=model,
                    serial=self.battery_serials[index],
                    technology=technology,
                    status="Charging" if index == 0 else "Unknown",
                    capacity_source="energy",
                    design_wh=design,
                    full_wh=full,
                    now_wh=now_wh,
                    design_mah=None,
                    full_mah=None,
                    voltage_min_design_v=None,
                    health_pct=round(100 * full / design, 1),
                    cycle_count=cycles + seq - 1,
                )
            )
        return found

    def _charge(self, batteries: list[dict]) -> dict:
        if not batteries:
            return part("no_battery", percent=None, power_plugged=None)
        first = batteries[0]
        percent = round(100 * first["now_wh"] / first["full_wh"], 1)
        return part(percent=percent, power_plugged=True)

    def _disks(self, swapped: bool) -> list[dict]:
        found = []
        sata = iter("abcdef")
        for index, disk in enumerate(self.disks):
            model, serial = disk.model, disk.serial
            if swapped and index == 0:  # a volunteer fitted a spare after the wipe
                model, prefix = SPARE_DISKS.get(disk.kind, SPARE_DISKS["ssd"])
                serial = prefix + f"{self.device.id:06d}"
            name = "/dev/nvme0" if disk.kind == "nvme" else f"/dev/sd{next(sata)}"
            health = self.story.disk if index == 0 else "good"
            found.append(self._disk(disk, name, model, serial, health))
        return found

    def _disk(self, disk, name: str, model: str, serial: str, health: str) -> dict:
        nvme, spins = disk.kind == "nvme", disk.kind == "hdd"
        hours, used, unsafe = self.wear.setdefault(
            serial,
            (
                self.rng.randint(24_000, 31_000)
                if spins
                else self.rng.randint(2_500, 16_000),
                self.rng.randint(1, 14),
                self.rng.randint(15, 160),
            ),
        )
        values = {
            "name": name,
            "smartctl_exit_status": 0,
            "model": model,
            "serial": serial,
            "firmware": FIRMWARE[disk.kind],
            "size_bytes": SIZES.get(disk.size_gb or 256, (disk.size_gb or 256) * 10**9),
            "interface": disk.interface or ("nvme" if nvme else "sata"),
            "rotation_rpm": None if nvme else _rpm(model) if spins else 0,
            "rotational": spins,
            "smart_passed": True,
            "power_on_hours": hours,
            "temperature_c": self.rng.randint(29, 44),
        }
        ata = dict.fromkeys(ATA_ONLY, 0)
        smart = {
            "nvme_critical_warning": 0,
            "nvme_available_spare_pct": 100,
            "nvme_spare_threshold_pct": 10,
            "nvme_percentage_used": used,
            "nvme_media_errors": 0,
            "nvme_unsafe_shutdowns": unsafe,
        }
        if health == "worn":
            smart.update(nvme_percentage_used=91, nvme_available_spare_pct=84)
            ata.update(reallocated_sectors=6)
        elif health == "failing" and nvme:  # smartctl: "DISK FAILING" (bit 3)
            smart.update(nvme_critical_warning=4, nvme_media_errors=17)
            smart.update(nvme_percentage_used=97, nvme_available_spare_pct=38)
            values.update(smartctl_exit_status=8, smart_passed=False)
        elif health == "failing":  # still passes overall; errors logged (bit 6)
            ata.update(reallocated_sectors=48, pending_sectors=8)
            values.update(smartctl_exit_status=64)
        elif health == "dead":
            smart.update(nvme_critical_warning=5, nvme_available_spare_pct=4)
            smart.update(nvme_percentage_used=118, nvme_media_errors=231)
            ata.update(reallocated_sectors=1544, pending_sectors=40)
            ata.update(offline_uncorrectable=40, reported_uncorrectable=212)
            values.update(smartctl_exit_status=88, smart_passed=False)
        if nvme:
            values.update(smart, **dict.fromkeys(ATA_ONLY))
        else:
            values.update(ata, **dict.fromkeys(NVME_ONLY))
        reported = part("not_applicable", **values)
        if not self.story.root:  # smartctl cannot open the disk; sysfs still says
            for key in UNREAD_WITHOUT_ROOT + ATA_ONLY + NVME_ONLY:
                reported[key] = None
                reported["missing"][key] = "permission_denied"
        return reported

    def _filesystems(self, disks: list[dict]) -> list[dict]:
        system = disks[0]
        partition = "p2" if system["name"].startswith("/dev/nvme") else "2"
        device = system["name"].replace("nvme0", "nvme0n1") + partition
        total = int(system["size_bytes"] * 0.93)
        free = int(total * self.rng.uniform(0.55, 0.85))
        found = [
            part(mount="/", device=device, fstype="ext4", total_bytes=total,
                 free_bytes=free)
        ]  # fmt: skip
        found.append(
            part(
                mount="/boot/efi",
                device=device[:-1] + "1",
                fstype="vfat",
                total_bytes=535805952,
                free_bytes=529006592,
            )
        )
        return found

    def _temperatures(self) -> list[dict]:
        package = self.rng.randint(41, 58)
        if self.story.hot:  # the heatsink is clogged: at its high mark while idle
            package = 91
        found = [
            part(
                sensor="coretemp Package id 0",
                current_c=float(package),
                high_c=86.0,
                critical_c=100.0,
            ),
            part(
                sensor="acpitz",
                current_c=float(package - self.rng.randint(4, 10)),
                high_c=None,
                critical_c=119.0 if self.device.kind == "laptop" else None,
            ),
        ]
        if self.disks and self.disks[0].kind == "nvme":
            found.append(
                part(
                    sensor="nvme Composite",
                    current_c=float(self.rng.randint(32, 44)),
                    high_c=82.85,
                    critical_c=84.85,
                )
            )
        return found
