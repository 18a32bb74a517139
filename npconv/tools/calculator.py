"""The shape calculator: every number of a layer's geometry, with the formula that gives it.

Cheat sheet: "Calculate output's dimension", "Padding", "Dilated Convolution", "Transposed
Convolution" and the parameter count, the rest of PyTorch's pooling family (max unpooling,
adaptive pooling, power-average pooling), and unfold and fold.  Each function here takes
one layer's hyperparameters and an input shape ``(N, C, *spatial)`` (fold: the columns
``(N, C * K, L)``) and returns a :class:`ShapeReport`: the output shape, and per spatial
dimension the output-size formula with the numbers substituted, the effective (dilated)
kernel, and what "same" padding, a target size, PyTorch's ``output_size`` or ``ceil_mode``
would need; for the family, the legal ``output_size`` range of unpooling and the windows of
adaptive pooling; for unfold and fold, the window positions.  Nothing here computes an
array; every formula comes from :mod:`npconv.shapes`.  ``npconv shape`` prints these
reports.

A configuration with no valid output is not an error here: the report lists, per
dimension, why (``report.problems``), so that a caller can explain all of them at once.  The
rules are the core's (:mod:`npconv.shapes`: ``check_groups``, ``check_output_padding``,
``check_pool_padding``, ``check_window_holds_input``), called one by one, so a problem reads
as the op's own error does.  The validators of the family, of unfold and fold and of a
transposed convolution's ``output_size`` (``max_unpool_geometry``, ``lp_pool_geometry``,
``unfold_geometry``, ``fold_geometry``, ``conv_transpose_geometry``) stop at the first
problem, so their reports carry that one, in the op's words, and show every dimension's
numbers beside it.  A report holds a few numbers per dimension, however large the layer: no
list of windows or of divisors per output cell.

Examples
--------
>>> report = conv_report((1, 3, 32, 32), out_channels=16, kernel_size=3, stride=2,
...                      padding=1, dilation=2)
>>> report.output_shape, report.parameters
((1, 16, 15, 15), 448)
>>> print(report.dimensions[0].formula)
floor((32 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(29 / 2) + 1 = 15
"""

import math
from typing import NamedTuple

from ..shapes import (
    adaptive_pool_geometry,
    adaptive_pool_window,
    ceil_div,
    ceil_mode_window_counts,
    check_groups,
    check_int64,
    check_output_padding,
    check_pool_padding,
    check_window_holds_input,
    conv_output_size,
    conv_padding,
    conv_parameter_count,
    conv_transpose_geometry,
    conv_transpose_output_size,
    conv_transpose_size_range,
    dimension_names,
    effective_kernel_size,
    fold_geometry,
    int_tuple,
    is_int,
    is_sequence,
    lp_pool_geometry,
    max_unpool_geometry,
    max_unpool_output_size,
    max_unpool_size_range,
    output_padding_for,
    output_padding_limit,
    padding_pairs,
    pool_output_size,
    pool_window_counts,
    same_padding,
    short_repr,
    unfold_geometry,
    unfold_spatial_dims,
    window_taps,
)

__all__ = [
    "DimensionReport",
    "DivisorRun",
    "ShapeReport",
    "Window",
    "adaptive_pool_report",
    "conv_report",
    "conv_transpose_report",
    "fold_report",
    "lp_pool_report",
    "max_unpool_report",
    "pool_report",
    "unfold_report",
]


class Window(NamedTuple):
    """One pooling window along one dimension, placed on the padded input."""

    index: int
    """Which output cell it computes."""
    taps: range
    """Input positions it would read (negative or ``>= in_size``: padding or overhang)."""
    in_input: int
    """How many taps land on real input cells."""
    in_padding: int
    """How many taps land on the zero padding."""
    kept: bool
    """Whether the output keeps it (``ceil_mode`` keeps a partial last window only if it
    starts on an input or left-padding cell)."""


class DivisorRun(NamedTuple):
    """Average pooling: consecutive windows along one dimension whose divisors change evenly.

    A dimension's divisors are a few such runs (the windows over the left border, the
    interior, the windows over the right border), however many windows there are.  Printed,
    a short run lists its divisors and a long one its range: ``3 3`` or ``3 (windows 1-998)``.
    """

    first: int
    """The first window of the run."""
    last: int
    """The last window of the run."""
    first_divisor: int
    last_divisor: int
    """The divisors in between step evenly from ``first_divisor`` to ``last_divisor``."""

    def __str__(self):
        count = self.last - self.first + 1
        if count <= 4:
            step = (self.last_divisor - self.first_divisor) // max(count - 1, 1)
            return " ".join(str(self.first_divisor + j * step) for j in range(count))
        values = (str(self.first_divisor) if self.first_divisor == self.last_divisor else
                  f"{self.first_divisor}..{self.last_divisor}")
        return f"{values} (windows {self.first}-{self.last})"


