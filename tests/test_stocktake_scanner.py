"""A volunteer counts a room with `scanner stocktake` against a running service."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_coordinator_stocktake import UNKNOWN_TAG
from test_coordinator_stocktake import Room
from test_coordinator_stocktake import place_id
from test_desk_scanner import photo_dropped_while
from test_desk_scanner import token_of

from scanner.stocktake import StockTakes
from scanner.stocktake import run

ROOT = Path(__file__).parent.parent


@pytest.fixture
def room(world) -> Room:
    return Room(world)


def counting(server: str, token: str, typed: str, **options) -> tuple[int, list[str]]:
    shown: list[str] = []
    status = run(StockTakes(server, token), io.StringIO(typed), shown.append, **options)
    return status, shown


def test_each_scan_is_answered_and_the_end_prints_the_result(world, live_server, room):
    krook = place_id(world, "digileenplek")
    # The scanner on the wrong layout ("-" arrives as ")"), a repeat, blank lines.
    typed = "\n".join(
        [
            room.found[0].replace("-", ")"),
            room.found[1].lower(),
            room.found[0],
            "",
            room.from_store,
            room.arriving,
            room.lent,
            UNKNOWN_TAG,
        ]
    )
    status, shown = counting(
        live_server, token_of(world, "desk"), typed, location=krook
    )
    assert status == 0
    assert shown[0].startswith("started stock-take 1 of De Krook: 3 devices expected")
    answers = shown[1:8]
    assert answers[0].startswith(f"OK  {room.found[0]}  Lenovo ThinkPad T480: found")
    assert answers[0].endswith("[1/3 found, 1 scanned]")
    assert answers[1].startswith(f"OK  {room.found[1]}")
    assert (
        answers[2].startswith(f"==  {room.found[0]}")
        and "counted already" in (answers[2])
    )
    assert answers[3].startswith(f"!!  {room.from_store}")
    assert "the records have it at Magazijn Gent; correction: relocate" in answers[3]
    assert answers[4].startswith(f"!!  {room.arriving}") and "receive" in answers[4]
    assert "take it back at the desk" in answers[5]
    assert answers[6].startswith(f"??  {UNKNOWN_TAG}: no device has this code")
    summary = shown[8:]
    assert summary[0] == (
        "Stock-take 1 of De Krook: expected 3, found 2, missing 1, elsewhere 1,"
        " arriving 1, on the way 1, not in stock 1, unknown 1"
    )
    assert "Missing (expected here, not scanned; not changed):" in summary
    assert any(line.startswith(f"  {room.missing}") for line in summary)
    assert summary[-2:] == ["Codes that are no device:", f"  {UNKNOWN_TAG}"]

    # Carry on with it from a second PC (by --location: it is open), correct, close.
    status, shown = counting(
        live_server,
        token_of(world, "desk"),
        f"{room.missing}\n",
        location=krook,
        correct=True,
        finish=True,
    )
    assert status == 0
    assert shown[0].startswith("carrying on with stock-take 1 of De Krook")
    assert shown[1].startswith(f"OK  {room.missing}")
    assert "corrections recorded: 2" in shown
    assert shown[-1] == "stock-take 1 closed"
    assert "missing 0" in next(line for line in shown if line.startswith("Stock-take"))
    events = world.desk.get(f"/devices/{room.from_store}/events").get_json()
    assert events[-1]["action"] == "relocate"
    assert events[-1]["payload"]["stock_take"] == 1

    # Closed: a scan is said to be refused, nothing is recorded.
    status, shown = counting(
        live_server, token_of(world, "desk"), f"{room.found[0]}\n", stock_take=1
    )
    assert "this stock-take is closed" in shown[1]
    assert shown[2].startswith(f"!   {room.found[0]}: stock-take 1 is closed")


def test_a_misread_is_caught_before_it_is_sent_and_a_bad_token_is_said(
    world, live_server, room
):
    tag = room.found[0]
    misread = tag[:-2] + ("1" if tag[-2] != "1" else "2") + tag[-1]
    krook = place_id(world, "digileenplek")
    status, shown = counting(
        live_server, token_of(world, "desk"), misread, location=krook
    )
    assert shown[1].startswith("?   check character does not match")
    assert "found 0" in shown[2]
    status, shown = counting(live_server, "at_wrong", "", location=krook)
    assert (status, shown) == (2, ["!   this token is not valid"])
    status, shown = counting(live_server, token_of(world, "desk"), "", stock_take=999)
    assert (status, shown) == (2, ["!   no stock-take 999"])


def test_the_command_line_reads_the_scanner_from_stdin(world, live_server, room):
    """`python -m scanner stocktake` as the volunteer starts it."""
    command = [
        sys.executable,
        "-m",
        "scanner",
        "stocktake",
        "--server",
        live_server,
        "--token",
        token_of(world, "coordinator"),
        "--location",
        str(place_id(world, "digileenplek")),
        "--correct",
        "--finish",
    ]
    done = subprocess.run(  # noqa: S603 - our own module, arguments we built
        command,
        input=f"{room.found[0]}\r\n{room.from_store}\r\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1].startswith(f"OK  {room.found[0]}")
    assert lines[2].startswith(f"!!  {room.from_store}")
    assert "corrections recorded: 1" in lines
    assert lines[-1] == "stock-take 1 closed"


def test_a_photo_dropped_in_the_watched_folder_counts_as_a_scan(
    world, live_server, room, tmp_path
):
    label = world.desk.get(f"/devices/{room.found[0]}/label.png").data
    shown: list[str] = []
    status = photo_dropped_while(
        tmp_path,
        label,
        lambda keyboard, inbox: run(
            StockTakes(live_server, token_of(world, "desk")),
            keyboard,
            shown.append,
            location=place_id(world, "digileenplek"),
            folder=inbox,
            poll_s=0.05,
        ),
    )
    assert status == 0
    assert shown[1].startswith(f"OK  {room.found[0]}  Lenovo ThinkPad T480: found")
    assert shown[2].startswith("Stock-take 1 of De Krook: expected 3, found 1,")
