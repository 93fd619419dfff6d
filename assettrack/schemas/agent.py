"""The device agent's requests: enrolment and one health report.

Every field of a report is checked for type and range (research/agents.md (f):
percentages 0–150, hours below 200,000, temperatures −40…150 °C, bounded
strings without control characters); a null must be explained in its object's
`missing` map with one of the agent's reason codes. Unknown fields are refused:
the `schema` field names the report version this service reads.
"""

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

from assettrack.agents.fields import REASONS
from assettrack.schemas.common import Id
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import Text

REPORT_SCHEMA = "assettrack-agent-report/1"
TB = 10**12


def Count(high: int = 10**9, **kw) -> fields.Integer:  # noqa: N802 - a field type
    return fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(0, high), **kw
    )


def Number(low: float, high: float) -> fields.Float:  # noqa: N802 - a field type
    return fields.Float(allow_none=True, validate=validate.Range(low, high))


def Words(length: int = 120) -> Text:  # noqa: N802 - a field type
    return Text(allow_none=True, max_length=length)


def _flag() -> fields.Boolean:
    return fields.Boolean(allow_none=True, truthy={True}, falsy={False})


def Percent() -> fields.Float:  # noqa: N802 - a field type
    return Number(0, 150)


def Celsius() -> fields.Float:  # noqa: N802 - a field type
    return Number(-40, 150)


def Bytes() -> fields.Integer:  # noqa: N802 - a field type
    return Count(100 * TB)


class ReportedPart(Schema):
    """One reported object: plain fields, and why each null one is null."""

    missing = fields.Dict(
        keys=fields.String(validate=validate.Length(max=40)),
        values=fields.String(validate=validate.OneOf(sorted(REASONS))),
        load_default=dict,
        validate=validate.Length(max=60),
    )

    @validates_schema
    def _every_null_says_why(self, data, **kwargs):
        unexplained = [
            key for key, value in data.items() if value is None and key != "missing"
        ]
        if unexplained := [k for k in unexplained if k not in data["missing"]]:
            raise ValidationError(
                {"missing": [f"say why these are null: {', '.join(unexplained)}"]}
            )
        if unknown := sorted(set(data["missing"]) - set(self.fields) - {"missing"}):
            raise ValidationError(
                {"missing": [f"no such field here: {', '.join(unknown)[:200]}"]}
            )


class ReportedMachine(ReportedPart):
    vendor, model, version, family = Words(), Words(), Words(), Words()
    chassis_type = Count(127)
    bios_vendor, bios_version, bios_date = Words(), Words(), Words(40)
    board_vendor, board_name, chassis_asset_tag = Words(), Words(), Words()
    serial, system_uuid, board_serial, chassis_serial = (
        Words(),
        Words(),
        Words(),
        Words(),
    )


class ReportedOs(ReportedPart):
    family, name, version, kernel, arch = (
        Words(40),
        Words(),
        Words(),
        Words(),
        Words(40),
    )
    firmware = fields.String(allow_none=True, validate=validate.OneOf(["uefi", "bios"]))
    secure_boot = _flag()
    tpm_version = Words(10)
    boot_time = fields.AwareDateTime(allow_none=True)
    uptime_s = Number(0, 10**9)


class ReportedCpu(ReportedPart):
    model = Words(200)
    cores, threads = Count(1024), Count(4096)


class ReportedMemory(ReportedPart):
    installed_bytes, usable_bytes, swap_bytes = Bytes(), Bytes(), Bytes()


class ReportedCharge(ReportedPart):
    percent = Percent()
    power_plugged = _flag()


class ReportedBattery(ReportedPart):
    name, manufacturer, model, serial = Words(40), Words(), Words(), Words()
    technology, status = Words(40), Words(40)
    capacity_source = fields.String(
        allow_none=True, validate=validate.OneOf(["energy", "charge"])
    )
    design_wh, full_wh, now_wh = Number(0, 1000), Number(0, 1000), Number(0, 1000)
    design_mah, full_mah = Number(0, 100_000), Number(0, 100_000)
    voltage_min_design_v = Number(0, 100)
    health_pct = Percent()
    cycle_count = Count(100_000)


