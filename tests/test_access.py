"""Who may do what: tokens, roles, who sees borrowers (DESIGN.md, Privacy and safety).

Every person acts with their own token and role; a repair partner never sees
borrowers; a lending desk sees only its own. A refused request changes nothing.
"""

import hashlib
import json
from datetime import timedelta
from functools import partial

import pytest
import sqlalchemy as sa
from conftest import erasure
from conftest import in_days
from conftest import qc_record
from test_hostile_input import changed_tables
from test_hostile_input import error_of
from test_hostile_input import snapshot

from assettrack.extensions import db
from assettrack.models import ApiToken
from assettrack.models import User
from assettrack.models.types import utcnow
from assettrack.workflow.transitions import TRANSITIONS

ROLES = ("coordinator", "repair", "desk")


def assert_refused(app, send, status: int, code: str) -> dict:
    """`send()` is refused with `status` and `code` in the one shape; no writes."""
    before = snapshot(app)
    response = send()
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    error = error_of(response)
    assert error["code"] == code, error
    assert changed_tables(before, snapshot(app)) == []
    return error


def protected_routes(app, tag: str):
    """Every (method, path) under /api/v1 whose view asks for a token."""
    adapter = app.url_map.bind("localhost")
    sample = {"tag": tag, "action": "start_wipe"}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith("/api/v1/") or not hasattr(view, "required_roles"):
            continue
        values = {name: sample.get(name, 1) for name in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, adapter.build(rule.endpoint, values, method=method)


# --- tokens --------------------------------------------------------------------------


def test_without_a_token_every_protected_route_answers_401(world):
    tag = world.intake()["asset_tag"]
    routes = list(protected_routes(world.app, tag))
    assert len(routes) >= 15, routes
    for method, path in routes:
        error = assert_refused(
            world.app,
            partial(world.client.open, path, method=method, json={}),
            401,
            "unauthorized",
        )
        assert "Bearer" in error["message"], (method, path, error)


def test_the_health_check_and_the_api_description_need_no_token(client):
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer {token}x",
        "Bearer {token_prefix}",
        "Basic {token}",
        "Token {token}",
        "{token}",
        "Bearer",
        "Bearer ",
        "Bearer " + "a" * 10_000,
        "Bearer \u00e9\u00e8",
        "Bearer {token} {token}",
    ],
    ids=lambda h: h[:20],
)
def test_a_bad_token_answers_401(world, header):
    token = world.repair.headers["Authorization"].removeprefix("Bearer ")
    header = header.format(token=token, token_prefix=token[:-1])
    assert_refused(
        world.app,
        lambda: world.client.get("/api/v1/devices", headers={"Authorization": header}),
        401,
        "unauthorized",
    )
    assert_refused(
        world.app,
        lambda: world.client.post(
            "/api/v1/devices",
            headers={"Authorization": header},
            json={"kind": "laptop", "location": 1},
        ),
        401,
        "unauthorized",
    )


def test_the_scheme_is_case_insensitive_and_spaces_around_the_token_are_ignored(world):
    token = world.repair.headers["Authorization"].removeprefix("Bearer ")
    response = world.client.get(
        "/api/v1/devices", headers={"Authorization": f"bearer  {token} "}
    )
    assert response.status_code == 200, response.get_json()


def test_a_revoked_token_answers_401_and_the_persons_other_tokens_still_work(
    world, runner
):
    old = world.repair.headers
    assert world.client.get("/api/v1/devices", headers=old).status_code == 200
    result = runner.invoke(args=["token", "create", "repair@example.be"])
    assert result.exit_code == 0, result.output
    new = {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}
    with world.app.app_context():
        hashed = hashlib.sha256(
            old["Authorization"].removeprefix("Bearer ").encode()
        ).hexdigest()
        db.session.scalar(
            sa.select(ApiToken).filter_by(token_hash=hashed)
        ).revoked_at = utcnow()
        db.session.commit()
    assert_refused(
        world.app,
        lambda: world.client.get("/api/v1/devices", headers=old),
        401,
        "unauthorized",
    )
    assert_refused(
        world.app,
        lambda: world.client.post(
            "/api/v1/devices", headers=old, json={"kind": "laptop", "location": 1}
        ),
        401,
        "unauthorized",
    )
    assert world.client.get("/api/v1/devices", headers=new).status_code == 200


