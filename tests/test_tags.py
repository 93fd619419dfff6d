"""Asset tags as a desk volunteer meets them: printed, typed, scanned, mistyped.

Plain Python (labels, scanner): no Flask, no database.
"""

from itertools import combinations

import pytest
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from labels import ALPHABET
from labels import TagError
from labels import check_character
from labels import make_tag
from labels import normalise_tag
from labels import parse_tag
from scanner import layout_candidates

# The format as the design states it, written out again so the tests do not
# just trust the module's own constants.
SPEC_ALPHABET = "0123456789BCDEFGHJKLNPRSTUVXY"
SPEC_LETTERS = "BCDEFGHJKLNPRSTUVXY"


def spec_check(body: str) -> str:
    """Check character by the written rule, with no length limit."""
    total = sum((i + 1) * SPEC_ALPHABET.index(ch) for i, ch in enumerate(body))
    return SPEC_ALPHABET[total % 29]


prefixes = st.text(alphabet=SPEC_LETTERS, min_size=1, max_size=4)
numbers = st.integers(min_value=0, max_value=10**7)
bodies = st.text(alphabet=SPEC_ALPHABET, min_size=1, max_size=27)


# --- the format -------------------------------------------------------------


def test_alphabet_is_29_characters_that_survive_keyboards_and_eyes():
    assert ALPHABET == SPEC_ALPHABET
    assert len(ALPHABET) == len(set(ALPHABET)) == 29
    assert all(29 % d for d in range(2, 29))  # prime
    assert not set("AIMOQWZ") & set(ALPHABET)


@pytest.mark.parametrize(
    ("number", "prefix", "tag"),
    [
        (123, "DB", "DB-000123K"),
        (0, "DB", "DB-0000003"),
        (456789, "DB", "DB-4567893"),
        (1234567, "DB", "DB-1234567U"),  # more digits when the number needs them
        (42, "LN", "LN-000042H"),
        (1001, "bxl", "BXL-001001N"),  # prefixes are upper case
    ],
)
def test_printed_tags(number, prefix, tag):
    assert make_tag(number, prefix) == tag
    assert spec_check(tag.replace("-", "")[:-1]) == tag[-1]


def test_default_prefix_and_wider_numbers():
    assert make_tag(5) == "DB-000005" + spec_check("DB000005")
    assert make_tag(5, width=8) == "DB-00000005" + spec_check("DB00000005")
    assert normalise_tag(make_tag(5, width=8), width=8) == make_tag(5, width=8)


@pytest.mark.parametrize("prefix", ["", "DBXYZ", "AB", "DM", "QR", "D1", "É", "D-"])
def test_prefix_must_be_one_to_four_tag_letters(prefix):
    with pytest.raises(ValueError, match="prefix"):
        make_tag(1, prefix)
    with pytest.raises(ValueError, match="prefix"):
        parse_tag("DB-000123K", prefix)


def test_numbers_that_cannot_be_tags():
    with pytest.raises(ValueError):
        make_tag(-1)
    assert make_tag(10**22, "DBCD")  # 4 + 23 characters: the longest body
    with pytest.raises(ValueError):
        make_tag(10**23, "DBCD")


@given(number=numbers, prefix=prefixes)
def test_make_and_parse_round_trip(number, prefix):
    tag = make_tag(number, prefix)
    digits = f"{number:06d}"
    assert tag == f"{prefix}-{digits}{spec_check(prefix + digits)}"
    for known in (prefix, None):
        parsed = parse_tag(tag, known)
        assert (parsed.prefix, parsed.number, parsed.check) == (prefix, number, tag[-1])
        assert parsed.canonical == tag
        assert normalise_tag(tag, known) == tag


@given(body=bodies)
def test_check_character_follows_the_written_rule(body):
    assert check_character(body) == spec_check(body)


# --- what the check character catches ---------------------------------------


@given(body=bodies)
def test_check_catches_every_substitution_and_swap_within_the_longest_bodies(body):
    """The proof, done exhaustively: every change to one tag is caught."""
    tag = body + check_character(body)
    for i, original in enumerate(tag):
        for new in SPEC_ALPHABET.replace(original, ""):
            changed = tag[:i] + new + tag[i + 1 :]
            assert check_character(changed[:-1]) != changed[-1]
    for i, j in combinations(range(len(tag)), 2):
        if tag[i] != tag[j]:
            swapped = list(tag)
            swapped[i], swapped[j] = tag[j], tag[i]
            assert check_character("".join(swapped[:-1])) != swapped[-1]


def test_bodies_stop_at_27_characters_because_the_check_weighs_minus_one():
    body = "DB" + "0" * 25 + "7"  # 28 characters: the last one weighs 28 = -1
    check = spec_check(body)
    swapped = body[:-1] + check
    assert spec_check(swapped) == body[-1]  # swap with the check: not caught
    with pytest.raises(ValueError):
        check_character(body)
    check_character(body[1:])


