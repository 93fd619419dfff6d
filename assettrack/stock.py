"""Stock: how many devices are where, in which state, of which kind.

A device is counted at the place it is now (`Device.location_id`), unless it
is in transit: sent by a transfer and not yet received, it counts on its route
(`Stock.in_transit`) and at neither place, so the places plus the routes add up
to every device. Its home is where it belongs (`Device.home_location_id`), set
by one rule, `new_home`: the digileenplek it last arrived at, else the place it
was taken in. A row's `away` counts the devices whose home is in the row's
group but which are now somewhere else or on their way; those are not in the
row's `count`.
"""

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from urllib.parse import urlencode

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import LocationKind
from assettrack.models import User
from assettrack.workflow import INTAKE

ARRIVALS = ("receive", "relocate")
GROUPS = ("location", "organisation", "municipality")
SEES_ALL = {"admin", "coordinator"}


def new_home(action: str, place: Location | None, home_id: int | None) -> int | None:
    """A device's home after `action` brought it to `place`: the one rule.

    Taken in: that place. Received at (or found at) a digileenplek: that place
    (arriving at a workshop or store leaves the home as it was). Anything else:
    unchanged. The migration that added the column (0009) filled it by the same
    rule, from the one-scan transfers there were then.
    """
    if place is None:
        return home_id
    if action == INTAKE:
        return place.id
    if action in ARRIVALS and place.kind == LocationKind.lending:
        return place.id
    return home_id


@dataclass(frozen=True)
class Key:
    """What a row groups by: a place, an organisation, or a municipality."""

    group: str
    value: int | str
    place: Location  # one of the group's places, for its names

    @property
    def sort(self) -> tuple:
        if self.group == "location":
            return (self.place.name,)
        if self.group == "organisation":
            return (self.place.organisation.name,)
        return (str(self.value),)


def key_of(place: Location, group: str) -> Key:
    value = {
        "location": place.id,
        "organisation": place.organisation_id,
        "municipality": place.municipality,
    }[group]
    return Key(group, value, place)


@dataclass
class Row:
    """Devices of one kind in one state at one group of places."""

    key: Key
    state: str
    kind: str
    count: int = 0
    away: int = 0

    @property
    def location(self) -> Location | None:
        return self.key.place if self.key.group == "location" else None

    @property
    def organisation(self):
        return self.key.place.organisation if self.key.group != "municipality" else None

    @property
    def municipality(self) -> str | None:
        return None if self.key.group == "organisation" else self.key.place.municipality

    def filters(self) -> dict:
        """The device list's filters that find exactly this row's devices."""
        name = {"location": "location", "organisation": "organisation"}.get(
            self.key.group, "municipality"
        )
        return {
            name: self.key.value,
            "state": self.state,
            "kind": self.kind,
            "in_transit": "false",
        }

    @property
    def devices(self) -> str:
        return "/api/v1/devices?" + urlencode(self.filters())

    @property
    def away_devices(self) -> str | None:
        """Where the devices at home here but now elsewhere are listed (places only)."""
        if self.key.group != "location" or not self.away:
            return None
        query = {"home": self.key.value, "away": "true"}
        return "/api/v1/devices?" + urlencode(
            query | {"state": self.state, "kind": self.kind}
        )


@dataclass
class Transit:
    """Devices sent from one place to another and not received yet."""

    origin: Location | None
    destination: Location
    count: int = 0
    since: datetime | None = None  # when the longest-travelling one was sent

    def age(self, now: datetime) -> int:
        """Whole days the longest-travelling device has been on its way."""
        return (now - self.since).days if self.since else 0

    def filters(self) -> dict:
        found = {"in_transit": "true", "sent_to": self.destination.id}
        if self.origin is not None:
            found["location"] = self.origin.id
        return found

    @property
    def devices(self) -> str:
        return "/api/v1/devices?" + urlencode(self.filters())


