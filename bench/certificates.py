"""How long a 50-device batch erasure certificate takes, from data to signed PDF.

    python bench/certificates.py [--devices 50] [--rounds 5]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench \
        python bench/certificates.py

Measures, in the same run:

- render: `render_certificate` alone on a synthetic batch (canonical JSON,
  Ed25519 signature, layout, font subsetting, QR code, attachments);
- issue: the real path the "certificate" job takes (`certifying.run_job`) on a
  seeded donation in a real database: read the devices, their wipe events and
  erasure records, assess each against the policy, build the payload, take a
  number, sign, render, store;
- HTTP: `GET /api/v1/donations/<id>/certificate.pdf` through the Flask test
  client (token check, the same assessment, an inline job row, the PDF answer).

Each round of issue and HTTP first deletes the stored certificates, so every
round issues a new one. The database is SQLite in a temporary instance folder,
or, with BENCH_DATABASE_URL set, a PostgreSQL schema of its own that is dropped
afterwards (the database's other contents are left alone).
"""

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from statistics import median
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from assettrack import certifying  # noqa: E402
from assettrack.app import create_app  # noqa: E402
from assettrack.auth import issue_token  # noqa: E402
from assettrack.certificates.numbers import make_number  # noqa: E402
from assettrack.certificates.render import render_certificate  # noqa: E402
from assettrack.certificates.render import verify_url  # noqa: E402
from assettrack.extensions import db  # noqa: E402
from assettrack.models import Certificate  # noqa: E402
from assettrack.models import Device  # noqa: E402
from assettrack.models import Disk  # noqa: E402
from assettrack.models import Donation  # noqa: E402
from assettrack.models import ErasureRecord  # noqa: E402
from assettrack.models import Location  # noqa: E402
from assettrack.models import Organisation  # noqa: E402
from assettrack.models import User  # noqa: E402
from assettrack.models import WorkflowEvent  # noqa: E402
from assettrack.workflow import erasure as rules  # noqa: E402
from labels.tags import make_tag  # noqa: E402

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


# --- a real database -----------------------------------------------------------------


def _record(device, disk, start, operator, when) -> ErasureRecord:
    media = rules.media_of(disk.kind, disk.interface)
    technique = "overwrite" if media is rules.Media.HDD else "nvme_sanitize_block"
    judged = rules.classify(
        rules.ErasureRecord(
            media=media,
            technique=technique,
            outcome="erased",
            verification="full",
            hidden_areas="yes",
            verification_result="passed",
        )
    )
    return ErasureRecord(
        device_id=device.id,
        disk_id=disk.id,
        after_event_id=start.id,
        media=media.value,
        technique=technique,
        passes=1,
        tool="nwipe",
        tool_version="0.38",
        verification="full",
        verification_result="passed",
        hidden_areas="yes",
        outcome="erased",
        level=judged.level and judged.level.value,
        problems=list(judged.problems),
        rules_version=rules.RULES_VERSION,
        started_at=when,
        finished_at=when + timedelta(minutes=47),
        operator_id=operator.id,
    )


