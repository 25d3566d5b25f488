"""The Jupyter root, taken once, and user-given paths resolved inside it and nowhere else."""

from pathlib import Path

from .errors import RomanHTTPError

MAX_SHOWN = 200  # characters of a path quoted back in an error message


def jupyter_root(server_app):
    """The folder the user's Jupyter serves, as a real absolute path.

    Taken from the contents manager, as the file browser has it, with `~` expanded: jupyter_server
    hands extensions `settings["server_root_dir"]` with $HOME collapsed to `~` (`cd ~/project &&
    jupyter lab` gives `~/project`), which is a display string, not a path. Symlinks are resolved
    here, once, so every later comparison is between real paths.
    """
    root = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    return Path(root).expanduser().resolve()


def resolve_in_root(root, given):
    """The real path of `given` (relative to `root`, the real path `jupyter_root` gives, or
    absolute), refusing anything that leaves the root.

    An absolute path is accepted when it lies inside the root after resolving symlinks (the
    notebook widget knows only absolute paths); `..`, absolute paths elsewhere and symlinks
    pointing outside are refused with 403; a path that does not exist gets 404; one the file
    system cannot take (a name over 255 bytes, a symlink loop, a lone surrogate) 400. The messages name the path as
    the user gave it, never the server's own folders.
    """
    if not isinstance(given, str) or not given.strip():
        raise RomanHTTPError(400, "A 'path' (relative to the Jupyter root, or absolute inside it) is required.")
    shown = given if len(given) <= MAX_SHOWN else f"{given[:MAX_SHOWN]}…"
    if "\x00" in given:
        raise RomanHTTPError(400, "The path contains a NUL character.")
    if ".." in Path(given).parts:
        raise RomanHTTPError(403, f"{shown}: paths may not contain '..'.")
    try:
        target = (root / given).resolve()  # an absolute `given` replaces the root here
        if not target.is_relative_to(root):
            raise RomanHTTPError(403, f"{shown} points outside the Jupyter root.")
        exists = target.exists()
    except (OSError, RuntimeError, ValueError) as err:  # ValueError: text no file name can hold (lone surrogates)
        reason = getattr(err, "strerror", None) or ("a symlink loop" if isinstance(err, RuntimeError) else "not a file name")
        raise RomanHTTPError(400, f"{shown} cannot be a path on this server ({reason}).") from None
    if not exists:
        raise RomanHTTPError(404, f"{shown} does not exist.")
    return target
