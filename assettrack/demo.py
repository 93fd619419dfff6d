"""The demo data set behind `flask --app assettrack demo`.

A small digibank around Gent, Aalst and Mechelen: a coordinator, two repair
partners, three digileenplekken, two donated batches and about 200 devices in
every lifecycle state. Every device's history is built through the workflow
(`intake` and `lifecycle.perform`, each action by the person who would take it),
so the demo shows what the guards allow and nothing they would refuse.

A fixed seed makes the data the same on every run (dates are relative to today).
Loading twice changes nothing: the coordinator organisation marks a loaded demo.
"""

import random
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

import click
import sqlalchemy as sa

from assettrack import demo_agents
from assettrack import erasures
from assettrack import intake
from assettrack import lending
from assettrack import lifecycle
from assettrack import quality
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import BorrowerIdentity
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.models.types import utcnow
from assettrack.workflow import State

SEED = 20261128
DOMAIN = "digibank.example"
COORDINATOR = "Digibank Regio Gent"
TOKEN_HINT = f"flask --app assettrack token create coordinator@{DOMAIN}"
# Every demo person logs in to the web pages with this password (README).
DEMO_PASSWORD = "demo-digibank"  # noqa: S105  (published in the README)

# fmt: off
# organisation, its place, municipality, postcode, e-mail key of its person
REPAIR_PARTNERS = (
    ("Werkplaats De Vlaspit", "Werkplaats De Vlaspit Gent", "Gent", "9040", "gent"),
    ("Sociale werkplaats Denderwerk", "Atelier Denderwerk Aalst",
     "Aalst", "9300", "aalst"),
)
DIGILEENPLEKKEN = (
    ("Bibliotheek De Krook", "Digileenplek De Krook", "Gent", "9000", "gent"),
    ("Sociaal Huis Aalst", "Digileenplek Sociaal Huis Aalst", "Aalst", "9300", "aalst"),
    ("Bibliotheek Het Predikheren", "Digileenplek Het Predikheren",
     "Mechelen", "2800", "mechelen"),
)
STORAGE = ("Magazijn Digibank Ledeberg", "Gent", "9050")
BORROWERS_PER_DESK = 25

# The item a failed quality check names, per checklist, with the tester's note.
QC_FAILURES = {
    "laptop": ("battery", "batterijcapaciteit 48 %"),
    "desktop": ("usb_ports", "USB-poorten vooraan geven geen contact"),
    "tablet": ("battery", "batterijcapaciteit 52 %"),
}

# How many devices end in each state; the stories below say how they got there.
FATES = {
    State.received: 18, State.wiping: 14, State.refurbishing: 20, State.qc: 12,
    State.ready: 46, State.lent: 48, State.returned: 12, State.repair: 12,
    State.scrapped: 12, State.lost: 6,
}
TOTAL = sum(FATES.values())

FIRST_NAMES = (
    "Lena Jonas Fatima Noah Elif Wout Amina Lars Yasmine Stijn Nora Mohamed Lotte Arne "
    "Sara Kobe Hanne Bilal Ines Ruben Marie Youssef Emma Tibo Aya Jef Oksana Daan "
    "Zeynep Milan Rita Karim Liesbeth Senne Meryem Gilles Anke Idris Lieve Omar"
).split()

