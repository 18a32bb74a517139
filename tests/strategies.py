"""Hypothesis strategies shared by the property tests.

Each strategy draws the hyperparameters first (kernel, stride, dilation, padding) and then
*derives* an input size that is guaranteed to give at least one output cell, instead of
drawing blindly and filtering.  Arrays stay small so that the loop variant stays quick;
stride, padding and dilation always range above their defaults.

A drawn configuration is a plain dict whose keys are the keyword arguments of the op, plus
``"pairs"`` (the padding as (before, after) pairs, for the test's own formula), so that a
test can call ``npconv.conv(**conv_args(config))`` and compute its expectation separately.
"""

import numpy as np
from hypothesis import strategies as st

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def span(kernel_size, dilation):
    """Cells covered by a dilated kernel, written out here so tests do not lean on npconv."""
    return dilation * (kernel_size - 1) + 1


@st.composite
def arrays(draw, shape, dtype=np.float64):
    """Small standard-normal arrays from a drawn seed (fast, and shrinks well)."""
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@st.composite
def padding_specs(draw, ndim, max_pad=2):
    """An int, one int per dimension, or one (before, after) pair per dimension."""
    kind = draw(st.sampled_from(["int", "ints", "pairs"]))
    if kind == "int":
        return draw(st.integers(0, max_pad))
    if kind == "ints":
        return tuple(draw(st.integers(0, max_pad)) for _ in range(ndim))
    return tuple((draw(st.integers(0, max_pad)), draw(st.integers(0, max_pad)))
                 for _ in range(ndim))


def as_pairs(padding, ndim):
    """Padding spec -> ((before, after), ...), the test's own normalisation."""
    if isinstance(padding, int):
        return ((padding, padding),) * ndim
    return tuple((p, p) if isinstance(p, int) else tuple(p) for p in padding)


