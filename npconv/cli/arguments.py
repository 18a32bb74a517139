"""Argument types shared by the subcommands: sizes like ``1x3x32x32`` and paddings.

Each function turns one command-line word into Python values and raises
:class:`argparse.ArgumentTypeError` with a message naming what was expected, which argparse
prints as one line before exiting with status 2.

Examples
--------
>>> shape_arg("1x3x32x32")
(1, 3, 32, 32)
>>> ints_arg("3x5"), ints_arg("2")
((3, 5), 2)
>>> padding_arg("same"), padding_arg("1"), padding_arg("0:1x1")
('same', 1, ((0, 1), (1, 1)))
"""

import argparse
import re

__all__ = ["add_geometry_arguments", "ints_arg", "padding_arg", "positive_int",
           "shape_arg"]

_SEPARATOR = re.compile(r"[x,]")


def _int(text, what):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} {text!r} is not an integer") from None


def shape_arg(text):
    """``"1x3x32x32"`` (or ``"1,3,32,32"``) as a tuple of positive ints."""
    sizes = tuple(_int(part, "size") for part in _SEPARATOR.split(text.strip()))
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"shape {text!r} must hold sizes >= 1, e.g. "
                                         f"1x3x32x32 for (N, C, H, W)")
    return sizes


def ints_arg(text):
    """``"3"`` as the int 3 (for every dimension); ``"3x5"`` as one int per dimension."""
    parts = _SEPARATOR.split(text.strip())
    values = tuple(_int(part, "value") for part in parts)
    return values[0] if len(values) == 1 else values


def padding_arg(text):
    """``"same"``, ``"valid"``, ``"1"``, ``"1x2"`` or ``before:after`` pairs ``"0:1x1:1"``."""
    text = text.strip()
    if text in ("same", "valid"):
        return text
    if ":" not in text:
        return ints_arg(text)
    pairs = []
    for part in _SEPARATOR.split(text):
        if ":" in part:
            before, after = part.split(":", 1)
            pairs.append((_int(before, "padding"), _int(after, "padding")))
        else:
            value = _int(part, "padding")
            pairs.append((value, value))
    return tuple(pairs)


def positive_int(text):
    """An integer of at least 1."""
    value = _int(text, "value")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer >= 1")
    return value


def add_geometry_arguments(parser):
    """Add the options every op shares: stride, padding, dilation, and the per-op extras.

    ``shape``, ``show`` and ``animate`` describe a layer the same way, so they take these
    options from here: ``--stride``, ``--padding``, ``--dilation``, ``--output-padding``
    (conv_transpose), ``--ceil-mode`` (pooling) and ``--no-count-include-pad`` (avg_pool).

    >>> parser = argparse.ArgumentParser()
    >>> add_geometry_arguments(parser)
    >>> args = parser.parse_args(["--padding", "0:1", "--ceil-mode"])
    >>> args.stride, args.padding, args.dilation, args.ceil_mode, args.count_include_pad
    (None, ((0, 1),), 1, True, True)
    """
    parser.add_argument("--stride", type=ints_arg, metavar="S",
                        help="default 1 for conv and conv_transpose, the kernel for pooling")
    parser.add_argument("--padding", type=padding_arg, default=0, metavar="P",
                        help="int, per-dimension ints, before:after pairs, or (conv) "
                             "'same'/'valid'; default 0")
    parser.add_argument("--dilation", type=ints_arg, default=1, metavar="D",
                        help="conv, conv_transpose, max_pool; default 1")
    parser.add_argument("--output-padding", type=ints_arg, default=0, metavar="OP",
                        help="conv_transpose: default 0")
    parser.add_argument("--ceil-mode", action="store_true", help="pooling: round up")
    parser.add_argument("--no-count-include-pad", dest="count_include_pad",
                        action="store_false",
                        help="avg_pool: divide by real cells only, not the zero padding")
