"""Nothing lost: an operator backs up the running digibank and restores it elsewhere.

`flask backup PATH` copies the database while the service runs (SQLite's online
backup, pg_dump on PostgreSQL); `flask restore PATH` puts it back into an empty
database, row for row, with its migration and its append-only history. A damaged
backup, or a database that holds data, is refused with nothing changed.
"""

import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from assettrack import backup
from assettrack.app import create_app
from assettrack.extensions import db
from assettrack.models import Organisation
from tests.conftest import POSTGRES_URL
from tests.conftest import Api
from tests.conftest import _settings
from tests.conftest import erasure
from tests.conftest import in_days

HEAD = backup._scripts().get_current_head()
NWIPE_LOG = (
    b"[2026/11/28 09:00:01] info: nwipe 0.38\n"
    b"[2026/11/28 10:35:12] info: Verified that /dev/sda is full of zeros.\n"
)


@pytest.fixture
def empty_databases(tmp_path):
    """Make empty databases by name: a new file, or a new PostgreSQL database."""
    if not POSTGRES_URL:
        yield lambda suffix: f"sqlite:///{tmp_path / f'{suffix}.sqlite'}"
        return
    server = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    base, main = POSTGRES_URL.rsplit("/", 1)
    made = []

    def create(suffix: str) -> str:
        name = f"{main}_{suffix}"
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return f"{base}/{name}"

    try:
        yield create
    finally:
        with server.connect() as connection:
            for name in made:
                connection.execute(
                    sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )
        server.dispose()


@pytest.fixture
def empty_target(empty_databases):
    """The URL of an empty database to restore into."""
    return empty_databases("restore")


def service_on(url: str):
    return create_app(_settings(url))


@pytest.fixture
def restored(empty_target):
    """The service started on the restore target."""
    app = service_on(empty_target)
    yield app
    with app.app_context():
        db.engine.dispose()


def flask(app, *args: str):
    """The command line on `app`'s database, as `flask --app assettrack ...`."""
    result = app.test_cli_runner().invoke(args=[str(arg) for arg in args])
    return result


def digests(app) -> dict[str, str]:
    """Every table's rows, sorted and hashed: equal digests, equal content."""
    with app.app_context(), db.engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        return {
            name: hashlib.sha256(
                "\n".join(
                    sorted(
                        repr(tuple(row))
                        for row in connection.execute(
                            sa.text(f'SELECT * FROM "{name}"')
                        )
                    )
                ).encode()
            ).hexdigest()
            for name in names
        }


def counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        return {
            name: connection.scalar(
                sa.select(sa.func.count()).select_from(sa.table(name))
            )
            for name in names
        }


