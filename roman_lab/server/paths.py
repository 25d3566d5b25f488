"""Resolving user-given paths inside the server's root directory, and nowhere else."""

from pathlib import Path

from .errors import RomanHTTPError


def resolve_in_root(root_dir, given):
    """The real path of `given` (relative to `root_dir`, or absolute), refusing anything that
    leaves the root.

    An absolute path is accepted when it lies inside the root after resolving symlinks (the
    notebook widget knows only absolute paths); `..`, absolute paths elsewhere and symlinks
    pointing outside are refused with 403; a path that does not exist gets 404. The messages
    name the path as the user gave it, never the server's own folders.
    """
    if not isinstance(given, str) or not given.strip():
        raise RomanHTTPError(400, "A 'path' (relative to the Jupyter root, or absolute inside it) is required.")
    if "\x00" in given:
        raise RomanHTTPError(400, "The path contains a NUL character.")
    if ".." in Path(given).parts:
        raise RomanHTTPError(403, f"{given}: paths may not contain '..'.")
    root = Path(root_dir).resolve()
    target = (root / given).resolve()  # an absolute `given` replaces the root here
    if not target.is_relative_to(root):
        raise RomanHTTPError(403, f"{given} points outside the Jupyter root.")
    if not target.exists():
        raise RomanHTTPError(404, f"{given} does not exist.")
    return target
