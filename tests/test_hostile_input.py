"""Careless and hostile requests: each gets a clear JSON error, and nothing is written.

API.md promises one error shape, the fitting status per kind of mistake, and that no
request to /api/, however malformed, gets a 500 or an HTML page. Every case here
also compares every row of every table before and after: a refused request must
leave the digibank's records exactly as they were.
"""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from functools import partial

import pytest
import sqlalchemy as sa
from conftest import World
from conftest import erasure
from conftest import in_days
from conftest import qc_record
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from marshmallow import Schema

from assettrack.extensions import db
from assettrack.schemas.actions import LendSchema
from assettrack.schemas.actions import RelocateSchema
from assettrack.schemas.actions import ReturnSchema
from assettrack.schemas.actions import TransferSchema
from assettrack.schemas.devices import DeviceIntakeSchema
from assettrack.schemas.devices import DeviceSchema
from assettrack.schemas.devices import DiskSchema
from assettrack.schemas.erasures import ErasureSchema
from assettrack.schemas.labels import JobSchema
from assettrack.schemas.labels import LabelSheetSchema
from assettrack.schemas.people import BorrowerSchema
from assettrack.schemas.people import LoanAgreementSchema
from assettrack.schemas.people import LoanPolicySchema
from assettrack.schemas.places import DonationSchema
from assettrack.schemas.places import LocationSchema
from assettrack.schemas.quality import QcSchema
from assettrack.schemas.tags import TagReservationSchema
from assettrack.workflow import ACTIONS
from labels.tags import make_tag

ONE_MIB = 1_048_576


# --- what "refused cleanly" means ----------------------------------------------------


