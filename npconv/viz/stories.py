"""The data behind every picture: which cells each frame highlights and which numbers it shows.

Nothing here draws: :mod:`npconv.viz.draw` turns a story into images, and
:mod:`npconv.tools.show` into text.  A *story* is the sequence of steps an op goes through,
computed from the op's real output:

- :func:`conv_story`: the padded input, the kernel, and one step per output cell (the window
  it reads and the value :func:`npconv.conv` gave it);
- :func:`pool_story`: the same for max and average pooling, with the padding, the cells a
  ``ceil_mode`` window hangs over, the winner of each max window and each average's divisor;
- :func:`scatter_story`: transposed convolution as each input cell adding a scaled copy of
  the kernel into the (uncropped) output, one step per input cell;
- :func:`transposed_as_conv_story`: the same transposed convolution as zero insertion, padding
  and an ordinary convolution with the flipped kernel;
- :func:`unpool_story`: max pooling, then max unpooling of its output with its indices, one
  step per window: its winner, its index, and where unpooling puts it back;
- :func:`adaptive_pool_story`: adaptive average or max pooling, windows of several sizes
  from ``floor(i * in / out)`` to ``ceil((i + 1) * in / out)``, and the cells they share.

Every story takes its geometry from the core's validators (:func:`npconv.shapes.conv_geometry`,
:func:`~npconv.shapes.conv_transpose_geometry`, :func:`~npconv.shapes.pool_geometry`,
:func:`~npconv.shapes.max_unpool_geometry`, :func:`~npconv.shapes.adaptive_pool_geometry`:
the checks the ops run), so a configuration the op refuses raises the op's own ``ValueError``
here too, and ``padding="same"`` is resolved where the ops resolve it.  Then it checks that
every grid it draws has at most ``max_side`` cells per side (:data:`MAX_SIDE` for a
picture), before building anything: a huge size, stride or padding costs nothing.  The
values come from the public op with ``method="loops"``, the reference a learner steps through.

Stories are 2-D: a 1-D op is drawn as a grid one row high (the op itself still runs in 1-D),
and the ``drawn_*`` names below hold a 1-D configuration lifted to that grid.  Grid
coordinates are ``(row, column)``, row 0 at the top.

Examples
--------
>>> import numpy as np
>>> story = conv_story(np.arange(16.).reshape(4, 4), np.ones((3, 3)))
>>> story.output
array([[45., 54.],
       [81., 90.]])
>>> [step.index for step in story.steps]
[(0, 0), (0, 1), (1, 0), (1, 1)]
>>> story.steps[1].rows, story.steps[1].cols
((0, 1, 2), (1, 2, 3))
>>> arithmetic(story, story.steps[1])
'out[0, 1] = 1*1 + 2*1 + 3*1 + 5*1 + 6*1 + 7*1 + 9*1 + 10*1 + 11*1 = 54'
"""

from dataclasses import dataclass, field

import numpy as np

from .. import api
from ..family import api as family
from ..padding import is_int, is_sequence, pad
from ..shapes import (
    adaptive_pool_cells,
    adaptive_pool_geometry,
    adaptive_pool_window,
    avg_pool_divisors,
    conv_geometry,
    conv_transpose_geometry,
    effective_kernel_size,
    int_tuple,
    max_unpool_geometry,
    pool_geometry,
    pool_output_size,
    short_repr,
    transposed_conv_as_conv_padding,
    window,
    window_reach,
)

__all__ = [
    "Step", "ConvStory", "PoolStory", "ScatterStory", "UnpoolStory", "AdaptivePoolStory",
    "conv_story", "pool_story", "scatter_story", "transposed_as_conv_story", "unpool_story",
    "adaptive_pool_story", "sample_values", "unpool_arithmetic",
    "arithmetic", "number_text", "size_tuple", "check_size", "refuse_foreign", "MAX_SIDE",
    "INPUT", "PADDING", "INSERTED", "OVERHANG", "CROPPED", "EXTRA",
]

# What a grid cell is, for colouring (the grids of a story carry one of these per cell).
INPUT = 0        # a real input cell (or, in an output grid, a cell of the result)
PADDING = 1      # zero (or, for max pooling, -inf) padding around the input
INSERTED = 2     # a zero inserted between input cells (transposed convolution's stride)
OVERHANG = 3     # beyond the right padding: only a ceil_mode window reaches it
CROPPED = 4      # an output cell of the scatter that transposed conv's padding crops away
EXTRA = 5        # an output cell added by output_padding: no input cell scatters into it

MAX_SIDE = 32
"""The most cells a picture's grid has per side (``npconv show`` draws at most 24, to fit a
terminal).  Every grid is checked against it before it is built."""


@dataclass
class Step:
    """One frame's worth of computation: an output cell and the window it reads.

    Attributes
    ----------
    index : tuple of int
        The output cell (conv and pooling) or input cell (scatter) this step is about.
    rows, cols : tuple of int
        The grid rows and columns of the window's taps (a dilated window skips cells).
    value : float
        The op's output at ``index`` (for a scatter step: the input cell's value).
    winner : tuple of int, optional
        Max pooling: the grid cell that won the window.
    divisor : int, optional
        Average pooling: what the window's sum was divided by.
    ceil_only : bool
        Pooling: this window exists only because of ``ceil_mode``.
    """

    index: tuple
    rows: tuple
    cols: tuple
    value: float
    winner: tuple = None
    divisor: int = None
    ceil_only: bool = False


