"""`%roman` magics for IPython kernels (`%load_ext roman_lab`)."""

import shlex
from pathlib import Path

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .version import __version__

USAGE = """%roman SUBCOMMAND [ARGS]

The viewer subcommands act on the notebook's current viewer: the roman_lab.Viewer created
last (the first of them creates one and shows it). `find` and `ramps` take their circle from
the notebook's `_region` (a regions.CircleSkyRegion or a (SkyCoord, radius) pair; the radius
an angle Quantity, or a bare number of arcsec), else the last circle drawn.

  %roman open PATH            load a Roman ASDF or FITS file into the viewer and show it
  %roman region               the last circle drawn, as `_region` (a regions.CircleSkyRegion)
  %roman find [--source lineage|local|mast] [--root DIR]
                              the exposures covering `_region` (else the last circle), as
                              `_exposures`; lineage uses the mosaic in the viewer, local the
                              index of DIR (default: the folder of the viewer's first image)
  %roman load [VAR]           load VAR (default `_exposures`) into the viewer
  %roman stretch NAME [LOW HIGH | PERCENT | zscale | minmax]
                              the stretch (linear sqrt log asinh sinh histeq) and the cuts
  %roman blink [INTERVAL]     blink the stack every INTERVAL seconds (default 0.5)
  %roman stop                 stop blinking
  %roman ramps                the ramps of `_region` (else the last circle) in the image on
                              screen, as `_ramps`
  %roman save PATH            save the viewer state (conventionally NAME.romanview.json)
  %roman restore PATH         restore a viewer state
  %roman version              the roman-lab version
  %roman demo DIR [--small]   write the demo Roman field into DIR
"""


class RomanMagicError(Exception):
    """A user error in a `%roman` line: shown as one line, not a traceback."""


@magic_arguments()
@argument("--source", default="auto", choices=("auto", "lineage", "local", "mast"), help="where to look")
@argument("--root", help="the folder of the local index (default: the folder of the viewer's first image)")
def _find_options(line):
    """%roman find [--source lineage|local|mast] [--root DIR]"""


@magic_arguments()
@argument("folder", metavar="DIR")
@argument("--small", action="store_true", help="the small field, in seconds")
def _demo_options(line):
    """%roman demo DIR [--small]"""


def _number(text):
    try:
        return float(text)
    except ValueError:
        raise RomanMagicError(f"{text!r} is not a number") from None