def snapshot(app) -> dict[str, list[str]]:
    """Every row of every table, to prove that a refused request wrote nothing."""
    with app.app_context():
        return {
            table.name: sorted(
                repr(tuple(row)) for row in db.session.execute(sa.select(table))
            )
            for table in db.metadata.sorted_tables
        }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def error_of(response) -> dict:
    """The error body, after checking it has API.md's one shape and is no HTML page."""
    text = response.get_data(as_text=True)
    assert response.mimetype == "application/json", (
        f"{response.status_code} {response.mimetype}: {text[:200]}"
    )
    assert not text.lstrip().startswith("<"), text[:200]
    document = json.loads(text)
    assert list(document) == ["error"], document
    error = document["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert isinstance(error["details"], dict), error
    return error


def problem_with(
    response, status: int, code: str, field: str | None = None
) -> str | None:
    """Why `response` is not the clean refusal expected, or None when it is."""
    if response.status_code != status:
        text = response.get_data(as_text=True)[:300]
        return f"answered {response.status_code}, not {status}: {text}"
    try:
        error = error_of(response)
    except AssertionError as exc:
        return f"wrong error shape: {exc}"
    if error["code"] != code:
        return f"code {error['code']!r}, not {code!r}"
    if field is not None and field not in error["details"].get("fields", {}):
        return f"details.fields does not name {field!r}: {error['details']}"
    return None


class Refusals:
    """Send many bad requests; collect each not refused cleanly or that wrote."""

    def __init__(self, app):
        self.app, self.problems = app, []

    def expect(
        self,
        label: str,
        send: Callable,
        status: int,
        code: str,
        field: str | None = None,
    ):
        before = snapshot(self.app)
        response = send()
        problem = problem_with(response, status, code, field)
        if problem is None and (tables := changed_tables(before, snapshot(self.app))):
            problem = f"wrote to {tables}"
        if problem:
            self.problems.append(f"{label}: {problem}")

    def assert_all_clean(self):
        assert not self.problems, (
            f"{len(self.problems)} requests not refused cleanly:\n"
            + "\n".join(self.problems)
        )


# --- the endpoints that take a body --------------------------------------------------


class Bench(World):
    """The small digibank of conftest, with a device in qc and one ready to lend.

    Each device is made when a test first asks for it (before it takes its snapshot).
    """

    @cached_property
    def in_qc(self) -> dict:
        device = self.intake()
        tag = device["asset_tag"]
        self.ok(self.repair.act(tag, "start_wipe"))
        self.erase_all(device)
        self.ok(self.repair.act(tag, "finish_wipe"))
        self.ok(self.repair.act(tag, "submit_qc"))
        return device

    @property
    def qc_tag(self) -> str:
        return self.in_qc["asset_tag"]

    @property
    def disk_id(self) -> int:
        return self.in_qc["disks"][0]["id"]

    @cached_property
    def ready_tag(self) -> str:
        return self.ready_device()["asset_tag"]

    @cached_property
    def lent_tag(self) -> str:
        return self.lent_device()["asset_tag"]


@dataclass(frozen=True)
class Target:
    """One endpoint taking a body: who may use it, where, a body it accepts, its schema."""

    role: str
    path: Callable[[Bench], str]
    valid: Callable[[Bench], dict]
    schema: type[Schema]
    success: int = 201
    shown: type[Schema] | None = None  # the answer's schema, when not `schema`
    multipart: bool = False  # takes multipart/form-data too (the same fields)
    method: str = "POST"


TARGETS = {
    "locations": Target(
        "coordinator",
        lambda b: "/locations",
        lambda b: {
            "name": "Bibliotheek Oostakker",
            "kind": "lending",
            "municipality": "Gent",
            "postcode": "9041",
            "organisation": b.org_ids["desk"],
        },
        LocationSchema,
    ),
    "donations": Target(
        "coordinator",
        lambda b: "/donations",
        lambda b: {
            "donor": "Bakkerij Verhaeghe",
            "received_on": "2026-11-20",
            "notes": "6 laptops",
        },
        DonationSchema,
    ),
    "devices": Target(
        "repair",
        lambda b: "/devices",
        lambda b: {
            "kind": "laptop",
            "make": "Dell",
            "model": "Latitude 5490",
            "serial": "CN0X1",
            "location": b.location_ids["workshop"],
            "specs": {"ram_gb": 8, "storage_gb": 256},
            "disks": [{"kind": "ssd", "serial": "S9", "size_gb": 256}],
        },
        DeviceIntakeSchema,
        shown=DeviceSchema,
    ),
    "lend": Target(
        "desk",
        lambda b: f"/devices/{b.ready_tag}/actions/lend",
        lambda b: {
            "borrower": "B-0042",
            "due_date": in_days(30),
            "note": "voor sollicitaties",
        },
        LendSchema,
        success=200,
    ),
    "transfer": Target(
        "coordinator",
        lambda b: f"/devices/{b.ready_tag}/actions/transfer",
        lambda b: {"location": b.location_ids["storage"]},
        TransferSchema,
        success=200,
    ),
    "relocate": Target(
        "coordinator",
        lambda b: f"/devices/{b.ready_tag}/actions/relocate",
        lambda b: {"location": b.location_ids["storage"], "note": "kast 3"},
        RelocateSchema,
        success=200,
    ),
    "erasures": Target(
        "repair",
        lambda b: f"/devices/{b.qc_tag}/erasures",
        lambda b: erasure(b.disk_id),
        ErasureSchema,
        multipart=True,
    ),
    "qc": Target(
        "repair",
        lambda b: f"/devices/{b.qc_tag}/qc",
        lambda b: qc_record("B"),
        QcSchema,
    ),
    "disks": Target(
        "repair",
        lambda b: f"/devices/{b.qc_tag}/disks",
        lambda b: {"kind": "hdd", "model": "WD Blue", "serial": "WX41", "size_gb": 500},
        DiskSchema,
    ),
    "borrowers": Target(
        "desk",
        lambda b: "/borrowers",
        lambda b: {"code": "B-0100", "name": "Samira", "contact": "via OCMW"},
        BorrowerSchema,
    ),
    "loan-agreements": Target(
        "coordinator",
        lambda b: "/loan-agreements",
        lambda b: {
            "organisation": b.org_ids["desk"],
            "text": "Ik zorg goed voor het toestel.",
        },
        LoanAgreementSchema,
    ),
    "loan-policies": Target(
        "coordinator",
        lambda b: "/loan-policies",
        lambda b: {
            "location": b.location_ids["digileenplek"],
            "device_kind": "laptop",
            "loan_days": 28,
            "renewal_days": 14,
            "max_renewals": 1,
            "max_open_loans": 2,
        },
        LoanPolicySchema,
        success=200,
        method="PUT",
    ),
    "return": Target(
        "desk",
        lambda b: f"/devices/{b.lent_tag}/actions/return",
        lambda b: {
            "condition_note": "kras op het scherm",
            "accessories_back": ["charger"],
        },
        ReturnSchema,
        success=200,
    ),
    "tag-reservations": Target(
        "coordinator",
        lambda b: "/tag-reservations",
        lambda b: {"organisation": b.org_ids["repair"], "count": 24},
        TagReservationSchema,
    ),
    "label-sheets": Target(
        "coordinator",
        lambda b: "/labels/sheets",
        lambda b: {"tags": [b.ready_tag], "layout": "a4-3x8"},
        LabelSheetSchema,
        success=202,
        shown=JobSchema,
    ),
}


def input_fields(schema: type[Schema]) -> dict:
    """The fields a body may carry, by their name in JSON."""
    return {
        field.data_key or name: field for name, field in schema().load_fields.items()
    }


@pytest.fixture
def bench(app, client) -> Bench:
    return Bench(app, client)


def poster(bench: Bench, target: Target, **request):
    """A function that sends one request to `target` as the person allowed to use it."""
    person = getattr(bench, target.role)
    headers = {**person.headers, **request.pop("headers", {})}
    path = "/api/v1" + target.path(bench)
    return partial(
        bench.client.open, path, method=target.method, headers=headers, **request
    )


def with_field(body: dict, key: str, value) -> dict:
    return {**body, key: value}


# Values that no field of any of these endpoints accepts.
JUNK = {
    "a list in a list in a list": [[["x"]]],
    "an object nested in an object": {"a": {"b": [1, None, {"c": "d"}]}},
    "2**63": 2**63,
    "10**30": 10**30,
    "-2**63": -(2**63),
    "-1": -1,
    "a NUL character": "\x00",
    "a bell and an escape": "ab\x07c\x1b[31m",
    "100 000 characters": "x" * 100_000,
    "infinity": float("inf"),
    "not a number": float("nan"),
    "a lone surrogate": "\ud800",
}


@pytest.mark.parametrize("name", TARGETS)
def test_the_valid_body_is_accepted(bench, name):
    """The baseline: every refusal below is caused by the damage, not by the setup."""
    target = TARGETS[name]
    response = poster(bench, target, json=target.valid(bench))()
    assert response.status_code == target.success, response.get_json()


@pytest.mark.parametrize("name", [n for n in TARGETS if n != "return"])
def test_a_missing_required_field_is_named(bench, name):
    """(Taking a device back needs nothing: every field of a return is optional.)"""
    target, refusals = TARGETS[name], Refusals(bench.app)
    body = target.valid(bench)
    required = [
        key for key, field in input_fields(target.schema).items() if field.required
    ]
    # A schema with no required field says in a rule of its own what is needed
    # (a label sheet: one of tags, donation, reservation); an empty body breaks it.
    missing = {key: key for key in required} or {"_schema": "everything"}
    for key, left_out in missing.items():
        damaged = {k: v for k, v in body.items() if k != left_out and key != "_schema"}
        refusals.expect(
            f"without {left_out}",
            poster(bench, target, json=damaged),
            422,
            "validation_error",
            key,
        )
    refusals.assert_all_clean()


@pytest.mark.parametrize("name", TARGETS)
def test_null_for_a_field_that_needs_a_value_is_named(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    body = target.valid(bench)
    for key, field in input_fields(target.schema).items():
        if field.allow_none:
            continue
        damaged = with_field(body, key, None)
        refusals.expect(
            f"{key}=null",
            poster(bench, target, json=damaged),
            422,
            "validation_error",
            key,
        )
    refusals.assert_all_clean()


@pytest.mark.parametrize("name", TARGETS)
def test_a_value_of_the_wrong_kind_is_named(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    body = target.valid(bench)
    for key in input_fields(target.schema):
        for label, value in JUNK.items():
            damaged = with_field(body, key, value)
            refusals.expect(
                f"{key}={label}",
                poster(bench, target, json=damaged),
                422,
                "validation_error",
                key,
            )
    refusals.assert_all_clean()


@pytest.mark.parametrize("name", TARGETS)
def test_an_unknown_or_read_only_field_is_named(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    body = target.valid(bench)
    shown = (target.shown or target.schema)().dump_fields
    read_only = [
        key for key, field in shown.items() if key not in input_fields(target.schema)
    ]
    for key in ["unexpected", "\x00", "x" * 10_000, "__class__", *read_only]:
        damaged = with_field(body, key, "ready")
        refusals.expect(
            f"extra field {key[:20]!r}",
            poster(bench, target, json=damaged),
            422,
            "validation_error",
            key,
        )
    refusals.assert_all_clean()


NESTED_JUNK = [
    ("devices", "specs", {"ram_gb": "lots"}),
    ("devices", "specs", {"ram_gb": 10**30}),
    ("devices", "specs", {"cpu": "i5\x00"}),
    ("devices", "specs", {"screen_inch": float("inf")}),
    ("devices", "specs", {"owner": "the donor's name"}),
    ("devices", "specs", {"year": -1}),
    ("devices", "disks", [{"kind": "floppy"}]),
    ("devices", "disks", [{}]),
    ("devices", "disks", [None]),
    ("devices", "disks", [{"kind": "ssd", "size_gb": -1}]),
    ("devices", "disks", [{"kind": "ssd", "size_gb": 2**63}]),
    ("devices", "disks", [{"kind": "ssd", "id": 1}]),
    ("devices", "disks", [{"kind": "ssd"}] * 100),
    ("devices", "disks", "ssd"),
    ("devices", "asset_tag", "DB-" + "9" * 40),
    ("devices", "asset_tag", "garbage"),
    (
        "devices",
        "asset_tag",
        make_tag(4711)[:-1] + ("B" if make_tag(4711)[-1] != "B" else "C"),
    ),
    ("qc", "items", {}),
    ("qc", "items", {"power_boot": "pass"}),
    ("qc", "items", {"power_boot": {"result": "maybe"}}),
    ("qc", "items", {"power_boot": {"result": None}}),
    ("qc", "items", {"power_boot": None}),
    ("qc", "items", {"power_boot": {"note": "fine"}}),
    ("qc", "items", {"power_boot": {"result": "pass", "note": "x" * 501}}),
    ("qc", "items", {"power_boot": {"result": "pass", "grade": "A"}}),
    ("qc", "items", {"\x00": {"result": "pass"}}),
    ("qc", "items", {"x" * 41: {"result": "pass"}}),
    ("qc", "items", {f"item{i}": {"result": "pass"} for i in range(51)}),
    ("qc", "items", {"teleporter": {"result": "pass"}}),
    ("qc", "items", {"touchpad": {"result": "na"}}),
    ("qc", "items", {"bios_password": {"result": "na"}}),
    ("qc", "grade", "A+"),
    ("erasures", "started_at", "2026-11-28T09:00:00"),
    ("erasures", "started_at", "2026-11-28T09:00:00+25:00"),
    ("erasures", "started_at", "28/11/2026 09:00"),
    ("erasures", "finished_at", "2026-11-28T08:00:00+01:00"),
    ("erasures", "technique", "PURGE; DROP TABLE devices"),
    ("erasures", "technique", "overwrite-1-pass"),
    ("erasures", "passes", 0),
    ("erasures", "passes", 100),
    ("erasures", "verification_result", None),
    ("erasures", "claimed_level", "nuked"),
    ("erasures", "log_sha256", "0" * 63),
    ("erasures", "disk", 99_999),
    ("lend", "due_date", "2027-02-30"),
    ("lend", "due_date", "10000-01-01"),
    ("lend", "due_date", "2020-01-01"),
    ("lend", "due_date", "9999-12-31"),
    ("lend", "borrower", "B-9999"),
    ("lend", "borrower", ""),
    ("transfer", "location", 99_999),
    ("relocate", "location", 99_999),
    ("donations", "received_on", "yesterday"),
    ("locations", "postcode", "09000"),
    ("locations", "organisation", 99_999),
    ("devices", "location", 99_999),
    ("devices", "donation", 99_999),
    ("borrowers", "code", "B 0042; --"),
    ("borrowers", "code", "B-0042"),
]


@pytest.mark.parametrize("name", sorted({name for name, _, _ in NESTED_JUNK}))
def test_junk_inside_a_field_is_named(bench, name):
    """Values of the right JSON kind that are still wrong: named, not stored."""
    target, refusals = TARGETS[name], Refusals(bench.app)
    for key, value in [
        (key, value) for target_name, key, value in NESTED_JUNK if target_name == name
    ]:
        damaged = with_field(target.valid(bench), key, value)
        label = f"{key}={str(value)[:40]}"
        refusals.expect(
            label, poster(bench, target, json=damaged), 422, "validation_error", key
        )
    refusals.assert_all_clean()


NOT_OBJECTS = {
    "an empty array": [],
    "an array of the body": None,
    "a string": "laptop",
    "a number": 42,
    "null": None,
    "true": True,
}


@pytest.mark.parametrize("name", TARGETS)
def test_a_body_that_is_not_an_object_is_refused(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    for label, document in NOT_OBJECTS.items():
        if label == "an array of the body":
            document = [target.valid(bench)]
        send = poster(
            bench, target, data=json.dumps(document), content_type="application/json"
        )
        refusals.expect(label, send, 422, "validation_error", "_body")
    refusals.assert_all_clean()


MALFORMED = {
    "truncated": b'{"kind": "laptop", "location": ',
    "single quotes": b"{'kind': 'laptop'}",
    "a trailing comma": b'{"kind": "laptop",}',
    "two documents": b'{"kind": "laptop"} {"kind": "tablet"}',
    "a stray brace": b'{"kind": "laptop"}}',
    "an empty body": b"",
    "only whitespace": b"   \n ",
    "a NUL byte": b"\x00",
    "invalid UTF-8": b'{"make": "\xff\xfe"}',
    "100 000 open brackets": b"[" * 100_000,
    "100 000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "50 000 nested objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "an integer of 5000 digits": b'{"location": ' + b"9" * 5000 + b"}",
    "a comment": b'{"kind": "laptop" /* donated */}',
    "XML": b"<device><kind>laptop</kind></device>",
}


@pytest.mark.parametrize("name", TARGETS)
def test_malformed_json_is_a_bad_request(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    for label, raw in MALFORMED.items():
        send = poster(bench, target, data=raw, content_type="application/json")
        refusals.expect(label, send, 400, "bad_request")
    refusals.assert_all_clean()


@pytest.mark.parametrize("name", TARGETS)
def test_a_body_that_is_not_json_is_a_bad_request(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    valid = json.dumps(target.valid(bench))
    cases = {
        "JSON sent as text/plain": {"data": valid, "content_type": "text/plain"},
        "JSON without a content type": {"data": valid},
        "a form": {"data": {"kind": "laptop", "location": "1"}},
        "a file upload": {"data": {"file": (io.BytesIO(b"{}"), "body.json")}},
        "XML": {"data": "<device/>", "content_type": "application/xml"},
        "JSON claiming to be an image": {"data": valid, "content_type": "image/png"},
        "JSON streamed as text/plain": streamed(valid.encode(), "text/plain"),
        "JSON streamed without a content type": streamed(valid.encode(), None),
    }
    if target.success != 200:  # an action without a body gets the empty payload
        cases["no body at all"] = {}
    if target.multipart:  # a form with a file is read: its fields are what is wrong
        upload = cases.pop("a file upload")
        refusals.expect(
            "a file upload", poster(bench, target, **upload), 422, "validation_error"
        )
    for label, request in cases.items():
        refusals.expect(label, poster(bench, target, **request), 400, "bad_request")
    refusals.assert_all_clean()


def streamed(raw: bytes, content_type: str | None) -> dict:
    """A body sent in chunks, without Content-Length (as gunicorn passes it on)."""
    headers = {"Transfer-Encoding": "chunked"}
    if content_type:
        headers["Content-Type"] = content_type
    return {
        "input_stream": io.BytesIO(raw),
        "headers": headers,
        "environ_overrides": {"wsgi.input_terminated": True},
    }


@pytest.mark.parametrize("name", ["donations", "transfer"])
def test_a_streamed_body_is_read_like_any_other(bench, name):
    target = TARGETS[name]
    raw = json.dumps(target.valid(bench)).encode()
    response = poster(bench, target, **streamed(raw, "application/json"))()
    assert response.status_code == target.success, response.get_json()


def test_an_action_sent_without_a_body_needs_its_payload(bench):
    refusals = Refusals(bench.app)
    target = TARGETS["lend"]
    refusals.expect(
        "lend without a body",
        poster(bench, target),
        422,
        "validation_error",
        "borrower",
    )
    refusals.assert_all_clean()


@pytest.mark.parametrize("name", TARGETS)
def test_a_body_over_one_mebibyte_is_too_large(bench, name):
    target, refusals = TARGETS[name], Refusals(bench.app)
    bare = len(json.dumps({**target.valid(bench), "padding": ""}).encode())
    just_over = json.dumps(
        {**target.valid(bench), "padding": "x" * (ONE_MIB + 1 - bare)}
    ).encode()
    assert len(just_over) == ONE_MIB + 1
    refusals.expect(
        "1 MiB + 1 byte",
        poster(bench, target, data=just_over, content_type="application/json"),
        413,
        "payload_too_large",
    )
    refusals.expect(
        "20 MiB",
        poster(
            bench, target, data=b"[" * (20 * ONE_MIB), content_type="application/json"
        ),
        413,
        "payload_too_large",
    )
    # Valid JSON if cut off at the limit: the service must refuse it, not cut it.
    padded = json.dumps(target.valid(bench)).encode() + b" " * (2 * ONE_MIB)
    refusals.expect(
        "a valid body and 2 MiB of spaces, streamed without Content-Length",
        poster(bench, target, **streamed(padded, "application/json")),
        413,
        "payload_too_large",
    )
    refusals.assert_all_clean()


def test_a_body_just_under_the_limit_is_read_and_judged(bench):
    """The limit is on size only: a big but honest body is read and judged."""
    target, refusals = TARGETS["donations"], Refusals(bench.app)
    body = with_field(target.valid(bench), "notes", "x" * (ONE_MIB - 200))
    refusals.expect(
        "notes of almost 1 MiB",
        poster(bench, target, json=body),
        422,
        "validation_error",
        "notes",
    )
    refusals.assert_all_clean()


# --- the URL: tags, actions, routes, methods, query strings --------------------------

BAD_TAGS = {
    "garbage": "garbage",
    "punctuation": "!!!",
    "a wrong check character": None,  # filled in from a real tag
    "500 characters": "D" * 500,
    "a NUL": "%00",
    "a NUL inside a tag": "DB-%0000001",
    "Cyrillic": "ДБ-000001",
    "Arabic-Indic digits": "DB-٠٠٠٠٠١",
    "an emoji": "%F0%9F%92%BB",
    "invalid UTF-8": "%FF%FE",
    "only spaces": "%20%20",
    "a quote": "DB-000001'--",
}


def bad_tags(bench: Bench) -> dict[str, str]:
    tags = dict(BAD_TAGS)
    real = bench.qc_tag
    wrong = "Z" if real[-1] != "Z" else "Y"
    tags["a wrong check character"] = real[:-1] + wrong
    return tags


def test_a_bad_tag_in_the_url_is_not_found(bench):
    refusals = Refusals(bench.app)
    for label, tag in bad_tags(bench).items():
        for method, suffix, person, body in [
            ("get", "", bench.desk, None),
            ("get", "/events", bench.desk, None),
            ("post", "/actions/start_wipe", bench.repair, {}),
            ("post", "/erasures", bench.repair, erasure(bench.disk_id)),
            ("post", "/qc", bench.repair, qc_record()),
            ("post", "/disks", bench.repair, {"kind": "ssd"}),
        ]:
            path = f"/api/v1/devices/{tag}{suffix}"
            send = partial(
                bench.client.open,
                path,
                method=method,
                headers=person.headers,
                json=body,
            )
            refusals.expect(
                f"{label} {method.upper()} {suffix or '/'}", send, 404, "not_found"
            )
    refusals.assert_all_clean()


def test_an_unknown_action_is_not_found(bench):
    refusals = Refusals(bench.app)
    for action in [
        "fly",
        "START_WIPE",
        "start_wipe ",
        "%00",
        "x" * 500,
        "__init__",
        "lend;return",
    ]:
        path = f"/api/v1/devices/{bench.qc_tag}/actions/{action}"
        send = partial(bench.client.post, path, headers=bench.admin.headers, json={})
        refusals.expect(f"action {action[:20]!r}", send, 404, "not_found")
    refusals.assert_all_clean()


BAD_QUERIES = [
    ("/devices", "page=0", "page"),
    ("/devices", "page=-1", "page"),
    ("/devices", "page=abc", "page"),
    ("/devices", "page=" + "9" * 5000, "page"),
    ("/devices", "per_page=501", "per_page"),
    ("/devices", "per_page=0", "per_page"),
    ("/devices", "location=abc", "location"),
    ("/devices", "location=99999999999999", "location"),
    ("/devices", "location=-3", "location"),
    ("/devices", "location=1.5", "location"),
    ("/devices", "donation=0", "donation"),
    ("/devices", "state=flying", "state"),
    ("/devices", "state=", "state"),
    ("/devices", "kind=boat", "kind"),
    ("/devices", "q=%00", "q"),
    ("/devices", "q=" + "x" * 101, "q"),
    ("/locations", "page=0", "page"),
    ("/donations", "per_page=501", "per_page"),
    ("/borrowers", "per_page=100000", "per_page"),
    ("/loans", "overdue=maybe", "overdue"),
    ("/loans", "open=perhaps", "open"),
]


def test_a_bad_query_parameter_is_named(bench):
    refusals = Refusals(bench.app)
    for path, query, field in BAD_QUERIES:
        send = partial(
            bench.client.get, f"/api/v1{path}?{query}", headers=bench.admin.headers
        )
        refusals.expect(f"{path}?{query[:30]}", send, 422, "validation_error", field)
    refusals.assert_all_clean()


def test_the_filters_those_parameters_feed_do_work(bench):
    """The other side of the refusals above: good values in a query string work."""
    qc_tag, ready_tag = bench.qc_tag, bench.ready_tag
    at_desk = bench.desk.get(
        f"/devices?location={bench.location_ids['digileenplek']}&state=ready&per_page=500"
    )
    assert at_desk.status_code == 200, at_desk.get_json()
    assert [d["asset_tag"] for d in at_desk.get_json()["items"]] == [ready_tag]
    workshop = f"/devices?location={bench.location_ids['workshop']}&page=1"
    in_qc = bench.repair.get(workshop)
    assert [d["asset_tag"] for d in in_qc.get_json()["items"]] == [qc_tag]
    assert bench.desk.get(workshop).get_json()["items"] == []  # not the desk's


UNKNOWN_ROUTES = [
    ("get", "/api"),
    ("get", "/api/v1"),
    ("get", "/api/v1/nothing-here"),
    ("post", "/api/v1/nothing-here"),
    ("get", "/api/v2/devices"),
    ("get", "/api/"),
    ("get", "/api/v1/devices/{tag}/nothing"),
    ("get", "/api/v1/devices/{tag}/actions"),
    ("get", "/api/v1/donations/99999999999999999999"),
    ("get", "/api/v1/donations/-1"),
    ("get", "/api/v1/donations/abc"),
    ("delete", "/api/v1/users/1"),
    ("get", "/api/v1/%00"),
    ("get", "/api/v1/..%2F..%2Fetc%2Fpasswd"),
]


def test_an_unknown_route_under_api_is_not_found(bench):
    refusals = Refusals(bench.app)
    for method, path in UNKNOWN_ROUTES:
        path = path.format(tag=bench.qc_tag)
        for person in (bench.admin, None):
            headers = person.headers if person else {}
            send = partial(bench.client.open, path, method=method, headers=headers)
            refusals.expect(
                f"{method.upper()} {path} {'with' if person else 'without'} a token",
                send,
                404,
                "not_found",
            )
    missing = partial(
        bench.client.get, "/api/v1/donations/99999", headers=bench.admin.headers
    )
    refusals.expect("a donation that does not exist", missing, 404, "not_found")
    refusals.assert_all_clean()


WRONG_METHODS = [
    ("delete", "/api/v1/devices"),
    ("put", "/api/v1/locations"),
    ("patch", "/api/v1/devices/{tag}"),
    ("delete", "/api/v1/devices/{tag}"),
    ("put", "/api/v1/devices/{tag}"),
    ("get", "/api/v1/devices/{tag}/actions/start_wipe"),
    ("delete", "/api/v1/devices/{tag}/events"),
    ("put", "/api/v1/devices/{tag}/erasures"),
    ("post", "/api/v1/health"),
    ("post", "/api/v1/openapi.json"),
    ("delete", "/api/v1/borrowers"),
    ("post", "/api/v1/loans"),
]


def test_a_wrong_method_is_refused_and_says_which_are_allowed(bench):
    refusals = Refusals(bench.app)
    for method, path in WRONG_METHODS:
        path = path.format(tag=bench.qc_tag)
        send = partial(
            bench.client.open, path, method=method, headers=bench.admin.headers
        )
        refusals.expect(f"{method.upper()} {path}", send, 405, "method_not_allowed")
        if not send().headers.get("Allow"):
            refusals.problems.append(f"{method.upper()} {path}: no Allow header")
    refusals.assert_all_clean()


# --- fuzzing -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


def bodies_for(schema: type[Schema]):
    """Objects whose keys are mostly the schema's own, so fuzz gets past the door."""
    keys = st.sampled_from(sorted(input_fields(schema))) | st.text(max_size=12)
    return st.dictionaries(keys, json_values, max_size=8)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_fuzzed(bench: Bench, send: Callable) -> None:
    """No 500, the error shape holds, and a refusal changed nothing."""
    before = snapshot(bench.app)
    response = send()
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        error_of(response)
        assert changed_tables(before, snapshot(bench.app)) == []


@FUZZ
@given(body=bodies_for(DeviceIntakeSchema))
def test_fuzzed_intake_bodies_never_break_the_service(bench, body):
    check_fuzzed(bench, lambda: bench.repair.post("/devices", json=body))


@FUZZ
@given(
    action=st.sampled_from(ACTIONS),
    body=st.one_of(bodies_for(LendSchema), bodies_for(TransferSchema), json_values),
)
def test_fuzzed_action_payloads_never_break_the_service(bench, action, body):
    tag = bench.ready_tag if action in ("lend", "transfer") else bench.qc_tag
    check_fuzzed(
        bench,
        lambda: (
            bench.admin.act(tag, action, body)
            if isinstance(body, dict)
            else bench.client.post(
                f"/api/v1/devices/{tag}/actions/{action}",
                headers=bench.admin.headers,
                data=json.dumps(body),
                content_type="application/json",
            )
        ),
    )
