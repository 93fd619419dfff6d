"""Making sense of what barcode scanners hand us.

``scanner.keyboard`` repairs text from USB "keyboard wedge" scanners whose
keyboard layout does not match the computer's (QWERTY scanner, AZERTY desk).
``scanner.decode`` reads codes from photos (zxing-cpp, then zbar).
"""

from scanner.keyboard import MISMATCHES
from scanner.keyboard import layout_candidates

__all__ = ["MISMATCHES", "layout_candidates"]
