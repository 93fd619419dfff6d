"""Stock-takes: count a room by scanning every label in it, and correct the records.

A place's expected devices are those the records put there (`location_id`),
not on their way anywhere, and not lent, scrapped or lost. Each scan is
answered at once with what the device is to this count (`Finding`); the result
compares the scans with the records. Corrections are ordinary lifecycle
actions, one event per device: `relocate` for a device the records put
elsewhere, `receive` for one on its way here. Missing devices are listed, never
changed (there is no state for "missing"); closing a stock-take keeps its lists
(`StockTake.lists`) so a coordinator can follow them up.
"""

from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum

import sqlalchemy as sa

from assettrack import lifecycle
from assettrack import reach
from assettrack import stock
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import StockTake
from assettrack.models import StockTakeScan
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.models.types import utcnow
from assettrack.problems import Conflict
from assettrack.problems import Refusal
from assettrack.tagging import TagError
from assettrack.tagging import canonical_tag
from assettrack.workflow import WorkflowError

OUT = ("lent", "scrapped", "lost")
CODE_LENGTH = 80  # StockTakeScan.code
# What to do with a device found here that the records have as not in stock.
ADVICE = {
    "lent": "recorded as lent: take it back at the desk",
    "scrapped": "recorded as scrapped: set it apart and tell the coordinator",
    "lost": "recorded as lost: tell the coordinator it was found",
}
CORRECTIONS = {"elsewhere": "relocate", "arriving": "receive"}


class Finding(StrEnum):
    """What one scanned label is to the count of this place."""

    found = "found"  # expected here
    elsewhere = "elsewhere"  # the records have it at, or on its way to, another place
    arriving = "arriving"  # on its way here: receive it
    lent = "lent"  # recorded as not in stock: listed, never corrected
    scrapped = "scrapped"
    lost = "lost"
    unknown = "unknown"  # no device has this code


class NotYours(Exception):
    """The person may not count this place (not their organisation's)."""


class AlreadyOpen(Exception):
    """The place is being counted already: continue that stock-take or close it."""

    def __init__(self, open_one: StockTake):
        super().__init__(
            f"stock-take {open_one.id} of {open_one.location.name} is still open:"
            " continue it or close it first"
        )
        self.stock_take = open_one


def closed_refusal(stock_take: StockTake) -> Refusal:
    return Refusal(
        "stock_take",
        f"stock-take {stock_take.id} is closed; start a new one to count again",
        status=409,
    )


@dataclass(frozen=True)
class Place:
    id: int
    name: str


def _place(location: Location | None) -> Place | None:
    return location and Place(location.id, location.name)


@dataclass
class Line:
    """One device in a result list, and where the records have it."""

    asset_tag: str
    kind: str
    make: str
    model: str
    state: str
    location: Place | None
    in_transit_to: Place | None
    correction: str | None = None  # the action that would correct the records
    corrected: str | None = None  # the action this stock-take recorded
    advice: str | None = None

    @classmethod
    def of(
        cls,
        device,
        finding: str | None = None,
        places: dict[int, Place] | None = None,
    ) -> "Line":
        """`device`: a Device, or a row of its columns with `places` by id."""
        if places is None:
            where, sent = _place(device.location), _place(device.in_transit_to)
        else:
            where = places.get(device.location_id)
            sent = places.get(device.in_transit_to_id)
        return cls(
            device.asset_tag,
            device.kind,
            device.make,
            device.model,
            device.state,
            where,
            sent,
            correction=CORRECTIONS.get(finding or ""),
            advice=ADVICE.get(finding or ""),
        )

    def kept(self) -> dict:
        # By hand: `dataclasses.asdict` deep-copies, ten times slower on a big room.
        return {
            **self.__dict__,
            "location": self.location and self.location.__dict__,
            "in_transit_to": self.in_transit_to and self.in_transit_to.__dict__,
        }

    @classmethod
    def load(cls, kept: dict) -> "Line":
        places = {
            name: kept[name] and Place(**kept[name])
            for name in ("location", "in_transit_to")
        }
        return cls(**{**kept, **places})


@dataclass
class Unknown:
    code: str
    scanned_at: str


LISTS = ("found", "missing", "elsewhere", "arriving", "on_the_way", "out")


