"""Erasure certificates from the service: the donor's story and the coordinator's.

A donor gets a signed PDF per device and per batch and checks it on /verify (by
number or by uploading the PDF); a coordinator asks for them, sees what is still
pending and why, and finds the issued ones again. Real database, real PDFs
parsed back with pypdf, real Ed25519 signatures; the rq test uses a real Redis.
"""

import io
import json
import os
import stat
import threading

import pytest
import redis
import sqlalchemy as sa
from conftest import POSTGRES_URL
from conftest import REDIS_URL
from conftest import _empty_postgres
from conftest import _settings
from conftest import unavailable
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf import PdfReader

from assettrack import certifying
from assettrack import verifying
from assettrack.app import create_app
from assettrack.certificates.numbers import make_number
from assettrack.certificates.numbers import parse_number
from assettrack.certificates.render import extract
from assettrack.certificates.render import render_certificate
from assettrack.certificates.signing import key_id
from assettrack.certificates.signing import load_or_create_key
from assettrack.certificates.signing import verify
from assettrack.extensions import db
from assettrack.models import Certificate
from assettrack.models import CertificateCounter

TECHNIQUE = {
    "ssd": "ata_sanitize_block",
    "nvme": "nvme_sanitize_block",
    "hdd": "overwrite",
}


@pytest.fixture
def key_file(tmp_path):
    return tmp_path / "keys" / "signing.pem"


