"""Running the service: its health check, its own API description, and rq jobs.

These are what operators and other people's tools rely on (API.md): a load
balancer asks /health, a client generator reads /openapi.json, and slow work
goes to rq workers when REDIS_URL is set.
"""

import pytest
import redis
import sqlalchemy as sa
from conftest import REDIS_URL
from conftest import in_days
from conftest import unavailable
from openapi_schema_validator import OAS30ReadValidator
from openapi_spec_validator import validate
from rq.job import Job

from assettrack import jobs
from assettrack import lifecycle
from assettrack.app import create_app
from assettrack.extensions import db
from assettrack.models import User
from assettrack.tagging import find_device
from assettrack.workflow import ACTIONS

QUEUE = "assettrack-test-service"


def same_database_app(app, **config):
    """Another app on the suite's database, e.g. one whose jobs go to Redis."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RQ_QUEUE": QUEUE,
            **config,
        }
    )


@pytest.fixture
def other_apps():
    """Apps a test builds itself; their connections are closed afterwards."""
    made = []
    yield made
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def redis_app(app, other_apps):
    """The suite's database, with jobs going to the real Redis (its own db number)."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis at {REDIS_URL}: {exc}")
    connection.flushdb()
    other_apps.append(same_database_app(app, REDIS_URL=REDIS_URL))
    yield other_apps[-1]
    connection.flushdb()
    connection.close()


# --- health --------------------------------------------------------------------------


def health_of(app):
    response = app.test_client().get("/api/v1/health")
    assert response.mimetype == "application/json"
    return response.status_code, response.get_json()


def test_health_is_ok_without_a_token_and_jobs_run_inline_without_redis(app):
    assert health_of(app) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "queue": "inline"}},
    )


def test_health_is_ok_with_the_real_redis(redis_app):
    assert health_of(redis_app) == (
        200,
        {"status": "ok", "checks": {"database": "ok", "queue": "ok"}},
    )


def test_health_is_degraded_when_redis_does_not_answer(app, other_apps):
    other_apps.append(same_database_app(app, REDIS_URL="redis://127.0.0.1:1/0"))
    assert health_of(other_apps[-1]) == (
        503,
        {"status": "degraded", "checks": {"database": "ok", "queue": "unreachable"}},
    )


def test_health_is_degraded_when_the_database_does_not_answer(tmp_path, other_apps):
    other_apps.append(
        create_app(
            {
                "TESTING": True,
                "REDIS_URL": None,
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite",
            }
        )
    )
    assert health_of(other_apps[-1]) == (
        503,
        {
            "status": "degraded",
            "checks": {"database": "unreachable", "queue": "inline"},
        },
    )


# --- the API's own description -------------------------------------------------------


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def openapi_path(rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", f"{{{name}}}").replace(
            f"<id:{name}>", f"{{{name}}}"
        )
    return path