@dataclass
class ConvStory:
    """A convolution as the sequence of its output cells.

    ``grid`` is the padded input the windows slide over (for the transposed-as-conv view: the
    zero-inserted, padded input), ``kinds`` says what each of its cells is, ``kernel`` the
    kernel as applied, ``output`` the op's real output, one :class:`Step` per output cell in
    row-major order.
    """

    op: str
    grid: np.ndarray
    kinds: np.ndarray
    kernel: np.ndarray
    output: np.ndarray
    steps: list
    stride: tuple
    dilation: tuple
    padding: tuple
    in_size: tuple
    formula: list = field(default_factory=list)
    spatial_dims: int = 2

    def output_after(self, step_number):
        """The output grid as drawn after ``step_number`` steps: NaN where not yet computed."""
        partial = np.full(self.output.shape, np.nan)
        for step in self.steps[:step_number + 1]:
            partial[step.index] = step.value
        return partial


@dataclass
class PoolStory(ConvStory):
    """Max or average pooling: a :class:`ConvStory` without a kernel.

    ``kernel`` holds ones of the window's shape (only its shape is drawn); ``floor_size`` is
    the output size without ``ceil_mode``, so the windows beyond it are the ones ceil_mode
    keeps; ``count_include_pad`` says whether an average's divisor counts the padding.
    """

    floor_size: tuple = ()
    count_include_pad: bool = True


@dataclass
class AdaptivePoolStory(PoolStory):
    """Adaptive average or max pooling: a :class:`PoolStory` whose windows differ in size.

    ``kernel`` holds ones of the widest window's shape; ``in_windows`` counts, per input
    cell, the windows that hold it (two or more where neighbouring windows share it).
    """

    in_windows: np.ndarray = None


@dataclass
class UnpoolStory:
    """Max pooling, then max unpooling of its output with its indices.

    ``pool`` is the max pooling's :class:`PoolStory` (one step per window, with its winner);
    ``pooled`` and ``indices`` are its output and the winners' flat positions in the input
    plane, as drawn grids; ``output`` is :func:`npconv.max_unpool`'s result, unpooled to the
    input's size, and ``landings`` the cell where each step's value lands in it.
    """

    op: str
    pool: PoolStory
    pooled: np.ndarray
    indices: np.ndarray
    output: np.ndarray
    landings: list
    formula: list = field(default_factory=list)
    spatial_dims: int = 2

    @property
    def steps(self):
        """One step per pooling window, as the pooling story's."""
        return self.pool.steps

    def output_after(self, step_number):
        """The unpooled grid after ``step_number`` steps: zeros, and each value placed so
        far at its index (a later one at the same index overwrites, as in the op)."""
        partial = np.zeros(self.output.shape)
        for step, landing in zip(self.steps[:step_number + 1], self.landings):
            partial[landing] = step.value
        return partial


@dataclass
class ScatterStory:
    """Transposed convolution as each input cell scattering a scaled copy of the kernel.

    ``full`` is the uncropped output (size ``out + before + after`` per dimension), ``kinds``
    marks the cells that ``padding`` crops and those that ``output_padding`` adds; ``partials``
    holds the full grid after each step; ``output`` is :func:`npconv.conv_transpose`'s
    result, which equals the final partial with the cropped border removed.
    """

    op: str
    input: np.ndarray
    kernel: np.ndarray
    kinds: np.ndarray
    partials: list
    output: np.ndarray
    steps: list
    crop: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    output_padding: tuple
    formula: list = field(default_factory=list)
    spatial_dims: int = 2

    def output_after(self, step_number):
        """The full (uncropped) output grid after ``step_number`` steps."""
        return self.partials[step_number]


# --------------------------------------------------------------------------------------------
# Sizes: what a picture can draw, checked before anything is built
# --------------------------------------------------------------------------------------------

def size_tuple(value, name, ndim=None):
    """An input or kernel size as a tuple of positive ints, for a 1-D or 2-D picture.

    One int means one dimension (or, with ``ndim``, the same size in every dimension).

    Examples
    --------
    >>> size_tuple(5, "size"), size_tuple((4, 6), "size"), size_tuple(3, "kernel_size", 2)
    ((5,), (4, 6), (3, 3))
    >>> size_tuple((3, 3, 3), "size")
    Traceback (most recent call last):
    ...
    ValueError: size=(3, 3, 3): pictures are drawn for 1-D and 2-D inputs, got 3 dimensions
    """
    wanted = f"{name}={short_repr(value)} must be one positive int or a tuple of them"
    if not (is_int(value) or is_sequence(value)):
        raise TypeError(wanted)
    count = 1 if is_int(value) else len(value)     # the entries are read only once it fits
    if count == 0:
        raise ValueError(wanted)
    if ndim is not None and count not in (1, ndim):
        raise ValueError(f"{name}={short_repr(value)} must have {ndim} entr"
                         f"{'y' if ndim == 1 else 'ies'}, one per spatial dimension of "
                         f"the input")
    drawn = count if ndim is None else ndim
    if drawn > 2:
        raise ValueError(f"{name}={short_repr(value)}: pictures are drawn for 1-D and 2-D "
                         f"inputs, got {drawn} dimensions")
    entries = (value,) if is_int(value) else value
    if not all(is_int(n) for n in entries):
        raise TypeError(wanted)
    if not all(n >= 1 for n in entries):
        raise ValueError(wanted)
    return int_tuple(value, drawn, name, minimum=1)     # and 64-bit, the core's rule


