"""Printed labels: the asset-tag format and how typed or scanned tags are read."""

from labels.tags import ALPHABET
from labels.tags import ParsedTag
from labels.tags import TagError
from labels.tags import check_character
from labels.tags import make_tag
from labels.tags import normalise_tag
from labels.tags import parse_tag

__all__ = [
    "ALPHABET",
    "ParsedTag",
    "TagError",
    "check_character",
    "make_tag",
    "normalise_tag",
    "parse_tag",
]
