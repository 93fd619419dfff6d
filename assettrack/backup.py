"""Backups a digibank can restore: nothing is lost when a disk or a server dies.

SQLite: the online backup API, a consistent copy while the service writes.
PostgreSQL: pg_dump's custom format, restored in one transaction. A restore
checks the whole backup before it touches anything and refuses to replace a
database that holds data unless told to; the schema comes back at the
backup's migration (alembic_version), triggers included.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util import CommandError

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# A table's data in pg_restore's script: COPY public.devices (id, ...) FROM stdin;
_COPY = re.compile(r'^COPY (?:"?[\w$]+"?\.)?"?([\w$]+)"? \(.*\) FROM stdin;$')

# Everything the migrations make lives in the public schema: dropped, in the
# restore's own transaction, so a newer schema's leftovers do not survive next to
# the backup's (and the schema itself keeps its owner and grants). The names are
# all read before the first DROP, whose CASCADE may take others with it.
_DROP_PUBLIC = """
DO $$
DECLARE statements text[]; statement text;
BEGIN
  SELECT array_agg(format('DROP %s IF EXISTS %s CASCADE', kind, name) ORDER BY rank)
    INTO statements
    FROM (
      SELECT CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                            WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
             format('public.%I', c.relname), CASE c.relkind WHEN 'S' THEN 2 ELSE 1 END,
             c.oid
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
      UNION ALL
      SELECT 'FUNCTION', p.oid::regprocedure::text, 3, p.oid
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.prokind = 'f'
      UNION ALL
      SELECT 'TYPE', format_type(t.oid, NULL), 4, t.oid
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
    ) AS objects (kind, name, rank, oid)
   WHERE NOT EXISTS (  -- an extension's own objects go with the extension
     SELECT 1 FROM pg_depend d WHERE d.objid = objects.oid AND d.deptype = 'e');
  FOREACH statement IN ARRAY coalesce(statements, '{}') LOOP
    EXECUTE statement;
  END LOOP;
END $$;
"""


class BackupError(Exception):
    """A backup or restore that cannot go ahead; nothing was changed."""


@dataclass
class Contents:
    """What a backup or a database holds: its migration and rows per table."""

    revision: str | None
    rows: dict[str, int]

    def describe(self) -> str:
        filled = ", ".join(f"{t} {n}" for t, n in sorted(self.rows.items()) if n)
        total = sum(self.rows.values())
        return f"{len(self.rows)} tables, {total} rows" + (
            f" ({filled})" if filled else ""
        )


def backup(engine: sa.Engine, path: Path) -> str:
    """Copy the database to `path` while the service runs; one line saying what."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.unlink(missing_ok=True)
    try:
        if engine.dialect.name == "sqlite":
            _backup_sqlite(_sqlite_file(engine.url), part)
            contents = _inspect_sqlite(part)
        elif engine.dialect.name == "postgresql":
            tools = PostgresTools(engine)
            tools.dump(part)
            contents = tools.inspect(part)
        else:
            raise BackupError(f"no backup for a {engine.dialect.name} database")
        os.replace(part, path)
    except BackupError as exc:
        # The half-made copy is no one's file: name the database instead.
        copy = f"the copy of {_shown(engine.url)}"
        raise BackupError(str(exc).replace(str(part), copy)) from None
    finally:
        part.unlink(missing_ok=True)
    return (
        f"backed up {_shown(engine.url)} to {path}: {contents.describe()}; "
        f"{schema_note(contents.revision)}"
    )


def restore(engine: sa.Engine, path: Path, *, replace: bool = False) -> str:
    """Put the backup at `path` in place of the database; one line saying what.

    The backup is read in full first: a file that is not a backup, a truncated
    one or one from an unknown migration is refused with the database untouched.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    if engine.dialect.name == "sqlite":
        contents = _inspect_sqlite(path)
    elif engine.dialect.name == "postgresql":
        tools = PostgresTools(engine)
        contents = tools.inspect(path)
    else:
        raise BackupError(f"no restore into a {engine.dialect.name} database")
    _known(contents.revision)
    present = {t: n for t, n in database_contents(engine).rows.items() if n}
    if present and not replace:
        held = ", ".join(f"{t} {n}" for t, n in sorted(present.items()))
        raise BackupError(
            f"{_shown(engine.url)} holds data ({held}); restoring replaces all of "
            "it: add --yes to do so"
        )
    engine.dispose()
    if engine.dialect.name == "sqlite":
        _restore_sqlite(path, _sqlite_file(engine.url))
    else:
        tools.restore(path)
    engine.dispose()
    restored = database_contents(engine)
    if restored.rows != contents.rows or restored.revision != contents.revision:
        raise BackupError(
            f"the restored database differs from the backup: {restored.describe()} "
            f"instead of {contents.describe()}"
        )
    return (
        f"restored {path} into {_shown(engine.url)}: {restored.describe()}; "
        f"{schema_note(restored.revision)}"
    )


def database_contents(engine: sa.Engine) -> Contents:
    """The live database's migration and rows per table."""
    try:
        return _contents(engine)
    except sa.exc.OperationalError as exc:
        where = _shown(engine.url)
        raise BackupError(f"cannot read {where}: {exc.orig}") from None


