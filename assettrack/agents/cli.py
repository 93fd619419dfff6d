"""`assettrack-agent`: enrol a device, report its health, keep reporting.

    assettrack-agent enroll --server URL --tag TAG --code CODE
    assettrack-agent report --once     collect one report, send what waits
    assettrack-agent run               keep reporting, as the server's interval says
    assettrack-agent show              print the report it would send; touches nothing

A repair technician runs this on a donated laptop, so every message says
what happened and what to do next, and each outcome has its own exit code
(EXIT_CODES below, also in docs/agent-report.md).
"""

import argparse
import ipaddress
import json
import random
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from assettrack.agents import report as reports
from assettrack.agents import schedule
from assettrack.agents import sender
from assettrack.agents import smart
from assettrack.agents import state
from assettrack.agents.spool import Spool

OK = 0
FAILED = 1  # the agent itself could not work (state folder not writable, ...)
USAGE = 2  # the command line is wrong
NOT_ENROLLED = 3  # no device token here, or the server does not know it
ENROLMENT_REFUSED = 4  # wrong, used or expired code, or unknown tag
WAITING = 5  # server unreachable or busy: reports kept in the spool
REVOKED = 6  # the device token was revoked: enrol again
REJECTED = 7  # the server refused a report for good: moved to rejected/
BUSY = 8  # another agent process is using the same state folder
INTERRUPTED = 130  # Ctrl-C

EXIT_CODES = {
    OK: "done",
    FAILED: "the agent could not work (see the message)",
    USAGE: "wrong command line",
    NOT_ENROLLED: "not enrolled, or the server does not know this device's token",
    ENROLMENT_REFUSED: "enrolment refused (code wrong, used or expired; tag unknown)",
    WAITING: "the server could not be reached or was busy; reports wait in the spool",
    REVOKED: "this device's token was revoked; enrol it again",
    REJECTED: "the server refused a report for good (kept in rejected/)",
    BUSY: "another assettrack-agent is using this state folder",
    INTERRUPTED: "stopped with Ctrl-C",
}

ENROL_HINT = "assettrack-agent enroll --server URL --tag TAG --code CODE"


class UsageError(Exception):
    pass


