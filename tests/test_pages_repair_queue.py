"""The repair partner's pages for the agent: the queue, and a device's health.

Through the test client, in Dutch: what a volunteer at the workbench reads.
"""

import html
import re

import pypdfium2

from tests.agent_data import recorded_report
from tests.test_agent_service import Agent
from tests.test_agent_service import enrolled
from tests.test_repair_queue import reporting


def text_of(page) -> str:
    body = re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def test_the_queue_page_lists_the_most_urgent_first_in_dutch(world, web):
    healthy = reporting(world, "laptop-healthy", disks=[], missing={})
    worn = reporting(world, "laptop-worn-two-batteries")
    bench = web.visitor("repair")
    page = bench.get("/repair-queue")
    assert page.status_code == 200
    shown = text_of(page)
    assert shown.index(worn) < shown.index(healthy)
    assert "BAT0 houdt nog 55 % van de oorspronkelijke capaciteit (onder 60 %)" in shown
    assert "8 sectoren zijn nu onleesbaar; vervang de schijf" in shown
    assert "(nieuwe batterij)" in shown and "P0: niet uitlenen" in shown
    quick = text_of(bench.get("/repair-queue?category=healthy"))
    assert healthy in quick and worn not in quick
    assert web.visitor("desk").get("/repair-queue").status_code == 403


def test_the_device_page_shows_its_health_and_gives_an_enrolment_code(world, web):
    device = world.intake()
    tag = device["asset_tag"]
    bench = web.visitor("repair")
    assert "Voor dit toestel heeft nog geen agent gerapporteerd." in text_of(
        bench.get(f"/devices/{tag}")
    )
    shown = bench.post(f"/devices/{tag}/agent-code")
    assert shown.status_code == 200
    code = re.search(
        r'<code class="enrolment-code">([A-Z0-9-]+)</code>',
        shown.get_data(as_text=True),
    ).group(1)
    assert (
        f"assettrack-agent enroll --server http://localhost --tag {tag} --code {code}"
        in text_of(shown)
    )

    answer = world.client.post(
        "/api/v1/agent/enroll", json={"asset_tag": tag, "enrollment_code": code}
    )
    assert answer.status_code == 201
    agent = Agent(world.client, tag, answer.get_json()["device_token"])
    assert agent.send(recorded_report("laptop-worn-two-batteries")).status_code == 201
    page = text_of(bench.get(f"/devices/{tag}"))
    assert "Laatste rapport" in page and "gezondheid" in page
    assert "BAT0 heeft 1.187 laadcycli (grens 1.000)" in page

    stopped = bench.post(f"/devices/{tag}/agent-revoke", follow_redirects=True)
    assert "De agent op dit toestel kan niet meer rapporteren." in text_of(stopped)
    refused = agent.send(recorded_report("laptop-healthy"))
    assert refused.get_json()["error"]["code"] == "device_revoked"


def test_a_desk_sees_no_health_section_and_may_not_enrol(world, web):
    tag = enrolled(world).tag
    desk = web.visitor("desk")
    assert "Gezondheid" not in text_of(desk.get(f"/devices/{tag}"))
    assert desk.post(f"/devices/{tag}/agent-code").status_code == 403


def test_a_batch_page_prints_the_agent_codes_for_its_devices(world, web):
    batch = world.repair.post(
        "/donations", json={"donor": "Bedrijf X", "received_on": "2026-11-20"}
    ).get_json()
    tags = [world.intake(donation=batch["id"])["asset_tag"] for _ in range(2)]
    bench = web.visitor("repair")
    page = bench.get(f"/donations/{batch['id']}").get_data(as_text=True)
    assert "Inschrijvingscodes voor de agent van deze partij (pdf)" in page
    pdf = bench.post(f"/donations/{batch['id']}/agent-sheet")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pypdfium2.PdfDocument(pdf.data)[0].get_textpage().get_text_range()
    assert "Agent inschrijven" in text and all(tag in text for tag in tags)
    assert bench.post("/donations/9999/agent-sheet").status_code == 404