@dataclass
class Result:
    """A stock-take compared with the records: one list per kind of finding.

    `out`: scanned here but recorded as lent, scrapped or lost; `on_the_way`: on
    their way here and not scanned (not missing).
    """

    expected: int = 0
    found: list[Line] = field(default_factory=list)
    missing: list[Line] = field(default_factory=list)
    elsewhere: list[Line] = field(default_factory=list)
    arriving: list[Line] = field(default_factory=list)
    on_the_way: list[Line] = field(default_factory=list)
    out: list[Line] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)

    @property
    def counts(self) -> dict:
        counts = {name: len(getattr(self, name)) for name in (*LISTS, "unknown")}
        scanned = ("found", "elsewhere", "arriving", "out", "unknown")
        return {
            "expected": self.expected,
            "scanned": sum(counts[name] for name in scanned),
            **counts,
        }

    @property
    def to_correct(self) -> int:
        return len(self.elsewhere) + len(self.arriving)

    def kept(self) -> dict:
        """The result as JSON keeps it (`load` reads it back)."""
        lists = {name: [line.kept() for line in getattr(self, name)] for name in LISTS}
        unknown = [asdict(code) for code in self.unknown]
        return {"expected": self.expected, **lists, "unknown": unknown}

    @classmethod
    def load(cls, kept: dict) -> "Result":
        lists = {name: [Line.load(line) for line in kept[name]] for name in LISTS}
        unknown = [Unknown(**code) for code in kept["unknown"]]
        return cls(kept["expected"], **lists, unknown=unknown)


@dataclass
class Scanned:
    """The instant answer to one scan."""

    stock_take: StockTake
    code: str
    finding: Finding
    again: bool  # this device (or code) was scanned before: it counts once
    device: Line | None
    counts: dict


@dataclass
class Report:
    """A stock-take and its result, as the result page and API show them."""

    stock_take: StockTake
    result: Result


def report(stock_take: StockTake) -> Report:
    return Report(stock_take, result(stock_take))


@dataclass
class Refused:
    line: Line
    action: str
    reasons: list[str]


@dataclass
class Corrections:
    stock_take: StockTake
    recorded: list[Line]
    refused: list[Refused]


def may_count(user: User, place: Location) -> bool:
    """Coordinators count any place; a repair partner or desk their organisation's."""
    return stock.sees(user, place)


def visible(user: User, location: int | None = None) -> sa.Select:
    """The stock-takes `user` may see (of one place), the newest first."""
    select = (
        sa.select(StockTake)
        .join(Location, Location.id == StockTake.location_id)
        .order_by(StockTake.id.desc())
    )
    if not reach.sees_everything(user):
        select = select.where(Location.organisation_id == user.organisation_id)
    if location is not None:
        select = select.where(StockTake.location_id == location)
    return select


def get(user: User, stock_take_id: int) -> StockTake | None:
    """The stock-take, or None when there is none the user may see."""
    return db.session.scalar(visible(user).where(StockTake.id == stock_take_id))


def open_at(place: Location) -> StockTake | None:
    return db.session.scalar(
        sa.select(StockTake).where(
            StockTake.location_id == place.id, StockTake.closed_at.is_(None)
        )
    )


def start(location_id: int, user: User) -> StockTake:
    """Start counting a place; one stock-take at a time per place.

    :raises Refusal: no such place. :raises NotYours: not the user's place.
    :raises AlreadyOpen: the place is being counted.
    """
    place = db.session.get(Location, location_id)
    if place is None:
        raise Refusal("location", "no such location")
    if not may_count(user, place):
        raise NotYours(f"a {user.role} user counts only their own places")
    if found := open_at(place):
        raise AlreadyOpen(found)
    stock_take = StockTake(location=place, started_by_id=user.id)
    db.session.add(stock_take)
    try:
        lifecycle.commit()
    except Conflict:  # started by someone else a moment ago
        if found := open_at(place):
            raise AlreadyOpen(found) from None
        raise
    return stock_take


def finding_of(device: Device, place_id: int) -> Finding:
    """What a device scanned at `place_id` is, by what the records say now."""
    if device.state in OUT:
        return Finding(device.state)
    if device.in_transit_to_id == place_id:
        return Finding.arriving
    if device.location_id == place_id and device.in_transit_to_id is None:
        return Finding.found
    return Finding.elsewhere


