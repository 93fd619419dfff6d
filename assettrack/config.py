"""Settings, read from the environment when the app is built.

Tests pass overrides to `create_app({...})` instead of setting variables.
"""

import os
from pathlib import Path


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
        "SECRET_KEY": os.environ.get("SECRET_KEY", "dev-only-change-me"),
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "RQ_QUEUE": os.environ.get("ASSETTRACK_RQ_QUEUE", "assettrack"),
        "TAG_PREFIX": os.environ.get("ASSETTRACK_TAG_PREFIX", "DB"),
        # Printed on every label ("Eigendom van ..."), and the address in its QR code.
        "ORGANISATION_NAME": os.environ.get("ASSETTRACK_ORGANISATION", "Digibank"),
        "PUBLIC_URL": os.environ.get("ASSETTRACK_PUBLIC_URL") or None,
        # Requests larger than this are refused with 413 before parsing.
        "MAX_CONTENT_LENGTH": int(os.environ.get("ASSETTRACK_MAX_BODY", 1_048_576)),
        "MAX_RENEWALS": int(os.environ.get("ASSETTRACK_MAX_RENEWALS", 2)),
        "MAX_LOAN_DAYS": int(os.environ.get("ASSETTRACK_MAX_LOAN_DAYS", 366)),
    }


def engine_options(database_uri: str) -> dict:
    """Connection settings that make each backend behave under concurrency."""
    if database_uri.startswith("sqlite"):
        # Wait for a concurrent writer instead of failing at once; WAL is set on
        # connect (see extensions.py).
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True}
