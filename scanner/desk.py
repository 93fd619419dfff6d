"""`scanner desk`: the lending desk's scanner in a terminal.

A USB scanner is a keyboard: it types the code and Enter. Each line read is
turned into a canonical tag here (so a scanner on the wrong keyboard layout
still works, and a misread with a wrong check character is caught before it
reaches the network), looked up through the API, and answered with what the
device is and what can be done with it now. Images dropped into a watched
folder (a phone's upload folder, a webcam snapshot) are decoded the same way.
Standard library only, apart from the decoder, so it runs on any desk PC.
"""

import json
import select
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from labels.tags import TagError
from labels.tags import normalise_tag

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


class DeskError(Exception):
    """The service could not answer; the message is for the volunteer."""


class Service:
    """The assettrack API, as the desk's token sees it."""

    def __init__(self, server: str, token: str, timeout: float = 10):
        if not server.startswith(("http://", "https://")):
            raise ValueError(f"the server is an http(s) address, not {server!r}")
        self.server, self.timeout = server.rstrip("/"), timeout
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
        }

    def device(self, tag: str) -> dict:
        url = f"{self.server}/api/v1/devices/{tag}"
        # http(s) only: checked in __init__
        request = urllib.request.Request(url, headers=self.headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as error:
            raise DeskError(_message_of(error)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeskError(f"the service does not answer: {error}") from None


def _message_of(error: urllib.error.HTTPError) -> str:
    try:
        return json.load(error)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"the service answered {error.code}"


def describe(device: dict) -> str:
    """One line: the tag, the machine, where it is and what can be done now."""
    where = (device.get("location") or {}).get("name", "no location")
    machine = " ".join(filter(None, (device.get("make"), device.get("model"))))
    now = ", ".join(device.get("allowed_actions") or []) or "nothing"
    loan = device.get("current_loan")
    due = f"; due back {loan['due_on']}" if loan else ""
    state = f"{device['state']} at {where}{due}"
    return f"{device['asset_tag']}  {machine}: {state}; now: {now}"


def answer(service: Service, typed: str, prefix: str | None = None) -> str:
    """What the desk shows for one scanned or typed line."""
    try:
        tag = normalise_tag(typed, prefix)
    except TagError as error:
        return f"?  {error}"
    try:
        return describe(service.device(tag))
    except DeskError as error:
        return f"!  {tag}: {error}"


def tags_answered(
    path: Path,
    prefix: str | None,
    answer_tag: Callable[[str], str],
    gap: str = "  ",
) -> list[str]:
    """One answer per asset tag in a dropped image: each tag counts as a scan."""
    from scanner.decode import DecodeError
    from scanner.decode import decode
    from scanner.decode import tags_in

    try:
        tags = tags_in(decode(path), prefix)
    except DecodeError as error:
        return [f"?{gap}{path.name}: {error}"]
    if not tags:
        return [f"?{gap}{path.name}: no asset tag found"]
    return [answer_tag(tag) for tag in tags]


def answers_for_image(
    service: Service, path: Path, prefix: str | None = None
) -> list[str]:
    """What the desk shows for every asset tag in a dropped image."""
    return tags_answered(path, prefix, lambda tag: answer(service, tag, prefix))


def scan_loop(
    lines: TextIO,
    out: Callable[[str], None],
    answer_line: Callable[[str], str],
    answer_image: Callable[[Path], list[str]],
    folder: Path | None = None,
    poll_s: float = 0.5,
) -> None:
    """Answer every line read and every image dropped in `folder`, until input ends.

    Images already in the folder at the start are not scans.
    """
    seen: set[Path] = set(folder.iterdir()) if folder else set()
    while True:
        if folder is not None:
            ready = select.select([lines], [], [], poll_s)[0]
            for path in sorted(set(folder.iterdir()) - seen):
                seen.add(path)
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    _settle(path)
                    for line in answer_image(path):
                        out(line)
            if not ready:
                continue
        typed = lines.readline()
        if not typed:
            return
        if typed.strip():
            out(answer_line(typed))


def run(
    service: Service,
    lines: TextIO = sys.stdin,
    out: Callable[[str], None] = print,
    folder: Path | None = None,
    prefix: str | None = None,
    poll_s: float = 0.5,
) -> None:
    """Answer every line read and every image dropped, until input ends."""
    scan_loop(
        lines,
        out,
        lambda typed: answer(service, typed, prefix),
        lambda path: answers_for_image(service, path, prefix),
        folder,
        poll_s,
    )


def _settle(path: Path, wait_s: float = 0.2) -> None:
    """Wait until a file being copied in stops growing."""
    size = -1
    while path.exists() and path.stat().st_size != size:
        size = path.stat().st_size
        time.sleep(wait_s)
