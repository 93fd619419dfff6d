"""A phone's photo of labels, posted to a scan page (the desk, a stock-take)."""

from flask import request

from scanner.decode import Code
from scanner.decode import DecodeError
from scanner.decode import decode

MAX_PHOTO_BYTES = 15 * 1024 * 1024  # as the API's scan: phone photos are large


def codes_in_photo(field: str = "photo") -> list[Code]:
    """The codes in the posted photo; none when there is no photo or no image."""
    request.max_content_length = MAX_PHOTO_BYTES
    upload = request.files.get(field)
    try:
        return decode(upload.read(MAX_PHOTO_BYTES + 1)) if upload else []
    except DecodeError:
        return []