def test_a_person_who_was_deactivated_is_refused(world):
    with world.app.app_context():
        db.session.get(User, world.desk.user_id).active = False
        db.session.commit()
    assert_refused(world.app, lambda: world.desk.get("/devices"), 401, "unauthorized")


def test_tokens_are_stored_only_as_their_hash(world, runner):
    result = runner.invoke(args=["token", "create", "desk@example.be"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert (
        world.client.get(
            "/api/v1/devices", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )
    with world.app.app_context():
        stored = db.session.execute(sa.select(ApiToken.__table__)).mappings().all()
    assert hashlib.sha256(token.encode()).hexdigest() in {
        row["token_hash"] for row in stored
    }
    everything = json.dumps(snapshot(world.app))
    for known in [
        token,
        *(
            api.headers["Authorization"].removeprefix("Bearer ")
            for api in (world.admin, world.coordinator, world.repair, world.desk)
        ),
    ]:
        assert known not in everything
        assert known[8:40] not in everything  # not even part of it


# --- roles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "role"),
    [(t.action, role) for t in TRANSITIONS for role in ROLES if role not in t.roles],
)
def test_a_role_outside_an_actions_row_is_forbidden_it(world, action, role):
    """The table's "who may" column via the API: 403 before state or payload checks."""
    tag = world.intake()["asset_tag"]
    api = getattr(world, role)
    error = assert_refused(
        world.app, lambda: api.act(tag, action, {"reason": "x"}), 403, "forbidden"
    )
    assert role in error["message"]


def test_a_desk_cannot_register_devices_or_record_wiping(world):
    device = world.intake()
    tag, disk = device["asset_tag"], device["disks"][0]["id"]
    body = {"kind": "laptop", "location": world.location_ids["digileenplek"]}
    assert_refused(
        world.app, lambda: world.desk.post("/devices", json=body), 403, "forbidden"
    )
    assert_refused(
        world.app, lambda: world.desk.act(tag, "start_wipe"), 403, "forbidden"
    )
    world.ok(world.repair.act(tag, "start_wipe"))
    assert_refused(
        world.app,
        lambda: world.desk.post(f"/devices/{tag}/erasures", json=erasure(disk)),
        403,
        "forbidden",
    )
    assert_refused(
        world.app,
        lambda: world.desk.post(f"/devices/{tag}/disks", json={"kind": "hdd"}),
        403,
        "forbidden",
    )
    assert_refused(
        world.app, lambda: world.desk.act(tag, "finish_wipe"), 403, "forbidden"
    )


ENDPOINT_ROLES = [
    # method, path, body, roles that may (besides admin)
    (
        "post",
        "/locations",
        lambda w: {
            "name": "Bib Zwijnaarde",
            "kind": "lending",
            "municipality": "Gent",
            "postcode": "9052",
            "organisation": w.org_ids["desk"],
        },
        {"coordinator"},
    ),
    (
        "post",
        "/donations",
        lambda w: {"donor": "Scholengroep Gent", "received_on": "2026-11-02"},
        {"coordinator", "repair"},
    ),
    (
        "post",
        "/devices",
        lambda w: {"kind": "tablet", "location": w.location_ids["workshop"]},
        {"coordinator", "repair"},
    ),
    ("get", "/borrowers", None, {"desk"}),
    (
        "post",
        "/borrowers",
        lambda w: {"code": "B-0777", "name": "Jonas"},
        {"desk"},
    ),
    ("get", "/loans", None, {"desk", "coordinator"}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), ENDPOINT_ROLES, ids=lambda v: str(v)[:20]
)
def test_each_endpoint_refuses_the_roles_it_is_not_for(
    world, method, path, body, allowed
):
    payload = body(world) if body else None
    for role in ROLES:
        api = getattr(world, role)
        send = (
            partial(api.post, path, json=payload)
            if method == "post"
            else partial(api.get, path)
        )
        if role in allowed:
            assert send().status_code in (200, 201), role
        else:
            assert_refused(world.app, send, 403, "forbidden")


def test_a_repair_partner_cannot_lend_nor_see_who_borrowed(world):
    ready = world.ready_device()["asset_tag"]
    lend = {"borrower": "B-0042", "due_date": in_days(21)}
    assert_refused(
        world.app, lambda: world.repair.act(ready, "lend", lend), 403, "forbidden"
    )
    world.ok(world.desk.act(ready, "lend", lend))

    assert_refused(world.app, lambda: world.repair.get("/borrowers"), 403, "forbidden")
    assert_refused(
        world.app,
        lambda: world.repair.post("/borrowers", json={"code": "B-1", "name": "X"}),
        403,
        "forbidden",
    )
    assert_refused(world.app, lambda: world.repair.get("/loans"), 403, "forbidden")

    # A lent device is out of the repair partner's care altogether.
    for path in (f"/devices/{ready}", f"/devices/{ready}/events"):
        refused = world.repair.get(path)
        assert refused.status_code == 403
        assert "B-0042" not in refused.get_data(as_text=True)
    assert (
        world.desk.get(f"/devices/{ready}").get_json()["current_loan"]["borrower"]
        == "B-0042"
    )
    assert (
        world.coordinator.get(f"/devices/{ready}").get_json()["current_loan"][
            "borrower"
        ]
        == "B-0042"
    )
    assert "B-0042" in world.desk.get(f"/devices/{ready}/events").get_data(as_text=True)


def test_a_desk_sees_only_its_own_organisations_borrowers(world, other_desk):
    created = world.desk.post("/borrowers", json={"code": "B-0043", "name": "Mira"})
    assert created.status_code == 201, created.get_json()

    def codes(api):
        response = api.get("/borrowers?per_page=500")
        assert response.status_code == 200, response.get_json()
        return sorted(b["code"] for b in response.get_json()["items"])

    assert codes(world.desk) == ["B-0042", "B-0043"]
    assert codes(other_desk) == ["B-0900"]
    assert codes(world.admin) == ["B-0042", "B-0043", "B-0900"]


def test_a_desk_does_not_see_who_borrowed_from_another_desk(world, other_desk):
    tag = world.lent_device()["asset_tag"]
    for path in (f"/devices/{tag}", f"/devices/{tag}/events"):
        other = other_desk.get(path)
        assert other.status_code == 403  # lent from another digileenplek
        assert "B-0042" not in other.get_data(as_text=True)
        assert "De Krook" in error_of(other)["message"]  # where it is, to ask
    assert (
        world.desk.get(f"/devices/{tag}").get_json()["current_loan"]["borrower"]
        == "B-0042"
    )


def test_a_desk_cannot_lend_to_another_desks_borrower(world, other_desk):
    """A card number from another digileenplek is unknown here: 422, nothing lent."""
    tag = world.ready_device()["asset_tag"]
    lend = {"borrower": "B-0900", "due_date": in_days(14)}
    error = assert_refused(
        world.app, lambda: world.desk.act(tag, "lend", lend), 422, "validation_error"
    )
    assert error["details"]["fields"] == {"borrower": ["no such borrower"]}
    assert world.desk.get(f"/devices/{tag}").get_json()["state"] == "ready"


def test_an_admin_can_do_everything(world):
    admin = world.admin
    location = admin.post(
        "/locations",
        json={
            "name": "Bib Sint-Amandsberg",
            "kind": "lending",
            "municipality": "Gent",
            "postcode": "9040",
            "organisation": world.org_ids["desk"],
        },
    )
    assert location.status_code == 201, location.get_json()
    donation = admin.post(
        "/donations", json={"donor": "Stad Gent ICT", "received_on": "2026-11-03"}
    )
    assert donation.status_code == 201, donation.get_json()
    device = admin.post(
        "/devices",
        json={
            "kind": "laptop",
            "location": world.location_ids["workshop"],
            "donation": donation.get_json()["id"],
            "disks": [{"kind": "nvme", "serial": "N1"}],
        },
    )
    assert device.status_code == 201, device.get_json()
    tag, disk = device.get_json()["asset_tag"], device.get_json()["disks"][0]["id"]
    assert (
        admin.post(
            f"/devices/{tag}/disks", json={"kind": "hdd", "serial": "H2"}
        ).status_code
        == 201
    )
    extra = admin.get(f"/devices/{tag}").get_json()["disks"][1]["id"]

    world.ok(admin.act(tag, "start_wipe"))
    for disk_id in (disk, extra):
        assert (
            admin.post(f"/devices/{tag}/erasures", json=erasure(disk_id)).status_code
            == 201
        )
    world.ok(admin.act(tag, "finish_wipe"))
    world.ok(admin.act(tag, "submit_qc"))
    assert admin.post(f"/devices/{tag}/qc", json=qc_record("A")).status_code == 201
    world.ok(admin.act(tag, "pass_qc"))
    world.ok(admin.act(tag, "transfer", {"location": location.get_json()["id"]}))
    world.ok(admin.act(tag, "receive"))
    assert (
        admin.post("/borrowers", json={"code": "B-0500", "name": "Ilse"}).status_code
        == 201
    )
    world.ok(admin.act(tag, "lend", {"borrower": "B-0042", "due_date": in_days(14)}))
    world.ok(admin.act(tag, "renew", {"due_date": in_days(28)}))
    lent = admin.get(f"/devices/{tag}").get_json()
    assert lent["current_loan"]["borrower"] == "B-0042"
    assert admin.get("/loans").get_json()["total"] == 1
    world.ok(admin.act(tag, "return"))
    world.ok(admin.act(tag, "start_wipe"))
    for disk_id in (disk, extra):
        assert (
            admin.post(
                f"/devices/{tag}/erasures", json=erasure(disk_id, "shred")
            ).status_code
            == 201
        )
    world.ok(admin.act(tag, "send_to_repair", {"reason": "scharnier gebroken"}))
    final = world.ok(admin.act(tag, "scrap", {"reason": "onherstelbaar"}))
    assert final["state"] == "scrapped"
    actors = {e["actor"] for e in admin.get(f"/devices/{tag}/events").get_json()}
    assert actors == {"admin@example.be"}


# --- token expiry, scope and revocation ----------------------------------------------


def token_from(result) -> dict:
    assert result.exit_code == 0, result.output
    return {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}


def test_a_token_expires_after_its_days_and_then_answers_401(world, runner):
    made = runner.invoke(args=["token", "create", "coordinator@example.be"])
    assert "write, until " in made.output  # a year by default
    headers = token_from(made)
    assert world.client.get("/api/v1/devices", headers=headers).status_code == 200
    with world.app.app_context():
        token = db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)).all()[-1]
        assert 364 <= (token.expires_at - utcnow()).days <= 365
        token.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    error = assert_refused(
        world.app,
        lambda: world.client.post(
            "/api/v1/donations",
            json={"donor": "Scholengroep Gent", "received_on": in_days(0)},
            headers=headers,
        ),
        401,
        "unauthorized",
    )
    assert "expired" in error["message"] and "ask for a new one" in error["message"]


