"""assettrack: the system of record for a digibank's devices.

`import assettrack` must stay light: the device agent (`assettrack.agents`) runs on
laptops with only the standard library and psutil, so Flask is imported only when
the application is built.
"""

__version__ = "0.1.0"


def create_app(config=None):
    """Build the Flask application; see `assettrack.app.create_app`."""
    from assettrack.app import create_app as factory

    return factory(config)
