"""Decode rate and time per photo: plain pyzbar, plain zxing-cpp and scanner.decode.

Runs over the real photos in ../shared/fixtures/barcodes (each image with a .txt
holding its expected text), all three in the same run on the same loaded images:

    python bench/decode.py [--fixtures DIR] [--rounds 3]

A photo counts as read when the expected text is among the texts returned, and
as a misread when texts came back but none of them is the expected one. Times
are per photo, from the loaded image to the list of texts (the best of
--rounds runs, to keep other processes' noise out), median and p95. Last, the
time decode() takes on a 12-megapixel photo in which there is nothing to find.
"""

import argparse
import pathlib
import statistics
import sys
import time
from collections import Counter
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zxingcpp  # noqa: E402
from PIL import Image  # noqa: E402
from pyzbar import pyzbar  # noqa: E402

from scanner.decode import decode  # noqa: E402

SYMBOLOGIES = ("code128", "code39", "qrcode", "ean13", "datamatrix")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def photos(fixtures: pathlib.Path) -> list[tuple[str, str, Image.Image, str]]:
    """(symbology, name, loaded image, expected text) for each fixture photo."""
    found = []
    for path in sorted(fixtures.glob("*/*")):
        expected = path.with_suffix(".txt")
        if path.suffix.lower() not in IMAGE_SUFFIXES or not expected.exists():
            continue
        image = Image.open(path)
        image.load()
        symbology = path.parent.name.rsplit("-", 1)[0]
        name = str(path.relative_to(fixtures))
        text = expected.read_bytes().decode("utf-8")  # keeps CR LF as written
        found.append((symbology, name, image, text))
    return found


def plain_pyzbar(image: Image.Image) -> list[str]:
    return [s.data.decode("utf-8", "replace") for s in pyzbar.decode(image)]


def plain_zxing(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    return [barcode.text for barcode in found]


def ours(image: Image.Image) -> list[str]:
    return [code.text for code in decode(image)]


DECODERS = {"pyzbar": plain_pyzbar, "zxing-cpp": plain_zxing, "decode()": ours}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fixtures",
        type=pathlib.Path,
        default=ROOT.parent / "shared" / "fixtures" / "barcodes",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--verbose", action="store_true", help="list misses and misreads"
    )
    args = parser.parse_args()
    if not args.fixtures.is_dir():
        print(f"no fixtures at {args.fixtures}", file=sys.stderr)
        return 2
    items = photos(args.fixtures)
    totals = Counter(symbology for symbology, *_ in items)
    read: dict[str, Counter] = defaultdict(Counter)
    misread: dict[str, Counter] = defaultdict(Counter)
    times: dict[str, list[float]] = defaultdict(list)
    for symbology, name, image, expected in items:
        for decoder, run in DECODERS.items():  # same image, same moment
            best = float("inf")
            for _ in range(args.rounds):
                start = time.perf_counter()
                texts = run(image)
                best = min(best, time.perf_counter() - start)
            times[decoder].append(best)
            if expected in texts:
                read[decoder][symbology] += 1
            elif texts:
                misread[decoder][symbology] += 1
                if args.verbose:
                    print(f"{decoder}: misread {name}: {texts!r:.80}")
            elif args.verbose:
                print(f"{decoder}: missed {name}")

    heads = [f"{s} ({totals[s]})" for s in SYMBOLOGIES] + [f"all ({len(items)})"]
    print(
        f"{'decoder':<10}"
        + "".join(f"{h:>17}" for h in heads)
        + f"{'misreads':>10}{'median ms':>11}{'p95 ms':>8}"
    )
    for decoder in DECODERS:
        cells = [
            f"{read[decoder][s]} {100 * read[decoder][s] / totals[s]:3.0f} %"
            for s in SYMBOLOGIES
        ]
        total = sum(read[decoder].values())
        cells.append(f"{total} {100 * total / len(items):3.0f} %")
        p95 = statistics.quantiles(times[decoder], n=20)[-1]
        print(
            f"{decoder:<10}"
            + "".join(f"{c:>17}" for c in cells)
            + f"{sum(misread[decoder].values()):>10}"
            + f"{1000 * statistics.median(times[decoder]):>11.2f}{1000 * p95:>8.1f}"
        )
    # the worst case a desk meets: a full phone photo with no code at all
    photo = Image.effect_noise((4000, 3000), 60).convert("RGB")
    start = time.perf_counter()
    decode(photo)
    print(f"a 12-megapixel photo without any code: {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