class DimensionReport(NamedTuple):
    """The geometry of one spatial dimension of a layer."""

    name: str
    """``"L"`` (1-D), ``"H"``, ``"W"`` (2-D) or ``"D"``, ``"H"``, ``"W"`` (3-D)."""
    in_size: int
    kernel_size: int | None
    """Adaptive pooling: ``None`` (its windows come from the sizes, see ``windows``)."""
    stride: int | None
    """Adaptive pooling: ``None``."""
    padding: tuple
    """``(before, after)``."""
    dilation: int
    effective_kernel: int | None
    """``dilation * (kernel_size - 1) + 1``: the cells the kernel spans; ``None`` where no
    kernel slides over the input (max unpooling, adaptive pooling)."""
    output_size: int
    """May be below 1 when the configuration has no valid output."""
    formula: str
    """The output-size formula with this dimension's numbers substituted."""
    same_padding: tuple | None = None
    """Convolution only: the ``(before, after)`` padding giving ``ceil(in / stride)``."""
    output_padding: int | None = None
    """Transposed convolution with a target size: the output_padding that reaches it."""
    windows: tuple = ()
    """Pooling with ``ceil_mode``: the window beyond the floor-mode output, kept or not.
    Adaptive pooling: its first two windows and its last (the rest follow the formula)."""
    divisors: tuple = ()
    """Average pooling: the windows' divisors along this dimension, as :class:`DivisorRun`
    s (``" ".join(map(str, divisors))`` prints them).  Power-average pooling with
    ``ceil_mode``: the cells each window holds, which PyTorch averages over."""
    size_range: tuple | None = None
    """Max unpooling: ``(low, high)``, the ``output_size`` values PyTorch accepts."""
    requested_size: int | None = None
    """Max unpooling: the ``output_size`` asked for along this dimension, if any."""
    widest_window: int | None = None
    """Adaptive pooling: the most cells one window holds."""
    pooling_kernel: int | None = None
    """Adaptive pooling: ``in / out`` when ``out`` divides ``in``: the windows are then
    ordinary pooling's with kernel = stride = this; ``None`` otherwise."""
    output_padding_sizes: tuple | None = None
    """Transposed convolution with an ``output_size``: ``(low, high)``, the sizes an explicit
    ``output_padding`` reaches (``high = low + max(stride, dilation) - 1``); wider than
    ``size_range`` when the dilation exceeds the stride."""
    window_count: int | None = None
    """Unfold and fold: the window positions along this dimension (``L`` is their
    product)."""
    uncovered: int = 0
    """Unfold and fold: how many cells at the end lie past the last window (floor drops a
    window that would not fit): unfold never reads them, fold leaves them 0."""


class ShapeReport(NamedTuple):
    """A layer's shapes, formulas and parameter count; see the module docstring."""

    op: str
    input_shape: tuple
    output_shape: tuple | None
    """``None`` if some dimension has no valid output; see ``problems``."""
    dimensions: tuple
    """One :class:`DimensionReport` per spatial dimension."""
    parameters: int
    parameter_formula: str
    problems: tuple
    """Why the configuration is invalid, one sentence per problem; empty if it is valid."""
    notes: tuple
    """Remarks worth knowing (PyTorch's own restrictions, what a divisor means, ...)."""
    size_formula: str
    """The output-size formula in symbols, the same for every dimension; each dimension's
    ``formula`` has its numbers substituted."""


def input_sizes(input_shape, name="input_shape"):
    """``input_shape`` as a tuple of Python ints, each at least 1, by the core's rule for
    sizes (:func:`~npconv.shapes.int_tuple`): a float, a bool or a string is refused, never
    rounded to a size.

    >>> input_sizes((1, 3, 8.5, 8))
    Traceback (most recent call last):
    ...
    TypeError: input_shape=(1, 3, 8.5, 8) must be a sequence of ints, e.g. (1, 3, 32, 32)
    """
    if not (is_sequence(input_shape) and all(is_int(v) for v in input_shape)):
        raise TypeError(f"{name}={short_repr(input_shape)} must be a sequence of ints, e.g. "
                        f"(1, 3, 32, 32)")
    return int_tuple(input_shape, len(input_shape), name, minimum=1)   # >= 1, and 64-bit


def _split_input(input_shape):
    input_shape = input_sizes(input_shape)
    if len(input_shape) < 3:
        raise ValueError(f"input shape {input_shape} must be (N, C, *spatial) with at least "
                         f"one spatial dimension and every size at least 1")
    return input_shape, len(input_shape) - 2


def _check_out_channels(out_channels):
    if not is_int(out_channels):
        raise TypeError(f"out_channels={out_channels!r} must be an int")
    if out_channels < 1:
        raise ValueError(f"out_channels={out_channels} must be >= 1")
    check_int64([out_channels], "out_channels", out_channels)
    return int(out_channels)


def _passes(problems, prefix, rule, *args, **kwargs):
    """Run one of the core's rules; its ``ValueError`` becomes one of the report's problems.

    Returns whether the rule passed.  The wording is the core's, so the calculator and the
    ops explain a bad layer in the same sentence.
    """
    try:
        rule(*args, **kwargs)
    except ValueError as error:
        problems.append(f"{prefix}{error}")
        return False
    return True


def _padding_text(pair):
    before, after = pair
    return f"2*{before}" if before == after else f"{before} + {after}"


def _size_formula(rounding):
    """The output-size formula of a convolution or a pooling in symbols."""
    return f"{rounding}((in + 2*padding - dilation*(kernel-1) - 1) / stride) + 1"


_TRANSPOSED_SIZE_FORMULA = ("(in - 1)*stride - 2*padding + dilation*(kernel-1) + output_padding"
                            " + 1")


def _rounded_formula(rounding, n, k, s, pair, d, size):
    """The output-size formula with numbers: ``rounding`` is "floor" or "ceil", ``size`` its
    value (before ``ceil_mode`` drops a window)."""
    room = n + pair[0] + pair[1] - effective_kernel_size(k, d)
    return (f"{rounding}(({n} + {_padding_text(pair)} - {d}*({k}-1) - 1) / {s}) + 1 = "
            f"{rounding}({room} / {s}) + 1 = {size}")


def _too_small(name, n, k, pair, d, out):
    return (f"{name}: output size {out} < 1: the dilated kernel spans "
            f"{effective_kernel_size(k, d)} cells ({d}*({k}-1) + 1) but the padded input has "
            f"only {n + pair[0] + pair[1]} ({n} + {pair[0]} + {pair[1]})")


def _parameters(C_in, C_out, kernel_size, groups, bias):
    if not is_int(groups) or groups < 1 or C_in % groups:
        return 0, "(undefined: groups does not divide the channels)"
    count = conv_parameter_count(C_in, C_out, kernel_size, groups, bias)
    cells = "*".join(str(k) for k in kernel_size)
    per_group = f"({C_in}/{groups})" if groups > 1 else f"{C_in}"
    text = f"{C_out} * {per_group} * {cells}" + (f" + {C_out} (bias)" if bias else "")
    return count, f"{text} = {count:,}"


