"""The repair partner's queue: devices most urgent first, and why.

Each device reports through its enrolled agent (recorded machines); the rank
comes from the service's own findings. Scoring is a background job: inline
without Redis, through a real rq worker with it.
"""

import sqlalchemy as sa

from assettrack.auth import issue_token
from assettrack.extensions import db
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import RepairRank
from assettrack.models import User
from tests.agent_data import fresh
from tests.agent_data import recorded_report
from tests.conftest import Api
from tests.test_agent_service import enrolled


def queue(api, **query) -> list[dict]:
    answer = api.get("/repair-queue", query_string=query)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def reporting(
    world, machine: str, device: dict | None = None, issuer="repair", **changes
) -> str:
    agent = enrolled(world, device, issuer)
    report = {**recorded_report(machine), **changes}
    answer = agent.send(report)
    assert answer.status_code == 201, answer.get_json()
    return agent.tag


def test_the_queue_puts_the_most_urgent_first_with_its_findings(world):
    healthy = reporting(world, "laptop-healthy", disks=[], missing={})
    worn = reporting(world, "laptop-worn-two-batteries")
    items = queue(world.repair)
    tags = [item["asset_tag"] for item in items]
    assert set(tags) == {healthy, worn}
    assert tags[-1] == healthy  # nothing urgent: last
    first = items[0]
    assert first["asset_tag"] == worn
    assert first["priority"] == 0  # its failing disks: do not lend
    assert first["health_score"] < items[-1]["health_score"]
    assert "DISK_PENDING" in first["reasons"]
    shown = {f["rule"]: f for f in first["findings"]}
    assert shown["BAT_WEAR_SEVERE"]["text"]  # the evidence, in words
    assert first["reported_at"]


def test_quick_wins_are_apart_from_parts_donors(world):
    only_battery = recorded_report("laptop-worn-two-batteries")
    quick = reporting(
        world, "laptop-worn-two-batteries", disks=[], missing=only_battery["missing"]
    )
    # Failing disks, worn batteries and 2 GB of RAM: three swaps, not worth it.
    worn = recorded_report("laptop-worn-two-batteries")
    small = {**worn["memory"], "installed_bytes": 2 * 2**30}
    donor = reporting(world, "laptop-worn-two-batteries", memory=small)
    quick_wins = [i["asset_tag"] for i in queue(world.repair, category="quick_win")]
    donors = [i["asset_tag"] for i in queue(world.repair, category="parts_donor")]
    categories = {i["asset_tag"]: i["category"] for i in queue(world.repair)}
    assert quick in quick_wins and quick not in donors, categories
    assert donor in donors and donor not in quick_wins, categories
    bad = world.repair.get("/repair-queue", query_string={"category": "soon"})
    assert bad.status_code == 422


def test_a_repair_partner_sees_only_its_own_devices(world):
    mine = reporting(world, "laptop-worn-two-batteries")
    with world.app.app_context():
        other = Organisation(name="Werkplaats Brugge", kind="repair")
        db.session.add(other)
        db.session.flush()
        place = Location(
            name="Brugge",
            kind="workshop",
            municipality="Brugge",
            postcode="8000",
            organisation_id=other.id,
        )
        user = User(email="brugge@example.be", role="repair", organisation_id=other.id)
        db.session.add_all([place, user])
        db.session.commit()
        brugge = Api(world.client, issue_token(user), user.id)
        place_id = place.id
    theirs = brugge.post(
        "/devices",
        json={
            "kind": "laptop",
            "make": "Dell",
            "model": "Latitude",
            "location": place_id,
        },
    ).get_json()
    reporting(world, "laptop-worn-two-batteries", theirs, issuer="coordinator")
    assert [i["asset_tag"] for i in queue(world.repair)] == [mine]
    assert [i["asset_tag"] for i in queue(brugge)] == [theirs["asset_tag"]]
    assert len(queue(world.coordinator)) == 2
    assert world.desk.get("/repair-queue").status_code == 403


def test_each_new_report_replaces_only_its_own_devices_rank(world):
    agents = [enrolled(world) for _ in range(3)]
    for agent in agents:
        healthy = {**recorded_report("laptop-healthy"), "disks": [], "missing": {}}
        assert agent.send(healthy).status_code == 201
    worn = agents[1]
    assert worn.send(recorded_report("laptop-worn-two-batteries")).status_code == 201
    ranks = {item["asset_tag"]: item["category"] for item in queue(world.repair)}
    assert ranks[worn.tag] != "healthy"
    assert [ranks[a.tag] for a in (agents[0], agents[2])] == ["healthy", "healthy"]


def test_a_late_report_does_not_overwrite_a_newer_one(world):
    agent = enrolled(world)
    newer = {**recorded_report("laptop-worn-two-batteries"), "seq": 50}
    older = {**fresh(newer), "seq": 10, "disks": [], "batteries": []}
    assert agent.send(newer).status_code == 201
    assert agent.send(older).status_code == 201  # was spooled while offline
    [item] = queue(world.repair)
    assert "DISK_PENDING" in item["reasons"]  # still what the newer one showed


def test_with_redis_a_worker_scores_the_device(world, redis_app):
    agent = enrolled(world)
    agent.client = redis_app.test_client()
    answer = agent.send(recorded_report("laptop-worn-two-batteries"))
    assert answer.status_code == 201
    with redis_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(RepairRank.device_id))) == 0
    worked = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert worked.exit_code == 0, worked.output
    [item] = queue(world.repair)
    assert item["asset_tag"] == agent.tag and item["priority"] == 0


def test_a_device_whose_disk_changed_after_its_wipe_goes_to_the_top(world):
    wiped = world.ready_device(at="workshop")
    fine = reporting(world, "laptop-healthy", wiped, disks=[], missing={})
    assert queue(world.repair)[0]["asset_tag"] == fine
    swapped = reporting(
        world, "laptop-healthy", world.ready_device(at="workshop")
    )  # its recorded disks are not the S1 that was erased
    first = queue(world.repair)[0]
    assert first["asset_tag"] == swapped
    assert "ERASURE_INVALID" in first["reasons"]


def test_old_reports_are_pruned_but_each_devices_latest_stays(world, runner):
    from datetime import timedelta

    from assettrack.models import HealthReport
    from assettrack.models.types import utcnow

    agent = enrolled(world)
    first = recorded_report("laptop-worn-two-batteries")
    sent = [first, fresh(first), fresh(first)]
    for report in sent:
        assert agent.send(report).status_code == 201
    with world.app.app_context():  # all three arrived 100 days ago
        for report in db.session.scalars(sa.select(HealthReport)):
            report.received_at = utcnow() - timedelta(days=100)
        db.session.commit()
    pruned = runner.invoke(args=["agent", "prune"])
    assert pruned.exit_code == 0 and "'deleted': 2" in pruned.output, pruned.output
    with world.app.app_context():
        kept = db.session.scalars(sa.select(HealthReport.seq)).all()
    assert kept == [max(report["seq"] for report in sent)]  # the latest
    [item] = queue(world.repair)  # the queue still shows it, with its findings
    assert item["asset_tag"] == agent.tag and "DISK_PENDING" in item["reasons"]
    assert "'deleted': 0" in runner.invoke(args=["agent", "prune"]).output
