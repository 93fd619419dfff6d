"""Asset tags like ``DB-000123K``: prefix, number, check character.

A weighted sum mod 29 (prime) makes every single wrong character and every swap
of two characters fail loudly instead of finding somebody else's laptop. The
alphabet leaves out A, Q, W, Z, M (they move between QWERTY and AZERTY) and O, I
(they look like 0 and 1).

How typed or scanned text is read:

- whitespace and control characters around it are ignored (scanners add CR,
  LF or TAB);
- upper and lower case are the same;
- the separator is optional and may be -, space, _, ., /, ) or any dash;
- in the number O reads as 0 and I as 1, and L as 1 when the prefix is known
  and the check character is a letter (elsewhere an L may be a moved letter);
  as check character O reads as 0 and I as 1;
- a tag at the end of a URL path is found (``https://x/t/DB000123K``,
  ``/devices/DB-000123K``: phones scanning the QR code);
- text typed by a scanner on the wrong keyboard layout (see scanner.keyboard)
  is repaired; a repaired reading only counts when it is a tag written exactly
  as printed (or a URL ending in one) with a correct check character, and none
  is tried when the text as typed already has the shape of a tag (a typo);
- anything else raises TagError: ``.code`` is "malformed" (not a tag) or
  "bad_check" (shaped like a tag but does not check out: a typo or misread).
"""

import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from scanner.keyboard import layout_candidates

ALPHABET = "0123456789BCDEFGHJKLNPRSTUVXY"
DIGITS = ALPHABET[:10]
LETTERS = ALPHABET[10:]
MAX_PREFIX = 4
# A check character c is right when sum(w_i * v_i) - c = 0, so it acts as weight
# -1 = 28 (mod 29). Body weights 1..27 stay distinct from it, which is what
# makes a swap of the check character with any body character detectable.
MAX_BODY = 27

_ALIASES = str.maketrans("OI", "01")
_ALIASES_WITH_L = str.maketrans("OIL", "011")
_SEPARATORS = frozenset(" -_./)\u2212")


