"""A coordinator reports to the funder and to donors: figures counted from events.

After random days at the bench and the desk, every number the coordinator gets
(as JSON, CSV or XLSX) is what the events say, counted here independently; no
borrower is ever named; a batch's donor learns what became of each device.
"""

import csv
import io
import random
import statistics
import zipfile
from collections import Counter
from collections import defaultdict
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa
from conftest import in_days

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import WorkflowEvent
from assettrack.reporting.export import XLSX

BRUSSELS = ZoneInfo("Europe/Brussels")
COUNTED = {
    "received": "register",
    "wiped": "finish_wipe",
    "refurbished": "pass_qc",
    "failed_qc": "fail_qc",
    "sent_to_repair": "send_to_repair",
    "repaired": "finish_repair",
    "lent": "lend",
    "returned": "return",
    "scrapped": "scrap",
    "lost": "report_lost",
}
GROUPS = ("job_seeker", "pupil_student", "senior", "newcomer")
PLACES = ("Gent", "Ledeberg", "Oostakker")


def around_today() -> dict:
    today = datetime.now(BRUSSELS).date()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": in_days(2)}


# --- a random day's work, through the API as people do it -------------------------


class Day:
    def __init__(self, world, rng: random.Random):
        self.world, self.rng, self.borrowers = world, rng, 0
        self.donations = [
            world.coordinator.post(
                "/donations", json={"donor": donor, "received_on": "2026-11-02"}
            ).get_json()["id"]
            for donor in ("Proximus", "Stad Gent")
        ]

    def intake(self, donation: int | None = None) -> dict:
        donation = donation or self.rng.choice([*self.donations, None])
        return self.world.intake(donation=donation)

    def wiped(self, donation: int | None = None) -> dict:
        device, w = self.intake(donation), self.world
        w.ok(w.repair.act(device["asset_tag"], "start_wipe"))
        w.erase_all(device)
        w.ok(w.repair.act(device["asset_tag"], "finish_wipe"))
        return device

    def ready(self, failing_first: bool = False, donation: int | None = None) -> str:
        tag, w = self.wiped(donation)["asset_tag"], self.world
        w.ok(w.repair.act(tag, "submit_qc"))
        if failing_first:
            item = self.rng.choice(["screen", "battery", "keyboard"])
            w.record_qc(tag, None, **{item: "fail"})
            w.ok(w.repair.act(tag, "fail_qc", {"failed_items": [item]}))
            w.ok(w.repair.act(tag, "submit_qc"))
        w.record_qc(tag)
        w.ok(w.repair.act(tag, "pass_qc"))
        return tag

    def lent(self, donation: int | None = None) -> str:
        tag, w = self.ready(donation=donation), self.world
        w.move(tag, "digileenplek")
        self.lend(tag)
        return tag

    def lend(self, tag: str) -> None:
        w = self.world
        self.borrowers += 1
        borrower = w.desk.post(
            "/borrowers",
            json={
                "name": f"Samira {self.borrowers}",
                "contact": "samira@example.be",
                "target_group": self.rng.choice(GROUPS),
                "municipality": self.rng.choice(PLACES),
            },
        )
        assert borrower.status_code == 201, borrower.get_json()
        code = borrower.get_json()["code"]
        w.ok(w.desk.act(tag, "lend", {"borrower": code, "due_date": in_days(30)}))

    def lent_again(self) -> str:
        """Lent, returned, wiped and checked again, and lent to someone else."""
        tag, w = self.lent(), self.world
        w.ok(w.desk.act(tag, "return"))
        w.move(tag, "workshop")  # wiped at the repair partner's
        w.ok(w.repair.act(tag, "start_wipe"))
        w.erase_all(w.repair.get(f"/devices/{tag}").get_json())
        for action in ("finish_wipe", "submit_qc"):
            w.ok(w.repair.act(tag, action))
        w.record_qc(tag)
        w.ok(w.repair.act(tag, "pass_qc"))
        w.move(tag, "digileenplek")
        self.lend(tag)
        return tag

    def paths(self, extra: int) -> None:
        """Every way through the workflow once, and `extra` random ones, shuffled."""
        ways = [*range(9), *(self.rng.randrange(9) for _ in range(extra))]
        self.rng.shuffle(ways)
        for way in ways:
            self.path(way)

    def path(self, choice: int) -> None:
        """One device's way through the workflow."""
        w = self.world
        if choice == 0:
            self.intake()
        elif choice == 1:
            self.ready(failing_first=self.rng.random() < 0.5)
        elif choice == 2:
            tag = self.intake()["asset_tag"]
            reason = self.rng.choice(["hinge broken", "no power"])
            w.ok(w.repair.act(tag, "send_to_repair", {"reason": reason}))
            if self.rng.random() < 0.5:
                w.ok(w.repair.act(tag, "finish_repair"))
        elif choice == 3:
            tag = self.wiped()["asset_tag"]
            w.ok(w.repair.act(tag, "scrap", {"reason": "cracked case"}))
        elif choice in (4, 5):
            tag = self.lent()
            if self.rng.random() < 0.6:
                w.ok(w.desk.act(tag, "return"))
        elif choice == 6:
            tag = self.lent()
            w.ok(w.desk.act(tag, "report_lost"))
        elif choice == 7:
            tag = self.lent_again()
            if self.rng.random() < 0.5:
                w.ok(w.desk.act(tag, "return"))
        else:
            self.ready(failing_first=True)