def same_pairs(in_size, kernel_size, stride, dilation):
    """'same' padding, from the definition: output ceil(in / stride), odd cell at the end."""
    pairs = []
    for n, k, s, d in zip(in_size, kernel_size, stride, dilation):
        out = -(-n // s)
        total = max((out - 1) * s + span(k, d) - n, 0)
        pairs.append((total // 2, total - total // 2))
    return tuple(pairs)


@st.composite
def conv_configs(draw, ndims=(1, 2, 3), padding_modes=PADDING_MODES, allow_strings=True,
                 dtype=np.float64, max_batch=2):
    """A valid ``npconv.conv`` call: arrays and hyperparameters, plus the padding pairs."""
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3                     # keep 3-D cases tiny
    groups = draw(st.integers(1, 2))
    C_in = groups * draw(st.integers(1, 2))
    C_out = groups * draw(st.integers(1, 2))
    kernel_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    padding_mode = draw(st.sampled_from(padding_modes))
    padding = draw(st.one_of(padding_specs(ndim), st.sampled_from(["same", "valid"]))
                   if allow_strings else padding_specs(ndim))

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
        in_size.append(draw(st.integers(smallest, smallest + (2 if small else 4))))
    in_size = tuple(in_size)
    if padding == "same":
        pairs = same_pairs(in_size, kernel_size, stride, dilation)
    elif padding == "valid":
        pairs = ((0, 0),) * ndim
    else:
        pairs = fixed_pairs

    N = draw(st.integers(1, max_batch))
    return {
        "input": draw(arrays((N, C_in, *in_size), dtype)),
        "weight": draw(arrays((C_out, C_in // groups, *kernel_size), dtype)),
        "bias": draw(st.one_of(st.none(), arrays((C_out,), dtype))),
        "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
        "padding_mode": padding_mode, "pairs": pairs,
    }


@st.composite
def conv_transpose_configs(draw, ndims=(1, 2, 3), dtype=np.float64, max_batch=2):
    """A valid ``npconv.conv_transpose`` call, plus the padding pairs."""
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3
    groups = draw(st.integers(1, 2))
    C_in = groups * draw(st.integers(1, 2))
    C_out = groups * draw(st.integers(1, 2))
    kernel_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(ndim))
    output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    padding = draw(padding_specs(ndim))
    pairs = as_pairs(padding, ndim)
    in_size = []
    for i in range(ndim):
        # out = (in - 1) * s - before - after + span + op >= 1
        before, after = pairs[i]
        need = before + after + 1 - span(kernel_size[i], dilation[i]) - output_padding[i]
        smallest = max(1, -(-need // stride[i]) + 1)
        in_size.append(draw(st.integers(smallest, smallest + (1 if small else 3))))
    N = draw(st.integers(1, max_batch))
    return {
        "input": draw(arrays((N, C_in, *in_size), dtype)),
        "weight": draw(arrays((C_in, C_out // groups, *kernel_size), dtype)),
        "bias": draw(st.one_of(st.none(), arrays((C_out,), dtype))),
        "stride": stride, "padding": padding, "output_padding": output_padding,
        "groups": groups, "dilation": dilation, "pairs": pairs,
    }


@st.composite
def pool_configs(draw, kind, ndims=(1, 2, 3), dtype=np.float64, max_batch=2):
    """A valid ``npconv.max_pool`` (kind="max") or ``npconv.avg_pool`` (kind="avg") call.

    Padding is at most kernel_size // 2 (PyTorch's rule).  An input of at least ``dilation``
    cells means no window can fall wholly on padding, so every window holds an input cell.
    """
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3
    kernel_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    stride = draw(st.one_of(st.none(),
                            st.tuples(*[st.integers(1, 3) for _ in range(ndim)])))
    dilation = (tuple(draw(st.integers(1, 2)) for _ in range(ndim)) if kind == "max"
                else (1,) * ndim)
    pairs = tuple((draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2)))
                  for k in kernel_size)
    padding = draw(st.sampled_from([pairs, tuple(b for b, _ in pairs)]))
    pairs = as_pairs(padding, ndim)
    in_size = tuple(
        draw(st.integers(smallest, smallest + (2 if small else 4)))
        for smallest in (max(span(k, d) - b - a, d, 1)
                         for k, d, (b, a) in zip(kernel_size, dilation, pairs)))
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, 2))
    config = {
        "input": draw(arrays((N, C, *in_size), dtype)),
        "kernel_size": kernel_size, "stride": stride, "padding": padding,
        "ceil_mode": draw(st.booleans()), "pairs": pairs,
    }
    if kind == "max":
        config["dilation"] = dilation
    else:
        config["count_include_pad"] = draw(st.booleans())
        config["divisor_override"] = draw(st.one_of(st.none(), st.integers(1, 5)))
    return config


def op_args(config):
    """The keyword arguments of the op: the config without the test-only keys."""
    return {key: value for key, value in config.items() if key != "pairs"}


# --------------------------------------------------------------------------------------------
# Inputs for max pooling (gradients and pooling tests)
# --------------------------------------------------------------------------------------------

@st.composite
def distinct_arrays(draw, shape, dtype=np.float64):
    """A shuffled ``arange``, scaled: every value distinct and at least 0.5 from the next.

    Max pooling is smooth at such a point (no ties, no kinks within ``+-0.25``), so central
    finite differences with a small step give its exact gradient.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))) * 0.5 - 3.0
    return values.reshape(shape).astype(dtype)


@st.composite
def tie_rich_arrays(draw, shape, dtype=np.float64):
    """Arrays of -1, 0 and 1 (so windows have ties), some cells -inf or NaN, or all -inf."""
    seed = draw(st.integers(0, 2**32 - 1))
    share_of_neg_inf = draw(st.sampled_from([0.0, 0.0, 0.3, 1.0]))
    share_of_nan = draw(st.sampled_from([0.0, 0.0, 0.15]))
    rng = np.random.default_rng(seed)
    values = rng.integers(-1, 2, size=shape).astype(dtype)
    values[rng.random(shape) < share_of_neg_inf] = -np.inf
    values[rng.random(shape) < share_of_nan] = np.nan
    return values


# --------------------------------------------------------------------------------------------
# Pictures (npconv.tools.show): 1-D and 2-D configurations small enough to draw
# --------------------------------------------------------------------------------------------

@st.composite
def picture_configs(draw, ops=("conv", "max_pool", "avg_pool", "conv_transpose")):
    """Keyword arguments of ``npconv.tools.show.frames``: op, size and the hyperparameters.

    Pooling pads at most kernel_size // 2 and gets an input of at least
    ``max(span - before - after, dilation, 1)`` cells, so that every window holds an input
    cell (the core rejects a window wholly on padding); a transposed convolution's padding
    is capped so that its output keeps at least one cell.
    """
    op = draw(st.sampled_from(ops))
    ndim = draw(st.integers(1, 2))
    ints = st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim).map(tuple)
    kernel_size, stride = draw(ints), draw(ints)
    dilation = (1,) * ndim if op == "avg_pool" else draw(ints)
    is_pool = op in ("max_pool", "avg_pool")
    padding = tuple(draw(st.integers(0, k // 2 if is_pool else 2)) for k in kernel_size)
    spans = [span(k, d) for k, d in zip(kernel_size, dilation)]
    if op == "conv_transpose":
        size = tuple(draw(st.integers(1, 4)) for _ in kernel_size)
        # out = (n - 1) * s - 2p + span >= 1
        padding = tuple(min(p, ((n - 1) * s + sp - 1) // 2)
                        for p, n, s, sp in zip(padding, size, stride, spans))
    else:
        smallest = [max(sp - 2 * p, d if is_pool else 1, 1)
                    for sp, p, d in zip(spans, padding, dilation)]
        size = tuple(n + draw(st.integers(0, 3)) for n in smallest)
    config = {"op": op, "size": size, "kernel_size": kernel_size, "stride": stride,
              "padding": padding, "dilation": dilation}
    if is_pool:
        config["ceil_mode"] = draw(st.booleans())
    if op == "avg_pool":
        config["count_include_pad"] = draw(st.booleans())
    return config
