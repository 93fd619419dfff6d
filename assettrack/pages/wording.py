"""The domain's words in the reader's language: states, actions, kinds, reasons.

The domain speaks English identifiers and English sentences (the API answers
with them). The pages show each through the translation layer: identifiers by
the tables below, and the domain's sentences by matching them against the
message ids in `SENTENCES`, so a refusal reads in Dutch with its details (disk
serials, item names) kept as they are. A sentence not in the table is shown as
the domain said it; `tests/test_translations.py` checks the known ones.
"""

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from assettrack.problems import Conflict
from assettrack.workflow import InvalidPayload
from assettrack.workflow import NotPermitted
from assettrack.workflow import Refused

STATES = {
    "received": _l("received"),
    "wiping": _l("wiping"),
    "refurbishing": _l("refurbishing"),
    "qc": _l("quality check"),
    "ready": _l("ready to lend"),
    "lent": _l("lent"),
    "returned": _l("returned"),
    "repair": _l("in repair"),
    "scrapped": _l("scrapped"),
    "lost": _l("lost"),
}

# What a button says: the action, as a verb.
ACTIONS = {
    "register": _l("Register"),
    "start_wipe": _l("Start wipe"),
    "finish_wipe": _l("Finish wipe"),
    "submit_qc": _l("Submit for quality check"),
    "pass_qc": _l("Pass quality check"),
    "fail_qc": _l("Fail quality check"),
    "lend": _l("Lend"),
    "renew": _l("Renew loan"),
    "return": _l("Take back"),
    "send_to_repair": _l("Send to repair"),
    "finish_repair": _l("Finish repair"),
    "scrap": _l("Scrap"),
    "report_lost": _l("Report lost"),
    "transfer": _l("Move to another place"),
}

# What the timeline says happened.
DONE = {
    "register": _l("registered at intake"),
    "start_wipe": _l("wipe started"),
    "finish_wipe": _l("wipe finished"),
    "submit_qc": _l("submitted for quality check"),
    "pass_qc": _l("passed quality check"),
    "fail_qc": _l("failed quality check"),
    "lend": _l("lent"),
    "renew": _l("loan renewed"),
    "return": _l("taken back"),
    "send_to_repair": _l("sent to repair"),
    "finish_repair": _l("repair finished"),
    "scrap": _l("scrapped"),
    "report_lost": _l("reported lost"),
    "transfer": _l("moved"),
}

DEVICE_KINDS = {
    "laptop": _l("laptop"),
    "desktop": _l("desktop"),
    "tablet": _l("tablet"),
    "all_in_one": _l("all-in-one"),
    "other": _l("other"),
}

DISK_KINDS = {
    "hdd": _l("hard disk (HDD)"),
    "ssd": _l("SATA SSD"),
    "nvme": _l("NVMe SSD"),
    "emmc": _l("eMMC"),
    "other": _l("other"),
}

ROLES = {
    "admin": _l("administrator"),
    "coordinator": _l("coordinator"),
    "repair": _l("repair partner"),
    "desk": _l("lending desk"),
}

OUTCOMES = {
    "erased": _l("erased"),
    "failed": _l("failed"),
    "aborted": _l("aborted"),
    "passed": _l("passed"),
}

LEVELS = {"clear": _l("Clear"), "purge": _l("Purge"), "destroy": _l("Destroy")}

QC_RESULTS = {"pass": _l("pass"), "fail": _l("fail"), "na": _l("not applicable")}

JOB_KINDS = {"label_sheet": _l("Label sheet")}

JOB_STATUSES = {
    "queued": _l("waiting"),
    "started": _l("being made"),
    "finished": _l("ready"),
    "failed": _l("failed"),
}


def _(table: dict, key: str | None) -> str:
    return str(table.get(key, key or ""))


def state(key: str | None) -> str:
    return _(STATES, key)


def action(key: str) -> str:
    return _(ACTIONS, key)


def done(key: str) -> str:
    return _(DONE, key)


# The domain's sentences, as message ids: `%(name)s` stands for a detail that
# is kept as the domain wrote it. N_ only marks them for `flask translate`.
def N_(message: str) -> str:  # noqa: N802  (the name pybabel looks for)
    return message


SENTENCES = (
    # workflow.machine and its guards
    N_("not possible while the device is %(state)s"),
    N_("no data-bearing disk is recorded for this device; record its disks first"),
    N_("no passed erasure in this wipe cycle for: %(disks)s"),
    N_("not wiped since it was last received or returned"),
    N_("disk added since the last wipe, not erased: %(disks)s"),
    N_("disk not wiped or destroyed in this cycle: %(disks)s"),
    N_("no quality-check record since the device entered qc"),
    N_("mandatory quality-check items not passed: %(items)s"),
    N_("the quality check has no cosmetic grade"),
    N_("name at least one failed quality-check item"),
    N_("the device is not at a lending location (%(place)s); transfer it first"),
    N_("no such borrower"),
    N_("must be in the future"),
    N_("must be within %(days)s days"),
    N_("must be later than the current due date %(date)s"),
    N_("renewal limit reached (%(limit)s)"),
    N_("give a reason"),
    N_("no such location"),
    N_("the device is already there"),
    # a typed or scanned tag (labels.tags)
    N_("not an asset tag: nothing was typed or scanned"),
    N_("not an asset tag: %(text)s is too short; tags look like %(example)s"),
    N_("not an asset tag: %(text)s; tags look like %(example)s"),
    N_(
        "check character does not match: %(text)s is probably a typo or misread;"
        " compare it with the label or scan it again"
    ),
    N_("not our tag: %(text)s starts with %(theirs)s-, ours with %(ours)s-"),
    # intake and records
    N_("no such donation"),
    N_("%(tag)s is already in use"),
    N_("%(tag)s is not on a reserved roll; leave it out to get a new tag"),
    N_("%(tag)s is on a roll reserved for %(organisation)s"),
    N_("%(name)s is a %(kind)s organisation, not a donor"),
    N_("the device is %(state)s"),
    N_("no labels to print"),
)


# Details that are one word or number; any other detail may be any text.
_WORDS = {"state", "days", "limit", "kind"}


def _pattern(message: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", message)
    regex = "".join(
        (f"(?P<{part}>\\w+)" if part in _WORDS else f"(?P<{part}>.+?)")
        if i % 2
        else re.escape(part)
        for i, part in enumerate(parts)
    )
    return re.compile(regex)


_PATTERNS = tuple((_pattern(message), message) for message in SENTENCES)


def sentence(text: str) -> str:
    """A sentence of the domain in the reader's language (as is when unknown)."""
    for pattern, message in _PATTERNS:
        if match := pattern.fullmatch(text):
            details = match.groupdict()
            if "state" in details:
                details["state"] = state(details["state"])
            return gettext(message, **details)
    return text


def why_not(action_key: str, exc: Exception) -> list[str]:
    """Why an action was not performed, one translated sentence per reason.

    `exc` is what `lifecycle.perform` or the payload schema raised.
    """
    name = action(action_key)
    if isinstance(exc, Refused):
        return [
            gettext("%(action)s refused: %(reason)s", action=name, reason=sentence(r))
            for r in exc.reasons
        ]
    if isinstance(exc, InvalidPayload):
        return [sentence(m) for messages in exc.fields.values() for m in messages]
    if isinstance(exc, NotPermitted):
        return [gettext("You may not do this: %(action)s.", action=name)]
    if isinstance(exc, Conflict):
        return [
            gettext(
                "Someone else changed this device at the same moment; nothing was"
                " changed. Look again and try once more."
            )
        ]
    return [gettext("%(action)s: some fields are not filled in right.", action=name)]