def conv_report(input_shape, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                groups=1, bias=True):
    """Shapes, formulas and parameter count of a convolution layer.

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C_in, *in_size)``.
    out_channels : int
    kernel_size, stride, dilation : int or tuple of int
    padding : int, tuple of int, tuple of (before, after) pairs, "valid" or "same"
    groups : int
    bias : bool

    Returns
    -------
    ShapeReport
        Each dimension also carries the ``same_padding`` that would keep
        ``ceil(in / stride)`` cells.

    Examples
    --------
    >>> report = conv_report((1, 1, 5, 5), out_channels=1, kernel_size=3, padding="same")
    >>> report.output_shape, report.dimensions[0].padding
    ((1, 1, 5, 5), (1, 1))
    >>> print(*conv_report((1, 1, 4), 1, kernel_size=3, dilation=2).problems)
    L: output size 0 < 1: the dilated kernel spans 5 cells (2*(3-1) + 1) but the padded
    input has only 4 (4 + 0 + 0)
    """
    input_shape, ndim = _split_input(input_shape)
    N, C_in, *in_size = input_shape
    out_channels = _check_out_channels(out_channels)
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    same = tuple(same_padding(n, k, s, d)
                 for n, k, s, d in zip(in_size, kernel_size, stride, dilation))
    pairs = conv_padding(padding, in_size, kernel_size, stride, dilation)
    problems = []
    _passes(problems, "", check_groups, groups, C_in, out_channels)
    dimensions = []
    for name, n, k, s, pair, d, same_pair in zip(dimension_names(ndim), in_size, kernel_size,
                                                 stride, pairs, dilation, same):
        out = conv_output_size(n, k, s, pair, d)
        if out < 1:
            problems.append(_too_small(name, n, k, pair, d, out))
        formula = _rounded_formula("floor", n, k, s, pair, d, out)
        dimensions.append(DimensionReport(name, n, k, s, pair, d, effective_kernel_size(k, d),
                                          out, formula, same_padding=same_pair))
    parameters, parameter_formula = _parameters(C_in, out_channels, kernel_size, groups, bias)
    notes = []
    if any(s > 1 for s in stride):
        notes.append("PyTorch accepts padding='same' only with stride 1; npconv pads so that "
                     "out = ceil(in / stride)")
    if any(before != after for before, after in same):
        notes.append("an odd 'same' total puts the extra cell after (SAME_UPPER); a "
                     "symmetric int padding cannot express it")
    return _finish(f"conv{ndim}d", input_shape, (N, out_channels), dimensions,
                   _size_formula("floor"), parameters, parameter_formula, problems, notes)


def conv_transpose_report(input_shape, out_channels, kernel_size, stride=1, padding=0,
                          output_padding=0, dilation=1, groups=1, bias=True, target=None,
                          output_size=None):
    """Shapes, formulas and parameter count of a transposed convolution layer.

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C_in, *in_size)``.
    out_channels : int
    kernel_size, stride, dilation, output_padding : int or tuple of int
    padding : int, tuple of int, or tuple of (before, after) pairs
    groups : int
    bias : bool
    target : int or tuple of int, optional
        Wanted output sizes; the report then uses, per dimension, the ``output_padding``
        that reaches them (any below ``max(stride, dilation)``), or says why none does.
    output_size : sequence of int, optional
        As PyTorch's ``ConvTranspose*d.forward(input, output_size)`` takes it (and
        :func:`npconv.conv_transpose`): the spatial size, or ``(N, C_out, *spatial)``.
        Each dimension then carries PyTorch's legal ``size_range`` (from the size with
        ``output_padding`` 0 up to ``stride - 1`` more), the ``output_padding_sizes`` an
        explicit ``output_padding`` reaches (wider when the dilation exceeds the stride),
        the ``requested_size`` and the ``output_padding`` chosen.  A size out of range is
        a problem in the op's own words.

    Returns
    -------
    ShapeReport

    Examples
    --------
    >>> report = conv_transpose_report((1, 512, 4, 4), 256, kernel_size=4, stride=2,
    ...                                padding=1)
    >>> report.output_shape, report.parameters
    ((1, 256, 8, 8), 2097408)
    >>> conv_transpose_report((1, 8, 3), 8, 3, stride=2, padding=1, target=6).output_shape
    (1, 8, 6)

    With a dilation above the stride, ``output_size`` reaches fewer sizes than an explicit
    ``output_padding`` does:

    >>> report = conv_transpose_report((1, 1, 4), 1, 3, stride=2, dilation=3,
    ...                                output_size=(14,))
    >>> dim, = report.dimensions
    >>> report.output_shape, dim.output_padding, dim.size_range, dim.output_padding_sizes
    ((1, 1, 14), 1, (13, 14), (13, 15))
    >>> print(*conv_transpose_report((1, 1, 4), 1, 3, stride=2, dilation=3,
    ...                              output_size=(15,)).problems)
    output_size=(15,): spatial dimension 0 must be from 13 to 14: PyTorch takes from the
    size with output_padding 0, (in - 1)*stride - before - after + dilation*(kernel_size-1)
    + 1 = (4 - 1)*2 - 0 - 0 + 3*(3-1) + 1 = 13, up to stride - 1 = 1 more; an explicit
    output_padding reaches 15 (it need only be below max(stride, dilation) = 3), but
    PyTorch's output_size rule counts the stride only
    """
    input_shape, ndim = _split_input(input_shape)
    N, C_in, *in_size = input_shape
    out_channels = _check_out_channels(out_channels)
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    pairs = padding_pairs(padding, ndim)
    output_padding = int_tuple(output_padding, ndim, "output_padding", minimum=0)
    if target is not None and output_size is not None:
        raise ValueError(f"target={target!r} and output_size={output_size!r}: give one "
                         f"(target takes any output_padding, output_size PyTorch's range)")
    problems = []
    _passes(problems, "", check_groups, groups, C_in, out_channels)
    ranges = [conv_transpose_size_range(n, k, s, pair, d)
              for n, k, s, pair, d in zip(in_size, kernel_size, stride, pairs, dilation)]
    requested = (None,) * ndim
    if target is not None:
        target = int_tuple(target, ndim, "target", minimum=1)
        found = []
        for name, t, n, k, s, pair, d in zip(dimension_names(ndim), target, in_size,
                                             kernel_size, stride, pairs, dilation):
            try:
                found.append(output_padding_for(t, n, k, s, pair, d))
            except ValueError as error:
                problems.append(f"{name}: {error}")
                found.append(None)
    elif output_size is not None:
        # The op's rule, in its words (it stops at the first problem, and checks the
        # output_padding given as well); each dimension then shows its own numbers.
        _passes(problems, "", conv_transpose_geometry, tuple(in_size), kernel_size, stride,
                pairs, output_padding, dilation, output_size, (N, out_channels))
        requested = _spatial_request(output_size, ndim)
        found = [wanted - low if wanted is not None and max(low, 1) <= wanted <= high
                 else None for wanted, (low, high) in zip(requested, ranges)]
    else:
        found = (None,) * ndim
    if target is not None:
        output_padding = tuple(0 if extra is None else extra for extra in found)
    elif output_size is not None:
        output_padding = tuple(given if extra is None else extra
                               for given, extra in zip(output_padding, found))
    dimensions = []
    for dim, (name, n, k, s, pair, extra, d, extra_found, wanted, (low, high)) in enumerate(
            zip(dimension_names(ndim), in_size, kernel_size, stride, pairs, output_padding,
                dilation, found, requested, ranges)):
        if output_size is None:      # with output_size, the op's own rule has checked it
            _passes(problems, f"{name}: ", check_output_padding, extra, s, d, dim)
        out = conv_transpose_output_size(n, k, s, pair, extra, d)
        formula = (f"({n} - 1)*{s} - {_padding_text(pair)} + {d}*({k}-1) + {extra} + 1 = "
                   f"{out}")
        if out < 1:
            problems.append(f"{name}: output size {out} < 1: the padding "
                            f"{pair[0]} + {pair[1]} crops more than the "
                            f"{out + pair[0] + pair[1]} cells the kernel spreads over")
        sizes = {}
        if output_size is not None:
            sizes = {"size_range": (low, high), "requested_size": wanted,
                     "output_padding_sizes": (low, low + output_padding_limit(s, d) - 1)}
        dimensions.append(DimensionReport(name, n, k, s, pair, d, effective_kernel_size(k, d),
                                          out, formula, output_padding=extra_found, **sizes))
    parameters, parameter_formula = _parameters(C_in, out_channels, kernel_size, groups, bias)
    notes = [("the weight is (C_in, C_out // groups, *kernel_size), the count is the same as "
             "a conv's")]
    if any(s > 1 for s in stride) and target is None and output_size is None:
        notes.append("a strided conv maps several sizes to the same one; output_padding "
                     "(or --target, or --output-size) picks which one comes back")
    if output_size is not None and any(d > s for s, d in zip(stride, dilation)):
        notes.append("with a dilation above the stride an explicit output_padding may go up "
                     "to dilation - 1, but PyTorch's output_size takes only stride - 1 more "
                     "than the smallest size (its rule counts the stride alone)")
    return _finish(f"conv_transpose{ndim}d", input_shape, (N, out_channels), dimensions,
                   _TRANSPOSED_SIZE_FORMULA, parameters, parameter_formula, problems, notes)


