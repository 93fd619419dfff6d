"""`python -m assettrack.agents show`: print the report this device would send.

Touches nothing: no spool, no token, no network. The full command line
(enroll, report, run) builds on `report.collect()`, the same function.
"""

import argparse
import json
import sys

from assettrack.agents import report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assettrack.agents")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the report it would send")
    show.add_argument("--root", default="/", help="read sysfs/proc under this path")
    args = parser.parse_args(argv)
    if args.command == "show":
        json.dump(report.collect(root=args.root), sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
