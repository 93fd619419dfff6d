"""Which sanitisation level an erasure record really achieves, and whether it is enough.

Levels are the NIST SP 800-88 Rev.1 / IEEE 2883-2022 terms (Clear < Purge <
Destroy; IEEE says "Destruct"). The level follows from the media type and the
technique, not from what the operator or the tool claims: donors trust the
certificate, so it must never say more than the wipe did (research/refurb.md c).
Pure Python so the lifecycle guards and the certificate can share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from enum import StrEnum
from types import MappingProxyType

# Stored on every record: which version of these rules judged it. Bump it when
# a rule or the table changes, so an old record can be told from a new one.
RULES_VERSION = "2026.11-1"


class Media(StrEnum):
    HDD = "hdd"
    SATA_SSD = "sata_ssd"
    NVME = "nvme"
    EMMC = "emmc"
    OTHER = "other"


FLASH = frozenset({Media.SATA_SSD, Media.NVME, Media.EMMC})

# What a disk recorded at intake (Disk.kind) is, as media: the level follows from
# the media, so the service derives it from the disk, never from the client.
MEDIA_OF_KIND: Mapping[str, Media] = MappingProxyType({
    "hdd": Media.HDD,
    "ssd": Media.SATA_SSD,
    "nvme": Media.NVME,
    "emmc": Media.EMMC,
    "other": Media.OTHER,
})  # fmt: skip


def media_of(kind: str, interface: str = "") -> Media:
    """The media of a disk: an "ssd" on the NVMe bus is an NVMe drive."""
    if kind == "ssd" and interface == "nvme":
        return Media.NVME
    return MEDIA_OF_KIND.get(kind, Media.OTHER)


class Technique(StrEnum):
    OVERWRITE = "overwrite"  # host software writing patterns, N passes (nwipe, shred)
    ATA_SECURE_ERASE = "ata_secure_erase"
    ATA_ENHANCED_SECURE_ERASE = "ata_enhanced_secure_erase"
    ATA_SANITIZE_BLOCK = "ata_sanitize_block"
    ATA_SANITIZE_CRYPTO = "ata_sanitize_crypto"
    ATA_SANITIZE_OVERWRITE = "ata_sanitize_overwrite"
    NVME_SANITIZE_BLOCK = "nvme_sanitize_block"
    NVME_SANITIZE_CRYPTO = "nvme_sanitize_crypto"
    NVME_SANITIZE_OVERWRITE = "nvme_sanitize_overwrite"
    NVME_FORMAT = "nvme_format"  # Format NVM, Secure Erase Setting 0
    NVME_FORMAT_USER_DATA_ERASE = "nvme_format_user_data_erase"  # SES=1
    NVME_FORMAT_CRYPTO_ERASE = "nvme_format_crypto_erase"  # SES=2
    CRYPTO_ERASE = "crypto_erase"  # e.g. TCG Opal key change on a self-encrypting drive
    SHRED = "shred"
    DISINTEGRATE = "disintegrate"
    DEGAUSS = "degauss"


class Verification(StrEnum):
    NONE = "none"
    SAMPLED = "sampled"
    FULL = "full"


class VerificationResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class Outcome(StrEnum):
    ERASED = "erased"
    FAILED = "failed"
    ABORTED = "aborted"


class HiddenAreas(StrEnum):
    """Whether the HPA/DCO (sectors hidden from the host) were found and erased."""

    YES = "yes"
    NO = "no"
    NOT_CHECKED = "not_checked"


class Level(StrEnum):
    CLEAR = "clear"
    PURGE = "purge"
    DESTROY = "destroy"


_ORDER = (Level.CLEAR, Level.PURGE, Level.DESTROY)


def _rank(level: Level | None) -> int:
    return -1 if level is None else _ORDER.index(level)


def at_least(level: Level | str | None, needed: Level | str) -> bool:
    """Whether `level` reaches `needed` (Destroy covers Purge covers Clear)."""
    reached = None if level is None else Level(level)
    return _rank(reached) >= _rank(Level(needed))


def best(levels) -> Level | None:
    """The highest of `levels` (None when there is none)."""
    return max((Level(v) for v in levels if v is not None), key=_rank, default=None)


def _parse(enum: type[StrEnum], value: object, what: str) -> StrEnum:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(member.value for member in enum)
        message = f"unknown {what} {value!r}; expected one of: {known}"
        raise ValueError(message) from None


@dataclass(frozen=True)
class ErasureRecord:
    """What the operator recorded for one disk; strings are checked on creation."""

    media: Media
    technique: Technique
    outcome: Outcome
    passes: int = 1
    verification: Verification = Verification.NONE
    hidden_areas: HiddenAreas = HiddenAreas.NOT_CHECKED
    claimed: Level | None = None  # the level the tool or operator says it reached
    verification_result: VerificationResult | None = None  # None: not verified

    def __post_init__(self) -> None:
        fix = object.__setattr__
        fix(self, "media", _parse(Media, self.media, "media type"))
        fix(self, "technique", _parse(Technique, self.technique, "technique"))
        fix(self, "outcome", _parse(Outcome, self.outcome, "outcome"))
        fix(self, "verification", _parse(Verification, self.verification, "verify"))
        fix(self, "hidden_areas", _parse(HiddenAreas, self.hidden_areas, "HPA/DCO"))
        if self.claimed is not None:
            fix(self, "claimed", _parse(Level, self.claimed, "level"))
        if self.verification_result is not None:
            result = _parse(VerificationResult, self.verification_result, "result")
            fix(self, "verification_result", result)
        if self.technique is Technique.OVERWRITE and (
            not isinstance(self.passes, int) or self.passes < 1
        ):
            raise ValueError(f"an overwrite needs at least 1 pass, got {self.passes!r}")


@dataclass(frozen=True)
class Rule:
    level: Level | None
    why: str


C, P, D = Level.CLEAR, Level.PURGE, Level.DESTROY
M, T = Media, Technique

# Why each row holds. Sources: [R1] NIST SP 800-88 Rev.1 Appendix A (per media
# type); [2883] IEEE 2883-2022 as summarised in research/refurb.md c.2; [OURS]
# our own, conservative decision where the sources leave room.
HOST_ONLY = "[R1] host overwrite reaches the sectors the drive shows, no more"
FLASH_COPIES = "[R1] wear levelling and spare flash keep copies the host can't reach"
FIRMWARE_ALL = "[R1] drive firmware erases every sector, reallocated/spare too"
SANITIZE = "[R1][2883] Sanitize covers all flash, spare and caches; resumes on reset"
KEY = "[R1] media key discarded; valid only if encrypted from the start"
SES0 = "[OURS] Format with Secure Erase Setting 0 need not erase user data"
SES1 = "[R1] Format with SES=1 (user data erase) erases all user data"
SES2 = "[R1] Format with SES=2 (crypto erase) replaces the media key"
SE_NORMAL = "[OURS] normal-mode Secure Erase may skip spare flash; varies by vendor"
DEGAUSS_HDD = "[R1] strong field scrambles the platters (drive unusable after)"
NOT_MAGNETIC = "[R1] flash is not magnetic: degaussing erases nothing"
PHYSICAL = "[R1] the storage itself is physically destroyed"
UNKNOWN = "[OURS] unknown media: overwrite at least defeats reading back"

# THE table: media x technique -> the level that technique can reach on that
# media. A pair missing from it is not a way to sanitise that media (wrong
# interface, e.g. an ATA command on an NVMe drive) and reaches nothing.
RULES: Mapping[tuple[Media, Technique], Rule] = MappingProxyType({
    (M.HDD, T.OVERWRITE):                      Rule(C, HOST_ONLY),
    (M.HDD, T.ATA_SECURE_ERASE):               Rule(P, FIRMWARE_ALL),
    (M.HDD, T.ATA_ENHANCED_SECURE_ERASE):      Rule(P, FIRMWARE_ALL),
    (M.HDD, T.ATA_SANITIZE_OVERWRITE):         Rule(P, FIRMWARE_ALL),
    (M.HDD, T.ATA_SANITIZE_CRYPTO):            Rule(P, KEY),
    (M.HDD, T.CRYPTO_ERASE):                   Rule(P, KEY),
    (M.HDD, T.DEGAUSS):                        Rule(P, DEGAUSS_HDD),
    (M.HDD, T.SHRED):                          Rule(D, PHYSICAL),
    (M.HDD, T.DISINTEGRATE):                   Rule(D, PHYSICAL),
    (M.SATA_SSD, T.OVERWRITE):                 Rule(C, FLASH_COPIES),
    (M.SATA_SSD, T.ATA_SECURE_ERASE):          Rule(C, SE_NORMAL),
    (M.SATA_SSD, T.ATA_ENHANCED_SECURE_ERASE): Rule(P, FIRMWARE_ALL),
    (M.SATA_SSD, T.ATA_SANITIZE_BLOCK):        Rule(P, SANITIZE),
    (M.SATA_SSD, T.ATA_SANITIZE_CRYPTO):       Rule(P, SANITIZE),
    (M.SATA_SSD, T.ATA_SANITIZE_OVERWRITE):    Rule(P, SANITIZE),
    (M.SATA_SSD, T.CRYPTO_ERASE):              Rule(P, KEY),
    (M.SATA_SSD, T.DEGAUSS):                   Rule(None, NOT_MAGNETIC),
    (M.SATA_SSD, T.SHRED):                     Rule(D, PHYSICAL),
    (M.SATA_SSD, T.DISINTEGRATE):              Rule(D, PHYSICAL),
    (M.NVME, T.OVERWRITE):                     Rule(C, FLASH_COPIES),
    (M.NVME, T.NVME_SANITIZE_BLOCK):           Rule(P, SANITIZE),
    (M.NVME, T.NVME_SANITIZE_CRYPTO):          Rule(P, SANITIZE),
    (M.NVME, T.NVME_SANITIZE_OVERWRITE):       Rule(P, SANITIZE),
    (M.NVME, T.NVME_FORMAT):                   Rule(None, SES0),
    (M.NVME, T.NVME_FORMAT_USER_DATA_ERASE):   Rule(P, SES1),
    (M.NVME, T.NVME_FORMAT_CRYPTO_ERASE):      Rule(P, SES2),
    (M.NVME, T.CRYPTO_ERASE):                  Rule(P, KEY),
    (M.NVME, T.DEGAUSS):                       Rule(None, NOT_MAGNETIC),
    (M.NVME, T.SHRED):                         Rule(D, PHYSICAL),
    (M.NVME, T.DISINTEGRATE):                  Rule(D, PHYSICAL),
    (M.EMMC, T.OVERWRITE):                     Rule(C, FLASH_COPIES),
    (M.EMMC, T.CRYPTO_ERASE):                  Rule(P, KEY),
    (M.EMMC, T.DEGAUSS):                       Rule(None, NOT_MAGNETIC),
    (M.EMMC, T.SHRED):                         Rule(D, PHYSICAL),
    (M.EMMC, T.DISINTEGRATE):                  Rule(D, PHYSICAL),
    (M.OTHER, T.OVERWRITE):                    Rule(C, UNKNOWN),
    (M.OTHER, T.CRYPTO_ERASE):                 Rule(P, KEY),
    (M.OTHER, T.SHRED):                        Rule(D, PHYSICAL),
    (M.OTHER, T.DISINTEGRATE):                 Rule(D, PHYSICAL),
})  # fmt: skip

# Techniques that run in host software and so only see the sectors the drive shows.
_HOST_SOFTWARE = frozenset({Technique.OVERWRITE})


@dataclass(frozen=True)
class Classification:
    level: Level | None
    problems: tuple[str, ...] = field(default=())


def rule_for(media: Media | str, technique: Technique | str) -> Rule:
    """The table row, or a 'reaches nothing' rule for a pair that does not apply."""
    media = _parse(Media, media, "media type")
    technique = _parse(Technique, technique, "technique")
    return RULES.get(
        (media, technique),
        Rule(None, f"{technique} is not a way to sanitise {media}"),
    )


def classify(record: ErasureRecord) -> Classification:
    """The level the record really reaches, with a reason for every shortfall."""
    rule = rule_for(record.media, record.technique)
    level, problems = rule.level, []
    if level is None:
        problems.append(rule.why)
    if record.outcome is not Outcome.ERASED:
        # nwipe reports FAILED/ABORTED: the wipe did not complete, nothing is proven.
        level = None
        problems.append(f"the erasure {record.outcome}, so no level is reached")
    if record.verification_result is VerificationResult.FAILED and level is not None:
        # The verify pass read back data that should be gone: nothing is proven.
        level = None
        problems.append("the verification failed, so no level is reached")
    if record.technique in _HOST_SOFTWARE and level is not None:
        if record.hidden_areas is HiddenAreas.NO:
            # nwipe's warning: "Visible sectors erased ..., however hidden sectors
            # NOT erased" — data in the HPA/DCO survives, so not even Clear.
            level = None
            problems.append("hidden sectors (HPA/DCO) were not erased")
        elif record.hidden_areas is HiddenAreas.NOT_CHECKED:
            problems.append("hidden sectors (HPA/DCO) were not checked")
    if level is Level.PURGE and record.verification is Verification.NONE:
        # [2883] asks for verification; NIST Rev.2 adds sanitization validation.
        problems.append("purge without verification: IEEE 2883 asks for a verify step")
    if record.claimed is not None and _rank(record.claimed) > _rank(level):
        reached = level.value if level else "nothing"
        problems.append(
            f"claims {record.claimed} but {record.technique} on {record.media}"
            f" reaches {reached}: {rule.why}"
        )
    return Classification(level, tuple(problems))


@dataclass(frozen=True)
class Policy:
    """The level an organisation requires per media type before leaving wiping."""

    required: Mapping[Media, Level]

    def __post_init__(self) -> None:
        required = {
            _parse(Media, media, "media type"): _parse(Level, level, "level")
            for media, level in self.required.items()
        }
        object.__setattr__(self, "required", MappingProxyType(required))


DEFAULT_POLICY = Policy({
    Media.HDD: Level.CLEAR,
    Media.SATA_SSD: Level.PURGE,
    Media.NVME: Level.PURGE,
    Media.EMMC: Level.PURGE,
    Media.OTHER: Level.PURGE,  # [OURS] unknown media: be as strict as for flash
})  # fmt: skip


def meets(
    policy: Policy, media: Media | str, classification: Classification
) -> str | None:
    """None when the disk may leave wiping, else the reason a user will read."""
    media = _parse(Media, media, "media type")
    needed = policy.required.get(media)
    if needed is None:
        return f"the policy sets no required level for {media}"
    if _rank(classification.level) >= _rank(needed):
        return None
    if classification.level is None:
        return f"{media} needs {needed}, but this erasure reaches no level"
    reached = classification.level
    return f"{media} needs {needed}, but this erasure reaches only {reached}"
