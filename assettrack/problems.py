"""Why the domain says no, outside the workflow's own refusals.

Kept apart from the API so domain modules can raise them without importing
Flask views; `errors.py` turns each into the one error shape.
"""


class Refusal(Exception):
    """A record that cannot be accepted; `field` names what to correct."""

    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(message)
        self.field, self.status = field, status


class Conflict(Exception):
    """Someone else changed the device first; nothing was changed."""