def check_size(sizes, what, max_side=MAX_SIDE):
    """Refuse a grid with more than ``max_side`` cells on a side, before it is built.

    ``what`` names the grid ("the padded input") or, with a ``=``, the parameter that sizes
    it directly ("size=").

    Examples
    --------
    >>> check_size((7, 7), "the padded input")
    >>> check_size((5, 40), "size=", max_side=24)
    Traceback (most recent call last):
    ...
    ValueError: size=5x40: more than the 24 cells per side a picture draws
    >>> check_size((5, 40), "the padded input", max_side=24)
    Traceback (most recent call last):
    ...
    ValueError: the padded input would be 5x40 cells, more than the 24 per side a picture draws
    """
    if max(sizes) > max_side:
        text = "x".join(map(str, sizes))
        if what.endswith("="):
            raise ValueError(f"{what}{text}: more than the {max_side} cells per side a "
                             f"picture draws")
        raise ValueError(f"{what} would be {text} cells, more than the {max_side} per side a "
                         f"picture draws")


_WINDOW = {"kernel_size", "stride", "padding"}
_TAKES = {
    "conv": _WINDOW | {"dilation"},
    "conv_transpose": _WINDOW | {"dilation", "output_padding", "view"},
    "max_pool": _WINDOW | {"dilation", "ceil_mode"},
    "avg_pool": _WINDOW | {"ceil_mode", "count_include_pad"},
    "max_unpool": _WINDOW,
    "adaptive_avg_pool": {"output_size"},
    "adaptive_max_pool": {"output_size"},
}


def refuse_foreign(op, **given):
    """Raise if an argument that ``op`` does not have was set: ``name=(value, default)``.

    Examples
    --------
    >>> refuse_foreign("conv", dilation=(2, 1), ceil_mode=(False, False))
    >>> refuse_foreign("conv", ceil_mode=(True, False))
    Traceback (most recent call last):
    ...
    ValueError: conv takes no ceil_mode (got ceil_mode=True)
    """
    for name, (value, default) in given.items():
        values = value if isinstance(value, (tuple, list)) else (value,)
        if name not in _TAKES[op] and any(v != default for v in values):
            raise ValueError(f"{op} takes no {name} (got {name}={value!r})")


def sample_values(shape, seed=0, low=0, high=4):
    """Small integers as floats, so that every number in a picture is short and exact.

    >>> sample_values((2, 3), seed=1)
    array([[1., 2., 3.],
           [3., 0., 0.]])
    """
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.float64)


# --------------------------------------------------------------------------------------------
# Lifting a 1-D configuration onto the 2-D grid, and the formulas drawn under it
# --------------------------------------------------------------------------------------------

def _lift(values, ndim, neutral):
    """Prepend a neutral entry so a 1-D configuration draws as a grid one row high."""
    return (neutral,) * (2 - ndim) + tuple(values)


def _as_grid(array, ndim):
    return array.reshape((1,) * (2 - ndim) + array.shape)


def _spatial_dims(x, kernel=None):
    """The input's number of dimensions (1 or 2), checked to be drawable."""
    if x.ndim not in (1, 2):
        raise ValueError(f"pictures are drawn for 1-D and 2-D inputs, got {x.ndim} spatial "
                         f"dimensions")
    if kernel is not None and kernel.ndim != x.ndim:
        raise ValueError(f"the kernel has {kernel.ndim} dimensions, the input {x.ndim}")
    return x.ndim


def _taps(slices):
    """The grid rows and columns that a window's slices touch."""
    rows, cols = (tuple(range(s.start, s.stop, s.step)) for s in slices)
    return rows, cols


def _merge_dims(lines):
    """One line instead of two when both dimensions have the same numbers."""
    if len(lines) == 2 and lines[0] == lines[1]:
        return lines[:1]
    if len(lines) == 2 and lines[0][1:] == lines[1][1:] and lines[0].startswith("H_out"):
        return ["H_out = W_out" + lines[0][len("H_out"):]]
    if len(lines) == 2 and lines[0][:-1] == lines[1][:-1] and lines[0].endswith("H"):
        return [lines[0] + " and W"]
    return lines


def _conv_formula(in_size, kernel_size, stride, padding, dilation, out_size, rounding="floor"):
    """The output-size formula with this configuration's numbers, one line per dimension."""
    bracket = {"floor": ("⌊", "⌋"), "ceil": ("⌈", "⌉")}[rounding]
    names = ("H", "W")[2 - len(in_size):]
    lines = []
    for name, n, k, s, (before, after), d, o in zip(names, in_size, kernel_size, stride,
                                                     padding, dilation, out_size):
        lines.append(
            f"{name}_out = {bracket[0]}(in + before + after − d·(k−1) − 1) / s{bracket[1]} + 1"
            f" = {bracket[0]}({n} + {before} + {after} − {d}·({k}−1) − 1) / {s}{bracket[1]}"
            f" + 1 = {o}")
    return _merge_dims(lines)


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

