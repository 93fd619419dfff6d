"""When the database goes away (issue 8, Nothing lost): a clear 503, never a
500, and nothing half-written; the service answers again once it is back.

The database is really unreachable (a closed port, a folder that does not
exist) or really drops the connection in the middle of an action (PostgreSQL
ends the session's backend just before the commit). Redis is really away too
(a closed port) when a job is asked for.
"""

import pytest
import sqlalchemy as sa
from conftest import _settings
from test_service import same_database_app

from assettrack.app import create_app
from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.models import Device
from assettrack.models import WorkflowEvent


@pytest.fixture(params=["sqlite", "postgresql"])
def unreachable_app(request, tmp_path):
    """The service pointed at a database that is not there."""
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'no such folder' / 'assettrack.sqlite'}",
        "postgresql": "postgresql://postgres@127.0.0.1:1/assettrack",  # closed port
    }[request.param]
    return create_app(_settings(url, WTF_CSRF_ENABLED=False))


def test_an_unreachable_database_is_a_503_in_the_one_shape(unreachable_app):
    client = unreachable_app.test_client()
    answer = client.get(
        "/api/v1/devices", headers={"Authorization": "Bearer at_something"}
    )
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "10"
    error = answer.get_json()["error"]
    assert error["code"] == "unavailable" and "nothing was changed" in error["message"]
    health = client.get("/api/v1/health")
    assert health.status_code == 503
    assert health.get_json()["checks"]["database"] == "unreachable"
    page = client.post("/login", data={"email": "desk@example.be", "password": "x"})
    assert page.status_code == 503
    assert "Er werd niets gewijzigd" in page.get_data(as_text=True)


def _ended_before_commit(app):
    """PostgreSQL ends this session's connection just before it commits."""

    def end(session):
        pid = session.connection().connection.dbapi_connection.info.backend_pid
        other = sa.create_engine(
            app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT"
        )
        with other.connect() as connection:
            connection.execute(sa.text(f"SELECT pg_terminate_backend({pid})"))
        other.dispose()

    return end


def test_the_database_going_away_mid_action_leaves_nothing_half_written(
    postgres_world,
):
    world = postgres_world
    tag = world.intake()["asset_tag"]
    with world.app.app_context():
        events_before = db.session.scalar(sa.select(sa.func.count(WorkflowEvent.id)))
    end = _ended_before_commit(world.app)
    sa.event.listen(db.session, "before_commit", end)
    try:
        answer = world.repair.act(tag, "start_wipe")
    finally:
        sa.event.remove(db.session, "before_commit", end)
    assert answer.status_code == 503, answer.get_json()
    assert answer.get_json()["error"]["code"] == "unavailable"
    # Back: the device is as it was, no event was written, and the action works.
    with world.app.app_context():
        device = db.session.scalar(sa.select(Device).filter_by(asset_tag=tag))
        assert (device.state, device.version) == ("received", 1)
        events = db.session.scalar(sa.select(sa.func.count(WorkflowEvent.id)))
        assert events == events_before
    assert world.repair.act(tag, "start_wipe").status_code == 200


def test_a_job_asked_for_while_redis_is_away_is_a_503_and_shows_as_failed(world):
    """The label sheet cannot be queued: the one shape, when to try again, and the
    job's row says why instead of waiting for a worker forever."""
    away = same_database_app(world.app, REDIS_URL="redis://127.0.0.1:1/0")
    tag = world.intake()["asset_tag"]
    answer = away.test_client().post(
        "/api/v1/labels/sheets", json={"tags": [tag]}, headers=world.repair.headers
    )
    with away.app_context():
        db.engine.dispose()
    assert answer.status_code == 503, answer.get_json()
    assert answer.headers["Retry-After"] == "10"
    error = answer.get_json()["error"]
    assert error["code"] == "unavailable" and "try again later" in error["message"]
    with world.app.app_context():
        job = db.session.scalars(sa.select(BackgroundJob)).one()
        assert job.status == "failed"
        assert "the job queue is unreachable" in job.error
