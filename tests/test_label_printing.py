"""Printing labels and scanning them back through the service (issue 3).

Stories: a repair partner prints one device's label; a coordinator prints a sheet
for a donation or a reserved roll and polls the job; a desk uploads a photo.
"""

import io

import pytest
from PIL import Image

from assettrack import jobs
from assettrack.extensions import db
from scanner.decode import decode


def texts(png: bytes) -> set[str]:
    return {code.text for code in decode(png)}


def test_a_devices_label_scans_back_to_its_tag(world):
    tag = world.intake()["asset_tag"]
    response = world.repair.get(f"/devices/{tag}/label.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    found = texts(response.data)
    assert tag in found  # the Code 128
    assert any(text.endswith("/t/" + tag.replace("-", "")) for text in found)  # the QR


def test_the_labels_qr_code_leads_to_the_device(world, client):
    tag = world.intake()["asset_tag"]
    short = client.get("/t/" + tag.replace("-", "").lower())
    assert short.status_code == 302
    assert short.headers["Location"].endswith(f"/api/v1/devices/{tag}")


def test_an_unknown_label_layout_is_refused(world):
    tag = world.intake()["asset_tag"]
    response = world.repair.get(f"/devices/{tag}/label.png?layout=a4-3x8")
    assert response.status_code == 422
    assert "layout" in response.get_json()["error"]["details"]["fields"]


def finished_sheet(api, body: dict) -> bytes:
    started = api.post("/labels/sheets", json=body)
    assert started.status_code == 202, started.get_json()
    job = api.get(f"/jobs/{started.get_json()['id']}").get_json()
    assert job["status"] == "finished", job
    assert job["done"] == job["total"] > 0
    result = api.client.get(job["result"], headers=api.headers)
    assert result.status_code == 200 and result.mimetype == "application/pdf"
    return result.data


def test_a_sheet_for_a_donation_holds_one_label_per_device(world):
    batch = world.coordinator.post(
        "/donations", json={"donor": "Stad Gent", "received_on": "2026-11-25"}
    ).get_json()
    for _ in range(3):
        world.intake(donation=batch["id"])
    pdf = finished_sheet(
        world.coordinator, {"donation": batch["id"], "layout": "a4-2x7"}
    )
    assert pdf.startswith(b"%PDF")
    assert world.coordinator.get(f"/jobs/{'x' * 36}").status_code == 404


def test_a_reserved_roll_prints_before_its_devices_exist(world):
    roll = world.coordinator.post(
        "/tag-reservations", json={"organisation": world.org_ids["repair"], "count": 30}
    ).get_json()
    pdf = finished_sheet(world.repair, {"reservation": roll["id"]})
    page_count = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type /Page")
    assert page_count >= 2  # 30 labels on sheets of 24


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "_schema"),
        ({"tags": ["DB-000001X"], "donation": 1}, "_schema"),
        ({"tags": ["not a tag"]}, "tags"),
        ({"donation": 999}, "donation"),
        ({"tags": [], "layout": "a4-3x8"}, "tags"),
        ({"reservation": 1, "layout": "62mm"}, "layout"),
    ],
)
def test_a_bad_sheet_request_is_refused_and_starts_no_job(world, app, body, field):
    response = world.coordinator.post("/labels/sheets", json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]["fields"]
    with app.app_context():
        assert db.session.query(jobs.BackgroundJob).count() == 0


def test_a_job_is_only_shown_to_who_asked_for_it_and_coordinators(world):
    tag = world.intake()["asset_tag"]
    job = world.repair.post("/labels/sheets", json={"tags": [tag]}).get_json()
    assert world.desk.get(f"/jobs/{job['id']}").status_code == 404
    assert world.coordinator.get(f"/jobs/{job['id']}").status_code == 200


def png_of(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def upload(api, data: bytes, name: str = "photo.png"):
    return api.post(
        "/scan",
        data={"image": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_desk_scans_a_photo_of_a_label_and_sees_the_device(world):
    device = world.ready_device()
    label = world.desk.get(f"/devices/{device['asset_tag']}/label.png").data
    photo = (
        Image.open(io.BytesIO(label))
        .convert("RGB")
        .rotate(3, expand=True, fillcolor="white")
    )
    response = upload(world.desk, png_of(photo, "JPEG"), "photo.jpg")
    assert response.status_code == 200, response.get_json()
    found = response.get_json()
    assert [d["asset_tag"] for d in found["devices"]] == [device["asset_tag"]]
    assert "lend" in found["devices"][0]["allowed_actions"]
    assert found["not_in_care_tags"] == []


def test_a_photo_of_a_device_at_the_workshop_names_it_but_shows_the_desk_nothing(
    world,
):
    tag = world.ready_device(at="workshop")["asset_tag"]
    label = world.repair.get(f"/devices/{tag}/label.png").data
    found = upload(world.desk, label).get_json()
    assert found["devices"] == [] and found["unknown_tags"] == []
    assert found["not_in_care_tags"] == [tag]  # there, but in another's care
    seen = upload(world.repair, label).get_json()
    assert [d["asset_tag"] for d in seen["devices"]] == [tag]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"this is not an image", 422),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422),
        (b"", 422),
        (b"\xff" * (16 * 1024 * 1024), 413),
    ],
)
def test_a_bad_upload_gets_a_clear_error(world, data, status):
    response = upload(world.desk, data)
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["message"]


def test_a_decompression_bomb_is_refused(world):
    bomb = png_of(Image.new("1", (40_000, 40_000)))
    response = upload(world.desk, bomb)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