SUBSTITUTES = SPEC_ALPHABET + "OI"


def _is_alias(new: str, original: str, where: str, letter_check: bool) -> bool:
    """Substitutions that mean the same character, so the same tag."""
    if (new, original) in {("O", "0"), ("I", "1")}:
        return where in ("number", "check")
    return (new, original) == ("L", "1") and where == "number" and letter_check


@settings(max_examples=60)
@given(number=numbers, prefix=prefixes)
@example(number=123, prefix="DB")
@example(number=1111111, prefix="BL")
def test_every_single_wrong_character_is_refused_as_a_typo(number, prefix):
    tag = make_tag(number, prefix)
    hyphen = len(prefix)
    for i, original in enumerate(tag):
        if i == hyphen:
            continue
        where = "prefix" if i < hyphen else "check" if i == len(tag) - 1 else "number"
        for new in SUBSTITUTES.replace(original, ""):
            typed = tag[:i] + new + tag[i + 1 :]
            for known in (prefix, None):
                letter_check = known is not None and tag[-1] in SPEC_LETTERS
                if _is_alias(new, original, where, letter_check):
                    assert normalise_tag(typed, known) == tag
                    continue
                with pytest.raises(TagError) as caught:
                    parse_tag(typed, known)
                assert caught.value.code == "bad_check", (typed, known)


@settings(max_examples=60)
@given(number=numbers, prefix=prefixes)
@example(number=123, prefix="DB")
@example(number=100, prefix="DL")
def test_every_swap_of_two_characters_is_refused(number, prefix):
    tag = make_tag(number, prefix)
    positions = [i for i in range(len(tag)) if i != len(prefix)]
    for i, j in combinations(positions, 2):
        if tag[i] != tag[j]:
            swapped = list(tag)
            swapped[i], swapped[j] = tag[j], tag[i]
            for typed in ("".join(swapped), "".join(swapped).lower()):
                for known in (prefix, None):
                    with pytest.raises(TagError):
                        parse_tag(typed, known)


@given(number=st.integers(0, 10**6 - 1), prefix=prefixes)
def test_a_tag_with_its_check_character_cut_off_is_refused(number, prefix):
    tag = make_tag(number, prefix)
    for known in (prefix, None):
        with pytest.raises(TagError):
            parse_tag(tag[:-1], known)


# --- scanners on the wrong keyboard layout ----------------------------------
# Key positions row by row (number row, top, home, bottom), each as (without
# Shift, with Shift), typed from the keyboards themselves rather than derived
# from scanner.keyboard. "\x00": the key gives nothing there.

US = (
    ("`1234567890-=", "~!@#$%^&*()_+"),
    ("qwertyuiop[]", "QWERTYUIOP{}"),
    ("asdfghjkl;'\\", 'ASDFGHJKL:"|'),
    ("zxcvbnm,./", "ZXCVBNM<>?"),
)
BE = (
    ("²&é\"'(§è!çà)-", "³1234567890°_"),
    ("azertyuiop^$", "AZERTYUIOP¨*"),
    ("qsdfghjklmùµ", "QSDFGHJKLM%£"),
    ("wxcvbn,;:=", "WXCVBN?./+"),
)
FR = (
    ("²&é\"'(-è_çà)=", "\x001234567890°+"),
    ("azertyuiop^$", "AZERTYUIOP¨£"),
    ("qsdfghjklmù*", "QSDFGHJKLM%µ"),
    ("wxcvbn,;:!", "WXCVBN?./§"),
)
MIX_UPS = {
    "US scanner, Belgian AZERTY PC": (US, BE),
    "US scanner, French AZERTY PC": (US, FR),
    "Belgian AZERTY scanner, US PC": (BE, US),
    "French AZERTY scanner, US PC": (FR, US),
}


def type_through(text: str, scanner, computer) -> str:
    """What the computer shows when a scanner set to `scanner` types `text`."""
    keys = {
        ch: (row, shift, column)
        for row, pair in enumerate(scanner)
        for shift, chars in enumerate(pair)
        for column, ch in enumerate(chars)
        if ch != "\x00"
    }
    return "".join(computer[r][s][c] for r, s, c in (keys[ch] for ch in text))


def test_keyboard_tables_are_well_formed():
    for layout in (US, BE, FR):
        for plain, shifted in layout:
            assert len(plain) == len(shifted)
    assert type_through("0123", US, BE) == 'à&é"'  # the classic, per Morovia
    assert type_through("DB-000123K", BE, US) == "DB=)))!@#K"


