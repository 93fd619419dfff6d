"""Device labels: Code 128 for USB desk scanners, QR for phones, the tag to read.

Symbologies come from libraries (python-barcode gives the Code 128 module
pattern with its check symbol, zxing-cpp's writer the QR matrix); we only scale
them. Every bar and QR module is a whole number of 300 dpi dots: python-barcode's
own ImageWriter drew bars of uneven dot widths and 2.4 % of clean labels were then
unread by pyzbar, whole-dot modules read 100 % (DESIGN.md). Quiet zones follow
the specs: 10 modules each side of a Code 128, 4 modules around a QR code. The QR
matrix comes from zxing-cpp (already the desk's decoder) rather than segno:
segno's pure-Python mask scoring took 7.4 ms a label, two thirds of a sheet's
time, zxing-cpp 0.4 ms; the tests read every label back with zbar as well, so
no quirk of one library hides behind itself.

Sheets are PDFs of 1-bit page images at 300 dpi, made by Pillow. Chosen over a
vector PDF (reportlab, fpdf2) because the label is then drawn by one code path
for roll and sheet, bars stay whole dots at the printer's own resolution (300
dpi, or exactly 2 dots at 600 dpi), the images are stored losslessly (CCITT G4,
60-100 kB a page) and 240 labels take well under the 3 s budget (see
bench/labels.py). A vector PDF would only win on a printer whose resolution is
not a multiple of 300 dpi.

Fonts: DejaVu Sans (Debian fonts-dejavu-core) where installed, else the font
that ships inside Pillow (``ImageFont.load_default(size)``, Pillow >= 10.1), so
labels render on a fresh machine either way.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import zxingcpp
from barcode import Code128
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from labels.layouts import A4_MM
from labels.layouts import DPI
from labels.layouts import LAYOUTS
from labels.layouts import Layout
from labels.layouts import dots
from labels.tags import normalise_tag

CODE128_QUIET = 10  # modules each side (ISO/IEC 15417)
QR_QUIET = 4  # modules around the symbol (ISO/IEC 18004)
MIN_BAR_DOTS = 3  # 0.25 mm: comfortable for cheap USB scanners
MAX_BAR_DOTS = 4
MIN_QR_DOTS = 5  # 0.42 mm modules: phones still focus on them at arm's length

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)


@dataclass(frozen=True)
class LabelInfo:
    """What one label shows: the device's tag and whose it is."""

    tag: str
    organisation: str
    base_url: str


def device_url(tag: str, base_url: str) -> str:
    """The short URL in the QR code: short content gives big, robust modules."""
    return f"{base_url.rstrip('/')}/t/{tag.replace('-', '')}"


@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)


@lru_cache(maxsize=256)
def _fit_font(text: str, bold: bool, max_width: int, max_size: int, min_size: int):
    """The largest font size up to `max_size` at which `text` fits `max_width`."""
    for size in range(max_size, min_size - 1, -1):
        font = _font(bold, size)
        if font.getlength(text) <= max_width:
            return font, text
    font = _font(bold, min_size)
    while len(text) > 1 and font.getlength(text + "…") > max_width:
        text = text[:-1]
    return font, text.rstrip() + "…"


def _bars(pattern: str, module: int, height: int) -> Image.Image:
    """The Code 128 with its quiet zones, each module `module` dots wide."""
    padded = "0" * CODE128_QUIET + pattern + "0" * CODE128_QUIET
    row = Image.frombytes(
        "L", (len(padded), 1), bytes(0 if m == "1" else 255 for m in padded)
    )
    return row.resize((len(padded) * module, height), Image.Resampling.NEAREST)


def _qr_matrix(text: str) -> tuple[int, bytes]:
    """QR modules (side, rows of 0 = dark, 255 = light) at the strongest error
    correction, from M up, that keeps the symbol as small as M makes it."""
    best = None
    for level in "MQH":
        code = zxingcpp.create_barcode(
            text, zxingcpp.BarcodeFormat.QRCode, ec_level=level
        )
        side = code.to_image(scale=1, add_quiet_zones=False)
        if best is not None and side.shape[0] > best[0]:
            break
        best = side.shape[0], bytes(memoryview(side))
    return best


def _qr(side: int, modules: bytes, module: int) -> Image.Image:
    """The QR code with its quiet zone, each module `module` dots square."""
    n = side + 2 * QR_QUIET
    edge = bytes([255]) * QR_QUIET
    margin = bytes([255]) * n * QR_QUIET
    rows = (edge + modules[i : i + side] + edge for i in range(0, side * side, side))
    data = margin + b"".join(rows) + margin
    grid = Image.frombytes("L", (n, n), data)
    return grid.resize((n * module, n * module), Image.Resampling.NEAREST)


def _text(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, font) -> None:
    """Draw `text` with its ink box's top-left at `xy`."""
    left, top, _, _ = draw.textbbox((0, 0), text, font=font)
    draw.text((xy[0] - left, xy[1] - top), text, font=font, fill=0)


def _ink_height(font, text: str) -> int:
    left, top, right, bottom = font.getbbox(text)
    return bottom - top


