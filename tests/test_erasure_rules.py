"""The sanitisation level a donor's certificate may state, per NIST 800-88 / IEEE 2883."""

import pytest

from assettrack.workflow.erasure import DEFAULT_POLICY
from assettrack.workflow.erasure import MEDIA_OF_KIND
from assettrack.workflow.erasure import RULES
from assettrack.workflow.erasure import Classification
from assettrack.workflow.erasure import ErasureRecord
from assettrack.workflow.erasure import Level
from assettrack.workflow.erasure import Media
from assettrack.workflow.erasure import Policy
from assettrack.workflow.erasure import Technique
from assettrack.workflow.erasure import at_least
from assettrack.workflow.erasure import best
from assettrack.workflow.erasure import classify
from assettrack.workflow.erasure import media_of
from assettrack.workflow.erasure import meets


def wipe(media, technique, **kw):
    """A successful, fully verified wipe with hidden areas handled, unless told."""
    kw.setdefault("outcome", "erased")
    kw.setdefault("verification", "full")
    kw.setdefault("hidden_areas", "yes")
    return classify(ErasureRecord(media=media, technique=technique, **kw))


@pytest.mark.parametrize(("media", "technique"), list(RULES), ids=lambda v: str(v))
def test_every_table_row_is_what_a_clean_wipe_reaches(media, technique):
    result = wipe(media, technique)
    assert result.level == RULES[media, technique].level
    assert (result.problems == ()) == (result.level is not None)


# Written by hand from research/refurb.md c and NIST 800-88 Rev.1 Appendix A,
# independent of the table, so a wrong row fails here.
NAMED_CASES = [
    ("hdd", "overwrite", "clear"),
    ("hdd", "ata_enhanced_secure_erase", "purge"),
    ("hdd", "ata_sanitize_overwrite", "purge"),
    ("hdd", "degauss", "purge"),
    ("hdd", "shred", "destroy"),
    ("sata_ssd", "overwrite", "clear"),
    ("sata_ssd", "ata_sanitize_block", "purge"),
    ("sata_ssd", "ata_sanitize_crypto", "purge"),
    ("sata_ssd", "degauss", None),
    ("sata_ssd", "disintegrate", "destroy"),
    ("nvme", "overwrite", "clear"),
    ("nvme", "nvme_sanitize_block", "purge"),
    ("nvme", "nvme_sanitize_crypto", "purge"),
    ("nvme", "nvme_sanitize_overwrite", "purge"),
    ("nvme", "nvme_format_user_data_erase", "purge"),
    ("nvme", "nvme_format_crypto_erase", "purge"),
    ("nvme", "nvme_format", None),
    ("nvme", "degauss", None),
    ("emmc", "overwrite", "clear"),
    ("emmc", "degauss", None),
    ("emmc", "crypto_erase", "purge"),
    ("nvme", "ata_secure_erase", None),  # ATA command on an NVMe drive
    ("hdd", "nvme_sanitize_block", None),
    ("hdd", "ata_sanitize_block", None),  # block erase is a flash command
]


@pytest.mark.parametrize(("media", "technique", "level"), NAMED_CASES)
def test_research_cases_reach_the_named_level(media, technique, level):
    assert wipe(media, technique).level == level


@pytest.mark.parametrize("media", ["sata_ssd", "nvme", "emmc"])
def test_single_pass_overwrite_on_flash_claimed_as_purge_is_flagged(media):
    result = wipe(media, "overwrite", passes=1, claimed="purge")
    assert result.level == Level.CLEAR
    assert any("claims purge" in p for p in result.problems)


def test_many_overwrite_passes_do_not_make_an_ssd_purge():
    assert wipe("sata_ssd", "overwrite", passes=7).level == Level.CLEAR


def test_degauss_on_an_ssd_reaches_nothing_and_says_why():
    result = wipe("nvme", "degauss")
    assert result.level is None
    assert any("not magnetic" in p for p in result.problems)


def test_hdd_overwrite_with_hidden_sectors_left_reaches_nothing():
    result = wipe("hdd", "overwrite", hidden_areas="no")
    assert result.level is None
    assert any("HPA/DCO" in p for p in result.problems)


def test_hdd_overwrite_without_hpa_check_stays_clear_with_a_note():
    result = wipe("hdd", "overwrite", hidden_areas="not_checked")
    assert result.level == Level.CLEAR
    assert any("not checked" in p for p in result.problems)


def test_firmware_erase_is_not_held_back_by_hidden_areas():
    assert wipe("hdd", "ata_enhanced_secure_erase", hidden_areas="no") == (
        Classification(Level.PURGE, ())
    )


@pytest.mark.parametrize("outcome", ["failed", "aborted"])
def test_a_failed_or_aborted_wipe_reaches_no_level(outcome):
    result = wipe("nvme", "nvme_sanitize_block", outcome=outcome)
    assert result.level is None
    assert any(outcome in p for p in result.problems)


def test_purge_without_verification_is_noted_but_kept():
    result = wipe("nvme", "nvme_sanitize_crypto", verification="none")
    assert result.level == Level.PURGE
    assert any("verif" in p for p in result.problems)


def test_clear_without_verification_has_no_note():
    assert wipe("hdd", "overwrite", verification="none").problems == ()


