"""Certificate numbers like ``EC-2026-000123K``: prefix, year, sequence, check.

Donors type these on the /verify page, so they reuse the asset tags' alphabet and
check character (labels.tags: a weighted sum mod 29), which makes every single
wrong character and every swap of two neighbours fail instead of showing another
donor's certificate. The year keeps numbers short (the sequence restarts each
year) and tells a reader at a glance how old the certificate is. Uniqueness
comes from the caller: one sequence per prefix and year.

Read leniently, as tags are: case, surrounding whitespace and separators
(-, space, _, ., /) do not matter; O reads as 0 and I as 1 in the digits; a URL
ending in the number (the QR code's ``.../verify/EC-2026-000123K``) is read too.
"""

from dataclasses import dataclass
from urllib.parse import unquote

from labels.tags import ALPHABET
from labels.tags import DIGITS
from labels.tags import LETTERS
from labels.tags import check_character

PREFIX = "EC"
WIDTH = 6  # sequence digits: a million certificates a year before it grows
_SEPARATORS = frozenset(" -_./\u2212\u2010\u2011\u2012\u2013\u2014")
_ALIASES = str.maketrans("OI", "01")


class NumberError(ValueError):
    """Not a certificate number; ``code`` is "malformed" or "bad_check" (a typo)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CertificateNumber:
    prefix: str
    year: int
    sequence: int

    @property
    def canonical(self) -> str:
        return make_number(self.year, self.sequence, self.prefix)


def _check_prefix(prefix: str) -> str:
    if not 1 <= len(prefix) <= 4 or not set(prefix) <= set(LETTERS):
        raise ValueError(f"a number prefix is 1 to 4 of the letters {LETTERS}")
    return prefix


def make_number(year: int, sequence: int, prefix: str = PREFIX) -> str:
    """The number to print for the `sequence`-th certificate of `year`."""
    prefix = _check_prefix(prefix.upper())
    if not 1000 <= year <= 9999 or sequence < 0:
        raise ValueError(f"no certificate number for year {year}, #{sequence}")
    body = f"{prefix}{year}{sequence:0{WIDTH}d}"
    return f"{prefix}-{year}-{sequence:0{WIDTH}d}{check_character(body)}"


def parse_number(raw: str, prefix: str | None = PREFIX) -> CertificateNumber:
    """Read a typed or scanned certificate number (`prefix` None: any prefix).

    :raises NumberError: not a number ("malformed") or a typo ("bad_check").
    """
    if not isinstance(raw, str):
        raise NumberError("not a certificate number: expected text", "malformed")
    text = raw.strip()
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    if "://" in text or text.startswith("/"):
        text = unquote(text.split("#")[0].split("?")[0].rstrip("/").rsplit("/", 1)[-1])
    s = "".join(c for c in text.upper() if c not in _SEPARATORS and not c.isspace())
    k = len(s) - len(s.lstrip(LETTERS))  # the prefix: leading letters
    digits = s[k:-1].translate(_ALIASES)
    example = make_number(2026, 123, prefix or PREFIX)
    shaped = (
        1 <= k <= 4
        and len(digits) >= 4 + WIDTH
        and set(digits) <= set(DIGITS)
        and len(s) - 1 <= 27
        and s[-1].translate(_ALIASES) in ALPHABET
        and not (len(digits) > 4 + WIDTH and digits[4] == "0")  # not how we pad
    )
    if not shaped:
        raise NumberError(
            f"not a certificate number: {shown}; they look like {example}", "malformed"
        )
    body, check = s[:k] + digits, s[-1].translate(_ALIASES)
    if check_character(body) != check:
        raise NumberError(
            f"{shown} does not check out: probably a typo; compare it with the"
            " certificate",
            "bad_check",
        )
    if prefix is not None and s[:k] != prefix.upper():
        raise NumberError(f"not one of our certificates: {shown}", "malformed")
    return CertificateNumber(s[:k], int(digits[:4]), int(digits[4:]))
