"""The command line of API.md (scripts depend on it): user, token, demo, worker,
backup and restore."""

from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext

from assettrack import jobs
from assettrack.auth import DEFAULT_TOKEN_DAYS
from assettrack.auth import MAX_TOKEN_DAYS
from assettrack.auth import issue_token
from assettrack.extensions import db
from assettrack.models import ApiToken
from assettrack.models import Organisation
from assettrack.models import Role
from assettrack.models import User
from assettrack.models.types import utcnow

user_cli = AppGroup("user", help="Manage people who use assettrack.")
token_cli = AppGroup("token", help="Manage API tokens.")

_ORG_KIND_FOR_ROLE = {
    "coordinator": "coordinator",
    "repair": "repair",
    "desk": "lending",
}


@user_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--org", "org_name", help="the organisation's name; created if new")
@click.option("--password", help="for logging in to the web pages (default: none)")
def create_user(
    email: str, role: str, org_name: str | None, password: str | None
) -> None:
    """Create a person with a role, optionally in an organisation."""
    email = email.strip().lower()
    if db.session.scalar(sa.select(User.id).filter_by(email=email)):
        raise click.ClickException(f"a user {email} exists already")
    organisation = None
    if org_name:
        organisation = db.session.scalar(
            sa.select(Organisation).filter_by(name=org_name)
        )
        if organisation is None:
            kind = _ORG_KIND_FOR_ROLE.get(role, "coordinator")
            organisation = Organisation(name=org_name, kind=kind)
    user = User(email=email, role=role, organisation=organisation)
    if password is not None:
        _set_password(user, password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {email}" + (f" of {org_name}" if org_name else ""))


def _set_password(user: User, password: str) -> None:
    try:
        user.set_password(password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@user_cli.command("password")
@click.argument("email")
@click.password_option(help="the new password (asked for when not given)")
def set_password(email: str, password: str) -> None:
    """Set the password EMAIL logs in to the web pages with.

    Every page session made with the old password ends.
    """
    user = _user(email)
    _set_password(user, password)
    db.session.commit()
    click.echo(f"password set for {user.email}")


@token_cli.command("create")
@click.argument("email")
@click.option(
    "--days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    default=DEFAULT_TOKEN_DAYS,
    show_default=True,
    help="how long the token works",
)
@click.option("--read-only", is_flag=True, help="the token may only look (GET)")
def create_token(email: str, days: int, read_only: bool) -> None:
    """Print a new API token for EMAIL, alone on the last line."""
    user = _user(email)
    scope = "read" if read_only else "write"
    token = issue_token(user, days, scope)
    until = (utcnow() + timedelta(days=days)).date().isoformat()
    click.echo(
        f"token for {user.email} ({user.role}, {scope}, until {until});"
        " it is shown only once:"
    )
    click.echo(token)


@token_cli.command("list")
@click.argument("email")
def list_tokens(email: str) -> None:
    """The tokens of EMAIL: id, scope, made, expires, revoked (never the token)."""
    user = _user(email)
    for token in db.session.scalars(
        sa.select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id)
    ):
        expires = token.expires_at.date().isoformat() if token.expires_at else "never"
        revoked = token.revoked_at.date().isoformat() if token.revoked_at else "-"
        click.echo(
            f"{token.id}\t{token.scope}\tmade {token.created_at.date().isoformat()}"
            f"\texpires {expires}\trevoked {revoked}"
        )


@token_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke token TOKEN_ID (see `token list`): it answers 401 from now on."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    click.echo(f"token {token_id} of {token.user.email} revoked")


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).filter_by(email=email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email}")
    return user


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo data set; a second run changes nothing."""
    from assettrack import demo

    click.echo(demo.load())


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run an rq worker for the configured Redis, inside the app context."""
    from rq import SimpleWorker

    queue = jobs.queue(current_app)
    if queue is None:
        raise click.ClickException(
            "REDIS_URL is not set: jobs run inline, no worker needed"
        )
    # SimpleWorker runs jobs in this process, so they share the app context and
    # never inherit forked database connections.
    # The scheduler puts a failed job back on the queue when its retry is due.
    SimpleWorker([queue], connection=queue.connection).work(
        burst=burst, with_scheduler=True
    )


reminders_cli = AppGroup("reminders", help="Reminders for loans due or overdue.")
borrowers_cli = AppGroup("borrowers", help="Borrowers' personal data.")
_TODAY = click.DateTime(formats=["%Y-%m-%d"])


def _scheduled(function, today) -> None:
    """Run a scheduled job in a worker (REDIS_URL set) or right here."""
    outcome = jobs.enqueue(function, today.date().isoformat() if today else None)
    queued = outcome["id"] is not None
    click.echo(f"queued {outcome['id']}" if queued else outcome["result"])


@reminders_cli.command("send")
@click.option("--today", type=_TODAY, help="the day to send for (default: today)")
def send_reminders(today) -> None:
    """Send the reminders due today (for cron, daily)."""
    from assettrack import reminders

    _scheduled(reminders.scheduled, today)


@borrowers_cli.command("anonymise")
@click.option("--today", type=_TODAY, help="the day to count from (default: today)")
def anonymise_borrowers(today) -> None:
    """Anonymise borrowers past the retention period (for cron, daily)."""
    from assettrack import anonymising

    _scheduled(anonymising.scheduled, today)


agent_cli = AppGroup("agent", help="Device agents' health reports.")


@agent_cli.command("prune")
@click.option("--today", type=_TODAY, help="the day to count from (default: today)")
def prune_reports(today) -> None:
    """Delete health reports past ASSETTRACK_AGENT_REPORT_DAYS (for cron, daily)."""
    from assettrack.agents.server import retention

    _scheduled(retention.scheduled, today)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database to PATH while the service runs (for cron)."""
    from assettrack import backup

    try:
        click.echo(backup.backup(db.engine, path))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="replace a database that holds data")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Restore the backup at PATH into the database (stop the service first)."""
    from assettrack import backup

    try:
        click.echo(backup.restore(db.engine, path, replace=yes))
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None


def init_app(app: Flask) -> None:
    for command in (
        user_cli,
        token_cli,
        demo_command,
        worker_command,
        reminders_cli,
        borrowers_cli,
        agent_cli,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
