"""Read barcodes and QR codes from photos: labels, and codes on donated machines.

Why two decoders: on real photos (../shared/fixtures/barcodes, see bench/README.md)
zxing-cpp reads far more than zbar and never misread, while zbar reads some camera
EAN-13 photos zxing-cpp misses. So zxing-cpp goes first and zbar only gets the
image when nothing was found; restricting both to the symbologies below made
them 2-3x faster. Each retry runs only when the passes before it found nothing,
so a sharp label costs one zxing-cpp call; the retries (another binarizer, small
photos enlarged, zbar, the photo turned for slanted barcodes) are the ones the
measurements showed to help, see _passes().

zbar is trusted only for EAN/UPC (a check digit, and where it helps) and ASCII QR
codes: it returned wrong Code 128 values on degraded photos, reads Code 39
full-ASCII literally ("12+A+B") and guesses Shift-JIS QR text wrongly. Asset tags
carry their own check character on top: see tags_in().
"""

import io
import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import zxingcpp
from PIL import Image
from PIL import ImageOps

try:
    from pyzbar import pyzbar
except ImportError:  # no libzbar0 on this machine (make installs it as root)
    pyzbar = None

from labels.tags import TagError
from labels.tags import parse_tag

# A 48-megapixel phone photo fits; a "small PNG" declaring 100000x100000 does not.
MAX_PIXELS = 50_000_000
MAX_BYTES = 30 * 1024 * 1024
# Formats phones, scanners and screenshots produce; anything else is refused
# before a decoder plugin we never meant to expose looks at it.
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")
# Below this (longest side, pixels) a photo is upscaled for the retries: the
# modules of a code in a small crop are too few pixels for the binarizer.
SMALL = 1000
# Above this (longest side, pixels) the retries after the first two passes work on
# a reduced copy; the first passes see the photo at full size.
RETRY_SIDE = 1600

# The symbologies we print (Code 128, QR) and those common on donated machines.
ZXING_FORMATS = (
    zxingcpp.BarcodeFormat.Code128,
    zxingcpp.BarcodeFormat.Code39,
    zxingcpp.BarcodeFormat.QRCode,
    zxingcpp.BarcodeFormat.DataMatrix,
    zxingcpp.BarcodeFormat.EANUPC,
)
# read along scan lines, so one code can give several (disagreeing) readings
LINEAR = frozenset({"Code 128", "Code 39", "EAN-13", "EAN-8", "UPC-A", "UPC-E"})
# zbar's names for what we take from it (see the module docstring for why)
_ZBAR_TYPES = {
    "EAN13": "EAN-13",
    "EAN8": "EAN-8",
    "UPCA": "UPC-A",
    "UPCE": "UPC-E",
    "QRCODE": "QR Code",
}


class DecodeError(ValueError):
    """The input is not an image we can read safely; the message says why."""


@dataclass(frozen=True)
class Code:
    """One code found in an image.

    ``position``: its corners (x, y) in the image as given, in the order the
    decoder reports them (zxing-cpp: top left, top right, bottom right, bottom
    left as the code reads; zbar: its outline), when it says.
    """

    text: str
    symbology: str
    decoder: str
    position: tuple[tuple[int, int], ...] | None = None


def _too_big(width: int, height: int) -> DecodeError | None:
    if width * height > MAX_PIXELS:
        return DecodeError(
            f"image too large: {width}x{height} pixels, at most"
            f" {MAX_PIXELS // 1_000_000} megapixels (a photo of the code is enough)"
        )
    if width < 1 or height < 1:
        return DecodeError(f"image has no pixels ({width}x{height})")
    return None