# --- what the events say, counted here ----------------------------------------------


def all_events(app) -> list[WorkflowEvent]:
    with app.app_context():
        events = list(db.session.scalars(sa.select(WorkflowEvent)))
        db.session.expunge_all()
        return events


def expected_totals(events) -> list[dict]:
    return [
        {
            "what": what,
            "action": action,
            "times": sum(e.action == action for e in events),
            "devices": len({e.device_id for e in events if e.action == action}),
        }
        for what, action in COUNTED.items()
    ]


def expected_wait(events) -> dict:
    first = defaultdict(dict)
    for event in sorted(events, key=lambda e: e.id):
        first[event.device_id].setdefault(event.action, event.at)
    waits = [
        (seen["pass_qc"] - seen["register"]).total_seconds() / 86400
        for seen in first.values()
        if "pass_qc" in seen
    ]
    if not waits:
        return {"devices": 0, "average_days": None, "median_days": None}
    return {
        "devices": len(waits),
        "average_days": round(statistics.fmean(waits), 2),
        "median_days": round(statistics.median(waits), 2),
    }


def expected_lending(app) -> list[dict]:
    """From the loans themselves: an independent way to the same numbers."""
    with app.app_context():
        loans = db.session.scalars(sa.select(Loan)).all()
        table = defaultdict(Counter)
        for loan in loans:
            key = (loan.borrower_group, loan.borrower_municipality)
            table[key]["lent"] += 1
            if loan.outcome:
                table[key][loan.outcome] += 1
    return [
        {
            "target_group": group,
            "municipality": place,
            "lent": counts["lent"],
            "returned": counts["returned"],
            "lost": counts["lost"],
        }
        for (group, place), counts in sorted(table.items())
    ]


def expected_partners(app, events) -> dict:
    with app.app_context():
        owner = dict(
            db.session.execute(sa.select(Location.id, Location.organisation_id)).all()
        )
    counts = defaultdict(Counter)
    reasons = defaultdict(Counter)
    workshop = {COUNTED[w]: w for w in ("wiped", "refurbished", "failed_qc")} | {
        "send_to_repair": "sent_to_repair",
        "finish_repair": "repaired",
        "scrap": "scrapped",
    }
    for event in events:
        if event.action in workshop:
            counts[owner[event.location_id]][workshop[event.action]] += 1
        if event.action == "fail_qc":
            for item in event.payload["failed_items"]:
                reasons[owner[event.location_id]][f"qc: {item}"] += 1
        if event.action == "send_to_repair":
            reasons[owner[event.location_id]][f"repair: {event.payload['reason']}"] += 1
    return {org: (dict(counts[org]), dict(reasons[org])) for org in counts}


def seen_partners(figures) -> dict:
    names = ("wiped", "refurbished", "failed_qc", "sent_to_repair", "repaired")
    return {
        row["organisation"]: (
            {k: row[k] for k in (*names, "scrapped") if row[k]},
            {r["reason"]: r["count"] for r in row["failure_reasons"]},
        )
        for row in figures["repair_partners"]
    }


