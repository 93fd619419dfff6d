"""Fixtures that build a real app on a real database.

SQLite by default (a fresh copy of a migrated database per test); PostgreSQL
when TEST_DATABASE_URL is set (migrated once, tables emptied per test). The
schema always comes from the Alembic migrations, as in production.
"""

import os
import shutil
import threading
from datetime import date
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis import settings

from assettrack.app import create_app
from assettrack.auth import issue_token
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import BorrowerIdentity
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User

# Speed is measured in bench/, not in tests: no Hypothesis deadline, which only
# made property tests flaky on a loaded machine (CI shares its 2 cores).
settings.register_profile("assettrack", deadline=None)
settings.load_profile("assettrack")

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
# CI sets this: a missing browser or fixture folder fails instead of skipping.
STRICT = os.environ.get("ASSETTRACK_TESTS_STRICT") == "1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(reason: str) -> None:
    """Skip a test whose real part is missing here, or fail where it must exist."""
    if STRICT:
        pytest.fail(f"{reason} (ASSETTRACK_TESTS_STRICT=1: it must exist here)")
    pytest.skip(reason)


def _settings(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": None,
        # The stories send hundreds of requests a minute with one token from one
        # address; the API-wide limits are tested in test_rate_limits.py.
        "API_RATE_LIMIT": 0,
        "API_ADDRESS_RATE_LIMIT": 0,
        **extra,
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database URL whose schema the migrations built, once per session."""
    if POSTGRES_URL:
        engine = sa.create_engine(
            POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        with engine.begin() as connection:
            connection.execute(
                sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            )
        engine.dispose()
        url = POSTGRES_URL
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'template.sqlite'}"
    app = create_app(_settings(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _empty_postgres(app) -> None:
    with app.app_context():
        tables = ", ".join(t.name for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()


@pytest.fixture
def database_url(migrated_database, tmp_path):
    if POSTGRES_URL:
        return migrated_database
    copy = tmp_path / "test.sqlite"
    shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def app(database_url):
    app = create_app(_settings(database_url))
    if POSTGRES_URL:
        _empty_postgres(app)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_app(app):
    """The same database, with jobs going to the real Redis on a queue of its own.

    Jobs wait there until a test runs a worker (`flask worker --burst`).
    """
    import redis

    from assettrack import jobs

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis at {REDIS_URL}: {exc}")
    queued = create_app(
        {
            **{k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI")},
            "REDIS_URL": REDIS_URL,
            "RQ_QUEUE": f"assettrack-test-{os.getpid()}-{threading.get_ident()}",
        }
    )
    jobs.queue(queued).empty()
    yield queued
    jobs.queue(queued).empty()
    with queued.app_context():
        db.engine.dispose()
    connection.close()


@pytest.fixture
def aalst(world) -> int:
    """A second digileenplek, of another library, in another municipality."""
    with world.app.app_context():
        library = Organisation(name="Bibliotheek Aalst", kind="lending")
        db.session.add(library)
        db.session.flush()
        place = Location(
            name="Bib Aalst",
            kind="lending",
            municipality="Aalst",
            postcode="9300",
            organisation_id=library.id,
        )
        db.session.add(place)
        db.session.commit()
        world.location_ids["aalst"] = place.id
        return place.id


@pytest.fixture
def smtp(app):
    """A real SMTP server on loopback that the app's reminders are sent to."""
    from tests.desk_data import SmtpServer

    with SmtpServer() as server:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=server.port,
            MAIL_FROM="uitleen@krook.example.be",
        )
        yield server


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Api:
    """One person talking to the API with their own token."""

    def __init__(self, client, token: str, user_id: int):
        self.client, self.user_id = client, user_id
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.client.post(
            f"/api/v1{path}", headers=self.headers, json=json, **kwargs
        )

    def put(self, path: str, json=None, **kwargs):
        return self.client.put(
            f"/api/v1{path}", headers=self.headers, json=json, **kwargs
        )

    def act(self, tag: str, action: str, payload: dict | None = None):
        return self.post(f"/devices/{tag}/actions/{action}", json=payload or {})


