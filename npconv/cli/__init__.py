"""The ``npconv`` command: the cheat sheet, runnable.

``npconv <subcommand> [options]``, also ``python -m npconv``.  Start with ``npconv tour``.

Adding a subcommand
-------------------
A subcommand is one module ``npconv/cli/<name>.py`` listed in :data:`SUBCOMMANDS`.  It
defines four names and nothing else is required:

``NAME``
    The word typed after ``npconv``.
``HELP``
    One line for ``npconv --help``.
``add_arguments(parser)``
    Adds its options to its :class:`argparse.ArgumentParser`.  The module's docstring
    becomes the description of ``npconv <name> --help``, printed as written: put an
    ``Example`` in it.
``run(args) -> int``
    Does the work and returns the exit status (0 success, 1 a check failed, 2 bad
    arguments).  It only parses and formats: the numbers come from a plain function of a
    top-level module (``npconv.tools.tour``, ``npconv.tools.calculator``, ...), which is what a test or a
    notebook calls.  Import optional dependencies (matplotlib) inside ``run``, so that
    ``npconv --help`` and the other subcommands work without them.

Errors: argparse's own errors (a missing option, a ``type=`` function raising
:class:`argparse.ArgumentTypeError`; see :mod:`npconv.cli.arguments` for shared types such
as ``1x3x32x32`` shapes) and any ``ValueError``/``TypeError`` raised by ``run`` become one
line on stderr, ``npconv <name>: error: <message>``, and exit status 2, never a traceback.
Everything else (a real bug) still shows its traceback.

Examples
--------
>>> main(["shape", "max_pool2d", "--input", "1x1x4x4", "--kernel", "2"])  # doctest: +ELLIPSIS
max_pool2d: input 1x1x4x4 -> output 1x1x2x2
...
0
>>> main(["shape", "max_pool2d", "--input", "1x1x4x4"])    # one line on stderr, status 2
2
"""

import argparse
import sys

from . import animate, bench, gradcheck, shape, show, summary, tour
from . import train

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

SUBCOMMANDS = [tour, shape, summary, show, gradcheck, animate, bench, train]
"""The modules behind the subcommands, in the order ``npconv --help`` lists them."""


_DESCRIPTION = """\
npconv: the convolution cheat sheet, runnable.  Each subcommand has its own --help.

Example:
  npconv tour                       every section of the cheat sheet, with live proofs
  npconv tour --section dilation    one section
  npconv shape conv2d --input 1x3x32x32 --out-channels 16 --kernel 3 --stride 2
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The ``npconv`` parser with one subparser per module of :data:`SUBCOMMANDS`.

    Examples
    --------
    >>> build_parser().parse_args(["tour", "--section", "dilation"]).section
    ['dilation']
    """
    parser = _Parser(
        prog="npconv",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    subparsers = parser.add_subparsers(dest="command", metavar="<subcommand>",
                                       parser_class=_Parser)
    for module in SUBCOMMANDS:
        subparser = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def main(argv=None):
    """Run ``npconv`` with ``argv`` (default: the command line); return the exit status.

    Never raises for bad arguments: argparse errors and the ``ValueError``/``TypeError`` of a
    subcommand become one line on stderr and status 2.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:                  # --help (0) or a bad argument (2)
        return stop.code if isinstance(stop.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except (ValueError, TypeError) as error:
        print(f"npconv {args.command}: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:                     # e.g. npconv show | head
        sys.stderr.close()
        return 0
