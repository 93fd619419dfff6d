"""The label stocks we print on, as data: a roll for label printers and A4 sheets.

All drawing happens at 300 dpi, the resolution of common label printers (Brother
QL) and a multiple-free fit for 600 dpi office printers: every bar and QR module
is a whole number of printer dots, so no driver has to round widths unevenly.

| name   | stock (like)          | label mm    | grid | on the sheet (mm)         |
|--------|-----------------------|-------------|------|---------------------------|
| 62mm   | roll (Brother DK-22205) | 62 x 33   | 1    | 696 printable dots across |
| a4-3x8 | A4 (Avery 3474)       | 70 x 37     | 3x8  | top 0.5, left 0, no gaps  |
| a4-2x7 | A4 (Avery L7163)      | 99.1 x 38.1 | 2x7  | top 15.15, left 4.65,     |
|        |                       |             |      | column gap 2.5            |

The sheet figures add up: 3 x 70 = 210 and 2 x 0.5 + 8 x 37 = 297; 2 x 4.65 +
2 x 99.1 + 2.5 = 210 and 2 x 15.15 + 7 x 38.1 = 297. Labels of edge-to-edge sheets
(3474) reach into the unprintable border of most printers, so every label keeps
a padding inside its die-cut that holds the codes and text clear of it.
"""

from dataclasses import dataclass

DPI = 300
A4_MM = (210.0, 297.0)


def dots(mm: float) -> int:
    """Millimetres to printer dots at 300 dpi."""
    return round(mm * DPI / 25.4)


@dataclass(frozen=True)
class Layout:
    """One label stock: the size of a label and, for sheets, where each one sits."""

    name: str
    description: str
    width_mm: float
    height_mm: float
    # "stacked": QR and tag over a full-width barcode (narrow roll labels);
    # "wide": QR beside tag and barcode (sheet labels, wider than high)
    arrangement: str
    padding_mm: tuple[float, float]  # inside the die-cut: left/right, top/bottom
    columns: int = 1
    rows: int = 1
    left_mm: float = 0.0
    top_mm: float = 0.0
    pitch_x_mm: float = 0.0  # left edge to left edge of the next label
    pitch_y_mm: float = 0.0
    width_dots: int | None = None  # printable width when the stock says so

    @property
    def is_sheet(self) -> bool:
        return self.columns * self.rows > 1

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows

    @property
    def size(self) -> tuple[int, int]:
        """A label's size in dots."""
        return self.width_dots or dots(self.width_mm), dots(self.height_mm)

    def origin(self, index: int) -> tuple[int, int]:
        """Top-left dot of label `index` (0-based, row by row) on its page."""
        row, col = divmod(index % self.per_sheet, self.columns)
        return (
            dots(self.left_mm + col * self.pitch_x_mm),
            dots(self.top_mm + row * self.pitch_y_mm),
        )


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            name="62mm",
            description="62 mm continuous roll, one PNG label at 300 dpi",
            width_mm=62.0,
            height_mm=33.0,
            arrangement="stacked",
            padding_mm=(1.0, 1.5),
            width_dots=696,  # what a 62 mm roll printer prints across
        ),
        Layout(
            name="a4-3x8",
            description="A4 sheet of 24 labels of 70 x 37 mm (Avery 3474), PDF",
            width_mm=70.0,
            height_mm=37.0,
            arrangement="wide",
            padding_mm=(4.0, 2.5),
            columns=3,
            rows=8,
            left_mm=0.0,
            top_mm=0.5,
            pitch_x_mm=70.0,
            pitch_y_mm=37.0,
        ),
        Layout(
            name="a4-2x7",
            description="A4 sheet of 14 labels of 99.1 x 38.1 mm (Avery L7163), PDF",
            width_mm=99.1,
            height_mm=38.1,
            arrangement="wide",
            padding_mm=(4.0, 2.5),
            columns=2,
            rows=7,
            left_mm=4.65,
            top_mm=15.15,
            pitch_x_mm=101.6,
            pitch_y_mm=38.1,
        ),
    )
}
