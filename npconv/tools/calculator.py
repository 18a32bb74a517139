"""The shape calculator: every number of a layer's geometry, with the formula that gives it.

Cheat sheet: "Calculate output's dimension", "Padding", "Dilated Convolution", "Transposed
Convolution" and the parameter count.  Each function here takes one layer's hyperparameters
and an input shape ``(N, C, *spatial)`` and returns a :class:`ShapeReport`: the output
shape, and per spatial dimension the output-size formula with the numbers substituted, the
effective (dilated) kernel, and what "same" padding, a target size or ``ceil_mode`` would
need.  Nothing here computes an array; every formula comes from :mod:`npconv.shapes`.
``npconv shape`` prints these reports.

A configuration with no valid output is not an error here: the report lists, per
dimension, why (``report.problems``), so that a caller can explain all of them at once.

Examples
--------
>>> report = conv_report((1, 3, 32, 32), out_channels=16, kernel_size=3, stride=2,
...                      padding=1, dilation=2)
>>> report.output_shape, report.parameters
((1, 16, 15, 15), 448)
>>> print(report.dimensions[0].formula)
floor((32 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(29 / 2) + 1 = 15
"""

from typing import NamedTuple

from ..shapes import (
    ceil_mode_window_counts,
    conv_output_size,
    conv_parameter_count,
    conv_transpose_output_size,
    effective_kernel_size,
    int_tuple,
    output_padding_for,
    output_padding_limit,
    padding_pairs,
    pool_output_size,
    pool_padding_limit,
    pool_window_counts,
    same_padding,
    window_taps,
)

__all__ = [
    "DimensionReport",
    "ShapeReport",
    "Window",
    "conv_report",
    "conv_transpose_report",
    "dimension_names",
    "pool_report",
]


class Window(NamedTuple):
    """One pooling window along one dimension, placed on the padded input."""

    index: int
    """Which output cell it computes."""
    taps: tuple
    """Input positions it would read (negative or ``>= in_size``: padding or overhang)."""
    in_input: int
    """How many taps land on real input cells."""
    in_padding: int
    """How many taps land on the zero padding."""
    kept: bool
    """Whether the output keeps it (``ceil_mode`` keeps a partial last window only if it
    starts on an input or left-padding cell)."""


class DimensionReport(NamedTuple):
    """The geometry of one spatial dimension of a layer."""

    name: str
    """``"L"`` (1-D), ``"H"``, ``"W"`` (2-D) or ``"D"``, ``"H"``, ``"W"`` (3-D)."""
    in_size: int
    kernel_size: int
    stride: int
    padding: tuple
    """``(before, after)``."""
    dilation: int
    effective_kernel: int
    """``dilation * (kernel_size - 1) + 1``: the cells the kernel spans."""
    output_size: int
    """May be below 1 when the configuration has no valid output."""
    formula: str
    """The output-size formula with this dimension's numbers substituted."""
    same_padding: tuple | None = None
    """Convolution only: the ``(before, after)`` padding giving ``ceil(in / stride)``."""
    output_padding: int | None = None
    """Transposed convolution with a target size: the output_padding that reaches it."""
    windows: tuple = ()
    """Pooling with ``ceil_mode``: the windows beyond the floor-mode output, kept or not."""
    divisors: tuple = ()
    """Average pooling: each window's divisor along this dimension."""


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


def dimension_names(ndim):
    """The letters of the spatial dimensions.

    Examples
    --------
    >>> dimension_names(1), dimension_names(3)
    (('L',), ('D', 'H', 'W'))
    """
    if ndim == 1:
        return ("L",)
    if ndim in (2, 3):
        return ("D", "H", "W")[3 - ndim:]
    return tuple(f"dim{i}" for i in range(ndim))


def _split_input(input_shape):
    input_shape = tuple(int(v) for v in input_shape)
    if len(input_shape) < 3 or any(v < 1 for v in input_shape):
        raise ValueError(f"input shape {input_shape} must be (N, C, *spatial) with at least "
                         f"one spatial dimension and every size at least 1")
    return input_shape, len(input_shape) - 2


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


def _groups_problems(C_in, C_out, groups):
    problems = []
    if groups < 1:
        problems.append(f"groups={groups} must be at least 1")
    else:
        if C_in % groups:
            problems.append(f"groups={groups} must divide the input channels C_in={C_in}")
        if C_out % groups:
            problems.append(f"groups={groups} must divide the output channels "
                            f"C_out={C_out}")
    return problems