class TagError(ValueError):
    """Text that is not a usable tag; ``code`` is "malformed" or "bad_check"."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParsedTag:
    """A tag that passed its check; ``canonical`` is how we print and store it."""

    prefix: str
    number: int
    check: str
    width: int = 6

    @property
    def canonical(self) -> str:
        return make_tag(self.number, self.prefix, self.width)


def _valid_prefix(prefix: str) -> str:
    prefix = prefix.upper()
    if not 1 <= len(prefix) <= MAX_PREFIX or not set(prefix) <= set(LETTERS):
        raise ValueError(f"a tag prefix is 1 to 4 of the letters {LETTERS}: {prefix!r}")
    return prefix


def check_character(body: str) -> str:
    """The check character of PREFIX + DIGITS, written without separator."""
    if not 1 <= len(body) <= MAX_BODY or not set(body) <= set(ALPHABET):
        raise ValueError(f"not a tag body (1-{MAX_BODY} of {ALPHABET}): {body!r}")
    total = sum(weight * ALPHABET.index(ch) for weight, ch in enumerate(body, 1))
    return ALPHABET[total % len(ALPHABET)]


def make_tag(number: int, prefix: str = "DB", width: int = 6) -> str:
    """The tag to print for `number`: zero-padded to `width` digits, or longer."""
    prefix = _valid_prefix(prefix)
    if number < 0 or width < 1 or len(prefix) + max(width, len(str(number))) > MAX_BODY:
        raise ValueError(f"cannot make a tag of {number} with width {width}")
    digits = f"{number:0{width}d}"
    return f"{prefix}-{digits}{check_character(prefix + digits)}"


def _shape_errors(s: str, k: int, width: int, aliases: dict[int, str]) -> int | None:
    """Characters of `s` off the shape k letters, digits, check; None: bad length."""
    number = s[k:-1].translate(aliases)
    if not 1 <= k <= MAX_PREFIX or len(number) < width or len(s) - 1 > MAX_BODY:
        return None
    errors = sum(ch not in LETTERS for ch in s[:k])
    errors += sum(ch not in DIGITS for ch in number)
    errors += s[-1].translate(_ALIASES) not in ALPHABET
    errors += len(number) > width and number[0] == "0"  # not how we pad
    return errors


def _read(s: str, prefix: str | None, width: int, shown: str) -> ParsedTag:
    """Read one compact candidate (upper case, no separators) or say why not."""
    letter_check = prefix is not None and s.endswith(tuple(LETTERS))
    aliases = _ALIASES_WITH_L if letter_check else _ALIASES
    lengths = [len(prefix)] if prefix else range(1, MAX_PREFIX + 1)
    shapes = {k: _shape_errors(s, k, width, aliases) for k in lengths}
    typo = TagError(
        f"check character does not match: {shown} is probably a typo or misread;"
        " compare it with the label or scan it again",
        "bad_check",
    )
    for k in (k for k, errors in shapes.items() if errors == 0):  # at most one
        body, check = s[:k] + s[k:-1].translate(aliases), s[-1].translate(_ALIASES)
        if check_character(body) != check:
            raise typo
        if prefix and s[:k] != prefix:
            msg = f"not our tag: {shown} starts with {s[:k]}-, ours with {prefix}-"
            raise TagError(msg, "malformed")
        return ParsedTag(s[:k], int(body[k:]), check, width)
    if 1 in shapes.values():
        raise typo  # one character away from the shape of a tag
    example = make_tag(123, prefix or "DB", width)
    if len(s) < len(prefix or "D") + width + 1:
        msg = f"not an asset tag: {shown} is too short; tags look like {example}"
        raise TagError(msg, "malformed")
    raise TagError(f"not an asset tag: {shown}; tags look like {example}", "malformed")


def _compact(text: str) -> str:
    """Upper case without separators: what is left to read."""
    kept = (c for c in text.upper() if c not in _SEPARATORS and not c.isspace())
    return "".join(c for c in kept if unicodedata.category(c) != "Pd")  # dashes


def _with_url_segment(readings: list[str], paths: bool) -> list[str]:
    """Each reading, preceded by its last path segment if it is a URL (or path).

    Bare paths only as typed: scanners read QR codes, which hold full URLs.
    """
    out = []
    for reading in readings:
        if "://" in reading or (paths and reading.startswith("/")):
            path = reading.split("#")[0].split("?")[0].rstrip("/")
            out.append(unquote(path.rsplit("/", 1)[-1]))
        out.append(reading)
    return out


def parse_tag(raw: str, prefix: str | None = None, *, width: int = 6) -> ParsedTag:
    """Read a typed or scanned tag; `prefix` given: only tags with that prefix.

    :raises TagError: not a tag ("malformed") or a wrong check ("bad_check").
    """
    prefix = None if prefix is None else _valid_prefix(prefix)
    if width < 1:
        raise ValueError(f"a tag has at least one digit, not {width}")
    if not isinstance(raw, str):
        raise TagError(f"not an asset tag: expected text, got {raw!r:.40}", "malformed")
    # scanners add whitespace and control characters (CR, LF, TAB) around codes
    text = raw.strip("".join({c for c in raw if unicodedata.category(c)[0] in "CZ"}))
    if not text:
        raise TagError("not an asset tag: nothing was typed or scanned", "malformed")
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    if len(shown) > 60:  # escapes of unprintable characters: 4 to 10 each
        shown = shown[:59] + "…"
    errors: list[TagError] = []
    for repaired, readings in enumerate(([text], layout_candidates(text))):
        for reading in _with_url_segment(readings, paths=not repaired):
            try:
                tag = _read(_compact(reading), prefix, width, shown)
            except TagError as error:
                errors.append(error)
                continue
            # a scanner types a label exactly; a repair that is not exact is a guess
            if not repaired or reading.upper() in (
                tag.canonical,
                _compact(tag.canonical),
            ):
                return tag
        if any(error.code == "bad_check" for error in errors):
            break  # shaped like a tag as typed: a typo, not a layout problem
    raise next((e for e in errors if e.code == "bad_check"), errors[0])


def normalise_tag(raw: str, prefix: str | None = None, *, width: int = 6) -> str:
    """The canonical form (``DB-000123K``) of a typed or scanned tag, or TagError."""
    return parse_tag(raw, prefix, width=width).canonical
