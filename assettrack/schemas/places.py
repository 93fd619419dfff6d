"""Organisations, locations and donated batches."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.models import LocationKind
from assettrack.schemas.common import Id
from assettrack.schemas.common import Text


class OrganisationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(required=True, min_length=1, max_length=120)
    kind = fields.String(dump_only=True)


class LocationSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Text(required=True, min_length=1, max_length=120)
    kind = fields.String(
        required=True, validate=validate.OneOf([k.value for k in LocationKind])
    )
    municipality = Text(required=True, min_length=1, max_length=80)
    postcode = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[1-9][0-9]{3}$", error="a Belgian postcode: four digits"
        ),
    )
    organisation = Id(required=True, attribute="organisation_id")


class DonorName(Text):
    """Read as the donor's name; written out from the donor organisation."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.name


class DonationSchema(Schema):
    id = fields.Integer(dump_only=True)
    donor = DonorName(
        required=True,
        min_length=1,
        max_length=120,
        metadata={"description": "the donor's name; created if new"},
    )
    received_on = fields.Date(required=True)
    notes = Text(load_default="", max_length=2000)
    device_count = fields.Integer(dump_only=True)
    devices = fields.Function(
        lambda donation: f"/api/v1/devices?donation={donation.id}",
        dump_only=True,
        metadata={"description": "where the batch's devices are listed"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
