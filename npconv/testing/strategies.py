"""Hypothesis strategies: one per op, each drawing a complete, valid :class:`~npconv.testing.Case`.

Needs hypothesis (``pip install hypothesis``, or ``pip install -e ".[testing]"`` in the
clone).  Every strategy runs the op's builder (:mod:`npconv.testing.builders`) with
hypothesis as the source of randomness, so a case is valid by construction and a failure
shrinks to a small one.  Keyword bounds go to the
builder: ``ndims``, ``max_kernel``, ``max_extra``, ``max_batch``, ``min_batch``,
``max_channels``, ``dtype``, ``values`` and the op's features; ``torch_compatible=True``
draws only what PyTorch's functional op accepts.  ``unbatched=True`` takes the batch axis
off (the case then calls PyTorch's rank-checked name, ``conv2d``).

Examples
--------
>>> from hypothesis import given, settings
>>> import npconv
>>> from npconv.testing import assert_matches
>>> from npconv.testing.strategies import avg_pool_cases
>>> @settings(max_examples=10, database=None)
... @given(avg_pool_cases(ndims=(1, 2), torch_compatible=True))
... def test_npconv_loops(case):
...     assert_matches(case.reference("loops"), case)
>>> test_npconv_loops()

The rest of this module is the project's own test suite's vocabulary: the same builders
seen as plain dicts of arguments and facts (``conv_configs()``, ...), and value strategies.
"""

import numpy as np

try:
    from hypothesis import strategies as st
except ImportError as missing:                   # pragma: no cover - depends on the install
    raise ImportError('npconv.testing.strategies needs hypothesis; install it with '
                      'pip install hypothesis, or in the clone pip install -e ".[testing]"'
                      ) from missing

from . import values as value_kinds
from .builders import (NORM_TYPES, PADDING_MODES, as_pairs, fraction_window, lp_window_count,
                       same_pairs, span, unpool_default_size, window_count)
from .case import draw_case
from .draw import SEED_HIGH
from .ops import OPS

__all__ = ["HypothesisDraw", "cases", "conv_cases", "conv_transpose_cases", "max_pool_cases",
           "avg_pool_cases", "max_unpool_cases", "adaptive_avg_pool_cases",
           "adaptive_max_pool_cases", "lp_pool_cases", "unfold_cases", "fold_cases"]


class HypothesisDraw:
    """The drawing interface of :mod:`npconv.testing.draw` over hypothesis's ``draw``."""

    def __init__(self, draw):
        self.draw = draw

    def integers(self, low, high):
        return self.draw(st.integers(low, high))

    def sampled_from(self, options):
        return self.draw(st.sampled_from(list(options)))

    def booleans(self):
        return self.draw(st.booleans())

    def seed(self):
        return self.draw(st.integers(0, SEED_HIGH))


@st.composite
def cases(draw, op, *, unbatched=False, **bounds):
    """Cases of ``op`` (a key of :data:`npconv.testing.ops.OPS`), drawn by its builder."""
    return draw_case(op, HypothesisDraw(draw), unbatched=unbatched, **bounds)


def conv_cases(**bounds):
    """Cases of ``npconv.conv``: see :func:`npconv.testing.builders.conv` for the bounds."""
    return cases("conv", **bounds)


def conv_transpose_cases(**bounds):
    """Cases of ``npconv.conv_transpose`` (:func:`npconv.testing.builders.conv_transpose`)."""
    return cases("conv_transpose", **bounds)


def max_pool_cases(**bounds):
    """Cases of ``npconv.max_pool`` (:func:`npconv.testing.builders.max_pool`)."""
    return cases("max_pool", **bounds)


def avg_pool_cases(**bounds):
    """Cases of ``npconv.avg_pool`` (:func:`npconv.testing.builders.avg_pool`)."""
    return cases("avg_pool", **bounds)


def max_unpool_cases(**bounds):
    """Cases of ``npconv.max_unpool`` (:func:`npconv.testing.builders.max_unpool`)."""
    return cases("max_unpool", **bounds)


def adaptive_avg_pool_cases(**bounds):
    """Cases of ``npconv.adaptive_avg_pool`` (:func:`npconv.testing.builders.adaptive_avg_pool`)."""
    return cases("adaptive_avg_pool", **bounds)


def adaptive_max_pool_cases(**bounds):
    """Cases of ``npconv.adaptive_max_pool`` (:func:`npconv.testing.builders.adaptive_max_pool`)."""
    return cases("adaptive_max_pool", **bounds)


def lp_pool_cases(**bounds):
    """Cases of ``npconv.lp_pool`` (:func:`npconv.testing.builders.lp_pool`)."""
    return cases("lp_pool", **bounds)


def unfold_cases(**bounds):
    """Cases of ``npconv.unfold`` (:func:`npconv.testing.builders.unfold`)."""
    return cases("unfold", **bounds)


def fold_cases(**bounds):
    """Cases of ``npconv.fold`` (:func:`npconv.testing.builders.fold`)."""
    return cases("fold", **bounds)


# --------------------------------------------------------------------------------------------
# The project's own tests: cases as dicts of the op's arguments plus the builder's facts
# --------------------------------------------------------------------------------------------

