"""The domain's words in the reader's language: states, actions, kinds, reasons.

The domain speaks English identifiers and English sentences (the API answers
with them). The pages show each through the translation layer: identifiers by
the tables below, and the domain's sentences by matching them against the
message ids in `SENTENCES`, so a refusal reads in Dutch with its details (disk
serials, item names) kept as they are. A sentence not in the table is shown as
the domain said it; `tests/test_translations.py` checks the known ones.
"""

import re

from flask_babel import get_locale
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from assettrack.pages.texts import TEXTS
from assettrack.pages.texts import term
from assettrack.problems import Conflict
from assettrack.workflow import InvalidPayload
from assettrack.workflow import NotPermitted
from assettrack.workflow import Refused
from assettrack.workflow import checklist
from assettrack.workflow import lendability

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
    "transfer": _l("Send to another place"),
    "receive": _l("Receive (it has arrived)"),
    "relocate": _l("Found elsewhere: correct its place"),
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
    "transfer": _l("sent"),
    "receive": _l("received"),
    "relocate": _l("found elsewhere, place corrected"),
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

# Erasures (workflow.erasure): what the operator picks on the erasure form.
TECHNIQUES = {
    "overwrite": _l("Overwrite (nwipe, shred, DBAN)"),
    "ata_secure_erase": _l("ATA Secure Erase"),
    "ata_enhanced_secure_erase": _l("ATA Enhanced Secure Erase"),
    "ata_sanitize_block": _l("ATA Sanitize, block erase"),
    "ata_sanitize_crypto": _l("ATA Sanitize, crypto erase"),
    "ata_sanitize_overwrite": _l("ATA Sanitize, overwrite"),
    "nvme_sanitize_block": _l("NVMe Sanitize, block erase"),
    "nvme_sanitize_crypto": _l("NVMe Sanitize, crypto erase"),
    "nvme_sanitize_overwrite": _l("NVMe Sanitize, overwrite"),
    "nvme_format": _l("NVMe Format without secure erase (SES=0)"),
    "nvme_format_user_data_erase": _l("NVMe Format, user data erase (SES=1)"),
    "nvme_format_crypto_erase": _l("NVMe Format, crypto erase (SES=2)"),
    "crypto_erase": _l("Crypto erase (e.g. TCG Opal key change)"),
    "shred": _l("Shredding"),
    "disintegrate": _l("Disintegration"),
    "degauss": _l("Degaussing"),
}

MEDIA = {
    "hdd": _l("hard disk (HDD)"),
    "sata_ssd": _l("SATA SSD"),
    "nvme": _l("NVMe SSD"),
    "emmc": _l("eMMC"),
    "other": _l("other media"),
}

VERIFICATIONS = {
    "none": _l("no verification"),
    "sampled": _l("sampled read-back"),
    "full": _l("full read-back"),
}

VERIFICATION_RESULTS = {"passed": _l("passed"), "failed": _l("failed")}

HIDDEN_AREAS = {
    "yes": _l("checked: erased, or none present"),
    "no": _l("found and left in place"),
    "not_checked": _l("not checked"),
}

# Lendability (workflow.lendability): the class, short; its description is a term.
LENDABILITY = {
    "not_lendable": _l("not lendable"),
    "basic": _l("basic"),
    "school_office": _l("school/office"),
}

# A blocker is a lock: the tester answers whether it is gone (pass) or not.
QUESTIONS = {
    "bios_password": _l("BIOS/disk password removed (or none set)?"),
    "mdm_enrolment": _l("Free of MDM/Autopilot enrolment?"),
    "anti_theft": _l("Anti-theft (Computrace/Absolute) switched off?"),
    "activation_lock": _l("Activation lock switched off?"),
}

# Single words inside the domain's sentences.
WORDS = {"RAM": _l("RAM"), "storage": _l("storage"), "nothing": _l("nothing")}

JOB_KINDS = {
    "label_sheet": _l("Label sheet"),
    "certificate": _l("Erasure certificate"),
    "figures_export": _l("Figures export"),
}

JOB_STATUSES = {
    "queued": _l("waiting"),
    "started": _l("being made"),
    "finished": _l("ready"),
    "failed": _l("failed"),
}

