"""The A4 documents we print (certificates, loan slips): fonts and text, once.

fpdf2 with Debian's DejaVu Sans when it is there, so names in any script print;
otherwise the PDF core font, which shows only Latin-1 (others print as "?").
"""

from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)


@lru_cache(maxsize=1)
def font_files() -> tuple[Path, Path] | None:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class Document(FPDF):
    """A4 in the best font available, with `t()` for text it can show."""

    def __init__(self, margin: float = 15) -> None:
        super().__init__(format="A4")
        fonts = font_files()
        if fonts:
            self.add_font("DejaVu", "", fonts[0])
            self.add_font("DejaVu", "B", fonts[1])
            self.family = "DejaVu"
        else:
            self.family = "Helvetica"
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(True, margin=18)

    def t(self, text) -> str:
        """Text as this document's font can show it."""
        text = "" if text is None else str(text)
        if self.family == "Helvetica":
            return text.encode("latin-1", "replace").decode("latin-1")
        return text
