"""Files that several processes may race to create: the first one wins, whole."""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The bytes at `path`, writing `make()` there (mode 0600) if it is missing.

    Written to a temporary file and linked into place, so two workers starting
    at once end up with one file, never a half-written one.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".new-")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                os.fchmod(out.fileno(), 0o600)
                out.write(make())
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another worker was first: use its file
        finally:
            os.unlink(tmp)
    return path.read_bytes()
