"""Files handed out by both the API and the pages, answered the same way."""

import io

from flask import Response
from flask import send_file

from assettrack.models import Certificate
from assettrack.models import ErasureLog


def tool_log(log: ErasureLog) -> Response:
    """A wipe tool's log, byte for byte, never rendered by the browser."""
    response = send_file(
        io.BytesIO(log.content),
        mimetype=log.media_type,
        as_attachment=True,
        download_name=log.filename,
        etag=log.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def certificate_pdf(certificate: Certificate) -> Response:
    return Response(
        certificate.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{certificate.number}.pdf"'
        },
    )
