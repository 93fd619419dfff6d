"""Fill a benchmark database: 100k devices and ~1M workflow events, all consistent.

    python bench/seed.py sqlite:///instance/bench.sqlite
    python bench/seed.py postgresql://postgres@127.0.0.1:5432/bench

Why not through the HTTP API, as a digibank would: 1M actions plus their erasure and
QC records at ~10 ms a request is several hours. Instead every device's history is
generated here, step by step along the lifecycle table (same actions, same order, the
erasure and QC records the guards want, loans opened and closed), and bulk-inserted:
executemany on SQLite, COPY on PostgreSQL. The schema comes from the Alembic
migrations, as in production. Afterwards every history is replayed against the
device's state and a sample of devices is asked `workflow.allowed`, so a generator
that drifts from the workflow fails here, not in the benchmark.

The same --seed and --today give the same rows.
"""

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from collections import defaultdict
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assettrack.app import create_app  # noqa: E402
from assettrack.auth import hash_token  # noqa: E402
from assettrack.extensions import db  # noqa: E402
from assettrack.lending import TARGET_GROUPS  # noqa: E402
from assettrack.workflow import INTAKE  # noqa: E402
from assettrack.workflow import checklist  # noqa: E402
from assettrack.workflow import erasure  # noqa: E402
from assettrack.workflow import lendability  # noqa: E402
from assettrack.workflow import replay  # noqa: E402
from labels.tags import make_tag  # noqa: E402

# The tokens run.py sends; only their hashes go into the database. A desk
# lends only to its own borrowers, so every digileenplek's desk has one.
TOKENS = {
    "admin": "bench-admin-token",
    "coordinator": "bench-coordinator-token",
    "repair": "bench-repair-token",
}


def desk_token(location_id: int) -> str:
    """The token of the desk at digileenplek `location_id`."""
    return f"bench-desk-{location_id}-token"


# The password of every desk user (desk1@bench.example ...), for the desk page
# (bench/desk.py logs in with it). The others have none: they only use the API.
DESK_PASSWORD = "bench-desk-password"  # noqa: S105 (a benchmark database only)


def desk_password_hash() -> str:
    """werkzeug's scrypt hash of DESK_PASSWORD with a fixed salt: computed once,
    the same on every seed, so the same --seed still gives the same rows."""
    salt, (n, r, p) = "bench-desk-salt", (2**15, 8, 1)
    digest = hashlib.scrypt(
        DESK_PASSWORD.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r
    )
    return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"


TAG_PREFIX = "DB"
BORROWERS_PER_DESK = 500

PLACES = [  # municipality, postcode
    ("Gent", "9000"),
    ("Antwerpen", "2000"),
    ("Leuven", "3000"),
    ("Brugge", "8000"),
    ("Mechelen", "2800"),
    ("Hasselt", "3500"),
    ("Kortrijk", "8500"),
    ("Aalst", "9300"),
    ("Genk", "3600"),
    ("Oostende", "8400"),
    ("Sint-Niklaas", "9100"),
    ("Roeselare", "8800"),
    ("Turnhout", "2300"),
    ("Dendermonde", "9200"),
    ("Lier", "2500"),
    ("Geel", "2440"),
    ("Ieper", "8900"),
    ("Tienen", "3300"),
    ("Vilvoorde", "1800"),
    ("Lokeren", "9160"),
]
MODELS = [  # kind, make, model, disk kind, disk size
    ("laptop", "Lenovo", "ThinkPad T480", "ssd", 256),
    ("laptop", "Lenovo", "ThinkPad X270", "ssd", 256),
    ("laptop", "Dell", "Latitude 5490", "ssd", 256),
    ("laptop", "Dell", "Latitude E7470", "ssd", 128),
    ("laptop", "HP", "EliteBook 840 G5", "nvme", 256),
    ("laptop", "HP", "ProBook 450 G4", "hdd", 500),
    ("laptop", "Fujitsu", "Lifebook E548", "ssd", 256),
    ("desktop", "HP", "EliteDesk 800 G3", "hdd", 500),
    ("desktop", "Dell", "OptiPlex 7050", "ssd", 256),
    ("all_in_one", "Lenovo", "ThinkCentre M910z", "hdd", 1000),
    ("tablet", "Samsung", "Galaxy Tab A8", "emmc", 32),
]
WIPE = {  # disk kind -> technique, tool, version
    "hdd": ("overwrite", "nwipe", "0.37"),
    "ssd": ("ata_sanitize_block", "hdparm", "9.65"),
    "nvme": ("nvme_sanitize_crypto", "nvme-cli", "2.8"),
    "emmc": ("crypto_erase", "blkdiscard", "2.39"),
}
REPAIR_REASONS = [
    "battery does not charge",
    "cracked screen",
    "keyboard keys missing",
    "hinge broken",
    "fan noise",
    "does not power on",
]

