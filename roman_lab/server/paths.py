"""Resolving user-given paths inside the server's root directory, and nowhere else."""

from pathlib import Path

from .errors import RomanHTTPError


def resolve_in_root(root_dir, rel):
    """The real path of `rel` (relative to `root_dir`), refusing anything that leaves the root.

    `..`, absolute paths and symlinks pointing outside are refused with 403; a path that does
    not exist gets 404. The messages name the path as the user gave it, never the server's
    own folders.
    """
    if not isinstance(rel, str) or not rel.strip():
        raise RomanHTTPError(400, "A 'path' relative to the Jupyter root is required.")
    if "\x00" in rel:
        raise RomanHTTPError(400, "The path contains a NUL character.")
    if rel.startswith(("/", "\\")) or Path(rel).is_absolute():
        raise RomanHTTPError(403, f"{rel}: absolute paths are not allowed; give a path relative to the Jupyter root.")
    if ".." in Path(rel).parts:
        raise RomanHTTPError(403, f"{rel}: paths may not contain '..'.")
    root = Path(root_dir).resolve()
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise RomanHTTPError(403, f"{rel} points outside the Jupyter root.")
    if not target.exists():
        raise RomanHTTPError(404, f"{rel} does not exist.")
    return target
