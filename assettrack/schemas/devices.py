"""Devices, their disks and their history."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.schemas.common import Id
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import Text
from assettrack.schemas.places import LocationSchema
from assettrack.schemas.places import OrganisationSchema
from assettrack.schemas.quality import LendabilityReasonSchema
from assettrack.workflow import State
from assettrack.workflow import lendability

DEVICE_KINDS = ("laptop", "desktop", "tablet", "all_in_one", "other")
DISK_KINDS = ("hdd", "ssd", "nvme", "emmc", "other")
DISK_INTERFACES = ("sata", "nvme", "usb", "emmc", "ide", "scsi", "other")


class SpecsSchema(Schema):
    cpu = Text(max_length=120)
    ram_gb = fields.Integer(validate=validate.Range(0, 4096))
    storage_gb = fields.Integer(validate=validate.Range(0, 1_000_000))
    screen_inch = fields.Float(validate=validate.Range(0, 100))
    os = Text(max_length=80)
    year = fields.Integer(validate=validate.Range(1980, 2100))
    battery_health_pct = fields.Integer(
        validate=validate.Range(0, 200),
        metadata={
            "description": "full-charge capacity as % of design (health, e.g. from"
            " the device agent); the lendability rules read it"
        },
    )


class DiskSchema(Schema):
    """A disk in the device; `removed_at` is set once it was taken out."""

    id = fields.Integer(dump_only=True)
    kind = fields.String(required=True, validate=validate.OneOf(DISK_KINDS))
    interface = fields.String(
        load_default="", validate=validate.OneOf(("", *DISK_INTERFACES))
    )
    make = Text(load_default="", max_length=80)
    model = Text(load_default="", max_length=120)
    serial = Text(load_default="", max_length=80)
    size_gb = fields.Integer(allow_none=True, validate=validate.Range(0, 1_000_000))
    data_bearing = fields.Boolean(load_default=True)
    removed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class _DeviceFields(Schema):
    """What a device is, as sent at intake and shown afterwards."""

    asset_tag = Text(
        max_length=20,
        metadata={"description": "given for pre-printed tags; assigned otherwise"},
    )
    kind = fields.String(required=True, validate=validate.OneOf(DEVICE_KINDS))
    make = Text(load_default="", max_length=80)
    model = Text(load_default="", max_length=120)
    serial = Text(load_default="", max_length=80)
    specs = fields.Nested(SpecsSchema, load_default=dict)
    donation = Id(attribute="donation_id", allow_none=True, load_default=None)
    disks = fields.List(
        fields.Nested(DiskSchema), load_default=list, validate=validate.Length(max=16)
    )


class DeviceIntakeSchema(_DeviceFields):
    """A device registered at intake: `location` is the id of where it is.

    A schema of its own because the device shown afterwards has `location` as an
    object: one schema cannot describe both to OpenAPI clients.
    """

    location_id = Id(data_key="location", required=True)


class LendabilitySchema(Schema):
    """What the device's latest quality check says it may be lent for, and why."""

    lendability_class = fields.String(
        data_key="class",
        attribute="lendability",
        allow_none=True,
        metadata={"enum": list(lendability.CLASSES)},
    )
    reasons = fields.List(
        fields.Nested(LendabilityReasonSchema), attribute="lendability_reasons"
    )
    rules_version = fields.String()
    checked_at = fields.AwareDateTime(attribute="created_at")


class InTransitSchema(Schema):
    to = fields.Nested(LocationSchema)
    since = fields.AwareDateTime()


class DeviceSchema(_DeviceFields):
    """A device as the API shows it; `allowed_actions` depends on who asks."""

    state = fields.String(dump_only=True)
    location = fields.Nested(LocationSchema, dump_only=True, allow_none=True)
    in_transit = fields.Nested(
        "InTransitSchema",
        attribute="transit",
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "sent by a transfer, not received yet (`location` is "
            "still where it was sent from); null: not on its way"
        },
    )
    custodian = fields.Nested(OrganisationSchema, dump_only=True, allow_none=True)
    version = fields.Integer(dump_only=True)
    allowed_actions = fields.List(fields.String(), dump_only=True)
    current_loan = fields.Raw(dump_only=True, allow_none=True)
    latest_health = fields.Raw(dump_only=True, allow_none=True)
    lendability = fields.Nested(
        LendabilitySchema,
        attribute="latest_check",
        dump_only=True,
        allow_none=True,
        metadata={"description": "from the latest quality check; null: none yet"},
    )
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class DeviceQuery(PageQuery):
    state = fields.String(validate=validate.OneOf([s.value for s in State]))
    location = Id(strict=False, metadata={"description": "where the device is now"})
    kind = fields.String(validate=validate.OneOf(DEVICE_KINDS))
    donation = Id(strict=False)
    home = Id(
        strict=False,
        metadata={"description": "the device's home place (see /stock)"},
    )
    organisation = Id(
        strict=False, metadata={"description": "owner of the place it is now"}
    )
    municipality = Text(
        max_length=80, metadata={"description": "of the place it is now"}
    )
    away = fields.Boolean(
        metadata={"description": "true: now elsewhere than its home; false: at home"}
    )
    in_transit = fields.Boolean(
        metadata={"description": "true: sent by a transfer, not received yet"}
    )
    sent_to = Id(strict=False, metadata={"description": "in transit to this place"})
    q = Text(
        max_length=100, metadata={"description": "part of a tag, serial, make or model"}
    )


class EventSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    actor = fields.Function(lambda e: e.actor.email if e.actor else None)
    location = fields.Integer(attribute="location_id", allow_none=True)
    at = fields.AwareDateTime()
    payload = fields.Raw()