# Roughly one device in two goes through a full loan; ~10 events a device on average.
CYCLE_WEIGHTS = {0: 55, 1: 30, 2: 10, 3: 5}
FINAL_WEIGHTS = {
    "exposed": 10,
    "wiping": 5,
    "refurbishing": 10,
    "qc": 4,
    "ready": 20,
    "lent": 25,
    "repair": 5,
    "scrapped": 16,
    "lost": 5,
}


def stamp(moment: datetime) -> str:
    """A naive UTC time as SQLAlchemy stores it on SQLite; PostgreSQL parses it."""
    return f"{moment:%Y-%m-%d %H:%M:%S.%f}"


class World:
    """Organisations, places, people and borrowers: small tables, fixed ids."""

    def __init__(
        self, rng: random.Random, now: datetime, n_workshops=8, n_desks=40, n_donors=300
    ):
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        created = stamp(now - timedelta(days=4 * 365))
        orgs = self.rows["organisations"]
        orgs.append((1, "Digibank Vlaanderen", "coordinator", created))
        self.workshop_orgs = [len(orgs) + i + 1 for i in range(n_workshops)]
        orgs += [
            (o, f"Werkplaats {PLACES[i % len(PLACES)][0]} {i + 1}", "repair", created)
            for i, o in enumerate(self.workshop_orgs)
        ]
        self.desk_orgs = [len(orgs) + i + 1 for i in range(n_desks)]
        orgs += [
            (o, f"Bibliotheek {PLACES[i % len(PLACES)][0]} {i + 1}", "lending", created)
            for i, o in enumerate(self.desk_orgs)
        ]
        self.donor_orgs = [len(orgs) + i + 1 for i in range(n_donors)]
        orgs += [
            (o, f"Schenker {i + 1:03d} bv", "donor", created)
            for i, o in enumerate(self.donor_orgs)
        ]

        places = self.rows["locations"]
        self.workshops, self.digileenplekken = [], []
        for i, org in enumerate(self.workshop_orgs):
            town, code = PLACES[i % len(PLACES)]
            name = f"Werkplaats {town} {i + 1}"
            places.append((len(places) + 1, name, "workshop", town, code, org))
            self.workshops.append(len(places))
        for i, org in enumerate(self.desk_orgs):
            town, code = PLACES[i % len(PLACES)]
            name = f"Digileenplek {town} {i + 1}"
            places.append((len(places) + 1, name, "lending", town, code, org))
            self.digileenplekken.append(len(places))
        places.append((len(places) + 1, "Magazijn Gent", "storage", "Gent", "9000", 1))
        self.workshop_index = {loc: i for i, loc in enumerate(self.workshops)}

        users = self.rows["users"]
        users.append((1, "admin@bench.example", "admin", 1, True, created, None))
        users.append(
            (2, "coordinator@bench.example", "coordinator", 1, True, created, None)
        )
        self.coordinator = 2
        self.repair_users = [len(users) + i + 1 for i in range(n_workshops)]
        users += [
            (u, f"repair{i + 1}@bench.example", "repair", o, True, created, None)
            for i, (u, o) in enumerate(
                zip(self.repair_users, self.workshop_orgs, strict=True)
            )
        ]
        self.desk_users = {}
        password = desk_password_hash()
        for i, (loc, org) in enumerate(
            zip(self.digileenplekken, self.desk_orgs, strict=True)
        ):
            email = f"desk{i + 1}@bench.example"
            users.append((len(users) + 1, email, "desk", org, True, created, password))
            self.desk_users[loc] = len(users)
        tokens = [
            (1, TOKENS["admin"]),
            (2, TOKENS["coordinator"]),
            (self.repair_users[0], TOKENS["repair"]),
        ]
        tokens += [(user, desk_token(loc)) for loc, user in self.desk_users.items()]
        self.rows["api_tokens"] = [
            (i + 1, user, hash_token(token), created, None)
            for i, (user, token) in enumerate(tokens)
        ]
        # The card number and statistics apart from the name (borrower_identities).
        self.rows["borrowers"] = [
            (
                i * BORROWERS_PER_DESK + b + 1,
                f"B-{i * BORROWERS_PER_DESK + b + 1:06d}",
                org,
                loc,
                TARGET_GROUPS[b % len(TARGET_GROUPS)],
                PLACES[i % len(PLACES)][0],
                PLACES[i % len(PLACES)][1],
                "eid",
                created,
            )
            for i, (org, loc) in enumerate(
                zip(self.desk_orgs, self.digileenplekken, strict=True)
            )
            for b in range(BORROWERS_PER_DESK)
        ]
        self.rows["borrower_identities"] = [
            (row[0], f"Lener {row[0]}", "", "nl") for row in self.rows["borrowers"]
        ]
        self.borrower_code = {row[0]: row[1] for row in self.rows["borrowers"]}
        self.desk_index = {loc: i for i, loc in enumerate(self.digileenplekken)}
        self.rng = rng

    def borrower_at(self, location: int) -> int:
        return (
            self.desk_index[location] * BORROWERS_PER_DESK
            + self.rng.randrange(BORROWERS_PER_DESK)
            + 1
        )