# catalogue key: the disks one finds in it (kind, model, size in GB, serial prefix)
DISKS = {
    "t480": [("nvme", "SAMSUNG MZVLB256HAHQ-000L7", 256, "S4DENX0M"),
             ("nvme", "SK hynix PC401 HFS256GD9TNG", 256, "MS8AN5")],
    "t490": [("nvme", "SAMSUNG MZVLB512HBJQ-000L7", 512, "S4EWNX0N"),
             ("nvme", "KBG40ZNS256G NVMe KIOXIA 256GB", 256, "Y9RPC1")],
    "l390": [("ssd", "SAMSUNG MZNLN256HAJQ-000L7", 256, "S3TANX0K"),
             ("ssd", "LITEON CV8-8E256-11 SATA 256GB", 256, "TW0XFJ")],
    "5490": [("ssd", "TOSHIBA THNSNK256GVN8", 256, "X7RS10"),
             ("ssd", "SK hynix SC311 SATA 256GB", 256, "MJ88N")],
    "7490": [("nvme", "PM981 NVMe SAMSUNG 256GB", 256, "S4DXNF0K"),
             ("nvme", "SK hynix PC401 NVMe 512GB", 512, "EJ85N")],
    "840g5": [("nvme", "SAMSUNG MZVLB256HAHQ-000H1", 256, "S41GNX0M"),
              ("nvme", "TOSHIBA KXG50ZNV256G", 256, "88DS10")],
    "600g3": [("ssd", "SAMSUNG MZ7LN256HAJQ-000H1", 256, "S3TBNX0J"),
              ("hdd", "ST500DM002-1BD142", 500, "Z6EM")],
}
SECOND_HDD = {  # models that often come with a second, 2.5" or 3.5" disk
    "5490": ("hdd", "ST500LM034-2GH17A", 500, "WCJ0"),
    "600g3": ("hdd", "WDC WD5000AAKX-60U6AA0", 500, "WCC2E"),
}

# key: kind, make, model, screen (inch), year, the Intel Core CPUs it came with
CATALOGUE = {
    "t480": ("laptop", "Lenovo", "ThinkPad T480", 14.0, 2018, "i5-8250U i5-8350U"),
    "t490": ("laptop", "Lenovo", "ThinkPad T490", 14.0, 2019, "i5-8265U i7-8565U"),
    "l390": ("laptop", "Lenovo", "ThinkPad L390", 13.3, 2019, "i5-8265U i3-8145U"),
    "5490": ("laptop", "Dell", "Latitude 5490", 14.0, 2018, "i5-8250U i5-8350U"),
    "7490": ("laptop", "Dell", "Latitude 7490", 14.0, 2018, "i5-8350U i7-8650U"),
    "840g5": ("laptop", "HP", "EliteBook 840 G5", 14.0, 2018, "i5-8250U i5-8350U"),
    "600g3": ("desktop", "HP", "ProDesk 600 G3 SFF", None, 2017, "i5-6500 i5-7500"),
}

# How each kind of disk is erased (technique, passes, tool, version, verification,
# HPA/DCO, minutes it takes); each meets the default policy. "destroy" is the
# shredder at the recycler's.
ERASURE_PROFILES = {
    "nvme": ("nvme_sanitize_crypto", 1, "nvme-cli", "2.8", "sampled", "not_checked",
             3),
    "ssd": ("ata_sanitize_block", 1, "hdparm", "9.65", "sampled", "yes", 12),
    "hdd": ("overwrite", 1, "nwipe (ShredOS)", "0.38", "full", "yes", 95),
    "destroy": ("shred", 1, "Shredder HSM Powerline", "", "none", "not_checked", 5),
}
# The bus each kind of disk sits on, and its maker by the model's first word.
INTERFACES = {"nvme": "nvme", "ssd": "sata", "hdd": "sata"}
DISK_MAKERS = {
    "SAMSUNG": "Samsung", "PM981": "Samsung", "SK": "SK hynix",
    "KBG40ZNS256G": "Kioxia", "LITEON": "Lite-On", "TOSHIBA": "Toshiba",
    "ST500DM002-1BD142": "Seagate", "ST500LM034-2GH17A": "Seagate",
    "WDC": "Western Digital",
}

# donor, received days ago, notes, device count, catalogue keys, repair partner index
DONATIONS = (
    ("Vanderhaeghe Logistics NV", 41,
     "Vervanging laptopvloot kantoor Gent; opgehaald met bestelwagen, 1 pallet.",
     120, ("t480", "t490", "5490", "7490", "840g5"), 0),
    ("Sint-Jozefscollege Aalst", 27,
     "Afgeschreven toestellen uit het computerlokaal en de leraarskamer.",
     TOTAL - 120, ("l390", "600g3", "t480"), 1),
)
# fmt: on

REPAIR_REASONS = (
    "batterij opgezwollen",
    "scharnier gebroken",
    "toetsenbord: toetsen ontbreken",
    "start niet op, moederbord vermoedelijk defect",
    "geen lader bij de donatie",
    "ventilator maakt veel lawaai",
)
RETURN_DAMAGE = (
    "scherm gebarsten bij terugbrengen",
    "koffie op het toetsenbord gemorst",
    "lader niet teruggebracht",
)
SCRAP_REASONS = (
    "waterschade, herstelling niet rendabel",
    "moederbord defect, geen onderdelen",
    "behuizing gebroken, geen vervangstuk",
)

