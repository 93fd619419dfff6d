"""`python -m assettrack.agents`: the same command line as `assettrack-agent`."""

import sys

from assettrack.agents.cli import main

if __name__ == "__main__":
    sys.exit(main())
