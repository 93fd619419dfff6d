"""The device agent's side of the service: enrolment, reports, what is found in them.

The agent's HTTP contract (API.md, "Device agent") through the test client,
with reports built from the recorded machines by the agent's own collectors.
"""

import json
from datetime import datetime
from datetime import timedelta

import pypdfium2
import pytest
import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import EnrollmentCode
from assettrack.models import HealthReport
from assettrack.models.types import utcnow
from scanner.decode import decode
from tests.agent_data import fresh
from tests.agent_data import recorded_report
from tests.agent_data import with_disks


class Agent:
    """One enrolled device agent talking to the service."""

    def __init__(self, client, tag: str, token: str):
        self.client, self.tag, self.token = client, tag, token

    def send(self, report: dict, **kwargs):
        headers = {"Authorization": f"Bearer {self.token}"}
        return self.client.post(
            "/api/v1/agent/reports", json=report, headers=headers, **kwargs
        )


def issue_code(world, tag: str, who: str = "repair"):
    return getattr(world, who).post(f"/devices/{tag}/enrollment-codes")


def enroll(world, tag: str, code: str):
    return world.client.post(
        "/api/v1/agent/enroll", json={"asset_tag": tag, "enrollment_code": code}
    )


def enrolled(world, device: dict | None = None, issuer: str = "repair") -> Agent:
    tag = (device or world.intake())["asset_tag"]
    code = issue_code(world, tag, issuer).get_json()["code"]
    answer = enroll(world, tag, code)
    assert answer.status_code == 201, answer.get_json()
    return Agent(world.client, tag, answer.get_json()["device_token"])


def stored_reports(world) -> int:
    with world.app.app_context():
        return db.session.scalar(sa.select(sa.func.count(HealthReport.id)))


def rules(answer) -> set[str]:
    return {finding["rule"] for finding in answer.get_json()["findings"]}


# --- enrolment ------------------------------------------------------------------------


def test_a_repair_partner_gets_a_code_the_agent_trades_for_its_token(world):
    tag = world.intake()["asset_tag"]
    issued = issue_code(world, tag)
    assert issued.status_code == 201, issued.get_json()
    code = issued.get_json()["code"]
    assert len(code) == 9 and code[4] == "-"
    assert f"--tag {tag} --code {code}" in issued.get_json()["command"]
    # Typed from the screen in lower case without the dash: still the code.
    answer = enroll(world, tag.lower(), code.replace("-", "").lower())
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["report_interval_s"] == 3600
    assert answer.get_json()["device_token"].startswith("dt_")
    with world.app.app_context():  # only its hash is kept
        stored = db.session.scalar(sa.select(EnrollmentCode))
        assert code.replace("-", "") not in stored.code_hash
        assert stored.used_at is not None


def test_a_code_works_once_for_its_own_device_and_not_after_it_expires(world):
    tag, other = world.intake()["asset_tag"], world.intake()["asset_tag"]
    code = issue_code(world, tag).get_json()["code"]
    refusals = [enroll(world, other, code), enroll(world, tag, "ABCD-EFGH")]
    assert enroll(world, tag, code).status_code == 201
    refusals.append(enroll(world, tag, code))  # used
    expired = issue_code(world, tag).get_json()["code"]
    with world.app.app_context():
        for row in db.session.scalars(sa.select(EnrollmentCode)):
            row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    refusals.append(enroll(world, tag, expired))
    refusals.append(enroll(world, "DB-000999X", code))  # no such device
    for answer in refusals:
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "enrollment_refused"
    # The same words every time: a guesser learns nothing about tags or codes.
    assert len({a.get_json()["error"]["message"] for a in refusals}) == 1


def test_a_new_code_voids_the_old_one_and_only_the_bench_issues_codes(world):
    tag = world.intake()["asset_tag"]
    old = issue_code(world, tag).get_json()["code"]
    new = issue_code(world, tag, "coordinator").get_json()["code"]
    assert enroll(world, tag, old).status_code == 403
    assert enroll(world, tag, new).status_code == 201
    assert issue_code(world, tag, "desk").status_code == 403
    assert issue_code(world, "DB-000999X").status_code == 404


def test_a_code_can_be_made_to_last_longer_for_a_label_sheet(world):
    tag = world.intake()["asset_tag"]
    path = f"/devices/{tag}/enrollment-codes"
    month = world.repair.post(path, json={"valid_days": 30}).get_json()
    expires = datetime.fromisoformat(month["expires_at"])
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    too_long = world.repair.post(path, json={"valid_days": 365})
    assert too_long.status_code == 422
    assert "valid_days" in too_long.get_json()["error"]["details"]["fields"]