def conv_story(input, kernel, stride=1, padding=0, dilation=1, *, max_side=MAX_SIDE):
    """The steps of :func:`npconv.conv` on one channel: one per output cell.

    Parameters
    ----------
    input : array_like, shape (W,) or (H, W)
    kernel : array_like, same number of dimensions as ``input``
    stride, padding, dilation
        As for :func:`npconv.conv` (padding may be ``"same"``, ``"valid"`` or pairs).
    max_side : int
        The padded input may have at most this many cells per side.

    Returns
    -------
    ConvStory

    Examples
    --------
    >>> story = conv_story(np.arange(5.), np.array([1., 0., -1.]), padding="same")
    >>> story.output
    array([[-1., -2., -2., -2.,  3.]])
    >>> story.steps[0].rows, story.steps[0].cols
    ((0,), (0, 1, 2))
    """
    x = np.asarray(input, dtype=np.float64)
    w = np.asarray(kernel, dtype=np.float64)
    ndim = _spatial_dims(x, w)
    geometry = conv_geometry(x.shape, w.shape, stride, padding, dilation)
    check_size(tuple(n + before + after for n, (before, after) in zip(x.shape,
                                                                       geometry.padding)),
               "the padded input", max_side)
    output = api.conv(x[None, None], w[None, None], stride=geometry.stride,
                      padding=geometry.padding, dilation=geometry.dilation,
                      method="loops")[0, 0]
    formula = _conv_formula(x.shape, w.shape, geometry.stride, geometry.padding,
                            geometry.dilation, output.shape)

    drawn_padding = _lift(geometry.padding, ndim, (0, 0))
    drawn_input = _as_grid(x, ndim)
    grid = pad(drawn_input[None, None], drawn_padding)[0, 0]
    kinds = pad(np.full((1, 1) + drawn_input.shape, INPUT), drawn_padding, value=PADDING)[0, 0]
    return _conv_story_on_grid("conv", grid, kinds, _as_grid(w, ndim), _as_grid(output, ndim),
                               _lift(geometry.stride, ndim, 1),
                               _lift(geometry.dilation, ndim, 1), drawn_padding,
                               drawn_input.shape, formula, ndim)


def _conv_story_on_grid(op, grid, kinds, kernel, output, stride, dilation, padding, in_size,
                        formula, ndim):
    """A ConvStory whose windows slide over ``grid`` (already padded), output given."""
    steps = []
    for out_index in np.ndindex(*output.shape):
        slices = window(out_index, kernel.shape, stride, dilation)
        rows, cols = _taps(slices)
        steps.append(Step(out_index, rows, cols, float(output[out_index])))
    return ConvStory(op, grid, kinds, kernel, output, steps, stride, dilation, padding,
                     in_size, formula, ndim)


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

