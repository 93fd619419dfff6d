"""`POST /api/v1/scan`: a photo in, the codes in it and the devices they name out."""

from flask import request

from assettrack.api import bp
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.errors import ApiError
from assettrack.scanning import scan_photo
from assettrack.schemas.labels import ScanSchema

# Phone photos are larger than any JSON body; this endpoint alone takes them.
MAX_PHOTO_BYTES = 15 * 1024 * 1024


@bp.post("/scan")
@requires()
@responds(ScanSchema())
def scan():
    """Decode an uploaded photo (multipart field `image`) and look up its tags."""
    request.max_content_length = MAX_PHOTO_BYTES
    upload = request.files.get("image")
    if upload is None:
        raise ApiError(
            422,
            "send the photo as multipart/form-data in the field 'image'",
            fields={"image": ["missing"]},
        )
    return scan_photo(upload.read(MAX_PHOTO_BYTES + 1), current_user())


scan.openapi["body_multipart"] = "image"
