"""A coordinator prints device labels; desks scan them back with a USB scanner or a phone.

Plain Python (labels, scanner): no Flask, no database. Each label is decoded
again with zxing-cpp, the decoder the desk uses first, and with zbar, which
shares no code with the libraries that drew it.
"""

import io
import re

import pytest
import zxingcpp
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from PIL import Image
from PIL import ImageChops
from PIL import ImageFilter
from pyzbar import pyzbar

from labels import TagError
from labels import make_tag
from labels import render
from labels.layouts import LAYOUTS
from labels.layouts import dots
from labels.render import LabelInfo
from labels.render import compose
from labels.render import render_label
from labels.render import render_sheet
from labels.render import sheet_pages
from scanner.decode import decode

ORGANISATION = "Digibank Rupelstreek"
BASE_URL = "https://assets.digibank-rupelstreek.be"
SHEETS = [name for name, layout in LAYOUTS.items() if layout.is_sheet]

tags = st.builds(
    make_tag,
    st.integers(min_value=0, max_value=9_999_999),
    st.text(alphabet="BCDEFGHJKLNPRSTUVXY", min_size=1, max_size=3),
)
base_urls = st.sampled_from(
    [
        BASE_URL,
        "http://localhost:5000/",
        "https://inventaris.digibank-regio-kortrijk.example.org",
    ]
)


def read(image: Image.Image) -> dict[str, str]:
    """What zxing-cpp reads on a label: symbology -> text (each code once)."""
    found = zxingcpp.read_barcodes(image.convert("L"))
    texts = [(str(code.format), code.text) for code in found]
    assert len(texts) == len(dict(texts)), texts  # one Code 128, one QR
    return dict(texts)


def names_exactly(text: str, tag: str) -> bool:
    """A code names the device exactly: the tag, or a URL ending in it."""
    return text == tag or text.rsplit("/", 1)[-1] == tag.replace("-", "")


def label_image(tag: str, layout: str, base_url: str = BASE_URL) -> Image.Image:
    if layout == "62mm":
        return Image.open(io.BytesIO(render_label(tag, ORGANISATION, base_url, layout)))
    return compose(LabelInfo(tag, ORGANISATION, base_url), LAYOUTS[layout])


def phone_photo(label: Image.Image, angle: float, seed: int) -> Image.Image:
    """A label as a phone sees it: small, soft, tilted, noisy, JPEG-compressed."""
    image = label.convert("L")
    small = (int(image.width * 0.6), int(image.height * 0.6))
    image = image.resize(small, Image.Resampling.BILINEAR)
    image = image.filter(ImageFilter.GaussianBlur(1.0))
    image = image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=235)
    noise = Image.effect_noise(image.size, 18 + seed % 5)
    image = ImageChops.add(image, noise, scale=1.0, offset=-128)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=40)
    return Image.open(io.BytesIO(out.getvalue()))


