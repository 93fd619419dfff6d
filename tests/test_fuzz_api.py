"""The API described by its own OpenAPI document, fuzzed by Schemathesis (issue 8,
Bad input): whatever a client sends, no answer is a 5xx, and every answer
matches the schema and status codes the description gives for it.

One test per operation, each on a small digibank of its own (the `world`:
places, a borrower, a device taken in, one ready, one lent), called as the
admin, who may do everything, so the generated requests reach the code behind
the permission checks; every read again as a repair partner and as a desk, whose
lists and lookups are scoped to their organisation. Schemathesis drives Hypothesis directly (its pytest
plugin does not run on pytest 9 yet).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance

from assettrack.app import create_app

DESCRIPTION = "/api/v1/openapi.json"
# Examples per operation: 64 operations in a minute or two.
EXAMPLES = 15
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


def _labels() -> list[str]:
    """Every operation the API describes, read from an app with no database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    described = schemathesis.openapi.from_wsgi(DESCRIPTION, app)
    return sorted(result.ok().label for result in described.get_all_operations())


def _fuzzed(world, label: str, caller: str) -> None:
    world.ready_device()
    world.lent_device()
    world.intake()
    described = schemathesis.openapi.from_wsgi(DESCRIPTION, world.app)
    operation = described.find_operation_by_label(label)
    headers = getattr(world, caller).headers

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def answered_as_described(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    answered_as_described()


@pytest.mark.parametrize("label", _labels())
def test_no_request_gets_a_server_error_or_an_undescribed_answer(world, label):
    _fuzzed(world, label, "admin")


@pytest.mark.parametrize("caller", ["repair", "desk"])
@pytest.mark.parametrize("label", [x for x in _labels() if x.startswith("GET ")])
def test_reading_as_a_repair_partner_or_a_desk_too(world, label, caller):
    """Their reads go through the scoping of reach.py, which the admin's skip."""
    _fuzzed(world, label, caller)