def figures_of(world, params: dict) -> dict:
    response = world.coordinator.get("/figures", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("seed", [7, 2026])
def test_after_random_workflows_the_figures_are_what_the_events_say(world, seed):
    Day(world, random.Random(seed)).paths(extra=3)
    events = all_events(world.app)
    figures = figures_of(world, around_today())

    assert figures["totals"] == expected_totals(events)
    happened = {row["what"] for row in figures["totals"] if row["times"]}
    assert happened >= set(COUNTED) - {"repaired"}  # every way was taken
    assert figures["intake_to_ready"] == expected_wait(events)
    assert figures["lending"] == expected_lending(world.app)
    assert seen_partners(figures) == expected_partners(world.app, events)

    by_batch = Counter(e.payload["donation"] for e in events if e.action == "register")
    assert {r["donation"]: r["received"] for r in figures["donations"]} == by_batch
    states = Counter()
    for row in figures["donations"]:
        states.update(row["states"])
    last = {}
    for event in sorted(events, key=lambda e: e.id):
        last[event.device_id] = event.to_state
    assert +states == Counter(last.values())
    assert "Samira" not in str(figures)


def test_an_empty_period_counts_nothing(world):
    Day(world, random.Random(1)).lent()
    today = datetime.now(BRUSSELS).date()
    tomorrow = (today + timedelta(days=1)).isoformat()
    figures = figures_of(world, {"from": tomorrow, "to": in_days(40)})
    assert all(row["times"] == row["devices"] == 0 for row in figures["totals"])
    assert figures["donations"] == figures["lending"] == []
    assert figures["repair_partners"] == []
    assert figures["intake_to_ready"]["devices"] == 0
    # `to` is not included: a period ending today misses what happened today.
    before = figures_of(world, {"from": "2026-01-01", "to": today.isoformat()})
    assert all(row["times"] == 0 for row in before["totals"])


def test_a_period_runs_from_brussels_midnight_to_brussels_midnight(world):
    """An event at 00:30 on New Year's Day in Gent belongs to the new year."""
    device = world.intake()
    moments = {
        "2024": datetime(2024, 12, 31, 23, 59, 59, tzinfo=BRUSSELS),
        "2025 first": datetime(2025, 1, 1, 0, 0, tzinfo=BRUSSELS),  # 23:00 UTC
        "2025 last": datetime(2025, 12, 31, 23, 59, tzinfo=BRUSSELS),
        "2026": datetime(2025, 12, 31, 23, 30, tzinfo=UTC),  # 00:30 in Gent
    }
    with world.app.app_context():
        device_id = db.session.scalar(
            sa.select(Device.id).where(Device.asset_tag == device["asset_tag"])
        )
        for at in moments.values():
            db.session.add(
                WorkflowEvent(
                    device_id=device_id,
                    action="finish_wipe",
                    from_state="wiping",
                    to_state="refurbishing",
                    location_id=world.location_ids["workshop"],
                    at=at,
                    payload={},
                )
            )
        db.session.commit()

    def wiped(start: str, end: str) -> int:
        totals = figures_of(world, {"from": start, "to": end})["totals"]
        return next(row["times"] for row in totals if row["what"] == "wiped")

    assert wiped("2024-01-01", "2025-01-01") == 1
    assert wiped("2025-01-01", "2026-01-01") == 2
    assert wiped("2025-01-01", "2025-01-02") == 1
    assert wiped("2025-12-31", "2026-01-01") == 1
    assert wiped("2026-01-01", "2026-01-02") == 1
    assert wiped("2026-01-01", in_days(1)) == 1  # today's intake is no wipe


def record(world, tag: str, action: str, at: datetime, **states) -> None:
    """An event as another system would have written it at `at` (at the workshop,
    from qc to ready, unless `place`, `from_state` or `to_state` say otherwise)."""
    with world.app.app_context():
        device_id = db.session.scalar(
            sa.select(Device.id).where(Device.asset_tag == tag)
        )
        db.session.add(
            WorkflowEvent(
                device_id=device_id,
                action=action,
                from_state=states.get("from_state", "qc"),
                to_state=states.get("to_state", "ready"),
                location_id=world.location_ids[states.get("place", "workshop")],
                at=at,
                payload={},
            )
        )
        db.session.commit()


def test_the_time_to_ready_is_from_intake_to_the_first_pass(world):
    waits = (1, 2, 6)  # days: on average 3, in the middle 2
    for days in waits:
        tag = world.intake()["asset_tag"]
        with world.app.app_context():
            registered = db.session.scalar(
                sa.select(WorkflowEvent.at).where(
                    WorkflowEvent.device_id
                    == sa.select(Device.id)
                    .where(Device.asset_tag == tag)
                    .scalar_subquery()
                )
            )
        record(world, tag, "pass_qc", registered + timedelta(days=days))
        record(world, tag, "pass_qc", registered + timedelta(days=days + 1))
    wait = figures_of(world, {"from": around_today()["from"], "to": in_days(30)})
    assert wait["intake_to_ready"] == {
        "devices": 3,
        "average_days": 3.0,
        "median_days": 2.0,
    }
    # Counted in the period of the first pass, not of the intake.
    later = figures_of(world, {"from": in_days(4), "to": in_days(30)})
    assert later["intake_to_ready"]["devices"] == 1


def test_a_donor_learns_what_became_of_each_device_with_its_certificates(world):
    day = Day(world, random.Random(3))
    donation = day.donations[0]
    lent = day.lent(donation)
    ready = day.ready(donation=donation)
    waiting = world.intake(donation=donation)["asset_tag"]
    numbers = {}
    for tag in (lent, ready):
        certificate = world.coordinator.get(f"/devices/{tag}/certificate.pdf")
        assert certificate.status_code == 200
        listed = world.coordinator.get("/certificates", query_string={"device": tag})
        numbers[tag] = {c["number"] for c in listed.get_json()["items"]}
    batch = world.coordinator.get(f"/donations/{donation}/certificate.pdf")
    assert batch.status_code == 200

    response = world.coordinator.get(f"/donations/{donation}/fate")
    assert response.status_code == 200, response.get_json()
    fate = response.get_json()
    [batch_number] = fate["batch_certificates"]
    devices = {d["asset_tag"]: d for d in fate["devices"]}
    assert set(devices) >= {lent, ready, waiting}
    assert devices[lent]["state"] == "lent" and devices[lent]["times_lent"] == 1
    assert devices[ready]["state"] == "ready" and devices[ready]["first_ready_at"]
    assert devices[waiting]["state"] == "received"
    assert devices[waiting]["certificates"] == []
    for tag in (lent, ready):
        assert set(devices[tag]["certificates"]) == numbers[tag] | {batch_number}
        assert devices[tag]["wiped"] == 1
    assert fate["states"]["lent"] >= 1 and sum(fate["states"].values()) == len(devices)
    assert "Samira" not in str(fate)
    assert world.coordinator.get("/donations/999/fate").status_code == 404


# --- exports ------------------------------------------------------------------------


def export(world, client, params: dict, file_format: str) -> dict:
    response = client.post(
        "/api/v1/figures/exports",
        headers=world.coordinator.headers,
        json={**params, "format": file_format},
    )
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def download(world, job: dict, media_type: str) -> bytes:
    polled = world.coordinator.get(f"/jobs/{job['id']}").get_json()
    assert polled["status"] == "finished", polled
    assert polled["done"] == polled["total"] > 0
    result = world.client.get(polled["result"], headers=world.coordinator.headers)
    assert result.status_code == 200 and result.mimetype == media_type
    return result.data


def xlsx_sheets(data: bytes) -> dict[str, list[list]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def csv_sheets(data: bytes) -> dict[str, list[list]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name.removesuffix(".csv"): list(
                csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")))
            )
            for name in archive.namelist()
        }


def same_numbers(sheets: dict[str, list[list]], figures: dict, as_text: bool) -> None:
    """The file's tables hold the JSON's numbers (CSV holds them as text)."""

    def cell(value):
        return "" if value is None else (str(value) if as_text else value)

    summary = {row[0]: row[1:] for row in sheets["summary"][1:]}
    for row in figures["totals"]:
        assert summary[row["what"]] == [cell(row["times"]), cell(row["devices"])]
    wait = figures["intake_to_ready"]
    assert summary["intake_to_ready_devices"][1] == cell(wait["devices"])
    average = summary["intake_to_ready_average_days"][1]
    assert average == cell(wait["average_days"]) or (
        as_text and float(average) == wait["average_days"]
    )
    header, *lending = sheets["lending"]
    assert header == ["target_group", "municipality", "lent", "returned", "lost"]
    assert lending == [[cell(row[key]) for key in header] for row in figures["lending"]]
    header, *batches = sheets["batches"]
    assert [r[header.index("received")] for r in batches] == [
        cell(row["received"]) for row in figures["donations"]
    ]
    header, *partners = sheets["repair_partners"]
    assert [r[header.index("wiped")] for r in partners] == [
        cell(row["wiped"]) for row in figures["repair_partners"]
    ]
    reasons = sum(len(row["failure_reasons"]) for row in figures["repair_partners"])
    assert len(sheets["failure_reasons"]) == 1 + reasons


def test_the_exports_hold_the_same_numbers_and_no_names(world):
    Day(world, random.Random(11)).paths(extra=0)
    params = around_today()
    figures = figures_of(world, params)

    job = export(world, world.client, params, "xlsx")
    assert job["status"] == "finished"  # no Redis: it ran inline
    xlsx = download(world, job, XLSX)
    sheets = xlsx_sheets(xlsx)
    assert set(sheets) == {
        "summary",
        "batches",
        "repair_partners",
        "failure_reasons",
        "lending",
        "time_in_state",
    }
    same_numbers(sheets, figures, as_text=False)

    zipped = download(
        world, export(world, world.client, params, "csv"), "application/zip"
    )
    same_numbers(csv_sheets(zipped), figures, as_text=True)

    assert "Samira" not in str(sheets) + str(csv_sheets(zipped))
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        assert not any(b"Samira" in archive.read(n) for n in archive.namelist())


def test_with_redis_a_worker_makes_the_export(world, redis_app):
    Day(world, random.Random(5)).lent()
    params = around_today()
    figures = figures_of(world, params)
    job = export(world, redis_app.test_client(), params, "xlsx")
    assert job["status"] == "queued"
    worked = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert worked.exit_code == 0, worked.output
    xlsx = download(world, job, XLSX)
    same_numbers(xlsx_sheets(xlsx), figures, as_text=False)


# --- who may, and what is asked -----------------------------------------------------


@pytest.mark.parametrize("who", ["desk", "repair"])
def test_only_coordinators_see_the_figures(world, who):
    api = getattr(world, who)
    donation = Day(world, random.Random(2)).donations[0]
    assert api.get("/figures", query_string=around_today()).status_code == 403
    body = {**around_today(), "format": "csv"}
    assert api.post("/figures/exports", json=body).status_code == 403
    assert api.get(f"/donations/{donation}/fate").status_code == 403
    assert world.admin.get("/figures", query_string=around_today()).status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "2026-01-01"}, "from"),
        ({"from": "2026-01-01"}, "to"),
        ({"from": "2026-13-01", "to": "2027-01-01"}, "from"),
        ({"from": "2026-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "to"),
        ({"from": "2000-01-01", "to": "2026-01-01"}, "to"),
        ({"from": "0001-01-01", "to": "0008-09-01"}, "from"),  # found by the fuzzer
    ],
)
def test_a_bad_period_is_refused_with_the_field_named(world, params, field):
    response = world.coordinator.get("/figures", query_string=params)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]["fields"]
    exported = world.coordinator.post(
        "/figures/exports", json=params | {"format": "csv"}
    )
    assert exported.status_code == 422
    assert field in exported.get_json()["error"]["details"]["fields"]


def test_an_export_in_an_unknown_format_is_refused(world):
    body = {**around_today(), "format": "pdf"}
    response = world.coordinator.post("/figures/exports", json=body)
    assert response.status_code == 422
    assert "format" in response.get_json()["error"]["details"]["fields"]


def test_yearly_figures_are_a_calendar_year(app):
    from assettrack.reporting.period import Period

    with app.app_context():
        start, end = Period.year(2025).bounds()
    assert (start.date(), end.date()) == (date(2025, 1, 1), date(2026, 1, 1))
    assert start.utcoffset() == timedelta(hours=1)
