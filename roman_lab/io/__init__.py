"""Reading Roman ASDF files: `open(path) -> RomanFile` (no array is read until asked)."""

from .errors import RomanFileError
from .reader import LEVELS, RomanFile, l1_name_for, open, warmup

__all__ = ["LEVELS", "RomanFile", "RomanFileError", "l1_name_for", "open", "warmup"]