def _contents(engine: sa.Engine) -> Contents:
    with engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        rows = {
            name: connection.scalar(
                sa.select(sa.func.count()).select_from(sa.table(name))
            )
            for name in names
            if name != "alembic_version"
        }
        revision = None
        if "alembic_version" in names:
            revision = connection.scalar(
                sa.text("SELECT version_num FROM alembic_version")
            )
    return Contents(revision, rows)


def schema_note(revision: str | None) -> str:
    """Where the schema stands against this version's migrations."""
    head = _scripts().get_current_head()
    if revision == head:
        return f"schema at migration {revision}, this version's head"
    if not _is_known(revision):
        return f"schema at migration {revision}, unknown to this version (at {head})"
    return (
        f"schema at migration {revision}: run `flask --app assettrack db upgrade` "
        f"to reach {head}"
    )


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def _is_known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def _known(revision: str | None) -> None:
    if revision is None:
        raise BackupError("the backup has no alembic_version: not an assettrack backup")
    if not _is_known(revision):
        raise BackupError(
            f"the backup is at migration {revision}, which this version of assettrack "
            "does not know: restore it with the version that made it"
        )


def _shown(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the PostgreSQL database {url.database} on {url.host or 'localhost'}"


# SQLite


def _sqlite_file(url: sa.URL) -> Path:
    if (
        not url.database
        or url.database == ":memory:"
        or url.database.startswith("file:")
    ):
        raise BackupError(f"{url} is not a database file")
    return Path(url.database)


def _backup_sqlite(source: Path, part: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    try:
        with (
            closing(sqlite3.connect(source, timeout=15)) as original,
            closing(sqlite3.connect(part)) as copy,
        ):
            # All pages in one step, inside one read transaction: a consistent
            # copy even while the service commits (WAL lets it go on writing).
            original.backup(copy)
            # One self-contained file, with no -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}") from None


def _inspect_sqlite(path: Path) -> Contents:
    """The backup's contents, once it is known to be a whole, sound database."""
    with path.open("rb") as file:
        header = file.read(100)
    if header[:16] != SQLITE_MAGIC:
        if header[:5] == PG_DUMP_MAGIC:
            raise BackupError(
                f"{path} is a PostgreSQL dump: restore it into PostgreSQL"
            )
        raise BackupError(f"{path} is not a backup: no SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count in the header is valid when its two change counters agree.
    if header[24:28] == header[92:96] and path.stat().st_size < page_size * pages:
        raise BackupError(
            f"{path} is truncated: {path.stat().st_size} bytes of {page_size * pages}"
        )
    try:
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as copy:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{path} is damaged: {'; '.join(problems[:3])}")
            names = [
                row[0]
                for row in copy.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            rows = {
                name: copy.execute(_count(name)).fetchone()[0]
                for name in names
                if name != "alembic_version"
            }
            revision = None
            if "alembic_version" in names:
                found = copy.execute(
                    "SELECT version_num FROM alembic_version"
                ).fetchone()
                revision = found and found[0]
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not a sound SQLite database: {exc}") from None
    if revision is None:
        raise BackupError(f"{path} has no alembic_version: not an assettrack backup")
    return Contents(revision, rows)


def _count(table: str) -> str:
    # The name comes from the file's own catalogue and is quoted.
    return f'SELECT count(*) FROM "{table}"'  # noqa: S608


def _restore_sqlite(path: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    try:
        with (
            closing(sqlite3.connect(uri, uri=True)) as copy,
            closing(sqlite3.connect(target, timeout=15)) as database,
        ):
            # The backup API writes the target in one transaction: all or nothing,
            # and the service's connections see the old or the new database.
            copy.backup(database)
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite restore failed: {exc}") from None


# PostgreSQL


class PostgresTools:
    """pg_dump, pg_restore and psql that talk to this server, and how to reach it."""

    def __init__(self, engine: sa.Engine):
        try:
            with engine.connect() as connection:
                major = connection.dialect.server_version_info[0]
        except sa.exc.OperationalError as exc:
            raise BackupError(
                f"cannot reach {_shown(engine.url)}: {exc.orig}"
            ) from None
        self.programs = client_programs(major)
        url = engine.url.set(drivername="postgresql", password=None)
        # libpq's own URL; the password goes through the environment, not argv.
        self.dbname = url.render_as_string(hide_password=False)
        self.env = dict(os.environ)
        if engine.url.password:
            self.env["PGPASSWORD"] = str(engine.url.password)

    def tool(self, name: str) -> str:
        return self.programs[name]

    def dump(self, part: Path) -> None:
        self._run(
            [
                self.tool("pg_dump"),
                "--format=custom",
                "--no-password",
                f"--file={part}",
                f"--dbname={self.dbname}",
            ],
            "pg_dump",
        )

    def inspect(self, path: Path) -> Contents:
        """Read the whole dump (a truncated one fails here) and count its rows."""
        with path.open("rb") as file:
            magic = file.read(5)
        if magic != PG_DUMP_MAGIC:
            if magic == SQLITE_MAGIC[:5]:
                raise BackupError(
                    f"{path} is a SQLite database: restore it into SQLite"
                )
            raise BackupError(f"{path} is not a backup: no pg_dump custom archive")
        rows: dict[str, int] = {}
        revision, table = None, None
        with tempfile.TemporaryFile() as errors:
            # argv: the PostgreSQL client programs and the operator's own path
            script = subprocess.Popen(  # noqa: S603
                [self.tool("pg_restore"), "--file=-", str(path)],
                stdout=subprocess.PIPE,
                stderr=errors,
                env=self.env,
                text=True,
                encoding="utf-8",
                errors="replace",
            )
            for line in script.stdout:
                if table is None:
                    copy = _COPY.match(line.rstrip("\n"))
                    if copy:
                        table = copy[1]
                        rows[table] = 0
                elif line == "\\.\n":
                    table = None
                else:
                    rows[table] += 1
                    if table == "alembic_version":
                        revision = line.strip()
            failed = script.wait()
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
        if failed or table is not None:
            raise BackupError(
                f"{path} is damaged or truncated: "
                + (
                    message.splitlines()[-1]
                    if message
                    else f"pg_restore stopped ({failed})"
                    if failed
                    else "its data ends midway"
                )
            )
        rows.pop("alembic_version", None)
        if revision is None:
            raise BackupError(
                f"{path} has no alembic_version: not an assettrack backup"
            )
        return Contents(revision, rows)

    def restore(self, path: Path) -> None:
        """Replace the public schema's contents with the dump's, in one transaction."""
        with tempfile.TemporaryFile() as errors:
            script = subprocess.Popen(  # noqa: S603
                [self.tool("pg_restore"), "--no-owner", "--file=-", str(path)],
                stdout=subprocess.PIPE,
                stderr=errors,
                env=self.env,
            )
            loaded = subprocess.run(  # noqa: S603
                [
                    self.tool("psql"),
                    "--no-psqlrc",
                    "--quiet",
                    "--no-password",
                    "--single-transaction",
                    "--set=ON_ERROR_STOP=1",
                    f"--command={_DROP_PUBLIC}",
                    "--file=-",
                    f"--dbname={self.dbname}",
                ],
                stdin=script.stdout,
                capture_output=True,
                env=self.env,
                text=True,
            )
            script.stdout.close()
            failed = script.wait()
            errors.seek(0)
            message = errors.read().decode(errors="replace").strip()
        if loaded.returncode or failed:
            raise BackupError(
                "the restore failed and was rolled back: "
                + (loaded.stderr.strip() or message or "no reason given")
            )

    def _run(self, command: list[str], what: str) -> None:
        done = subprocess.run(  # noqa: S603 - the client programs found above
            command, capture_output=True, env=self.env, text=True
        )
        if done.returncode:
            raise BackupError(f"{what} failed: {done.stderr.strip()}")


# Debian and Ubuntu keep each major version's programs here (PATH has wrappers).
VERSIONED_BINDIR = "/usr/lib/postgresql/{major}/bin"
CLIENT_PROGRAMS = ("pg_dump", "pg_restore", "psql")


def client_programs(server_major: int) -> dict[str, str]:
    """The PostgreSQL client programs for this server: the versioned directory
    first, then PATH; pg_dump refuses a server newer than itself."""
    versioned = Path(VERSIONED_BINDIR.format(major=server_major))
    candidates = [
        {name: str(versioned / name) for name in CLIENT_PROGRAMS},
        {name: shutil.which(name) for name in CLIENT_PROGRAMS},
    ]
    for programs in candidates:
        if all(p and os.access(p, os.X_OK) for p in programs.values()):
            major = _client_major(programs["pg_dump"])
            if major is not None and major >= server_major:
                return programs
    raise BackupError(
        f"no pg_dump, pg_restore and psql of version {server_major} or newer "
        f"(the server's) on PATH or in {versioned}: "
        f"install postgresql-client-{server_major}"
    )


def _client_major(program: str) -> int | None:
    try:
        version = subprocess.run(  # noqa: S603 - a PostgreSQL client program
            [program, "--version"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", version)
    return int(found[1]) if found else None
