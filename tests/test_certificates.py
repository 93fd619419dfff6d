"""Erasure certificates: the number a donor types, the signature /verify checks,
and the PDF a donor keeps (assettrack/certificates)."""

import base64
import io
import os
import stat

import pypdfium2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fpdf import FPDF
from pypdf import PdfReader

from assettrack.certificates.numbers import NumberError
from assettrack.certificates.numbers import make_number
from assettrack.certificates.numbers import parse_number
from assettrack.certificates.render import extract
from assettrack.certificates.render import render_certificate
from assettrack.certificates.render import verify_url
from assettrack.certificates.signing import load_or_create_key
from assettrack.certificates.signing import public_key_pem
from assettrack.certificates.signing import sign
from assettrack.certificates.signing import verify
from labels.tags import ALPHABET
from scanner.decode import decode

BASE_URL = "https://digibank.example"


def _disk(i: int, **changes) -> dict:
    ssd = i % 2 == 1
    disk = {
        "model": "Samsung PM981" if ssd else "WDC WD5000LPCX",
        "serial": f"DSK{i:05d}",
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
    return disk | changes


def batch_certificate(devices: int = 50, pending: int = 3, **changes) -> dict:
    number = make_number(2026, 123)
    cert = {
        "number": number,
        "scope": "batch",
        "issued_at": "2026-11-29T07:00:00+00:00",
        "language": "nl",
        "verify_url": verify_url(BASE_URL, number),
        "organisation": {"name": "Digibank Gent vzw", "address": "Dok 1, 9000 Gent"},
        "donor": {"name": "Ærø & Šimić NV", "reference": "Schenking 2026-11-03"},
        "devices": [
            {
                "tag": f"DB-{i:06d}",
                "make": "Lenovo",
                "model": "ThinkPad T480",
                "serial": f"PF{i:06d}",
                "disks": [_disk(i)] + ([_disk(1000 + i)] if i % 10 == 0 else []),
            }
            for i in range(devices)
        ],
        "pending": [
            {
                "tag": f"DB-9{i:05d}",
                "make": "HP",
                "model": "EliteBook 840",
                "serial": f"CZ{i:06d}",
                "reason": "in_progress",
            }
            for i in range(pending)
        ],
    }
    return cert | changes


def _serials(cert: dict) -> list[str]:
    serials = []
    for device in cert["devices"]:
        serials.append(device["serial"])
        serials.extend(disk["serial"] for disk in device["disks"])
    return serials


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def batch_pdf(key) -> bytes:
    return render_certificate(batch_certificate(), key)


# signing -----------------------------------------------------------------------


def test_a_signed_certificate_verifies_with_the_services_public_key(key):
    signed = sign(batch_certificate(devices=2), key)

    assert verify(signed.payload_json, signed.signature_b64, key.public_key())
    assert verify(signed.payload_json, signed.signature_b64, public_key_pem(key))


def test_signing_does_not_depend_on_key_order_and_keeps_names_readable(key):
    first = sign({"b": 1, "a": "Šimić"}, key)
    second = sign({"a": "Šimić", "b": 1}, key)

    assert first == second
    assert first.payload_json == '{"a":"Šimić","b":1}'


def test_a_changed_certificate_no_longer_verifies(key):
    signed = sign(batch_certificate(devices=2), key)
    changed = signed.payload_json.replace("DSK00001", "DSK00007")

    assert changed != signed.payload_json
    assert not verify(changed, signed.signature_b64, key.public_key())


def test_a_certificate_signed_with_another_key_is_refused(key):
    forged = sign(batch_certificate(devices=2), Ed25519PrivateKey.generate())

    assert not verify(forged.payload_json, forged.signature_b64, key.public_key())


@pytest.mark.parametrize(
    "payload, signature, public_key",
    [
        ("{}", "not base64!", None),
        ("{}", "", None),
        ("{}", base64.b64encode(b"x" * 63).decode(), None),
        ("{}", base64.b64encode(b"x" * 64).decode(), None),
        ("{}", "é" * 88, None),
        ("\ud800", base64.b64encode(b"x" * 64).decode(), None),
        (None, base64.b64encode(b"x" * 64).decode(), None),
        (b"{}", base64.b64encode(b"x" * 64).decode(), None),
        ("{}", None, None),
        ("{}", 42, None),
        ("{}", base64.b64encode(b"x" * 64).decode(), "not a PEM"),
        ("{}", base64.b64encode(b"x" * 64).decode(), 12345),
        ("{}", base64.b64encode(b"x" * 64).decode(), b"-----BEGIN PUBLIC KEY-----"),
    ],
)
def test_garbage_is_not_a_valid_signature_and_does_not_crash(
    key, payload, signature, public_key
):
    assert verify(payload, signature, public_key or key.public_key()) is False


def test_the_signing_key_is_created_once_private_and_reused(tmp_path):
    path = tmp_path / "instance" / "certificate-key.pem"

    first = load_or_create_key(path)
    written = path.read_bytes()
    again = load_or_create_key(path)

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert written.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert path.read_bytes() == written
    assert public_key_pem(again) == public_key_pem(first)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp left
    signed = sign({"n": 1}, first)
    assert verify(signed.payload_json, signed.signature_b64, again.public_key())


def test_a_key_file_that_is_not_an_ed25519_key_is_refused(tmp_path):
    path = tmp_path / "key.pem"
    path.write_text("hello")

    with pytest.raises(ValueError):
        load_or_create_key(path)


# numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("year, sequence", [(2026, 0), (2026, 123), (2031, 999_999)])
def test_a_printed_number_reads_back(year, sequence):
    number = make_number(year, sequence)
    parsed = parse_number(number)

    assert (parsed.prefix, parsed.year, parsed.sequence) == ("EC", year, sequence)
    assert parsed.canonical == number


def test_numbers_have_a_short_typable_shape():
    assert make_number(2026, 123)[:-1] == "EC-2026-000123"
    assert len(make_number(2026, 123)) == 15
    assert make_number(2026, 1_234_567).startswith("EC-2026-1234567")


def test_a_number_typed_loosely_or_scanned_as_url_is_read():
    number = make_number(2026, 123)
    compact = number.replace("-", "")

    for typed in (
        f"  {number.lower()}\n",
        compact,
        f"EC 2026 000123{number[-1]}",
        number.replace("0", "O"),
        verify_url(BASE_URL, number),
        verify_url(BASE_URL, number) + "/",
    ):
        assert parse_number(typed).canonical == number, typed


def test_every_single_typo_in_a_number_is_refused():
    number = make_number(2026, 4711).replace("-", "")
    for position, typed in enumerate(number):
        for other in ALPHABET:
            if other == typed:
                continue
            typo = number[:position] + other + number[position + 1 :]
            with pytest.raises(NumberError):
                parse_number(typo)


def test_swapping_two_neighbouring_characters_is_refused():
    number = make_number(2026, 4711).replace("-", "")
    for i in range(len(number) - 1):
        if number[i] == number[i + 1]:
            continue
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        with pytest.raises(NumberError):
            parse_number(swapped)


@pytest.mark.parametrize(
    "typed, code",
    [
        ("", "malformed"),
        ("EC-2026-00123", "malformed"),  # a digit dropped
        ("hello world", "malformed"),
        ("DB-000123K", "malformed"),  # an asset tag, not a certificate
    ],
)
def test_text_that_is_not_a_number_says_so(typed, code):
    with pytest.raises(NumberError) as error:
        parse_number(typed)
    assert error.value.code == code


def test_a_typo_is_reported_as_a_typo():
    number = make_number(2026, 123)
    typo = number[:-2] + ("4" if number[-2] != "4" else "5") + number[-1]

    with pytest.raises(NumberError) as error:
        parse_number(typo)
    assert error.value.code == "bad_check"


# the PDF -----------------------------------------------------------------------


def test_the_pdf_carries_exactly_what_was_signed(key, batch_pdf):
    signed = sign(batch_certificate(), key)

    assert extract(batch_pdf) == (signed.payload_json, signed.signature_b64)
    assert verify(*extract(batch_pdf), key.public_key())


def test_a_pdf_with_one_character_changed_in_its_data_fails_verification(
    key, batch_pdf
):
    genuine = b'"serial":"DSK00007"'
    assert batch_pdf.count(genuine) == 1  # the data is stored as written
    tampered = batch_pdf.replace(genuine, b'"serial":"DSK00008"')

    payload, signature = extract(tampered)

    assert "DSK00008" in payload
    assert verify(payload, signature, key.public_key()) is False


def test_a_pdf_signed_by_someone_else_fails_verification(key):
    forged = render_certificate(
        batch_certificate(devices=1), Ed25519PrivateKey.generate()
    )

    assert verify(*extract(forged), key.public_key()) is False


def _plain_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Certificaat van gegevensvernietiging EC-2026-000123B")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    "upload",
    [b"", b"hello", b"%PDF-1.7\n garbage", b"\x00" * 1000, "text", None],
    ids=["empty", "text", "pdf-header-only", "zeros", "str", "none"],
)
def test_an_upload_that_is_not_a_pdf_has_no_certificate(upload):
    assert extract(upload) is None


