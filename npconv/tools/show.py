"""The window, drawn in text: which input cells each output cell reads, frame by frame.

Cheat sheet: "Convolution operation" (the sliding kernel), "Pooling operation", "Padding",
"Dilated Convolution" and "Transposed Convolution"; and the rest of the pooling family: max
unpooling (each window's winner put back where it was) and adaptive pooling (windows of
several sizes).  :func:`frames` computes, for a small
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

from ..viz.stories import (
    INPUT,
    INSERTED,
    OVERHANG,
    PADDING,
    adaptive_pool_story,
    arithmetic,
    check_size,
    conv_story,
    number_text,
    pool_story,
    refuse_foreign,
    size_tuple,
    transposed_as_conv_story,
    unpool_arithmetic,
    unpool_story,
)

__all__ = ["INPUT", "INSERTED", "OPS", "OUTSIDE", "PADDING", "Frame", "frames", "render"]

OPS = ("conv", "max_pool", "avg_pool", "conv_transpose", "max_unpool", "adaptive_avg_pool",
       "adaptive_max_pool")
OUTSIDE = OVERHANG
"""What a grid cell is (the pictures' kinds, :mod:`npconv.viz.stories`): :data:`INPUT`,
:data:`PADDING`, :data:`INSERTED` (a zero inserted by a transposed convolution's stride), or
:data:`OUTSIDE`, beyond the padding (a ``ceil_mode`` overhang)."""

_MAX_CELLS = 24
"""The widest grid drawn, so that it fits a terminal."""
_COLOURS = {"window": "\x1b[30;43m", "current": "\x1b[30;46m", "faint": "\x1b[2m",
            "reset": "\x1b[0m"}


class Frame(NamedTuple):
    """One step: one output cell and the window it reads."""

    number: int
    """Position of this frame, from 0."""
    total: int
    out_index: tuple
    """``(row, column)`` of the output cell being computed (``(column,)`` in 1-D)."""
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
    """What the grid is, e.g. ``"input 5x5 padded to 7x7"``."""
    kernel: object
    """The kernel as applied (flipped, for transposed convolution), or ``None`` for pooling."""
    kernel_label: str = "kernel"
    """``"kernel"``, or ``"flipped kernel"`` for a transposed convolution."""


def frames(op, size, kernel_size=3, stride=None, padding=0, dilation=1, output_padding=0,
           ceil_mode=False, count_include_pad=True, output_size=None):
    """All frames of ``op`` on a ``size`` input (one or two spatial dimensions).

    The frames render the data of the pictures (:mod:`npconv.viz.stories`) on an input of
    ``1, 2, 3, ...``, with a checkerboard kernel for conv and ``1, 2, 3, ...`` for
    conv_transpose.  ``max_unpool`` shows one max-pooling window per frame and, as the
    output, the unpooled grid: zeros, and the winners put back so far.

    Parameters
    ----------
    op : one of :data:`OPS`
    size : int or tuple of int
        The spatial size of the input: ``(H, W)`` or ``(W,)``.
    kernel_size, stride, dilation, output_padding : int or tuple of int
        ``stride`` defaults to 1 for convolutions and to ``kernel_size`` for pooling.
    padding : int, tuple of int, tuple of (before, after) pairs, or (conv) "same"/"valid"
    ceil_mode, count_include_pad : bool
        Pooling only.
    output_size : int or tuple of int
        Adaptive pooling only (required there).

    Returns
    -------
    list of Frame

    Raises
    ------
    ValueError
        If the op refuses the configuration (the core's message says why), the op does not
        take an argument given, or a grid would be wider than 24 cells (checked before
        anything is built).

    Examples
    --------
    Max pooling never picks padding; a transposed convolution reads zeros inserted
    between the input cells:

    >>> print(frames("max_pool", (4,), kernel_size=3, stride=2, padding=1)[0].caption)
    out[0] = max(1, 2) = 2
    >>> frame = frames("conv_transpose", (2,), kernel_size=2, stride=2)[1]
    >>> frame.grid, frame.window
    (array([[0., 1., 0., 2., 0.]]), array([[False,  True,  True, False, False]]))
    >>> print(frames("max_unpool", (4,), kernel_size=2)[1].caption)
    pooled[1] = max(3, 4) = 4 at index 3 -> unpooled[3] = 4
    >>> print(frames("adaptive_avg_pool", (5,), output_size=3)[1].caption)
    out[1] = (2 + 3 + 4) / 3 = 3
    """
    if op not in OPS:
        raise ValueError(f"op={op!r} is not one of {', '.join(OPS)}")
    refuse_foreign(op, dilation=(dilation, 1), output_padding=(output_padding, 0),
                   ceil_mode=(ceil_mode, False), count_include_pad=(count_include_pad, True),
                   kernel_size=(kernel_size, 3), stride=(stride, None), padding=(padding, 0),
                   output_size=(output_size, None))
    size = size_tuple(size, "size")
    kernel_size = size_tuple(kernel_size, "kernel_size", len(size))
    check_size(size, "size=", _MAX_CELLS)
    check_size(kernel_size, "kernel_size=", _MAX_CELLS)
    x = np.arange(1, np.prod(size) + 1, dtype=np.float64).reshape(size)
    kernel_label = "kernel"
    if op == "conv":
        checkerboard = (np.indices(kernel_size).sum(axis=0) % 2 == 0).astype(np.float64)
        story = conv_story(x, checkerboard, 1 if stride is None else stride, padding,
                           dilation, max_side=_MAX_CELLS)
    elif op == "conv_transpose":
        weight = np.arange(1, np.prod(kernel_size) + 1, dtype=np.float64).reshape(kernel_size)
        story = transposed_as_conv_story(x, weight, 1 if stride is None else stride, padding,
                                         output_padding, dilation, max_side=_MAX_CELLS)
        kernel_label = "flipped kernel"
    elif op == "max_unpool":
        return _unpool_frames(unpool_story(x, kernel_size, stride, padding,
                                           max_side=_MAX_CELLS), size)
    elif op.startswith("adaptive"):
        if output_size is None:
            raise ValueError(f"{op} needs output_size=... (the size of its output)")
        story = adaptive_pool_story(op.split("_")[1], x, output_size, max_side=_MAX_CELLS)
    else:
        story = pool_story(op.split("_")[0], x, kernel_size, stride, padding, dilation,
                           ceil_mode, count_include_pad, max_side=_MAX_CELLS)
    title = _title(op, size, story)
    kernel = story.kernel if op in ("conv", "conv_transpose") else None
    movie = []
    for number, step in enumerate(story.steps):
        movie.append(Frame(number, len(story.steps), step.index[2 - len(size):], story.grid,
                           story.kinds, _window_mask(story.grid, step),
                           story.output_after(number), arithmetic(story, step), title, kernel,
                           kernel_label))
    return movie


def _window_mask(grid, step):
    """The grid cells a step's window reads."""
    in_window = np.zeros(grid.shape, dtype=bool)
    in_window[np.ix_(step.rows, step.cols)] = True
    return in_window


def _unpool_frames(story, size):
    """Max unpooling: each frame a max-pooling window, and the unpooled grid so far, whose
    current cell is where that window's winner lands."""
    title = _title("max_pool", size, story.pool)
    return [Frame(number, len(story.steps), story.landings[number][2 - len(size):],
                  story.pool.grid, story.pool.kinds, _window_mask(story.pool.grid, step),
                  story.output_after(number), unpool_arithmetic(story, number), title, None)
            for number, step in enumerate(story.steps)]


def _title(op, size, story):
    """What the grid is: the input, padded to what, with what overhang."""
    input_text = "x".join(map(str, size))
    grid_text = "x".join(map(str, story.grid.shape[2 - len(size):]))
    if op == "conv_transpose":
        return f"input {input_text}, zeros inserted, border added: {grid_text}"
    title = f"input {input_text}"
    padded = story.kinds != OVERHANG
    if (story.kinds == PADDING).any():
        rows, cols = padded.any(axis=1).sum(), padded.any(axis=0).sum()
        title += f" padded to {'x'.join(map(str, (rows, cols)[2 - len(size):]))}"
    if not padded.all():
        title += ", ~ ceil_mode overhang"
    return title


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
    symbols = np.array([[number_text(v) if k in (INPUT, INSERTED) else
                         (padding_symbol if k == PADDING else "~")
                         for v, k in zip(row, kind_row)] for row, kind_row in zip(plane, kinds)])
    outputs = np.array([["_" if np.isnan(v) else number_text(v) for v in row] for row in frame.output])
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
        rows = " ".join("[" + " ".join(number_text(v) for v in row) + "]" for row in frame.kernel)
        footer += (f"; {frame.kernel_label} [{rows}]" if frame.kernel.shape[0] > 1
                   else f"; {frame.kernel_label} {rows}")
    lines.append(footer)
    return "\n".join(lines)


def _visible(text):
    """Length of ``text`` without its ANSI colour codes."""
    for code in _COLOURS.values():
        text = text.replace(code, "")
    return len(text)