def pool_story(mode, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               count_include_pad=True, *, max_side=MAX_SIDE):
    """The steps of :func:`npconv.max_pool` (``mode="max"``) or :func:`npconv.avg_pool`.

    The grid is the input with its padding and, with ``ceil_mode``, the overhang cells that
    only the extra last window reaches; it may have at most ``max_side`` cells per side.
    Max steps carry the winning cell (from the op's ``return_indices``); average steps carry
    the divisor.

    Examples
    --------
    >>> story = pool_story("max", np.array([1., 5., 2., 7., 3.]), 2, ceil_mode=True)
    >>> story.output
    array([[5., 7., 3.]])
    >>> [(step.winner, step.ceil_only) for step in story.steps]
    [((0, 1), False), ((0, 3), False), ((0, 4), True)]
    >>> story.kinds
    array([[0, 0, 0, 0, 0, 3]])
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode={mode!r} is not one of ('max', 'avg')")
    op = f"{mode}_pool"
    x = np.asarray(input, dtype=np.float64)
    ndim = _spatial_dims(x)
    geometry = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode, op)
    if mode == "avg" and geometry.dilation != (1,) * ndim:
        raise ValueError(f"dilation={dilation!r}: avg_pool takes no dilation "
                         f"(PyTorch's avg_pool has none)")
    kernel_size, stride, padding, dilation, out_size = geometry
    # The grid: input, padding, then the overhang a ceil_mode window reaches beyond them.
    grid_size = tuple(max(n + before + after, window_reach(o, k, s, d))
                      for n, (before, after), o, k, s, d in zip(x.shape, padding, out_size,
                                                               kernel_size, stride, dilation))
    check_size(grid_size, "the padded input", max_side)
    if mode == "max":
        output, indices = api.max_pool(x[None, None], kernel_size, stride, padding, dilation,
                                       ceil_mode, return_indices=True, method="loops")
        indices = indices[0, 0]
    else:
        output = api.avg_pool(x[None, None], kernel_size, stride, padding, ceil_mode,
                              count_include_pad, method="loops")
    output = output[0, 0]
    floor_size = tuple(pool_output_size(n, k, s, p, d, False)
                       for n, k, s, p, d in zip(x.shape, kernel_size, stride, padding,
                                                dilation))
    formula = _conv_formula(x.shape, kernel_size, stride, padding, dilation, output.shape,
                            "ceil" if ceil_mode else "floor")
    if ceil_mode:
        formula = formula + _merge_dims([f"ceil_mode keeps {o - f} extra window(s) along {name}"
                                         for name, o, f in zip(("H", "W")[2 - ndim:],
                                                               output.shape, floor_size)
                                         if o > f])
    divisors = None
    if mode == "avg":
        counted = "input and padding" if count_include_pad else "input only"
        formula.append(f"divisor = cells of the window on the {counted} "
                       f"(count_include_pad={count_include_pad}); never the ceil_mode overhang")
        divisors = avg_pool_divisors(x.shape, kernel_size, stride, padding, output.shape,
                                     count_include_pad)

    drawn_padding = _lift(padding, ndim, (0, 0))
    drawn_input = _as_grid(x, ndim)
    drawn_output = _as_grid(output, ndim)
    drawn_kernel_size = _lift(kernel_size, ndim, 1)
    drawn_stride = _lift(stride, ndim, 1)
    drawn_dilation = _lift(dilation, ndim, 1)
    drawn_floor_size = _lift(floor_size, ndim, 1)
    overhang = [(0, size - padded) for size, padded in zip(
        _lift(grid_size, ndim, 1), np.add(drawn_input.shape, np.sum(drawn_padding, axis=1)))]
    fill = -np.inf if mode == "max" else 0.0
    grid = pad(drawn_input[None, None], drawn_padding, value=fill)[0, 0]
    grid = np.pad(grid, overhang, constant_values=np.nan)
    kinds = pad(np.full((1, 1) + drawn_input.shape, INPUT), drawn_padding, value=PADDING)[0, 0]
    kinds = np.pad(kinds, overhang, constant_values=OVERHANG)

    steps = []
    for out_index in np.ndindex(*drawn_output.shape):
        rows, cols = _taps(window(out_index, drawn_kernel_size, drawn_stride, drawn_dilation))
        step = Step(out_index, rows, cols, float(drawn_output[out_index]),
                    ceil_only=any(i >= f for i, f in zip(out_index, drawn_floor_size)))
        if mode == "max":
            flat = int(indices[out_index[2 - ndim:]])
            position = _lift(np.unravel_index(flat, x.shape), ndim, 0)
            step.winner = tuple(int(p) + before for p, (before, _) in zip(position,
                                                                          drawn_padding))
        else:
            step.divisor = int(divisors[out_index[2 - ndim:]])
        steps.append(step)
    return PoolStory(op, grid, kinds, np.ones(drawn_kernel_size), drawn_output, steps,
                     drawn_stride, drawn_dilation, drawn_padding, drawn_input.shape, formula,
                     ndim, floor_size=drawn_floor_size, count_include_pad=count_include_pad)


# --------------------------------------------------------------------------------------------
# The rest of the pooling family: max unpooling, adaptive pooling
# --------------------------------------------------------------------------------------------

def unpool_story(input, kernel_size, stride=None, padding=0, *, max_side=MAX_SIDE):
    """Max pooling, then :func:`npconv.max_unpool` of its output with its indices.

    One step per pooling window: its winner (from ``max_pool``'s ``return_indices``), the
    winner's flat index, and the cell where unpooling puts it back.  The unpooling restores
    the input's size (``output_size``), so every winner lands where it was and every other
    cell is 0.

    Examples
    --------
    >>> story = unpool_story(np.array([[1., 2., 0., 3.], [4., 0., 6., 5.]]), 2)
    >>> story.pooled, story.indices
    (array([[4., 6.]]), array([[4, 6]]))
    >>> story.landings
    [(1, 0), (1, 2)]
    >>> story.output
    array([[0., 0., 0., 0.],
           [4., 0., 6., 0.]])
    """
    x = np.asarray(input, dtype=np.float64)
    ndim = _spatial_dims(x)
    pool = pool_story("max", x, kernel_size, stride, padding, max_side=max_side)
    pooled, indices = api.max_pool(x[None, None], kernel_size, stride, padding,
                                   return_indices=True, method="loops")
    geometry = max_unpool_geometry(pooled.shape[2:], kernel_size, stride, padding,
                                   output_size=x.shape)
    output = family.max_unpool(pooled, indices, kernel_size, stride, padding,
                               output_size=x.shape, method="loops")[0, 0]
    drawn_indices = _as_grid(indices[0, 0], ndim)
    landings = [_lift(tuple(int(p) for p in np.unravel_index(int(flat), x.shape)), ndim, 0)
                for flat in drawn_indices.ravel()]
    sizes = [f"(in−1)·s − before − after + k = ({o}−1)·{s} − {before} − {after} + {k} = "
             f"{default}" + (f"; output_size {n}, within a stride" if n != default else "")
             for o, s, (before, after), k, default, n in zip(
                 pooled.shape[2:], geometry.stride, geometry.padding, geometry.kernel_size,
                 geometry.default_size, x.shape)]
    names = ("H", "W")[2 - ndim:]
    if len(set(sizes)) == 1:                    # one line when both dimensions agree
        names, sizes = [" = ".join(names)], sizes[:1]
    formula = pool.formula + [f"unpooled {name} = {size}" for name, size in zip(names, sizes)]
    return UnpoolStory("max_unpool", pool, _as_grid(pooled[0, 0], ndim), drawn_indices,
                       _as_grid(output, ndim), landings, formula, ndim)


def unpool_arithmetic(story, step_number, times="*", max_terms=None):
    """A step of an :class:`UnpoolStory` as text: the window's max, its index, where it lands.

    Examples
    --------
    >>> story = unpool_story(np.array([[1., 2., 0., 3.], [4., 0., 6., 5.]]), 2)
    >>> unpool_arithmetic(story, 1)
    'pooled[0, 1] = max(0, 3, 6, 5) = 6 at index 6 -> unpooled[1, 2] = 6'
    """
    step = story.steps[step_number]
    landing = story.landings[step_number][2 - story.spatial_dims:]
    where = ", ".join(str(i) for i in landing)
    index = int(story.indices[step.index])
    return (f"{arithmetic(story.pool, step, times, max_terms, label='pooled')} at index "
            f"{index} -> unpooled[{where}] = {number_text(step.value)}")


def adaptive_pool_story(mode, input, output_size, *, max_side=MAX_SIDE):
    """The steps of :func:`npconv.adaptive_avg_pool` (``mode="avg"``) or
    :func:`npconv.adaptive_max_pool`.

    Output cell ``i`` pools the input cells from ``floor(i * in / out)`` to
    ``ceil((i + 1) * in / out)``, end excluded, per dimension: windows of several sizes,
    which share a cell where ``in / out`` is not whole.  Max steps carry the winner (the
    op's ``return_indices``), average steps the window's cell count as the divisor.

    Examples
    --------
    >>> story = adaptive_pool_story("avg", np.array([1., 5., 2., 7., 3.]), 3)
    >>> [step.cols for step in story.steps]
    [(0, 1), (1, 2, 3), (3, 4)]
    >>> story.output, story.in_windows
    (array([[3.        , 4.66666667, 5.        ]]), array([[1, 2, 1, 2, 1]]))
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode={mode!r} is not one of ('max', 'avg')")
    op = f"adaptive_{mode}_pool"
    x = np.asarray(input, dtype=np.float64)
    ndim = _spatial_dims(x)
    out_size = adaptive_pool_geometry(x.shape, output_size).out_size
    check_size(out_size, "the output", max_side)
    if 0 in out_size:
        raise ValueError(f"output_size={output_size!r} gives an empty output; a picture needs "
                         f"at least one output cell")
    if mode == "max":
        output, indices = family.adaptive_max_pool(x[None, None], out_size,
                                                   return_indices=True, method="loops")
        indices = indices[0, 0]
    else:
        output = family.adaptive_avg_pool(x[None, None], out_size, method="loops")
    drawn_input = _as_grid(x, ndim)
    drawn_output = _as_grid(output[0, 0], ndim)
    in_windows = np.zeros(drawn_input.shape, dtype=int)
    steps = []
    for out_index in np.ndindex(*drawn_output.shape):
        rows, cols = (tuple(range(cells.start, cells.stop)) for cells in
                      adaptive_pool_cells(out_index, drawn_input.shape, drawn_output.shape))
        in_windows[np.ix_(rows, cols)] += 1
        step = Step(out_index, rows, cols, float(drawn_output[out_index]))
        if mode == "max":
            flat = int(indices[out_index[2 - ndim:]])
            step.winner = _lift(tuple(int(p) for p in np.unravel_index(flat, x.shape)), ndim,
                                0)
        else:
            step.divisor = len(rows) * len(cols)
        steps.append(step)
    widest = (max(len(step.rows) for step in steps), max(len(step.cols) for step in steps))
    formula = _merge_dims([_adaptive_formula(name, n, o) for name, n, o in
                           zip(("H", "W")[2 - ndim:], x.shape, out_size)])
    kinds = np.full(drawn_input.shape, INPUT)
    return AdaptivePoolStory(op, drawn_input, kinds, np.ones(widest), drawn_output, steps,
                             (1, 1), (1, 1), ((0, 0), (0, 0)), drawn_input.shape, formula,
                             ndim, floor_size=drawn_output.shape, in_windows=in_windows)


def _adaptive_formula(name, n, out):
    """One dimension's adaptive windows, with the numbers, the first and the last."""
    windows = [adaptive_pool_window(i, n, out) for i in range(out)]
    shown = [f"[{start}, {end})" for start, end in windows]
    if len(shown) > 4:
        shown = shown[:2] + ["…"] + shown[-1:]
    return (f"{name}: window i = ⌊i·{n}/{out}⌋ … ⌈(i+1)·{n}/{out}⌉, end excluded: "
            f"{' '.join(shown)}")


# --------------------------------------------------------------------------------------------
# Transposed convolution, both ways
# --------------------------------------------------------------------------------------------

def scatter_story(input, kernel, stride=1, padding=0, output_padding=0, dilation=1, *,
                  max_side=MAX_SIDE):
    """:func:`npconv.conv_transpose` as scatters: each input cell adds ``value * kernel``.

    The copy lands where the matching convolution's window for that cell lies, on the
    uncropped output (at most ``max_side`` cells per side); ``padding`` then crops the border.

    Examples
    --------
    >>> story = scatter_story(np.array([1., 2.]), np.array([1., 10., 100.]), stride=2)
    >>> [p.tolist() for p in story.partials]
    [[[1.0, 10.0, 100.0, 0.0, 0.0]], [[1.0, 10.0, 102.0, 20.0, 200.0]]]
    >>> story.output
    array([[  1.,  10., 102.,  20., 200.]])
    """
    x = np.asarray(input, dtype=np.float64)
    w = np.asarray(kernel, dtype=np.float64)
    ndim = _spatial_dims(x, w)
    geometry = conv_transpose_geometry(x.shape, w.shape, stride, padding, output_padding,
                                       dilation)
    # The uncropped output: the windows of all input cells, then the output_padding cells.
    full_size = tuple(window_reach(n, k, s, d) + extra for n, k, s, d, extra in zip(
        x.shape, w.shape, geometry.stride, geometry.dilation, geometry.output_padding))
    check_size(full_size, "the uncropped output", max_side)
    output = api.conv_transpose(x[None, None], w[None, None], stride=geometry.stride,
                                padding=geometry.padding,
                                output_padding=geometry.output_padding,
                                dilation=geometry.dilation, method="loops")[0, 0]
    drawn_input, drawn_kernel = _as_grid(x, ndim), _as_grid(w, ndim)
    drawn_output = _as_grid(output, ndim)
    drawn_stride = _lift(geometry.stride, ndim, 1)
    drawn_padding = _lift(geometry.padding, ndim, (0, 0))
    drawn_output_padding = _lift(geometry.output_padding, ndim, 0)
    drawn_dilation = _lift(geometry.dilation, ndim, 1)
    drawn_full_size = _lift(full_size, ndim, 1)

    crop = tuple(slice(before, size - after) for (before, after), size in zip(drawn_padding,
                                                                             drawn_full_size))
    kinds = np.full(drawn_full_size, INPUT)
    for axis, (size, extra) in enumerate(zip(drawn_full_size, drawn_output_padding)):
        beyond = [slice(None)] * 2
        beyond[axis] = slice(size - extra, None)
        kinds[tuple(beyond)] = EXTRA
    kept = np.zeros(drawn_full_size, dtype=bool)
    kept[crop] = True
    kinds[~kept] = CROPPED

    partial = np.zeros(drawn_full_size)
    partials, steps = [], []
    for in_index in np.ndindex(*drawn_input.shape):
        slices = window(in_index, drawn_kernel.shape, drawn_stride, drawn_dilation)
        partial[slices] += drawn_input[in_index] * drawn_kernel
        partials.append(partial.copy())
        rows, cols = _taps(slices)
        steps.append(Step(in_index, rows, cols, float(drawn_input[in_index])))
    formula = _transposed_formula(x.shape, w.shape, geometry.stride, geometry.padding,
                                  geometry.output_padding, geometry.dilation, output.shape)
    return ScatterStory("conv_transpose", drawn_input, drawn_kernel, kinds, partials,
                        drawn_output, steps, crop, drawn_stride, drawn_dilation, drawn_padding,
                        drawn_output_padding, formula, ndim)


def transposed_as_conv_story(input, kernel, stride=1, padding=0, output_padding=0,
                             dilation=1, *, max_side=MAX_SIDE):
    """The same transposed convolution as an ordinary convolution, step by step.

    Insert ``stride - 1`` zeros between the input cells, pad each end by
    ``dilation * (kernel_size - 1) - before`` (the end also by ``output_padding``, and a
    negative amount crops), and convolve with the flipped kernel, stride 1, same dilation.
    The story's ``output`` comes from :func:`npconv.conv` on that grid (at most ``max_side``
    cells per side), and equals :func:`npconv.conv_transpose`'s.

    Examples
    --------
    >>> story = transposed_as_conv_story(np.array([1., 2.]), np.array([1., 10., 100.]),
    ...                                  stride=2)
    >>> story.grid, story.kernel
    (array([[0., 0., 1., 0., 2., 0., 0.]]), array([[100.,  10.,   1.]]))
    >>> story.output
    array([[  1.,  10., 102.,  20., 200.]])
    """
    x = np.asarray(input, dtype=np.float64)
    w = np.asarray(kernel, dtype=np.float64)
    ndim = _spatial_dims(x, w)
    geometry = conv_transpose_geometry(x.shape, w.shape, stride, padding, output_padding,
                                       dilation)
    borders = [transposed_conv_as_conv_padding(k, pair, extra, d)
               for k, d, pair, extra in zip(w.shape, geometry.dilation, geometry.padding,
                                            geometry.output_padding)]
    # A stride-1 convolution with this kernel leaves out_size cells of this grid.
    check_size(tuple(o + effective_kernel_size(k, d) - 1
                     for o, k, d in zip(geometry.out_size, w.shape, geometry.dilation)),
               "the zero-inserted, padded input", max_side)
    grid, kinds = _zero_inserted(x, geometry.stride, borders)
    flipped = np.flip(w)
    output = api.conv(grid[None, None], flipped[None, None], dilation=geometry.dilation,
                      method="loops")[0, 0]
    formula = _merge_dims([
        f"zeros between cells: stride − 1 = {s - 1}; padding d·(k−1) − p = "
        f"{d}·({k}−1) − {before} = {start} before, {end} after"
        + (f" (incl. output_padding {extra})" if extra else "")
        for s, d, k, (before, _), (start, end), extra in zip(
            geometry.stride, geometry.dilation, w.shape, geometry.padding, borders,
            geometry.output_padding)])
    stretched_size = tuple((n - 1) * s + 1 for n, s in zip(x.shape, geometry.stride))
    return _conv_story_on_grid("conv_transpose as conv", _as_grid(grid, ndim),
                               _as_grid(kinds, ndim), _as_grid(flipped, ndim),
                               _as_grid(output, ndim), (1, 1),
                               _lift(geometry.dilation, ndim, 1), _lift(borders, ndim, (0, 0)),
                               _lift(stretched_size, ndim, 1), formula, ndim)


def _zero_inserted(x, stride, borders):
    """``x`` with ``stride - 1`` zeros between its cells and ``(start, end)`` borders added
    (a negative border crops), and the kind of every cell.

    Built at its final size: along each axis, input cell ``i`` lands on grid cell
    ``start + i * stride``, so a border that crops away most of a huge stride costs nothing.

    >>> grid, kinds = _zero_inserted(np.array([1., 2.]), (3,), [(1, -1)])
    >>> grid, kinds
    (array([0., 1., 0., 0.]), array([1, 0, 2, 2]))
    """
    sizes = tuple((n - 1) * s + 1 + start + end
                  for n, s, (start, end) in zip(x.shape, stride, borders))
    grid = np.zeros(sizes)
    kinds = np.full(sizes, PADDING)
    stretch = tuple(slice(max(start, 0), max(min(start + (n - 1) * s + 1, size), 0))
                    for n, s, (start, _), size in zip(x.shape, stride, borders, sizes))
    kinds[stretch] = INSERTED
    landing = [start + s * np.arange(n) for n, s, (start, _) in zip(x.shape, stride, borders)]
    on_grid = [(cells >= 0) & (cells < size) for cells, size in zip(landing, sizes)]
    targets = np.ix_(*(cells[inside] for cells, inside in zip(landing, on_grid)))
    kinds[targets] = INPUT
    grid[targets] = x[np.ix_(*(np.flatnonzero(inside) for inside in on_grid))]
    return grid, kinds


def _transposed_formula(in_size, kernel_size, stride, padding, output_padding, dilation,
                        out_size):
    lines = []
    names = ("H", "W")[2 - len(in_size):]
    for name, n, k, s, (before, after), extra, d, o in zip(names, in_size, kernel_size,
                                                            stride, padding, output_padding,
                                                            dilation, out_size):
        lines.append(f"{name}_out = (in−1)·s − before − after + d·(k−1) + output_padding + 1"
                     f" = ({n}−1)·{s} − {before} − {after} + {d}·({k}−1) + {extra} + 1 = {o}")
    return _merge_dims(lines)


# --------------------------------------------------------------------------------------------
# The arithmetic of one step, as text
# --------------------------------------------------------------------------------------------

def number_text(value):
    """A value, short: integers without a point, others with at most two decimals.

    >>> number_text(4.0), number_text(1.5), number_text(2 / 3)
    ('4', '1.5', '0.67')
    """
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")


def arithmetic(story, step, times="*", max_terms=None, label="out"):
    """The arithmetic of one step of a conv or pool story, e.g. ``out[0] = max(1, 2) = 2``.

    A convolution lists one product per tap, zeros of the padding included; max pooling
    the window's input cells (padding never wins); average pooling the cells its divisor
    counts (the padding's zeros too when ``count_include_pad``; never the ``ceil_mode``
    overhang), over the divisor; adaptive pooling likewise.  A window with more than
    ``max_terms`` taps is summarised.  ``label`` names the output (``out``).

    Examples
    --------
    >>> story = pool_story("avg", np.array([1., 2., 3., 4.]), 3, stride=2, padding=1)
    >>> arithmetic(story, story.steps[0]), arithmetic(story, story.steps[0], max_terms=2)
    ('out[0] = (0 + 1 + 2) / 3 = 1', 'out[0] = sum of 3 cells / 3 = 1')
    """
    name = f"{label}[" + ", ".join(str(i) for i in step.index[2 - story.spatial_dims:]) + "]"
    taps = story.grid[np.ix_(step.rows, step.cols)].ravel()
    kinds = story.kinds[np.ix_(step.rows, step.cols)].ravel()
    value = number_text(step.value)
    if isinstance(story, PoolStory):
        is_max = story.op.endswith("max_pool")
        counted = kinds == INPUT
        if not is_max and story.count_include_pad:
            counted |= kinds == PADDING
        terms = [number_text(v) if k == INPUT else "0" for v, k in zip(taps[counted],
                                                                    kinds[counted])]
        if max_terms is not None and len(terms) > max_terms:
            if is_max:
                return f"{name} = max of {len(terms)} cells = {value}"
            return f"{name} = sum of {len(terms)} cells / {step.divisor} = {value}"
        if is_max:
            return f"{name} = max({', '.join(terms)}) = {value}"
        return f"{name} = ({' + '.join(terms)}) / {step.divisor} = {value}"
    if max_terms is not None and taps.size > max_terms:
        return f"{name} = sum of {taps.size} products window {times} kernel = {value}"
    products = " + ".join(f"{number_text(a)}{times}{number_text(b)}"
                          for a, b in zip(taps, story.kernel.ravel()))
    return f"{name} = {products} = {value}"

