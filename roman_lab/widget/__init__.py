"""The notebook viewer: `roman_lab.Viewer`, an anywidget that mounts the lab viewer's core."""


def __getattr__(name):  # lazy: roman_lab.state uses .display without loading ipywidgets
    if name == "Viewer":
        from .viewer import Viewer

        return Viewer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Viewer"]
