"""The quality-check checklists, one per device kind, as one table.

The items and what to look for come from research/refurb.md (d): teal's test
classes (R2 "Provision 6", R2 "Ready for Resale Checklist"), the laptopsdirect
25-step procedure, and the locks that make a donated machine unlendable.

Cell codes in `ROWS`:
    M  mandatory: must pass before the device may be lent
    O  optional: pass or fail; a failure is noted, it does not stop the device
    N  optional, and may be "na" (not applicable: the part is not there)
    B  blocker: a lock on a donated machine; "pass" means absent or removed.
       Must pass, and can never be na: only a check can say it is gone.
    -  not on this kind's checklist

A change to the table is a new `VERSION`: a check keeps the name of the template
it was made against ("laptop@2026.11"); a check against a template this version
no longer has must be recorded again before the device can pass.
"""

from dataclasses import dataclass

VERSION = "2026.11"
KINDS = ("laptop", "desktop", "tablet")
RESULTS = ("pass", "fail", "na")

# fmt: off
# key                     laptop desktop tablet  label (English; pages translate)
ROWS = (
    ("power_boot",           "M", "M", "M", "Power and boot"),
    ("screen",               "M", "N", "M", "Screen"),
    ("keyboard",             "M", "N", "-", "Keyboard"),
    ("touchpad",             "M", "-", "-", "Touchpad"),
    ("battery",              "M", "-", "M", "Battery"),
    ("storage_health",       "M", "M", "N", "Storage health"),
    ("ram",                  "M", "M", "-", "Memory (RAM)"),
    ("wifi",                 "M", "N", "M", "Wi-Fi"),
    ("webcam",               "N", "N", "O", "Webcam"),
    ("microphone_speakers",  "O", "N", "O", "Microphone and speakers"),
    ("usb_ports",            "M", "M", "M", "USB ports"),
    ("charger_present",      "M", "-", "M", "Charger included"),
    ("os_installed_updated", "M", "M", "M", "Operating system installed and updated"),
    ("bios_password",        "B", "B", "B", "No BIOS or disk password"),
    ("mdm_enrolment",        "B", "B", "B", "No MDM or Autopilot enrolment"),
    ("anti_theft",           "B", "B", "B", "No anti-theft (Computrace/Absolute)"),
    ("activation_lock",      "B", "B", "B", "No activation lock"),
)
# fmt: on

# What the tester checks, for the form's help text.
CHECKS = {
    "power_boot": "starts without beeps or error codes and boots the operating system",
    "screen": "no dead or stuck pixels, cracks, pressure marks or backlight bleed;"
    " brightness works (desktop: the monitor that goes with it)",
    "keyboard": "every key types its character (desktop: the keyboard and mouse"
    " that go with it)",
    "touchpad": "the pointer moves, buttons click, scrolling works",
    "battery": "charges and holds a charge; not swollen",
    "storage_health": "SMART self-assessment passed; no pending or reallocated sectors",
    "ram": "a memory test passed",
    "wifi": "connects to a network and loads a web page",
    "webcam": "turns on and gives a clear picture",
    "microphone_speakers": "records and plays back sound",
    "usb_ports": "every port reads a USB stick and charges",
    "charger_present": "a working charger that fits goes with the device",
    "os_installed_updated": "installed, activated and fully updated; ready for"
    " the borrower's first start",
    "bios_password": "no supervisor (BIOS/UEFI) or hard-disk password is set",
    "mdm_enrolment": "not enrolled in Intune/Autopilot, Apple MDM or other"
    " device management",
    "anti_theft": "Computrace/Absolute persistence is off in the firmware",
    "activation_lock": "no Apple Activation Lock or Google factory-reset protection",
}

# What a blocker that did not pass means, as a refusal says it.
BLOCKED = {
    "bios_password": "a BIOS or disk password is still set",
    "mdm_enrolment": "still enrolled in MDM/Autopilot",
    "anti_theft": "anti-theft (Computrace/Absolute) is still active",
    "activation_lock": "activation lock is still on",
}

# The cosmetic grade, apart from function (teal AppearanceRange, refurb.md d.6).
GRADES = {
    "A": "like new: no visible marks",
    "B": "light wear: small marks in places that are hard to spot",
    "C": "visible wear: marks or scratches that are easy to spot",
}

# Device kinds checked against another kind's list; a kind missing here has none.
TEMPLATE_OF_KIND = {
    "laptop": "laptop",
    "desktop": "desktop",
    "all_in_one": "desktop",
    "tablet": "tablet",
}


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    check: str
    mandatory: bool  # must pass (blockers too)
    blocker: bool = False
    na_allowed: bool = False
    blocked: str = ""  # a blocker: what it means when it did not pass


@dataclass(frozen=True)
class Template:
    kind: str
    version: str
    items: tuple[Item, ...]

    @property
    def name(self) -> str:
        return f"{self.kind}@{self.version}"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    def item(self, key: str) -> Item | None:
        return next((item for item in self.items if item.key == key), None)

    @property
    def mandatory(self) -> tuple[Item, ...]:
        """Items that must pass, blockers left out: they are named on their own."""
        return tuple(i for i in self.items if i.mandatory and not i.blocker)

    @property
    def blockers(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.blocker)

    def labels(self, keys) -> str:
        """Item labels for a sentence, in checklist order."""
        return ", ".join(i.label for i in self.items if i.key in set(keys))


def _item(key: str, code: str, label: str) -> Item:
    return Item(
        key=key,
        label=label,
        check=CHECKS[key],
        mandatory=code in "MB",
        blocker=code == "B",
        na_allowed=code == "N",
        blocked=BLOCKED.get(key, ""),
    )


def _template(column: int) -> Template:
    kind = KINDS[column]
    items = tuple(
        _item(key, codes[column], label)
        for key, *codes, label in ROWS
        if codes[column] != "-"
    )
    return Template(kind, VERSION, items)


TEMPLATES: dict[str, Template] = {
    template.name: template for template in map(_template, range(len(KINDS)))
}
CURRENT: dict[str, Template] = {t.kind: t for t in TEMPLATES.values()}


def for_kind(device_kind: str) -> Template | None:
    """The current checklist for a device kind; None: the kind has none."""
    kind = TEMPLATE_OF_KIND.get(device_kind)
    return CURRENT[kind] if kind else None


def by_name(name: str) -> Template | None:
    """The template a check was recorded against; None: this version lacks it."""
    return TEMPLATES.get(name)