def load_image(source: bytes | Image.Image | str | os.PathLike) -> Image.Image:
    """The image in `source`, loaded, or DecodeError: never a crash or a bomb.

    Sizes are checked from the header before any pixel is decompressed.
    """
    if isinstance(source, Image.Image):
        return _loaded(source)
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as file:
                data = file.read(MAX_BYTES + 1)
        except OSError as error:
            raise DecodeError(f"cannot read the file: {error.strerror}") from None
    elif isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        raise DecodeError(
            f"expected image bytes, a path or an image, got {type(source).__name__}"
        )
    if not data:
        raise DecodeError("empty file: no image in it")
    if len(data) > MAX_BYTES:
        raise DecodeError(f"file too large: more than {MAX_BYTES // (1024 * 1024)} MB")
    # Pillow only warns between its limit and twice that; here a bomb is an error.
    # (catch_warnings is process-wide: threads racing here can at worst leave that
    # error filter in place, which is what we want anyway.)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
            raise DecodeError(f"image too large: {bomb}") from None
        except Image.UnidentifiedImageError:
            raise DecodeError(
                f"not an image (or not one of {', '.join(IMAGE_FORMATS)})"
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as broken:
            raise DecodeError(f"damaged image: {broken}") from None
    return _loaded(image)


def _loaded(image: Image.Image) -> Image.Image:
    """`image` with its pixels decompressed, if its size is a photo's."""
    error = _too_big(*image.size)
    if error:
        raise error
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as broken:
        raise DecodeError(f"damaged image: {broken}") from None
    return image


def _gray(image: Image.Image) -> Image.Image:
    """8-bit grayscale; transparent parts become white, as on paper."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return image if image.mode == "L" else image.convert("L")


Point = tuple[float, float]


def _scaled(scale: float):
    """Maps a point of an image resized by `scale` back to the original."""
    return lambda x, y: (x / scale, y / scale)


def _then(first, second):
    """The map `first`, then `second` (None: the identity)."""
    return first if second is None else lambda x, y: second(*first(x, y))


def _rotated(image: Image.Image, degrees: float):
    """`image` turned `degrees` counter-clockwise (grown to fit), and the map back."""
    turned = image.rotate(
        degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255
    )
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    cx, cy, tx, ty = (
        image.width / 2,
        image.height / 2,
        turned.width / 2,
        turned.height / 2,
    )

    def back(x: float, y: float) -> Point:
        dx, dy = x - tx, y - ty
        return (cx + cos * dx - sin * dy, cy + sin * dx + cos * dy)

    return turned, back


def _zxing(image: Image.Image, back=None, **options) -> list[Code]:
    found = zxingcpp.read_barcodes(
        image,
        formats=ZXING_FORMATS,
        text_mode=zxingcpp.TextMode.Plain,
        **options,
    )
    codes = []
    for barcode in found:
        p = barcode.position
        corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        points = [back(c.x, c.y) if back else (c.x, c.y) for c in corners]
        position = tuple((round(x), round(y)) for x, y in points)
        codes.append(Code(barcode.text, str(barcode.format), "zxing-cpp", position))
    return _without_outvoted(codes)


def _extent(code: Code, origin, u, n) -> tuple[float, float, float, float]:
    """The code's box along the axis u and across it (n), from `origin`."""
    along = [(x - origin[0]) * u[0] + (y - origin[1]) * u[1] for x, y in code.position]
    across = [(x - origin[0]) * n[0] + (y - origin[1]) * n[1] for x, y in code.position]
    return min(along), max(along), min(across), max(across)


def _outvoted(weak: Code, strong: Code) -> bool:
    """Whether `weak` is another reading of the bars `strong` was read from.

    A linear code is read along scan lines; a wrong text whose check digit happens
    to fit can come from a few lines through the same bars (zxing-cpp did so on a
    dev photo: 3 pixel rows against 117 for the right EAN-13). Same start and end
    (within 5 % of the length), next to each other, and 4x fewer lines agreeing.
    """
    tl, tr, br, bl = strong.position
    start = ((tl[0] + bl[0]) / 2, (tl[1] + bl[1]) / 2)
    end = ((tr[0] + br[0]) / 2, (tr[1] + br[1]) / 2)
    length = math.dist(start, end)
    if length < 1:
        return False
    u = ((end[0] - start[0]) / length, (end[1] - start[1]) / length)
    n = (-u[1], u[0])
    s0, s1, s_lo, s_hi = _extent(strong, start, u, n)
    w0, w1, w_lo, w_hi = _extent(weak, start, u, n)
    same_ends = abs(s0 - w0) <= 0.05 * length and abs(s1 - w1) <= 0.05 * length
    gap = max(w_lo - s_hi, s_lo - w_hi, 0)
    return same_ends and gap <= 0.2 * length and s_hi - s_lo >= 4 * max(w_hi - w_lo, 1)


def _without_outvoted(codes: list[Code]) -> list[Code]:
    """`codes` less linear readings that disagree with a far better supported one."""
    return [
        weak
        for weak in codes
        if not any(
            strong.symbology == weak.symbology
            and strong.text != weak.text
            and strong.symbology in LINEAR
            and _outvoted(weak, strong)
            for strong in codes
        )
    ]


def _zbar(image: Image.Image, back=None) -> list[Code]:
    if pyzbar is None:
        return []
    codes = []
    symbols = [pyzbar.ZBarSymbol[name] for name in _ZBAR_TYPES]
    for symbol in pyzbar.decode(image, symbols=symbols):
        symbology = _ZBAR_TYPES[symbol.type]
        try:
            text = symbol.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if symbology == "QR Code" and not text.isascii():
            continue  # zbar guesses non-ASCII QR encodings wrongly
        points = [back(x, y) if back else (x, y) for x, y in symbol.polygon]
        position = tuple((round(x), round(y)) for x, y in points) or None
        codes.append(Code(text, symbology, "zbar", position))
    return codes


def _resized(image: Image.Image, scale: float):
    """`image` resized by `scale`, and the map from its points back to `image`."""
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.BICUBIC), _scaled(scale)


