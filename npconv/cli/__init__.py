"""The ``npconv`` command: the cheat sheet, runnable.

``npconv <subcommand> [options]``, also ``python -m npconv``.  Start with ``npconv tour``.

Adding a subcommand
-------------------
A subcommand is one module ``npconv/cli/<name>.py`` listed in :data:`SUBCOMMANDS`.  It
defines these four names (and may define a fifth, ``NAMES_PARAMETERS``):

``NAME``
    The word typed after ``npconv``.
``HELP``
    One line for ``npconv --help``.
``add_arguments(parser)``
    Adds its options to its :class:`argparse.ArgumentParser`.  The module's docstring
    becomes the description of ``npconv <name> --help``, printed as written: put an
    ``Example`` in it.
``NAMES_PARAMETERS`` (optional)
    ``True`` if the tool's error messages name its Python parameters (``kernel_size=3``,
    ``stride=0``); ``main`` then writes them as the flags typed (``--kernel 3``).
``run(args) -> int``
    Does the work and returns the exit status (0 success, 1 a check failed, 2 bad
    arguments).  It only parses and formats: the numbers come from a plain function of a
    tool (``npconv.tools.tour``, ``npconv.tools.calculator``, ...), which is what a test
    or a notebook calls.  Import optional dependencies (matplotlib) inside ``run``, so that
    ``npconv --help`` and the other subcommands work without them.

Errors: argparse's own errors (a missing option, a ``type=`` function raising
:class:`argparse.ArgumentTypeError`; see :mod:`npconv.cli.arguments` for shared types such
as ``1x3x32x32`` shapes) and any ``ValueError``, ``TypeError``, ``OverflowError`` or
``OSError`` (a file that cannot be read or written) raised by ``run`` become one line on
stderr, ``npconv <name>: error: <message>``, and exit status 2, never a traceback; long
values are shortened.  A ``KeyError`` or ``IndexError`` from reading bad input is wrapped
by the subcommand (:func:`npconv.cli.arguments.input_errors`); anywhere else it is a bug,
and shows its traceback.

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
import re
import sys

from . import animate, bench, gradcheck, shape, show, summary, tour, train, vectors
from .arguments import shorten

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

SUBCOMMANDS = [tour, shape, summary, show, gradcheck, train, animate, bench, vectors]
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
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _one_line(message):
    """``message`` on one line, with every word longer than 80 characters shortened."""
    return re.sub(r"\S{81,}", lambda word: shorten(word.group(0), 60), " ".join(
        str(message).split()))


_PARAMETER_DESTS = {"kernel_size": "kernel", "input_size": "input", "target_size": "target"}
"""Tool parameters whose option has another name (``kernel_size=`` is ``--kernel``)."""


def _name_flags(message, parser, argv):
    """The tools' ``name=value`` as the flag typed on the command line, ``--flag value``.

    >>> parser = build_parser()
    >>> _name_flags("stride=0 must be >= 1", parser, ["show", "conv", "--stride", "0"])
    '--stride 0 must be >= 1'
    """
    subparser = next((action.choices[argv[0]] for action in parser._actions
                      if isinstance(action, argparse._SubParsersAction)
                      and argv and argv[0] in action.choices), None)
    if subparser is None:
        return message
    flags = {}
    for action in subparser._actions:
        typed = [option for option in action.option_strings
                 if any(word == option or word.startswith(option + "=") for word in argv)]
        if action.option_strings:
            flags[action.dest] = (typed or [max(action.option_strings, key=len)])[0]

    def flag(match):
        name = match.group(1)
        option = flags.get(_PARAMETER_DESTS.get(name, name))
        return f"{option} " if option else match.group(0)

    return re.sub(r"\b([a-z_]+)=(?!=)", flag, message)


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
        subparser.set_defaults(run=module.run,
                               names_parameters=getattr(module, "NAMES_PARAMETERS", False))
    return parser


def main(argv=None):
    """Run ``npconv`` with ``argv`` (default: the command line); return the exit status.

    Never raises for bad arguments: argparse errors and the ``ValueError``, ``TypeError``,
    ``OverflowError`` or ``OSError`` of a subcommand become one line on stderr and status 2.
    """
    argv = sys.argv[1:] if argv is None else [str(word) for word in argv]
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
    except BrokenPipeError:                     # e.g. npconv show | head
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:                   # Ctrl-C, e.g. during show --delay
        return 130
    except (ValueError, TypeError, OverflowError, OSError) as error:
        if isinstance(error, OSError) and error.strerror:
            error = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
        message = _one_line(error)
        if args.names_parameters:
            message = _name_flags(message, parser, argv)
        print(f"npconv {args.command}: error: {message}", file=sys.stderr)
        return 2
