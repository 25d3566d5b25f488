"""`%roman` magics for IPython kernels (`%load_ext roman_lab`)."""

import shlex

from IPython.core.magic import Magics, line_magic, magics_class

from . import __version__

USAGE = """%roman SUBCOMMAND [ARGS]

  %roman version          the roman-lab version
  %roman demo DIR [--small]   write the demo Roman field into DIR
"""


class RomanMagicError(Exception):
    """A user error in a `%roman` line: shown as one line, not a traceback."""


@magics_class
class RomanMagics(Magics):
    @line_magic
    def roman(self, line):
        """Drive roman-lab from a notebook. `%roman help` lists the subcommands."""
        words = shlex.split(line)
        command, args = (words[0], words[1:]) if words else ("help", [])
        handler = getattr(self, f"_cmd_{command}", None)
        try:
            if handler is None:
                raise RomanMagicError(f"unknown subcommand {command!r}; try `%roman help`")
            return handler(args)
        except RomanMagicError as err:
            print(f"%roman: {err}")

    def _cmd_help(self, args):
        print(USAGE)

    def _cmd_version(self, args):
        print(f"roman-lab {__version__}")

    def _cmd_demo(self, args):
        from . import demo

        small = "--small" in args
        folders = [a for a in args if a != "--small"]
        if len(folders) != 1:
            raise RomanMagicError("usage: %roman demo DIR [--small]")
        try:
            manifest = demo.make(folders[0], small=small, progress=True)
        except demo.DemoError as err:
            raise RomanMagicError(str(err)) from err
        print(f"Demo data set ready in {folders[0]} ({len(manifest['files'])} files).")
