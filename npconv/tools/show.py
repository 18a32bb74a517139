"""The window, drawn in text: which input cells each output cell reads, frame by frame.

Cheat sheet: "Convolution operation" (the sliding kernel), "Pooling operation", "Padding",
"Dilated Convolution" and "Transposed Convolution".  :func:`frames` computes, for a small
2-D (or 1-D) example, one :class:`Frame` per output cell: the grid the window moves over
(the input with its padding, or for a transposed convolution the input with zeros inserted
and a border added), the window's taps on it, the output so far, and the arithmetic of the
current cell.  :func:`render` draws a frame as text, with ANSI colour only if asked.

The input holds ``1, 2, 3, ...`` row by row; a convolution's kernel is a checkerboard of
ones and zeros (the cheat sheet's 3x3 example), so each sum can be followed by eye.  The
output values come from :func:`npconv.conv` and friends; the caption recomputes the current
cell from the window, so the two can be compared.

Examples
--------
>>> movie = frames("conv", (4, 4), kernel_size=3)
>>> len(movie), movie[1].out_index
(4, (0, 1))
>>> print(render(movie[1]))
input 4x4           output 2x2
  1 [ 2][ 3][ 4]     30 [35]
  5 [ 6][ 7][ 8]      _   _
  9 [10][11][12]
 13  14  15  16
out[0, 1] = 2*1 + 3*0 + 4*1 + 6*0 + 7*1 + 8*0 + 10*1 + 11*0 + 12*1 = 35
frame 2 of 4; kernel [[1 0 1] [0 1 0] [1 0 1]]
"""

from typing import NamedTuple

import numpy as np

from .. import api
from ..padding import insert_zeros, pad_or_crop
from ..shapes import (
    avg_pool_divisors,
    int_tuple,
    padding_pairs,
    transposed_conv_as_conv_padding,
    window,
    window_reach,
)

__all__ = ["INPUT", "INSERTED", "OPS", "OUTSIDE", "PADDING", "Frame", "frames", "render"]

OPS = ("conv", "max_pool", "avg_pool", "conv_transpose")
INPUT, PADDING, INSERTED, OUTSIDE = 0, 1, 2, 3
"""What a grid cell is: an input cell, padding, a zero inserted by a transposed
convolution's stride, or beyond the padding (a ``ceil_mode`` overhang)."""

_MAX_CELLS = 24
_COLOURS = {"window": "\x1b[30;43m", "current": "\x1b[30;46m", "faint": "\x1b[2m",
            "reset": "\x1b[0m"}


class Frame(NamedTuple):
    """One step: one output cell and the window it reads."""

    number: int
    """Position of this frame, from 0."""
    total: int
    out_index: tuple
    """``(row, column)`` of the output cell being computed."""
    grid: np.ndarray
    """The 2-D grid the window moves over."""
    kinds: np.ndarray
    """Per grid cell, :data:`INPUT`, :data:`PADDING`, :data:`INSERTED` or :data:`OUTSIDE`."""
    window: np.ndarray
    """Boolean, the grid cells the window reads."""
    output: np.ndarray
    """The output, NaN where not computed yet."""
    caption: str
    """The current cell's arithmetic."""
    title: str
    """What the grid is, e.g. ``"input (padded 7x7)"``."""
    kernel: object
    """The (flipped, for transposed convolution) kernel, or ``None`` for pooling."""


