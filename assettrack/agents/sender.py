"""Talking to the service: enrol once, then send the spool oldest first.

Standard library only (urllib), because the agent installs with psutil and
nothing else. JSON bodies, the device token as `Authorization: Bearer`, a
timeout on every request, and no redirects followed: a redirect would carry
the token to wherever it points, so it is reported instead.
"""

import datetime as dt
import email.utils
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from assettrack.agents import AGENT_VERSION
from assettrack.agents.fields import json_object
from assettrack.agents.spool import Spool
from assettrack.agents.state import Enrolment

TIMEOUT_S = 30.0
MAX_ANSWER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Answer:
    """What came back: an HTTP status and body, or why nothing did."""

    status: int | None
    body: dict = field(default_factory=dict)
    retry_after_s: float | None = None
    problem: str = ""  # network trouble, when status is None
    location: str = ""  # where a redirect pointed

    @property
    def error_code(self) -> str:
        error = self.body.get("error")
        return str(error.get("code", "")) if isinstance(error, dict) else ""

    @property
    def error_message(self) -> str:
        error = self.body.get("error")
        return str(error.get("message", "")) if isinstance(error, dict) else ""

    def describe(self) -> str:
        """One line for the technician: what went wrong with this request."""
        if self.status is None:
            return f"could not reach the server ({self.problem})"
        if self.location:
            return (
                f"the server answered {self.status}, a redirect to {self.location}; "
                "enrol again with that address"
            )
        said = f": {self.error_message}" if self.error_message else ""
        if self.status == 429:
            return f"the server is busy (429, too many requests){said}"
        return f"the server answered {self.status}{said}"

    def as_dict(self) -> dict:
        return {"status": self.status, "body": self.body, "problem": self.problem}


Post = Callable[[str, dict, str | None, float], Answer]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(
    url: str, body: dict, token: str | None = None, timeout: float = TIMEOUT_S
) -> Answer:
    """POST `body` as JSON to `url`; never raises for HTTP or network trouble."""
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": f"assettrack-agent/{AGENT_VERSION}",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked at enrolment
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Answer(response.status, json_object(response.read(MAX_ANSWER_BYTES)))
    except urllib.error.HTTPError as error:
        with error:
            text = error.read(MAX_ANSWER_BYTES)
        return Answer(
            error.code,
            json_object(text),
            retry_after_s=retry_after(error.headers.get("Retry-After")),
            location=error.headers.get("Location", "")
            if 300 <= error.code < 400
            else "",
        )
    except urllib.error.URLError as error:
        return Answer(None, problem=str(error.reason))
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, problem=str(error) or type(error).__name__)


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


# --- enrolment ------------------------------------------------------------


def enrol(
    server: str, tag: str, code: str, post: Post = post_json, timeout=TIMEOUT_S
) -> Answer:
    return post(
        f"{server}/api/v1/agent/enroll",
        {"asset_tag": tag, "enrollment_code": code},
        None,
        timeout,
    )


# --- sending the spool ----------------------------------------------------

# answers after which the report can never be accepted as it is
NEVER_ACCEPTED = {400, 413, 422}


@dataclass
class Sent:
    """What one pass over the spool did."""

    stored: list[tuple[int, int]] = field(default_factory=list)  # (seq, 200|201)
    rejected: list[tuple[int, Answer]] = field(default_factory=list)
    dropped_unreadable: list[str] = field(default_factory=list)
    stopped_by: Answer | None = None  # the answer that ended the pass early
    report_interval_s: int | None = None

    @property
    def revoked(self) -> bool:
        stop = self.stopped_by
        return (
            stop is not None
            and stop.status == 401
            and (stop.error_code == "device_revoked")
        )

    @property
    def unauthorized(self) -> bool:
        stop = self.stopped_by
        return stop is not None and stop.status == 401 and not self.revoked

    @property
    def retry_later(self) -> bool:
        """Reports stay in the spool because the server was away or busy."""
        return self.stopped_by is not None and self.stopped_by.status != 401


def send_spool(
    spool: Spool,
    enrolment: Enrolment,
    post: Post = post_json,
    timeout: float = TIMEOUT_S,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    on_answer: Callable[[int, Answer], None] = lambda seq, answer: None,
) -> Sent:
    """Send every waiting report, oldest first, until done or the server stops us.

    A report is deleted only after a 2xx: 201 (new) or 200 (the server had it
    already, so a report resent after a lost answer is not counted twice).
    """
    sent = Sent()
    for item in spool.pending():
        try:
            report = spool.load(item)
        except (OSError, ValueError) as error:
            spool.reject(item, {"status": None, "problem": f"unreadable: {error}"})
            sent.dropped_unreadable.append(item.path.name)
            continue
        body = {**report, "sent_at": clock().isoformat(timespec="seconds")}
        answer = post(enrolment.reports_url, body, enrolment.device_token, timeout)
        on_answer(item.seq, answer)
        if answer.status in (200, 201):
            spool.remove(item)
            sent.stored.append((item.seq, answer.status))
            interval = answer.body.get("report_interval_s")
            if isinstance(interval, int) and not isinstance(interval, bool):
                sent.report_interval_s = interval
        elif answer.status in NEVER_ACCEPTED:
            spool.reject(item, answer.as_dict())
            sent.rejected.append((item.seq, answer))
        else:  # 401, 429, 5xx, network trouble, anything unexpected: keep it
            sent.stopped_by = answer
            break
    return sent