def _scanned_device(raw: str) -> tuple[str, Device | None]:
    """The code to keep and its device; text that is no tag is kept as typed.

    :raises Refusal: shaped like a tag but its check character fails (a misread:
        scan it again, nothing is kept).
    """
    try:
        code = canonical_tag(raw)
    except TagError as exc:
        if exc.code == "bad_check":
            raise Refusal("code", f"{exc}: scan it again") from None
        return raw.strip()[:CODE_LENGTH], None
    device = db.session.scalar(sa.select(Device).where(Device.asset_tag == code))
    return code, device


def scan(stock_take: StockTake, raw: str, user: User) -> Scanned:
    """Record one scanned code (once per device) and say at once what it is.

    :raises Refusal: the stock-take is closed (409), or the code is a misread (422).
    """
    if stock_take.closed_at is not None:
        raise closed_refusal(stock_take)
    code, device = _scanned_device(raw)
    same = (
        StockTakeScan.device_id == device.id
        if device is not None
        else sa.and_(StockTakeScan.device_id.is_(None), StockTakeScan.code == code)
    )
    before = db.session.scalar(
        sa.select(StockTakeScan.id).where(
            StockTakeScan.stock_take_id == stock_take.id, same
        )
    )
    if before is None:
        db.session.add(
            StockTakeScan(
                stock_take_id=stock_take.id,
                code=code,
                device_id=device and device.id,
                scanned_by_id=user.id,
            )
        )
        try:
            lifecycle.commit()
        except Conflict:  # another scanner in the room scanned it at the same moment
            before = True
    finding = finding_of(device, stock_take.location_id) if device else Finding.unknown
    return Scanned(
        stock_take,
        code,
        finding,
        before is not None,
        device and Line.of(device, finding),
        counts(stock_take),
    )


def counts(stock_take: StockTake) -> dict:
    """`result(stock_take).counts`, counted by the database: a scan's answer
    stays quick in a store room of thousands."""
    place_id = stock_take.location_id
    listed = sa.case(
        (Device.id.is_(None), "unknown"),
        (Device.state.in_(OUT), "out"),
        (Device.in_transit_to_id == place_id, "arriving"),
        (
            sa.and_(Device.location_id == place_id, Device.in_transit_to_id.is_(None)),
            "found",
        ),
        else_="elsewhere",
    )
    scanned = dict.fromkeys(("found", "elsewhere", "arriving", "out", "unknown"), 0)
    scanned |= dict(
        db.session.execute(
            sa.select(listed, sa.func.count())
            .select_from(StockTakeScan)
            .outerjoin(Device, Device.id == StockTakeScan.device_id)
            .where(StockTakeScan.stock_take_id == stock_take.id)
            .group_by(listed)
        ).all()
    )
    expected = db.session.scalar(
        sa.select(sa.func.count()).where(
            Device.location_id == place_id,
            Device.in_transit_to_id.is_(None),
            Device.state.not_in(OUT),
        )
    )
    coming = db.session.scalar(
        sa.select(sa.func.count()).where(Device.in_transit_to_id == place_id)
    )
    return {
        "expected": expected,
        "scanned": sum(scanned.values()),
        **scanned,
        "missing": expected - scanned["found"],
        "on_the_way": coming - scanned["arriving"],
    }


def _corrected(stock_take: StockTake, device_ids: list[int]) -> dict[int, str]:
    """Per device, the correction this stock-take recorded (relocate or receive)."""
    if not device_ids or stock_take.corrected_at is None:
        return {}
    scanned = sa.select(StockTakeScan.device_id).where(
        StockTakeScan.stock_take_id == stock_take.id
    )
    events = db.session.execute(
        sa.select(WorkflowEvent.device_id, WorkflowEvent.action, WorkflowEvent.payload)
        .where(
            WorkflowEvent.device_id.in_(scanned),
            WorkflowEvent.action.in_(CORRECTIONS.values()),
            WorkflowEvent.at >= stock_take.started_at,
        )
        .order_by(WorkflowEvent.id)
    )
    return {
        device_id: action
        for device_id, action, payload in events
        if (payload or {}).get("stock_take") == stock_take.id
    }


