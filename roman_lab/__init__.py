"""roman-lab: from a point on a Roman mosaic to every exposure and ramp behind it, in JupyterLab."""

from .version import __version__


def _jupyter_labextension_paths():
    """Where JupyterLab finds the prebuilt frontend shipped in this package."""
    return [{"src": "labextension", "dest": "roman-lab"}]


def _jupyter_server_extension_points():
    """The server extension that serves `/roman-lab/` (enabled by jupyter-config on install)."""
    return [{"module": "roman_lab"}]


def _load_jupyter_server_extension(server_app):
    """Called by jupyter_server; imported lazily so `import roman_lab` in a kernel stays light."""
    from .server import load

    load(server_app)


def load_ipython_extension(ipython):
    """`%load_ext roman_lab`: registers the `%roman` magics."""
    from .magics import RomanMagics

    ipython.register_magics(RomanMagics)


__all__ = ["__version__", "load_ipython_extension"]


_LAZY = {
    "open": ("io", "open"),
    "sky_to_pixel": ("io.skypixel", "sky_to_pixel"),
    "RomanFileError": ("io", "RomanFileError"),
    "convert": ("store", "convert"),
    "find_exposures": ("archive", "find_exposures"),
    "level1_for": ("archive", "level1_for"),
    "index": ("archive", "index"),
    "ramps": ("ramp", "ramps"),
    "RampSet": ("ramp", "RampSet"),
    "triage": ("ramp.triage", "triage"),
    "Viewer": ("widget", "Viewer"),
    "StateError": ("state", "StateError"),
}


def __getattr__(name):  # lazy: asdf, zarr, astropy are imported on first use, not by `import roman_lab`
    if name in _LAZY:
        from importlib import import_module

        module, attribute = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'roman_lab' has no attribute {name!r}")
