"""Rate limits: per token, per address, per device; shared through Redis.

A coordinator's script that runs away with its token, someone guessing
passwords or certificate numbers: they get 429 with Retry-After. With Redis
every service process (here: separate app instances on one database) counts
together; without it each counts alone, and Redis going away lets requests
through instead of failing them.
"""

import logging
import re
import socket
import time
import uuid

import pytest
import redis

from assettrack.app import create_app
from assettrack.auth import hash_token
from assettrack.extensions import db
from tests.browser import PASSWORD
from tests.browser import Visitor
from tests.browser import set_password
from tests.conftest import REDIS_URL
from tests.conftest import unavailable

pytestmark = pytest.mark.redis


@pytest.fixture
def shared_redis():
    """The test Redis, and a key prefix of this test's own (removed after)."""
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as exc:
        unavailable(f"no Redis at {REDIS_URL}: {exc}")
    prefix = f"assettrack-test-limits-{uuid.uuid4().hex}"
    yield connection, prefix
    keys = connection.keys(f"{prefix}*")
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.fixture
def instances(app):
    """Build more service processes' worth of app on the test's database."""
    made = []

    def make(**config):
        instance = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "REDIS_URL": None,
                "API_RATE_LIMIT": 0,
                "API_ADDRESS_RATE_LIMIT": 0,
                **config,
            }
        )
        made.append(instance)
        return instance

    yield make
    for instance in made:
        with instance.app_context():
            db.engine.dispose()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends


def token_of(api) -> str:
    return api.headers["Authorization"].removeprefix("Bearer ")


def locations(instance, token: str):
    return instance.test_client().get(
        "/api/v1/locations", headers={"Authorization": f"Bearer {token}"}
    )


def statuses(responses) -> list[int]:
    return [r.status_code for r in responses]


def assert_rate_limited(response, at_most_s: int = 60) -> None:
    assert response.status_code == 429
    body = response.get_json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["message"]
    assert re.fullmatch(r"\d+", response.headers["Retry-After"])
    assert 1 <= int(response.headers["Retry-After"]) <= at_most_s


def test_two_processes_sharing_redis_count_one_token_together(
    world, shared_redis, instances
):
    _connection, prefix = shared_redis
    shared = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_PREFIX": prefix}
    first = instances(API_RATE_LIMIT="4/minute", **shared)
    second = instances(API_RATE_LIMIT="4/minute", **shared)
    token = token_of(world.coordinator)

    answers = [locations(app, token) for app in (first, second) * 3]

    assert statuses(answers) == [200, 200, 200, 200, 429, 429]
    assert_rate_limited(answers[4])
    # another person's token has a count of its own
    assert locations(second, token_of(world.repair)).status_code == 200


def test_without_redis_each_process_counts_alone(world, instances):
    first = instances(API_RATE_LIMIT="4/minute")
    second = instances(API_RATE_LIMIT="4/minute")
    token = token_of(world.coordinator)

    answers = [locations(app, token) for app in (first, second) * 5]

    assert statuses(answers) == [200] * 8 + [429, 429]


def test_a_token_over_its_limit_gets_429_with_retry_after_in_the_error_shape(
    world, instances
):
    app = instances(API_RATE_LIMIT="2/minute")
    token = token_of(world.desk)

    answers = [locations(app, token) for _ in range(3)]

    assert statuses(answers) == [200, 200, 429]
    assert_rate_limited(answers[2])
    assert answers[2].is_json
    # The API's description says so, for clients generated from it.
    described = app.test_client().get("/api/v1/openapi.json").get_json()
    refused = described["paths"]["/api/v1/locations"]["get"]["responses"]["429"]
    assert "Retry-After" in refused["headers"]
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("Error")


