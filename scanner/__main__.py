"""The desk-side command line: ``scanner decode IMAGE...``, ``scanner desk`` and
``scanner stocktake``.

Without --json, one line per code found: the image, the symbology and the text
(control characters such as the CR LF in QR codes shown escaped), so that it
can be read and grepped. With --json, one object mapping each image given to
the texts found in it. An image without codes, or one that cannot be read, is
said on stderr; the exit status is then 1 (nothing found) or 2 (unreadable).
"""

import argparse
import json
import sys
from pathlib import Path

from scanner.decode import DecodeError
from scanner.decode import decode
from scanner.desk import Service
from scanner.desk import run
from scanner.stocktake import StockTakes
from scanner.stocktake import run as run_stocktake


def _shown(text: str) -> str:
    """The text on one line: control characters escaped, the rest as is."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _decode_command(args: argparse.Namespace) -> int:
    status = 0
    results: dict[str, list[str]] = {}
    for path in args.images:
        try:
            codes = decode(path)
        except DecodeError as error:
            print(f"{path}: {error}", file=sys.stderr)
            results[path] = []
            status = 2
            continue
        results[path] = [code.text for code in codes]
        if not codes:
            print(f"{path}: no code found", file=sys.stderr)
            status = max(status, 1)
        if not args.json:
            for code in codes:
                print(f"{path}\t{code.symbology}\t{_shown(code.text)}")
    if args.json:
        json.dump(results, sys.stdout, ensure_ascii=False, indent=2)
        print()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scanner", description="Read asset tags and other codes."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    decode_parser = commands.add_parser(
        "decode",
        help="print every barcode and QR code found in images",
        description="Print every code found in each image (PNG, JPEG, WebP, ...).",
    )
    decode_parser.add_argument("images", nargs="+", metavar="IMAGE")
    decode_parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object: image path -> decoded texts",
    )
    desk_parser = commands.add_parser(
        "desk",
        help="look up each scanned tag (or dropped image) through the service",
        description="Read tags typed by a USB scanner (one per line) and answer"
        " what each device is and what can be done with it now.",
    )
    desk_parser.add_argument("--server", required=True, help="e.g. https://digibank.be")
    desk_parser.add_argument("--token", required=True, help="a desk's API token")
    desk_parser.add_argument(
        "--watch", type=Path, help="also decode images dropped here"
    )
    desk_parser.add_argument("--prefix", help="only tags with this prefix")
    _stocktake_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "stocktake":
        return run_stocktake(
            StockTakes(args.server, args.token),
            location=args.location,
            stock_take=args.stock_take,
            prefix=args.prefix,
            correct=args.correct,
            finish=args.finish,
            folder=args.watch,
        )
    if args.command == "desk":
        run(Service(args.server, args.token), folder=args.watch, prefix=args.prefix)
        return 0
    return _decode_command(args)


def _stocktake_parser(commands) -> None:
    parser = commands.add_parser(
        "stocktake",
        help="count a room: scan every label, then see what is missing",
        description="Start (or carry on with) a stock-take of a place, send each"
        " scanned label to the service and say at once what it is; when input ends,"
        " print what was found, missing, found elsewhere and unknown.",
    )
    parser.add_argument("--server", required=True, help="e.g. https://digibank.be")
    parser.add_argument("--token", required=True, help="your API token")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--location", type=int, help="the place to count (its id)")
    which.add_argument(
        "--stock-take", type=int, help="carry on with this stock-take (its id)"
    )
    parser.add_argument("--prefix", help="only tags with this prefix")
    parser.add_argument(
        "--watch", type=Path, help="also count the labels in photos dropped here"
    )
    parser.add_argument(
        "--correct",
        action="store_true",
        help="at the end, record the corrections (relocate, receive) as events",
    )
    parser.add_argument(
        "--finish",
        action="store_true",
        help="at the end, close the stock-take (it keeps its lists)",
    )


if __name__ == "__main__":
    sys.exit(main())