@pytest.mark.parametrize("layout", list(LAYOUTS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tag=tags, base_url=base_urls)
def test_every_printed_label_scans_back_to_its_tag(layout, tag, base_url):
    image = label_image(tag, layout, base_url)
    codes = read(image)
    by_zbar = {(s.type, s.data.decode()) for s in pyzbar.decode(image.convert("L"))}
    url = f"{base_url.rstrip('/')}/t/{tag.replace('-', '')}"

    assert codes["Code 128"] == tag  # what a USB desk scanner types
    assert codes["QR Code"] == url  # what a phone opens
    assert by_zbar == {("CODE128", tag), ("QRCODE", url)}


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("number", [0, 123, 48_151, 999_999, 1_234_567])
def test_a_phone_photo_of_a_worn_label_still_names_the_device(layout, number):
    tag = make_tag(number)
    for angle in (3.0, -4.0, 5.0):
        photo = phone_photo(label_image(tag, layout), angle, number)

        texts = [code.text for code in decode(photo)]

        assert any(names_exactly(text, tag) for text in texts), (angle, texts)
        assert all(names_exactly(text, tag) for text in texts), texts  # no misread


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_bars_are_whole_printer_dots_with_quiet_zones(layout):
    image = label_image(make_tag(7031), layout).convert("L")
    code = next(c for c in zxingcpp.read_barcodes(image) if str(c.format) == "Code 128")
    y = (code.position.top_left.y + code.position.bottom_left.y) // 2
    row = "".join(
        "1" if image.getpixel((x, y)) < 128 else "0" for x in range(image.width)
    )
    first = row.index("1", code.position.top_left.x - 2)
    last = row.rindex("1", 0, code.position.top_right.x + 3)
    runs = [len(run) for run in re.findall(r"1+|0+", row[first : last + 1])]
    module = min(runs)

    assert module >= 3  # 0.25 mm bars at 300 dpi: cheap scanners resolve them
    assert all(run % module == 0 for run in runs)  # no bar a dot wider than its kind
    assert sum(runs) // module % 11 == 2  # symbols of 11 modules, stop of 13
    # quiet zones of at least 10 modules on both sides, inside the label
    assert first >= 10 * module and "1" not in row[first - 10 * module : first]
    assert "1" not in row[last + 1 : last + 1 + 10 * module]
    assert last + 10 * module < image.width


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_qr_code_has_its_quiet_zone_and_big_modules(layout):
    image = label_image(make_tag(7031), layout).convert("L")
    code = next(c for c in zxingcpp.read_barcodes(image) if str(c.format) == "QR Code")
    p = code.position
    near = (
        p.top_left.x - 3,
        p.top_left.y - 3,
        p.bottom_right.x + 4,
        p.bottom_right.y + 4,
    )
    left, top, right, bottom = image.crop(near).point(lambda v: 255 - v).getbbox()
    left, top, right, bottom = (
        near[0] + left,
        near[1] + top,
        near[0] + right,
        near[1] + bottom,
    )
    row = [image.getpixel((x, top)) < 128 for x in range(left, right)]
    module = row.index(False) // 7  # the finder pattern's top edge: 7 dark modules
    ring = image.crop(
        (left - 4 * module, top - 4 * module, right + 4 * module, bottom + 4 * module)
    )
    ring.paste(
        255, (4 * module, 4 * module, ring.width - 4 * module, ring.height - 4 * module)
    )

    assert module >= 5  # 0.42 mm or more: a phone reads it from arm's length
    assert left >= 4 * module and top >= 4 * module  # the quiet zone is on the label
    assert right + 4 * module <= image.width and bottom + 4 * module <= image.height
    assert ring.getextrema() == (255, 255)  # nothing printed in the quiet zone


def test_the_roll_label_is_a_300_dpi_png_as_wide_as_the_printer_prints():
    image = Image.open(io.BytesIO(render_label("db 000123 k", ORGANISATION, BASE_URL)))

    assert image.format == "PNG" and image.mode == "1"
    assert image.width == 696  # a 62 mm roll on a 300 dpi label printer
    assert round(image.info["dpi"][0]) == 300
    assert read(image)["Code 128"] == "DB-000123K"  # printed as canonical


@pytest.mark.parametrize("layout", SHEETS)
def test_a_sheet_pdf_holds_every_label_in_its_place(layout):
    stock = LAYOUTS[layout]
    count = stock.per_sheet + 3  # one full page and a few on the next
    labels = [
        LabelInfo(make_tag(500 + i), ORGANISATION, BASE_URL) for i in range(count)
    ]
    seen = []

    pdf = render_sheet(
        labels, layout, progress=lambda done, total: seen.append((done, total))
    )
    pages = sheet_pages(labels, layout)

    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == len(pages) == 2
    for box in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf):
        assert (round(float(box[0]) / 72 * 25.4), round(float(box[1]) / 72 * 25.4)) == (
            210,
            297,
        )  # A4
    # each page one lossless 1-bit A4 image at 300 dpi: no JPEG blur on the bars
    assert pdf.count(b"/CCITTFaxDecode") == len(pages) and b"DCTDecode" not in pdf
    assert len(re.findall(rb"/Width 2480\b", pdf)) == len(pages)
    assert all(page.size == (2480, 3508) and page.mode == "1" for page in pages)
    assert seen == [(i, count) for i in range(1, count + 1)]
    width, height = stock.size
    for page_number, page in enumerate(pages):
        found = zxingcpp.read_barcodes(page.convert("L"))
        on_page = labels[page_number * stock.per_sheet :][: stock.per_sheet]
        assert len(found) == 2 * len(on_page)
        for index, info in enumerate(on_page):
            x, y = stock.origin(index)
            inside = [
                code
                for code in found
                if x <= code.position.top_left.x < x + width
                and y <= code.position.top_left.y < y + height
                and x <= code.position.bottom_right.x < x + width
                and y <= code.position.bottom_right.y < y + height
            ]
            assert sorted(str(code.format) for code in inside) == [
                "Code 128",
                "QR Code",
            ]
            assert all(names_exactly(code.text, info.tag) for code in inside)


