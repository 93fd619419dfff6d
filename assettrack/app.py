"""The application factory: a table of contents, doing no work itself."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from assettrack import audit
from assettrack import cli
from assettrack import config as settings
from assettrack import i18n
from assettrack import jobs
from assettrack import pages
from assettrack import security
from assettrack.errors import register_error_handlers
from assettrack.extensions import csrf
from assettrack.extensions import db
from assettrack.extensions import migrate
from assettrack.tagging import check_tag_prefix

MIGRATIONS = str(Path(__file__).parent / "migrations")


class IdConverter(IntegerConverter):
    """A URL id that fits the database's integer column, else 404."""

    def __init__(self, map):
        super().__init__(map, max=2**31 - 1)


def create_app(config: dict | None = None) -> Flask:
    instance = os.environ.get("ASSETTRACK_INSTANCE")
    app = Flask(
        "assettrack",
        instance_path=instance and str(Path(instance).resolve()),
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.from_mapping(config or {})
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        settings.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
    )
    app.json.sort_keys = False
    app.url_map.converters["id"] = IdConverter
    app.url_map.strict_slashes = False

    check_tag_prefix(app.config["TAG_PREFIX"])
    db.init_app(app)
    audit.init()
    migrate.init_app(app, db, directory=MIGRATIONS)
    jobs.init_app(app)
    i18n.init_app(app)
    register_blueprints(app)
    register_error_handlers(app)
    security.init_app(app)
    cli.init_app(app)
    return app


def register_blueprints(app: Flask) -> None:
    from assettrack.api import bp as api
    from assettrack.api.labels import short_link

    app.register_blueprint(api)
    csrf.exempt(api)  # bearer tokens, not cookies: nothing for CSRF to forge
    app.add_url_rule("/t/<tag>", "short_link", short_link)
    pages.init_app(app)
