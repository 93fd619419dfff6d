"""The audit trail (issue 8, Nothing lost): who changed people, tokens, places,
organisations and policies, outside the workflow (which has its events).

Each change leaves one entry in its own transaction, naming the person (or
the command line); a refused change leaves none; secrets are never kept.
"""

import json

from tests.test_access import token_from


def trail(world) -> list[dict]:
    answer = world.coordinator.get("/audit", query_string={"per_page": 100})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def since(world, before: int) -> list[dict]:
    return [entry for entry in trail(world) if entry["id"] > before]


def newest(world) -> int:
    entries = trail(world)
    return entries[0]["id"] if entries else 0


def test_a_coordinators_changes_are_kept_with_who_made_them(world):
    before = newest(world)
    place = world.coordinator.post(
        "/locations",
        json={
            "name": "Bib Sint-Amandsberg",
            "kind": "lending",
            "municipality": "Gent",
            "postcode": "9040",
            "organisation": world.org_ids["desk"],
        },
    )
    assert place.status_code == 201, place.get_json()
    policy = {
        "location": place.get_json()["id"],
        "device_kind": "laptop",
        "loan_days": 28,
        "renewal_days": 14,
        "max_renewals": 1,
        "max_open_loans": 1,
    }
    assert world.coordinator.put("/loan-policies", json=policy).status_code == 200
    assert (
        world.coordinator.put("/erasure-policy", json={"hdd": "purge"}).status_code
        == 200
    )

    entries = since(world, before)
    assert [e["action"] for e in entries] == [
        "organisation.change",
        "loan_policy.create",
        "location.create",
    ], "newest first"
    assert {e["actor"] for e in entries} == {"coordinator@example.be"}
    created = entries[2]
    assert (
        created["subject"] == f"location {place.get_json()['id']} Bib Sint-Amandsberg"
    )
    assert created["changes"]["postcode"] == "9040"
    erasure = entries[0]["changes"]["erasure_policy"]
    assert erasure["to"]["hdd"] == "purge"


def test_the_command_line_and_secrets(world, runner):
    before = newest(world)
    made = runner.invoke(
        args=["user", "create", "vrijwilliger@example.be", "--role", "desk"]
    )
    assert made.exit_code == 0, made.output
    password = runner.invoke(
        args=[
            "user",
            "password",
            "vrijwilliger@example.be",
            "--password",
            "geheim-wachtwoord",
        ]
    )
    assert password.exit_code == 0, password.output
    headers = token_from(
        runner.invoke(args=["token", "create", "vrijwilliger@example.be"])
    )
    entries = since(world, before)
    assert [e["action"] for e in entries] == [
        "token.create",
        "user.change",
        "user.create",
    ]
    assert {e["actor"] for e in entries} == {"command line"}
    assert entries[1]["changes"]["password_hash"] == {
        "from": "(changed)",
        "to": "(changed)",
    }
    assert entries[0]["changes"]["scope"] == "write"
    assert entries[0]["changes"]["token_hash"] == "(changed)"
    kept = json.dumps(entries)
    secret = headers["Authorization"].removeprefix("Bearer ")
    for never in ("geheim-wachtwoord", secret, "scrypt"):
        assert never not in kept


def test_a_refused_change_and_the_workflow_leave_no_entry(world):
    before = newest(world)
    duplicate = world.coordinator.post(
        "/locations",
        json={
            "name": "De Krook",
            "kind": "lending",
            "municipality": "Gent",
            "postcode": "9000",
            "organisation": world.org_ids["desk"],
        },
    )
    assert duplicate.status_code == 422
    tag = world.intake()["asset_tag"]
    assert world.repair.act(tag, "start_wipe").status_code == 200
    assert since(world, before) == []  # the workflow has its own events


def test_only_coordinators_and_admins_read_the_trail(world):
    assert world.admin.get("/audit").status_code == 200
    assert world.repair.get("/audit").status_code == 403
    assert world.desk.get("/audit").status_code == 403
