"""The agent's findings in the reader's language: one sentence per rule id.

`agents/health.py` is pure and speaks English (the API answers with its texts);
a page shows each finding by its rule id with its evidence, translated here.
A rule with no sentence below is shown with the English text it came with.
"""

from flask_babel import format_decimal
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from assettrack.pages.texts import N_

SENTENCES = {
    "ERASURE_INVALID": N_(
        "%(subject)s was not part of the last erasure: wipe it before lending"
    ),
    "DISK_SMART_FAIL": N_("%(subject)s: SMART says the disk is failing; replace it"),
    "DISK_PREFAIL": N_(
        "%(subject)s: a SMART attribute is at its failure threshold; replace it"
    ),
    "DISK_PENDING": N_(
        "%(subject)s: %(value)s sectors cannot be read now; replace the disk"
    ),
    "NVME_CRIT": N_("%(subject)s: NVMe critical warning %(value)s; replace it"),
    "NVME_SPARE": N_(
        "%(subject)s: %(value)s %% spare left, below its %(limit)s %%; replace it"
    ),
    "DISK_REALLOC": N_("%(subject)s: %(value)s reallocated sectors"),
    "DISK_PAST_FAIL": N_("%(subject)s: errors in its SMART logs"),
    "NVME_WORN": N_("%(subject)s: %(value)s %% of its rated endurance used"),
    "NVME_MEDIA": N_("%(subject)s: %(value)s uncorrected media errors"),
    "BAT_MISSING": N_("A laptop without a battery: fit one"),
    "BAT_WEAR_SEVERE": N_(
        "%(subject)s holds %(value)s %% of its design capacity (below %(limit)s %%):"
        " replace it before lending"
    ),
    "BAT_WEAR": N_(
        "%(subject)s holds %(value)s %% of its design capacity (below %(limit)s %%)"
    ),
    "BAT_CYCLES": N_("%(subject)s has %(value)s charge cycles (limit %(limit)s)"),
    "TEMP_CRIT": N_(
        "%(subject)s at %(value)s °C, its critical limit is %(limit)s °C: clean the fan"
    ),
    "TEMP_HIGH": N_("%(subject)s at %(value)s °C, above %(limit)s °C: clean the fan"),
    "DISK_OLD_HDD": N_("%(subject)s: spinning disk with %(value)s power-on hours"),
    "DISK_SMALL": N_("%(subject)s: %(value)s GB of storage, less than %(limit)s GB"),
    "RAM_LOW": N_(
        "%(value)s GB of RAM, less than %(limit)s GB: add a module if a slot is free"
    ),
    "RAM_MIN": N_("%(value)s GB of RAM: enough, but more would help"),
    "RTC_SUSPECT": N_(
        "The device's clock is %(value)s days off: replace the CMOS coin cell"
    ),
    "BAT_DATA_SUSPECT": N_("%(subject)s: its figures are doubtful; check it by hand"),
    "DISK_HDD_BOOT": N_(
        "%(subject)s: the system disk spins; an SSD makes the device much faster"
    ),
    "DISK_UNKNOWN": N_("%(subject)s: SMART cannot be read; run a bench check"),
    "FS_FULL": N_("%(subject)s is nearly full"),
    "WIN11_INELIGIBLE": N_("Not eligible for Windows 11: install Linux"),
    "COMPONENT_SWAP": N_("A part was swapped since the last report (%(subject)s)"),
}
# Evidence in bytes, shown in (decimal) gigabytes.
_IN_GB = {"DISK_SMALL", "RAM_LOW", "RAM_MIN"}

PRIORITIES = {
    0: _l("do not lend"),
    1: _l("repair before the next loan"),
    2: _l("plan a repair"),
    3: _l("for information"),
}
REPAIRS = {
    "battery": _l("new battery"),
    "ram": _l("more RAM"),
    "ssd": _l("new SSD"),
    "cmos_battery": _l("new CMOS coin cell"),
    "clean_fan": _l("clean the fan"),
    "parts": _l("parts donor"),
}
CATEGORIES = {
    "quick_win": _l("Quick wins"),
    "repair": _l("Repairs"),
    "parts_donor": _l("Parts donors"),
    "healthy": _l("Healthy"),
}


def _shown(rule: str, value) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if rule in _IN_GB:
        return format_decimal(value / 2**30 if rule != "DISK_SMALL" else value / 1e9)
    if rule == "RTC_SUSPECT":
        return format_decimal(abs(value))
    return format_decimal(value)


def sentence(finding: dict) -> str:
    """One stored finding as a sentence for the page."""
    template = SENTENCES.get(finding.get("rule"))
    if template is None:
        return finding.get("text", "")
    rule = finding["rule"]
    return gettext(
        template,
        subject=finding.get("subject") or "",
        value=_shown(rule, finding.get("value")),
        limit=_shown(rule, finding.get("limit")),
    )