def test_a_pdf_without_the_signed_data_has_no_certificate(batch_pdf):
    assert extract(_plain_pdf()) is None
    assert extract(batch_pdf[: len(batch_pdf) // 2]) is None


def test_a_50_device_batch_certificate_lists_every_device_and_disk(batch_pdf):
    cert = batch_certificate()
    reader = PdfReader(io.BytesIO(batch_pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)

    assert len(reader.pages) >= 3
    assert "Certificaat van gegevensvernietiging" in text
    assert text.count(cert["number"]) >= len(reader.pages)  # in every footer
    assert "Digibank Gent vzw" in text and "Ærø & Šimić NV" in text
    assert [s for s in _serials(cert) if s not in text] == []
    for device in cert["pending"]:
        assert device["tag"] in text and device["serial"] in text
    assert "Nog niet gewist" in text
    assert "50 toestellen gewist, 3 nog in behandeling" in text


def test_the_qr_code_on_the_certificate_opens_its_verify_page(batch_pdf):
    page = pypdfium2.PdfDocument(batch_pdf)[0]
    image = page.render(scale=300 / 72).to_pil()

    texts = [code.text for code in decode(image)]

    assert verify_url(BASE_URL, make_number(2026, 123)) in texts


def test_the_certificate_is_in_the_donors_language(key):
    english = batch_certificate(devices=1, pending=0, language="en")
    french = batch_certificate(devices=1, pending=0, language="fr")

    def text(cert):
        pdf = render_certificate(cert, key)
        return PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    assert "Certificate of data erasure" in text(english)
    assert "Certificat d'effacement des données" in text(french)
    assert "Not yet erased" not in text(english)


def test_the_same_certificate_renders_to_the_same_file(key, batch_pdf):
    assert render_certificate(batch_certificate(), key) == batch_pdf


def test_a_certificate_renders_on_a_machine_without_dejavu_fonts(key, monkeypatch):
    from assettrack import pdf as documents

    monkeypatch.setattr(documents, "font_files", lambda: None)
    cert = batch_certificate(devices=3, pending=1)

    pdf = render_certificate(cert, key)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)

    assert cert["number"] in text and "DSK00002" in text
    assert "Ærø & ?imi? NV" in text  # Latin-1 only: the rest shows as "?"
    assert extract(pdf) == (sign(cert, key).payload_json, sign(cert, key).signature_b64)