class World:
    """A small digibank: a coordinator, a repair partner, a lending desk and their places."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        with app.app_context():
            coordinator = Organisation(name="Digibank Gent", kind="coordinator")
            repair = Organisation(name="Werkplaats De Vlaspit", kind="repair")
            lending = Organisation(name="Bibliotheek De Krook", kind="lending")
            db.session.add_all([coordinator, repair, lending])
            db.session.flush()
            self.workshop = Location(
                name="Werkplaats Gent",
                kind="workshop",
                municipality="Gent",
                postcode="9000",
                organisation_id=repair.id,
            )
            self.digileenplek = Location(
                name="De Krook",
                kind="lending",
                municipality="Gent",
                postcode="9000",
                organisation_id=lending.id,
            )
            self.storage = Location(
                name="Magazijn Gent",
                kind="storage",
                municipality="Gent",
                postcode="9000",
                organisation_id=coordinator.id,
            )
            db.session.add_all([self.workshop, self.digileenplek, self.storage])
            db.session.flush()
            db.session.add(
                Borrower(
                    code="B-0042",
                    organisation_id=lending.id,
                    location_id=self.digileenplek.id,
                    identity=BorrowerIdentity(name="Lena", contact="lena@example.be"),
                )
            )
            self.org_ids = {
                "coordinator": coordinator.id,
                "repair": repair.id,
                "desk": lending.id,
                "admin": coordinator.id,
            }
            self.location_ids = {
                "workshop": self.workshop.id,
                "digileenplek": self.digileenplek.id,
                "storage": self.storage.id,
            }
            db.session.commit()
        self.admin = self.person("admin")
        self.coordinator = self.person("coordinator")
        self.repair = self.person("repair")
        self.desk = self.person("desk")

    def person(self, role: str, email: str | None = None) -> Api:
        with self.app.app_context():
            user = User(
                email=email or f"{role}@example.be",
                role=role,
                organisation_id=self.org_ids[role],
            )
            db.session.add(user)
            db.session.commit()
            return Api(self.client, issue_token(user), user.id)

    # Story helpers: what a repair partner does at the bench, through the API.
    def intake(self, **fields) -> dict:
        body = {
            "kind": "laptop",
            "make": "Lenovo",
            "model": "ThinkPad T480",
            "serial": "PF1ABC",
            "location": self.location_ids["workshop"],
            "disks": [{"kind": "ssd", "serial": "S1", "size_gb": 256}],
        }
        body.update(fields)
        # A repair partner takes devices in at its workshop; elsewhere a coordinator.
        at_workshop = body["location"] == self.location_ids["workshop"]
        taker = self.repair if at_workshop else self.coordinator
        response = taker.post("/devices", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def erase_all(self, device: dict) -> None:
        """Erase every disk still in the device as the bench does (BENCH_TECHNIQUE)."""
        for disk in device["disks"]:
            if disk.get("removed_at"):
                continue
            body = erasure(disk["id"], BENCH_TECHNIQUE[disk["kind"]])
            response = self.repair.post(
                f"/devices/{device['asset_tag']}/erasures", json=body
            )
            assert response.status_code == 201, response.get_json()

    def record_qc(self, tag: str, grade: str | None = "A", **results) -> dict:
        """A check on the device's own checklist: all passed but for `results`."""
        kind = self.repair.get(f"/devices/{tag}").get_json()["kind"]
        response = self.repair.post(
            f"/devices/{tag}/qc", json=qc_record(grade, kind, **results)
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def ready_device(self, at: str = "digileenplek") -> dict:
        """A device taken through wipe and QC to `ready`, moved to `at`."""
        device = self.intake()
        tag = device["asset_tag"]
        self.ok(self.repair.act(tag, "start_wipe"))
        self.erase_all(device)
        self.ok(self.repair.act(tag, "finish_wipe"))
        self.ok(self.repair.act(tag, "submit_qc"))
        self.record_qc(tag)
        self.ok(self.repair.act(tag, "pass_qc"))
        if at != "workshop":
            self.move(tag, at)
        return self.coordinator.get(f"/devices/{tag}").get_json()

    def move(self, tag: str, to: str) -> dict:
        """Both scans of a hand-over by the coordinator: sent, then received at `to`."""
        self.ok(
            self.coordinator.act(tag, "transfer", {"location": self.location_ids[to]})
        )
        return self.ok(self.coordinator.act(tag, "receive"))

    def lent_device(self) -> dict:
        """A device lent to B-0042 (Lena), or to a new borrower if she has one.

        The default loan policy allows one open loan per borrower.
        """
        device = self.ready_device()
        borrower = "B-0042"
        if self.desk.get("/loans?open=true").get_json()["total"]:
            created = self.desk.post("/borrowers", json={"name": "Lener"})
            assert created.status_code == 201, created.get_json()
            borrower = created.get_json()["code"]
        self.ok(
            self.desk.act(
                device["asset_tag"],
                "lend",
                {"borrower": borrower, "due_date": in_days(30)},
            )
        )
        return device

    @staticmethod
    def ok(response):
        assert response.status_code == 200, response.get_json()
        return response.get_json()


MACHINE_POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def _own_postgres() -> str:
    """This machine's PostgreSQL, a database of its own for the tests that need
    PostgreSQL whatever the suite runs on (`postgres_world`), migrated."""
    server = sa.create_engine(
        f"{MACHINE_POSTGRES}/postgres".replace(
            "postgresql://", "postgresql+psycopg://"
        ),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with server.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = 'test_on_postgres'")
            )
            if not exists:
                connection.execute(sa.text("CREATE DATABASE test_on_postgres"))
    except sa.exc.OperationalError:
        unavailable("no PostgreSQL on 127.0.0.1:5432 for the PostgreSQL-only tests")
    finally:
        server.dispose()
    url = f"{MACHINE_POSTGRES}/test_on_postgres"
    app = create_app(_settings(url))
    with app.app_context():
        db.session.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def postgres_world(request):
    """A `world` on PostgreSQL: the suite's own, or a database of its own here."""
    if POSTGRES_URL:
        url = request.getfixturevalue("migrated_database")
    else:
        url = _own_postgres()
    app = create_app(_settings(url))
    _empty_postgres(app)
    yield World(app, app.test_client())
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def other_desk(world) -> Api:
    """Another digileenplek's desk, with a borrower of its own."""
    with world.app.app_context():
        library = Organisation(name="Bibliotheek Ledeberg", kind="lending")
        db.session.add(library)
        db.session.flush()
        db.session.add(
            Borrower(
                code="B-0900",
                organisation_id=library.id,
                identity=BorrowerIdentity(name="Omar"),
            )
        )
        desk = User(
            email="balie@ledeberg.example.be", role="desk", organisation_id=library.id
        )
        db.session.add(desk)
        db.session.commit()
        return Api(world.client, issue_token(desk), desk.id)


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


# How the bench erases each kind of disk; each meets the default policy (Clear
# for an HDD, Purge for flash).
BENCH_TECHNIQUE = {
    "hdd": "overwrite",
    "ssd": "ata_sanitize_block",
    "nvme": "nvme_sanitize_crypto",
    "emmc": "crypto_erase",
    "other": "crypto_erase",
}


def erasure(
    disk_id: int, technique: str = "crypto_erase", outcome: str = "erased", **changes
) -> dict:
    """An erasure record's body: by default verified and reaching Purge on any media."""
    body = {
        "disk": disk_id,
        "technique": technique,
        "tool": "nwipe",
        "tool_version": "0.38",
        "verification": "full",
        "verification_result": "passed",
        "hidden_areas": "yes",
        "outcome": outcome,
        "started_at": "2026-11-28T09:00:00+01:00",
        "finished_at": "2026-11-28T09:40:00+01:00",
    }
    if technique == "overwrite":
        body["passes"] = 1
    return body | changes


def qc_record(grade: str | None = "A", kind: str = "laptop", **results) -> dict:
    """A check's body on `kind`'s checklist: every item passed but for `results`.

    A result is "pass", "fail" or "na", a {"result", "note"} object, or None to
    leave the item out (a check saved halfway).
    """
    from assettrack.workflow import checklist

    items = {key: "pass" for key in checklist.for_kind(kind).keys}
    items.update(results)
    return {
        "items": {
            key: value if isinstance(value, dict) else {"result": value}
            for key, value in items.items()
            if value is not None
        },
        "grade": grade,
    }


@pytest.fixture
def world(app, client) -> World:
    return World(app, client)


# Checks shared by the lifecycle stories (test_repair_partner.py, test_desk_lending.py):
# what a person sees of a device before and after they act on it.


def seen(api: Api, tag: str) -> dict:
    """The device and its history, as the person behind `api` sees them."""
    device, events = api.get(f"/devices/{tag}"), api.get(f"/devices/{tag}/events")
    assert device.status_code == 200 and events.status_code == 200
    return {"device": device.get_json(), "events": events.get_json()}


def accepted(
    world: World,
    who: str,
    tag: str,
    action: str,
    payload: dict | None = None,
    *,
    to: str,
) -> dict:
    """`who` (a role in `world`) takes `action`: one new event, from the old state to `to`."""
    api = getattr(world, who)
    before = seen(api, tag)
    response = api.act(tag, action, payload)
    assert response.status_code == 200, response.get_json()
    after = seen(api, tag)
    assert response.get_json()["state"] == after["device"]["state"] == to
    # The answer to the action shows what a fresh look at the device shows.
    for seen_now in ("allowed_actions", "current_loan", "version"):
        assert response.get_json()[seen_now] == after["device"][seen_now], seen_now
    assert after["device"]["version"] == before["device"]["version"] + 1
    assert after["events"][:-1] == before["events"]
    event = after["events"][-1]
    assert (
        event["action"],
        event["from_state"],
        event["to_state"],
        event["actor"],
    ) == (action, before["device"]["state"], to, f"{who}@example.be")
    return after["device"]


def _changes_nothing(
    world: World,
    who: str,
    tag: str,
    action: str,
    payload: dict | None,
    status: int,
    looking: str | None = None,
) -> tuple[dict, dict]:
    """`who` tries; the device and history, as `looking` (default: `who`) sees
    them, are the same before and after."""
    api, observer = getattr(world, who), getattr(world, looking or who)
    before = seen(observer, tag)
    response = api.act(tag, action, payload)
    assert response.status_code == status, response.get_json()
    assert seen(observer, tag) == before, "a refused action changed the device"
    return before["device"], response.get_json()["error"]


def refused(
    world: World,
    who: str,
    tag: str,
    action: str,
    payload: dict | None = None,
    *,
    reason: str,
) -> dict:
    """`who` tries `action` and gets 409 illegal_transition saying `reason`; nothing changes."""
    device, error = _changes_nothing(world, who, tag, action, payload, 409)
    assert error["code"] == "illegal_transition"
    details = error["details"]
    assert (details["state"], details["action"]) == (device["state"], action)
    assert details["allowed"] == device["allowed_actions"]
    assert action not in details["allowed"]
    assert reason in details["reason"], details["reason"]
    return details


def invalid(
    world: World,
    who: str,
    tag: str,
    action: str,
    payload: dict | None = None,
    *,
    fields: dict,
) -> None:
    """`who` tries `action` with a bad payload: 422 naming exactly `fields`; nothing changes."""
    _, error = _changes_nothing(world, who, tag, action, payload, 422)
    assert error["code"] == "validation_error"
    assert error["details"]["fields"] == fields


def forbidden(
    world: World, who: str, tag: str, action: str, payload: dict | None = None
) -> None:
    """`who` may never take `action` (or not on this device): 403, nothing
    changes, as a coordinator sees it (`who` may not reach the device at all)."""
    _, error = _changes_nothing(
        world, who, tag, action, payload, 403, looking="coordinator"
    )
    assert error["code"] == "forbidden"


# People using the web pages (test client and headless Chromium): tests/browser.py.
pytest_plugins = ["tests.browser"]