def test_enrolment_attempts_are_limited_per_address(world):
    world.app.config["AGENT_ENROLL_RATE_LIMIT"] = 3
    tag = world.intake()["asset_tag"]
    statuses = [enroll(world, tag, "WRNG-CODE").status_code for _ in range(4)]
    assert statuses == [403, 403, 403, 429]


# --- reports --------------------------------------------------------------------------


def test_a_report_is_stored_once_and_sent_again_gets_the_same_answer(world):
    agent = enrolled(world)
    report = recorded_report("laptop-worn-two-batteries")
    first = agent.send(report)
    assert first.status_code == 201, first.get_json()
    again = agent.send({**report, "sent_at": report["collected_at"]})
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert stored_reports(world) == 1
    assert agent.send(fresh(report)).status_code == 201
    assert stored_reports(world) == 2


def test_findings_come_from_the_raw_values_not_from_the_agents_verdict(world):
    agent = enrolled(world)
    report = recorded_report("laptop-worn-two-batteries")
    # The agent claims perfect health; its capacities say otherwise.
    flattering = [{**b, "health_pct": 100.0} for b in report["batteries"]]
    answer = agent.send({**report, "batteries": flattering})
    assert answer.status_code == 201, answer.get_json()
    assert "BAT_WEAR_SEVERE" in rules(answer)
    worn = next(
        f for f in answer.get_json()["findings"] if f["rule"] == "BAT_WEAR_SEVERE"
    )
    assert worn["priority"] == 1 and worn["repair"] == "battery" and worn["source"]


def test_a_disk_other_than_the_one_erased_makes_the_wipe_void(world):
    device = world.ready_device(at="workshop")  # its disk S1 was erased
    agent = enrolled(world, device)
    same = agent.send(with_disks(recorded_report("laptop-healthy"), "S1"))
    assert "ERASURE_INVALID" not in rules(same)
    swapped = agent.send(with_disks(recorded_report("laptop-healthy"), "S1", "Z9"))
    assert "ERASURE_INVALID" in rules(swapped), swapped.get_json()


def test_a_clock_days_off_the_servers_is_a_dead_cmos_battery(world):
    agent = enrolled(world)
    report = recorded_report("laptop-healthy")
    answer = agent.send({**report, "sent_at": "2009-01-01T00:00:00+00:00"})
    assert "RTC_SUSPECT" in rules(answer)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: {**r, "schema": "assettrack-agent-report/9"}, "schema"),
        (lambda r: {**r, "report_id": "not-a-uuid"}, "report_id"),
        (lambda r: {**r, "seq": "7"}, "seq"),
        (lambda r: {**r, "collected_at": "yesterday"}, "collected_at"),
        (lambda r: {**r, "surprise": 1}, "surprise"),
        (
            lambda r: {k: v for k, v in r.items() if k != "agent_version"},
            "agent_version",
        ),
        (lambda r: {**r, "memory": {**r["memory"], "usable_bytes": -1}}, "memory"),
        (lambda r: {**r, "memory": {**r["memory"], "usable_bytes": "8 GB"}}, "memory"),
        (lambda r: {**r, "cpu": {**r["cpu"], "model": "x\x00y"}}, "cpu"),
        (lambda r: {**r, "cpu": {**r["cpu"], "model": None}}, "cpu"),  # no reason
        (
            lambda r: {**r, "batteries": [{**r["batteries"][0], "health_pct": 900}]},
            "batteries",
        ),
        (
            lambda r: {**r, "disks": [{**r["disks"][0], "temperature_c": 1e6}]},
            "disks",
        ),
        (lambda r: {**r, "disks": [r["disks"][0]] * 33}, "disks"),
        (
            lambda r: {**r, "machine": {**r["machine"], "missing": {"x": "why"}}},
            "machine",
        ),
        (
            lambda r: {**r, "cpu": {**r["cpu"], "missing": {"\x00": "not_present"}}},
            "cpu",
        ),
    ],
    ids=[
        "schema",
        "report_id",
        "seq-text",
        "collected_at",
        "unknown",
        "no-version",
        "negative",
        "text-number",
        "nul",
        "null-unexplained",
        "percent",
        "temperature",
        "too-many-disks",
        "reason",
        "unknown-missing-key",
    ],
)
def test_a_bad_report_is_refused_naming_the_field_and_nothing_is_stored(
    world, change, field
):
    agent = enrolled(world)
    answer = agent.send(change(recorded_report("laptop-worn-two-batteries")))
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"], error
    assert stored_reports(world) == 0


