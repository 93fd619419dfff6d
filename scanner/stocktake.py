"""`scanner stocktake`: count a room with a USB scanner in a terminal.

Starts a stock-take of a place (or carries on with an open one), reads one
scanned label per line, sends each to the service and prints at once what it
is: found, expected elsewhere, on its way here, not in stock, or no device.
When input ends it prints the result: what is missing, what was found
elsewhere, which codes are unknown; `--correct` records the corrections and
`--finish` closes the stock-take. Photos dropped into a `--watch` folder count
as scans too. Standard library only (and the decoder for photos), as
`scanner desk`.
"""

import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from labels.tags import TagError
from labels.tags import normalise_tag
from scanner.desk import DeskError
from scanner.desk import Service
from scanner.desk import scan_loop
from scanner.desk import tags_answered


class ServiceError(DeskError):
    """The service said no: its status, message and details."""

    def __init__(self, status: int, message: str, details: dict | None = None):
        super().__init__(message)
        self.status, self.details = status, details or {}


class StockTakes(Service):
    """The stock-take endpoints, as the scanning person's token sees them."""

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        # http(s) only: checked in Service.__init__
        request = urllib.request.Request(  # noqa: S310
            f"{self.server}/api/v1{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as error:
            try:
                problem = json.load(error)["error"]
                message, details = problem["message"], problem.get("details")
            except (ValueError, KeyError, TypeError):
                message, details = f"the service answered {error.code}", None
            raise ServiceError(error.code, message, details) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise DeskError(f"the service does not answer: {error}") from None

    def start(self, location: int) -> tuple[dict, bool]:
        """A new stock-take of `location`, or the open one (then True)."""
        try:
            return self.call("POST", "/stock-takes", {"location": location}), False
        except ServiceError as error:
            open_one = error.details.get("stock_take")
            if error.status != 409 or not open_one:
                raise
            return self.result(open_one), True

    def result(self, stock_take: int) -> dict:
        return self.call("GET", f"/stock-takes/{stock_take}")

    def scan(self, stock_take: int, code: str) -> dict:
        return self.call("POST", f"/stock-takes/{stock_take}/scans", {"code": code})

    def correct(self, stock_take: int) -> dict:
        return self.call("POST", f"/stock-takes/{stock_take}/corrections")

    def close(self, stock_take: int) -> dict:
        return self.call("POST", f"/stock-takes/{stock_take}/close")


def _machine(device: dict) -> str:
    return " ".join(filter(None, (device.get("make"), device.get("model"))))


def _where(device: dict) -> str:
    """Where the records have the device."""
    at = (device.get("location") or {}).get("name", "no place")
    if sent := device.get("in_transit_to"):
        return f"on its way from {at} to {sent['name']}"
    return f"at {at}"


def describe(scanned: dict) -> str:
    """One line for one scan: a mark, the tag, what it is, and the running count."""
    device, finding = scanned.get("device"), scanned["finding"]
    counts = scanned["counts"]
    progress = (
        f"  [{counts['found']}/{counts['expected']} found, {counts['scanned']} scanned]"
    )
    if device is None:
        return f"??  {scanned['code']}: no device has this code{progress}"
    head = f"{device['asset_tag']}  {_machine(device)}"
    if scanned["again"]:
        return f"==  {head}: counted already{progress}"
    if finding == "found":
        return f"OK  {head}: found, belongs here{progress}"
    if finding == "elsewhere":
        what = f"the records have it {_where(device)}; correction: relocate"
    elif finding == "arriving":
        what = f"{_where(device)}; correction: receive"
    else:
        what = device.get("advice") or f"recorded as {finding}"
    return f"!!  {head}: {what}{progress}"


def answer(
    service: StockTakes, stock_take: int, typed: str, prefix: str | None = None
) -> str:
    """What the terminal shows for one scanned or typed line."""
    try:
        code = normalise_tag(typed, prefix)
    except TagError as error:
        if error.code == "bad_check":  # a misread: nothing is sent
            return f"?   {error}: scan it again"
        code = typed.strip()  # not a tag: the service keeps it as an unknown code
    try:
        return describe(service.scan(stock_take, code))
    except DeskError as error:
        return f"!   {code}: {error}"


def answers_for_image(
    service: StockTakes, stock_take: int, path: Path, prefix: str | None = None
) -> list[str]:
    """One answer per asset tag in a dropped photo (each tag counts as a scan)."""
    return tags_answered(
        path, prefix, lambda tag: answer(service, stock_take, tag, prefix), "   "
    )


def _scan_all(
    service: StockTakes,
    stock_take: int,
    lines: TextIO,
    out: Callable[[str], None],
    folder: Path | None,
    prefix: str | None,
    poll_s: float,
) -> None:
    """Answer every line read and every photo dropped in `folder`, until input ends."""
    scan_loop(
        lines,
        out,
        lambda typed: answer(service, stock_take, typed, prefix),
        lambda path: answers_for_image(service, stock_take, path, prefix),
        folder,
        poll_s,
    )


TITLES = (
    ("missing", "Missing (expected here, not scanned; not changed)"),
    ("elsewhere", "Found here, the records have it elsewhere"),
    ("arriving", "Found here, on its way here"),
    ("out", "Found here, recorded as not in stock"),
    ("on_the_way", "On its way here, not scanned (not missing)"),
)


def summary(report: dict) -> list[str]:
    """The result: one line of counts, then the devices that need a look."""
    counts, result = report["result"]["counts"], report["result"]
    lines = [
        f"Stock-take {report['id']} of {report['location']['name']}:"
        f" expected {counts['expected']}, found {counts['found']},"
        f" missing {counts['missing']}, elsewhere {counts['elsewhere']},"
        f" arriving {counts['arriving']}, on the way {counts['on_the_way']},"
        f" not in stock {counts['out']}, unknown {counts['unknown']}"
    ]
    for key, title in TITLES:
        if result[key]:
            lines.append(f"{title}:")
            for device in result[key]:
                state = device["state"]
                lines.append(
                    f"  {device['asset_tag']}  {_machine(device)}"
                    f" ({state}, {_where(device)})"
                )
    if result["unknown"]:
        lines.append("Codes that are no device:")
        lines.extend(f"  {item['code']}" for item in result["unknown"])
    return lines


def run(
    service: StockTakes,
    lines: TextIO = sys.stdin,
    out: Callable[[str], None] = print,
    *,
    location: int | None = None,
    stock_take: int | None = None,
    prefix: str | None = None,
    correct: bool = False,
    finish: bool = False,
    folder: Path | None = None,
    poll_s: float = 0.5,
) -> int:
    """Scan until input ends, then print the result; 0 when all went through."""
    try:
        if stock_take is None:
            report, carried_on = service.start(location)
            stock_take = report["id"]
            verb = "carrying on with" if carried_on else "started"
        else:
            report, verb = service.result(stock_take), "carrying on with"
    except DeskError as error:
        out(f"!   {error}")
        return 2
    counts = report["result"]["counts"]
    out(
        f"{verb} stock-take {stock_take} of {report['location']['name']}:"
        f" {counts['expected']} devices expected; scan every label, then end"
        " the input (Ctrl-D)"
    )
    if report.get("closed_at"):
        out("!   this stock-take is closed: it takes no more scans")
    _scan_all(service, stock_take, lines, out, folder, prefix, poll_s)
    status = 0
    try:
        if correct:
            done = service.correct(stock_take)
            out(f"corrections recorded: {len(done['recorded'])}")
            for refused in done["refused"]:
                status = 1
                reasons = "; ".join(refused["reasons"])
                out(f"!   {refused['device']['asset_tag']}: not corrected: {reasons}")
        report = service.close(stock_take) if finish else service.result(stock_take)
    except DeskError as error:
        out(f"!   {error}")
        return 2
    for line in summary(report):
        out(line)
    if finish:
        out(f"stock-take {stock_take} closed")
    return status
