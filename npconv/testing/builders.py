"""One builder per op: a complete, valid case drawn by construction, never by filtering.

Each builder draws the hyperparameters first (kernel, stride, dilation, padding) and then
*derives* input sizes that are sure to give a valid call, so nothing is thrown away.  It
makes every choice through the drawing interface of :mod:`npconv.testing.draw`, so the
same builder serves hypothesis (:mod:`npconv.testing.strategies`) and a seeded NumPy
generator (the vectors sweep).  Arrays stay small; stride, padding and dilation always
range above their defaults.

A builder returns ``(arguments, facts)``: the op's arguments by name, and the facts the
builder knows by construction (the padding as ``(before, after)`` pairs, output sizes, ...)
so that a test can compute its expectation from them.  The facts are worked out here with
their own arithmetic, never with npconv's, so that they are an independent description.

Common keyword bounds
---------------------
ndims : sequence of int
    The spatial ranks to draw from (default 1, 2 and 3).
max_kernel : int
    The largest kernel size per dimension (3-D and higher cases use at most 2).
max_extra : int
    How many cells an input may have beyond the smallest valid size (3-D and higher: half
    of it).
max_batch, min_batch : int
    The batch size ``N`` is drawn from ``min_batch`` to ``max_batch``; 0 gives empty batches.
max_channels : int
    Channels per group.
dtype : dtype or sequence of dtypes
    The arrays' dtype, or several to draw from.
values : str or function
    What the input holds: a name from :data:`npconv.testing.values.VALUES` or a function
    ``(draw, shape, dtype) -> array``.
torch_compatible : bool
    Draw only what PyTorch's functional op accepts, and only the arguments it takes (see
    each builder); the dtype must then be floating (else a ``ValueError``).
"""

import inspect
import math
from fractions import Fraction

import numpy as np

from .values import normal, values_maker