def _passes(gray: Image.Image):
    """The decoding attempts, cheapest first; each yields the codes it found."""
    yield _zxing(gray)
    # a global threshold copes with glare and soft focus where local averaging breaks up
    yield _zxing(gray, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    # The retries work on at most RETRY_SIDE pixels: a 12-megapixel photo with no
    # code took 3 s at full size, and a code zxing-cpp missed there is not small.
    side = max(gray.size)
    base, back = gray, None
    if side > RETRY_SIDE:
        base, back = _resized(gray, RETRY_SIDE / side)
    if side < SMALL:  # before the contrast stretch, which would harden blurred edges
        enlarged, back_enlarged = _resized(gray, 2)
        enhanced = ImageOps.autocontrast(enlarged, cutoff=1)
        yield _zxing(enhanced, back_enlarged)
    else:
        yield _zxing(ImageOps.autocontrast(base, cutoff=1), back)
    yield _zbar(base, back)
    if side < SMALL:
        yield _zbar(enhanced, back_enlarged)
    # zxing-cpp reads linear codes within about 10 degrees of level or upright;
    # three turns bring any slant into that window (a phone held at an angle)
    for degrees in (22.5, 45, 67.5):
        turned, back_turned = _rotated(base, degrees)
        yield _zxing(turned, _then(back_turned, back))


def decode(image: bytes | Image.Image | str | os.PathLike) -> list[Code]:
    """Every code found in `image`, in reading order of the decoder; [] if none.

    :raises DecodeError: not an image, damaged, or too large to be a photo.
    """
    gray = _gray(load_image(image))
    for found in _passes(gray):
        if found:
            unique: dict[tuple[str, str], Code] = {}
            for code in found:
                unique.setdefault((code.text, code.symbology), code)
            return list(unique.values())
    return []


def tags_in(codes: Iterable[Code], prefix: str | None = None) -> list[str]:
    """The asset tags named by `codes`, canonical, each once, in order.

    A text shaped like a tag whose check character fails is a misread and is
    left out, never looked up as somebody else's device. QR codes holding the
    device's URL count too.
    """
    tags: list[str] = []
    for code in codes:
        try:
            tag = parse_tag(code.text, prefix).canonical
        except TagError:
            continue
        if tag not in tags:
            tags.append(tag)
    return tags