def test_honest_claim_is_not_flagged():
    assert wipe("hdd", "overwrite", claimed="clear").problems == ()


def test_default_policy_wants_purge_for_flash_and_clear_for_hdd():
    assert DEFAULT_POLICY.required[Media.HDD] == Level.CLEAR
    for media in ("sata_ssd", "nvme", "emmc"):
        assert DEFAULT_POLICY.required[Media(media)] == Level.PURGE
    assert meets(DEFAULT_POLICY, "hdd", wipe("hdd", "overwrite")) is None
    reason = meets(DEFAULT_POLICY, "sata_ssd", wipe("sata_ssd", "overwrite"))
    assert reason == "sata_ssd needs purge, but this erasure reaches only clear"
    assert meets(DEFAULT_POLICY, "nvme", wipe("nvme", "nvme_sanitize_block")) is None
    assert meets(DEFAULT_POLICY, "nvme", wipe("nvme", "shred")) is None


def test_a_wipe_reaching_nothing_never_meets_a_policy():
    reason = meets(DEFAULT_POLICY, "nvme", wipe("nvme", "degauss"))
    assert reason == "nvme needs purge, but this erasure reaches no level"


def test_stricter_policy_refuses_hdd_overwrite():
    strict = Policy({"hdd": "purge", "sata_ssd": "destroy"})
    assert "needs purge" in meets(strict, "hdd", wipe("hdd", "overwrite"))
    assert meets(strict, "hdd", wipe("hdd", "ata_sanitize_overwrite")) is None
    assert "needs destroy" in meets(
        strict, "sata_ssd", wipe("sata_ssd", "ata_sanitize_block")
    )
    assert "no required level" in meets(strict, "nvme", wipe("nvme", "shred"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("media", "floppy", "unknown media type 'floppy'"),
        ("technique", "magnet", "unknown technique 'magnet'"),
        ("outcome", "done", "unknown outcome 'done'"),
        ("verification", "some", "unknown verify 'some'"),
        ("hidden_areas", "maybe", "unknown HPA/DCO 'maybe'"),
        ("claimed", "nuked", "unknown level 'nuked'"),
    ],
)
def test_unknown_values_are_refused_with_the_known_ones(field, value, message):
    record = {"media": "hdd", "technique": "overwrite", "outcome": "erased"}
    record[field] = value
    with pytest.raises(ValueError, match=message) as refused:
        ErasureRecord(**record)
    assert "expected one of" in str(refused.value)


def test_overwrite_needs_at_least_one_pass():
    with pytest.raises(ValueError, match="at least 1 pass"):
        ErasureRecord("hdd", "overwrite", "erased", passes=0)


def test_policy_with_unknown_media_or_level_is_refused():
    with pytest.raises(ValueError, match="unknown media type 'tape'"):
        Policy({"tape": "clear"})
    with pytest.raises(ValueError, match="unknown level 'wiped'"):
        Policy({"hdd": "wiped"})


def test_meets_refuses_unknown_media():
    with pytest.raises(ValueError, match="unknown media type"):
        meets(DEFAULT_POLICY, "ssd", wipe("hdd", "overwrite"))


def test_every_media_and_technique_has_a_user_facing_name():
    assert {m.value for m in Media} == {"hdd", "sata_ssd", "nvme", "emmc", "other"}
    assert "nvme_format_crypto_erase" in {t.value for t in Technique}


def test_a_failed_verification_reaches_no_level():
    result = wipe("nvme", "nvme_sanitize_crypto", verification_result="failed")
    assert result.level is None
    assert "the verification failed, so no level is reached" in result.problems
    passed = wipe("nvme", "nvme_sanitize_crypto", verification_result="passed")
    assert passed == Classification(Level.PURGE, ())


def test_an_unknown_verification_result_is_refused():
    with pytest.raises(ValueError, match="unknown result 'fine'"):
        ErasureRecord("hdd", "overwrite", "erased", verification_result="fine")


@pytest.mark.parametrize(
    ("kind", "interface", "media"),
    [
        ("hdd", "sata", Media.HDD),
        ("ssd", "sata", Media.SATA_SSD),
        ("ssd", "", Media.SATA_SSD),
        ("ssd", "nvme", Media.NVME),  # an M.2 drive on the NVMe bus
        ("nvme", "nvme", Media.NVME),
        ("emmc", "emmc", Media.EMMC),
        ("other", "usb", Media.OTHER),
        ("floppy", "", Media.OTHER),
    ],
)
def test_a_disks_media_follows_from_its_kind_and_bus(kind, interface, media):
    assert media_of(kind, interface) is media
    assert set(MEDIA_OF_KIND.values()) == set(Media)


@pytest.mark.parametrize(
    ("level", "needed", "enough"),
    [
        (None, "clear", False),
        ("clear", "clear", True),
        ("clear", "purge", False),
        ("purge", "clear", True),
        ("destroy", "purge", True),
        ("purge", "destroy", False),
    ],
)
def test_a_higher_level_covers_the_lower_ones(level, needed, enough):
    assert at_least(level, needed) is enough


def test_the_best_of_some_levels_is_the_highest():
    assert best(["clear", None, "destroy", "purge"]) is Level.DESTROY
    assert best([]) is None
