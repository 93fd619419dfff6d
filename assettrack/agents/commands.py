"""Running the operating system's own tools (ioreg, powercfg, PowerShell).

A runner takes a fixed argv (never a shell) and answers (exit status, stdout);
tests pass one that answers recorded outputs. `attempt()` turns every way a
tool can fail into the report's reason codes, so a collector never crashes.
"""

import subprocess
from collections.abc import Callable

# argv -> (exit status, stdout); raises FileNotFoundError when the tool is missing
Runner = Callable[[list[str]], tuple[int, str]]

TIMEOUT_S = 60  # powercfg and system_profiler take a few seconds on old laptops


def run(argv: list[str]) -> tuple[int, str]:
    """Run one of the agent's fixed commands: no shell, fixed timeout."""
    done = subprocess.run(  # noqa: S603 - argv is a constant of the agent
        argv,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=TIMEOUT_S,
        check=False,
    )
    return done.returncode, done.stdout


def attempt(runner: Runner, argv: list[str]) -> tuple[str | None, str | None]:
    """The command's output, or None and why (tool_missing, unreadable, ...)."""
    try:
        status, out = runner(argv)
    except FileNotFoundError:
        return None, "tool_missing"
    except PermissionError:
        return None, "permission_denied"
    except subprocess.TimeoutExpired:
        return None, "timeout"
    except OSError:
        return None, "unreadable"
    if status != 0:
        return None, "unreadable"
    return out or "", None