def test_a_read_only_token_looks_but_changes_nothing(world, runner):
    tag = world.intake()["asset_tag"]
    made = runner.invoke(
        args=["token", "create", "repair@example.be", "--read-only", "--days", "7"]
    )
    assert "read, until " in made.output
    headers = token_from(made)
    device = world.client.get(f"/api/v1/devices/{tag}", headers=headers)
    assert device.status_code == 200 and device.get_json()["state"] == "received"
    error = assert_refused(
        world.app,
        lambda: world.client.post(
            f"/api/v1/devices/{tag}/actions/start_wipe", json={}, headers=headers
        ),
        403,
        "forbidden",
    )
    assert error["message"] == "this token may only read"


def test_a_token_is_listed_and_revoked_from_the_command_line(world, runner):
    headers = token_from(runner.invoke(args=["token", "create", "desk@example.be"]))
    listed = runner.invoke(args=["token", "list", "desk@example.be"])
    assert listed.exit_code == 0, listed.output
    newest = listed.output.strip().splitlines()[-1]
    token_id = newest.split("\t")[0]
    assert "\twrite\t" in newest and newest.endswith("revoked -")
    assert "at_" not in listed.output  # never the token itself
    revoked = runner.invoke(args=["token", "revoke", token_id])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert_refused(
        world.app,
        lambda: world.client.get("/api/v1/devices", headers=headers),
        401,
        "unauthorized",
    )
    assert world.desk.get("/devices").status_code == 200  # the desk's other token
    bad = runner.invoke(args=["token", "create", "desk@example.be", "--days", "0"])
    assert bad.exit_code != 0 and "--days" in bad.output