@pytest.fixture
def app(database_url, key_file):
    """The suite's app, with its signing key in the test's own folder."""
    app = create_app(_settings(database_url, CERTIFICATE_KEY=str(key_file)))
    if POSTGRES_URL:
        _empty_postgres(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def wiped(disk: dict, **changes) -> dict:
    """An erasure record in the new fields, meeting the default policy."""
    return {
        "disk": disk["id"],
        "technique": TECHNIQUE[disk["kind"]],
        "passes": 1,
        "tool": "nwipe",
        "tool_version": "0.38",
        "verification": "full",
        "verification_result": "passed",
        "hidden_areas": "yes",
        "outcome": "erased",
        "started_at": "2026-11-28T09:00:00+01:00",
        "finished_at": "2026-11-28T09:40:00+01:00",
        **changes,
    }


def erase(world, device: dict) -> list[int]:
    ids = []
    for disk in device["disks"]:
        response = world.repair.post(
            f"/devices/{device['asset_tag']}/erasures", json=wiped(disk)
        )
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


def wipe(world, device: dict) -> list[int]:
    """start_wipe, one passed erasure per disk, finish_wipe."""
    tag = device["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    ids = erase(world, device)
    world.ok(world.repair.act(tag, "finish_wipe"))
    return ids


def donation(world, donor: str = "Bakkerij Peeters NV") -> int:
    response = world.coordinator.post(
        "/donations", json={"donor": donor, "received_on": "2026-11-03"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def pdf_of(response) -> tuple[dict, str, str]:
    """The signed JSON (parsed and as text) and signature inside a PDF answer."""
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    payload_json, signature = extract(response.data)
    return json.loads(payload_json), payload_json, signature


def public_key(app):
    return load_or_create_key(app.config["CERTIFICATE_KEY"]).public_key()


def stored(app, number: str) -> Certificate:
    with app.app_context():
        return db.session.scalar(sa.select(Certificate).filter_by(number=number))


def verify_upload(client, data: bytes, name: str = "certificaat.pdf"):
    return client.post(
        "/api/v1/verify",
        data={"certificate": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- the donor's story ---------------------------------------------------------------


def test_an_erased_device_gets_a_signed_certificate_whose_number_is_in_the_database(
    world, client
):
    gift = donation(world)
    device = world.intake(
        donation=gift,
        disks=[
            {"kind": "ssd", "serial": "S1", "size_gb": 256, "model": "PM871"},
            {"kind": "hdd", "serial": "H1", "size_gb": 500, "interface": "sata"},
        ],
    )
    tag = device["asset_tag"]
    records = wipe(world, device)

    response = world.coordinator.get(f"/devices/{tag}/certificate.pdf")
    payload, payload_json, signature = pdf_of(response)

    assert verify(payload_json, signature, public_key(world.app))
    number = payload["number"]
    assert parse_number(number).canonical == number
    assert number in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].startswith("attachment")
    row = stored(world.app, number)
    assert (row.payload, row.signature, row.pdf) == (
        payload_json,
        signature,
        response.data,
    )
    assert (row.scope, row.language, row.key_id) == ("device", "nl", payload["key_id"])
    assert payload["key_id"] == key_id(public_key(world.app))
    assert payload["verify_url"] == f"http://localhost/verify/{number}"
    assert payload["organisation"]["name"] == "Digibank Gent"
    assert payload["donor"]["name"] == "Bakkerij Peeters NV"
    assert (payload["scope"], payload["language"]) == ("device", "nl")
    [certified] = payload["devices"]
    assert (certified["tag"], certified["model"]) == (tag, "ThinkPad T480")
    ssd, hdd = certified["disks"]
    assert [ssd["erasure"], hdd["erasure"]] == records
    assert (ssd["serial"], ssd["media"], ssd["method"], ssd["technique"]) == (
        "S1",
        "ssd",
        "purge",
        "ata_sanitize_block",
    )
    assert (hdd["media"], hdd["method"], hdd["passes"], hdd["hidden_areas"]) == (
        "hdd",
        "clear",
        1,
        "handled",
    )
    assert ssd["operator"] == "repair@example.be" and ssd["outcome"] == "erased"
    assert "pending" not in payload
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages
    )
    assert number in text and "Bakkerij Peeters NV" in text and "S1" in text


def test_asking_again_gives_the_same_certificate_and_another_language_its_own(world):
    device = world.intake()
    wipe(world, device)
    tag = device["asset_tag"]

    first = pdf_of(world.coordinator.get(f"/devices/{tag}/certificate.pdf"))[0]
    again = world.repair.get(f"/devices/{tag}/certificate.pdf")
    assert pdf_of(again)[0] == first
    english = pdf_of(world.coordinator.get(f"/devices/{tag}/certificate.pdf?lang=en"))[
        0
    ]
    assert english["language"] == "en" and english["number"] != first["number"]
    assert english["devices"] == first["devices"]
    dutch = world.client.get(f"/api/v1/verify/{first['number']}").get_json()
    assert dutch["certificate"]["superseded_by"] is None  # a translation, not newer
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 2
    unknown = world.coordinator.get(f"/devices/{tag}/certificate.pdf?lang=de")
    assert unknown.status_code == 422
    assert "lang" in unknown.get_json()["error"]["details"]["fields"]


def test_another_wipe_gives_a_new_number_and_the_old_one_says_it_was_superseded(
    world, client
):
    device = world.intake()
    tag = device["asset_tag"]
    first_records = wipe(world, device)
    first = pdf_of(world.coordinator.get(f"/devices/{tag}/certificate.pdf"))[0]

    # Repaired after the wipe: wiped again before it may go to QC.
    world.ok(world.repair.act(tag, "send_to_repair", {"reason": "nieuw moederbord"}))
    world.ok(world.repair.act(tag, "finish_repair"))
    second_records = wipe(world, device)
    second = pdf_of(world.coordinator.get(f"/devices/{tag}/certificate.pdf"))[0]

    assert second["number"] != first["number"]
    assert parse_number(second["number"]).sequence == (
        parse_number(first["number"]).sequence + 1
    )
    assert [d["erasure"] for d in first["devices"][0]["disks"]] == first_records
    assert [d["erasure"] for d in second["devices"][0]["disks"]] == second_records
    old = client.get(f"/api/v1/verify/{first['number']}").get_json()
    assert old["status"] == "genuine"
    assert old["certificate"]["superseded_by"] == second["number"]
    new = client.get(f"/api/v1/verify/{second['number']}").get_json()
    assert new["certificate"]["superseded_by"] is None


def test_the_donor_checks_a_number_without_logging_in(world, client):
    gift = donation(world)
    device = world.intake(donation=gift)
    wipe(world, device)
    number = pdf_of(
        world.coordinator.get(f"/devices/{device['asset_tag']}/certificate.pdf")
    )[0]["number"]

    for typed in (number, number.lower(), f"  {number.replace('-', ' ')} "):
        answer = client.get(f"/api/v1/verify/{typed}")
        assert answer.status_code == 200, (typed, answer.get_json())
    checked = answer.get_json()
    assert (checked["status"], checked["genuine"], checked["number"]) == (
        "genuine",
        True,
        number,
    )
    summary = checked["certificate"]
    # numbers can be guessed and a donor may be a person: initials only
    assert summary["donor"] == {
        "name": "B. P. N.",
        "reference": f"#{gift}, 2026-11-03",
    }
    assert summary["organisation"] == {"name": "Digibank Gent"}
    assert (summary["scope"], summary["device_count"], summary["pending_count"]) == (
        "device",
        1,
        0,
    )
    assert summary["devices"] == [
        {
            "tag": device["asset_tag"],
            "make": "Lenovo",
            "model": "ThinkPad T480",
            "disks": [
                {
                    "media": "ssd",
                    "level": "purge",
                    "technique": "ata_sanitize_block",
                    "outcome": "erased",
                    "finished_on": "2026-11-28",
                }
            ],
        }
    ]
    assert "S1" not in json.dumps(checked)  # no serials, no operators
    assert "repair@example.be" not in json.dumps(checked)

    last = number[-1]
    typo = number[:-1] + ("2" if last != "2" else "3")
    answer = client.get(f"/api/v1/verify/{typo}")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["details"]["problem"] == "typo" and "typo" in error["message"]
    answer = client.get("/api/v1/verify/hallo")
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"]["problem"] == "malformed"
    never = make_number(2026, 999_999)
    answer = client.get(f"/api/v1/verify/{never}")
    assert answer.status_code == 404 and never in answer.get_json()["error"]["message"]
    with world.app.app_context():
        assert verifying.check_number(never).status == "unknown"
        assert verifying.check_number(typo).status == "typo"
        assert verifying.check_number(number).genuine
        assert verifying.check_number(f"https://x.be/verify/{number}").genuine


def test_the_donor_uploads_the_pdf_and_learns_whether_it_was_changed(world, client):
    device = world.intake(donation=donation(world))
    wipe(world, device)
    pdf = world.coordinator.get(f"/devices/{device['asset_tag']}/certificate.pdf").data
    payload_json, signature = extract(pdf)
    number = json.loads(payload_json)["number"]

    genuine = verify_upload(client, pdf)
    assert genuine.status_code == 200
    assert genuine.get_json()["status"] == "genuine"
    assert genuine.get_json()["certificate"]["number"] == number
    # the uploader holds the PDF, so the name in it is no secret to them
    assert genuine.get_json()["certificate"]["donor"]["name"] == "Bakkerij Peeters NV"

    # One byte of the embedded JSON changed (it is stored uncompressed).
    assert pdf.count(b'"serial":"S1"') == 1
    changed = pdf.replace(b'"serial":"S1"', b'"serial":"S7"')
    answer = verify_upload(client, changed).get_json()
    assert (answer["status"], answer["genuine"]) == ("tampered", False)
    assert answer["certificate"] is None

    with world.app.app_context():
        key = certifying.signing_key()
        # Signed with our key under a number we never issued.
        made_up = {**json.loads(payload_json), "number": make_number(2026, 424242)}
        assert (
            verify_upload(client, render_certificate(made_up, key)).get_json()["status"]
            == "unknown"
        )
        # Signed with our key, our number, but not what we issued under it.
        other = {**json.loads(payload_json), "donor": {"name": "Iemand Anders"}}
        answer = verify_upload(client, render_certificate(other, key)).get_json()
        assert answer["status"] == "tampered" and number in answer["message"]
        assert verifying.check_pdf(pdf).genuine
    # Someone else's key, claiming to be ours or not.
    forged = render_certificate(json.loads(payload_json), Ed25519PrivateKey.generate())
    assert verify_upload(client, forged).get_json()["status"] == "tampered"
    foreign = {**json.loads(payload_json), "key_id": "0123456789abcdef"}
    answer = verify_upload(
        client, render_certificate(foreign, Ed25519PrivateKey.generate())
    )
    assert answer.get_json()["status"] == "tampered"  # it claims our number
    foreign["number"] = make_number(2026, 31337)
    answer = verify_upload(
        client, render_certificate(foreign, Ed25519PrivateKey.generate())
    )
    assert answer.get_json()["status"] == "other_key"
    published = client.get("/api/v1/verify/public-key").get_json()
    assert published["key_id"] == json.loads(payload_json)["key_id"]
    assert verify(payload_json, signature, published["public_key_pem"])

    for not_a_certificate in (b"hello", b"%PDF-1.4\n%%EOF", b"\x89PNG\r\n\x1a\n" * 20):
        answer = verify_upload(client, not_a_certificate)
        assert answer.status_code == 200
        assert answer.get_json()["status"] == "not_a_certificate"
    empty = verify_upload(client, b"")
    assert empty.status_code == 422
    assert empty.get_json()["error"]["details"]["fields"] == {"certificate": ["empty"]}
    missing = client.post("/api/v1/verify", data={"file": (io.BytesIO(pdf), "c.pdf")})
    assert missing.status_code == 422
    assert "certificate" in missing.get_json()["error"]["details"]["fields"]
    not_multipart = client.post("/api/v1/verify", json={"certificate": "x"})
    assert not_multipart.status_code == 422
    too_big = verify_upload(client, b"%PDF" + b"0" * verifying.MAX_UPLOAD_BYTES)
    assert too_big.status_code == 413
    assert too_big.get_json()["error"]["code"] == "payload_too_large"


def test_nothing_about_the_borrower_is_in_the_certificate_or_its_check(world, client):
    device = world.lent_device()
    tag = device["asset_tag"]
    world.ok(world.desk.act(tag, "return"))

    response = world.coordinator.get(f"/devices/{tag}/certificate.pdf")
    payload, payload_json, _ = pdf_of(response)
    answers = [
        client.get(f"/api/v1/verify/{payload['number']}").get_data(as_text=True),
        verify_upload(client, response.data).get_data(as_text=True),
        world.coordinator.get(f"/certificates/{payload['number']}").get_data(
            as_text=True
        ),
    ]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    for shown in (payload_json, text, *answers):
        for borrower_data in ("B-0042", "Lena", "borrower", "loan", "Krook", "due"):
            assert borrower_data.lower() not in shown.lower(), borrower_data
    # The wipe before the loan erased the donor's data: the return does not undo it.
    assert payload["devices"][0]["tag"] == tag


# --- the coordinator's story ---------------------------------------------------------


def test_a_device_not_yet_erased_gets_no_certificate_and_the_answer_says_why(world):
    device = world.intake()
    tag = device["asset_tag"]

    def refused(reason: str, words: str):
        response = world.coordinator.get(f"/devices/{tag}/certificate.pdf")
        assert response.status_code == 409, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "not_erased"
        assert words in error["message"], error["message"]
        assert error["details"]["pending"][0]["tag"] == tag
        assert error["details"]["pending"][0]["reason"] == reason

    refused("not_started", "has not been wiped yet")
    world.ok(world.repair.act(tag, "start_wipe"))
    refused("in_progress", "is being wiped")
    erase(world, device)
    world.ok(world.repair.act(tag, "finish_wipe"))
    # A disk found after the wipe: not covered until it is erased too.
    added = world.repair.post(
        f"/devices/{tag}/disks", json={"kind": "nvme", "serial": "N9"}
    )
    assert added.status_code == 201, added.get_json()
    refused("not_enough", "N9: no erasure recorded")
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(CertificateCounter.year))) == 0
    assert world.desk.get(f"/devices/{tag}/certificate.pdf").status_code == 403
    assert world.client.get(f"/api/v1/devices/{tag}/certificate.pdf").status_code == 401
    assert (
        world.coordinator.get("/devices/DB-999999X/certificate.pdf").status_code == 404
    )


def test_a_scrapped_device_whose_disk_was_shredded_is_certified_as_destroyed(world):
    device = world.intake(disks=[{"kind": "nvme", "serial": "N1"}])
    tag = device["asset_tag"]
    shredded = world.repair.post(
        f"/devices/{tag}/erasures",
        json=wiped(
            device["disks"][0],
            technique="shred",
            verification="none",
            verification_result=None,
        ),
    )
    assert shredded.status_code == 201, shredded.get_json()
    world.ok(world.coordinator.act(tag, "scrap", {"reason": "moederbord defect"}))

    payload = pdf_of(world.coordinator.get(f"/devices/{tag}/certificate.pdf"))[0]
    [disk] = payload["devices"][0]["disks"]
    assert (disk["serial"], disk["method"], disk["technique"]) == (
        "N1",
        "destroy",
        "shred",
    )
    assert disk["erasure"] == shredded.get_json()["id"]


def test_a_disk_taken_out_is_listed_only_when_it_was_erased_before(world):
    device = world.intake(
        disks=[
            {"kind": "ssd", "serial": "KEEP"},
            {"kind": "hdd", "serial": "DEAD"},
            {"kind": "hdd", "serial": "SHRED"},
        ]
    )
    tag = device["asset_tag"]
    keep, dead, shred = device["disks"]
    world.ok(world.repair.act(tag, "start_wipe"))
    for disk, changes in ((keep, {}), (shred, {"technique": "shred"})):
        response = world.repair.post(
            f"/devices/{tag}/erasures", json=wiped(disk, **changes)
        )
        assert response.status_code == 201, response.get_json()
    for disk in (dead, shred):  # a dead disk and a shredded one, both taken out
        response = world.client.delete(
            f"/api/v1/devices/{tag}/disks/{disk['id']}", headers=world.repair.headers
        )
        assert response.status_code == 200, response.get_json()
    world.ok(world.repair.act(tag, "finish_wipe"))

    payload = pdf_of(world.coordinator.get(f"/devices/{tag}/certificate.pdf"))[0]
    listed = {
        d["serial"]: (d["method"], d["removed"]) for d in payload["devices"][0]["disks"]
    }
    assert listed == {"KEEP": ("purge", False), "SHRED": ("destroy", True)}


def test_a_batch_certificate_covers_the_erased_devices_and_lists_the_rest_as_pending(
    world, client
):
    gift = donation(world, "Sint-Jozefscollege")
    done = [world.intake(donation=gift, serial=f"PF{i}") for i in range(2)]
    waiting = world.intake(donation=gift, serial="PF9")
    wiping = world.intake(donation=gift, serial="PF8")
    world.intake(serial="NOT-IN-BATCH")

    nothing = world.coordinator.get(f"/donations/{gift}/certificate.pdf")
    assert nothing.status_code == 409
    assert (
        "no device of this donation is erased yet"
        in nothing.get_json()["error"]["message"]
    )
    assert len(nothing.get_json()["error"]["details"]["pending"]) == 4

    for device in done:
        wipe(world, device)
    world.ok(world.repair.act(wiping["asset_tag"], "start_wipe"))
    response = world.coordinator.get(f"/donations/{gift}/certificate.pdf")
    payload, payload_json, signature = pdf_of(response)
    assert verify(payload_json, signature, public_key(world.app))
    assert payload["scope"] == "batch"
    assert payload["donor"]["name"] == "Sint-Jozefscollege"
    assert sorted(d["tag"] for d in payload["devices"]) == sorted(
        d["asset_tag"] for d in done
    )
    assert {p["tag"]: p["reason"] for p in payload["pending"]} == {
        waiting["asset_tag"]: "not_started",
        wiping["asset_tag"]: "in_progress",
    }
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "nog niet gewist" in text and "wissen bezig" in text
    row = stored(world.app, payload["number"])
    assert (row.scope, row.donation_id, row.device_id) == ("batch", gift, None)
    summary = client.get(f"/api/v1/verify/{payload['number']}").get_json()[
        "certificate"
    ]
    assert (summary["device_count"], summary["pending_count"]) == (2, 2)
    assert {p["reason"] for p in summary["pending"]} == {"not_started", "in_progress"}

    # Asking again: the same; one more device erased: a new certificate.
    assert world.repair.get(f"/donations/{gift}/certificate.pdf").data == response.data
    erase(world, wiping)
    world.ok(world.repair.act(wiping["asset_tag"], "finish_wipe"))
    later = pdf_of(world.coordinator.get(f"/donations/{gift}/certificate.pdf?lang=fr"))[
        0
    ]
    assert later["number"] != payload["number"] and len(later["devices"]) == 3
    assert [p["tag"] for p in later["pending"]] == [waiting["asset_tag"]]
    assert world.coordinator.get("/donations/999/certificate.pdf").status_code == 404


def test_issued_certificates_are_listed_and_each_can_be_fetched_again(world):
    gift = donation(world)
    device = world.intake(donation=gift)
    other = world.intake()
    wipe(world, device)
    wipe(world, other)
    tag = device["asset_tag"]
    mine = world.coordinator.get(f"/devices/{tag}/certificate.pdf")
    world.coordinator.get(f"/devices/{other['asset_tag']}/certificate.pdf")
    batch = world.coordinator.get(f"/donations/{gift}/certificate.pdf")
    number = pdf_of(mine)[0]["number"]

    listed = world.coordinator.get("/certificates").get_json()
    assert listed["total"] == 3 and listed["items"][-1]["number"] == number
    first = listed["items"][-1]
    assert (first["scope"], first["device"], first["donation"], first["language"]) == (
        "device",
        tag,
        gift,
        "nl",
    )
    assert first["pdf"] == f"/api/v1/certificates/{number}/certificate.pdf"
    assert "payload" not in first
    by_device = world.repair.get(f"/certificates?device={tag.lower()}").get_json()
    assert [c["number"] for c in by_device["items"]] == [number]
    by_batch = world.coordinator.get(f"/certificates?donation={gift}&scope=batch")
    assert [c["scope"] for c in by_batch.get_json()["items"]] == ["batch"]
    assert world.coordinator.get("/certificates?device=nonsense").status_code == 422

    detail = world.coordinator.get(f"/certificates/{number.lower()}").get_json()
    assert detail["payload"] == pdf_of(mine)[0]
    assert detail["signature"] == pdf_of(mine)[2]
    again = world.coordinator.get(detail["pdf"].removeprefix("/api/v1"))
    assert again.data == mine.data and number in again.headers["Content-Disposition"]
    assert (
        world.coordinator.get(f"/certificates/{make_number(2026, 77)}").status_code
        == 404
    )
    assert world.coordinator.get("/certificates/rubbish").status_code == 404
    assert world.desk.get("/certificates").status_code == 403
    assert pdf_of(batch)[0]["scope"] == "batch"


def test_numbers_are_handed_out_once_even_when_asked_at_the_same_moment(app):
    threads, per_thread, numbers, errors = 6, 5, [], []
    barrier = threading.Barrier(threads)

    def take():
        try:
            with app.app_context():
                barrier.wait()
                for _ in range(per_thread):
                    numbers.append(certifying.allocate_number(2026))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=take) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors
    assert sorted(numbers) == [
        make_number(2026, n) for n in range(1, threads * per_thread + 1)
    ]
    with app.app_context():
        assert certifying.allocate_number(2027) == make_number(2027, 1)


def test_six_people_asking_for_one_certificate_at_once_get_the_same_one(world):
    device = world.intake()
    wipe(world, device)
    path = f"/api/v1/devices/{device['asset_tag']}/certificate.pdf"
    barrier, answers = threading.Barrier(6), []

    def ask():
        client = world.app.test_client()
        barrier.wait()
        answers.append(client.get(path, headers=world.coordinator.headers))

    askers = [threading.Thread(target=ask) for _ in range(6)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(timeout=120)
    numbers = {pdf_of(answer)[0]["number"] for answer in answers}
    assert len(answers) == 6 and len(numbers) == 1, numbers
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_the_key_is_made_once_in_the_instance_folder_and_kept_across_restarts(
    database_url, tmp_path, monkeypatch
):
    monkeypatch.setenv("ASSETTRACK_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("ASSETTRACK_CERTIFICATE_KEY", raising=False)
    ids = []
    for _ in range(2):  # two starts of the service
        app = create_app(_settings(database_url))
        with app.app_context():
            ids.append(key_id(certifying.signing_key()))
            db.engine.dispose()
    path = tmp_path / "instance" / "certificate-signing-key.pem"
    assert app.config["CERTIFICATE_KEY"] == str(path)
    assert ids[0] == ids[1] == key_id(load_or_create_key(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_certificates_signed_with_a_replaced_key_still_check_out(world, client):
    device = world.intake()
    wipe(world, device)
    pdf = world.coordinator.get(f"/devices/{device['asset_tag']}/certificate.pdf").data
    number = json.loads(extract(pdf)[0])["number"]
    world.app.config["CERTIFICATE_KEY"] = str(world.app.config["CERTIFICATE_KEY"]) + "2"
    world.app.extensions.pop("assettrack.certificate_key")  # as after a restart

    assert verify_upload(client, pdf).get_json()["status"] == "genuine"
    assert client.get(f"/api/v1/verify/{number}").get_json()["status"] == "genuine"
    # Asking again: signed with the new key, so a new certificate.
    again = pdf_of(
        world.coordinator.get(f"/devices/{device['asset_tag']}/certificate.pdf")
    )
    assert again[0]["number"] != number
    assert again[0]["key_id"] != json.loads(extract(pdf)[0])["key_id"]


def test_a_configured_key_signs_the_certificates(world, key_file, monkeypatch):
    assert key_file.exists() is False
    device = world.intake()
    wipe(world, device)
    payload, payload_json, signature = pdf_of(
        world.coordinator.get(f"/devices/{device['asset_tag']}/certificate.pdf")
    )
    key = load_or_create_key(key_file)  # the file the app made
    assert payload["key_id"] == key_id(key) and verify(payload_json, signature, key)
    monkeypatch.setenv("ASSETTRACK_CERTIFICATE_KEY", "/etc/assettrack/signing.pem")
    configured = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert configured.config["CERTIFICATE_KEY"] == "/etc/assettrack/signing.pem"


def test_the_public_check_is_rate_limited_per_address(world, client):
    world.app.config["VERIFY_RATE_LIMIT"] = 3
    number = make_number(2026, 5)
    for _ in range(3):
        assert client.get(f"/api/v1/verify/{number}").status_code == 404
    limited = client.get(f"/api/v1/verify/{number}")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert verify_upload(client, b"x").status_code == 429
    other = client.get(
        f"/api/v1/verify/{number}", environ_base={"REMOTE_ADDR": "192.0.2.7"}
    )
    assert other.status_code == 404


# --- with Redis: the certificate is made by an rq worker -----------------------------


@pytest.fixture
def redis_app(app):
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis at {REDIS_URL}: {exc}")
    connection.flushdb()
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RQ_QUEUE": "assettrack-test-certificates",
            "REDIS_URL": REDIS_URL,
            "CERTIFICATE_KEY": app.config["CERTIFICATE_KEY"],
        }
    )
    yield other
    with other.app_context():
        db.engine.dispose()
    connection.flushdb()
    connection.close()


def test_a_certificate_is_made_by_the_worker_and_polled_until_done(world, redis_app):
    device = world.intake()
    wipe(world, device)
    tag = device["asset_tag"]
    coordinator = redis_app.test_client()
    headers = world.coordinator.headers

    started = coordinator.get(f"/api/v1/devices/{tag}/certificate.pdf", headers=headers)
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert (job["kind"], job["status"], job["result"]) == (
        "certificate",
        "queued",
        None,
    )
    assert started.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    with redis_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0

    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    done = coordinator.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert (done["status"], done["done"], done["total"]) == ("finished", 1, 1)
    made = coordinator.get(done["result"], headers=headers)
    payload, payload_json, signature = pdf_of(made)
    assert verify(payload_json, signature, public_key(redis_app))
    again = coordinator.get(f"/api/v1/devices/{tag}/certificate.pdf", headers=headers)
    assert again.status_code == 200 and again.data == made.data
    assert stored(redis_app, payload["number"]).pdf == made.data