def _parameters(C_in, C_out, kernel_size, groups, bias):
    if groups < 1 or C_in % groups:
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
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    same = tuple(same_padding(n, k, s, d)
                 for n, k, s, d in zip(in_size, kernel_size, stride, dilation))
    if padding == "same":
        pairs = same
    elif padding == "valid":
        pairs = padding_pairs(0, ndim)
    else:
        pairs = padding_pairs(padding, ndim)
    problems = _groups_problems(C_in, out_channels, groups)
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
                          output_padding=0, dilation=1, groups=1, bias=True, target=None):
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
        that reaches them (or says why none does).

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
    """
    input_shape, ndim = _split_input(input_shape)
    N, C_in, *in_size = input_shape
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    pairs = padding_pairs(padding, ndim)
    problems = _groups_problems(C_in, out_channels, groups)
    if target is None:
        output_padding = int_tuple(output_padding, ndim, "output_padding", minimum=0)
        found = (None,) * ndim
    else:
        target = int_tuple(target, ndim, "target", minimum=1)
        found = []
        for name, t, n, k, s, pair, d in zip(dimension_names(ndim), target, in_size,
                                             kernel_size, stride, pairs, dilation):
            try:
                found.append(output_padding_for(t, n, k, s, pair, d))
            except ValueError as error:
                problems.append(f"{name}: {error}")
                found.append(None)
        output_padding = tuple(0 if op is None else op for op in found)
    dimensions = []
    for name, n, k, s, pair, op, d, op_found in zip(dimension_names(ndim), in_size,
                                                    kernel_size, stride, pairs,
                                                    output_padding, dilation, found):
        if op >= output_padding_limit(s, d):
            problems.append(f"{name}: output_padding={op} must be smaller than stride ({s}) "
                            f"or dilation ({d})")
        out = conv_transpose_output_size(n, k, s, pair, op, d)
        formula = (f"({n} - 1)*{s} - {_padding_text(pair)} + {d}*({k}-1) + {op} + 1 = {out}")
        if out < 1:
            problems.append(f"{name}: output size {out} < 1: the padding "
                            f"{pair[0]} + {pair[1]} crops more than the "
                            f"{out + pair[0] + pair[1]} cells the kernel spreads over")
        dimensions.append(DimensionReport(name, n, k, s, pair, d, effective_kernel_size(k, d),
                                          out, formula, output_padding=op_found))
    parameters, parameter_formula = _parameters(C_in, out_channels, kernel_size, groups, bias)
    notes = [("the weight is (C_in, C_out // groups, *kernel_size), the count is the same as "
             "a conv's")]
    if any(s > 1 for s in stride) and target is None:
        notes.append("a strided conv maps several sizes to the same one; output_padding "
                     "(or --target) picks which one comes back")
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
    >>> window.taps, window.in_input, window.kept
    ((4, 5), 1, True)
    >>> report.dimensions[0].divisors        # the last window holds one cell
    (2, 2, 1)
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
    for name, n, k, s, pair, d in zip(dimension_names(ndim), in_size, kernel_size, stride,
                                      pairs, dilation):
        limit = pool_padding_limit(k)
        if max(pair) > limit:
            problems.append(f"{name}: padding {pair} must be at most half the kernel, "
                            f"kernel_size // 2 = {limit} (PyTorch's rule)")
        out = pool_output_size(n, k, s, pair, d, ceil_mode)
        rounded = ceil_mode_window_counts(n, k, s, pair, d)[0] if ceil_mode else out
        formula = _rounded_formula(rounding, n, k, s, pair, d, rounded)
        if rounded != out:
            last_start = window_taps(rounded - 1, k, s, pair[0], d).start
            formula += (f", minus the last window, which would start at {last_start}, past "
                        f"the input and its left padding: {out}")
        if out < 1:
            problems.append(_too_small(name, n, k, pair, d, out))
        windows = _windows(n, k, s, pair, d, rounded, out) if out >= 1 else ()
        for window in windows:
            if window.kept and window.in_input == 0:
                problems.append(f"{name}: window {window.index} holds no input cell: its "
                                f"taps fall on {window.taps}, outside 0..{n - 1}")
        divisors = ()
        if kind == "avg" and out >= 1:
            with_padding, without_padding = pool_window_counts(n, k, s, pair, out)
            divisors = tuple(int(v) for v in
                             (with_padding if count_include_pad else without_padding))
        dimensions.append(DimensionReport(
            name, n, k, s, pair, d, effective_kernel_size(k, d), out, formula,
            windows=tuple(w for w in windows if w.index >= pool_output_size(n, k, s, pair, d)),
            divisors=divisors))
    notes = ["a pooling layer has no parameters"]
    if kind == "avg":
        notes.append("the divisor of an N-d window is the product of its per-dimension "
                      "divisors; " + ("count_include_pad counts the zero padding, never the "
                                      "ceil_mode overhang" if count_include_pad else
                                      "count_include_pad=False counts real input cells only"))
    return _finish(f"{kind}_pool{ndim}d", input_shape, (N, C), dimensions,
                   _size_formula(rounding), 0, "0 (pooling has no weights)", problems, notes)


def _windows(n, k, s, pair, d, candidates, kept):
    """The first ``candidates`` windows of one dimension; the first ``kept`` are kept."""
    before, after = pair
    windows = []
    for i in range(max(candidates, 0)):
        taps = tuple(window_taps(i, k, s, before, d))
        in_input = sum(0 <= tap < n for tap in taps)
        in_padding = sum(-before <= tap < 0 or n <= tap < n + after for tap in taps)
        windows.append(Window(i, taps, in_input, in_padding, i < kept))
    return windows


def _finish(op, input_shape, leading, dimensions, size_formula, parameters, parameter_formula,
            problems, notes):
    valid = not problems
    output_shape = (*leading, *(dim.output_size for dim in dimensions)) if valid else None
    return ShapeReport(op, input_shape, output_shape, tuple(dimensions), parameters,
                       parameter_formula, tuple(problems), tuple(notes), size_formula)