class Story:
    """One device's life, told in the lifecycle table's own steps.

    Times are days relative to intake (0); the generator shifts them to real
    times once it knows when the story ends. Each step appends the event the
    service would append and the records the guards would want.
    """

    def __init__(self, key: int, world: World, rng: random.Random):
        self.key, self.world, self.rng = key, world, rng
        self.t = 0.0
        self.state = "received"
        self.workshop = rng.choice(world.workshops)
        self.location = self.workshop
        self.repairer = world.repair_users[world.workshop_index[self.workshop]]
        model = rng.choice(MODELS)
        self.kind, self.make, self.model = model[0], model[1], model[2]
        disk_kinds = [model[3]] + (
            ["hdd"] if self.kind == "desktop" and rng.random() < 0.3 else []
        )
        self.disks = [
            (kind, model[4] if n == 0 else 1000) for n, kind in enumerate(disk_kinds)
        ]
        self.events: list[list] = []  # [t, action, from, to, actor, location, payload]
        # (started, finished, disk no, event no, result, destroyed)
        self.erasures: list[tuple] = []
        self.qcs: list[tuple] = []  # (t, event no, items, grade)
        self.ram_gb: int | None = None  # drawn with the device's specs
        self.loans: list[dict] = []
        # What `workflow.allowed` must say at the end: an action it offers,
        # "!action" for one it must refuse, "nothing" for an end state.
        self.expect: str | None = None

    def wait(self, low: float, high: float) -> None:
        self.t += self.rng.uniform(low, high)

    def step(
        self, action: str, to: str | None = None, actor: int | None = None, payload=None
    ):
        to = to or self.state
        self.events.append(
            [
                self.t,
                action,
                self.state if self.events else None,
                to,
                actor or self.repairer,
                self.location,
                payload or {},
            ]
        )
        self.state = to

    # --- the lifecycle, as a repair partner and a lending desk live it ---
    def register(self) -> None:
        # The donation's id is known once the devices are in intake order.
        self.step(INTAKE, "received", payload={"donation": None})

    def start_wipe(self) -> None:
        self.wait(0.5, 20)
        self.step("start_wipe", "wiping")

    def erase(self, disks=None) -> None:
        """Erasure records made after start_wipe: tied to it by after_event_id."""
        for n in range(len(self.disks)) if disks is None else disks:
            if self.rng.random() < 0.02:  # a failed pass, then a passing one
                start = self.t + 0.01
                self.wait(0.02, 0.1)
                self.erasures.append(
                    (start, self.t, n, len(self.events) - 1, "failed", False)
                )
            start = self.t + 0.01
            self.wait(0.03, 0.3)
            self.erasures.append(
                (start, self.t, n, len(self.events) - 1, "passed", False)
            )

    def destroy_disks(self) -> None:
        for n in range(len(self.disks)):
            start = self.t + 0.01
            self.wait(0.02, 0.2)
            self.erasures.append(
                (start, self.t, n, len(self.events) - 1, "passed", True)
            )

    def finish_wipe(self) -> None:
        self.wait(0.01, 0.2)
        self.step("finish_wipe", "refurbishing")

    def repair_detour(self) -> None:
        self.send_to_repair()
        self.wait(1, 20)
        self.step("finish_repair", "refurbishing")

    def send_to_repair(self) -> None:
        self.wait(0.1, 5)
        self.step(
            "send_to_repair",
            "repair",
            payload={"reason": self.rng.choice(REPAIR_REASONS)},
        )

    def submit_qc(self) -> None:
        self.wait(0.5, 10)
        self.step("submit_qc", "qc")

    def quality_check(self, passed: bool = True) -> None:
        items = {item: "pass" for item in checklist.for_kind(self.kind).keys}
        if not passed:  # items on every kind's checklist
            items[self.rng.choice(["screen", "usb_ports", "wifi", "power_boot"])] = (
                "fail"
            )
        self.wait(0.01, 0.5)
        self.qcs.append((self.t, len(self.events) - 1, items, self.rng.choice("AABBC")))

    def refurbish_to_ready(self) -> None:
        self.start_wipe()
        self.erase()
        self.finish_wipe()
        if self.rng.random() < 0.1:
            self.repair_detour()
        self.submit_qc()
        if self.rng.random() < 0.1:
            self.quality_check(passed=False)
            failed = [i for i, r in self.qcs[-1][2].items() if r == "fail"]
            self.wait(0.01, 0.2)
            self.step("fail_qc", "refurbishing", payload={"failed_items": failed})
            self.submit_qc()
        self.quality_check()
        self.wait(0.01, 0.2)
        self.step("pass_qc", "ready")
        at_workshop = self.location in self.world.workshop_index
        if (at_workshop and self.rng.random() < 0.95) or self.rng.random() < 0.2:
            self.transfer()

    def transfer(self) -> None:
        destination = self.rng.choice(
            [p for p in self.world.digileenplekken if p != self.location]
        )
        # Two scans: sent from here, then received there a few days later.
        self.wait(0.5, 10)
        self.step(
            "transfer", actor=self.world.coordinator, payload={"location": destination}
        )
        self.wait(0.5, 5)
        self.location = destination
        self.step(
            "receive",
            actor=self.world.coordinator,
            payload={"location": destination, "sent_to": destination},
        )

    def lend(self) -> None:
        if self.location not in self.world.desk_index:
            self.transfer()  # only a digileenplek lends
        self.wait(0.1, 30)
        borrower = self.world.borrower_at(self.location)
        due = self.day(self.t) + 30
        self.loans.append(
            {
                "t": self.t,
                "borrower": borrower,
                "location": self.location,
                "due": due,
                "renewals": 0,
                "closed": None,
                "outcome": None,
            }
        )
        self.step(
            "lend",
            "lent",
            actor=self.desk,
            payload={"borrower": self.world.borrower_code[borrower], "due_date": due},
        )

    @property
    def desk(self) -> int:
        return self.world.desk_users[self.location]

    def renew(self) -> None:
        loan = self.loans[-1]
        self.wait(12, 20)  # before the due date, as the guard wants
        loan["due"] += 14
        loan["renewals"] += 1
        self.step("renew", actor=self.desk, payload={"due_date": loan["due"]})

    def close_loan(self, action: str, to: str, outcome: str) -> None:
        loan = self.loans[-1]
        self.wait(5, 40)
        loan["closed"], loan["outcome"] = self.t, outcome
        self.step(action, to, actor=self.desk)

    def loan_cycle(self) -> None:
        self.lend()
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):
            self.renew()
        self.close_loan("return", "returned", "returned")

    def scrap(self) -> None:
        self.destroy_disks()
        self.wait(0.1, 5)
        self.step("scrap", "scrapped", payload={"reason": "beyond economic repair"})

    @staticmethod
    def day(t: float) -> int:
        """Days are kept relative until the story is placed in time."""
        return int(t // 1)

    def tell(self) -> None:
        rng = self.rng
        cycles = rng.choices(list(CYCLE_WEIGHTS), weights=CYCLE_WEIGHTS.values())[0]
        final = rng.choices(list(FINAL_WEIGHTS), weights=FINAL_WEIGHTS.values())[0]
        self.register()
        for _ in range(cycles):
            self.refurbish_to_ready()
            self.loan_cycle()
        if final == "exposed":
            self.expect = "start_wipe"
        elif final == "wiping":
            self.start_wipe()
            if rng.random() < 0.7:
                self.erase()
                self.expect = "finish_wipe"
            else:
                # Nothing recorded yet: finish_wipe must be refused.
                self.erase(disks=[])
                self.expect = "!finish_wipe"
        elif final == "refurbishing":
            self.start_wipe()
            self.erase()
            self.finish_wipe()
            if rng.random() < 0.2:
                self.repair_detour()
            self.expect = "submit_qc"
        elif final == "qc":
            self.start_wipe()
            self.erase()
            self.finish_wipe()
            self.submit_qc()
            if rng.random() < 0.7:
                self.quality_check()
                self.expect = "pass_qc"
            else:
                self.expect = "!pass_qc"
        elif final in ("ready", "lent", "lost"):
            self.refurbish_to_ready()
            at_desk = self.location in self.world.desk_index
            self.expect = "lend" if at_desk else "!lend"
            if final == "lent":
                self.lend()
                for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
                    self.renew()
                self.expect = "renew" if self.loans[-1]["renewals"] < 2 else "!renew"
            elif final == "lost":
                self.lend()
                self.close_loan("report_lost", "lost", "lost")
                self.expect = "nothing"
        elif final == "repair":
            stage = rng.choice(["exposed", "wiping", "refurbishing"])
            if stage != "exposed":
                self.start_wipe()
                self.erase()
            if stage == "refurbishing":
                self.finish_wipe()
            self.send_to_repair()
            self.expect = "finish_repair"
        elif final == "scrapped":
            if rng.random() < 0.5:
                self.refurbish_to_ready()
                self.loan_cycle()
            self.scrap()
            self.expect = "nothing"


class Generator:
    """All rows of all devices, with ids given in the order things happened."""

    def __init__(self, devices: int, seed: int, today: date):
        self.rng = random.Random(seed)
        self.now = datetime(today.year, today.month, today.day, 6, 0)  # naive UTC
        self.world = World(self.rng, self.now)
        self.n = devices
        self.expect: dict[int, str] = {}

    def stories(self) -> list[Story]:
        rng = self.rng
        stories = []
        for key in range(self.n):
            story = Story(key, self.world, rng)
            story.tell()
            # When the story ends: open states lately, end states any time in two years.
            back = (
                rng.uniform(0, 700)
                if story.state in ("scrapped", "lost")
                else rng.uniform(0.05, 35)
            )
            story.end = self.now - timedelta(days=back)
            story.start = story.end - timedelta(days=story.t)
            stories.append(story)
        # Devices get ids in intake order.
        stories.sort(key=lambda s: (s.start, s.key))
        for device_id, story in enumerate(stories, start=1):
            story.id = device_id
        return stories

    def build(self) -> dict[str, list[tuple]]:
        rng, world, rows = self.rng, self.world, self.world.rows
        stories = self.stories()
        # Donated batches of 5 to 40 devices, registered one after the other.
        i = 0
        while i < len(stories):
            donation = len(rows["donations"]) + 1
            start = stories[i].start
            rows["donations"].append(
                (
                    donation,
                    rng.choice(world.donor_orgs),
                    start.date().isoformat(),
                    "",
                    stamp(start),
                )
            )
            size = rng.randint(5, 40)
            for story in stories[i : i + size]:
                story.donation = donation
                story.events[0][6] = {"donation": donation}
            i += size

        events = []
        disk_ids = {}
        lending = set(world.digileenplekken)
        for story in stories:
            cpu = rng.choice(["i5-7200U", "i5-8250U", "i7-8650U"])
            story.ram_gb = rng.choice([4, 8, 8, 16])
            rows["devices"].append(
                (
                    story.id,
                    make_tag(story.id, prefix=TAG_PREFIX),
                    story.kind,
                    story.make,
                    story.model,
                    f"SN{story.key:07d}",
                    json.dumps(
                        {
                            "cpu": cpu,
                            "ram_gb": story.ram_gb,
                            "storage_gb": story.disks[0][1],
                        }
                    ),
                    story.state,
                    story.location,
                    world.workshop_orgs[world.workshop_index[story.workshop]],
                    story.donation,
                    # Each action and each record bumps the version, as in the service.
                    len(story.events) + len(story.erasures) + len(story.qcs),
                    stamp(story.start),
                    stamp(story.end),
                    home_of(story, lending),
                )
            )
            for n, (kind, size) in enumerate(story.disks):
                disk_ids[story.key, n] = len(rows["disks"]) + 1
                rows["disks"].append(
                    (
                        disk_ids[story.key, n],
                        story.id,
                        kind,
                        "",
                        f"D{story.id:07d}{n}",
                        size,
                        True,
                        stamp(story.start),
                    )
                )
            for seq, (t, action, source, target, actor, location, payload) in enumerate(
                story.events
            ):
                events.append(
                    (
                        story.start + timedelta(days=t),
                        story.id,
                        seq,
                        action,
                        source,
                        target,
                        actor,
                        location,
                        self.dated(payload, story),
                    )
                )
            if story.expect:
                self.expect[story.id] = story.expect

        # Event ids follow time across all devices, as they do in a live database.
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        event_id = {}
        for number, (at, device_id, seq, *columns, payload) in enumerate(events, 1):
            event_id[device_id, seq] = number
            rows["workflow_events"].append(
                (number, device_id, *columns, stamp(at), json.dumps(payload))
            )
        del events

        erasures, qcs, loans = [], [], []
        for story in stories:
            for start, end, n, seq, result, destroyed in story.erasures:
                erasures.append(
                    (
                        story.start + timedelta(days=start),
                        story,
                        n,
                        seq,
                        result,
                        destroyed,
                        story.start + timedelta(days=end),
                    )
                )
            for t, seq, items, grade in story.qcs:
                qcs.append((story.start + timedelta(days=t), story, seq, items, grade))
            for loan in story.loans:
                loans.append((story.start + timedelta(days=loan["t"]), story, loan))
        erasures.sort(key=_by_time)
        for number, (start, story, n, seq, result, destroyed, end) in enumerate(
            erasures, 1
        ):
            kind = story.disks[n][0]
            technique, tool, version = (
                ("shred", "shredder", "") if destroyed else WIPE[kind]
            )
            record = erasure.ErasureRecord(
                media=erasure.media_of(kind),
                technique=technique,
                outcome="erased" if result == "passed" else "failed",
                verification="full",
                verification_result="passed",
                hidden_areas="yes",
            )
            classified = erasure.classify(record)
            rows["erasure_records"].append(
                (
                    number,
                    story.id,
                    disk_ids[story.key, n],
                    event_id[story.id, seq],
                    record.media.value,
                    technique,
                    1,
                    tool,
                    version,
                    "full",
                    "passed",
                    "yes",
                    record.outcome.value,
                    None,
                    classified.level and classified.level.value,
                    json.dumps(list(classified.problems)),
                    erasure.RULES_VERSION,
                    stamp(start),
                    stamp(end),
                    story.repairer,
                    None,
                    stamp(end),
                )
            )
        qcs.sort(key=_by_time)
        for number, (at, story, seq, items, grade) in enumerate(qcs, 1):
            template = checklist.for_kind(story.kind)
            machine = lendability.Machine(
                template.kind, story.ram_gb, story.disks[0][1]
            )
            assessed = lendability.assess(machine, template, items, grade)
            rows["qc_records"].append(
                (
                    number,
                    story.id,
                    event_id[story.id, seq],
                    json.dumps(items),
                    grade,
                    "",
                    story.repairer,
                    stamp(at),
                    template.name,
                    assessed.lendability,
                    json.dumps([r.as_dict() for r in assessed.reasons]),
                    assessed.rules_version,
                )
            )
        loans.sort(key=_by_time)
        for number, (at, story, loan) in enumerate(loans, 1):
            closed = loan["closed"]
            rows["loans"].append(
                (
                    number,
                    story.id,
                    loan["borrower"],
                    loan["location"],
                    stamp(at),
                    self.due(loan["due"], story),
                    loan["renewals"],
                    None
                    if closed is None
                    else stamp(story.start + timedelta(days=closed)),
                    loan["outcome"],
                )
            )
        rows["tag_counters"] = [(TAG_PREFIX, self.n)]
        self.final_states = Counter(story.state for story in stories)
        return rows

    @staticmethod
    def due(day: int, story: Story) -> str:
        """A due date counted in days since intake, as the date it is."""
        return (story.start.date() + timedelta(days=day)).isoformat()

    def dated(self, payload: dict, story: Story) -> dict:
        if "due_date" in payload:
            return {**payload, "due_date": self.due(payload["due_date"], story)}
        return payload


def _by_time(item):
    return (item[0], item[1].id)


def home_of(story, lending: set[int]) -> int | None:
    """The device's home by `stock.new_home`'s rule, replayed over its events."""
    home = None
    for _t, action, _source, _target, _actor, location, _payload in story.events:
        if action == INTAKE or (action == "receive" and location in lending):
            home = location
    return home


COLUMNS = {
    "organisations": "id, name, kind, created_at",
    "locations": "id, name, kind, municipality, postcode, organisation_id",
    "users": "id, email, role, organisation_id, active, created_at, password_hash",
    "api_tokens": "id, user_id, token_hash, created_at, revoked_at",
    "borrowers": "id, code, organisation_id, location_id, target_group, "
    "municipality, postcode, id_document, created_at",
    "borrower_identities": "borrower_id, name, contact, language",
    "donations": "id, donor_id, received_on, notes, created_at",
    "tag_counters": "prefix, last_number",
    "devices": "id, asset_tag, kind, make, model, serial, specs, state, location_id, "
    "custodian_id, donation_id, version, created_at, updated_at, home_location_id",
    "disks": "id, device_id, kind, model, serial, size_gb, data_bearing, added_at",
    "workflow_events": "id, device_id, action, from_state, to_state, actor_id, "
    "location_id, at, payload",
    "loans": "id, device_id, borrower_id, location_id, lent_at, due_on, renewals, "
    "closed_at, outcome",
    "erasure_records": "id, device_id, disk_id, after_event_id, media, technique, "
    "passes, tool, tool_version, verification, verification_result, hidden_areas, "
    "outcome, claimed_level, level, problems, rules_version, started_at, finished_at, "
    "operator_id, log_sha256, created_at",
    "qc_records": "id, device_id, after_event_id, items, grade, notes, tester_id, "
    "created_at, template, lendability, lendability_reasons, rules_version",
}
ORDER = list(COLUMNS)  # parents before children
SERIAL = [t for t in ORDER if t not in ("tag_counters", "borrower_identities")]


def sqlalchemy_url(target: str) -> str:
    """A URL for SQLAlchemy from a PostgreSQL URL, a SQLite URL or a file path."""
    if target.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + target.split("://", 1)[1]
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).resolve()}"


