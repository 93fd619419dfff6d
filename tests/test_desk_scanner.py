"""A volunteer at the desk scans tags with `scanner desk` against a running service."""

import io
import os
import threading

from scanner.desk import Service
from scanner.desk import run


def desk_session(server: str, token: str, typed: str, folder=None) -> list[str]:
    shown: list[str] = []
    service = Service(server, token)
    run(service, io.StringIO(typed), shown.append, folder=folder, poll_s=0.05)
    return shown


def token_of(world, who: str) -> str:
    return getattr(world, who).headers["Authorization"].removeprefix("Bearer ")


def test_each_scan_says_what_the_device_is_and_what_can_be_done(world, live_server):
    ready = world.ready_device()["asset_tag"]
    lent = world.lent_device()["asset_tag"]
    # The first scanner is set to US QWERTY on a Belgian AZERTY PC: "-" arrives as ")".
    typed = f"{ready.replace('-', ')')}\r\n\n{lent.lower()}\n"
    shown = desk_session(live_server, token_of(world, "desk"), typed)
    assert len(shown) == 2
    assert shown[0].startswith(f"{ready}  Lenovo ThinkPad T480: ready at De Krook")
    assert shown[0].endswith("now: lend, send_to_repair, transfer, relocate")
    assert "lent at De Krook; due back" in shown[1] and "now: renew, return" in shown[1]


def test_a_misread_is_caught_before_it_is_looked_up(world, live_server):
    tag = world.ready_device()["asset_tag"]
    misread = tag[:-2] + ("1" if tag[-2] != "1" else "2") + tag[-1]
    shown = desk_session(
        live_server, token_of(world, "desk"), misread + "\nDB-999999\n"
    )
    assert shown[0].startswith("?  check character does not match")
    assert shown[1].startswith("?  ")


def test_an_unknown_tag_and_a_bad_token_are_said_plainly(world, live_server):
    from labels.tags import make_tag

    unknown = make_tag(424242)
    assert desk_session(live_server, token_of(world, "desk"), unknown + "\n") == [
        f"!  {unknown}: no device with tag {unknown}"
    ]
    shown = desk_session(live_server, "at_wrong", unknown + "\n")
    assert shown == [f"!  {unknown}: this token is not valid"]


def photo_dropped_while(tmp_path, label: bytes, scan):
    """`scan(keyboard, inbox)`, while a photo of `label` is dropped into the watched
    folder `inbox`; the copy already there at the start is not new. The keyboard
    stays silent (a pipe nobody writes to) until it is closed."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "old.png").write_bytes(label)
    read_end, write_end = os.pipe()
    drop = threading.Timer(0.2, lambda: (inbox / "photo.png").write_bytes(label))
    close = threading.Timer(1.5, lambda: os.close(write_end))
    drop.start()
    close.start()
    try:
        with os.fdopen(read_end) as keyboard:
            return scan(keyboard, inbox)
    finally:
        drop.join()
        close.join()


def test_a_dropped_photo_of_a_label_is_decoded_and_looked_up(
    world, live_server, tmp_path
):
    tag = world.ready_device()["asset_tag"]
    label = world.desk.get(f"/devices/{tag}/label.png").data
    shown: list[str] = []
    service = Service(live_server, token_of(world, "desk"))
    photo_dropped_while(
        tmp_path,
        label,
        lambda keyboard, inbox: run(
            service, keyboard, shown.append, folder=inbox, poll_s=0.05
        ),
    )
    assert len(shown) == 1
    assert shown[0].startswith(f"{tag}  Lenovo ThinkPad T480: ready at De Krook")