_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
INITIALS = _ALNUM[:24]


@dataclass
class Partner:
    user: User
    workshop: Location


@dataclass
class Desk:
    user: User
    place: Location
    borrowers: list[str]
    next_borrower: int = 0

    def borrower(self, busy: set[str] = frozenset()) -> str:
        """The next borrower in turn, skipping those at the most open loans."""
        for _ in self.borrowers:
            code = self.borrowers[self.next_borrower % len(self.borrowers)]
            self.next_borrower += 1
            if code not in busy:
                return code
        raise click.ClickException("every demo borrower has a device already")


def _borrowing(desk: Desk) -> set[str]:
    """The desk's borrowers with an open loan: one each, as the default policy says."""
    return set(
        db.session.scalars(
            sa.select(Borrower.code)
            .join(Loan, Loan.borrower_id == Borrower.id)
            .where(
                Loan.closed_at.is_(None),
                Borrower.organisation_id == desk.user.organisation_id,
            )
        )
    )


class DemoConflict(click.ClickException):
    """The database holds part of what the demo would create, but no demo."""


def load() -> str:
    """Load the demo unless it is there already; answer a short summary."""
    marker = db.session.scalar(sa.select(Organisation).filter_by(name=COORDINATOR))
    if marker is not None:
        loaded = _demo_device_count()
        if loaded < TOTAL:
            return (
                f"An incomplete demo is in this database ({loaded} of {TOTAL} "
                "devices); nothing changed. Start from an empty database to load it "
                "again."
            )
        return "The demo data set is already loaded; nothing changed.\n" + _summary()
    _refuse_clashes()
    _Loader(random.Random(SEED)).run()  # demo data, not secrets
    return f"Loaded the demo data set ({COORDINATOR}).\n" + _summary()


def _demo_device_count() -> int:
    donors = [donor for donor, *_ in DONATIONS]
    return db.session.scalar(
        sa.select(sa.func.count(Device.id))
        .join(Donation, Donation.id == Device.donation_id)
        .join(Organisation, Organisation.id == Donation.donor_id)
        .where(Organisation.name.in_(donors))
    )


def _emails() -> list[str]:
    people = ["admin", "coordinator"]
    people += [f"repair.{key}" for *_, key in REPAIR_PARTNERS]
    people += [f"desk.{key}" for *_, key in DIGILEENPLEKKEN]
    return [f"{person}@{DOMAIN}" for person in people]


def _refuse_clashes() -> None:
    """Stop before writing anything if a name or e-mail the demo uses is taken."""
    orgs = [p[0] for p in REPAIR_PARTNERS + DIGILEENPLEKKEN] + [d[0] for d in DONATIONS]
    places = [p[1] for p in REPAIR_PARTNERS + DIGILEENPLEKKEN] + [STORAGE[0]]
    taken = db.session.scalars(
        sa.select(Organisation.name).where(Organisation.name.in_(orgs))
    ).all()
    taken += db.session.scalars(
        sa.select(Location.name).where(Location.name.in_(places))
    ).all()
    taken += db.session.scalars(
        sa.select(User.email).where(User.email.in_(_emails()))
    ).all()
    taken += db.session.scalars(
        sa.select(Borrower.code).where(Borrower.code.in_(_borrower_codes()))
    ).all()
    if taken:
        raise DemoConflict(
            "this database already holds records the demo would create ("
            + ", ".join(sorted(taken)[:5])
            + "); load the demo into an empty database"
        )


def _borrower_codes() -> list[str]:
    return [
        f"B-{n:04d}" for n in range(1, BORROWERS_PER_DESK * len(DIGILEENPLEKKEN) + 1)
    ]


