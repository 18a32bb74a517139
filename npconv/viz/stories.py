"""The data behind every picture: which cells each frame highlights and which numbers it shows.

Nothing here draws; :mod:`npconv.viz.draw` turns a story into images.  A *story* is the
sequence of steps an op goes through, computed from the op's real output:

- :func:`conv_story`: the padded input, the kernel, and one step per output cell (the window
  it reads and the value :func:`npconv.conv` gave it);
- :func:`pool_story`: the same for max and average pooling, with the padding, the cells a
  ``ceil_mode`` window hangs over, the winner of each max window and each average's divisor;
- :func:`scatter_story`: transposed convolution as each input cell adding a scaled copy of
  the kernel into the (uncropped) output, one step per input cell;
- :func:`transposed_as_conv_story`: the same transposed convolution as zero insertion, padding
  and an ordinary convolution with the flipped kernel.

Every story calls the public op first, so a configuration the op refuses raises the op's own
``ValueError`` here too.  Stories are 2-D: a 1-D op is drawn as a grid one row high (the op
itself still runs in 1-D).  Grid coordinates are ``(row, column)``, row 0 at the top.

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
"""

from dataclasses import dataclass, field

import numpy as np

from .. import api
from ..padding import insert_zeros, pad, pad_or_crop
from ..shapes import (
    avg_pool_divisors,
    int_tuple,
    padding_pairs,
    pool_output_size,
    same_padding,
    transposed_conv_as_conv_padding,
    window,
    window_reach,
)

__all__ = [
    "Step", "ConvStory", "PoolStory", "ScatterStory",
    "conv_story", "pool_story", "scatter_story", "transposed_as_conv_story", "sample_values",
    "INPUT", "PADDING", "INSERTED", "OVERHANG", "CROPPED", "EXTRA",
]