@settings(max_examples=50)
@given(
    number=numbers,
    prefix=prefixes,
    mix_up=st.sampled_from(sorted(MIX_UPS)),
    suffix=st.sampled_from(["", "\r\n", "\n", "\t", "\r"]),
)
def test_tags_scanned_through_the_wrong_layout_are_repaired(
    number, prefix, mix_up, suffix
):
    tag = make_tag(number, prefix)
    typed = type_through(tag, *MIX_UPS[mix_up]) + suffix
    assert normalise_tag(typed, prefix) == tag
    assert normalise_tag(typed) == tag
    url = type_through(f"https://assettrack.example/t/{tag}", *MIX_UPS[mix_up])
    assert normalise_tag(url, prefix) == tag


@settings(max_examples=50)
@given(number=numbers, prefix=prefixes, mix_up=st.sampled_from(sorted(MIX_UPS)))
def test_a_repaired_layout_never_excuses_a_wrong_check_character(
    number, prefix, mix_up
):
    tag = make_tag(number, prefix)
    for wrong in SPEC_ALPHABET.replace(tag[-1], ""):
        typed = type_through(tag[:-1] + wrong, *MIX_UPS[mix_up])
        with pytest.raises(TagError):
            parse_tag(typed, prefix)


@settings(max_examples=100)
@given(
    number=numbers,
    prefix=prefixes,
    mix_up=st.sampled_from(sorted(MIX_UPS)),
    where=st.integers(min_value=0),
    new=st.sampled_from(SPEC_ALPHABET),
    url=st.booleans(),
)
@example(302754264, "CC", "US scanner, Belgian AZERTY PC", 0, "8", False)
@example(121119977, "LTER", "US scanner, Belgian AZERTY PC", 0, "8", False)
def test_a_misread_tag_through_the_wrong_layout_finds_no_other_tag(
    number, prefix, mix_up, where, new, url
):
    """A repair must never turn a misread into some other device's tag."""
    tag = make_tag(number, prefix)
    i = where % len(tag)
    misread = tag[:i] + new + tag[i + 1 :]
    if i == len(prefix) or misread == tag:
        return
    text = f"https://assettrack.example/t/{misread}" if url else misread
    with pytest.raises(TagError):
        parse_tag(type_through(text, *MIX_UPS[mix_up]))


# --- what people and scanners type ------------------------------------------


@pytest.mark.parametrize(
    ("typed", "prefix", "tag"),
    [
        # scanner and keyboard on different layouts
        ('DB)ààà&é"K', "DB", "DB-000123K"),  # US scanner, Belgian PC
        ("DB)'(§è!ç\"", "DB", "DB-4567893"),  # US scanner, Belgian PC
        ("DB)'(-è_ç\"", "DB", "DB-4567893"),  # US scanner, French PC
        ("DB)&é\"'(§èU", "DB", "DB-1234567U"),
        ("DB=)))!@#K", "DB", "DB-000123K"),  # Belgian scanner, US PC
        ("DB=$%^&*(#", "DB", "DB-4567893"),
        ("DB6)))!@#K", "DB", "DB-000123K"),  # French scanner, US PC
        ("DB6$%^&*(#", "DB", "DB-4567893"),
        ("DB)000123K", "DB", "DB-000123K"),  # digits from the keypad
        ("LN)àààà'éH", None, "LN-000042H"),
        ('httpsM==qssettrqck:exq,ple=t=DB)ààà&é"K', "DB", "DB-000123K"),
        ("https.>>qssettrqck<exq;ple>t>DB=)))!@#K", "DB", "DB-000123K"),
        # whitespace and control characters from scanners
        ("DB-000123K\r\n", "DB", "DB-000123K"),
        ("\tDB-000123K\t", "DB", "DB-000123K"),
        ("  DB-000123K \n", "DB", "DB-000123K"),
        ("\x02DB-000123K\x03", "DB", "DB-000123K"),
        ("\ufeffDB-000123K", "DB", "DB-000123K"),
        # case, separators
        ("db-000123k", "DB", "DB-000123K"),
        ("Db-000123k", "db", "DB-000123K"),
        ("DB000123K", "DB", "DB-000123K"),
        ("DB 000123K", "DB", "DB-000123K"),
        ("DB 000 123 K", "DB", "DB-000123K"),
        ("DB_000123K", "DB", "DB-000123K"),
        ("DB.000123K", "DB", "DB-000123K"),
        ("DB/000123K", "DB", "DB-000123K"),
        ("DB\u2013000123K", "DB", "DB-000123K"),  # en dash
        ("DB\u2014000123K", "DB", "DB-000123K"),  # em dash
        ("DB\u2011000123K", "DB", "DB-000123K"),  # non-breaking hyphen
        ("DB\u2212000123K", "DB", "DB-000123K"),  # minus sign
        ("DB\u00a0000123K", "DB", "DB-000123K"),  # no-break space
        # letters that look like digits
        ("DB-OOO123K", "DB", "DB-000123K"),
        ("DB-000I23K", "DB", "DB-000123K"),
        ("db-000l23k", "DB", "DB-000123K"),
        ("DB-0001OO9", "DB", "DB-0001009"),
        ("DB-OOOO16O", "DB", "DB-0000160"),  # O as check character too
        ("DB-OOOOO7I", "DB", "DB-0000071"),
        ("DB-OOOl45L", "DB", "DB-000145L"),  # an L check stays an L
        # URLs from phones scanning the QR code
        ("https://assettrack.example/t/DB000123K", "DB", "DB-000123K"),
        ("/devices/DB-000123K", "DB", "DB-000123K"),
        ("https://x/t/db-000123k?src=qr#top", "DB", "DB-000123K"),
        ("https://x/devices/DB-000123K/", "DB", "DB-000123K"),
        ("https://x/t/DB%2D000123K", "DB", "DB-000123K"),
        # other prefixes, prefix not given
        ("LN-000042H", None, "LN-000042H"),
        ("bxl001001n", None, "BXL-001001N"),
        ("BXL 001001 N", "BXL", "BXL-001001N"),
    ],
)
def test_what_people_and_scanners_type(typed, prefix, tag):
    assert spec_check(tag.replace("-", "")[:-1]) == tag[-1]
    assert normalise_tag(typed, prefix) == tag


