"""Argument types shared by the subcommands: sizes like ``1x3x32x32``, paddings, integers.

Each function turns one command-line word into Python values and raises
:class:`argparse.ArgumentTypeError` with a message naming what was expected, which argparse
prints as one line before exiting with status 2.  Integers are plain decimal numbers of at
most ``2**63 - 1`` (PyTorch's sizes are 64-bit): a longer number is refused here, before any
arithmetic sees it.

Examples
--------
>>> shape_arg("1x3x32x32")
(1, 3, 32, 32)
>>> ints_arg("3x5"), ints_arg("2")
((3, 5), 2)
>>> padding_arg("same"), padding_arg("1"), padding_arg("0:1x1")
('same', 1, ((0, 1), (1, 1)))
>>> picture_input_arg("1x1x5x7"), picture_input_arg("5x7"), picture_input_arg("9")
((5, 7), (5, 7), (9,))
"""

import argparse
import contextlib
import re

from ..shapes import INT64_MAX

__all__ = ["LARGEST", "add_geometry_arguments", "input_errors", "integer", "ints_arg",
           "non_negative_int", "padding_arg", "picture_input_arg", "positive_int",
           "shape_arg", "shorten"]

LARGEST = INT64_MAX
"""The largest integer any option takes."""

_SEPARATOR = re.compile(r"[x,]")
_DECIMAL = re.compile(r"[+-]?[0-9]+")


def shorten(text, limit=60):
    """``text`` itself, or its start and end around ``...`` if longer than ``limit``.

    >>> shorten("1x" * 40)
    '1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x1x...1x1x1x1x1x1x1x1x1x1x'
    """
    return text if len(text) <= limit else f"{text[:limit * 2 // 3]}...{text[-limit // 3:]}"


def _int(text, what):
    text = text.strip()
    if not _DECIMAL.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{what} {shorten(text)!r} is not an integer")
    if len(text.lstrip("+-").lstrip("0")) > len(str(LARGEST)) or abs(int(text)) > LARGEST:
        raise argparse.ArgumentTypeError(f"{what} {shorten(text)!r} is too large: at most "
                                         f"2**63 - 1")
    return int(text)


def integer(text):
    """An integer of at most ``2**63 - 1`` either way."""
    return _int(text, "value")


def positive_int(text):
    """An integer of at least 1."""
    value = _int(text, "value")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{shorten(text)!r} must be an integer >= 1")
    return value


def non_negative_int(text):
    """An integer of at least 0 (a seed, say)."""
    value = _int(text, "value")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{shorten(text)!r} must be an integer >= 0")
    return value


def shape_arg(text):
    """``"1x3x32x32"`` (or ``"1,3,32,32"``) as a tuple of positive ints."""
    sizes = tuple(_int(part, "size") for part in _SEPARATOR.split(text.strip()))
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"shape {shorten(text)!r} must hold sizes >= 1, "
                                         f"e.g. 1x3x32x32 for (N, C, H, W)")
    return sizes


def picture_input_arg(text):
    """The input of a picture: its spatial size ``HxW`` or ``W``, or its whole shape.

    ``1x1x5x7`` (N, C, H, W, as ``npconv shape`` takes it) and ``5x7`` both mean a 5x7
    image; a picture draws one image of one channel, so N and C must be 1.
    """
    sizes = shape_arg(text)
    if len(sizes) <= 2:
        return sizes
    if len(sizes) <= 4 and sizes[:2] == (1, 1):
        return sizes[2:]
    raise argparse.ArgumentTypeError(
        f"{shorten(text)!r}: pictures draw one 1-D or 2-D image of one channel: give its size "
        f"W or HxW, or its whole shape with N = C = 1, 1x1xW or 1x1xHxW")


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
        if part.count(":") > 1:
            raise argparse.ArgumentTypeError(f"padding {shorten(part)!r} is not a "
                                             f"before:after pair")
        if ":" in part:
            before, after = part.split(":")
            pairs.append((_int(before, "padding"), _int(after, "padding")))
        else:
            value = _int(part, "padding")
            pairs.append((value, value))
    return tuple(pairs)


@contextlib.contextmanager
def input_errors(what):
    """Turn what reading bad input can raise into a ``ValueError`` naming ``what``.

    A subcommand wraps the code that reads a flag's value or a spec token in this, so that
    a ``KeyError`` or ``IndexError`` there (or an ``OverflowError``, a ``UnicodeError``, an
    ``OSError``) becomes the one-line message, while the same exception elsewhere, a bug,
    keeps its traceback.

    >>> with input_errors("--file net.txt"):
    ...     {}["conv"]
    Traceback (most recent call last):
    ...
    ValueError: --file net.txt: KeyError: 'conv'
    """
    try:
        yield
    except OSError as error:
        raise ValueError(f"{what}: {error.strerror or error}") from None
    except (KeyError, IndexError, OverflowError, UnicodeError) as error:
        raise ValueError(f"{what}: {type(error).__name__}: {error}") from None


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