def api_operations(app):
    """(method, OpenAPI path, view) of each /api/v1 route but the description itself."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_json":
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield (
                    method.lower(),
                    openapi_path(rule),
                    app.view_functions[rule.endpoint],
                )


def ref_name(schema: dict) -> str:
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    assert ref and ref.startswith("#/components/schemas/"), schema
    return ref.removeprefix("#/components/schemas/")


def test_the_description_is_valid_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_the_description_lists_every_api_route_with_its_methods(app, spec):
    operations = list(api_operations(app))
    assert len(operations) >= 16
    for method, path, _ in operations:
        assert method in spec["paths"].get(path, {}), (
            f"{method.upper()} {path} is not described"
        )
    described = {
        (m, p) for p, item in spec["paths"].items() for m in item if m != "parameters"
    }
    assert described == {(m, p) for m, p, _ in operations}


def test_each_route_names_the_schemas_it_reads_and_answers(app, spec):
    """Request and response schemas are the marshmallow schemas the views use."""
    schemas = spec["components"]["schemas"]
    for method, path, view in api_operations(app):
        operation = spec["paths"][path][method]
        declared = getattr(view, "openapi", {})
        assert (
            ref_name(
                operation["responses"]["default"]["content"]["application/json"][
                    "schema"
                ]
            )
            == "Error"
        )
        if "response" in declared:
            status = str(declared["status"])
            answer = ref_name(
                operation["responses"][status]["content"]["application/json"]["schema"]
            )
            assert answer in schemas, (path, answer)
        if "body" in declared:
            body = declared["body"]
            name = ref_name(
                operation["requestBody"]["content"]["application/json"]["schema"]
            )
            assert name == type(body).__name__.removesuffix("Schema"), (path, name)
            accepted = {
                field.data_key or key for key, field in body.load_fields.items()
            }
            assert accepted <= set(schemas[name]["properties"]), (path, accepted)
            required = {
                field.data_key or key
                for key, field in body.load_fields.items()
                if field.required
            }
            assert required == set(schemas[name].get("required", [])), (path, required)
            read_only = {
                key
                for key, field in schemas[name]["properties"].items()
                if field.get("readOnly")
            }
            assert not accepted & read_only, (path, accepted & read_only)
        if method == "post":
            assert "requestBody" in operation, f"POST {path} does not say what it reads"


def test_the_schema_names_are_the_ones_clients_generate_code_from(spec):
    def answer(path, method="get", status="200"):
        return ref_name(
            spec["paths"][path][method]["responses"][status]["content"][
                "application/json"
            ]["schema"]
        )

    def request(path):
        return ref_name(
            spec["paths"][path]["post"]["requestBody"]["content"]["application/json"][
                "schema"
            ]
        )

    assert (request("/api/v1/devices"), answer("/api/v1/devices", "post", "201")) == (
        "DeviceIntake",
        "Device",
    )
    assert answer("/api/v1/devices") == "DevicePage"
    assert answer("/api/v1/devices/{tag}") == "Device"
    assert answer("/api/v1/devices/{tag}/events") == "Event"
    assert request("/api/v1/devices/{tag}/erasures") == "Erasure"
    assert request("/api/v1/devices/{tag}/qc") == "Qc"
    assert request("/api/v1/devices/{tag}/disks") == "Disk"
    assert request("/api/v1/locations") == "Location"
    assert request("/api/v1/donations") == "Donation"
    assert request("/api/v1/borrowers") == "Borrower"
    assert answer("/api/v1/loans") == "LoanPage"
    act = spec["paths"]["/api/v1/devices/{tag}/actions/{action}"]
    assert answer("/api/v1/devices/{tag}/actions/{action}", "post") == "Device"
    payloads = act["post"]["requestBody"]["content"]["application/json"]["schema"][
        "anyOf"
    ]
    assert {ref_name(p) for p in payloads} >= {
        "lend_payload",
        "transfer_payload",
        "send_to_repair_payload",
    }
    action = next(p for p in act["parameters"] if p["name"] == "action")
    assert action["schema"]["enum"] == list(ACTIONS)
    assert {
        p["name"] for p in spec["paths"]["/api/v1/devices"]["get"]["parameters"]
    } >= {"page", "per_page", "state", "location", "kind", "q"}


def conforms(spec: dict, path: str, method: str, response) -> None:
    """`response` is what the description says this operation answers."""
    responses = spec["paths"][path][method]["responses"]
    described = responses.get(str(response.status_code)) or responses["default"]
    schema = {
        **described["content"]["application/json"]["schema"],
        "components": spec["components"],
    }
    OAS30ReadValidator(schema).validate(response.get_json())


def test_the_answers_are_what_the_description_says(world, spec):
    """Generated from the schemas that render the answers, so the two cannot drift."""
    tag = world.lent_device()["asset_tag"]
    desk = world.desk
    conforms(spec, "/api/v1/devices/{tag}", "get", desk.get(f"/devices/{tag}"))
    conforms(spec, "/api/v1/devices", "get", desk.get("/devices"))
    conforms(
        spec, "/api/v1/devices/{tag}/events", "get", desk.get(f"/devices/{tag}/events")
    )
    conforms(
        spec,
        "/api/v1/devices",
        "post",
        world.repair.post(
            "/devices",
            json={
                "kind": "desktop",
                "location": world.location_ids["workshop"],
                "specs": {"ram_gb": 4},
            },
        ),
    )
    conforms(
        spec,
        "/api/v1/devices/{tag}/actions/{action}",
        "post",
        desk.act(tag, "renew", {"due_date": in_days(40)}),
    )
    conforms(
        spec, "/api/v1/devices/{tag}/actions/{action}", "post", desk.act(tag, "lend")
    )
    conforms(spec, "/api/v1/loans", "get", desk.get("/loans"))
    conforms(spec, "/api/v1/borrowers", "get", desk.get("/borrowers"))
    conforms(spec, "/api/v1/locations", "get", desk.get("/locations"))
    conforms(
        spec,
        "/api/v1/donations",
        "post",
        world.coordinator.post(
            "/donations", json={"donor": "KBC", "received_on": "2026-10-01"}
        ),
    )
    conforms(spec, "/api/v1/donations", "get", desk.get("/donations"))


# --- background jobs -----------------------------------------------------------------


def send_to_repair_in_the_background(tag: str, email: str, reason: str) -> int:
    """A job like the service's own: plain arguments, the database via db.session."""
    user = db.session.scalar(sa.select(User).filter_by(email=email))
    return lifecycle.perform(
        find_device(tag), "send_to_repair", user, {"reason": reason}
    ).event.id


