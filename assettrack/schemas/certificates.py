"""Erasure certificates: asking for one, listing them, and verifying one."""

import json

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.certifying import DEFAULT_LANGUAGE
from assettrack.certifying import LANGUAGES
from assettrack.schemas.common import Id
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import Text


class CertificateQuery(Schema):
    lang = fields.String(
        load_default=DEFAULT_LANGUAGE,
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "the certificate's language"},
    )


class CertificateListQuery(PageQuery):
    device = Text(max_length=40, metadata={"description": "an asset tag"})
    donation = Id(strict=False)
    scope = fields.String(validate=validate.OneOf(["device", "batch"]))


class CertificateSchema(Schema):
    number = fields.String()
    scope = fields.String(metadata={"description": "device or batch"})
    device = fields.String(
        attribute="device_tag", allow_none=True, metadata={"description": "asset tag"}
    )
    donation = fields.Integer(attribute="donation_id", allow_none=True)
    language = fields.String()
    key_id = fields.String()
    issued_at = fields.AwareDateTime()
    pdf = fields.Function(
        lambda c: f"/api/v1/certificates/{c.number}/certificate.pdf",
        metadata={"description": "where the stored PDF is"},
    )
    verify = fields.Function(
        lambda c: f"/api/v1/verify/{c.number}",
        metadata={"description": "the public check of this number"},
    )


class CertificateDetailSchema(CertificateSchema):
    covers = fields.String(
        metadata={"description": "digest of what it states; same digest, same one"}
    )
    payload = fields.Function(
        lambda c: json.loads(c.payload),
        metadata={"description": "the signed certificate data"},
    )
    signature = fields.String(metadata={"description": "Ed25519, base64"})


class DiskErasureSchema(Schema):
    media = fields.String(allow_none=True)
    level = fields.String(
        allow_none=True, metadata={"description": "clear, purge, destroy"}
    )
    technique = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    finished_on = fields.String(allow_none=True, metadata={"description": "a date"})


class CertifiedDeviceSchema(Schema):
    tag = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    disks = fields.List(fields.Nested(DiskErasureSchema))


class PendingDeviceSchema(Schema):
    tag = fields.String(allow_none=True)
    make = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class OrganisationNameSchema(Schema):
    name = fields.String(allow_none=True)


class DonorSchema(Schema):
    name = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)


class VerifiedCertificateSchema(Schema):
    """What a donor needs to see: no serials, no operators, nothing of borrowers."""

    number = fields.String(allow_none=True)
    issued_at = fields.String(allow_none=True)
    scope = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    organisation = fields.Nested(OrganisationNameSchema)
    donor = fields.Nested(DonorSchema, allow_none=True)
    device_count = fields.Integer()
    pending_count = fields.Integer()
    devices = fields.List(fields.Nested(CertifiedDeviceSchema))
    pending = fields.List(fields.Nested(PendingDeviceSchema))
    key_id = fields.String(allow_none=True)
    superseded_by = fields.String(
        allow_none=True,
        metadata={"description": "a later certificate for the same device or batch"},
    )


class VerificationSchema(Schema):
    status = fields.String(
        metadata={
            "description": "genuine, unknown, malformed, typo, not_a_certificate,"
            " tampered, other_key"
        }
    )
    genuine = fields.Boolean()
    message = fields.String()
    number = fields.String(allow_none=True)
    certificate = fields.Nested(VerifiedCertificateSchema, allow_none=True)


class SigningKeySchema(Schema):
    algorithm = fields.String()
    key_id = fields.String(metadata={"description": "as in each certificate's key_id"})
    public_key_pem = fields.String()
    signed = fields.String(metadata={"description": "what the signature covers"})
