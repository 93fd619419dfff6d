"""The pages' languages: Dutch first, English and French beside it (Flask-Babel).

The locale is the person's explicit choice (`?lang=` from the switcher in the page
header, kept in their session), else the best of their browser's Accept-Language
among ours, else Dutch. `flask translate ...` keeps the catalogs in
`assettrack/translations/` up to date; both the `.po` sources and the compiled
`.mo` files are committed, so every install has them without a build step.
"""

from pathlib import Path

import click
from babel.messages.frontend import CommandLineInterface
from flask import Flask
from flask import request
from flask import session
from flask import url_for
from flask.cli import AppGroup
from flask_babel import get_locale

from assettrack.extensions import babel

# Each language named in itself, as the switcher shows it.
LANGUAGES = {"nl": "Nederlands", "en": "English", "fr": "Français"}
DEFAULT = "nl"

PACKAGE = Path(__file__).parent
TRANSLATIONS = PACKAGE / "translations"
BABEL_CFG = PACKAGE.parent / "babel.cfg"
POT = TRANSLATIONS / "messages.pot"


def _chosen(value: str | None) -> str | None:
    return value if value in LANGUAGES else None


def select_locale() -> str:
    """The language this request is answered in."""
    return (
        _chosen(request.args.get("lang"))
        or _chosen(session.get("lang"))
        or request.accept_languages.best_match(tuple(LANGUAGES), default=DEFAULT)
    )


def remember_choice() -> None:
    """Keep a language picked with `?lang=` for the rest of the session."""
    if chosen := _chosen(request.args.get("lang")):
        session["lang"] = chosen


def current_language() -> str:
    return str(get_locale() or DEFAULT)


def language_url(code: str) -> str:
    """This page in language `code`; after a form was posted, the form's page if
    its address also answers GET (else the start page)."""
    rule = request.url_rule
    if request.endpoint is None or rule is None or "GET" not in (rule.methods or ()):
        return url_for("pages.home", lang=code)
    args = {**request.args.to_dict(), **(request.view_args or {}), "lang": code}
    return url_for(request.endpoint, **args)


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.before_request(remember_choice)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_language=current_language,
        language_url=language_url,
    )
    app.cli.add_command(translate_cli)


translate_cli = AppGroup(
    "translate", help="Keep the page translations up to date (pybabel)."
)


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def _extract() -> None:
    """Collect every marked string of the code and templates into messages.pot."""
    _pybabel(
        "extract",
        "-F",
        str(BABEL_CFG),
        "-k",
        "_l",
        "--add-comments=Translators:",
        "--project=assettrack",
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        str(PACKAGE),
    )


@translate_cli.command("update")
def update() -> None:
    """Extract the strings and merge them into every language's catalog."""
    _extract()
    try:
        _pybabel(
            "update",
            "-i",
            str(POT),
            "-d",
            str(TRANSLATIONS),
            "--no-wrap",
            "--ignore-obsolete",
        )
    finally:
        POT.unlink(missing_ok=True)
    click.echo("updated: translate new and fuzzy entries, then flask translate compile")


@translate_cli.command("init")
@click.argument("language")
def init(language: str) -> None:
    """Start a catalog for a new LANGUAGE (add it to i18n.LANGUAGES too)."""
    _extract()
    try:
        _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", language)
    finally:
        POT.unlink(missing_ok=True)


@translate_cli.command("compile")
def compile_catalogs() -> None:
    """Compile the .po catalogs into the .mo files the app reads."""
    CommandLineInterface().run(
        ["pybabel", "compile", "-d", str(TRANSLATIONS), "--statistics"]
    )
