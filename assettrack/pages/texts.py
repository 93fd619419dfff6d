"""The rule modules' fixed English texts, marked here so the pages can translate them.

`workflow/checklist.py`, `workflow/lendability.py` and `workflow/erasure.py` are
pure and speak English (the API answers with their texts). Each text they hold
is repeated below as a message id, and `term` looks a text up by its English
words: a text changed there and not here shows in English, and
`tests/test_pages_repair.py` says which one.
"""

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802  (the name pybabel looks for)
    return message


TEXTS = frozenset({
    # checklist.ROWS: the items' labels
    N_("Power and boot"),
    N_("Screen"),
    N_("Keyboard"),
    N_("Touchpad"),
    N_("Battery"),
    N_("Storage health"),
    N_("Memory (RAM)"),
    N_("Wi-Fi"),
    N_("Webcam"),
    N_("Microphone and speakers"),
    N_("USB ports"),
    N_("Charger included"),
    N_("Operating system installed and updated"),
    N_("No BIOS or disk password"),
    N_("No MDM or Autopilot enrolment"),
    N_("No anti-theft (Computrace/Absolute)"),
    N_("No activation lock"),
    # checklist.CHECKS: what the tester looks for
    N_("starts without beeps or error codes and boots the operating system"),
    N_(
        "no dead or stuck pixels, cracks, pressure marks or backlight bleed;"
        " brightness works (desktop: the monitor that goes with it)"
    ),
    N_(
        "every key types its character (desktop: the keyboard and mouse"
        " that go with it)"
    ),
    N_("the pointer moves, buttons click, scrolling works"),
    N_("charges and holds a charge; not swollen"),
    N_("SMART self-assessment passed; no pending or reallocated sectors"),
    N_("a memory test passed"),
    N_("connects to a network and loads a web page"),
    N_("turns on and gives a clear picture"),
    N_("records and plays back sound"),
    N_("every port reads a USB stick and charges"),
    N_("a working charger that fits goes with the device"),
    N_(
        "installed, activated and fully updated; ready for"
        " the borrower's first start"
    ),
    N_("no supervisor (BIOS/UEFI) or hard-disk password is set"),
    N_(
        "not enrolled in Intune/Autopilot, Apple MDM or other"
        " device management"
    ),
    N_("Computrace/Absolute persistence is off in the firmware"),
    N_("no Apple Activation Lock or Google factory-reset protection"),
    # checklist.BLOCKED: what a blocker that did not pass means
    N_("a BIOS or disk password is still set"),
    N_("still enrolled in MDM/Autopilot"),
    N_("anti-theft (Computrace/Absolute) is still active"),
    N_("activation lock is still on"),
    # checklist.GRADES
    N_("like new: no visible marks"),
    N_("light wear: small marks in places that are hard to spot"),
    N_("visible wear: marks or scratches that are easy to spot"),
    # lendability.CLASSES
    N_("not lendable"),
    N_("basic: web, e-mail and video calls"),
    N_("school/office: office suite, many tabs, a school day on battery"),
    # erasure.RULES: why a technique reaches its level on a media type
    N_("[R1] host overwrite reaches the sectors the drive shows, no more"),
    N_("[R1] wear levelling and spare flash keep copies the host can't reach"),
    N_("[R1] drive firmware erases every sector, reallocated/spare too"),
    N_("[R1][2883] Sanitize covers all flash, spare and caches; resumes on reset"),
    N_("[R1] media key discarded; valid only if encrypted from the start"),
    N_("[OURS] Format with Secure Erase Setting 0 need not erase user data"),
    N_("[R1] Format with SES=1 (user data erase) erases all user data"),
    N_("[R1] Format with SES=2 (crypto erase) replaces the media key"),
    N_("[OURS] normal-mode Secure Erase may skip spare flash; varies by vendor"),
    N_("[R1] strong field scrambles the platters (drive unusable after)"),
    N_("[R1] flash is not magnetic: degaussing erases nothing"),
    N_("[R1] the storage itself is physically destroyed"),
    N_("[OURS] unknown media: overwrite at least defeats reading back"),
})  # fmt: skip


def term(text: str | None) -> str:
    """`text` in the reader's language when it is one of `TEXTS`, else as it is."""
    return gettext(text) if text in TEXTS else (text or "")