def compose(info: LabelInfo, layout: Layout) -> Image.Image:
    """One label as a 1-bit image at 300 dpi, the size of the layout's label."""
    tag = normalise_tag(info.tag)
    width, height = layout.size
    pad_x, pad_y = dots(layout.padding_mm[0]), dots(layout.padding_mm[1])
    box_w, box_h = width - 2 * pad_x, height - 2 * pad_y
    pattern = Code128(tag).build()[0]
    bar_units = len(pattern) + 2 * CODE128_QUIET
    qr_side, qr_modules = _qr_matrix(device_url(tag, info.base_url))
    qr_units = qr_side + 2 * QR_QUIET
    owner = f"Eigendom van {info.organisation.strip()}"

    label = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(label)
    gap = dots(1.0)
    if layout.arrangement == "wide":
        # QR on the right over the full height; tag, bars, owner on the left.
        # Quiet zones are white, so they may lie in the padding (inside the
        # die-cut) and the bars' right one may be the QR's left one.
        n = qr_side

        def fits(module: int, q: int) -> bool:
            space = max(CODE128_QUIET * module, QR_QUIET * q)
            return len(pattern) * module + space + n * q <= box_w

        # the biggest QR modules first (phones), then the widest bars that still fit
        q_max = min(box_h // n, height // qr_units, pad_x // QR_QUIET)
        q = next(
            (q for q in range(q_max, MIN_QR_DOTS - 1, -1) if fits(MIN_BAR_DOTS, q)), 0
        )
        if not q or CODE128_QUIET * MIN_BAR_DOTS > pad_x:
            raise ValueError(f"a {tag} barcode does not fit a {layout.name} label")
        module = max(
            m
            for m in range(MIN_BAR_DOTS, MAX_BAR_DOTS + 1)
            if fits(m, q) and CODE128_QUIET * m <= pad_x
        )
        qr_left = width - pad_x - n * q
        label.paste(
            _qr(qr_side, qr_modules, q),
            (qr_left - QR_QUIET * q, (height - qr_units * q) // 2),
        )
        space = max(CODE128_QUIET * module, QR_QUIET * q)
        slack = qr_left - space - len(pattern) * module - pad_x
        text_x = pad_x + slack // 2  # where the first bar starts: balanced margins
        text_w = qr_left - space - text_x
        tag_font, shown = _fit_font(tag, True, text_w, dots(7.5), dots(3))
        owner_font, owner_shown = _fit_font(owner, False, text_w, dots(2.4), dots(1.6))
        tag_h = _ink_height(tag_font, "D0")
        owner_h = _ink_height(owner_font, "Eg")
        _text(draw, (text_x, pad_y), shown, tag_font)
        bars_top = pad_y + tag_h + gap
        bars_h = box_h - tag_h - owner_h - 3 * gap
        bars = _bars(pattern, module, bars_h)
        label.paste(bars, (text_x - CODE128_QUIET * module, bars_top))
        owner_top = pad_y + box_h - owner_h - gap // 2
        _text(draw, (text_x, owner_top), owner_shown, owner_font)
    else:
        # QR with tag and owner beside it on top, full-width bars below
        module = min(MAX_BAR_DOTS, box_w // bar_units)
        if module < MIN_BAR_DOTS:
            raise ValueError(f"a {tag} barcode does not fit a {layout.name} label")
        bars_min = dots(9.0)
        q = min((box_h - bars_min - gap) // qr_units, (box_w // 2) // qr_units)
        qr_img = _qr(qr_side, qr_modules, q)
        label.paste(qr_img, (pad_x, pad_y))
        text_x = pad_x + qr_img.width + gap
        text_w = box_w - qr_img.width - gap
        tag_font, shown = _fit_font(tag, True, text_w, dots(7.5), dots(3))
        owner_font, owner_shown = _fit_font(owner, False, text_w, dots(2.4), dots(1.6))
        tag_h = _ink_height(tag_font, "D0")
        owner_h = _ink_height(owner_font, "Eg")
        block = tag_h + 2 * gap + owner_h
        top = pad_y + (qr_img.height - block) // 2
        _text(draw, (text_x, top), shown, tag_font)
        _text(draw, (text_x, top + tag_h + 2 * gap), owner_shown, owner_font)
        bars = _bars(pattern, module, box_h - qr_img.height - gap)
        label.paste(
            bars, (pad_x + (box_w - bars.width) // 2, pad_y + qr_img.height + gap)
        )
    # print black or white, never grey: threshold, no dithering
    return label.point([0] * 128 + [255] * 128, mode="1")


def render_label(
    tag: str, organisation: str, base_url: str, layout: str = "62mm"
) -> bytes:
    """One device's label as a 300 dpi PNG, as roll label printers take it."""
    image = compose(LabelInfo(tag, organisation, base_url), _layout(layout))
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(DPI, DPI), optimize=False)
    return out.getvalue()


def sheet_pages(
    labels: list[LabelInfo],
    layout: str = "a4-3x8",
    progress: Callable[[int, int], None] | None = None,
) -> list[Image.Image]:
    """The A4 pages of a sheet PDF as 1-bit 300 dpi images, labels row by row."""
    stock = _layout(layout)
    if not stock.is_sheet:
        raise ValueError(
            f"{layout} is a roll, not a sheet; render its labels one by one"
        )
    page_size = (dots(A4_MM[0]), dots(A4_MM[1]))
    pages: list[Image.Image] = []
    for index, info in enumerate(labels):
        if index % stock.per_sheet == 0:
            pages.append(Image.new("1", page_size, 1))
        pages[-1].paste(compose(info, stock), stock.origin(index))
        if progress is not None:
            progress(index + 1, len(labels))
    return pages or [Image.new("1", page_size, 1)]


def render_sheet(
    labels: list[LabelInfo],
    layout: str = "a4-3x8",
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """Labels on A4 sheets as one PDF; `progress(done, total)` after each label."""
    pages = sheet_pages(labels, layout, progress)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=DPI, save_all=True, append_images=pages[1:])
    return out.getvalue()


def _layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        known = ", ".join(LAYOUTS)
        raise ValueError(
            f"unknown label layout {name!r}; choose one of {known}"
        ) from None
