"""The A4 documents we print (certificates, loan slips): fonts and text, once.

fpdf2 with Debian's DejaVu Sans when it is there, so names in any script print;
otherwise the PDF core font, which shows only Latin-1 (others print as "?").
"""

from functools import lru_cache
from pathlib import Path

import zxingcpp
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


QR_QUIET = 4  # modules (ISO/IEC 18004)


def qr_matrix(text: str) -> tuple[int, bytes]:
    """QR modules (side, rows of 0 = dark, 255 = light) from zxing-cpp's writer,
    level M: a short URL or command stays a small symbol with big modules."""
    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = code.to_image(scale=1, add_quiet_zones=False)
    return image.shape[0], bytes(memoryview(image))


def draw_qr(pdf: FPDF, text: str, x: float, y: float, side_mm: float) -> None:
    """`text` as a QR code of vector squares (sharp on any printer), quiet zone
    included, `side_mm` wide with its top left corner at (x, y)."""
    side, modules = qr_matrix(text)
    module = side_mm / (side + 2 * QR_QUIET)
    pdf.set_fill_color(255)
    pdf.rect(x, y, side_mm, side_mm, style="F")
    pdf.set_fill_color(0)
    origin = QR_QUIET * module
    for row in range(side):
        line = modules[row * side : (row + 1) * side]
        col = 0
        while col < side:
            if line[col] == 0:
                start = col
                while col < side and line[col] == 0:
                    col += 1
                pdf.rect(
                    x + origin + start * module,
                    y + origin + row * module,
                    (col - start) * module,
                    module,
                    style="F",
                )
            else:
                col += 1
