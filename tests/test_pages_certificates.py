"""Erasure certificates on the web pages: staff download them, donors check them.

Through Flask's test client, in Dutch unless said otherwise. A coordinator or a
repair partner downloads a device's or a batch's certificate from its page (or
reads why there is none yet); a donor, without logging in, opens the QR code's
/verify page or uploads the PDF. Real database, real signed PDFs read back.
"""

import io
import json
import re
import uuid
from urllib.parse import unquote
from urllib.parse import urlsplit

import pytest
import redis
import sqlalchemy as sa
from conftest import POSTGRES_URL
from conftest import REDIS_URL
from conftest import _empty_postgres
from conftest import _settings
from conftest import unavailable

from assettrack import verifying
from assettrack.app import create_app
from assettrack.certificates.numbers import make_number
from assettrack.certificates.render import extract
from assettrack.extensions import db
from assettrack.models import Certificate
from tests.browser import Visitor

DONOR = "Bakkerij Peeters NV"
SECRETS = ("PF-SERIAL-88", "WD-SERIAL-77", "repair@example.be", "B-0042", "Lena")


@pytest.fixture
def app(database_url, tmp_path):
    """The suite's app, signing certificates with a key in the test's own folder."""
    key = tmp_path / "keys" / "signing.pem"
    app = create_app(_settings(database_url, CERTIFICATE_KEY=str(key)))
    if POSTGRES_URL:
        _empty_postgres(app)
    yield app
    with app.app_context():
        db.engine.dispose()


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(response) -> list[str]:
    return re.findall(r'<p class="flash \w+" role="\w+">([^<]*)</p>', text(response))