def _summary() -> str:
    counts = dict(
        db.session.execute(
            sa.select(Device.state, sa.func.count()).group_by(Device.state)
        ).all()
    )
    per_state = ", ".join(
        f"{state.value} {counts.get(state.value, 0)}" for state in State
    )
    people = ", ".join(_emails())
    return (
        f"Devices per state: {per_state} (total {sum(counts.values())}).\n"
        f"People: {people}.\n"
        f"{demo_agents.summary()}\n"
        f"Web pages: log in as any of them with the password {DEMO_PASSWORD}.\n"
        f"Get an API token: {TOKEN_HINT}"
    )


class _Loader:
    """Builds the demo; each method is what one person does at their place."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.serials: set[str] = set()
        self.today = date.today()

    def run(self) -> None:
        self._people_and_places()
        stories = [state for state, count in FATES.items() for _ in range(count)]
        self.rng.shuffle(stories)
        batches = [batch for batch, count in self.donations for _ in range(count)]
        for story, batch in zip(stories, batches, strict=True):
            getattr(self, f"_story_{story.value}")(batch)
        demo_agents.enrol_and_report(self.rng, self.partners)

    # People, places, borrowers and batches: one transaction.
    def _people_and_places(self) -> None:
        coordinator = Organisation(name=COORDINATOR, kind="coordinator")
        storage = Location(
            name=STORAGE[0],
            kind="storage",
            municipality=STORAGE[1],
            postcode=STORAGE[2],
            organisation=coordinator,
        )
        self.admin = User(
            email=f"admin@{DOMAIN}", role="admin", organisation=coordinator
        )
        self.coordinator = User(
            email=f"coordinator@{DOMAIN}", role="coordinator", organisation=coordinator
        )
        db.session.add_all([coordinator, storage, self.admin, self.coordinator])
        self.storage = storage
        self.partners = []
        for org_name, place, municipality, postcode, key in REPAIR_PARTNERS:
            org = Organisation(name=org_name, kind="repair")
            workshop = Location(
                name=place,
                kind="workshop",
                municipality=municipality,
                postcode=postcode,
                organisation=org,
            )
            user = User(email=f"repair.{key}@{DOMAIN}", role="repair", organisation=org)
            db.session.add_all([org, workshop, user])
            self.partners.append(Partner(user, workshop))
        self.desks = []
        codes, rng = iter(_borrower_codes()), self.rng
        for org_name, place, municipality, postcode, key in DIGILEENPLEKKEN:
            org = Organisation(name=org_name, kind="lending")
            location = Location(
                name=place,
                kind="lending",
                municipality=municipality,
                postcode=postcode,
                organisation=org,
            )
            user = User(email=f"desk.{key}@{DOMAIN}", role="desk", organisation=org)
            db.session.add_all([org, location, user])
            db.session.flush()
            # A first name and an initial: enough for the desk to recognise someone.
            borrowers = [
                Borrower(
                    code=next(codes),
                    organisation_id=org.id,
                    location_id=location.id,
                    target_group=rng.choice(lending.TARGET_GROUPS),
                    municipality=municipality,
                    postcode=postcode,
                    identity=BorrowerIdentity(
                        name=f"{rng.choice(FIRST_NAMES)} {rng.choice(INITIALS)}."
                    ),
                )
                for _ in range(BORROWERS_PER_DESK)
            ]
            db.session.add_all(borrowers)
            self.desks.append(Desk(user, location, [b.code for b in borrowers]))
        people = [self.admin, self.coordinator]
        people += [p.user for p in self.partners] + [d.user for d in self.desks]
        for person in people:
            person.set_password(DEMO_PASSWORD)
        self.donations = []
        for donor, days_ago, notes, count, keys, partner in DONATIONS:
            organisation = Organisation(name=donor, kind="donor")
            donation = Donation(
                donor=organisation,
                received_on=self.today - timedelta(days=days_ago),
                notes=notes,
            )
            db.session.add_all([organisation, donation])
            self.donations.append(((donation, keys, self.partners[partner]), count))
        db.session.commit()

    # What a repair partner does at the bench.
    def _intake(self, batch) -> tuple[Device, Partner]:
        donation, keys, partner = batch
        key = self.rng.choice(keys)
        kind, make, model, screen, year, cpus = CATALOGUE[key]
        disk_kind, disk_model, size, prefix = self.rng.choice(DISKS[key])
        disks = [self._disk(disk_kind, disk_model, size, prefix)]
        if key in SECOND_HDD and self.rng.random() < 0.3:
            disks.append(self._disk(*SECOND_HDD[key]))
        specs = {
            "cpu": "Intel Core " + self.rng.choice(cpus.split()),
            "ram_gb": self.rng.choice((8, 8, 16) if kind == "laptop" else (4, 8, 8)),
            "storage_gb": sum(disk["size_gb"] for disk in disks),
            "year": year,
        }
        if screen:
            specs["screen_inch"] = screen
        data = {
            "kind": kind,
            "make": make,
            "model": model,
            "serial": self._device_serial(make, kind),
            "specs": specs,
            "location_id": partner.workshop.id,
            "donation_id": donation.id,
            "disks": disks,
        }
        return intake.register(data, partner.user), partner

    def _disk(self, kind: str, model: str, size: int, prefix: str) -> dict:
        serial = self._unique(
            lambda: prefix + self._chars("0123456789ABCDEF", 14 - len(prefix))
        )
        return {
            "kind": kind,
            "interface": INTERFACES[kind],
            "make": DISK_MAKERS.get(model.split()[0], ""),
            "model": model,
            "serial": serial,
            "size_gb": size,
        }

    def _device_serial(self, make: str, kind: str) -> str:
        """Serials shaped like the makers': Lenovo PF…, Dell service tags, HP 5CG."""
        makers = {
            "lenovo": lambda: "PF" + self._chars(_ALNUM, 6),
            "dell": lambda: self._chars(_ALNUM, 7),
            "hp": lambda: (
                "5CG8" + self._chars("0123456789", 3) + self._chars(_ALNUM, 3)
            ),
            "hp-pc": lambda: (
                "CZC7" + self._chars("0123456789", 3) + self._chars(_ALNUM, 3)
            ),
        }
        return self._unique(makers[make.lower() + ("-pc" if kind == "desktop" else "")])

    def _chars(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def _unique(self, make) -> str:
        while (serial := make()) in self.serials:
            pass
        self.serials.add(serial)
        return serial

    def _act(self, device: Device, action: str, actor: User, **payload) -> None:
        lifecycle.perform(device, action, actor, payload)

    def _move(self, device: Device, place: Location, arrived: bool = True) -> None:
        """A hand-over: sent by the coordinator, received (unless still on its way)."""
        self._act(device, "transfer", self.coordinator, location=place.id)
        if arrived:
            self._act(device, "receive", self.coordinator)

    def _erase(
        self,
        device: Device,
        partner: Partner,
        disks=None,
        passed=True,
        destroy=False,
    ) -> None:
        for disk in device.disks if disks is None else disks:
            data = self._erasure(disk, passed, destroy)
            erasures.record_erasure(
                device, data, partner.user, self._log(disk, data, partner)
            )

    def _erasure(self, disk, passed: bool, destroy: bool) -> dict:
        profile = ERASURE_PROFILES["destroy" if destroy else disk.kind]
        technique, passes, tool, version, verification, hidden, minutes = profile
        finished: datetime = utcnow() - timedelta(minutes=self.rng.randint(1, 30))
        return {
            "disk_id": disk.id,
            "technique": technique,
            "passes": passes,
            "tool": tool,
            "tool_version": version,
            "verification": verification,
            "verification_result": None
            if verification == "none"
            else ("passed" if passed else "failed"),
            "hidden_areas": hidden,
            "outcome": "erased" if passed else "failed",
            "started_at": finished - timedelta(minutes=minutes),
            "finished_at": finished,
        }

    def _log(self, disk, data: dict, partner: Partner) -> erasures.ToolLog | None:
        """nwipe's log for every HDD it wiped, nvme-cli's for some NVMe drives."""
        started, finished = data["started_at"], data["finished_at"]
        status = "Erased" if data["outcome"] == "erased" else "FAILED"
        if data["tool"].startswith("nwipe"):
            lines = [
                f"[{started:%Y/%m/%d %H:%M:%S}] info: nwipe {data['tool_version']}",
                f"[{started:%Y/%m/%d %H:%M:%S}] info: /dev/sda {disk.model},"
                f" S/N={disk.serial}, bus=ATA, {disk.size_gb} GB",
                f"[{started:%Y/%m/%d %H:%M:%S}] info: HPA/DCO: no hidden sectors",
                f"[{started:%Y/%m/%d %H:%M:%S}] info: Invoking method"
                " 'PRNG Stream' on /dev/sda, 1 round, verify last pass",
                f"[{finished:%Y/%m/%d %H:%M:%S}] info: Verified that /dev/sda"
                + (" is full of the pattern." if status == "Erased" else " differs."),
                f"[{finished:%Y/%m/%d %H:%M:%S}] notice: {status} /dev/sda"
                f" {disk.serial} ({partner.workshop.name})",
            ]
            name = f"nwipe_log_{finished:%Y%m%d-%H%M%S}.txt"
        elif data["tool"] == "nvme-cli" and self.rng.random() < 0.5:
            done = status == "Erased"
            lines = [
                f"$ nvme sanitize /dev/nvme0 --sanact=4  # {started:%Y-%m-%d %H:%M}",
                "$ nvme sanitize-log /dev/nvme0",
                "Sanitize Progress                      (SPROG) :  65535",
                "Sanitize Status                        (SSTAT) :  "
                + ("0x101" if done else "0x103"),
                "  [2:0]  Most Recent Sanitize "
                + ("Command Completed Successfully." if done else "Failed."),
                f"serial: {disk.serial}  model: {disk.model}",
            ]
            name = f"nvme-sanitize-{disk.serial}.log"
        else:
            return None
        text = "\n".join(lines) + "\n"
        return erasures.ToolLog(name, "text/plain", text.encode())

    def _wipe(self, device: Device, partner: Partner) -> None:
        self._act(device, "start_wipe", partner.user)
        if self.rng.random() < 0.1:  # a first pass that failed verification, redone
            self._erase(device, partner, device.disks[:1], passed=False)
        self._erase(device, partner)
        self._act(device, "finish_wipe", partner.user)

    def _qc(self, device: Device, partner: Partner, fail: bool = False) -> str:
        """A full check, all passed or with one item failed; returns that item."""
        template = quality.template_for(device)
        items = {key: {"result": "pass", "note": ""} for key in template.keys}
        items["webcam"]["result"] = self.rng.choice(("pass", "pass", "na"))
        failed, note = QC_FAILURES[template.kind]
        if fail:
            items[failed] = {"result": "fail", "note": note}
        grade = self.rng.choice("AABBBC")
        quality.record_qc(
            device, {"items": items, "grade": grade, "notes": ""}, partner.user
        )
        return failed

    def _to_refurbishing(self, batch) -> tuple[Device, Partner]:
        device, partner = self._intake(batch)
        self._wipe(device, partner)
        return device, partner

    def _to_qc(self, batch) -> tuple[Device, Partner]:
        device, partner = self._to_refurbishing(batch)
        self._act(device, "submit_qc", partner.user)
        return device, partner

    def _to_ready(self, batch) -> tuple[Device, Partner]:
        device, partner = self._to_qc(batch)
        if self.rng.random() < 0.15:  # failed once on the battery, swapped, passed
            failed = self._qc(device, partner, fail=True)
            self._act(device, "fail_qc", partner.user, failed_items=[failed])
            self._act(device, "submit_qc", partner.user)
        self._qc(device, partner)
        self._act(device, "pass_qc", partner.user)
        return device, partner

    # What a lending desk does at the counter.
    def _to_lent(
        self, batch, due_in: int | None = None
    ) -> tuple[Device, Partner, Desk]:
        device, partner = self._to_ready(batch)
        desk = self.rng.choice(self.desks)
        self._move(device, desk.place)
        self._lend(device, desk, due_in)
        return device, partner, desk

    def _lend(self, device: Device, desk: Desk, due_in: int | None = None) -> None:
        if due_in is None:
            due_in = self.rng.choice((14, 28, 28, 42, 56, 90))
        renew = due_in > 14 and self.rng.random() < 0.2
        first_due = 14 if renew else due_in
        self._act(
            device,
            "lend",
            desk.user,
            borrower=desk.borrower(_borrowing(desk)),
            due_date=self.today + timedelta(days=first_due),
        )
        if renew:
            self._act(
                device, "renew", desk.user, due_date=self.today + timedelta(days=due_in)
            )

    def _second_cycle(self, batch) -> tuple[Device, Partner, Desk]:
        """Lent, returned, wiped again: the borrower's data leaves with the borrower."""
        device, partner, desk = self._to_lent(batch)
        self._act(device, "return", desk.user)
        self._wipe(device, partner)
        self._act(device, "submit_qc", partner.user)
        self._qc(device, partner)
        self._act(device, "pass_qc", partner.user)
        return device, partner, desk

    # One story per end state.
    def _story_received(self, batch) -> None:
        self._intake(batch)

    def _story_wiping(self, batch) -> None:
        device, partner = self._intake(batch)
        self._act(device, "start_wipe", partner.user)
        if len(device.disks) > 1 or self.rng.random() < 0.4:  # part of the disks done
            self._erase(device, partner, device.disks[:1])

    def _story_refurbishing(self, batch) -> None:
        device, partner = self._to_refurbishing(batch)
        turn = self.rng.random()
        if turn < 0.3:
            self._act(device, "submit_qc", partner.user)
            failed = self._qc(device, partner, fail=True)
            self._act(device, "fail_qc", partner.user, failed_items=[failed])
        elif turn < 0.6:
            self._act(
                device,
                "send_to_repair",
                partner.user,
                reason=self.rng.choice(REPAIR_REASONS),
            )
            self._act(device, "finish_repair", partner.user)

    def _story_qc(self, batch) -> None:
        device, partner = self._to_qc(batch)
        if self.rng.random() < 0.5:  # checked, waiting for the tester's sign-off
            self._qc(device, partner)

    def _story_ready(self, batch) -> None:
        turn = self.rng.random()
        if turn < 0.15:
            self._second_cycle(batch)  # ready again at the digileenplek
            return
        device, _partner = self._to_ready(batch)
        if turn < 0.3:
            return  # still at the workshop
        if turn < 0.45:
            self._move(device, self.storage)
            return
        # A few are still on their way to the digileenplek.
        self._move(device, self.rng.choice(self.desks).place, turn < 0.9)

    def _story_lent(self, batch) -> None:
        turn = self.rng.random()
        if turn < 0.1:
            device, _partner, desk = self._second_cycle(batch)
            self._lend(device, desk)
        elif turn < 0.3:
            self._to_lent(batch, due_in=self.rng.randint(1, 3))  # due in a day or three
        else:
            self._to_lent(batch)

    def _story_returned(self, batch) -> None:
        device, _partner, desk = self._to_lent(batch)
        self._act(device, "return", desk.user)

    def _story_repair(self, batch) -> None:
        turn = self.rng.random()
        if turn < 0.33:
            device, partner = self._intake(batch)
            self._act(
                device,
                "send_to_repair",
                partner.user,
                reason="start niet op bij intake",
            )
        elif turn < 0.66:
            device, partner = self._to_refurbishing(batch)
            self._act(
                device,
                "send_to_repair",
                partner.user,
                reason=self.rng.choice(REPAIR_REASONS),
            )
        else:
            device, _partner, desk = self._to_lent(batch)
            self._act(device, "return", desk.user)
            self._act(
                device,
                "send_to_repair",
                desk.user,
                reason=self.rng.choice(RETURN_DAMAGE),
            )

    def _story_scrapped(self, batch) -> None:
        reason = self.rng.choice(SCRAP_REASONS)
        if self.rng.random() < 0.5:  # beyond repair at intake: disks shredded
            device, partner = self._intake(batch)
            self._erase(device, partner, destroy=True)
            self._act(device, "scrap", self.coordinator, reason=reason)
        else:  # wiped, then found beyond repair
            device, partner = self._to_refurbishing(batch)
            self._act(
                device,
                "send_to_repair",
                partner.user,
                reason=self.rng.choice(REPAIR_REASONS),
            )
            self._act(device, "scrap", partner.user, reason=reason)

    def _story_lost(self, batch) -> None:
        device, _partner, desk = self._to_lent(batch)
        self._act(
            device,
            "report_lost",
            desk.user,
            note="niet teruggebracht na drie herinneringen",
        )