def fresh_database(url: str, replace: bool) -> None:
    """Start from an empty database; refuse to wipe one with data unless told to."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not replace:
            sys.exit(f"{path} exists; pass --replace to rebuild it")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    try:
        with engine.connect() as connection:
            tables = connection.scalar(
                sa.text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
    except sa.exc.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        server = sa.create_engine(
            engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{engine.url.database}"'))
        server.dispose()
        tables = 0
    if tables and not replace:
        sys.exit(f"{engine.url.database} has tables; pass --replace to rebuild it")
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def load(connection: sa.Connection, rows: dict[str, list[tuple]]) -> None:
    """Bulk-insert every table: COPY on PostgreSQL, executemany on SQLite."""
    postgres = connection.dialect.name == "postgresql"
    for table in ORDER:
        columns, data = COLUMNS[table], rows[table]
        started = time.perf_counter()
        if postgres:
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns.split(",")))
            for i in range(0, len(data), 50_000):
                connection.exec_driver_sql(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    data[i : i + 50_000],
                )
        print(
            f"  {table:16} {len(data):>9,} rows {time.perf_counter() - started:6.1f} s",
            flush=True,
        )
    if postgres:  # ids were given explicitly: move each sequence past them
        for table in SERIAL:
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            last = f"(SELECT max(id) FROM {table})"  # noqa: S608 (our table names)
            connection.execute(sa.text(f"SELECT setval({sequence}, {last})"))


def analyse(engine: sa.Engine) -> None:
    """Statistics (and PostgreSQL's visibility map), as autovacuum would leave them."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def check_histories(connection: sa.Connection) -> int:
    """Every device's events replay to its state, each starting where the last ended."""
    states = dict(connection.execute(sa.text("SELECT id, state FROM devices")).all())
    bad, device, chain, last_to = [], None, [], None

    def close():
        if device is not None and replay(chain) != states.get(device):
            bad.append(device)

    result = connection.execute(
        sa.text(
            "SELECT device_id, action, from_state, to_state FROM workflow_events "
            "ORDER BY device_id, id"
        )
    )
    for device_id, action, source, target in result:
        if device_id != device:
            close()
            device, chain, last_to = device_id, [], None
            if action != INTAKE or source is not None:
                bad.append(device_id)
        elif source != last_to:
            bad.append(device_id)
        chain.append(action)
        last_to = target
    close()
    if bad:
        sys.exit(
            f"{len(bad)} devices have a history that does not replay to their state, "
            f"e.g. {bad[:5]}"
        )
    return len(states)


def check_guards(expect: dict[int, str], sample: int, seed: int) -> Counter:
    """Ask the real workflow what a sample of devices allows: what their story says."""
    from assettrack import lifecycle
    from assettrack import workflow
    from assettrack.models import Device
    from assettrack.tagging import find_device

    picked = random.Random(seed).sample(sorted(expect), min(sample, len(expect)))
    outcomes = Counter()
    for device_id in picked:
        # By its tag, as the API finds it: the tags must be ones the service accepts.
        tag = db.session.scalar(
            sa.select(Device.asset_tag).where(Device.id == device_id)
        )
        device = find_device(tag)
        allowed = workflow.allowed(lifecycle.facts_for(device), "admin")
        wanted = expect[device_id]
        if wanted == "nothing":  # an end state
            ok = allowed == []
        elif wanted.startswith("!"):
            ok = wanted[1:] not in allowed
        else:
            ok = wanted in allowed
        if not ok:
            sys.exit(
                f"device {device.asset_tag} ({device.state}): "
                f"expected {wanted}, allowed {allowed}"
            )
        outcomes[f"{device.state}: {wanted}"] += 1
        db.session.expunge_all()
    return outcomes


def seed(
    target: str, devices: int, seed_value: int, today: date, replace: bool, sample: int
) -> None:
    url = sqlalchemy_url(target)
    began = time.perf_counter()
    fresh_database(url, replace)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "TAG_PREFIX": TAG_PREFIX}
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        print(
            f"migrated {db.engine.url.render_as_string(hide_password=True)}", flush=True
        )
        generator = Generator(devices, seed_value, today)
        rows = generator.build()
        print(
            f"generated {len(rows['devices']):,} devices, "
            f"{len(rows['workflow_events']):,} events "
            f"in {time.perf_counter() - began:.0f} s; final states: "
            + ", ".join(f"{k} {v}" for k, v in generator.final_states.most_common()),
            flush=True,
        )
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA cache_size=-500000")
            load(connection, rows)
        del rows
        analyse(db.engine)
        print(f"loaded in {time.perf_counter() - began:.0f} s", flush=True)
        with db.engine.connect() as connection:
            checked = check_histories(connection)
        print(
            f"replayed the history of all {checked:,} devices: "
            "each ends in the device's state"
        )
        outcomes = check_guards(generator.expect, sample, seed_value)
        print(
            f"asked the workflow about {sum(outcomes.values())} devices: "
            + ", ".join(f"{k} ({v})" for k, v in sorted(outcomes.items()))
        )
        db.engine.dispose()
    print(f"seeded in {time.perf_counter() - began:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "database", help="postgresql://... URL, sqlite:///... URL or a SQLite file path"
    )
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=date.today(),
        help="the day histories end (default: today)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="drop what the database holds"
    )
    parser.add_argument(
        "--check",
        type=int,
        default=2000,
        metavar="N",
        help="devices to ask the workflow about afterwards",
    )
    args = parser.parse_args()
    seed(args.database, args.devices, args.seed, args.today, args.replace, args.check)


if __name__ == "__main__":
    main()