# Why a device is not on a certificate (yet): certifying's reason codes.
PENDING = {
    "not_started": _l("not wiped yet"),
    "in_progress": _l("still being wiped"),
    "not_enough": _l("its erasure does not meet the erasure policy"),
    "no_disks": _l("no data-bearing disk recorded"),
}

# The /verify page's verdict on a certificate (verifying's statuses), as its
# headline; the page explains each and says what to do.
VERDICTS = {
    "genuine": _l("Genuine"),
    "unknown": _l("Not issued by us"),
    "typo": _l("Check the number you typed"),
    "malformed": _l("This is not a certificate number"),
    "not_a_certificate": _l("This file holds no certificate"),
    "tampered": _l("This file was changed after it was issued"),
    "other_key": _l("Not signed by us"),
}


def _(table: dict, key: str | None) -> str:
    return str(table.get(key, key or ""))


def state(key: str | None) -> str:
    return _(STATES, key)


def action(key: str) -> str:
    return _(ACTIONS, key)


def done(key: str) -> str:
    return _(DONE, key)


def lendability_use(key: str | None) -> str:
    """What a lendability class is good for, as the rules describe it."""
    return term(lendability.CLASSES.get(key or ""))


def grade(key: str | None) -> str:
    """A cosmetic grade's description, e.g. "light wear: small marks ..."."""
    return term(checklist.GRADES.get(key or ""))


def pending(key: str | None) -> str:
    return _(PENDING, key)


def on_certificate(code: str | None) -> str:
    """A code the certificate prints (media, level, technique), in the reader's
    language and in the very words of the PDF (`certificates.render.TEXTS`)."""
    from assettrack.certificates.render import DEFAULT_LANGUAGE
    from assettrack.certificates.render import TEXTS

    texts = TEXTS.get(str(get_locale()), TEXTS[DEFAULT_LANGUAGE])
    return texts.get(code, code) if code else ""


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
    N_("this borrower was anonymised; register them again"),
    N_("has an overdue loan (due %(date)s); take that device back first"),
    N_(
        "already has %(count)s open loan(s), the most this lending point allows"
        " (%(limit)s)"
    ),
    N_(
        "with %(count)s open loan(s) and %(basket)s in the basket, the borrower has"
        " the most this lending point allows (%(limit)s)"
    ),
    N_("the borrower must accept the loan agreement (version %(version)s)"),
    N_("must be in the future"),
    N_("must be within %(days)s days"),
    N_("must be later than the current due date %(date)s"),
    N_("renewal limit reached (%(limit)s)"),
    N_("give a reason"),
    N_("no such location"),
    N_("the device is already there"),
    N_("the device is in transit to %(place)s; receive it first"),
    N_("the device is not in transit; it is at %(place)s"),
    # the erasure guards (a shortfall per disk; several joined with "; ")
    N_("not erased as the policy requires in this wipe cycle: %(disks)s"),
    N_("disk not erased as the policy requires since the wipe: %(disks)s"),
    N_(
        "%(disk)s: %(media)s needs %(level)s, best this cycle: %(best)s (%(technique)s)"
    ),
    N_("%(disk)s: %(media)s needs %(level)s, no passing erasure this cycle"),
    # the quality-check guards (several problems joined with "; ")
    N_("not checked yet: %(items)s"),
    N_("the check was made on a checklist no longer in use, check it again"),
    N_("not lendable: %(reason)s"),
    N_("no lendability class recorded"),
    N_("fail the check or scrap the device"),
    # erasure records (assettrack.erasures, schemas.erasures, workflow.erasure)
    N_("this device has no such disk"),
    N_("this disk was taken out of the device on %(date)s; it needs no erasure here"),
    N_("this disk was already taken out on %(date)s"),
    N_("the log file is empty"),
    N_("must not be before started_at"),
    N_("say how many passes the overwrite made"),
    N_("say whether the verification passed or failed"),
    N_("there was no verification"),
    N_("%(technique)s is not a way to sanitise %(media)s"),
    N_("the erasure %(outcome)s, so no level is reached"),
    N_("the verification failed, so no level is reached"),
    N_("hidden sectors (HPA/DCO) were not erased"),
    N_("hidden sectors (HPA/DCO) were not checked"),
    N_("purge without verification: IEEE 2883 asks for a verify step"),
    N_(
        "claims %(claimed)s but %(technique)s on %(media)s reaches %(reached)s: %(why)s"
    ),
    N_("the policy sets no required level for %(media)s"),
    N_("%(media)s needs %(level)s, but this erasure reaches no level"),
    N_("%(media)s needs %(level)s, but this erasure reaches only %(reached)s"),
    # quality checks (assettrack.quality)
    N_("a quality check is recorded in qc, not %(state)s"),
    N_("there is no quality-check checklist for a device of kind %(kind)s"),
    N_("not on the %(name)s checklist: %(items)s"),
    N_("%(key)s is a blocker: check it, it cannot be na"),
    N_("%(key)s cannot be na on a %(kind)s"),
    # the lendability rules' reasons (workflow.lendability)
    N_("failed: %(items)s (repair before lending)"),
    N_("%(what)s not recorded: basic at most until it is"),
    N_("%(size)s %(what)s: below the %(minimum)s minimum, upgrade it"),
    N_(
        "%(size)s %(what)s: enough for web and video calls,"
        " not for school/office (needs %(school)s)"
    ),
    N_("%(size)s %(what)s: enough for school/office use"),
    N_("battery health not measured: the tester's battery check decides"),
    N_("battery at %(pct)s %% of its design capacity: replace it before lending"),
    N_("battery at %(pct)s %% of its design capacity: too short for a school day"),
    N_("battery at %(pct)s %% of its design capacity"),
    N_("no cosmetic grade yet"),
    N_("cosmetic grade %(grade)s: the grade does not change the class"),
    N_("%(label)s: not working"),
    N_("%(label)s: not on this device"),
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