def frames(op, size, kernel_size=3, stride=None, padding=0, dilation=1, output_padding=0,
           ceil_mode=False, count_include_pad=True):
    """All frames of ``op`` on a ``size`` input (one or two spatial dimensions).

    Parameters
    ----------
    op : {"conv", "max_pool", "avg_pool", "conv_transpose"}
    size : int or tuple of int
        The spatial size of the input: ``(H, W)`` or ``(W,)``.
    kernel_size, stride, dilation, output_padding : int or tuple of int
        ``stride`` defaults to 1 for convolutions and to ``kernel_size`` for pooling.
    padding : int, tuple of int, or tuple of (before, after) pairs
    ceil_mode, count_include_pad : bool
        Pooling only.

    Returns
    -------
    list of Frame

    Raises
    ------
    ValueError
        If the configuration has no output (the core's message says why) or the grid
        would be wider than 24 cells.

    Examples
    --------
    Max pooling never picks padding; a transposed convolution reads zeros inserted
    between the input cells:

    >>> print(frames("max_pool", (4,), kernel_size=3, stride=2, padding=1)[0].caption)
    out[0] = max(1, 2) = 2
    >>> frame = frames("conv_transpose", (2,), kernel_size=2, stride=2)[1]
    >>> frame.grid, frame.window
    (array([[0., 1., 0., 2., 0.]]), array([[False,  True,  True, False, False]]))
    """
    if op not in OPS:
        raise ValueError(f"op={op!r} is not one of {', '.join(OPS)}")
    size = (size,) if isinstance(size, int) else tuple(size)
    ndim = len(size)
    if ndim not in (1, 2):
        raise ValueError(f"size={size} must have one or two spatial dimensions")
    is_pool = op in ("max_pool", "avg_pool")
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    if stride is None:
        stride = kernel_size if is_pool else 1
    x = np.arange(1, int(np.prod(size)) + 1, dtype=np.float64).reshape(1, 1, *size)
    weight = None
    if op == "conv":
        weight = np.indices(kernel_size).sum(axis=0) % 2 == 0
        weight = weight.astype(np.float64).reshape(1, 1, *kernel_size)
        out = api.conv(x, weight, stride=stride, padding=padding, dilation=dilation)
    elif op == "conv_transpose":
        weight = np.arange(1, int(np.prod(kernel_size)) + 1, dtype=np.float64)
        weight = weight.reshape(1, 1, *kernel_size)
        out = api.conv_transpose(x, weight, stride=stride, padding=padding,
                                 output_padding=output_padding, dilation=dilation)
    elif op == "max_pool":
        out = api.max_pool(x, kernel_size, stride, padding, dilation, ceil_mode)
    else:
        if int_tuple(dilation, ndim, "dilation", minimum=1) != (1,) * ndim:
            raise ValueError(f"dilation={dilation!r}: avg_pool takes no dilation")
        out = api.avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad)
    # The checks passed: normalise the geometry the same way for the picture.
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    pairs = padding_pairs(padding, ndim)
    if op == "conv_transpose":
        grid, kinds, kernel = _zero_inserted(x, weight, stride, pairs, output_padding,
                                             dilation, ndim)
        window_stride, label = (1,) * ndim, "zeros inserted, border added"
    else:
        grid, kinds = _padded(x, pairs, kernel_size, stride, dilation, out.shape[2:])
        window_stride, kernel = stride, weight
        label = "input padded" if (kinds == PADDING).any() else "input"
    if max(grid.shape[2:]) > _MAX_CELLS:
        raise ValueError(f"the grid would be {'x'.join(map(str, grid.shape[2:]))} cells; "
                         f"keep each side at most {_MAX_CELLS} so that it fits a terminal")
    divisors = None
    if op == "avg_pool":
        divisors = avg_pool_divisors(size, kernel_size, stride, pairs, out.shape[2:],
                                     count_include_pad)
    title = f"{label} {'x'.join(map(str, grid.shape[2:]))}"
    if (kinds == OUTSIDE).any():
        title += " (~ overhang: ceil_mode)"
    plane, kinds, result = grid[0, 0], kinds[0, 0], out[0, 0]
    kernel = None if kernel is None else kernel[0, 0]
    if ndim == 1:                                     # draw one row
        plane, kinds, result = plane[None], kinds[None], result[None]
        kernel = None if kernel is None else kernel[None]
        divisors = None if divisors is None else divisors[None]
        kernel_size, window_stride, dilation = ((1,) + kernel_size, (1,) + window_stride,
                                                (1,) + dilation)
    movie = []
    cells = list(np.ndindex(*result.shape))
    shown = np.full(result.shape, np.nan)
    for number, (i, j) in enumerate(cells):
        taps_at = window((i, j), kernel_size, window_stride, dilation)
        in_window = np.zeros(plane.shape, dtype=bool)
        in_window[taps_at] = True
        shown[i, j] = result[i, j]
        taps = plane[taps_at]
        tap_kinds = kinds[taps_at]
        name = f"out[{i}, {j}]" if ndim == 2 else f"out[{j}]"
        caption = _caption(op, name, taps, tap_kinds, kernel, result[i, j],
                           None if divisors is None else divisors[i, j])
        movie.append(Frame(number, len(cells), (i, j) if ndim == 2 else (j,), plane, kinds,
                           in_window, shown.copy(), caption, title, kernel))
    return movie


def _padded(x, pairs, kernel_size, stride, dilation, out_size):
    """The input with its padding, extended by any ceil_mode overhang; and the cell kinds."""
    widths = []
    for (before, after), n, k, s, d, o in zip(pairs, x.shape[2:], kernel_size, stride,
                                              dilation, out_size):
        reach = window_reach(o, k, s, d)
        widths.append((before, max(after, reach - before - n)))
    grid = np.pad(x, [(0, 0), (0, 0), *widths])
    kinds = np.full(grid.shape, OUTSIDE)
    inside_padding = tuple(slice(None) for _ in range(2)) + tuple(
        slice(0, before + n + after) for (before, after), n in zip(pairs, x.shape[2:]))
    kinds[inside_padding] = PADDING
    kinds[tuple(slice(None) for _ in range(2)) + tuple(
        slice(before, before + n) for (before, _), n in zip(pairs, x.shape[2:]))] = INPUT
    return grid, kinds


