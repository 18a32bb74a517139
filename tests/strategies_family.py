"""Hypothesis strategies for the family's ops: max unpooling, adaptive and power-average pooling.

As in ``tests/strategies.py``: the hyperparameters are drawn first and the sizes derived from
them, so that every configuration is valid by construction (no ``assume``), arrays stay
small, and stride and padding range above their defaults.  A configuration is a dict of the
op's keyword arguments plus test-only keys (listed in ``TEST_KEYS``) that carry what the
test's own formulas need; :func:`family_args` strips them.
"""

import math
from fractions import Fraction

import numpy as np
from hypothesis import strategies as st

from tests.strategies import arrays

TEST_KEYS = ("pairs", "default_size", "out_size", "spatial_stride")

NORM_TYPES = (1, 2, 3, 1.5, 0.5, -1, -2, 4, math.inf, -math.inf)
"""Powers for lp_pool: integers and fractions, negative ones, and both infinities."""


def family_args(config):
    """The op's keyword arguments: the config without the test-only keys."""
    return {key: value for key, value in config.items() if key not in TEST_KEYS}


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


@st.composite
def unpool_configs(draw, ndims=(1, 2, 3), distinct=False, dtype=np.float64, max_batch=2):
    """A valid ``npconv.max_unpool`` call, with random indices into the output.

    With ``distinct`` every ``(n, c)`` plane's indices differ (so the forward is linear and
    its backward the exact adjoint); otherwise they are drawn with repeats, often many.
    The padding is at most ``kernel_size // 2`` per side (as the max pooling that made the
    indices allows), the input large enough that the default size is at least 1, and an
    ``output_size``, when drawn, within PyTorch's range (and, for ``distinct``, no smaller
    than the input, so that the plane has room for distinct indices).
    """
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3
    kernel_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * ndim)))
    spatial_stride = kernel_size if stride is None else stride
    pairs = []
    for k in kernel_size:
        before = draw(st.integers(0, k // 2))
        after = draw(st.integers(0, k // 2))
        if distinct:                               # keep the default size >= the input size
            after = min(after, max(k - 1 - before, 0))
            before = min(before, k - 1)
        pairs.append((before, after))
    pairs = tuple(pairs)
    symmetric = tuple(b for b, _ in pairs)
    fits = not distinct or all(2 * b <= k - 1 for b, k in zip(symmetric, kernel_size))
    padding = draw(st.sampled_from([pairs, symmetric] if fits else [pairs]))
    pairs = tuple((p, p) if isinstance(p, int) else p for p in padding)

    in_size, default_size, out_size = [], [], []
    for k, s, (before, after) in zip(kernel_size, spatial_stride, pairs):
        # default = (in - 1) * s - before - after + k >= 1
        need = before + after + 1 - k
        smallest = max(1, -(-need // s) + 1 if need > 0 else 1)
        n = draw(st.integers(smallest, smallest + (1 if small else 3)))
        default = unpool_default_size(n, k, s, before, after)
        in_size.append(n)
        default_size.append(default)
    kind = draw(st.sampled_from(["default", "spatial", "with N and C"]))
    for n, s, default in zip(in_size, spatial_stride, default_size):
        low = max(default - s + 1, n if distinct else 1)
        out_size.append(default if kind == "default" else draw(st.integers(low, default + s - 1)))
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, 2))
    output_size = {"default": None, "spatial": tuple(out_size),
                   "with N and C": (N, C, *out_size)}[kind]

    plane = math.prod(out_size)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    shape = (N, C, *in_size)
    if distinct:
        cells = math.prod(in_size)
        indices = np.stack([rng.permutation(plane)[:cells] for _ in range(N * C)])
        indices = indices.reshape(shape)
    else:
        # a few targets only, so that repeats are common
        targets = rng.integers(0, plane, size=max(1, min(plane, 3)))
        indices = np.where(rng.random(shape) < 0.5, rng.choice(targets, size=shape),
                           rng.integers(0, plane, size=shape))
    return {
        "input": draw(arrays(shape, dtype)), "indices": indices.astype(np.int64),
        "kernel_size": kernel_size, "stride": stride, "padding": padding,
        "output_size": output_size,
        "pairs": pairs, "default_size": tuple(default_size), "out_size": tuple(out_size),
        "spatial_stride": spatial_stride,
    }


@st.composite
def adaptive_configs(draw, ndims=(1, 2, 3), divisible=False, values=arrays,
                     dtype=np.float64, max_batch=2):
    """A valid adaptive pooling call: ``input`` and ``output_size``, plus ``out_size``.

    Output sizes range from 0 to beyond the input (windows then repeat cells), and come as
    one int, or one entry per dimension with ``None`` for "keep".  With ``divisible`` every
    output size divides the input size (and is at least 1), so the windows are ordinary
    pooling's with kernel = stride = in / out.  ``values`` draws the array from a shape.
    """
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3
    in_size = tuple(draw(st.integers(1, 4 if small else 9)) for _ in range(ndim))
    if divisible:
        entries = tuple(draw(st.sampled_from([o for o in range(1, n + 1) if n % o == 0]))
                        for n in in_size)
        output_size = entries
    else:
        form = draw(st.sampled_from(["int", "entries"]))
        if form == "int":
            output_size = draw(st.integers(0, 5 if small else 10))
            entries = (output_size,) * ndim
        else:
            entries = tuple(draw(st.one_of(st.none(), st.integers(0, 5 if small else 10)))
                            for _ in range(ndim))
            output_size = entries
    out_size = tuple(n if o is None else o for n, o in zip(in_size, entries))
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, 2))
    return {"input": draw(values((N, C, *in_size), dtype)), "output_size": output_size,
            "out_size": out_size}


@st.composite
def lp_configs(draw, ndims=(1, 2, 3), values=arrays, norm_types=NORM_TYPES,
               ceil_modes=(False, True), dtype=np.float64, max_batch=2):
    """A valid ``npconv.lp_pool`` call, plus the stride as one int per dimension.

    With ``ceil_mode`` the input may be shorter than the kernel, as long as it is longer
    than ``kernel_size - stride`` (one window, cut short, then exists: PyTorch computes it).
    """
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3
    kernel_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    stride = draw(st.one_of(st.none(), st.tuples(*[st.integers(1, 3)] * ndim)))
    spatial_stride = kernel_size if stride is None else stride
    ceil_mode = draw(st.sampled_from(ceil_modes))
    in_size = tuple(
        draw(st.integers(smallest, smallest + (2 if small else 4)))
        for smallest in (max(1, k - s + 1) if ceil_mode else k
                         for k, s in zip(kernel_size, spatial_stride)))
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, 2))
    return {"input": draw(values((N, C, *in_size), dtype)),
            "norm_type": draw(st.sampled_from(norm_types)), "kernel_size": kernel_size,
            "stride": stride, "ceil_mode": ceil_mode, "spatial_stride": spatial_stride}


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------

@st.composite
def signed_distinct_arrays(draw, shape, dtype=np.float64):
    """A shuffled ``arange`` from -3.25 in steps of 0.5: signed, distinct, and never 0.

    Even powers of such cells are smooth, and no window of them sums to 0, so central
    finite differences give the power average's gradient (a zero window has none).
    """
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))) * 0.5 - 3.25
    return values.reshape(shape).astype(dtype)


@st.composite
def positive_distinct_arrays(draw, shape, dtype=np.float64):
    """A shuffled ``arange`` from 0.5 in steps of 0.25: positive, and no two cells alike.

    The power average is smooth there (no zero cell, no tie for ``p = +-inf``), so central
    finite differences with a small step give its gradient.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))) * 0.25 + 0.5
    return values.reshape(shape).astype(dtype)
