"""Reading Roman ASDF files: `open(path) -> RomanFile` (no array is read until asked)."""

from .errors import RomanFileError
from .names import l1_name_for
from .reader import LEVELS, RomanFile, open, warmup

__all__ = ["LEVELS", "RomanFile", "RomanFileError", "l1_name_for", "open", "warmup"]