def test_a_job_waits_in_redis_until_a_worker_runs_it_in_the_app(world, redis_app):
    tag = world.intake()["asset_tag"]
    with redis_app.app_context():
        job = jobs.enqueue(
            send_to_repair_in_the_background, tag, "coordinator@example.be", "accu bol"
        )
    assert job["id"] and job["status"] == "queued" and job["result"] is None
    assert world.coordinator.get(f"/devices/{tag}").get_json()["state"] == "received"

    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    device = world.coordinator.get(f"/devices/{tag}").get_json()
    assert device["state"] == "repair"
    last = world.coordinator.get(f"/devices/{tag}/events").get_json()[-1]
    assert (last["action"], last["actor"], last["payload"]) == (
        "send_to_repair",
        "coordinator@example.be",
        {"reason": "accu bol"},
    )
    with redis_app.app_context():
        finished = Job.fetch(job["id"], connection=jobs.queue().connection)
        assert finished.get_status() == "finished"
        assert finished.return_value() == last["id"]


def test_without_redis_a_job_runs_at_once_and_no_worker_is_needed(world, runner):
    tag = world.intake()["asset_tag"]
    with world.app.app_context():
        job = jobs.enqueue(
            send_to_repair_in_the_background, tag, "repair@example.be", "toetsenbord"
        )
    assert job["id"] is None and job["status"] == "finished"
    assert world.repair.get(f"/devices/{tag}").get_json()["state"] == "repair"
    assert (
        world.repair.get(f"/devices/{tag}/events").get_json()[-1]["id"] == job["result"]
    )

    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL" in result.output


def test_a_label_sheet_is_rendered_by_the_worker_and_polled_until_done(
    world, redis_app
):
    tags = [world.intake()["asset_tag"] for _ in range(3)]
    coordinator = redis_app.test_client()
    headers = world.coordinator.headers
    started = coordinator.post(
        "/api/v1/labels/sheets", json={"tags": tags}, headers=headers
    )
    assert started.status_code == 202, started.get_json()
    job = started.get_json()
    assert (job["status"], job["result"]) == ("queued", None)
    polled = coordinator.get(f"/api/v1/jobs/{job['id']}/result", headers=headers)
    assert polled.status_code == 409  # not finished yet

    result = redis_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    done = coordinator.get(f"/api/v1/jobs/{job['id']}", headers=headers).get_json()
    assert (done["status"], done["done"], done["total"]) == ("finished", 3, 3)
    pdf = coordinator.get(done["result"], headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