FACT_KEYS = ("pairs", "default_size", "out_size", "spatial_stride", "window_counts")
"""The facts a config carries besides the op's arguments."""


def op_args(config):
    """The op's keyword arguments: the config without the facts."""
    return {key: value for key, value in config.items() if key not in FACT_KEYS}


def _configs(op, **bounds):
    return cases(op, **bounds).map(lambda case: case.config())


def conv_configs(ndims=(1, 2, 3), padding_modes=PADDING_MODES, allow_strings=True,
                 dtype=np.float64, max_batch=2):
    """A valid ``npconv.conv`` call as a dict, plus ``"pairs"``."""
    return _configs("conv", ndims=ndims, padding_modes=padding_modes,
                    padding_strings=allow_strings, dtype=dtype, max_batch=max_batch)


def conv_transpose_configs(ndims=(1, 2, 3), dtype=np.float64, max_batch=2, output_sizes=False):
    """A valid ``npconv.conv_transpose`` call as a dict, plus ``"pairs"`` (and with
    ``output_sizes``, sometimes an ``output_size`` and its spatial ``"out_size"``)."""
    return _configs("conv_transpose", ndims=ndims, dtype=dtype, max_batch=max_batch,
                    output_sizes=output_sizes)


def pool_configs(kind, ndims=(1, 2, 3), dtype=np.float64, max_batch=2):
    """A valid ``npconv.max_pool`` (kind="max") or ``npconv.avg_pool`` (kind="avg") call."""
    if kind == "max":
        return _configs("max_pool", ndims=ndims, dtype=dtype, max_batch=max_batch,
                        return_indices=False)
    return _configs("avg_pool", ndims=ndims, dtype=dtype, max_batch=max_batch)


def unpool_configs(ndims=(1, 2, 3), distinct=False, dtype=np.float64, max_batch=2):
    """A valid ``npconv.max_unpool`` call, plus its pairs and sizes."""
    return _configs("max_unpool", ndims=ndims, distinct=distinct, dtype=dtype,
                    max_batch=max_batch)


def adaptive_configs(ndims=(1, 2, 3), divisible=False, values="normal", dtype=np.float64,
                     max_batch=2):
    """A valid adaptive pooling call (``input`` and ``output_size``), plus ``out_size``."""
    return _configs("adaptive_avg_pool", ndims=ndims, divisible=divisible, values=values,
                    dtype=dtype, max_batch=max_batch)


def unfold_configs(ndims=(1, 2, 3), values="normal", dtype=np.float64, max_batch=2):
    """A valid ``npconv.unfold`` call, plus its ``"pairs"`` and ``"window_counts"``."""
    return _configs("unfold", ndims=ndims, values=values, dtype=dtype, max_batch=max_batch)


def fold_configs(ndims=(1, 2, 3), values="normal", dtype=np.float64, max_batch=2):
    """A valid ``npconv.fold`` call, plus ``"pairs"``, ``"window_counts"`` and ``"out_size"``."""
    return _configs("fold", ndims=ndims, values=values, dtype=dtype, max_batch=max_batch)


def lp_configs(ndims=(1, 2, 3), values="normal", norm_types=NORM_TYPES,
               ceil_modes=(False, True), dtype=np.float64, max_batch=2):
    """A valid ``npconv.lp_pool`` call, plus ``spatial_stride``."""
    return _configs("lp_pool", ndims=ndims, values=values, norm_types=norm_types,
                    ceil_modes=ceil_modes, dtype=dtype, max_batch=max_batch)


def _value_strategy(maker):
    @st.composite
    def strategy(draw, shape, dtype=np.float64):
        return maker(HypothesisDraw(draw), shape, dtype)

    strategy.__doc__ = maker.__doc__
    strategy.__name__ = strategy.__qualname__ = f"{maker.__name__}_arrays"
    return strategy


arrays = _value_strategy(value_kinds.normal)
distinct_arrays = _value_strategy(value_kinds.distinct)
tie_rich_arrays = _value_strategy(value_kinds.ties)
signed_distinct_arrays = _value_strategy(value_kinds.signed_distinct)
positive_distinct_arrays = _value_strategy(value_kinds.positive_distinct)


@st.composite
def picture_configs(draw, ops=("conv", "max_pool", "avg_pool", "conv_transpose")):
    """Keyword arguments of ``npconv.tools.show.frames``: op, size and the hyperparameters.

    Pooling pads at most kernel_size // 2 and gets an input of at least
    ``max(span - before - after, dilation, 1)`` cells, so that every window holds an input
    cell; a transposed convolution's padding is capped so that its output keeps a cell.
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


__all__ += ["FACT_KEYS", "op_args", "conv_configs", "conv_transpose_configs", "pool_configs",
            "unpool_configs", "adaptive_configs", "lp_configs", "unfold_configs",
            "fold_configs", "arrays", "distinct_arrays",
            "tie_rich_arrays", "signed_distinct_arrays", "positive_distinct_arrays",
            "picture_configs", "span", "as_pairs", "same_pairs", "fraction_window",
            "lp_window_count", "unpool_default_size", "window_count", "PADDING_MODES",
            "NORM_TYPES", "OPS"]
