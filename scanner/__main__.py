"""The desk-side command line: ``scanner decode IMAGE...`` and ``scanner desk``.

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
    args = parser.parse_args(argv)
    if args.command == "desk":
        run(Service(args.server, args.token), folder=args.watch, prefix=args.prefix)
        return 0
    return _decode_command(args)


if __name__ == "__main__":
    sys.exit(main())
