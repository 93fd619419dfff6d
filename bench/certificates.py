"""How long a 50-device batch erasure certificate takes from data to signed PDF.

    python bench/certificates.py [--devices 50] [--rounds 5]

Prints the best and median wall time of render_certificate (canonical JSON,
Ed25519 signature, layout, font subsetting, QR code, attachments), the pages
and the PDF size.
"""

import argparse
import io
import sys
import time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from assettrack.certificates.numbers import make_number  # noqa: E402
from assettrack.certificates.render import render_certificate  # noqa: E402
from assettrack.certificates.render import verify_url  # noqa: E402

BASE_URL = "https://assets.digibank-rupelstreek.be"


def batch(devices: int) -> dict:
    """A donation batch as the job would build it: one disk each, some two."""
    number = make_number(2026, 123)

    def disk(i: int) -> dict:
        ssd = i % 2 == 1
        return {
            "model": "Samsung PM981 MZVLB512HAJQ" if ssd else "WDC WD5000LPCX-24C6HT0",
            "serial": f"S4EWNX0R{i:06d}",
            "size_gb": 512 if ssd else 500,
            "interface": "NVMe" if ssd else "SATA",
            "media": "nvme" if ssd else "hdd",
            "method": "purge" if ssd else "clear",
            "technique": "nvme_sanitize_crypto" if ssd else "overwrite",
            "passes": None if ssd else 1,
            "tool": "nwipe",
            "tool_version": "0.38",
            "verification": "full",
            "verification_result": "passed",
            "hidden_areas": "handled",
            "outcome": "erased",
            "operator": "Jan Peeters",
            "started_at": "2026-11-20T09:15:00+00:00",
            "finished_at": "2026-11-20T10:02:00+00:00",
        }

    return {
        "number": number,
        "scope": "batch",
        "issued_at": "2026-11-29T07:00:00+00:00",
        "language": "nl",
        "verify_url": verify_url(BASE_URL, number),
        "organisation": {"name": "Digibank Rupelstreek", "address": "Boom"},
        "donor": {"name": "Voorbeeld NV", "reference": "Schenking 2026-11-03"},
        "devices": [
            {
                "tag": f"DB-{i:06d}",
                "make": "Lenovo",
                "model": "ThinkPad T480",
                "serial": f"PF{i:06d}",
                "disks": [disk(i)] + ([disk(1000 + i)] if i % 10 == 0 else []),
            }
            for i in range(devices)
        ],
        "pending": [],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    cert = batch(args.devices)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        pdf = render_certificate(cert, key)
        times.append(time.perf_counter() - start)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    print(
        f"{args.devices} devices: best {min(times):.3f} s, median"
        f" {median(times):.3f} s, {pages} pages, {len(pdf) / 1024:.0f} kB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
