"""WSGI entry point: `gunicorn wsgi:app`."""

from assettrack.app import create_app

app = create_app()