def pool_report(kind, input_shape, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False, count_include_pad=True):
    """Shapes and formulas of a max or average pooling layer (no parameters).

    Parameters
    ----------
    kind : {"max", "avg"}
    input_shape : tuple of int
        ``(N, C, *in_size)``.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of int, or tuple of (before, after) pairs
        At most ``kernel_size // 2`` (PyTorch's rule).
    dilation : int or tuple of int
        Max pooling only.
    ceil_mode : bool
        Round up; each dimension then lists the extra windows and whether they are kept.
    count_include_pad : bool
        Average pooling: whether the divisor counts the zero padding.

    Returns
    -------
    ShapeReport

    Examples
    --------
    >>> report = pool_report("avg", (1, 1, 5, 5), 2, ceil_mode=True)
    >>> report.output_shape
    (1, 1, 3, 3)
    >>> window = report.dimensions[0].windows[0]
    >>> list(window.taps), window.in_input, window.kept
    ([4, 5], 1, True)
    >>> print(*report.dimensions[0].divisors)        # the last window holds one cell
    2 2 1

    However many windows there are, a report holds a few numbers per dimension:

    >>> report = pool_report("avg", (1, 1, 10 ** 9), 3, stride=1, padding=1,
    ...                      count_include_pad=False)
    >>> print(*report.dimensions[0].divisors)
    2 3 (windows 1-999999998) 2
    """
    if kind not in ("max", "avg"):
        raise ValueError(f"kind={kind!r} must be 'max' or 'avg'")
    input_shape, ndim = _split_input(input_shape)
    N, C, *in_size = input_shape
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = kernel_size if stride is None else int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    if kind == "avg" and any(d != 1 for d in dilation):
        raise ValueError(f"dilation={dilation} is not supported by average pooling")
    pairs = padding_pairs(padding, ndim)
    rounding = "ceil" if ceil_mode else "floor"
    problems, dimensions = [], []
    for dim, (name, n, k, s, pair, d) in enumerate(zip(dimension_names(ndim), in_size,
                                                       kernel_size, stride, pairs, dilation)):
        padding_fits = _passes(problems, f"{name}: ", check_pool_padding, pair, k, dim)
        out = pool_output_size(n, k, s, pair, d, ceil_mode)
        rounded = ceil_mode_window_counts(n, k, s, pair, d)[0] if ceil_mode else out
        formula = _rounded_formula(rounding, n, k, s, pair, d, rounded)
        if rounded != out:
            last_start = window_taps(rounded - 1, k, s, pair[0], d).start
            formula += (f", minus the last window, which would start at {last_start}, past "
                        f"the input and its left padding: {out}")
        windows, divisors = (), ()
        if out < 1:
            problems.append(_too_small(name, n, k, pair, d, out))
        elif padding_fits:       # the window rule presumes the padding limit
            _passes(problems, f"{name}: ", check_window_holds_input, n, k, s, pair, d, out,
                    dim=dim)
            floor_count = conv_output_size(n, k, s, pair, d)
            windows = tuple(_window(i, n, k, s, pair, d, kept=i < out)
                            for i in range(floor_count, rounded))
            if kind == "avg":
                divisors = _divisor_runs(n, k, s, pair, out, count_include_pad)
        dimensions.append(DimensionReport(
            name, n, k, s, pair, d, effective_kernel_size(k, d), out, formula,
            windows=windows, divisors=divisors))
    notes = ["a pooling layer has no parameters"]
    if kind == "avg":
        notes.append("the divisor of an N-d window is the product of its per-dimension "
                      "divisors; " + ("count_include_pad counts the zero padding, never the "
                                      "ceil_mode overhang" if count_include_pad else
                                      "count_include_pad=False counts real input cells only"))
    return _finish(f"{kind}_pool{ndim}d", input_shape, (N, C), dimensions,
                   _size_formula(rounding), 0, "0 (pooling has no weights)", problems, notes)


