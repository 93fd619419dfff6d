"""Settings, read from the environment when the app is built.

Tests pass overrides to `create_app({...})` instead of setting variables.
"""

import os
import secrets
from pathlib import Path

from assettrack.files import create_once


def _normalise_database_url(url: str) -> str:
    # Heroku-style and plain "postgresql://" URLs should use psycopg 3.
    for old in ("postgres://", "postgresql://"):
        if url.startswith(old):
            return "postgresql+psycopg://" + url[len(old) :]
    return url


def from_environment(instance_path: str) -> dict:
    """The settings for one app, with safe defaults for the embedded mode."""
    sqlite_file = Path(instance_path) / "assettrack.sqlite"
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{sqlite_file}"
    return {
        # Signs the page sessions and their CSRF tokens.
        "SECRET_KEY": os.environ.get("SECRET_KEY")
        or instance_secret(Path(instance_path) / "secret_key"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("ASSETTRACK_HTTPS_ONLY") == "1",
        # A CSRF token lives as long as the page session: a form left open at the
        # workbench over lunch still posts.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("ASSETTRACK_RQ_QUEUE", "assettrack"),
        # A job whose attempt fails, or whose worker dies, is tried this many
        # times more, after these many seconds (the worker's scheduler waits).
        "JOB_RETRIES": int(os.environ.get("ASSETTRACK_JOB_RETRIES", 2)),
        "JOB_RETRY_INTERVALS": [
            int(s)
            for s in os.environ.get("ASSETTRACK_JOB_RETRY_INTERVALS", "10,60").split(
                ","
            )
        ],
        "TAG_PREFIX": os.environ.get("ASSETTRACK_TAG_PREFIX", "DB"),
        # Printed on every label ("Eigendom van ..."), and the address in its QR code.
        "ORGANISATION_NAME": os.environ.get("ASSETTRACK_ORGANISATION", "Digibank"),
        "PUBLIC_URL": os.environ.get("ASSETTRACK_PUBLIC_URL") or None,
        # The Ed25519 key that signs erasure certificates (PEM), made on first use.
        "CERTIFICATE_KEY": os.environ.get("ASSETTRACK_CERTIFICATE_KEY")
        or str(Path(instance_path) / "certificate-signing-key.pem"),
        # Public /verify requests per client address and minute (0: no limit).
        "VERIFY_RATE_LIMIT": int(os.environ.get("ASSETTRACK_VERIFY_RATE_LIMIT", 30)),
        # Page logins (tried passwords) per client address and minute (0: no limit).
        "LOGIN_RATE_LIMIT": int(os.environ.get("ASSETTRACK_LOGIN_RATE_LIMIT", 10)),
        # The device agent: how often it reports, how long a code lives, and
        # requests per minute (enrolment per address, reports per device).
        "AGENT_REPORT_INTERVAL_S": int(
            os.environ.get("ASSETTRACK_AGENT_REPORT_INTERVAL_S", 3600)
        ),
        "AGENT_CODE_DAYS": int(os.environ.get("ASSETTRACK_AGENT_CODE_DAYS", 7)),
        "AGENT_REPORT_DAYS": int(os.environ.get("ASSETTRACK_AGENT_REPORT_DAYS", 90)),
        "AGENT_ENROLL_RATE_LIMIT": int(
            os.environ.get("ASSETTRACK_AGENT_ENROLL_RATE_LIMIT", 10)
        ),
        "AGENT_REPORT_RATE_LIMIT": int(
            os.environ.get("ASSETTRACK_AGENT_REPORT_RATE_LIMIT", 60)
        ),
        # The whole API, per token (counted by the token's id) and, for requests
        # without a valid token, per client address: "600/minute", "20/second",
        # a bare number per minute, or 0 (no limit). All the limits above and
        # these are shared by every process through Redis when REDIS_URL is
        # set (allowed, with a warning, while it is unreachable), else counted
        # per process. Keys start with the prefix (default: "<RQ queue>-limits").
        "API_RATE_LIMIT": os.environ.get("ASSETTRACK_API_RATE_LIMIT", "600/minute"),
        "API_ADDRESS_RATE_LIMIT": os.environ.get(
            "ASSETTRACK_API_ADDRESS_RATE_LIMIT", "300/minute"
        ),
        "RATE_LIMIT_PREFIX": os.environ.get("ASSETTRACK_RATE_LIMIT_PREFIX") or None,
        # Requests larger than this are refused with 413 before parsing.
        "MAX_CONTENT_LENGTH": int(os.environ.get("ASSETTRACK_MAX_BODY", 1_048_576)),
        "MAX_LOAN_DAYS": int(os.environ.get("ASSETTRACK_MAX_LOAN_DAYS", 366)),
        # Overdue reminders go out through this SMTP server; none: they are
        # recorded as failed and tried again on the next run.
        "MAIL_SERVER": os.environ.get("ASSETTRACK_MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("ASSETTRACK_MAIL_PORT", 25)),
        "MAIL_FROM": os.environ.get("ASSETTRACK_MAIL_FROM", "assettrack@localhost"),
        "MAIL_USERNAME": os.environ.get("ASSETTRACK_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("ASSETTRACK_MAIL_PASSWORD") or None,
        "MAIL_STARTTLS": os.environ.get("ASSETTRACK_MAIL_STARTTLS") == "1",
        # Days after a borrower's last return before their name and contact go.
        "RETENTION_DAYS": int(os.environ.get("ASSETTRACK_RETENTION_DAYS", 365)),
    }


def instance_secret(path: Path) -> str:
    """The secret kept at `path`, generated (mode 0600) the first time."""
    return create_once(path, lambda: secrets.token_hex(32).encode()).decode().strip()


def engine_options(database_uri: str) -> dict:
    """Connection settings that make each backend behave under concurrency."""
    if database_uri.startswith("sqlite"):
        # Wait for a concurrent writer instead of failing at once; WAL is set on
        # connect (see extensions.py).
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True}