__all__ = ["conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool",
           "adaptive_avg_pool", "adaptive_max_pool", "lp_pool", "unfold", "fold",
           "PADDING_MODES", "NORM_TYPES", "check_bounds", "span", "as_pairs", "same_pairs",
           "fraction_window", "lp_window_count", "unpool_default_size", "window_count",
           "conv_transpose_smallest_size"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

NORM_TYPES = (1, 2, 3, 1.5, 0.5, -1, -2, 4, math.inf, -math.inf)
"""Powers for lp_pool: integers and fractions, negative ones, and both infinities."""


# --------------------------------------------------------------------------------------------
# The builders' own arithmetic (independent of npconv's, on purpose)
# --------------------------------------------------------------------------------------------

def span(kernel_size, dilation):
    """Cells covered by a dilated kernel: ``dilation * (kernel_size - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


def as_pairs(padding, ndim):
    """A padding spec (int, ints or pairs) as ``((before, after), ...)``."""
    if isinstance(padding, int):
        return ((padding, padding),) * ndim
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)


def same_pairs(in_size, kernel_size, stride, dilation):
    """'same' padding from its definition: output ``ceil(in / stride)``, odd cell at the end."""
    pairs = []
    for n, k, s, d in zip(in_size, kernel_size, stride, dilation):
        out = -(-n // s)
        total = max((out - 1) * s + span(k, d) - n, 0)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


def fraction_window(i, in_size, out_size):
    """Adaptive window ``i``: ``floor(i * in / out)`` to ``ceil((i + 1) * in / out)``, exactly."""
    return (math.floor(Fraction(i * in_size, out_size)),
            math.ceil(Fraction((i + 1) * in_size, out_size)))


def lp_window_count(in_size, kernel_size, stride, ceil_mode):
    """Windows PyTorch places along one dimension with no padding, found by walking them."""
    count = 0
    while count * stride + kernel_size <= in_size:       # windows that fit
        count += 1
    covered = (count - 1) * stride + kernel_size if count else 0
    if ceil_mode and covered < in_size and count * stride < in_size:
        count += 1                                       # one more, cut short, starting inside
    return count


def unpool_default_size(in_size, kernel_size, stride, before, after):
    """Max unpooling's default size, written out: ``(in - 1) * stride - before - after + k``."""
    return (in_size - 1) * stride - before - after + kernel_size


def conv_transpose_smallest_size(in_size, kernel_size, stride, before, after, dilation):
    """A transposed convolution's size with ``output_padding`` 0:
    ``(in - 1) * stride - before - after + dilation * (kernel_size - 1) + 1``."""
    return (in_size - 1) * stride - before - after + span(kernel_size, dilation)


def window_count(size, kernel_size, stride, before, after, dilation):
    """Windows of a kernel along one dimension, written out as PyTorch's ``F.unfold``
    documents them: ``floor((size + before + after - dilation * (kernel - 1) - 1) / stride) + 1``."""
    return (size + before + after - span(kernel_size, dilation)) // stride + 1


# --------------------------------------------------------------------------------------------
# The bounds a caller gives
# --------------------------------------------------------------------------------------------

_LEAST = {"max_kernel": 1, "max_extra": 0, "min_batch": 0, "max_channels": 1, "max_groups": 1}
"""The smallest value of each integer bound (``max_batch`` is at least ``min_batch``)."""


def check_bounds(builder, bounds):
    """A ``TypeError`` or ``ValueError`` naming the first bad keyword bound of ``builder``.

    The builders draw every size between a bound and its default, so a bound that leaves
    nothing to draw (``max_kernel=0``, ``ndims=()``, ``max_batch`` below ``min_batch``) or
    that lets through a case the op refuses (``ndims`` with a rank below 1, a padding mode
    npconv has not, a rank PyTorch has not with ``torch_compatible``) is refused here, by
    name, before anything is drawn.  An unknown bound is left to the call (a TypeError).

    Examples
    --------
    >>> check_bounds(conv, {"ndims": (2,), "max_batch": 3})
    >>> check_bounds(conv, {"max_batch": 0})
    Traceback (most recent call last):
    ...
    ValueError: max_batch=0 must be an int >= min_batch=1 (pass min_batch=0 for empty batches)
    """
    defaults = {name: parameter.default for name, parameter in
                inspect.signature(builder).parameters.items()
                if parameter.default is not inspect.Parameter.empty}
    given = {**defaults, **bounds}
    ndims = given.get("ndims", ())
    if isinstance(ndims, (str, bytes)) or not hasattr(ndims, "__iter__"):
        raise TypeError(f"ndims={ndims!r} must be a sequence of spatial ranks, e.g. (1, 2)")
    ndims = tuple(ndims)
    if not all(_is_int(n) for n in ndims):
        raise TypeError(f"ndims={ndims!r} must hold ints (spatial ranks)")
    if not ndims or min(ndims) < 1:
        raise ValueError(f"ndims={ndims!r} must hold one or more ints >= 1 (spatial ranks)")
    if given.get("torch_compatible") and max(ndims) > 3:
        raise ValueError(f"ndims={ndims!r}: torch_compatible cases are 1-, 2- or 3-D "
                         f"(PyTorch's functional ops have no higher rank)")
    for name in (*_LEAST, "max_batch"):
        if name in given and not _is_int(given[name]):
            raise TypeError(f"{name}={given[name]!r} must be an int, not a "
                            f"{type(given[name]).__name__}")
    for name, low in _LEAST.items():
        if name in given and given[name] < low:
            raise ValueError(f"{name}={given[name]!r} must be an int >= {low}")
    if "max_batch" in given and given["max_batch"] < given["min_batch"]:
        raise ValueError(f"max_batch={given['max_batch']!r} must be an int >= min_batch="
                         f"{given['min_batch']} (pass min_batch=0 for empty batches)")
    for name in ("padding_modes", "norm_types", "ceil_modes"):
        if name in given and not tuple(given[name]):
            raise ValueError(f"{name}={given[name]!r} must hold at least one option")
    unknown = [mode for mode in given.get("padding_modes", ()) if mode not in PADDING_MODES]
    if unknown:
        raise ValueError(f"padding_modes={given['padding_modes']!r}: {unknown} not among "
                         f"{PADDING_MODES}")


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------
# Shared draws
# --------------------------------------------------------------------------------------------

def _dtype(draw, dtype, torch_compatible=False):
    """One dtype: ``dtype`` itself, or one drawn from a sequence of them.

    ``torch_compatible`` refuses a dtype that is not floating: PyTorch's pooling and unfold
    refuse integer tensors, and an integer tensor has no gradient to compare.
    """
    options = list(dtype) if isinstance(dtype, (list, tuple)) else [dtype]
    if torch_compatible:
        refused = [np.dtype(d).name for d in options if np.dtype(d).kind != "f"]
        if refused:
            raise ValueError(f"dtype={dtype!r}: torch_compatible cases need a floating dtype "
                             f"(PyTorch's pooling refuses integer tensors, and they have no "
                             f"gradient), not {', '.join(refused)}")
    if isinstance(dtype, (list, tuple)):
        return np.dtype(draw.sampled_from(dtype))
    return np.dtype(dtype)


def _limits(draw, ndims, max_kernel, max_extra):
    """The rank, and the kernel and extra-size bounds for it (3-D and higher stay tiny)."""
    ndim = draw.sampled_from(ndims)
    small = ndim >= 3
    return ndim, (min(max_kernel, 2) if small else max_kernel), (max_extra // 2 if small
                                                                  else max_extra)


def _ints(draw, ndim, low, high):
    return tuple(draw.integers(low, high) for _ in range(ndim))


def _padding_spec(draw, ndim, max_pad, asymmetric):
    """An int, one int per dimension, or (if ``asymmetric``) one (before, after) pair each."""
    kind = draw.sampled_from(["int", "ints", "pairs"] if asymmetric else ["int", "ints"])
    if kind == "int":
        return draw.integers(0, max_pad)
    if kind == "ints":
        return _ints(draw, ndim, 0, max_pad)
    return tuple((draw.integers(0, max_pad), draw.integers(0, max_pad)) for _ in range(ndim))


def _pool_pairs(draw, kernel_size, asymmetric):
    """Pooling padding of at most ``kernel_size // 2`` per side, as pairs or symmetric ints."""
    pairs = tuple((draw.integers(0, k // 2), draw.integers(0, k // 2)) for k in kernel_size)
    symmetric = tuple(b for b, _ in pairs)
    return draw.sampled_from([pairs, symmetric] if asymmetric else [symmetric])


def _pool_stride(draw, ndim):
    """A pooling stride: ``None`` (the kernel size) or one int from 1 to 3 per dimension."""
    if draw.sampled_from([None, "drawn"]) is None:
        return None
    return _ints(draw, ndim, 1, 3)


def _batch(draw, min_batch, max_batch):
    return draw.integers(min_batch, max_batch)


# --------------------------------------------------------------------------------------------
# Convolution and transposed convolution
# --------------------------------------------------------------------------------------------

def conv(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
         max_channels=2, dtype=np.float64, values=normal, padding_modes=PADDING_MODES,
         padding_strings=True, asymmetric=True, max_groups=2, torch_compatible=False):
    """A valid ``npconv.conv`` call, and its padding as pairs (``facts["pairs"]``).

    Features: ``padding_modes`` (drawn from), ``padding_strings`` ('same' and 'valid'),
    ``asymmetric`` ((before, after) pairs), ``max_groups`` (1 for no groups).

    ``torch_compatible``: ``F.conv{1,2,3}d`` takes no ``padding_mode`` (only the ``Conv``
    layers do), so the case has none and pads with zeros; padding is symmetric; ``'same'``
    comes only with stride 1.
    """
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    if torch_compatible:
        padding_modes, asymmetric = ("zeros",), False
    ndim, max_kernel, max_extra = _limits(draw, ndims, max_kernel, max_extra)
    groups = draw.integers(1, max_groups)
    C_in = groups * draw.integers(1, max_channels)
    C_out = groups * draw.integers(1, max_channels)
    kernel_size = _ints(draw, ndim, 1, max_kernel)
    form = draw.sampled_from(["spec", "same", "valid"] if padding_strings else ["spec"])
    one_stride = form == "same" and torch_compatible
    stride = (1,) * ndim if one_stride else _ints(draw, ndim, 1, max_kernel)
    dilation = _ints(draw, ndim, 1, 2)
    padding_mode = draw.sampled_from(padding_modes)
    padding = _padding_spec(draw, ndim, 2, asymmetric) if form == "spec" else form

    fixed_pairs = None if isinstance(padding, str) else as_pairs(padding, ndim)
    in_size = []
    for i in range(ndim):
        before, after = fixed_pairs[i] if fixed_pairs else (0, 0)
        # 'same' may pad up to span - 1 on either side: size it for the widest case.
        widest = span(kernel_size[i], dilation[i]) if padding == "same" else max(before, after)
        smallest = max(span(kernel_size[i], dilation[i]) - before - after, 1)
        if padding_mode == "reflect":
            smallest = max(smallest, widest + 1)
        elif padding_mode == "circular":
            smallest = max(smallest, widest)
        in_size.append(draw.integers(smallest, smallest + max_extra))
    in_size = tuple(in_size)
    if padding == "same":
        pairs = same_pairs(in_size, kernel_size, stride, dilation)
    elif padding == "valid":
        pairs = ((0, 0),) * ndim
    else:
        pairs = fixed_pairs

    N = _batch(draw, min_batch, max_batch)
    arguments = {
        "input": make(draw, (N, C_in, *in_size), dtype),
        "weight": normal(draw, (C_out, C_in // groups, *kernel_size), dtype),
        "bias": normal(draw, (C_out,), dtype) if draw.booleans() else None,
        "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
    }
    if not torch_compatible:
        arguments["padding_mode"] = padding_mode
    return arguments, {"pairs": pairs}


def conv_transpose(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2,
                   min_batch=1, max_channels=2, dtype=np.float64, values=normal,
                   asymmetric=True, max_groups=2, output_sizes=True, torch_compatible=False):
    """A valid ``npconv.conv_transpose`` call, and its padding as pairs.

    ``output_padding`` ranges up to its limit, ``max(stride, dilation) - 1`` (so it may exceed
    the stride where the dilation is larger).  With ``output_sizes`` the case sometimes
    gives an ``output_size`` instead (the spatial size, or ``(N, C_out, *spatial)``), as
    PyTorch's ``ConvTranspose*d.forward(input, output_size)`` takes it: anywhere from the
    smallest size (``output_padding`` 0) to ``stride - 1`` more, and at least 1; the facts
    then hold the spatial ``out_size``.  ``torch_compatible``: symmetric padding, and no
    ``output_size`` (``F.conv_transpose{1,2,3}d`` takes none; only the layers' forward does).
    """
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    asymmetric = asymmetric and not torch_compatible
    ndim, max_kernel, max_extra = _limits(draw, ndims, max_kernel, max_extra)
    groups = draw.integers(1, max_groups)
    C_in = groups * draw.integers(1, max_channels)
    C_out = groups * draw.integers(1, max_channels)
    kernel_size = _ints(draw, ndim, 1, max_kernel)
    stride = _ints(draw, ndim, 1, 3)
    dilation = _ints(draw, ndim, 1, 2)
    output_padding = tuple(draw.integers(0, max(s, d) - 1) for s, d in zip(stride, dilation))
    form = draw.sampled_from(["output_padding", "spatial", "with N and C"]
                             if output_sizes and not torch_compatible else ["output_padding"])
    if form != "output_padding":     # output_size reaches stride - 1 above the smallest size
        output_padding = tuple(min(extra, s - 1) for extra, s in zip(output_padding, stride))
    padding = _padding_spec(draw, ndim, 2, asymmetric)
    pairs = as_pairs(padding, ndim)
    in_size = []
    for i in range(ndim):
        # out = (in - 1) * s - before - after + span + op >= 1
        before, after = pairs[i]
        need = before + after + 1 - span(kernel_size[i], dilation[i]) - output_padding[i]
        smallest = max(1, -(-need // stride[i]) + 1)
        in_size.append(draw.integers(smallest, smallest + max(max_extra - 1, 1)))
    N = _batch(draw, min_batch, max_batch)
    arguments = {
        "input": make(draw, (N, C_in, *in_size), dtype),
        "weight": normal(draw, (C_in, C_out // groups, *kernel_size), dtype),
        "bias": normal(draw, (C_out,), dtype) if draw.booleans() else None,
        "stride": stride, "padding": padding, "output_padding": output_padding,
        "groups": groups, "dilation": dilation,
    }
    facts = {"pairs": pairs}
    if form != "output_padding":
        del arguments["output_padding"]
        out_size = []
        for n, k, s, (before, after), d in zip(in_size, kernel_size, stride, pairs, dilation):
            smallest = conv_transpose_smallest_size(n, k, s, before, after, d)
            out_size.append(draw.integers(max(smallest, 1), smallest + s - 1))
        arguments["output_size"] = (tuple(out_size) if form == "spatial" else
                                    (N, C_out, *out_size))
        facts["out_size"] = tuple(out_size)
    return arguments, facts


# --------------------------------------------------------------------------------------------
# Max and average pooling
# --------------------------------------------------------------------------------------------

def _pool(draw, kind, ndims, max_kernel, max_extra, max_batch, min_batch, max_channels, dtype,
          values, asymmetric, ceil_modes, torch_compatible):
    """What max and average pooling share: the windows, the padding and the input."""
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    asymmetric = asymmetric and not torch_compatible
    ndim, max_kernel, max_extra = _limits(draw, ndims, max_kernel, max_extra)
    kernel_size = _ints(draw, ndim, 1, max_kernel)
    stride = _pool_stride(draw, ndim)
    dilation = _ints(draw, ndim, 1, 2) if kind == "max" else (1,) * ndim
    padding = _pool_pairs(draw, kernel_size, asymmetric)
    pairs = as_pairs(padding, ndim)
    # At least `dilation` cells: no window can then fall wholly on padding.  PyTorch's 3-D
    # average pooling (and power-average pooling) also wants the kernel to fit the input.
    fits_kernel = torch_compatible and kind == "avg" and ndim == 3
    in_size = tuple(
        draw.integers(smallest, smallest + max_extra)
        for smallest in (max(k if fits_kernel else 1, span(k, d) - b - a, d)
                         for k, d, (b, a) in zip(kernel_size, dilation, pairs)))
    N = _batch(draw, min_batch, max_batch)
    C = draw.integers(1, max_channels)
    arguments = {"input": make(draw, (N, C, *in_size), dtype), "kernel_size": kernel_size,
                 "stride": stride, "padding": padding}
    if kind == "max":
        arguments["dilation"] = dilation
    arguments["ceil_mode"] = draw.sampled_from(ceil_modes)
    return arguments, {"pairs": pairs}, ndim


def max_pool(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
             max_channels=2, dtype=np.float64, values=normal, asymmetric=True,
             ceil_modes=(False, True), return_indices=True, torch_compatible=False):
    """A valid ``npconv.max_pool`` call, and its padding as pairs.

    Padding is at most ``kernel_size // 2`` per side (PyTorch's rule), and the input has at
    least ``dilation`` cells, so every window holds an input cell.  With ``return_indices``
    the case asks for the indices too.  Use ``values="ties"`` for ties, NaN and -inf.
    ``torch_compatible``: symmetric padding.
    """
    arguments, facts, _ = _pool(draw, "max", ndims, max_kernel, max_extra, max_batch,
                                min_batch, max_channels, dtype, values, asymmetric,
                                ceil_modes, torch_compatible)
    if return_indices:
        arguments["return_indices"] = True
    return arguments, facts


def avg_pool(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
             max_channels=2, dtype=np.float64, values=normal, asymmetric=True,
             ceil_modes=(False, True), divisor_override=True, torch_compatible=False):
    """A valid ``npconv.avg_pool`` call, and its padding as pairs.

    ``count_include_pad`` is drawn, and ``divisor_override`` (from 1 to 5, or ``None``)
    unless ``divisor_override=False``.  ``torch_compatible``: symmetric padding; a 3-D
    input at least as large as the kernel (PyTorch's ``avg_pool3d`` refuses a smaller one
    even when padding makes it fit); no ``divisor_override`` argument in 1-D
    (``F.avg_pool1d`` has none).
    """
    arguments, facts, ndim = _pool(draw, "avg", ndims, max_kernel, max_extra, max_batch,
                                   min_batch, max_channels, dtype, values, asymmetric,
                                   ceil_modes, torch_compatible)
    arguments["count_include_pad"] = draw.booleans()
    override = draw.sampled_from([None, "drawn"]) if divisor_override else None
    if override is not None:
        override = draw.integers(1, 5)
    if not (torch_compatible and ndim == 1):
        arguments["divisor_override"] = override
    return arguments, facts


# --------------------------------------------------------------------------------------------
# The rest of the family: max unpooling, adaptive pooling, power-average pooling
# --------------------------------------------------------------------------------------------

def max_unpool(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
               max_channels=2, dtype=np.float64, values=normal, asymmetric=True,
               distinct=False, output_sizes=True, torch_compatible=False):
    """A valid ``npconv.max_unpool`` call, with random indices into the output.

    With ``distinct`` every ``(n, c)`` plane's indices differ (so the forward is linear and
    its backward the exact adjoint); otherwise they are drawn with repeats, often many.
    Padding is at most ``kernel_size // 2`` per side, the input large enough for a default
    size of at least 1, and ``output_size`` (unless ``output_sizes=False``) is ``None``, the
    spatial size or ``(N, C, *spatial)``, within PyTorch's range (and, for ``distinct``, no
    smaller than the input, so that the plane has room).

    Facts: ``pairs``, ``default_size``, ``out_size`` and ``spatial_stride``.
    ``torch_compatible``: symmetric padding and distinct indices (PyTorch leaves the
    survivor of repeated indices undefined).
    """
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    if torch_compatible:
        asymmetric, distinct = False, True
    ndim, max_kernel, max_extra = _limits(draw, ndims, max_kernel, max_extra)
    kernel_size = _ints(draw, ndim, 1, max_kernel)
    stride = _pool_stride(draw, ndim)
    spatial_stride = kernel_size if stride is None else stride
    pairs = []
    for k in kernel_size:
        before = draw.integers(0, k // 2)
        after = draw.integers(0, k // 2)
        if distinct:                               # keep the default size >= the input size
            after = min(after, max(k - 1 - before, 0))
            before = min(before, k - 1)
        pairs.append((before, after))
    pairs = tuple(pairs)
    # symmetric padding of the same draw, capped for distinct indices like the pairs
    symmetric = tuple(min(b, (k - 1) // 2) if distinct else b
                      for (b, _), k in zip(pairs, kernel_size))
    padding = draw.sampled_from([pairs, symmetric] if asymmetric else [symmetric])
    pairs = tuple((p, p) if isinstance(p, int) else p for p in padding)

    in_size, default_size, out_size = [], [], []
    for k, s, (before, after) in zip(kernel_size, spatial_stride, pairs):
        # default = (in - 1) * s - before - after + k >= 1
        need = before + after + 1 - k
        smallest = max(1, -(-need // s) + 1 if need > 0 else 1)
        n = draw.integers(smallest, smallest + max(max_extra - 1, 1))
        in_size.append(n)
        default_size.append(unpool_default_size(n, k, s, before, after))
    kind = draw.sampled_from(["default", "spatial", "with N and C"] if output_sizes
                             else ["default"])
    for n, s, default in zip(in_size, spatial_stride, default_size):
        low = max(default - s + 1, n if distinct else 1)
        out_size.append(default if kind == "default" else draw.integers(low, default + s - 1))
    N = _batch(draw, min_batch, max_batch)
    C = draw.integers(1, max_channels)
    output_size = {"default": None, "spatial": tuple(out_size),
                   "with N and C": (N, C, *out_size)}[kind]

    plane = math.prod(out_size)
    rng = np.random.default_rng(draw.seed())
    shape = (N, C, *in_size)
    if distinct:
        cells = math.prod(in_size)
        indices = np.stack([rng.permutation(plane)[:cells] for _ in range(N * C)]
                           ).reshape(shape) if N else np.zeros(shape, dtype=np.int64)
    else:
        # a few targets only, so that repeats are common
        targets = rng.integers(0, plane, size=max(1, min(plane, 3)))
        indices = np.where(rng.random(shape) < 0.5, rng.choice(targets, size=shape),
                           rng.integers(0, plane, size=shape))
    arguments = {"input": make(draw, shape, dtype), "indices": indices.astype(np.int64),
                 "kernel_size": kernel_size, "stride": stride, "padding": padding,
                 "output_size": output_size}
    facts = {"pairs": pairs, "default_size": tuple(default_size), "out_size": tuple(out_size),
             "spatial_stride": spatial_stride}
    return arguments, facts


def _adaptive(draw, ndims, max_extra, max_batch, min_batch, max_channels, dtype, values,
              divisible, keep, torch_compatible):
    """An input and an ``output_size`` for adaptive pooling, and the spatial output size."""
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    ndim = draw.sampled_from(ndims)
    small = ndim >= 3
    in_size = _ints(draw, ndim, 1, 4 if small else 5 + max_extra)
    if divisible:
        entries = tuple(draw.sampled_from([o for o in range(1, n + 1) if n % o == 0])
                        for n in in_size)
        output_size = entries
    else:
        largest = 5 if small else 10
        # PyTorch's adaptive pooling returns an empty output for a size of 0, but its
        # backward refuses one: torch-compatible sizes start at 1
        smallest = 1 if torch_compatible else 0
        form = draw.sampled_from(["int", "entries"])
        if form == "int":
            output_size = draw.integers(smallest, largest)
            entries = (output_size,) * ndim
        else:
            # PyTorch's 1-D adaptive max pooling takes no None entry
            keeps = keep and not (torch_compatible and ndim == 1)
            entries = tuple(draw.sampled_from([None, "drawn"]) if keeps else "drawn"
                            for _ in range(ndim))
            entries = tuple(None if e is None else draw.integers(smallest, largest)
                            for e in entries)
            output_size = entries
    out_size = tuple(n if o is None else o for n, o in zip(in_size, entries))
    N = _batch(draw, min_batch, max_batch)
    C = draw.integers(1, max_channels)
    arguments = {"input": make(draw, (N, C, *in_size), dtype), "output_size": output_size}
    return arguments, {"out_size": out_size}


def adaptive_avg_pool(draw, *, ndims=(1, 2, 3), max_extra=4, max_batch=2, min_batch=1,
                      max_channels=2, dtype=np.float64, values=normal, divisible=False,
                      keep=True, torch_compatible=False):
    """A valid ``npconv.adaptive_avg_pool`` call, and the spatial output size (``out_size``).

    Output sizes range from 0 to beyond the input (windows then repeat cells), as one int
    or one entry per dimension, ``None`` meaning "keep" (unless ``keep=False``).  With
    ``divisible`` every output size divides the input size, so the windows are ordinary
    pooling's.  ``torch_compatible``: no ``None`` entry in 1-D, and output sizes of at least
    1 (PyTorch's forward returns an empty output for 0, but its backward refuses it).
    """
    return _adaptive(draw, ndims, max_extra, max_batch, min_batch, max_channels, dtype, values,
                     divisible, keep, torch_compatible)


def adaptive_max_pool(draw, *, ndims=(1, 2, 3), max_extra=4, max_batch=2, min_batch=1,
                      max_channels=2, dtype=np.float64, values=normal, divisible=False,
                      keep=True, return_indices=True, torch_compatible=False):
    """A valid ``npconv.adaptive_max_pool`` call, as :func:`adaptive_avg_pool` draws it.

    With ``return_indices`` the case asks for the indices too.
    """
    arguments, facts = _adaptive(draw, ndims, max_extra, max_batch, min_batch, max_channels,
                                 dtype, values, divisible, keep, torch_compatible)
    if return_indices:
        arguments["return_indices"] = True
    return arguments, facts


def lp_pool(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
            max_channels=2, dtype=np.float64, values=normal, norm_types=NORM_TYPES,
            ceil_modes=(False, True), torch_compatible=False):
    """A valid ``npconv.lp_pool`` call, and the stride per dimension (``spatial_stride``).

    With ``ceil_mode`` the input may be shorter than the kernel, as long as it is longer
    than ``kernel_size - stride`` (one window, cut short, then exists).
    ``torch_compatible``: a 3-D input at least as large as the kernel (PyTorch pools it
    with ``avg_pool3d``, which refuses a smaller one), and in 1-D ``kernel_size`` as an int
    (``F.lp_pool1d`` multiplies by it, and a tuple breaks that).
    """
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    ndim, max_kernel, max_extra = _limits(draw, ndims, max_kernel, max_extra)
    kernel_size = _ints(draw, ndim, 1, max_kernel)
    stride = _pool_stride(draw, ndim)
    spatial_stride = kernel_size if stride is None else stride
    ceil_mode = draw.sampled_from(ceil_modes)
    fits_kernel = not ceil_mode or (torch_compatible and ndim == 3)
    in_size = tuple(
        draw.integers(smallest, smallest + max_extra)
        for smallest in (k if fits_kernel else max(1, k - s + 1)
                         for k, s in zip(kernel_size, spatial_stride)))
    N = _batch(draw, min_batch, max_batch)
    C = draw.integers(1, max_channels)
    # PyTorch's lp_pool1d multiplies by kernel_size itself: it takes an int there
    one_int = torch_compatible and ndim == 1
    arguments = {"input": make(draw, (N, C, *in_size), dtype),
                 "norm_type": draw.sampled_from(norm_types),
                 "kernel_size": kernel_size[0] if one_int else kernel_size,
                 "stride": stride, "ceil_mode": ceil_mode}
    return arguments, {"spatial_stride": spatial_stride}


# --------------------------------------------------------------------------------------------
# Unfold and fold
# --------------------------------------------------------------------------------------------

def _windows(draw, ndims, max_kernel, max_extra, asymmetric, torch_compatible, op):
    """What unfold and fold share: the rank, the kernel's windows, and per dimension the
    smallest size that holds one (``span - before - after``, and at least 1).

    ``kernel_size`` is one int per dimension, or, in 2-D when they are equal, sometimes one
    int (PyTorch's square kernel).  Stride goes up to 3, beyond a small kernel's span
    (cells no window reads); padding up to 2 per side, unbounded by the kernel.
    """
    if torch_compatible:
        ndims = tuple(n for n in ndims if n == 2)
        if not ndims:
            raise ValueError(f"torch_compatible {op} cases are 2-D only (PyTorch's F.{op} "
                             f"takes images), but ndims has no 2")
        asymmetric = False
    ndim, max_kernel, max_extra = _limits(draw, ndims, max_kernel, max_extra)
    kernel = _ints(draw, ndim, 1, max_kernel)
    dilation = _ints(draw, ndim, 1, 2)
    stride = _ints(draw, ndim, 1, 3)
    padding = _padding_spec(draw, ndim, 2, asymmetric)
    pairs = as_pairs(padding, ndim)
    kernel_size = kernel
    if ndim == 2 and kernel[0] == kernel[1] and draw.booleans():
        kernel_size = kernel[0]
    smallest = tuple(max(span(k, d) - before - after, 1)
                     for k, d, (before, after) in zip(kernel, dilation, pairs))
    hyperparameters = {"kernel_size": kernel_size, "dilation": dilation, "padding": padding,
                       "stride": stride}
    return ndim, kernel, pairs, smallest, max_extra, hyperparameters


def _window_counts(sizes, kernel, hyperparameters, pairs):
    return tuple(window_count(n, k, s, before, after, d) for n, k, s, (before, after), d in zip(
        sizes, kernel, hyperparameters["stride"], pairs, hyperparameters["dilation"]))


def unfold(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
           max_channels=2, dtype=np.float64, values=normal, asymmetric=True,
           torch_compatible=False):
    """A valid ``npconv.unfold`` call, its padding as pairs and its ``window_counts``.

    The input holds at least one window per dimension (and up to ``max_extra`` cells
    more).  ``asymmetric``: (before, after) pairs among the paddings.
    ``torch_compatible``: 2-D only (``F.unfold`` takes images, or unbatched ``(C, H, W)``)
    and symmetric padding.
    """
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    ndim, kernel, pairs, smallest, max_extra, hyperparameters = _windows(
        draw, ndims, max_kernel, max_extra, asymmetric, torch_compatible, "unfold")
    in_size = tuple(draw.integers(n, n + max_extra) for n in smallest)
    N = _batch(draw, min_batch, max_batch)
    C = draw.integers(1, max_channels)
    arguments = {"input": make(draw, (N, C, *in_size), dtype), **hyperparameters}
    return arguments, {"pairs": pairs,
                       "window_counts": _window_counts(in_size, kernel, hyperparameters,
                                                       pairs)}


def fold(draw, *, ndims=(1, 2, 3), max_kernel=3, max_extra=4, max_batch=2, min_batch=1,
         max_channels=2, dtype=np.float64, values=normal, asymmetric=True,
         torch_compatible=False):
    """A valid ``npconv.fold`` call: an ``output_size`` drawn first, then the columns
    ``(N, C * K, L)`` that fit it, ``K = prod(kernel_size)`` and ``L`` the product of the
    window counts (:func:`window_count`).

    ``output_size`` is one int per dimension (its length is the rank), or in 2-D, when they
    are equal, sometimes one int.  Facts: ``pairs``, ``window_counts`` and ``out_size``.
    ``torch_compatible``: 2-D only (``F.fold`` makes images) and symmetric padding.
    """
    dtype = _dtype(draw, dtype, torch_compatible)
    make = values_maker(values)
    ndim, kernel, pairs, smallest, max_extra, hyperparameters = _windows(
        draw, ndims, max_kernel, max_extra, asymmetric, torch_compatible, "fold")
    out_size = tuple(draw.integers(n, n + max_extra) for n in smallest)
    output_size = out_size
    if ndim == 2 and out_size[0] == out_size[1] and draw.booleans():
        output_size = out_size[0]
    counts = _window_counts(out_size, kernel, hyperparameters, pairs)
    N = _batch(draw, min_batch, max_batch)
    C = draw.integers(1, max_channels)
    columns = make(draw, (N, C * math.prod(kernel), math.prod(counts)), dtype)
    arguments = {"input": columns, "output_size": output_size, **hyperparameters}
    return arguments, {"pairs": pairs, "window_counts": counts, "out_size": out_size}
