"""Dutch and French readers never see English: the catalogs are complete and current.

The `.po` files are the translators' source and the `.mo` files are committed
beside them (every install reads them as they are), so both are checked here:
no message missing or fuzzy in nl and fr, every marked string of the code and
templates in the catalogs, and each `.mo` compiled from its `.po`.
"""

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from assettrack import i18n
from assettrack.pages import wording

TRANSLATED = ("nl", "fr")


def catalog(language: str, compiled: bool = False):
    path = i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages"
    if compiled:
        with open(path.with_suffix(".mo"), "rb") as mo:
            return read_mo(mo)
    with open(path.with_suffix(".po"), "rb") as po:
        return read_po(po, locale=language)


def key(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def frozen(value):
    """A message's id or string as a dict key (plurals come as lists or tuples)."""
    return value if isinstance(value, str) else tuple(value)


def marked_in_the_code() -> set[str]:
    """Every string the code and templates hand to the translation layer."""
    with open(i18n.BABEL_CFG, encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    return {
        key(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(i18n.PACKAGE), method_map, options_map, keywords=keywords
        )
    }


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    messages = [m for m in catalog(language) if m.id]

    missing = [key(m.id) for m in messages if not m.string or not all(m.string)]
    fuzzy = [key(m.id) for m in messages if m.fuzzy]

    assert messages
    assert missing == [], f"untranslated in {language}: {missing}"
    assert fuzzy == [], f"fuzzy in {language}: {fuzzy}"


@pytest.mark.parametrize("language", [*TRANSLATED, "en"])
def test_the_catalogs_hold_exactly_what_the_code_marks(language):
    in_catalog = {key(m.id) for m in catalog(language) if m.id}
    marked = marked_in_the_code()

    assert marked - in_catalog == set(), "run: flask --app assettrack translate update"
    assert in_catalog - marked == set(), "stale entries: flask translate update"


@pytest.mark.parametrize("language", [*TRANSLATED, "en"])
def test_the_compiled_catalog_is_its_po_file(language):
    source = {
        frozen(m.id): frozen(m.string)
        for m in catalog(language)
        if m.id and m.string and all(m.string)
    }
    compiled = {
        frozen(m.id): frozen(m.string) for m in catalog(language, compiled=True) if m.id
    }
    # An untranslated plural is compiled as its English forms.
    compiled = {k: v for k, v in compiled.items() if k in source or k != v}

    assert compiled == source, "run: flask --app assettrack translate compile"


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        (
            "no passed erasure in this wipe cycle for: ssd S1, hdd WCJ0",
            "geen geslaagde wisbeurt in deze wisronde voor: ssd S1, hdd WCJ0",
        ),
        (
            "not possible while the device is wiping",
            "niet mogelijk zolang het toestel in wisbeurt is",
        ),
        ("the device is already there", "het toestel is daar al"),
        ("the device is lent", "het toestel is uitgeleend"),
        ("a sentence nobody taught us", "a sentence nobody taught us"),
    ],
)
def test_the_domains_sentences_read_in_dutch_with_their_details_kept(
    app, english, dutch
):
    with app.test_request_context(headers={"Accept-Language": "nl"}):
        assert wording.sentence(english) == dutch


def test_every_domain_sentence_is_a_message_of_the_catalogs():
    in_catalog = {key(m.id) for m in catalog("nl") if m.id}

    assert set(wording.SENTENCES) <= in_catalog