@pytest.mark.parametrize("layout", SHEETS)
def test_labels_keep_clear_of_the_die_cut(layout):
    stock = LAYOUTS[layout]
    page = sheet_pages(
        [LabelInfo(make_tag(i), ORGANISATION, BASE_URL) for i in range(3)], layout
    )[0]
    x, y = stock.origin(0)
    width, height = stock.size
    ink = (
        page.crop((x, y, x + width, y + height))
        .convert("L")
        .point(lambda v: 255 - v)
        .getbbox()
    )
    pad_x, pad_y = dots(stock.padding_mm[0]), dots(stock.padding_mm[1])

    assert ink[0] >= pad_x and ink[1] >= pad_y
    assert ink[2] <= width - pad_x and ink[3] <= height - pad_y


def test_a_long_organisation_name_is_shortened_not_printed_over_the_codes():
    name = "Vereniging voor Digitale Inclusie en Herbestemming van Computers Groot-Antwerpen"
    tag = make_tag(42)
    for layout in LAYOUTS:
        stock = LAYOUTS[layout]
        image = compose(LabelInfo(tag, name, BASE_URL), stock)

        codes = read(image)
        ink = image.convert("L").point(lambda v: 255 - v).getbbox()

        assert codes["Code 128"] == tag
        assert names_exactly(codes["QR Code"], tag)
        assert ink[2] <= image.width - dots(stock.padding_mm[0])  # not off the label


@pytest.fixture
def without_dejavu(monkeypatch):
    """A fresh machine without Debian's DejaVu fonts: Pillow's own font is used."""
    monkeypatch.setattr(render, "_FONT_DIRS", ())
    render._font.cache_clear()
    render._fit_font.cache_clear()
    assert "DejaVu" not in render._font(True, 40).getname()[0]
    yield
    render._font.cache_clear()
    render._fit_font.cache_clear()


@pytest.mark.usefixtures("without_dejavu")
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_labels_print_on_a_machine_without_extra_fonts(layout):
    tag = make_tag(2024)

    codes = read(compose(LabelInfo(tag, ORGANISATION, BASE_URL), LAYOUTS[layout]))

    assert codes["Code 128"] == tag
    assert names_exactly(codes["QR Code"], tag)


def test_a_mistyped_tag_or_unknown_layout_is_refused_before_printing():
    with pytest.raises(TagError):
        render_label("DB-000123X", ORGANISATION, BASE_URL)  # wrong check character
    with pytest.raises(ValueError, match="a4-3x8"):
        render_label("DB-000123K", ORGANISATION, BASE_URL, layout="a5")
    with pytest.raises(ValueError, match="roll"):
        render_sheet([LabelInfo("DB-000123K", ORGANISATION, BASE_URL)], "62mm")
