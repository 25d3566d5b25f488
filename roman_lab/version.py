"""The package version (written by the build into `_version.py`), importable by every module
without going through the `roman_lab` facade."""

try:
    from ._version import __version__
except ImportError:  # running from a source tree that was never built
    __version__ = "0.0.0+unknown"