def main(
    argv: list[str] | None = None,
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """The command line; keyword arguments let tests drive `run` without waiting."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "show":
            return show(args)
        agent = Agent(args, rng or random.Random(), sleep, clock)
        return getattr(agent, args.command)()
    except UsageError as error:
        _say(f"assettrack-agent: {error}", err=True)
        return USAGE
    except state.Busy:
        _say(
            f"assettrack-agent: another assettrack-agent is using {args.state_dir}; "
            "wait until it is done (or stop it) and try again.",
            err=True,
        )
        return BUSY
    except KeyboardInterrupt:
        _say("assettrack-agent: stopped.", err=True)
        return INTERRUPTED
    except OSError as error:
        _say(f"assettrack-agent: {error}", err=True)
        return FAILED


def show(args: argparse.Namespace) -> int:
    """The report it would send, on stdout; no state folder, spool or network."""
    json.dump(collect(args.root), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return OK


def collect(root: str) -> dict:
    """One report from `root`; smartctl only for the real root (its disks are ours)."""
    here = Path(root).resolve() == Path("/").resolve()
    return reports.collect(root=root, runner=smart.run_smartctl if here else _no_disks)


def _no_disks(args: list[str]) -> tuple[int, str]:
    raise FileNotFoundError(2, "smartctl is not run for a --root folder", "smartctl")


class Agent:
    """enroll, report and run, on one state folder."""

    def __init__(self, args, rng, sleep, clock):
        self.args, self.rng = args, rng
        self.sleep, self.clock = sleep, clock
        self.directory: Path = args.state_dir

    # --- enroll -------------------------------------------------------------

    def enroll(self) -> int:
        server = server_address(self.args.server)
        tag, code = self.args.tag.strip(), self.args.code.strip()
        if not tag or not code:
            raise UsageError("--tag and --code must not be empty")
        state.prepare(self.directory)
        with state.locked(self.directory):
            answer = sender.enrol(server, tag, code, timeout=self.args.timeout)
            if answer.status in (200, 201) and _token(answer):
                return self._enrolled(server, tag, answer)
            return self._enrolment_failed(answer)

    def _enrolled(self, server: str, tag: str, answer: sender.Answer) -> int:
        tag = str(answer.body.get("asset_tag") or tag)
        previous = state.load_enrolment(self.directory)
        if previous and (previous.server, previous.asset_tag) != (server, tag):
            dropped = Spool(self.directory).clear()
            if dropped:
                _say(f"Deleted {dropped} report(s) of {previous.asset_tag} not sent.")
        state.save_enrolment(
            self.directory, state.Enrolment(server, tag, _token(answer))
        )
        interval = state.save_interval(
            self.directory, answer.body.get("report_interval_s")
        )
        _say(
            f"Enrolled {tag} with {server}: it reports every {_duration(interval)}.\n"
            f"The device token is in {self.directory / state.ENROLMENT} "
            "(readable by this user only).\n"
            "Send a report now: assettrack-agent report --once\n"
            "Keep reporting:    assettrack-agent run"
        )
        return OK

    def _enrolment_failed(self, answer: sender.Answer) -> int:
        if answer.status == 403:
            _say(
                "The server refused the enrolment: the code is wrong, already used "
                "or expired, or the tag is not a device it knows. Check the tag, or "
                "issue a new code on the device's page and try again.",
                err=True,
            )
            return ENROLMENT_REFUSED
        if answer.status is None or answer.status == 429 or answer.status >= 500:
            wait = answer.retry_after_s
            later = f" Try again in {_duration(wait)}." if wait else " Try again later."
            _say(f"Enrolment failed: {answer.describe()}.{later}", err=True)
            return WAITING
        if answer.status in (200, 201):
            _say("Enrolment failed: the server's answer had no device token.", err=True)
            return FAILED
        _say(f"Enrolment failed: {answer.describe()}.", err=True)
        return ENROLMENT_REFUSED

    # --- report --once --------------------------------------------------------

    def report(self) -> int:
        enrolment = self._enrolment()
        if isinstance(enrolment, int):
            return enrolment
        with state.locked(self.directory):
            spool = Spool(self.directory)
            spool.clean_leftovers()
            self._collect(spool)
            sent = self._send(spool, enrolment)
            if sent.revoked:
                return self._revoked(spool, enrolment, sent.stopped_by)
            if sent.unauthorized:
                return self._unauthorized(enrolment, sent.stopped_by)
            waiting = len(spool.pending())
            if waiting:
                _say(
                    f"{waiting} report(s) wait in {spool.directory}: "
                    f"{sent.stopped_by.describe()}. They are sent, oldest first, "
                    "the next time the agent reports.",
                    err=True,
                )
                return WAITING
            return REJECTED if sent.rejected else OK

    # --- run ------------------------------------------------------------------

    def run(self) -> int:
        enrolment = self._enrolment()
        if isinstance(enrolment, int):
            return enrolment
        with state.locked(self.directory):
            spool = Spool(self.directory)
            spool.clean_leftovers()
            _say(
                f"Reporting {enrolment.asset_tag} to {enrolment.server} every "
                f"{_duration(state.interval(self.directory))}, the first within "
                "5 min (Ctrl-C stops)."
            )
            stopped = schedule.run_loop(
                collect=lambda: self._collect(spool),
                send=lambda: self._send(spool, enrolment),
                interval_s=lambda: state.interval(self.directory),
                rng=self.rng,
                sleep=self.sleep,
                clock=self.clock,
                on_wait=lambda seconds, why: _say(
                    f"{len(spool.pending())} report(s) wait: {why}; "
                    f"trying again in {_duration(seconds)}.",
                    err=True,
                ),
            )
            if stopped.revoked:
                return self._revoked(spool, enrolment, stopped.stopped_by)
            return self._unauthorized(enrolment, stopped.stopped_by)

    # --- shared steps ---------------------------------------------------------

    def _enrolment(self) -> state.Enrolment | int:
        enrolment = state.load_enrolment(self.directory)
        if enrolment:
            return enrolment
        revoked = state.revoked(self.directory)
        if revoked is not None:
            server = revoked.get("server", "the server")
            _say(
                f"This device's token was revoked by {server} "
                f"({revoked.get('revoked_at', 'earlier')}); it sends nothing until it "
                f"is enrolled again with a new code: {ENROL_HINT}",
                err=True,
            )
            return REVOKED
        _say(
            f"This device is not enrolled (nothing in {self.directory}). Enrol it "
            f"first, with the code from the device's page: {ENROL_HINT}",
            err=True,
        )
        return NOT_ENROLLED

    def _collect(self, spool: Spool) -> None:
        """Collect one report and spool it, numbered, before any sending."""
        collected = collect(self.args.root)
        seq = state.next_seq(self.directory, at_least=spool.highest_seq())
        numbered = {}
        for key, value in collected.items():
            numbered[key] = value
            if key == "report_id":
                numbered["seq"] = seq
        item, dropped = spool.add(numbered)
        _say(f"Collected report {item.seq} ({item.report_id}).")
        if dropped:
            _say(
                f"The spool is full: deleted the oldest report(s) "
                f"{', '.join(str(d.seq) for d in dropped)}, never sent.",
                err=True,
            )

    def _send(self, spool: Spool, enrolment: state.Enrolment) -> sender.Sent:
        sent = sender.send_spool(spool, enrolment, timeout=self.args.timeout)
        for seq, status in sent.stored:
            told = "stored" if status == 201 else "the server had it already"
            _say(f"Sent report {seq}: {told}.")
        for seq, answer in sent.rejected:
            _say(
                f"Report {seq} can never be accepted ({answer.describe()}); "
                f"it is kept in {spool.rejected_dir} with the server's answer.",
                err=True,
            )
        for name in sent.dropped_unreadable:
            _say(f"Spool file {name} was unreadable; moved to rejected/.", err=True)
        if sent.report_interval_s is not None:
            state.save_interval(self.directory, sent.report_interval_s)
        return sent

    def _revoked(self, spool: Spool, enrolment: state.Enrolment, answer) -> int:
        """Stop for good: forget the token and what waits, say how to enrol again."""
        dropped = spool.clear()
        state.mark_revoked(self.directory, enrolment, answer.error_message)
        _say(
            f"The server revoked this device's token (device_revoked): the agent has "
            f"stopped and deleted {dropped} report(s) not sent. The device must be "
            f"enrolled again: issue a new code on the page of {enrolment.asset_tag} "
            f"and run: assettrack-agent enroll --server {enrolment.server} "
            f"--tag {enrolment.asset_tag} --code CODE",
            err=True,
        )
        return REVOKED

    def _unauthorized(self, enrolment: state.Enrolment, answer) -> int:
        _say(
            f"The server does not accept this device's token ({answer.describe()}). "
            f"The reports wait in the spool. Enrol the device again: "
            f"assettrack-agent enroll --server {enrolment.server} "
            f"--tag {enrolment.asset_tag} --code CODE",
            err=True,
        )
        return NOT_ENROLLED


def server_address(url: str) -> str:
    """The server's base URL; https, or http to this machine only.

    The device token must not cross a network in clear text.
    """
    url = url.strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"--server {url!r} is not a web address like https://assettrack.example.be"
        )
    if parts.query or parts.fragment:
        raise UsageError("--server must be the service's address, without ? or #")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise UsageError(
            "--server must start with https:// (the device token must not cross "
            "the network unencrypted); http:// is only accepted for this machine."
        )
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token(answer: sender.Answer) -> str:
    token = answer.body.get("device_token")
    return token if isinstance(token, str) and token.strip() else ""


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


def _say(text: str, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def _parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:>3}  {what}" for code, what in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="assettrack-agent",
        description="Reports this device's health (batteries, disks, memory) "
        "to assettrack.",
        epilog=f"exit codes:\n{codes}\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--state-dir",
        type=Path,
        default=state.default_dir(),
        help=f"where the token and the spool live (default: ${state.ENV_VAR}, "
        f"else {state.default_dir()})",
    )
    where.add_argument(
        "--timeout",
        type=float,
        default=sender.TIMEOUT_S,
        help="seconds to wait for the server (default: %(default)s)",
    )
    root = argparse.ArgumentParser(add_help=False)
    root.add_argument(
        "--root",
        default="/",
        help="read sysfs, /proc and /etc under this folder (recorded machines, "
        "for tests); smartctl is not run then",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    enroll = commands.add_parser(
        "enroll", parents=[where], help="enrol this device with a one-time code"
    )
    enroll.add_argument("--server", required=True, help="https://your-assettrack")
    enroll.add_argument("--tag", required=True, help="the device's asset tag")
    enroll.add_argument("--code", required=True, help="the code from the device page")
    report = commands.add_parser(
        "report",
        parents=[where, root],
        help="collect one report and send everything waiting, then exit",
    )
    report.add_argument(
        "--once", action="store_true", help="one report, then exit (the default)"
    )
    commands.add_parser(
        "run",
        parents=[where, root],
        help="keep reporting at the server's interval, with jitter",
    )
    commands.add_parser(
        "show",
        parents=[root],
        help="print the report it would send; writes and sends nothing",
    )
    return parser