def still_empty(app) -> bool:
    """No table in the database; a SQLite file not even made."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        return not Path(url.removeprefix("sqlite:///")).exists()
    return digests(app) == {}


def a_working_digibank(world) -> dict:
    """Devices in every corner of the lifecycle, a borrower, an erasure with its log."""
    lent = world.ready_device()
    world.ok(
        world.desk.act(
            lent["asset_tag"], "lend", {"borrower": "B-0042", "due_date": in_days(30)}
        )
    )
    wiped = world.intake(serial="PF2", disks=[{"kind": "hdd", "serial": "H1"}])
    tag = wiped["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    form = {
        key: str(value)
        for key, value in erasure(wiped["disks"][0]["id"], "overwrite").items()
    }
    form["log"] = (io.BytesIO(NWIPE_LOG), "nwipe.log", "text/plain")
    logged = world.repair.post(
        f"/devices/{tag}/erasures", data=form, content_type="multipart/form-data"
    )
    assert logged.status_code == 201, logged.get_json()
    ready = world.ready_device(at="storage")
    received = world.intake(serial="PF3")
    return {
        "lent": lent["asset_tag"],
        "wiped": tag,
        "ready": ready["asset_tag"],
        "received": received["asset_tag"],
        "log": logged.get_json()["log_url"],
    }


def as_seen_by(app, api: Api) -> Api:
    """The same person, with the same token, talking to another service."""
    other = Api(app.test_client(), "", api.user_id)
    other.headers = api.headers
    return other


def test_a_backup_restored_into_an_empty_database_is_the_same_digibank(
    world, restored, tmp_path
):
    tags = a_working_digibank(world)
    path = tmp_path / "backups" / "nightly.backup"

    backed_up = flask(world.app, "backup", path)

    assert backed_up.exit_code == 0, backed_up.output
    [line] = backed_up.output.splitlines()
    assert line.startswith("backed up ") and str(path) in line
    assert f"devices {counts(world.app)['devices']}" in line
    assert f"schema at migration {HEAD}, this version's head" in line
    assert path.is_file() and not list(path.parent.glob(".*.part"))
    before = digests(world.app)

    done = flask(restored, "restore", path)

    assert done.exit_code == 0, done.output
    [line] = done.output.splitlines()
    assert line.startswith(f"restored {path} into ")
    assert f"workflow_events {counts(world.app)['workflow_events']}" in line
    assert f"schema at migration {HEAD}, this version's head" in line
    assert digests(restored) == before
    assert before["alembic_version"] and before["erasure_logs"]

    # The restored service answers as the original did, to the same tokens.
    for who in ("coordinator", "repair", "desk"):
        original, copy = getattr(world, who), as_seen_by(restored, getattr(world, who))
        for tag in tags.values():
            if tag.startswith("/"):
                continue
            for path_ in (f"/devices/{tag}", f"/devices/{tag}/events"):
                assert copy.get(path_).get_json() == original.get(path_).get_json()
    coordinator = as_seen_by(restored, world.coordinator)
    log = coordinator.client.get(tags["log"], headers=coordinator.headers)
    assert log.status_code == 200 and log.data == NWIPE_LOG

    # Its history is still append-only, and new work carries on from the backup.
    with restored.app_context():
        for statement in (
            "UPDATE workflow_events SET action = 'lend'",
            "DELETE FROM workflow_events",
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
    moved = coordinator.act(
        tags["ready"], "transfer", {"location": world.location_ids["digileenplek"]}
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["version"] == (
        world.coordinator.get(f"/devices/{tags['ready']}").get_json()["version"] + 1
    )


def test_restore_refuses_a_database_that_holds_data_unless_told_yes(world, tmp_path):
    a_working_digibank(world)
    path = tmp_path / "nightly.backup"
    assert flask(world.app, "backup", path).exit_code == 0
    backed_up = digests(world.app)
    world.intake(serial="AFTER-THE-BACKUP")
    now = digests(world.app)

    refused = flask(world.app, "restore", path)

    assert refused.exit_code != 0
    assert "holds data" in refused.output and "--yes" in refused.output
    assert f"devices {counts(world.app)['devices']}" in refused.output
    assert digests(world.app) == now

    done = flask(world.app, "restore", path, "--yes")

    assert done.exit_code == 0, done.output
    assert digests(world.app) == backed_up


def damaged(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "cut short at the end":
        path.write_bytes(data[:-100])
    elif how == "garbled in the middle":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + b"\xff" * 8192 + data[middle + 8192 :])
    elif how == "not a backup":
        path.write_text("device,serial\nDB-0001,PF1ABC\n")
    elif how == "the other database's":
        other = b"PGDMP" if data.startswith(b"SQLite") else b"SQLite format 3\x00"
        path.write_bytes(other + data[len(other) :])
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize(
    "how",
    [
        "truncated",
        "cut short at the end",
        "garbled in the middle",
        "not a backup",
        "the other database's",
        "empty",
    ],
)
def test_a_damaged_backup_is_refused_and_changes_nothing(
    world, restored, tmp_path, how
):
    a_working_digibank(world)
    path = tmp_path / "nightly.backup"
    assert flask(world.app, "backup", path).exit_code == 0
    damaged(path, how)
    before = digests(world.app)

    into_data = flask(world.app, "restore", path, "--yes")
    into_empty = flask(restored, "restore", path)

    for refused in (into_data, into_empty):
        assert refused.exit_code != 0
        assert refused.output.startswith("Error: "), refused.output
        assert str(path) in refused.output or "restore failed" in refused.output
        assert "Traceback" not in refused.output
    assert digests(world.app) == before
    assert still_empty(restored)


def test_restore_says_when_there_is_no_backup_at_the_path(world, tmp_path):
    missing = flask(world.app, "restore", tmp_path / "nowhere.backup")
    assert missing.exit_code != 0 and "no backup at" in missing.output


def test_a_backup_taken_while_the_service_writes_is_consistent(
    world, restored, tmp_path
):
    """Each write adds two organisations in one commit: a copy holds both or neither."""
    a_working_digibank(world)
    with world.app.app_context():
        # Enough rows that copying them takes a moment.
        db.session.add_all(
            Organisation(name=f"donor {i}", kind="donor", address="x" * 150)
            for i in range(3000)
        )
        db.session.commit()
    written, stop = [], threading.Event()

    def service():
        with world.app.app_context():
            while not stop.is_set():
                i = len(written)
                db.session.add_all(
                    [
                        Organisation(name=f"pair {i} a", kind="donor"),
                        Organisation(name=f"pair {i} b", kind="donor"),
                    ]
                )
                db.session.commit()
                written.append(i)
            db.session.remove()

    writer = threading.Thread(target=service)
    writer.start()
    try:
        while len(written) < 5:
            time.sleep(0.01)
        started = len(written)
        backed_up = flask(world.app, "backup", tmp_path / "online.backup")
        finished = len(written)
        while len(written) < finished + 5:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    assert backed_up.exit_code == 0, backed_up.output
    assert finished > started  # the service wrote while the backup ran

    restore = flask(restored, "restore", tmp_path / "online.backup")

    assert restore.exit_code == 0, restore.output
    with restored.app_context():
        names = db.session.scalars(
            sa.select(Organisation.name).where(Organisation.name.like("pair %"))
        ).all()
        if restored.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            integrity = db.session.execute(sa.text("PRAGMA integrity_check")).all()
            assert integrity == [("ok",)]
    pairs = {}
    for name in names:
        _, i, half = name.split()
        pairs.setdefault(int(i), set()).add(half)
    assert all(halves == {"a", "b"} for halves in pairs.values()), "a torn write"
    assert sorted(pairs) == list(range(len(pairs)))  # a prefix: nothing skipped
    assert started <= len(pairs) <= len(written)


def test_a_backup_is_one_file_alone_in_its_folder(world, tmp_path):
    a_working_digibank(world)
    path = tmp_path / "backups" / "nightly.backup"
    assert flask(world.app, "backup", path).exit_code == 0
    again = flask(world.app, "backup", path)  # cron overwrites last night's
    assert again.exit_code == 0, again.output
    assert [p.name for p in path.parent.iterdir()] == ["nightly.backup"]
    if not POSTGRES_URL:
        with closing(sqlite3.connect(path)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def fake_client(folder: Path, version: str) -> None:
    """pg_dump, pg_restore and psql that only say their version."""
    folder.mkdir(parents=True)
    for name in backup.CLIENT_PROGRAMS:
        program = folder / name
        program.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
        program.chmod(0o755)


def test_the_postgresql_programs_must_be_there_and_new_enough(
    app, tmp_path, monkeypatch
):
    monkeypatch.setattr(backup, "VERSIONED_BINDIR", str(tmp_path / "lib/{major}/bin"))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(backup.BackupError, match="install postgresql-client-15"):
        backup.client_programs(15)
    fake_client(tmp_path / "bin", "13.12")  # older than the server
    with pytest.raises(backup.BackupError, match="version 15 or newer"):
        backup.client_programs(15)
    fake_client(tmp_path / "lib/15/bin", "15.20")
    assert backup.client_programs(15)["pg_dump"] == str(tmp_path / "lib/15/bin/pg_dump")
    fake_client(tmp_path / "newer", "17.2")
    monkeypatch.setenv("PATH", str(tmp_path / "newer"))
    assert backup.client_programs(16)["psql"] == str(tmp_path / "newer/psql")

    if POSTGRES_URL:  # the command says so, and writes nothing
        monkeypatch.setenv("PATH", str(tmp_path / "bin"))
        monkeypatch.setattr(backup, "VERSIONED_BINDIR", str(tmp_path / "none"))
        refused = flask(app, "backup", tmp_path / "nightly.backup")
        assert refused.exit_code != 0 and "install postgresql-client" in refused.output
        assert not (tmp_path / "nightly.backup").exists()


def test_an_older_backup_comes_back_at_its_own_migration_and_upgrades(
    world, restored, empty_databases, tmp_path
):
    old = service_on(empty_databases("old"))
    with old.app_context():
        upgrade(revision="0012")  # before stock-takes
        db.engine.dispose()
    older = flask(old, "backup", tmp_path / "0012.backup")
    assert older.exit_code == 0, older.output
    reach = f"run `flask --app assettrack db upgrade` to reach {HEAD}"
    assert f"schema at migration 0012: {reach}" in older.output
    a_working_digibank(world)
    assert flask(world.app, "backup", tmp_path / "today.backup").exit_code == 0
    assert flask(restored, "restore", tmp_path / "today.backup").exit_code == 0

    done = flask(restored, "restore", tmp_path / "0012.backup", "--yes")

    assert done.exit_code == 0, done.output
    assert f"schema at migration 0012: {reach}" in done.output
    assert digests(restored) == digests(old)  # no table of the newer schema is left
    with restored.app_context():
        upgrade()
        assert (
            db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
            == HEAD
        )
    with old.app_context():
        db.engine.dispose()


def test_a_backup_from_an_unknown_migration_is_refused(world, restored, tmp_path):
    a_working_digibank(world)
    with world.app.app_context():
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        db.session.commit()
    try:
        backed_up = flask(world.app, "backup", tmp_path / "future.backup")
    finally:
        with world.app.app_context():
            db.session.execute(
                sa.text(f"UPDATE alembic_version SET version_num = '{HEAD}'")
            )
            db.session.commit()
    assert backed_up.exit_code == 0, backed_up.output

    refused = flask(restored, "restore", tmp_path / "future.backup")

    assert refused.exit_code != 0
    assert "migration 9999, which this version of assettrack does not know" in (
        refused.output
    )
    assert still_empty(restored)


def test_the_commands_run_from_a_shell_for_cron(world, restored, tmp_path):
    """`flask --app assettrack backup|restore` as a cron job runs them: one line each."""
    a_working_digibank(world)
    path = tmp_path / "cron.backup"

    def shell(url: str, *args) -> subprocess.CompletedProcess:
        env = dict(
            os.environ, DATABASE_URL=url, ASSETTRACK_INSTANCE=str(tmp_path / "i")
        )
        return subprocess.run(  # noqa: S603 - this interpreter's flask, fixed args
            [sys.executable, "-m", "flask", "--app", "assettrack", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    source = world.app.config["SQLALCHEMY_DATABASE_URI"]
    target = restored.config["SQLALCHEMY_DATABASE_URI"]
    backed_up = shell(source, "backup", path)
    restore = shell(target, "restore", path)
    again = shell(target, "restore", path)

    assert backed_up.returncode == 0, backed_up.stderr
    assert restore.returncode == 0, restore.stderr
    assert len(backed_up.stdout.splitlines()) == len(restore.stdout.splitlines()) == 1
    assert digests(restored) == digests(world.app)
    assert again.returncode == 1
    assert again.stderr.startswith("Error: ") and "--yes" in again.stderr


def test_a_restore_that_fails_halfway_leaves_the_database_as_it_was(
    postgres_world, tmp_path, monkeypatch
):
    """The drops and the whole load are one transaction: a failure at the very end
    (here after the last table) rolls all of it back. PostgreSQL's path (the
    SQLite restore is one call of the backup API), so on PostgreSQL always."""
    world = postgres_world
    a_working_digibank(world)
    path = tmp_path / "nightly.backup"
    assert flask(world.app, "backup", path).exit_code == 0
    world.intake(serial="AFTER-THE-BACKUP")
    before = digests(world.app)
    found = backup.client_programs

    def failing_at_the_end(major: int) -> dict[str, str]:
        programs = dict(found(major))
        wrapper = tmp_path / "pg_restore"
        wrapper.write_text(
            f'#!/bin/sh\n"{programs["pg_restore"]}" "$@" && echo "SELECT 1/0;"\n'
        )
        wrapper.chmod(0o755)
        return programs | {"pg_restore": str(wrapper)}

    monkeypatch.setattr(backup, "client_programs", failing_at_the_end)

    failed = flask(world.app, "restore", path, "--yes")

    assert failed.exit_code != 0
    assert "rolled back" in failed.output and "division by zero" in failed.output
    assert digests(world.app) == before