def seed(devices: int, pending: int) -> tuple[int, str]:
    """A donation of `devices` wiped devices and `pending` unwiped ones, as the
    workflow leaves them: intake, start_wipe, one erasure per disk, finish_wipe.
    Returns the donation's id and a coordinator's token."""
    coordinator = Organisation(
        name="Digibank Rupelstreek", kind="coordinator", address="Kerkstraat 1, Boom"
    )
    repair = Organisation(name="Werkplaats Boom", kind="repair")
    donor = Organisation(name="Voorbeeld NV", kind="donor")
    db.session.add_all([coordinator, repair, donor])
    db.session.flush()
    operator = User(email="jan@example.be", name="Jan Peeters", role="repair")
    operator.organisation_id = repair.id
    boss = User(email="co@example.be", role="coordinator")
    boss.organisation_id = coordinator.id
    workshop = Location(
        name="Werkplaats Boom",
        kind="workshop",
        municipality="Boom",
        postcode="2850",
        organisation_id=repair.id,
    )
    db.session.add_all([operator, boss, workshop])
    db.session.flush()
    gift = Donation(donor_id=donor.id, received_on=date(2026, 11, 3))
    db.session.add(gift)
    db.session.flush()
    when = datetime(2026, 11, 20, 9, 15, tzinfo=UTC)

    def event(device, action, source, target):
        row = WorkflowEvent(
            device_id=device.id,
            action=action,
            from_state=source,
            to_state=target,
            actor_id=operator.id,
            location_id=workshop.id,
            payload={},
        )
        db.session.add(row)
        db.session.flush()
        return row

    for i in range(devices + pending):
        done = i < devices
        device = Device(
            asset_tag=make_tag(i + 1),
            kind="laptop",
            make="Lenovo",
            model="ThinkPad T480",
            serial=f"PF{i:06d}",
            state="refurbishing" if done else "received",
            location_id=workshop.id,
            custodian_id=repair.id,
            donation_id=gift.id,
        )
        nvme = i % 2 == 1
        device.disks = [
            Disk(
                kind="ssd" if nvme else "hdd",
                interface="nvme" if nvme else "sata",
                make="Samsung" if nvme else "WDC",
                model="PM981 MZVLB512HAJQ" if nvme else "WD5000LPCX-24C6HT0",
                serial=f"S4EWNX0R{i:06d}",
                size_gb=512 if nvme else 500,
            )
        ]
        if i % 10 == 0:
            device.disks.append(
                Disk(kind="hdd", interface="sata", serial=f"WX{i:06d}", size_gb=1000)
            )
        db.session.add(device)
        db.session.flush()
        event(device, "register", None, "received")
        if done:
            start = event(device, "start_wipe", "received", "wiping")
            for disk in device.disks:
                db.session.add(_record(device, disk, start, operator, when))
            event(device, "finish_wipe", "wiping", "refurbishing")
    db.session.commit()
    return gift.id, issue_token(boss)


def _clear_certificates() -> None:
    db.session.execute(sa.delete(Certificate))
    db.session.commit()


def _timed(function, rounds: int) -> tuple[list[float], bytes]:
    times, result = [], b""
    for _ in range(rounds):
        with_app_clear()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return times, result


def with_app_clear() -> None:
    _clear_certificates()
    db.session.expunge_all()  # each round reads the database afresh


def _postgres_schema(url: str) -> tuple[str, Callable[[], None]]:
    """A URL whose connections use a fresh schema, and a function dropping it."""
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"bench_certificates_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}", drop


def real_path(devices: int, pending: int, rounds: int, folder: Path) -> dict:
    postgres = os.environ.get("BENCH_DATABASE_URL")
    drop = None
    if postgres:
        url, drop = _postgres_schema(postgres)
    else:
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": None,
            "CERTIFICATE_KEY": str(folder / "signing.pem"),
            "PUBLIC_URL": BASE_URL,
        }
    )
    try:
        with app.app_context():
            upgrade()
            donation_id, token = seed(devices, pending)
            params = {
                "scope": "batch",
                "donation": donation_id,
                "language": "nl",
                "issued_by": None,
                "base_url": BASE_URL,
            }

            def assess_only() -> bytes:
                gift = db.session.get(Donation, donation_id)
                statement = certifying.donation_statement(gift)
                statement.content()
                return b""

            def issue() -> bytes:
                return certifying.run_job(params, lambda done, total: None)[0]

            assessed, _ = _timed(assess_only, rounds)
            issued, pdf = _timed(issue, rounds)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/api/v1/donations/{donation_id}/certificate.pdf"

        def http() -> bytes:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.get_json()
            return response.data

        with app.app_context():
            served, _ = _timed(http, rounds)
            db.engine.dispose()
    finally:
        if drop:
            drop()
    return {
        "database": "PostgreSQL" if postgres else "SQLite",
        "assess": assessed,
        "issue": issued,
        "http": served,
        "pdf": pdf,
    }


def _line(label: str, times: list[float], pdf: bytes | None = None) -> str:
    text = f"{label:<34} median {median(times):.3f} s, best {min(times):.3f} s"
    if pdf:
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        text += f", {pages} pages, {len(pdf) / 1024:.0f} kB"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--pending", type=int, default=0, help="unwiped devices too")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    cert = batch(args.devices)
    times = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        pdf = render_certificate(cert, key)
        times.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as folder:
        real = real_path(args.devices, args.pending, args.rounds, Path(folder))
    print(
        f"{args.devices} devices ({args.pending} pending), {args.rounds} rounds,"
        f" {real['database']}, load average {os.getloadavg()[0]:.1f}:"
    )
    print(_line("render only (synthetic batch)", times, pdf))
    print(_line("assess + payload (no PDF)", real["assess"]))
    print(_line("issue: job path, DB to stored PDF", real["issue"], real["pdf"]))
    print(_line("HTTP GET certificate.pdf (inline)", real["http"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
