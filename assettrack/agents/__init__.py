"""The device agent: runs on a donated laptop and reports its health.

Installed alone on the device (`pip install assettrack[agent]`), so nothing
here may import Flask or any part of assettrack outside `assettrack.agents`:
only the standard library and psutil.
"""

AGENT_VERSION = "0.1.0"