# What a grid cell is, for colouring (the grids of a story carry one of these per cell).
INPUT = 0        # a real input cell (or, in an output grid, a cell of the result)
PADDING = 1      # zero (or, for max pooling, -inf) padding around the input
INSERTED = 2     # a zero inserted between input cells (transposed convolution's stride)
OVERHANG = 3     # beyond the right padding: only a ceil_mode window reaches it
CROPPED = 4      # an output cell of the scatter that transposed conv's padding crops away
EXTRA = 5        # an output cell added by output_padding: no input cell scatters into it


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
    keeps.
    """

    floor_size: tuple = ()


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
# Inputs and geometry
# --------------------------------------------------------------------------------------------

def sample_values(shape, seed=0, low=0, high=4):
    """Small integers as floats, so that every number in a picture is short and exact.

    >>> sample_values((2, 3), seed=1)
    array([[1., 2., 3.],
           [3., 0., 0.]])
    """
    return np.random.default_rng(seed).integers(low, high, size=shape).astype(np.float64)


def _lift(values, ndim, neutral):
    """Prepend a neutral entry so a 1-D configuration draws as a grid one row high."""
    return (neutral,) * (2 - ndim) + tuple(values)


def _check_drawable(ndim):
    if ndim not in (1, 2):
        raise ValueError(f"pictures are drawn for 1-D and 2-D inputs, got {ndim} spatial "
                         f"dimensions")


def _as_grid(array, ndim):
    return array.reshape((1,) * (2 - ndim) + array.shape)


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

def conv_story(input, kernel, stride=1, padding=0, dilation=1):
    """The steps of :func:`npconv.conv` on one channel: one per output cell.

    Parameters
    ----------
    input : array_like, shape (W,) or (H, W)
    kernel : array_like, same number of dimensions as ``input``
    stride, padding, dilation
        As for :func:`npconv.conv` (padding may be ``"same"``, ``"valid"`` or pairs).

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
    ndim = x.ndim
    _check_drawable(ndim)
    output = api.conv(x[None, None], w[None, None], stride=stride, padding=padding,
                      dilation=dilation)[0, 0]
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    if padding == "same":
        padding = tuple(same_padding(n, k, s, d)
                        for n, k, s, d in zip(x.shape, w.shape, stride, dilation))
    elif padding == "valid":
        padding = 0
    padding = padding_pairs(padding, ndim)
    formula = _conv_formula(x.shape, w.shape, stride, padding, dilation, output.shape)

    padding2 = _lift(padding, ndim, (0, 0))
    grid = pad(_as_grid(x, ndim)[None, None], padding2)[0, 0]
    kinds = pad(np.full((1, 1) + _as_grid(x, ndim).shape, INPUT), padding2, value=PADDING)[0, 0]
    return _conv_story_on_grid("conv", grid, kinds, _as_grid(w, ndim), _as_grid(output, ndim),
                               _lift(stride, ndim, 1), _lift(dilation, ndim, 1), padding2,
                               _lift(x.shape, ndim, 1), formula, ndim)


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
               count_include_pad=True):
    """The steps of :func:`npconv.max_pool` (``mode="max"``) or :func:`npconv.avg_pool`.

    The grid is the input with its padding and, with ``ceil_mode``, the overhang cells that
    only the extra last window reaches.  Max steps carry the winning cell (from the op's
    ``return_indices``); average steps carry the divisor.

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
    x = np.asarray(input, dtype=np.float64)
    ndim = x.ndim
    _check_drawable(ndim)
    indices = None
    if mode == "max":
        output, indices = api.max_pool(x[None, None], kernel_size, stride, padding, dilation,
                                       ceil_mode, return_indices=True)
        indices = indices[0, 0]
    else:
        if dilation != 1:
            raise ValueError(f"dilation={dilation!r}: avg_pool takes no dilation "
                             f"(PyTorch's avg_pool has none)")
        output = api.avg_pool(x[None, None], kernel_size, stride, padding, ceil_mode,
                              count_include_pad)
    output = output[0, 0]
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = kernel_size if stride is None else int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    padding = padding_pairs(padding, ndim)
    floor_size = tuple(pool_output_size(n, k, s, p, d, False)
                       for n, k, s, p, d in zip(x.shape, kernel_size, stride, padding,
                                                dilation))
    rounding = "ceil" if ceil_mode else "floor"
    formula = _conv_formula(x.shape, kernel_size, stride, padding, dilation, output.shape,
                            rounding)
    if ceil_mode:
        formula = formula + _merge_dims([f"ceil_mode keeps {o - f} extra window(s) along {name}"
                                         for name, o, f in zip(("H", "W")[2 - ndim:],
                                                               output.shape, floor_size)
                                         if o > f])
    if mode == "avg":
        counted = "input and padding" if count_include_pad else "input only"
        formula.append(f"divisor = cells of the window on the {counted} "
                       f"(count_include_pad={count_include_pad}); never the ceil_mode overhang")
    divisors = None
    if mode == "avg":
        divisors = avg_pool_divisors(x.shape, kernel_size, stride, padding, output.shape,
                                     count_include_pad)

    # The grid: input, padding, then the overhang a ceil_mode window reaches beyond it.
    padding2 = _lift(padding, ndim, (0, 0))
    in_size2 = _lift(x.shape, ndim, 1)
    kernel2 = _lift(kernel_size, ndim, 1)
    stride2 = _lift(stride, ndim, 1)
    dilation2 = _lift(dilation, ndim, 1)
    out2 = _as_grid(output, ndim).shape
    overhang = tuple(max(0, window_reach(o, k, s, d) - (n + before + after))
                     for o, s, k, d, n, (before, after) in zip(out2, stride2, kernel2,
                                                               dilation2, in_size2, padding2))
    fill = -np.inf if mode == "max" else 0.0
    grid = pad(_as_grid(x, ndim)[None, None], padding2, value=fill)[0, 0]
    grid = np.pad(grid, [(0, extra) for extra in overhang], constant_values=np.nan)
    kinds = pad(np.full((1, 1) + in_size2, INPUT), padding2, value=PADDING)[0, 0]
    kinds = np.pad(kinds, [(0, extra) for extra in overhang], constant_values=OVERHANG)

    steps = []
    output2 = _as_grid(output, ndim)
    floor2 = _lift(floor_size, ndim, 1)
    for out_index in np.ndindex(*out2):
        rows, cols = _taps(window(out_index, kernel2, stride2, dilation2))
        step = Step(out_index, rows, cols, float(output2[out_index]),
                    ceil_only=any(i >= f for i, f in zip(out_index, floor2)))
        if mode == "max":
            flat = int(indices[out_index[2 - ndim:]])
            position = _lift(np.unravel_index(flat, x.shape), ndim, 0)
            step.winner = tuple(int(p) + before for p, (before, _) in zip(position, padding2))
        else:
            step.divisor = int(divisors[out_index[2 - ndim:]])
        steps.append(step)
    return PoolStory(f"{mode}_pool", grid, kinds, np.ones(kernel2), output2, steps, stride2,
                     dilation2, padding2, in_size2, formula, ndim, floor_size=floor2)


# --------------------------------------------------------------------------------------------
# Transposed convolution, both ways
# --------------------------------------------------------------------------------------------

def scatter_story(input, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """:func:`npconv.conv_transpose` as scatters: each input cell adds ``value * kernel``.

    The copy lands where the matching convolution's window for that cell lies, on the
    uncropped output; ``padding`` then crops the border.

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
    ndim = x.ndim
    _check_drawable(ndim)
    output = api.conv_transpose(x[None, None], w[None, None], stride=stride, padding=padding,
                                output_padding=output_padding, dilation=dilation)[0, 0]
    stride2, padding2, output_padding2, dilation2 = _transposed_geometry(
        stride, padding, output_padding, dilation, ndim)
    x2, w2, output2 = _as_grid(x, ndim), _as_grid(w, ndim), _as_grid(output, ndim)

    full_size = tuple(o + before + after for o, (before, after) in zip(output2.shape, padding2))
    reach = tuple(window_reach(n, k, s, d)
                  for n, s, k, d in zip(x2.shape, stride2, w2.shape, dilation2))
    crop = tuple(slice(before, size - after) for (before, after), size in zip(padding2,
                                                                             full_size))
    kinds = np.full(full_size, INPUT)
    for axis, limit in enumerate(reach):
        beyond = [slice(None)] * 2
        beyond[axis] = slice(limit, None)
        kinds[tuple(beyond)] = EXTRA
    kept = np.zeros(full_size, dtype=bool)
    kept[crop] = True
    kinds[~kept] = CROPPED

    partial = np.zeros(full_size)
    partials, steps = [], []
    for in_index in np.ndindex(*x2.shape):
        slices = window(in_index, w2.shape, stride2, dilation2)
        partial[slices] += x2[in_index] * w2
        partials.append(partial.copy())
        rows, cols = _taps(slices)
        steps.append(Step(in_index, rows, cols, float(x2[in_index])))
    formula = _transposed_formula(*(values[2 - ndim:] for values in (
        x2.shape, w2.shape, stride2, padding2, output_padding2, dilation2, output2.shape)))
    return ScatterStory("conv_transpose", x2, w2, kinds, partials, output2, steps, crop,
                        stride2, dilation2, padding2, output_padding2, formula, ndim)