def _window(i, n, k, s, pair, d, kept):
    """Window ``i`` along one dimension, its taps counted on the input and on the padding."""
    before, after = pair
    taps = window_taps(i, k, s, before, d)
    in_padding = _taps_within(taps, -before, 0) + _taps_within(taps, n, n + after)
    return Window(i, taps, _taps_within(taps, 0, n), in_padding, kept)


def _taps_within(taps, low, high):
    """How many positions of the range ``taps`` lie in ``[low, high)``, without listing them."""
    first_inside = max(ceil_div(low - taps.start, taps.step), 0)
    past_the_end = min(ceil_div(high - taps.start, taps.step), len(taps))
    return max(past_the_end - first_inside, 0)


def _divisor_runs(n, k, s, pair, out, count_include_pad):
    """The average-pool divisors of the ``out`` windows along one dimension, as runs.

    A window's divisor changes with its position only where it starts crossing a border: the
    start of the input, its end, the end of the right padding.  Between those windows the
    divisor steps evenly, so a few :class:`DivisorRun` s describe all of them.
    """
    before, after = pair
    borders = (ceil_div(before, s),                      # first window starting on the input
               (n + before - k) // s + 1,                # first one reaching past the input
               (n + after + before - k) // s + 1)        # ... and past the right padding
    edges = sorted({0, out, *(edge for edge in borders if 0 < edge < out)})
    return tuple(DivisorRun(first, end - 1, _divisor(first, n, k, s, pair, count_include_pad),
                            _divisor(end - 1, n, k, s, pair, count_include_pad))
                 for first, end in zip(edges, edges[1:]))


def _divisor(i, n, k, s, pair, count_include_pad):
    """The divisor of window ``i`` along one dimension, from the core's counting rule.

    :func:`~npconv.shapes.pool_window_counts` counts from the first window; moving the left
    padding by ``i`` strides makes window ``i`` the first.
    """
    before, after = pair
    with_padding, without_padding = pool_window_counts(n, k, s, (before - i * s, after), 1)
    return int((with_padding if count_include_pad else without_padding)[0])


def _finish(op, input_shape, leading, dimensions, size_formula, parameters, parameter_formula,
            problems, notes, trailing=None):
    """The report; its output shape is ``leading`` and then ``trailing`` (by default each
    dimension's output size), or ``None`` if there are problems."""
    valid = not problems
    if trailing is None:
        trailing = tuple(dim.output_size for dim in dimensions)
    output_shape = (*leading, *trailing) if valid else None
    return ShapeReport(op, input_shape, output_shape, tuple(dimensions), parameters,
                       parameter_formula, tuple(problems), tuple(notes), size_formula)


# --------------------------------------------------------------------------------------------
# The rest of PyTorch's pooling family: max unpooling, adaptive pooling, power-average pooling
# --------------------------------------------------------------------------------------------

_UNPOOL_SIZE_FORMULA = "(in - 1)*stride - 2*padding + kernel_size"


def max_unpool_report(input_shape, kernel_size, stride=None, padding=0, output_size=None):
    """Shapes and formulas of a max unpooling layer (no parameters).

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C, *in_size)``: the max pooling's output, which the indices share.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of int, or tuple of (before, after) pairs
        The max pooling's.
    output_size : sequence of int, optional
        The spatial output size, or ``(N, C, *spatial)`` with the input's ``N`` and ``C``;
        each dimension must be less than one stride from the default (PyTorch's rule).

    Returns
    -------
    ShapeReport
        Each dimension carries the legal ``size_range`` and the ``requested_size``.  A size
        out of range is a problem in the op's own words (the first such dimension, as the
        op names it).

    Examples
    --------
    >>> report = max_unpool_report((1, 64, 56, 56), 2)
    >>> report.output_shape, report.dimensions[0].size_range
    ((1, 64, 112, 112), (111, 113))
    >>> print(report.dimensions[0].formula)
    (56 - 1)*2 - 2*0 + 2 = 112
    >>> print(*max_unpool_report((1, 1, 2, 2), 2, output_size=(6, 5)).problems)
    output_size=(6, 5): spatial dimension 0 must be from 3 to 5, less than one stride (2)
    from the default size (in - 1)*stride - before - after + kernel_size
    = (2 - 1)*2 - 0 - 0 + 2 = 4 (PyTorch's rule)
    """
    input_shape, ndim = _split_input(input_shape)
    N, C, *in_size = input_shape
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = kernel_size if stride is None else int_tuple(stride, ndim, "stride", minimum=1)
    pairs = padding_pairs(padding, ndim)
    problems = []
    _passes(problems, "", max_unpool_geometry, tuple(in_size), kernel_size, stride, pairs,
            output_size, (N, C))
    requested = _spatial_request(output_size, ndim)
    dimensions = []
    for name, n, k, s, pair, wanted in zip(dimension_names(ndim), in_size, kernel_size,
                                           stride, pairs, requested):
        default = max_unpool_output_size(n, k, s, pair)
        formula = f"({n} - 1)*{s} - {_padding_text(pair)} + {k} = {default}"
        dimensions.append(DimensionReport(
            name, n, k, s, pair, 1, None, default if wanted is None else wanted, formula,
            size_range=max_unpool_size_range(n, k, s, pair), requested_size=wanted))
    notes = ["the indices are max_pool(..., return_indices=True)'s with the same kernel_size, "
             "stride and padding; each names a cell of its (n, c) plane of the output"]
    if any(s > 1 for s in stride):
        notes.append("max pooling maps up to `stride` input sizes to one output size; "
                     "output_size says which to restore (below the default: sizes that "
                     "ceil_mode pools to this one)")
    return _finish(f"max_unpool{ndim}d", input_shape, (N, C), dimensions,
                   _UNPOOL_SIZE_FORMULA, 0, "0 (unpooling has no weights)", problems, notes)


def _spatial_request(output_size, ndim):
    """Max unpooling's ``output_size`` per spatial dimension (``None`` each if not given or
    malformed: the validator has said why)."""
    if (isinstance(output_size, (tuple, list)) and len(output_size) in (ndim, ndim + 2)
            and all(is_int(v) for v in output_size)):
        return tuple(int(v) for v in output_size[-ndim:])
    return (None,) * ndim


def adaptive_pool_report(kind, input_shape, output_size):
    """Shapes and windows of an adaptive average or max pooling layer (no parameters).

    Parameters
    ----------
    kind : {"avg", "max"}
    input_shape : tuple of int
        ``(N, C, *in_size)``.
    output_size : int, None, or sequence of int or None
        As for :func:`npconv.adaptive_avg_pool`: ``None`` keeps the input's size.

    Returns
    -------
    ShapeReport
        Per dimension: the window formula with the numbers, the first two windows and the
        last (``windows``), the ``widest_window`` and, when ``out`` divides ``in``, the
        ``pooling_kernel`` of the ordinary pooling that has the same windows.

    Raises
    ------
    ValueError, TypeError
        The op's own message for an ``output_size`` it refuses.

    Examples
    --------
    >>> report = adaptive_pool_report("avg", (1, 64, 56, 56), (7, 5))
    >>> report.output_shape
    (1, 64, 7, 5)
    >>> [(dim.widest_window, dim.pooling_kernel) for dim in report.dimensions]
    [(8, 8), (12, None)]
    >>> [(window.taps.start, window.taps.stop) for window in report.dimensions[1].windows]
    [(0, 12), (11, 23), (44, 56)]
    """
    if kind not in ("max", "avg"):
        raise ValueError(f"kind={kind!r} must be 'max' or 'avg'")
    input_shape, ndim = _split_input(input_shape)
    N, C, *in_size = input_shape
    geometry = adaptive_pool_geometry(tuple(in_size), output_size)
    dimensions = []
    for name, n, out, widest in zip(dimension_names(ndim), in_size, geometry.out_size,
                                    geometry.widest_window):
        shown = sorted({i for i in (0, 1, out - 1) if 0 <= i < out})
        windows = tuple(Window(i, range(*adaptive_pool_window(i, n, out)),
                               len(range(*adaptive_pool_window(i, n, out))), 0, True)
                        for i in shown)
        formula = (f"floor(i*{n}/{out}) to ceil((i+1)*{n}/{out}), i = 0..{out - 1}"
                   if out else "no windows: output size 0")
        dimensions.append(DimensionReport(
            name, n, None, None, (0, 0), 1, None, out, formula, windows=windows,
            widest_window=widest,
            pooling_kernel=n // out if out and n % out == 0 else None))
    if kind == "avg":
        notes = ["each average divides by its own window's cells (the widest window's "
                 "count, or fewer)"]
    else:
        notes = ["the indices (return_indices=True) are flat positions in the input's (n, c) "
                 "plane, as max_pool's"]
    return _finish(f"adaptive_{kind}_pool{ndim}d", input_shape, (N, C), dimensions,
                   "cell i pools the input cells floor(i*in/out) to ceil((i+1)*in/out), "
                   "the end excluded", 0, "0 (pooling has no weights)", [], notes)


def lp_pool_report(input_shape, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Shapes and formulas of a power-average pooling layer (no parameters).

    The windows are average pooling's with no padding and no dilation; each is summarised
    as PyTorch does, ``(K * mean(x ** p)) ** (1 / p)`` with ``K = prod(kernel_size)``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C, *in_size)``.
    norm_type : float
        The power ``p``, as for :func:`npconv.lp_pool`.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    ceil_mode : bool
        Round up; each dimension then lists the extra window and, in ``divisors``, the
        cells each window holds: PyTorch averages over them and multiplies by the full
        ``K``, so a window cut short has its sum scaled up by ``K / cells``.

    Returns
    -------
    ShapeReport
        A refused ``norm_type`` or an empty output is a problem in the op's own words.

    Examples
    --------
    >>> report = lp_pool_report((1, 64, 112, 112), 2, 3, stride=2)
    >>> report.output_shape
    (1, 64, 55, 55)
    >>> print(report.dimensions[0].formula)
    floor((112 - 3) / 2) + 1 = floor(109 / 2) + 1 = 55
    >>> report = lp_pool_report((1, 1, 5), 1, 2, ceil_mode=True)
    >>> report.output_shape
    (1, 1, 3)
    >>> print(*report.dimensions[0].divisors)        # the last window holds 1 cell of 2
    2 2 1
    """
    input_shape, ndim = _split_input(input_shape)
    problems = []
    _passes(problems, "", lp_pool_geometry, input_shape[2:], norm_type, kernel_size, stride,
            ceil_mode)
    # The windows, kept or dropped, and the cells each holds: average pooling's, unpadded.
    windows = pool_report("avg", input_shape, kernel_size, stride, 0, 1, ceil_mode)
    rounding = "ceil" if ceil_mode else "floor"
    dimensions = []
    for dim in windows.dimensions:
        n, k, s, out = dim.in_size, dim.kernel_size, dim.stride, dim.output_size
        rounded = ceil_div(n - k, s) + 1 if ceil_mode else out
        formula = (f"{rounding}(({n} - {k}) / {s}) + 1 = {rounding}({n - k} / {s}) + 1 = "
                   f"{rounded}")
        if rounded != out:
            formula += (f", minus the last window, which would start at {(rounded - 1) * s}, "
                        f"past the input: {out}")
        cut_short = ceil_mode and any(run.first_divisor != k or run.last_divisor != k
                                      for run in dim.divisors)
        dimensions.append(dim._replace(formula=formula,
                                       divisors=dim.divisors if cut_short else ()))
    p = _power_text(norm_type)
    cells = math.prod(dim.kernel_size for dim in dimensions)
    kernel_text = "*".join(str(dim.kernel_size) for dim in dimensions)
    if ndim > 1:
        kernel_text += f" = {cells}"
    if p in ("inf", "-inf"):
        largest = "largest" if p == "inf" else "smallest"
        notes = [f"out = the window's {largest} |x|: PyTorch switches to max pooling of "
                 f"{'|x|' if p == 'inf' else '-|x|'} for p = {p}"]
    else:
        notes = [f"out = (sum of x^{p} over the window)^(1/{p}), computed as PyTorch does: "
                 f"(K * mean of x^{p})^(1/{p}) with K = {kernel_text}"]
    notes.append("p = 1 is the window's sum (avg_pool times K); p = inf its largest |x|; a "
                 "negative cell with a non-integer p gives NaN")
    if ceil_mode and p not in ("inf", "-inf"):
        notes.append("a ceil_mode window holding fewer than K cells has its sum scaled up "
                     "by K / cells: PyTorch averages over the cells it holds and multiplies "
                     "by the full K")
    return _finish(f"lp_pool{ndim}d", input_shape, input_shape[:2], dimensions,
                   f"{rounding}((in - kernel) / stride) + 1 (no padding, no dilation)", 0,
                   "0 (pooling has no weights)", problems, notes)


def _power_text(norm_type):
    """The power ``p`` short: ``2``, ``1.5``, ``inf``; as given if it is not a number."""
    try:
        return f"{float(norm_type):g}"
    except (TypeError, ValueError):
        return repr(norm_type)


# --------------------------------------------------------------------------------------------
# Unfold and fold: a convolution's windows as columns, and back
# --------------------------------------------------------------------------------------------

def unfold_report(input_shape, kernel_size, dilation=1, padding=0, stride=1):
    """Shapes and window counts of an unfold (no parameters): ``(N, C, *in_size)`` to
    ``(N, C * K, L)``.

    The windows are a convolution's: per dimension ``floor((in + before + after -
    dilation * (kernel - 1) - 1) / stride) + 1`` of them, and ``L`` is their product;
    ``K = prod(kernel_size)``.  The arguments are in PyTorch's order (``F.unfold``).

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C, *in_size)``, any number of spatial dimensions (PyTorch: images only).
    kernel_size, dilation, stride : int or tuple of int
        An int stands for every spatial dimension of ``input_shape``.
    padding : int, tuple of int, or tuple of (before, after) pairs

    Returns
    -------
    ShapeReport
        Each dimension carries its ``window_count`` (also its ``output_size``) and the
        cells past its last window (``uncovered``); the notes say how the rows and columns
        are laid out.  A dimension with no window is a problem in the op's own words.

    Examples
    --------
    >>> report = unfold_report((1, 3, 32, 32), 3, padding=1)
    >>> report.output_shape, [dim.window_count for dim in report.dimensions]
    ((1, 27, 1024), [32, 32])
    >>> print(report.dimensions[0].formula)
    floor((32 + 2*1 - 1*(3-1) - 1) / 1) + 1 = floor(31 / 1) + 1 = 32
    >>> print(*unfold_report((1, 1, 4), 5).problems)
    window positions along spatial dimension 0 would be 0, but must be at least 1:
    floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = floor((4 +
    0 + 0 - 1*(5-1) - 1) / 1) + 1 = 0; the dilated kernel spans 5 cells but the padded
    input has 4
    """
    input_shape, ndim = _split_input(input_shape)
    N, C, *in_size = input_shape
    kernel_size, dilation, pairs, stride = _window_hyperparameters(ndim, kernel_size,
                                                                   dilation, padding, stride)
    problems = []
    _passes(problems, "", unfold_geometry, tuple(in_size), kernel_size, dilation, pairs,
            stride)
    dimensions = _window_dimensions(in_size, kernel_size, stride, pairs, dilation,
                                    counts_as_output=True)
    taps = math.prod(kernel_size)
    windows = math.prod(dim.window_count for dim in dimensions)
    notes = [f"rows: C*K = {C} * {_product_text(kernel_size)} = {C * taps:,}, channel-major: "
             f"row c*K + tap holds channel c's kernel tap (the taps row-major over "
             f"{_shape_text(kernel_size)})",
             f"columns: {_equation('L', [dim.window_count for dim in dimensions])}, one per "
             f"window position, row-major",
             f"a convolution with this kernel is its weight as a (C_out, {C * taps:,}) matrix "
             f"times these columns, the product reshaped to (N, C_out, "
             f"{', '.join(str(dim.window_count) for dim in dimensions)})"]
    notes += _window_notes(dimensions, "unfold")
    return _finish("unfold", input_shape, (N, C * taps), dimensions, _size_formula("floor"),
                   0, "0 (unfold copies cells; it has no weights)", problems, notes,
                   trailing=(windows,))


def fold_report(input_shape, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Shapes and window counts of a fold (no parameters): ``(N, C * K, L)`` to
    ``(N, C, *output_size)``.

    The spatial rank is ``output_size``'s (an int is 2-D, as in PyTorch's ``F.fold``).  The
    input must be what :func:`unfold_report` gives for an array of ``output_size``: rows a
    whole number ``C`` of channels of ``K = prod(kernel_size)`` taps, and ``L`` columns,
    one per window position.

    Parameters
    ----------
    input_shape : tuple of int
        ``(N, C * K, L)``.
    output_size : int or tuple of int
    kernel_size, dilation, stride : int or tuple of int
        An int stands for every spatial dimension of ``output_size``.
    padding : int, tuple of int, or tuple of (before, after) pairs

    Returns
    -------
    ShapeReport
        Each dimension's ``in_size`` and ``output_size`` are its ``output_size``, with its
        ``window_count`` and the cells past its last window (``uncovered``).  A wrong
        ``L`` or a row count that ``K`` does not divide is a problem in the op's words.

    Examples
    --------
    >>> report = fold_report((1, 27, 1024), (32, 32), 3, padding=1)
    >>> report.output_shape
    (1, 3, 32, 32)
    >>> print(*fold_report((1, 27, 1000), 32, 3, padding=1).problems)
    input has L = 1000 columns (its last axis), but output_size=(32, 32) holds 32 * 32 = 1024
    window positions of kernel_size=(3, 3) with dilation=(1, 1), padding=((1, 1), (1, 1)),
    stride=(1, 1): one column per window
    """
    input_shape = input_sizes(input_shape)
    if len(input_shape) != 3:
        raise ValueError(f"input shape {input_shape} must be (N, C * K, L), the columns "
                         f"unfold makes: 3 sizes, each at least 1")
    N, rows, columns = input_shape
    ndim = unfold_spatial_dims(output_size, "output_size")
    out_size = int_tuple(output_size, ndim, "output_size", minimum=0)
    kernel_size, dilation, pairs, stride = _window_hyperparameters(ndim, kernel_size,
                                                                   dilation, padding, stride)
    problems = []
    _passes(problems, "", fold_geometry, (rows, columns), out_size, kernel_size, dilation,
            pairs, stride)
    dimensions = _window_dimensions(out_size, kernel_size, stride, pairs, dilation,
                                    counts_as_output=False)
    taps = math.prod(kernel_size)
    windows = math.prod(dim.window_count for dim in dimensions)
    notes = []
    if rows % taps == 0:
        notes.append(f"rows: {rows:,} = C * K with K = {_product_text(kernel_size)} = "
                     f"{taps:,}: C = {rows // taps:,} channels")
    if columns == windows:
        notes.append(f"columns: {_equation('L', [dim.window_count for dim in dimensions])},"
                     f" one per window position, row-major")
    notes += _window_notes(dimensions, "fold")
    if any(pair != (0, 0) for pair in pairs):
        notes.append("column cells that land on the padding are dropped")
    return _finish("fold", input_shape, (N, rows // taps), dimensions,
                   "floor((out + 2*padding - dilation*(kernel-1) - 1) / stride) + 1, out "
                   "being output_size", 0, "0 (fold adds columns up; it has no weights)",
                   problems, notes)


def _window_hyperparameters(ndim, kernel_size, dilation, padding, stride):
    """Unfold's and fold's hyperparameters, one per dimension (an int for all of them)."""
    return (int_tuple(kernel_size, ndim, "kernel_size", minimum=1),
            int_tuple(dilation, ndim, "dilation", minimum=1), padding_pairs(padding, ndim),
            int_tuple(stride, ndim, "stride", minimum=1))


def _window_dimensions(sizes, kernel_size, stride, pairs, dilation, counts_as_output):
    """Per dimension: the windows' count and formula over ``sizes`` (unfold's input, fold's
    output), and the cells past the last window."""
    dimensions = []
    for name, n, k, s, pair, d in zip(dimension_names(len(sizes)), sizes, kernel_size,
                                      stride, pairs, dilation):
        count = conv_output_size(n, k, s, pair, d)
        reach = (count - 1) * s - pair[0] + effective_kernel_size(k, d) if count >= 1 else 0
        dimensions.append(DimensionReport(
            name, n, k, s, pair, d, effective_kernel_size(k, d),
            count if counts_as_output else n, _rounded_formula("floor", n, k, s, pair, d, count),
            window_count=count, uncovered=max(n - reach, 0) if count >= 1 else 0))
    return dimensions


def _windows_overlap(count, kernel_size, stride, dilation):
    """Whether two of ``count`` windows along one dimension have a tap on the same position
    (of the padded input).

    Window ``i``'s tap ``t`` lands on ``i * stride + t * dilation``; two windows ``a``
    apart meet where ``a * stride = b * dilation`` for a tap gap ``b``.  The smallest such
    pair is ``a = dilation / g``, ``b = stride / g`` with ``g = gcd(stride, dilation)``, so
    they meet if that many windows exist and the kernel has that many taps.
    """
    g = math.gcd(stride, dilation)
    return dilation // g <= count - 1 and stride // g <= kernel_size - 1


def _window_notes(dimensions, op):
    """Where windows share positions (and so add up), the cells between windows and past
    the last one, and PyTorch's images-only rule."""
    notes = []
    shared = [dim.name for dim in dimensions if dim.window_count >= 1 and _windows_overlap(
        dim.window_count, dim.kernel_size, dim.stride, dim.dilation)]
    if shared:
        what = ("a cell there is copied into each window's column (the padding as zeros), "
                "and its gradient is the sum over the copies" if op == "unfold" else
                "fold adds up the values that land on one cell")
        notes.append(f"windows share positions along {', '.join(shared)}: {what}")
    for dim in dimensions:
        if dim.window_count >= 2 and dim.stride > dim.effective_kernel:
            notes.append(f"{dim.name}: stride {dim.stride} > the kernel's span "
                         f"{dim.effective_kernel}: {dim.stride - dim.effective_kernel:,} "
                         f"cell(s) between neighbouring windows lie in none")
        if dim.uncovered:
            what = ("unfold never reads them (their gradient is 0)" if op == "unfold" else
                    "fold leaves them 0")
            notes.append(f"{dim.name}: the last {dim.uncovered:,} cell(s) lie past the last "
                         f"window: {what}")
    if len(dimensions) != 2:
        notes.append(f"PyTorch's F.{op} works on images only (2 spatial dimensions); npconv "
                     f"takes any number")
    return notes


def _equation(name, factors):
    """``L = 32*32 = 1,024``, or ``L = 5`` for one factor."""
    if len(factors) == 1:
        return f"{name} = {factors[0]:,}"
    return f"{name} = {_product_text(factors)} = {math.prod(factors):,}"


def _product_text(values):
    """``3*3 = 9``-style factors: ``"3*3"``, or the one value."""
    return "*".join(str(v) for v in values)


def _shape_text(sizes):
    return "x".join(str(v) for v in sizes)