# --- garbage ----------------------------------------------------------------

READABLE_STARTS = ("not an asset tag", "not our tag", "check character does not")


def assert_readable(error: TagError) -> None:
    message = str(error)
    assert message.startswith(READABLE_STARTS), message
    assert "\n" not in message and len(message) < 200, message
    assert error.code in ("malformed", "bad_check")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "\r\n",
        "hello",
        "DB",
        "DB-",
        "DB-00012",
        "DB-000123",
        "x" * 500,
        "DB-" + "0" * 500,
        "😀🎉",
        "Ω≈ç√∫",
        "\x00\x01\x02",
        "DROP TABLE devices;",
        "DB-000001'--",
        "5412345678901",
        "https://",
        "/",
        "?",
        "DB-000123KX",
        "DB-000123X",
        "XY-000123K",
        "LN-000042H",
        "None",
    ],
)
def test_garbage_is_refused_with_a_sentence(typed):
    with pytest.raises(TagError) as caught:
        normalise_tag(typed, "DB")
    assert_readable(caught.value)


def test_the_sentences_say_what_is_wrong():
    with pytest.raises(TagError, match="nothing was typed") as caught:
        parse_tag(" \r\n")
    assert caught.value.code == "malformed"
    with pytest.raises(TagError, match="too short") as caught:
        parse_tag("DB-00012", "DB")
    assert caught.value.code == "malformed"
    with pytest.raises(TagError, match="probably a typo or misread") as caught:
        parse_tag("DB-000124K", "DB")
    assert caught.value.code == "bad_check"
    with pytest.raises(TagError, match="ours with DB-") as caught:
        parse_tag("LN-000042H", "DB")
    assert caught.value.code == "malformed"
    with pytest.raises(TagError):
        parse_tag(b"DB-000123K")  # type: ignore[arg-type]


TAGGISH = SPEC_ALPHABET + "OIL-_./) \r\n\tdbkl&é\"'(§è!çà=@#$%^*:;,?6°–"


@settings(max_examples=300)
@given(
    typed=st.one_of(st.text(), st.text(alphabet=TAGGISH, max_size=30)),
    prefix=st.sampled_from([None, "DB", "LN"]),
)
def test_anything_typed_gives_a_tag_or_a_tag_error(typed, prefix):
    try:
        tag = normalise_tag(typed, prefix)
    except TagError as error:
        assert_readable(error)
    else:
        assert parse_tag(tag, prefix).canonical == tag
        assert normalise_tag(tag, prefix) == tag


# --- scanner.keyboard on its own --------------------------------------------


def test_layout_candidates_most_likely_first():
    assert layout_candidates('DB)ààà&é"K')[0] == "DB-000123K"
    assert "DB-000123K" in layout_candidates("DB=)))!@#K")
    assert layout_candidates("DB6)))!@#K") == ["DB-000123K"]


def test_layout_candidates_leave_plain_text_alone():
    assert layout_candidates("DB-000123K") == []  # real digits: no mix-up
    assert layout_candidates("hello") == []
    assert layout_candidates("") == []


@given(st.text())
def test_layout_candidates_are_distinct_and_never_the_text(text):
    candidates = layout_candidates(text)
    assert text not in candidates
    assert len(candidates) == len(set(candidates)) <= 4
    assert layout_candidates(text) == candidates