@pytest.mark.parametrize("counted_in", ["memory", "redis"])
def test_the_window_passes_and_requests_go_through_again(
    world, shared_redis, instances, counted_in
):
    _connection, prefix = shared_redis
    redis_url = REDIS_URL if counted_in == "redis" else None
    app = instances(
        API_RATE_LIMIT="2 per 2 seconds", REDIS_URL=redis_url, RATE_LIMIT_PREFIX=prefix
    )
    token = token_of(world.coordinator)

    answers = [locations(app, token) for _ in range(3)]
    assert statuses(answers) == [200, 200, 429]
    assert_rate_limited(answers[2], at_most_s=2)

    time.sleep(int(answers[2].headers["Retry-After"]) + 0.1)
    assert locations(app, token).status_code == 200


def test_requests_without_a_valid_token_count_per_address(world, instances):
    app = instances(API_ADDRESS_RATE_LIMIT="3/minute", API_RATE_LIMIT="100/minute")
    client = app.test_client()
    wrong = {"Authorization": "Bearer at_not-a-token"}

    answers = [
        client.get("/api/v1/health"),
        client.get("/api/v1/locations"),  # 401: no token
        client.get("/api/v1/locations", headers=wrong),  # 401: guessed
        client.get("/api/v1/health"),
        client.get("/api/v1/locations", headers=wrong),
    ]

    assert statuses(answers) == [200, 401, 401, 429, 429]
    assert_rate_limited(answers[3])
    assert_rate_limited(answers[4])
    # a valid token is counted by itself, not by the address it comes from
    assert locations(app, token_of(world.coordinator)).status_code == 200


def test_the_old_limits_are_shared_too_login_page_answers_in_dutch(
    world, shared_redis, instances
):
    _connection, prefix = shared_redis
    shared = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_PREFIX": prefix}
    first = instances(LOGIN_RATE_LIMIT=3, **shared)
    second = instances(LOGIN_RATE_LIMIT=3, **shared)
    set_password(first, "repair@example.be")
    visitors = [Visitor(first.test_client()), Visitor(second.test_client())]

    tries = [visitors[n % 2].login("repair@example.be", "guess") for n in range(3)]
    refused = visitors[1].login("repair@example.be", PASSWORD)

    assert statuses(tries) == [401, 401, 401]
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Te veel pogingen." in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_counter_keys_hold_ids_and_addresses_never_tokens_or_passwords(
    world, shared_redis, instances
):
    connection, prefix = shared_redis
    app = instances(
        REDIS_URL=REDIS_URL,
        RATE_LIMIT_PREFIX=prefix,
        API_RATE_LIMIT="100/minute",
        API_ADDRESS_RATE_LIMIT="100/minute",
    )
    set_password(app, "repair@example.be")
    token = token_of(world.coordinator)
    assert locations(app, token).status_code == 200
    assert locations(app, "at_a-guessed-token").status_code == 401
    Visitor(app.test_client()).login("repair@example.be", PASSWORD)

    keys = [key.decode() for key in connection.keys(f"{prefix}*")]

    token_id = _token_id(app, token)
    assert any(f"/api-token/{token_id}/" in key for key in keys), keys
    assert any("/api-address/127.0.0.1/" in key for key in keys), keys
    assert any("/login/127.0.0.1/" in key for key in keys), keys
    secrets = (token, hash_token(token), "a-guessed-token", PASSWORD)
    assert not [key for key in keys for secret in secrets if secret in key]


def _token_id(app, token: str) -> int:
    import sqlalchemy as sa

    from assettrack.models import ApiToken

    with app.app_context():
        return db.session.scalar(
            sa.select(ApiToken.id).filter_by(token_hash=hash_token(token))
        )


def test_redis_down_lets_requests_through_with_a_warning(world, instances, caplog):
    down = f"redis://127.0.0.1:{closed_port()}/0"
    app = instances(REDIS_URL=down, API_RATE_LIMIT="1/minute", LOGIN_RATE_LIMIT=1)
    set_password(app, "repair@example.be")
    token = token_of(world.coordinator)

    with caplog.at_level(logging.WARNING, logger="assettrack.ratelimit"):
        answers = [locations(app, token) for _ in range(3)]
        visitor = Visitor(app.test_client())
        logins = [visitor.login("repair@example.be", "guess") for _ in range(2)]

    assert statuses(answers) == [200, 200, 200]
    assert statuses(logins) == [401, 401]
    warnings = [r for r in caplog.records if "Redis is unreachable" in r.message]
    assert len(warnings) == 1  # once, not per request