class ReportedDisk(ReportedPart):
    name, model, serial, firmware = Words(80), Words(), Words(), Words(40)
    interface = Words(40)
    size_bytes = Bytes()
    rotational, smart_passed = _flag(), _flag()
    rotation_rpm = Count(30_000)
    smartctl_exit_status = Count(255)
    power_on_hours = Count(200_000)
    temperature_c = Celsius()
    reallocated_sectors, reported_uncorrectable, command_timeouts = (
        Count(10**12),
        Count(10**12),
        Count(10**12),
    )
    pending_sectors, offline_uncorrectable = Count(10**12), Count(10**12)
    nvme_critical_warning = Count(255)
    nvme_available_spare_pct, nvme_spare_threshold_pct = Percent(), Percent()
    nvme_percentage_used = Count(255)  # NVMe reports up to 255 (can exceed 100)
    nvme_media_errors, nvme_unsafe_shutdowns = Count(10**12), Count(10**12)


class ReportedFilesystem(ReportedPart):
    mount, device, fstype = Words(200), Words(200), Words(40)
    total_bytes, free_bytes = Bytes(), Bytes()


class ReportedTemperature(ReportedPart):
    sensor = Words(80)
    current_c, high_c, critical_c = Celsius(), Celsius(), Celsius()


def _section(schema: type[Schema]) -> fields.Nested:
    return fields.Nested(schema, allow_none=True, load_default=None)


def _listing(schema: type[Schema], most: int) -> fields.List:
    return fields.List(
        fields.Nested(schema), load_default=list, validate=validate.Length(max=most)
    )


class ReportSchema(ReportedPart):
    """One health report (docs/agent-report.md), as the agent sends it."""

    schema = fields.String(required=True, validate=validate.Equal(REPORT_SCHEMA))
    report_id = fields.UUID(required=True)
    seq = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(1, 2**62),
        metadata={"description": "the agent's report number, rising per device"},
    )
    collected_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime()
    agent_version = Text(required=True, min_length=1, max_length=40)
    machine = _section(ReportedMachine)
    os = _section(ReportedOs)
    cpu = _section(ReportedCpu)
    memory = _section(ReportedMemory)
    charge = _section(ReportedCharge)
    batteries = _listing(ReportedBattery, 8)
    disks = _listing(ReportedDisk, 32)
    filesystems = _listing(ReportedFilesystem, 64)
    temperatures = _listing(ReportedTemperature, 128)


class EnrollSchema(Schema):
    asset_tag = Text(required=True, min_length=1, max_length=40)
    enrollment_code = Text(required=True, min_length=1, max_length=40)


class EnrolledSchema(Schema):
    asset_tag = fields.String()
    device_token = fields.String()
    report_interval_s = fields.Integer()


class EnrollmentCodeRequestSchema(Schema):
    valid_days = fields.Integer(
        strict=True,
        validate=validate.Range(1, 30),
        metadata={"description": "how long the code works (default 7 days)"},
    )


class EnrollmentSheetSchema(Schema):
    """Exactly one of `tags` or `donation` says which devices get a code."""

    tags = fields.List(Text(max_length=40), validate=validate.Length(1, 500))
    donation = Id()
    valid_days = fields.Integer(
        strict=True, load_default=30, validate=validate.Range(1, 30)
    )
    language = fields.String(
        load_default="nl", validate=validate.OneOf(["nl", "en", "fr"])
    )

    @validates_schema
    def _one_source(self, data, **kwargs):
        if ("tags" in data) == ("donation" in data):
            raise ValidationError("give exactly one of tags or donation", "_schema")


class EnrollmentCodeSchema(Schema):
    asset_tag = fields.String()
    code = fields.String()
    expires_at = fields.AwareDateTime()
    command = fields.String()


class ReportAnswerSchema(Schema):
    report_id = fields.String()
    received_at = fields.AwareDateTime()
    findings = fields.List(fields.Dict())
    rules_version = fields.String()
    report_interval_s = fields.Integer()


class RevokedSchema(Schema):
    revoked = fields.Integer()


CATEGORIES = ("quick_win", "repair", "parts_donor", "healthy")


class RepairQueueQuery(PageQuery):
    category = fields.String(validate=validate.OneOf(CATEGORIES))


class RepairQueueItemSchema(Schema):
    """One device in the repair queue, with the findings behind its place."""

    asset_tag = fields.String(attribute="device.asset_tag")
    kind = fields.String(attribute="device.kind")
    make = fields.String(attribute="device.make")
    model = fields.String(attribute="device.model")
    state = fields.String(attribute="device.state")
    location = fields.Integer(attribute="device.location_id")
    priority = fields.Integer(allow_none=True)
    health_score = fields.Integer()
    category = fields.String()
    reasons = fields.List(fields.String())
    findings = fields.List(fields.Dict(), attribute="report.findings")
    reported_at = fields.AwareDateTime(attribute="report.received_at")
    rules_version = fields.String()
