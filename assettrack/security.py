"""Security headers on every answer, set by Flask-Talisman (issue 8).

The pages load nothing from elsewhere and run no inline script or style (the
scan pages' script is `static/scan.js`; charts are SVG with presentation
attributes), so the policy can say 'self' and nothing more. No page may be
framed (clickjacking on the desk's buttons). HTTPS is forced, with HSTS and
secure cookies, only where `ASSETTRACK_HTTPS_ONLY=1` says the service is
behind TLS: the embedded default serves plain HTTP on loopback.
"""

from flask import Flask
from flask_talisman import Talisman

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def init_app(app: Flask) -> None:
    https = bool(app.config.get("SESSION_COOKIE_SECURE"))
    Talisman(
        app,
        force_https=https,
        strict_transport_security=https,
        session_cookie_secure=https,
        session_cookie_http_only=True,
        content_security_policy=POLICY,
        frame_options="DENY",
        referrer_policy="same-origin",
        # The camera for photographing labels; nothing else a page may ask for.
        permissions_policy={
            "camera": "(self)",
            "microphone": "()",
            "geolocation": "()",
        },
    )