def donation(world, donor: str = DONOR) -> int:
    response = world.coordinator.post(
        "/donations", json={"donor": donor, "received_on": "2026-11-03"}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def laptop(world, gift: int) -> dict:
    return world.intake(
        donation=gift,
        serial="PF-SERIAL-88",
        disks=[{"kind": "ssd", "serial": "WD-SERIAL-77", "size_gb": 256}],
    )


def wipe(world, device: dict) -> None:
    tag = device["asset_tag"]
    world.ok(world.repair.act(tag, "start_wipe"))
    world.erase_all(device)
    world.ok(world.repair.act(tag, "finish_wipe"))


def signed(pdf: bytes) -> dict:
    """The certificate data signed into a PDF."""
    assert pdf.startswith(b"%PDF")
    payload_json, _signature = extract(pdf)
    return json.loads(payload_json)


def stored(app, number: str) -> Certificate | None:
    with app.app_context():
        return db.session.scalar(sa.select(Certificate).filter_by(number=number))


def certificate_of(world, tag: str) -> tuple[bytes, dict]:
    response = world.coordinator.get(f"/devices/{tag}/certificate.pdf")
    assert response.status_code == 200, response.get_json()
    return response.data, signed(response.data)


def upload(client, data: bytes, name: str = "certificaat.pdf"):
    return client.post(
        "/verify",
        data={"certificate": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


# --- staff: the certificate on the device page ------------------------------------


def test_a_coordinator_downloads_an_erased_devices_certificate_from_its_page(
    web, world, app
):
    device = laptop(world, donation(world))
    tag = device["asset_tag"]
    wipe(world, device)
    visitor = web.visitor("coordinator")

    page = text(visitor.get(f"/devices/{tag}"))
    assert "Certificaat downloaden" in page
    assert f'action="/devices/{tag}/certificate.pdf"' in page
    assert '<option selected value="nl">Nederlands</option>' in page

    response = visitor.get(f"/devices/{tag}/certificate.pdf?language=nl")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    payload = signed(response.data)
    number = payload["number"]
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{number}.pdf"'
    row = stored(app, number)
    assert (row.scope, row.language, row.pdf) == ("device", "nl", response.data)
    assert payload["verify_url"] == f"http://localhost/verify/{number}"
    assert payload["devices"][0]["tag"] == tag
    # The page lists it; asking again gives the same certificate.
    page = text(visitor.get(f"/devices/{tag}"))
    assert "Uitgereikte certificaten" in page and number in page
    assert visitor.get(f"/devices/{tag}/certificate.pdf").data == response.data
    kept = visitor.get(f"/certificates/{number}.pdf")
    assert kept.status_code == 200 and kept.data == response.data


def test_the_certificate_language_is_the_pages_unless_chosen(web, world):
    device = laptop(world, donation(world))
    tag = device["asset_tag"]
    wipe(world, device)
    visitor = web.visitor("repair")

    french_page = text(visitor.get(f"/devices/{tag}?lang=fr"))
    assert "Télécharger le certificat" in french_page
    assert '<option selected value="fr">Français</option>' in french_page
    french = visitor.get(f"/devices/{tag}/certificate.pdf")
    assert signed(french.data)["language"] == "fr"
    english = visitor.get(f"/devices/{tag}/certificate.pdf?language=en")
    assert signed(english.data)["language"] == "en"
    odd = visitor.get(f"/devices/{tag}/certificate.pdf?language=de")
    assert signed(odd.data)["language"] == "fr"  # not ours: the page's language


def test_a_device_not_yet_erased_says_why_in_dutch_and_offers_no_download(web, world):
    device = laptop(world, donation(world))
    tag = device["asset_tag"]
    visitor = web.visitor("coordinator")

    page = text(visitor.get(f"/devices/{tag}"))
    assert "Nog geen certificaat: nog niet gewist." in page
    assert "Certificaat downloaden" not in page

    response = visitor.get(f"/devices/{tag}/certificate.pdf")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/devices/{tag}"
    assert flashes(visitor.get(f"/devices/{tag}")) == [
        f"Nog geen certificaat voor {tag}: nog niet gewist."
    ]
    world.ok(world.repair.act(tag, "start_wipe"))
    assert "Nog geen certificaat: wordt nog gewist." in text(
        visitor.get(f"/devices/{tag}")
    )
    with world.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0


def test_only_coordinators_and_repair_partners_get_certificates(web, world):
    device = laptop(world, donation(world))
    tag = device["asset_tag"]
    wipe(world, device)
    desk = web.visitor("desk")

    assert "Certificaat downloaden" not in text(desk.get(f"/devices/{tag}"))
    assert desk.get(f"/devices/{tag}/certificate.pdf").status_code == 403
    anonymous = web.visitor().get(f"/devices/{tag}/certificate.pdf")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    for role in ("repair", "admin"):
        response = web.visitor(role).get(f"/devices/{tag}/certificate.pdf")
        assert response.mimetype == "application/pdf", role


# --- staff: the batch certificate ---------------------------------------------------


def test_the_batch_page_counts_erased_devices_and_says_why_the_others_wait(
    web, world, app
):
    gift = donation(world)
    first, second, third = (laptop(world, gift) for _ in range(3))
    wipe(world, first)
    world.ok(world.repair.act(second["asset_tag"], "start_wipe"))
    visitor = web.visitor("coordinator")

    page = text(visitor.get(f"/donations/{gift}"))
    assert "Gewist: 1 van 3 toestellen. Nog niet gewist: 2." in page
    panel = page[page.index('id="certificate-heading"') :]
    pending = dict(
        re.findall(r'class="tag"[^>]*>([^<]+)</a></td>\s*<td>([^<]+)<', panel)
    )
    assert pending == {
        second["asset_tag"]: "wordt nog gewist",
        third["asset_tag"]: "nog niet gewist",
    }
    assert "Partijcertificaat downloaden" in page

    response = visitor.get(f"/donations/{gift}/certificate.pdf")
    payload = signed(response.data)
    assert [d["tag"] for d in payload["devices"]] == [first["asset_tag"]]
    assert {p["tag"]: p["reason"] for p in payload["pending"]} == {
        second["asset_tag"]: "in_progress",
        third["asset_tag"]: "not_started",
    }
    assert stored(app, payload["number"]).scope == "batch"

    # One more device erased: a new certificate, the first one superseded.
    world.erase_all(second)
    world.ok(world.repair.act(second["asset_tag"], "finish_wipe"))
    newer = signed(visitor.get(f"/donations/{gift}/certificate.pdf").data)
    assert newer["number"] != payload["number"]
    page = text(visitor.get(f"/donations/{gift}"))
    assert "Gewist: 2 van 3 toestellen. Nog niet gewist: 1." in page
    assert f"vervangen door {newer['number']}" in page
    assert page.index(newer["number"]) < page.index(f">{payload['number']}<")


def test_a_batch_with_nothing_erased_offers_no_certificate_yet(web, world):
    gift = donation(world)
    laptop(world, gift)
    visitor = web.visitor("repair")

    page = text(visitor.get(f"/donations/{gift}"))
    assert "Nog geen toestel van deze partij is gewist" in page
    assert "Partijcertificaat downloaden" not in page
    response = visitor.get(f"/donations/{gift}/certificate.pdf")
    assert response.headers["Location"] == f"/donations/{gift}"


# --- the donor: /verify by number ---------------------------------------------------


def test_the_qr_codes_page_says_genuine_with_what_a_donor_needs(web, world, client):
    gift = donation(world)
    device = laptop(world, gift)
    wipe(world, device)
    payload = certificate_of(world, device["asset_tag"])[1]
    number = payload["number"]
    path = payload["verify_url"].removeprefix("http://localhost")
    assert path == f"/verify/{number}"

    response = client.get(path)

    assert response.status_code == 200
    page = text(response)
    assert '<section class="verdict verdict-genuine"' in page
    assert "Echt" in page and number in page
    assert "B. P. N." in page and DONOR not in page  # initials only
    assert f"#{gift}, 2026-11-03" in page
    assert "Digibank Gent" in page
    assert device["asset_tag"] in page and "ThinkPad T480" in page
    assert "SATA-SSD" in page and "Purge" in page and "28 nov 2026" in page
    for secret in SECRETS:
        assert secret not in page, secret
    assert "<script" not in page  # the verdict needs no JavaScript
    assert "Authentique" in text(client.get(f"{path}?lang=fr"))


@pytest.mark.parametrize(
    ("typed", "status", "verdict", "advice"),
    [
        (
            make_number(2026, 999_999),
            404,
            "Niet door ons uitgereikt",
            "Vergelijk het nummer met je certificaat",
        ),
        ("typo", 422, "Controleer het nummer dat je typte", "verkeerd getypt"),
        ("hallo", 422, "Dit is geen certificaatnummer", "EC, het jaar"),
    ],
)
def test_a_number_that_is_not_ours_says_so_and_what_to_do(
    world, client, typed, status, verdict, advice
):
    if typed == "typo":
        number = make_number(2026, 7)
        typed = number[:-1] + ("2" if number[-1] != "2" else "3")

    for response in (
        client.get(f"/verify/{typed}"),
        client.get("/verify", query_string={"number": typed}, follow_redirects=True),
    ):
        assert response.status_code == status
        page = text(response)
        assert verdict in page and advice in page
        assert f'value="{typed}"' in page  # to correct it in place
        assert "verdict-genuine" not in page


def test_a_number_typed_loosely_goes_to_its_one_address(world, client):
    number = make_number(2026, 12)
    loose = number.lower().replace("-", " ")

    typed = client.get("/verify", query_string={"number": f" {loose} "})
    assert typed.status_code == 302
    assert typed.headers["Location"] == f"/verify/{number}"
    lower = client.get(f"/verify/{number.lower()}")
    assert lower.headers["Location"] == f"/verify/{number}"
    assert client.get("/verify").status_code == 200
    assert "<h1>Een wiscertificaat controleren</h1>" in text(client.get("/verify"))


# --- the donor: /verify by upload ---------------------------------------------------


def test_an_uploaded_pdf_is_genuine_changed_or_no_certificate(world, client):
    device = laptop(world, donation(world))
    wipe(world, device)
    pdf, payload = certificate_of(world, device["asset_tag"])

    genuine = upload(client, pdf)  # no CSRF token, no session: a donor's phone
    assert genuine.status_code == 200
    page = text(genuine)
    assert "verdict-genuine" in page and payload["number"] in page
    assert DONOR in page  # the uploader holds the PDF: the name is theirs

    assert pdf.count(DONOR.encode()) == 1  # in the attached JSON, uncompressed
    tampered = upload(client, pdf.replace(DONOR.encode(), b"Bakkerij Peeters BV"))
    assert tampered.status_code == 200
    page = text(tampered)
    assert '<section class="verdict verdict-tampered"' in page
    assert "Dit bestand werd gewijzigd nadat het werd uitgereikt" in page
    assert "verdict-genuine" not in page and "Bakkerij Peeters BV" not in page
    assert f'value="{payload["number"]}"' in page  # one click to the real one

    for junk in (b"hello", b"%PDF-1.4\n%%EOF", b"\x89PNG\r\n\x1a\n" * 20):
        page = text(upload(client, junk, "foto.png"))
        assert "Dit bestand bevat geen certificaat" in page

    empty = upload(client, b"")
    assert empty.status_code == 422 and "Het bestand is leeg." in text(empty)
    missing = client.post("/verify", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Kies het PDF-bestand van het certificaat." in text(missing)
    too_big = upload(client, b"%PDF" + b"0" * verifying.MAX_UPLOAD_BYTES)
    assert too_big.status_code == 413
    assert "groter dan 8 MB" in text(too_big)


def test_after_an_upload_the_language_switcher_leads_back_to_the_form(client):
    page = text(upload(client, b"hello"))

    assert 'href="/verify?lang=fr" lang="fr"' in page
    french = client.post(
        "/verify?lang=fr",
        data={"certificate": (io.BytesIO(b"hello"), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert "Ce fichier ne contient aucun certificat" in text(french)


def test_the_qr_code_holds_the_public_address_of_this_page(web, world, client):
    world.app.config["PUBLIC_URL"] = "https://assets.digibank.example/"
    device = laptop(world, donation(world))
    wipe(world, device)

    pdf = web.visitor("coordinator").get(
        f"/devices/{device['asset_tag']}/certificate.pdf"
    )

    url = urlsplit(signed(pdf.data)["verify_url"])
    assert (url.scheme, url.netloc) == ("https", "assets.digibank.example")
    assert "verdict-genuine" in text(client.get(url.path))


def test_nothing_about_the_borrower_is_on_any_verify_page(web, world, client):
    device = world.lent_device()
    tag = device["asset_tag"]
    world.ok(world.desk.act(tag, "return"))
    pdf, payload = certificate_of(world, tag)
    number = payload["number"]

    pages = [
        text(client.get(f"/verify/{number}")),
        text(upload(client, pdf)),
        text(client.get(f"/verify/{number}?lang=en")),
    ]
    for page in pages:
        assert number in page and "verdict-genuine" in page
        for borrower_data in ("B-0042", "Lena", "Krook", "PF1ABC", "S1<", "@"):
            assert borrower_data not in page, borrower_data


def test_the_public_check_is_rate_limited_with_the_api(world, client):
    world.app.config["VERIFY_RATE_LIMIT"] = 2
    number = make_number(2026, 5)
    assert client.get(f"/verify/{number}").status_code == 404
    assert client.get(f"/api/v1/verify/{number}").status_code == 404

    limited = client.get(f"/verify/{number}")

    assert limited.status_code == 429
    seconds = int(limited.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert f"Probeer opnieuw over {seconds} seconden." in text(limited)
    assert upload(client, b"x").status_code == 429
    assert client.get(f"/api/v1/verify/{number}").status_code == 429
    assert client.get("/verify").status_code == 200  # the form itself is free


# --- the label's short link -------------------------------------------------------


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_labels_short_link_opens_the_device_page_in_a_browser(web, world):
    tag = world.intake()["asset_tag"]
    short = f"/t/{tag.replace('-', '').lower()}"
    phone = web.visitor()

    response = phone.get(short, headers={"Accept": BROWSER})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/devices/{tag}"
    login = phone.get(response.headers["Location"])
    assert unquote(login.headers["Location"]) == f"/login?next=/devices/{tag}"
    logged_in = phone.post(
        login.headers["Location"],
        {"email": "desk@example.be", "password": "werkbank-2026"},
    )
    assert logged_in.headers["Location"] == f"/devices/{tag}"

    misread = phone.get("/t/XX-1", headers={"Accept": BROWSER})
    assert misread.headers["Location"] == "/?tag=XX-1"


@pytest.mark.parametrize("accept", [None, "application/json", "*/*"])
def test_a_labels_short_link_keeps_answering_api_clients(world, client, accept):
    tag = world.intake()["asset_tag"]
    headers = {"Accept": accept} if accept else {}

    response = client.get(f"/t/{tag.replace('-', '')}", headers=headers)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/api/v1/devices/{tag}"
    assert client.get("/t/XX-1", headers=headers).status_code == 404


# --- with Redis: the page waits for the worker ----------------------------------------


@pytest.fixture
def redis_app(app):
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis at {REDIS_URL}: {exc}")
    queue = f"assettrack-test-pages-{uuid.uuid4().hex[:8]}"
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RQ_QUEUE": queue,
            "REDIS_URL": REDIS_URL,
            "CERTIFICATE_KEY": app.config["CERTIFICATE_KEY"],
        }
    )
    yield other
    with other.app_context():
        db.engine.dispose()
    connection.delete(*connection.keys(f"rq:queue:{queue}*") or ["none"])
    connection.close()


def test_with_a_worker_the_download_waits_on_the_jobs_page(web, world, redis_app):
    device = laptop(world, donation(world))
    tag = device["asset_tag"]
    wipe(world, device)
    visitor = Visitor(redis_app.test_client())
    assert visitor.login("coordinator@example.be").status_code == 302

    response = visitor.get(f"/devices/{tag}/certificate.pdf")
    assert response.status_code == 302
    job_page = response.headers["Location"]
    assert job_page.startswith("/jobs/")
    waiting = text(visitor.get(job_page))
    assert "Wiscertificaat" in waiting and "wacht" in waiting
    assert '<meta http-equiv="refresh"' in waiting

    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    ready = text(visitor.get(job_page))
    assert "PDF openen" in ready and 'http-equiv="refresh"' not in ready
    pdf = visitor.get(f"{job_page}/file").data
    assert stored(redis_app, signed(pdf)["number"]).pdf == pdf