def result(stock_take: StockTake) -> Result:
    """The scans compared with the records now; a closed one's as it was closed."""
    if stock_take.closed_at is not None and stock_take.lists is not None:
        return Result.load(stock_take.lists)
    place_id = stock_take.location_id
    scans = db.session.scalars(
        sa.select(StockTakeScan)
        .where(StockTakeScan.stock_take_id == stock_take.id)
        .order_by(StockTakeScan.id)
    ).all()
    scanned_ids = [s.device_id for s in scans if s.device_id is not None]
    # Columns, not entities: a store room holds thousands of devices.
    of_this = sa.select(StockTakeScan.device_id).where(
        StockTakeScan.stock_take_id == stock_take.id
    )
    devices = db.session.execute(
        sa.select(
            Device.id,
            Device.asset_tag,
            Device.kind,
            Device.make,
            Device.model,
            Device.state,
            Device.location_id,
            Device.in_transit_to_id,
        )
        .where(
            sa.or_(
                Device.id.in_(of_this),
                Device.location_id == place_id,
                Device.in_transit_to_id == place_id,
            )
        )
        .order_by(Device.asset_tag)
    ).all()
    places = {
        place.id: Place(place.id, place.name)
        for place in db.session.execute(sa.select(Location.id, Location.name))
    }
    scanned = set(scanned_ids)
    corrected = _corrected(stock_take, scanned_ids)
    found = Result()
    for device in devices:
        expected = (
            device.location_id == place_id
            and device.in_transit_to_id is None
            and device.state not in OUT
        )
        found.expected += expected
        if device.id not in scanned:
            if expected:
                found.missing.append(Line.of(device, places=places))
            elif device.in_transit_to_id == place_id:
                found.on_the_way.append(Line.of(device, places=places))
            continue
        finding = finding_of(device, place_id)
        line = Line.of(device, finding, places)
        line.corrected = corrected.get(device.id)
        listed = "out" if finding in OUT else finding.value
        getattr(found, listed).append(line)
    unknown = {s.code: s for s in reversed(scans) if s.device_id is None}
    found.unknown = [
        Unknown(s.code, s.scanned_at.isoformat())
        for s in sorted(unknown.values(), key=lambda s: s.id)
    ]
    return found


def correct(stock_take: StockTake, user: User) -> Corrections:
    """Record the corrections the result asks for, each device on its own.

    A refused correction is reported and changes nothing; it does not undo or
    stop the others. Run again, it finds nothing left to do.
    :raises Refusal: the stock-take is closed (409).
    """
    if stock_take.closed_at is not None:
        raise closed_refusal(stock_take)
    place_id, found = stock_take.location_id, result(stock_take)
    recorded, refused = [], []
    for line in found.elsewhere + found.arriving:
        action = line.correction
        device = db.session.scalar(
            sa.select(Device).where(Device.asset_tag == line.asset_tag)
        )
        payload = {"location": place_id, "stock_take": stock_take.id}
        try:
            lifecycle.perform(device, action, user, payload)
        except WorkflowError as exc:
            refused.append(Refused(line, action, _reasons(exc)))
            continue
        except Conflict:
            reason = "someone else changed this device at the same moment"
            refused.append(Refused(line, action, [reason]))
            continue
        line.corrected = action
        recorded.append(line)
    stock_take.corrected_at = utcnow()
    lifecycle.commit()
    return Corrections(stock_take, recorded, refused)


def _reasons(exc: WorkflowError) -> list[str]:
    if reasons := getattr(exc, "reasons", None):
        return list(reasons)
    if fields := getattr(exc, "fields", None):
        return [m for messages in fields.values() for m in messages]
    return [str(exc)]


def close(stock_take: StockTake, user: User) -> StockTake:
    """Freeze the stock-take: no more scans; its lists are kept as they are now.

    :raises Refusal: it is closed already (409).
    """
    if stock_take.closed_at is not None:
        raise closed_refusal(stock_take)
    stock_take.lists = result(stock_take).kept()
    stock_take.closed_at = utcnow()
    lifecycle.commit()
    return stock_take