@dataclass
class Stock:
    group: str
    rows: list[Row]
    in_transit: list[Transit] = field(default_factory=list)
    by_state: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def travelling(self) -> int:
        return sum(transit.count for transit in self.in_transit)

    @property
    def totals(self) -> dict:
        """Every device: those at the places (the rows) and those on their way."""
        return {
            "devices": self.total,
            "in_transit": self.travelling,
            "by_state": dict(self.by_state),
            "by_kind": dict(self.by_kind),
        }


def all_places() -> dict[int, Location]:
    return {place.id: place for place in db.session.scalars(sa.select(Location))}


def sees(user: User, place: Location) -> bool:
    """May `user` see the stock of `place`: all, or their organisation's places."""
    return user.role in SEES_ALL or place.organisation_id == user.organisation_id


def _narrowed(select: sa.Select, state, kind, location) -> sa.Select:
    if state:
        select = select.where(Device.state == state)
    if kind:
        select = select.where(Device.kind == kind)
    if location is not None:
        select = select.where(
            sa.or_(
                Device.location_id == location,
                Device.home_location_id == location,
                Device.in_transit_to_id == location,
            )
        )
    return select


def routes(
    places: dict[int, Location], everywhere: dict[int, Location], *narrowing
) -> list[Transit]:
    """The devices on their way, per route, the longest-travelling first.

    A route shows when its start or its end is one of `places`.
    """
    select = _narrowed(
        sa.select(
            Device.location_id,
            Device.in_transit_to_id,
            sa.func.count(),
            sa.func.min(Device.in_transit_since),
        )
        .where(Device.in_transit_to_id.is_not(None))
        .group_by(Device.location_id, Device.in_transit_to_id),
        *narrowing,
    )
    found = [
        Transit(everywhere.get(origin), everywhere[destination], number, since)
        for origin, destination, number, since in db.session.execute(select)
        if origin in places or destination in places
    ]
    return sorted(found, key=lambda t: (t.since is None, t.since))


def count(
    user: User,
    group: str = "location",
    state: str | None = None,
    kind: str | None = None,
    location: int | None = None,
) -> Stock:
    """The stock `user` may see, grouped by `group`, in one grouped query.

    `location` narrows to one place (devices there now, at home there, or on
    their way there).
    """
    everywhere = all_places()
    places = {i: p for i, p in everywhere.items() if sees(user, p)}
    if location is not None:
        places = {location: places[location]} if location in places else {}
    columns = (
        Device.location_id,
        Device.home_location_id,
        Device.in_transit_to_id,
        Device.state,
        Device.kind,
    )
    select = _narrowed(
        sa.select(*columns, sa.func.count()).group_by(*columns), state, kind, location
    )
    rows: dict[tuple, Row] = {}
    stock = Stock(group, [])

    def row(place: Location, device_state: str, device_kind: str) -> Row:
        key = key_of(place, group)
        found = rows.get((key.value, device_state, device_kind))
        if found is None:
            found = rows[key.value, device_state, device_kind] = Row(
                key, device_state, device_kind
            )
        return found

    for now_id, home_id, to_id, device_state, device_kind, number in db.session.execute(
        select
    ):
        now, home = places.get(now_id), places.get(home_id)
        if now is not None and to_id is None:
            row(now, device_state, device_kind).count += number
        if now is not None or to_id in places:
            # At a place the user sees, or on a route that starts or ends at one.
            stock.by_state[device_state] += number
            stock.by_kind[device_kind] += number
        if home is not None and (
            to_id is not None
            or now_id not in everywhere
            or key_of(home, group).value != key_of(everywhere[now_id], group).value
        ):
            row(home, device_state, device_kind).away += number
    stock.in_transit = routes(places, everywhere, state, kind, location)
    stock.rows = sorted(
        rows.values(), key=lambda r: (*r.key.sort, str(r.key.value), r.state, r.kind)
    )
    return stock
