"""Making sense of what barcode scanners hand us.

``scanner.keyboard`` repairs text from USB "keyboard wedge" scanners whose
keyboard layout does not match the computer's (QWERTY scanner, AZERTY desk).
Decoding codes from camera images may join this package later.
"""

from scanner.keyboard import MISMATCHES
from scanner.keyboard import layout_candidates

__all__ = ["MISMATCHES", "layout_candidates"]