def test_reports_need_a_valid_device_token_and_a_revoked_one_says_so(world):
    report = recorded_report()
    anonymous = world.client.post("/api/v1/agent/reports", json=report)
    assert anonymous.status_code == 401
    person = world.client.post(
        "/api/v1/agent/reports", json=report, headers=world.repair.headers
    )
    assert person.status_code == 401  # a person's token is not a device's
    agent = enrolled(world)
    assert agent.send(report).status_code == 201
    revoked = world.repair.client.delete(
        f"/api/v1/devices/{agent.tag}/agent", headers=world.repair.headers
    )
    assert revoked.get_json() == {"revoked": 1}
    refused = agent.send(fresh(report))
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "device_revoked"
    assert stored_reports(world) == 1
    # A device token opens nothing else.
    elsewhere = world.client.get(
        "/api/v1/devices", headers={"Authorization": f"Bearer {agent.token}"}
    )
    assert elsewhere.status_code == 401


def test_enrolling_again_revokes_the_earlier_agent(world):
    device = world.intake()
    first = enrolled(world, device)
    second = enrolled(world, device)
    assert first.send(recorded_report()).get_json()["error"]["code"] == "device_revoked"
    assert second.send(recorded_report()).status_code == 201


def test_a_report_too_large_or_not_json_is_refused_and_stores_nothing(world):
    agent = enrolled(world)
    report = recorded_report()
    big = {**report, "machine": {**report["machine"], "model": "x" * 300_000}}
    assert agent.send(big).status_code == 413
    not_json = agent.client.post(
        "/api/v1/agent/reports",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {agent.token}"},
    )
    assert not_json.status_code == 400
    assert stored_reports(world) == 0


def test_a_device_reporting_too_often_is_told_when_to_come_back(world):
    world.app.config["AGENT_REPORT_RATE_LIMIT"] = 2
    agent, other = enrolled(world), enrolled(world)
    report = recorded_report()
    assert [agent.send(fresh(report)).status_code for _ in range(2)] == [201, 201]
    limited = agent.send(fresh(report))
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert other.send(fresh(report)).status_code == 201  # per device


# --- the enrolment sheet printed for a batch -------------------------------------------


def test_a_batch_gets_a_printed_sheet_of_codes_whose_qr_codes_enrol(world):
    batch = world.repair.post(
        "/donations", json={"donor": "Bedrijf X", "received_on": "2026-11-20"}
    ).get_json()
    devices = [world.intake(donation=batch["id"]) for _ in range(3)]
    answer = world.repair.post(
        "/agent/enrollment-sheets", json={"donation": batch["id"], "language": "en"}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == "application/pdf"
    page = pypdfium2.PdfDocument(answer.data)[0]
    shown = page.get_textpage().get_text_range()
    assert "Enrol the agent" in shown
    commands = [c.text for c in decode(page.render(scale=300 / 72).to_pil())]
    assert len(commands) == 3
    for device, line in zip(devices, sorted(commands), strict=True):
        words = line.split()
        assert words[:2] == ["assettrack-agent", "enroll"]
        tag, code = words[words.index("--tag") + 1], words[words.index("--code") + 1]
        assert tag == device["asset_tag"] and code in shown
        assert enroll(world, tag, code).status_code == 201


def test_a_sheet_names_its_devices_once_and_only_the_bench_prints_it(world):
    tag = world.intake()["asset_tag"]
    for wrong in [
        {},
        {"tags": [tag], "donation": 1},
        {"tags": [tag], "valid_days": 60},
    ]:
        answer = world.repair.post("/agent/enrollment-sheets", json=wrong)
        assert answer.status_code == 422, wrong
    missing = world.repair.post(
        "/agent/enrollment-sheets", json={"tags": ["DB-000999X"]}
    )
    assert missing.status_code == 404
    desk = world.desk.post("/agent/enrollment-sheets", json={"tags": [tag]})
    assert desk.status_code == 403


# Values no agent should send; each, in any field, is refused or stored, never a 500.
JUNK = [None, -1, 2**63, 1e308, True, "x" * 1000, "\x00", [], {}, {"a": [1]}]


def paths(report: dict):
    """Every field of the report: top level, each section's, the first item's."""
    for key, value in report.items():
        yield (key,)
        if isinstance(value, dict):
            yield from ((key, inner) for inner in value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            yield from ((key, 0, inner) for inner in value[0])


def with_value(report: dict, path: tuple, value) -> dict:
    changed = json.loads(json.dumps(report))
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def test_junk_in_any_field_of_a_report_is_refused_or_stored_never_a_crash(world):
    world.app.config["AGENT_REPORT_RATE_LIMIT"] = 0  # a thousand reports in a row
    agent = enrolled(world)
    report = recorded_report("laptop-worn-two-batteries")
    crashes, stored = [], 0
    for path in paths(report):
        for junk in JUNK:
            answer = agent.send(fresh(with_value(report, path, junk)))
            if answer.status_code == 201:
                stored += 1
            elif answer.status_code != 422:
                crashes.append((path, junk, answer.status_code))
    assert crashes == []
    assert stored_reports(world) == stored  # a 422 stored nothing