def test_redis_back_after_the_pause_counts_again(world, shared_redis, instances):
    from assettrack import ratelimit

    _connection, prefix = shared_redis
    app = instances(
        REDIS_URL=REDIS_URL, RATE_LIMIT_PREFIX=prefix, API_RATE_LIMIT="1/minute"
    )
    token = token_of(world.coordinator)
    limiter = ratelimit.limiter(app)
    limiter.paused_until = time.monotonic() + 60  # as after a failure

    assert statuses(locations(app, token) for _ in range(2)) == [200, 200]
    limiter.paused_until = time.monotonic() - 1  # the pause is over
    assert statuses(locations(app, token) for _ in range(2)) == [200, 429]


def test_agent_reports_per_device_are_shared_across_processes(
    world, shared_redis, instances
):
    """The per-device limit keeps its number and now holds across processes."""
    from assettrack import ratelimit

    _connection, prefix = shared_redis
    shared = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_PREFIX": prefix}
    first = instances(AGENT_REPORT_RATE_LIMIT=2, **shared)
    second = instances(AGENT_REPORT_RATE_LIMIT=2, **shared)
    waits = []
    for app in (first, second, first):
        with app.test_request_context("/api/v1/agent/reports"):
            waits.append(
                ratelimit.wait_for("agent-reports", "17", "AGENT_REPORT_RATE_LIMIT")
            )
    assert waits[:2] == [0.0, 0.0]
    assert 0 < waits[2] <= 60


@pytest.mark.parametrize(
    ("setting", "amount", "seconds"),
    [(30, 30, 60), ("30", 30, 60), ("600/minute", 600, 60), ("2 per 2 seconds", 2, 2)],
)
def test_a_limit_is_a_number_per_minute_or_written_out(setting, amount, seconds):
    from assettrack.ratelimit import _item

    item = _item(setting)
    assert (item.amount, item.get_expiry()) == (amount, seconds)


@pytest.mark.parametrize("setting", [0, "0", "", None])
def test_zero_or_nothing_is_no_limit(world, instances, setting):
    app = instances(API_RATE_LIMIT=setting)
    token = token_of(world.coordinator)
    assert statuses(locations(app, token) for _ in range(3)) == [200] * 3


def test_in_memory_the_counters_are_forgotten_rather_than_grow(monkeypatch):
    from assettrack import ratelimit

    monkeypatch.setattr(ratelimit, "MAX_KEYS", 3)
    limiter = ratelimit.Limiter(None, "unused")
    once = ratelimit._item("1/minute")
    assert [limiter.wait(once, "b", str(n)) for n in range(3)] == [0.0] * 3
    assert limiter.wait(once, "b", "0") > 0  # 3 keys: still counted
    assert limiter.wait(once, "b", "3") == 0.0  # the 4th key
    assert limiter.wait(once, "b", "0") == 0.0  # over 3 kept: all forgotten first


def test_the_limits_are_read_from_the_environment(monkeypatch, tmp_path):
    from assettrack import config

    monkeypatch.setenv("ASSETTRACK_API_RATE_LIMIT", "20/second")
    monkeypatch.setenv("ASSETTRACK_API_ADDRESS_RATE_LIMIT", "0")
    monkeypatch.setenv("ASSETTRACK_RATE_LIMIT_PREFIX", "digibank-gent-limits")
    settings = config.from_environment(str(tmp_path))
    assert settings["API_RATE_LIMIT"] == "20/second"
    assert settings["API_ADDRESS_RATE_LIMIT"] == "0"
    assert settings["RATE_LIMIT_PREFIX"] == "digibank-gent-limits"
