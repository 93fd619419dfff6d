"""Undo keyboard-layout mix-ups in text typed by a USB "keyboard wedge" scanner.

Why this exists: a wedge scanner does not send characters, it presses keys. It
looks each character up in the layout it was configured for and presses that
key; the computer prints whatever its own layout has on that key. Morovia's
knowledge base lists only TAB, SPACE, 0-9 and A-Z as safe across layouts, and
between QWERTY and AZERTY not even those are: AZERTY needs Shift for digits and
moves A, Q, W, Z and M. A scanner left on US QWERTY at a Belgian AZERTY desk
turns ``0123`` into ``à&é"``, so a volunteer scanning a label gets "no such
tag" unless someone repairs it.

Each table below maps what arrives to what the scanner meant, for the keys that
matter for asset tags and the URLs printed in QR codes. Digits that arrive as
digits are left alone: through every mismatch here a digit typed on the top row
comes out as a symbol, so a real digit came from somewhere else (the numeric
keypad, which all layouts share) and a mismatch that cannot explain a digit in
the text is not offered at all.
"""

# Scanner on US QWERTY, computer on Belgian AZERTY (be): the usual desk mix-up.
US_SCANNER_ON_BE = {
    # top row without Shift: AZERTY symbols instead of digits
    "&": "1", "é": "2", '"': "3", "'": "4", "(": "5",
    "§": "6", "è": "7", "!": "8", "ç": "9", "à": "0",
    ")": "-", "°": "_", "-": "=",
    # letters on other keys (the scanner presses Shift for capitals)
    "a": "q", "q": "a", "z": "w", "w": "z",
    "A": "Q", "Q": "A", "Z": "W", "W": "Z",
    ",": "m", "?": "M", "m": ";", "M": ":",
    # the US , . / keys, for URLs
    ";": ",", ".": "<", ":": ".", "/": ">", "=": "/", "+": "?",
}  # fmt: skip

# Scanner on US QWERTY, computer on French AZERTY (fr).
US_SCANNER_ON_FR = {
    "&": "1", "é": "2", '"': "3", "'": "4", "(": "5",
    "-": "6", "è": "7", "_": "8", "ç": "9", "à": "0",
    ")": "-", "°": "_",
    "a": "q", "q": "a", "z": "w", "w": "z",
    "A": "Q", "Q": "A", "Z": "W", "W": "Z",
    ",": "m", "?": "M", "m": ";", "M": ":",
    ";": ",", ".": "<", ":": ".", "/": ">", "!": "/", "§": "?",
}  # fmt: skip

# Scanner on Belgian AZERTY, computer on US QWERTY: the reverse case.
BE_SCANNER_ON_US = {
    # AZERTY digits are Shift + top row, which US prints as these symbols
    "!": "1", "@": "2", "#": "3", "$": "4", "%": "5",
    "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
    "=": "-", "+": "_",
    "a": "q", "q": "a", "z": "w", "w": "z",
    "A": "Q", "Q": "A", "Z": "W", "W": "Z",
    ";": "m", ":": "M", "m": ",", "M": "?",
    ",": ";", "<": ".", ".": ":", ">": "/", "/": "=", "?": "+",
}  # fmt: skip

# Scanner on French AZERTY, computer on US QWERTY. The French - is the 6 key
# without Shift, so a 6 here is a hyphen: only this table may read it so.
FR_SCANNER_ON_US = {
    "!": "1", "@": "2", "#": "3", "$": "4", "%": "5",
    "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
    "6": "-",
    "a": "q", "q": "a", "z": "w", "w": "z",
    "A": "Q", "Q": "A", "Z": "W", "W": "Z",
    ";": "m", ":": "M", "m": ",", "M": "?",
    ",": ";", "<": ".", ".": ":", ">": "/", "/": "!", "?": "§",
}  # fmt: skip

# Most likely first: Flemish desks run Belgian AZERTY, scanners ship as US.
MISMATCHES: dict[str, dict[str, str]] = {
    "us-scanner-on-be": US_SCANNER_ON_BE,
    "us-scanner-on-fr": US_SCANNER_ON_FR,
    "be-scanner-on-us": BE_SCANNER_ON_US,
    "fr-scanner-on-us": FR_SCANNER_ON_US,
}


def layout_candidates(text: str) -> list[str]:
    """What `text` would have been under each mismatch that could have made it.

    Distinct readings, most likely mismatch first, never `text` itself. The
    caller decides which (if any) to believe, e.g. by a check character.
    """
    readings: list[str] = []
    for table in MISMATCHES.values():
        if any(ch in "0123456789" and ch not in table for ch in text):
            continue
        reading = "".join(table.get(ch, ch) for ch in text)
        if reading != text and reading not in readings:
            readings.append(reading)
    return readings
