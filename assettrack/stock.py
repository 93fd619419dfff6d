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
from functools import lru_cache
from urllib.parse import quote_plus
from urllib.parse import urlencode

import sqlalchemy as sa

from assettrack import reach
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import LocationKind
from assettrack.models import User
from assettrack.workflow import INTAKE

ARRIVALS = ("receive", "relocate")
GROUPS = ("location", "organisation", "municipality")


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


@lru_cache(maxsize=4096)
def _quoted(value: int | str) -> str:
    return quote_plus(str(value))


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

    @property
    def location_id(self) -> int | None:
        return self.key.place.id if self.key.group == "location" else None

    @property
    def organisation_id(self) -> int | None:
        return (
            None if self.key.group == "municipality" else self.key.place.organisation_id
        )

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
        # As urlencode(self.filters()) would write it, at a fraction of the cost
        # (1,600 rows a request): states and kinds need no quoting.
        name = "municipality" if self.key.group == "municipality" else self.key.group
        return (
            f"/api/v1/devices?{name}={_quoted(self.key.value)}"
            f"&state={self.state}&kind={self.kind}&in_transit=false"
        )

    @property
    def away_devices(self) -> str | None:
        """Where the devices at home here but now elsewhere are listed (places only)."""
        if self.key.group != "location" or not self.away:
            return None
        return (
            f"/api/v1/devices?home={self.key.value}&away=true"
            f"&state={self.state}&kind={self.kind}"
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
    """The counts, and once each the places and organisations they refer to."""

    group: str
    rows: list[Row]
    in_transit: list[Transit] = field(default_factory=list)
    places: list[Location] = field(default_factory=list)
    by_state: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def organisations(self) -> list:
        owners = {place.organisation_id: place.organisation for place in self.places}
        return sorted(owners.values(), key=lambda organisation: organisation.name)

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
    return reach.sees_everything(user) or place.organisation_id == user.organisation_id


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
    # In the order of ix_devices_stock: PostgreSQL groups while it reads the
    # index (GroupAggregate) instead of hashing 100k rows (half the time).
    columns = (
        Device.location_id,
        Device.home_location_id,
        Device.state,
        Device.kind,
        Device.in_transit_to_id,
    )
    select = _narrowed(
        sa.select(*columns, sa.func.count()).group_by(*columns), state, kind, location
    )
    rows: dict[tuple, Row] = {}
    stock = Stock(group, [])
    keys = {place_id: key_of(place, group) for place_id, place in everywhere.items()}

    def row(place_id: int, device_state: str, device_kind: str) -> Row:
        key = keys[place_id]
        found = rows.get((key.value, device_state, device_kind))
        if found is None:
            found = rows[key.value, device_state, device_kind] = Row(
                key, device_state, device_kind
            )
        return found

    for now_id, home_id, device_state, device_kind, to_id, number in db.session.execute(
        select
    ):
        here = now_id in places
        if here and to_id is None:
            row(now_id, device_state, device_kind).count += number
        if here or to_id in places:
            # At a place the user sees, or on a route that starts or ends at one.
            stock.by_state[device_state] += number
            stock.by_kind[device_kind] += number
        if home_id in places and (
            to_id is not None
            or now_id not in keys
            or keys[home_id].value != keys[now_id].value
        ):
            row(home_id, device_state, device_kind).away += number
    stock.in_transit = routes(places, everywhere, state, kind, location)
    shown = {r.key.place.id for r in rows.values()} | {
        place.id
        for t in stock.in_transit
        for place in (t.origin, t.destination)
        if place
    }
    stock.places = sorted(
        (everywhere[i] for i in shown if i in everywhere), key=lambda p: (p.name, p.id)
    )
    stock.rows = sorted(
        rows.values(), key=lambda r: (*r.key.sort, str(r.key.value), r.state, r.kind)
    )
    return stock