def transposed_as_conv_story(input, kernel, stride=1, padding=0, output_padding=0,
                             dilation=1):
    """The same transposed convolution as an ordinary convolution, step by step.

    Insert ``stride - 1`` zeros between the input cells, pad each end by
    ``dilation * (kernel_size - 1) - before`` (the end also by ``output_padding``, and a
    negative amount crops), and convolve with the flipped kernel, stride 1, same dilation.
    The story's ``output`` comes from :func:`npconv.conv` on that grid, and equals
    :func:`npconv.conv_transpose`'s.

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
    ndim = x.ndim
    _check_drawable(ndim)
    api.conv_transpose(x[None, None], w[None, None], stride=stride, padding=padding,
                       output_padding=output_padding, dilation=dilation)   # the op's checks
    stride2, padding2, output_padding2, dilation2 = _transposed_geometry(
        stride, padding, output_padding, dilation, ndim)
    x2, w2 = _as_grid(x, ndim), _as_grid(w, ndim)

    stretched = insert_zeros(x2, stride2, axes=(0, 1))
    kinds = insert_zeros(np.full(x2.shape, INPUT + 1), stride2, axes=(0, 1)) - 1
    kinds[kinds < 0] = INSERTED
    equivalent_padding = [transposed_conv_as_conv_padding(k, pair, extra, d)
                          for k, d, pair, extra in zip(w2.shape, dilation2, padding2,
                                                       output_padding2)]
    grid = pad_or_crop(stretched[None, None], equivalent_padding)[0, 0]
    kinds = pad_or_crop(kinds[None, None], equivalent_padding, PADDING)[0, 0]
    flipped = w2[::-1, ::-1]
    output = api.conv(grid[None, None], flipped[None, None], dilation=dilation2)[0, 0]
    formula = [f"zeros between cells: stride − 1 = {s - 1}; padding d·(k−1) − p = "
               f"{d}·({k}−1) − {before} = {eq[0]} before, {eq[1]} after"
               + (f" (incl. output_padding {extra})" if extra else "")
               for s, d, k, (before, _), eq, extra in zip(stride2, dilation2, w2.shape,
                                                          padding2, equivalent_padding,
                                                          output_padding2)][2 - ndim:]
    formula = _merge_dims(formula)
    return _conv_story_on_grid("conv_transpose as conv", grid, kinds, flipped, output,
                               (1, 1), dilation2, tuple(equivalent_padding), stretched.shape,
                               formula, ndim)


def _transposed_geometry(stride, padding, output_padding, dilation, ndim):
    """A transposed convolution's hyperparameters (already checked by the op) on the grid."""
    return (_lift(int_tuple(stride, ndim, "stride", minimum=1), ndim, 1),
            _lift(padding_pairs(padding, ndim), ndim, (0, 0)),
            _lift(int_tuple(output_padding, ndim, "output_padding", minimum=0), ndim, 0),
            _lift(int_tuple(dilation, ndim, "dilation", minimum=1), ndim, 1))


def _transposed_formula(in_size, kernel_size, stride, padding, output_padding, dilation,
                        out_size):
    lines = []
    names = ("H", "W")[2 - len(in_size):]
    for name, n, k, s, (before, after), op, d, o in zip(names, in_size, kernel_size,
                                                         stride, padding, output_padding,
                                                         dilation, out_size):
        lines.append(f"{name}_out = (in−1)·s − before − after + d·(k−1) + output_padding + 1"
                     f" = ({n}−1)·{s} − {before} − {after} + {d}·({k}−1) + {op} + 1 = {o}")
    return _merge_dims(lines)