def _zero_inserted(x, weight, stride, pairs, output_padding, dilation, ndim):
    """Transposed conv as a plain conv: zeros inserted, a border added, the kernel flipped."""
    output_padding = int_tuple(output_padding, ndim, "output_padding", minimum=0)
    axes = tuple(range(2, 2 + ndim))
    spread = insert_zeros(x, stride, axes)
    kinds = insert_zeros(np.ones_like(x), stride, axes)          # 1 where input cells are
    borders = [transposed_conv_as_conv_padding(k, pair, op, d)
               for pair, k, d, op in zip(pairs, weight.shape[2:], dilation, output_padding)]
    # a negative border crops (padding larger than the kernel span)
    grid = pad_or_crop(spread, borders)
    kind_grid = pad_or_crop(np.where(kinds == 1, INPUT, INSERTED), borders, PADDING)
    flipped = weight[(slice(None), slice(None)) + (slice(None, None, -1),) * ndim]
    return grid, kind_grid, flipped


def _fmt(value):
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def _caption(op, name, taps, tap_kinds, kernel, value, divisor):
    """The arithmetic of one output cell, from its window."""
    if op in ("conv", "conv_transpose"):
        terms = " + ".join(f"{_fmt(a)}*{_fmt(b)}" for a, b in zip(taps.ravel(), kernel.ravel()))
        return f"{name} = {terms} = {_fmt(value)}"
    real = taps[tap_kinds == INPUT]
    listed = ", ".join(_fmt(v) for v in real)
    if op == "max_pool":
        return f"{name} = max({listed}) = {_fmt(value)}"
    return (f"{name} = ({' + '.join(_fmt(v) for v in real)}) / {divisor} = {_fmt(value)}")


def render(frame, color=False):
    """One frame as text: the grid with the window marked, the output, the caption.

    Without colour the window's cells are in ``[ ]`` and the current output cell too;
    a pooling's padding shows as ``.`` (it never counts as a value), a convolution's as
    ``0``; the ceil-mode overhang as ``~``, cells not yet computed as ``_``.  With colour
    the same cells are highlighted instead of bracketed.

    Examples
    --------
    >>> print(render(frames("max_pool", (2, 3), kernel_size=2, stride=1)[1]))
    input 2x3    output 1x2
     1 [2][3]     5 [6]
     4 [5][6]
    out[0, 1] = max(2, 3, 5, 6) = 6
    frame 2 of 2
    """
    plane, kinds = frame.grid, frame.kinds
    padding_symbol = "0" if frame.kernel is not None else "."      # conv pads with zeros
    symbols = np.array([[_fmt(v) if k in (INPUT, INSERTED) else
                         (padding_symbol if k == PADDING else "~")
                         for v, k in zip(row, kind_row)] for row, kind_row in zip(plane, kinds)])
    outputs = np.array([["_" if np.isnan(v) else _fmt(v) for v in row] for row in frame.output])
    width = max(len(s) for s in [*symbols.ravel(), *outputs.ravel()])
    current = np.zeros(frame.output.shape, dtype=bool)
    current[frame.out_index if len(frame.out_index) == 2 else (0, frame.out_index[0])] = True

    def cell(text, marked, faint=False, style="window"):
        text = text.rjust(width)
        if color:
            if marked:
                return f" {_COLOURS[style]}{text}{_COLOURS['reset']} "
            return f" {_COLOURS['faint']}{text}{_COLOURS['reset']} " if faint else f" {text} "
        return f"[{text}]" if marked else f" {text} "

    left = ["".join(cell(s, w, k != INPUT) for s, w, k in zip(row, wrow, krow))
            for row, wrow, krow in zip(symbols, frame.window, kinds)]
    right = ["".join(cell(s, c, style="current") for s, c in zip(row, crow))
             for row, crow in zip(outputs, current)]
    out_shape = frame.output.shape[-len(frame.out_index):]
    out_title = f"output {'x'.join(map(str, out_shape))}"
    left_width = max(len(frame.title), max(_visible(line) for line in left)) + 4
    lines = [frame.title.ljust(left_width) + out_title]
    for k in range(max(len(left), len(right))):
        text = left[k] if k < len(left) else ""
        pad = " " * (left_width - _visible(text))
        lines.append((text + pad + (right[k] if k < len(right) else "")).rstrip())
    lines.append(frame.caption)
    footer = f"frame {frame.number + 1} of {frame.total}"
    if frame.kernel is not None:
        rows = " ".join("[" + " ".join(_fmt(v) for v in row) + "]" for row in frame.kernel)
        footer += f"; kernel [{rows}]" if frame.kernel.shape[0] > 1 else f"; kernel {rows}"
    lines.append(footer)
    return "\n".join(lines)


def _visible(text):
    """Length of ``text`` without its ANSI colour codes."""
    for code in _COLOURS.values():
        text = text.replace(code, "")
    return len(text)