def _labels(text: str) -> str:
    """Checklist item labels, as a sentence lists them ("Screen, Keyboard")."""
    return ", ".join(term(label) for label in text.split(", "))


# How a detail is shown: words from a table, labels and sentences translated,
# anything else (serials, dates, numbers) as the domain wrote it.
_DETAILS = {
    "state": state,
    "items": _labels,
    "label": term,
    "media": lambda key: _(MEDIA, key),
    "technique": lambda key: _(TECHNIQUES, key),
    "outcome": lambda key: _(OUTCOMES, key),
    "what": lambda key: _(WORDS, key),
    **{
        name: lambda key: _(LEVELS, key) if key in LEVELS else _(WORDS, key)
        for name in ("level", "best", "reached", "claimed")
    },
    # a detail that is itself a sentence, or several joined with "; "
    **{name: lambda text: sentence(text) for name in ("disks", "reason", "why")},
}
# Details that are one word or number; "why" may hold "; "; any other detail
# is text without "; " (that joins sentences).
_WORD = {"state", "days", "limit", "kind", "media", "technique", "outcome", "what"}
_WORD |= {"level", "best", "reached", "claimed"}
_ANY = {"why"}


def _pattern(message: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", message)
    regex = "".join(
        (
            f"(?P<{part}>\\w+)"
            if part in _WORD
            else f"(?P<{part}>.+?)"
            if part in _ANY
            else f"(?P<{part}>(?:(?!; ).)+?)"
        )
        if i % 2
        else re.escape(part.replace("%%", "%"))
        for i, part in enumerate(parts)
    )
    return re.compile(regex)


_PATTERNS = tuple((_pattern(message), message) for message in SENTENCES)


def _one(text: str) -> str | None:
    """One sentence of the domain translated, or None when it is not known."""
    if text in TEXTS:
        return term(text)
    for pattern, message in _PATTERNS:
        if match := pattern.fullmatch(text):
            details = {
                name: _DETAILS.get(name, str)(value)
                for name, value in match.groupdict().items()
            }
            return gettext(message, **details)
    return None


def sentence(text: str) -> str:
    """A sentence of the domain in the reader's language (as is when unknown).

    Guards join several sentences with "; " (a shortfall per disk, every problem
    of a check): each is translated on its own, the longest known one first.
    """
    parts, shown, start = text.split("; "), [], 0
    while start < len(parts):
        for end in range(len(parts), start, -1):
            if (translated := _one("; ".join(parts[start:end]))) is not None:
                shown.append(translated)
                start = end
                break
        else:
            shown.append(parts[start])
            start += 1
    return "; ".join(shown)


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
