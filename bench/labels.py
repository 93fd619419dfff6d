"""How long a 240-label A4 PDF takes, per sheet layout (target: under 3 s).

    python bench/labels.py [--labels 240] [--rounds 3]

Prints, per layout, the best and median wall time of render_sheet over the
rounds, the pages and the PDF size, and a roll label's time for comparison.
Exit status 1 when a sheet layout misses the 3 s target.
"""

import argparse
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels import make_tag  # noqa: E402
from labels.layouts import LAYOUTS  # noqa: E402
from labels.render import LabelInfo  # noqa: E402
from labels.render import render_label  # noqa: E402
from labels.render import render_sheet  # noqa: E402

TARGET_S = 3.0
ORGANISATION = "Digibank Rupelstreek"
BASE_URL = "https://assets.digibank-rupelstreek.be"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=240)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    infos = [
        LabelInfo(make_tag(1000 + i), ORGANISATION, BASE_URL)
        for i in range(args.labels)
    ]
    missed = False
    header = ("layout", "labels", "best s", "median s", "pages", "kB")
    print("{:8} {:>6} {:>7} {:>9} {:>5} {:>6}".format(*header))
    for name, layout in LAYOUTS.items():
        if not layout.is_sheet:
            start = time.perf_counter()
            for info in infos:
                render_label(info.tag, info.organisation, info.base_url, name)
            took = time.perf_counter() - start
            print(f"{name:8} {args.labels:6} {took:7.2f} {'':>9} {'png':>5}")
            continue
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            pdf = render_sheet(infos, name)
            times.append(time.perf_counter() - start)
        pages = -(-args.labels // layout.per_sheet)
        missed |= min(times) > TARGET_S
        print(
            f"{name:8} {args.labels:6} {min(times):7.2f} {median(times):9.2f}"
            f" {pages:5} {len(pdf) // 1024:6}"
        )
    print(f"target: a {args.labels}-label sheet PDF in under {TARGET_S:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