@magics_class
class RomanMagics(Magics):
    @line_magic
    def roman(self, line):
        words = shlex.split(line)
        command, args = (words[0], words[1:]) if words else ("help", [])
        handler = getattr(self, f"_cmd_{command}", None)
        try:
            if handler is None:
                raise RomanMagicError(f"unknown subcommand {command!r}; try `%roman help`")
            return handler(args)
        except Exception as err:  # noqa: BLE001 - a magic answers in one line, never a traceback
            print(f"%roman {command}: {err}")

    roman.__doc__ = "Drive roman-lab from a notebook.\n\n" + USAGE

    # ---------------------------------------------------------------- the viewer
    def _viewer(self):
        """The notebook's current viewer, created and shown on first use."""
        from IPython.display import display

        from .widget.viewer import Viewer

        viewer = Viewer.latest()
        if viewer is None:
            viewer = Viewer()
            display(viewer)
        return viewer

    def _ns(self):
        return self.shell.user_ns

    def _region(self, viewer):
        """The notebook's `_region`, else the viewer's last circle; read by `roman_lab.skycircle`
        in `find_exposures` and `Viewer.ramps`, so a bare-number radius is arcsec there too."""
        region = self._ns().get("_region")
        return viewer.get_region() if region is None else region

    def _cmd_help(self, args):
        print(USAGE)

    def _cmd_version(self, args):
        print(f"roman-lab {__version__}")

    def _cmd_open(self, args):
        if len(args) != 1:
            raise RomanMagicError("usage: %roman open PATH")
        viewer = self._viewer()
        viewer.load(args[0])
        viewer.current = args[0]
        print(f"showing {viewer.current_image['name']} ({len(viewer.images)} image(s) in the viewer)")

    def _cmd_region(self, args):
        region = self._viewer().get_region()
        self._ns()["_region"] = region
        print(f"_region = {region}")

    def _cmd_find(self, args):
        from .archive import find_exposures

        options = parse_argstring(_find_options, shlex.join(args))
        viewer = self._viewer()
        region = self._region(viewer)
        source = options.source
        mosaics = [e["path"] for e in viewer.images if e["kind"] == "mosaic"]
        kwargs = {}
        if source in ("auto", "lineage") and mosaics:
            kwargs["mosaic"] = mosaics[0]
        if source in ("auto", "lineage", "local"):
            first = viewer.images[0]["path"] if viewer.images else None
            kwargs["root"] = options.root or (str(Path(first).parent) if first else ".")
        exposures = find_exposures(region, source=source, **kwargs)
        self._ns()["_exposures"] = exposures
        print(f"_exposures = {exposures!r}")

    def _cmd_load(self, args):
        if len(args) > 1:
            raise RomanMagicError("usage: %roman load [VAR]")
        name = args[0] if args else "_exposures"
        if name not in self._ns():
            raise RomanMagicError(f"no variable {name!r} in the notebook" + (" (run `%roman find` first)" if not args else ""))
        viewer = self._viewer()
        before = len(viewer.images)
        viewer.load(self._ns()[name])
        print(f"loaded {len(viewer.images) - before} image(s); the viewer has {len(viewer.images)}")

    def _cmd_stretch(self, args):
        if not 1 <= len(args) <= 3:
            raise RomanMagicError("usage: %roman stretch NAME [LOW HIGH | PERCENT | zscale | minmax]")
        viewer = self._viewer()
        cuts = None
        if len(args) == 3:
            cuts = (_number(args[1]), _number(args[2]))
        elif len(args) == 2:
            cuts = args[1] if args[1] in ("zscale", "minmax") else _number(args[1])
        with viewer.hold_sync():
            viewer.stretch = args[0]
            if cuts is not None:
                viewer.cuts = cuts
        display = viewer.display if viewer.sync_stretch else viewer._display_of(viewer.current)
        print(f"stretch {display['stretch']['name']}, cuts {display['interval']}")

    def _cmd_blink(self, args):
        if len(args) > 1:
            raise RomanMagicError("usage: %roman blink [INTERVAL]")
        interval = _number(args[0]) if args else 0.5
        self._viewer().blink(interval)
        print(f"blinking every {interval} s (`%roman stop` stops)")

    def _cmd_stop(self, args):
        self._viewer().stop()

    def _cmd_ramps(self, args):
        if args:
            raise RomanMagicError("usage: %roman ramps")
        viewer = self._viewer()
        ramps = viewer.ramps(region=self._region(viewer))
        self._ns()["_ramps"] = ramps
        print(f"_ramps = {ramps!r}")

    def _cmd_save(self, args):
        if len(args) != 1:
            raise RomanMagicError("usage: %roman save PATH")
        path = self._viewer().save_state(args[0])
        print(f"saved the viewer state to {path}")

    def _cmd_restore(self, args):
        if len(args) != 1:
            raise RomanMagicError("usage: %roman restore PATH")
        import warnings

        viewer = self._viewer()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the missing files are said below, once
            missing = viewer.load_state(args[0])
        print(f"restored {len(viewer.images)} image(s) from {args[0]}")
        if missing:
            print(f"missing, left out: {', '.join(m['path'] for m in missing)}")

    def _cmd_demo(self, args):
        from . import demo

        options = parse_argstring(_demo_options, shlex.join(args))
        try:
            manifest = demo.make(options.folder, small=options.small, progress=True)
        except demo.DemoError as err:
            raise RomanMagicError(str(err)) from err
        print(f"Demo data set ready in {options.folder} ({len(manifest['files'])} files).")
