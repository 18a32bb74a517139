"""Hostile input: whatever is passed for any parameter of any public op, the call either
gives the loops variant's result (with both methods) or raises a ``ValueError`` or
``TypeError`` whose message names the parameter; and it never changes an argument.

npconv is an oracle for other people's kernels: one wrong number, traceback or hang costs
more here than anywhere (npconv.api: every bad input gets a clear error, never a wrong
number; no argument is ever modified).

The ops are a table, :data:`OPS`: for each, the public function, a valid call on tiny arrays
(the baseline), and the kind of each parameter.  A test changes one parameter of the
baseline to a drawn value: ``None``, strings, floats, bools, NumPy scalars and arrays, huge
and negative ints, ranges, tuples of the wrong length, malformed pairs, nested lists, and
for arrays the odd ones: empty axes, zero channels, NaN and inf, float16, complex, object,
big-endian, non-contiguous, read-only, lists, masked.  Then:

- a call that returns must give, with ``method="im2col"``, the loops variant's result
  (NaN-aware, :func:`tests.oracles.assert_close`); an array that holds the baseline's values
  in another form (a list, big-endian, a strided view, float32, ...) must give the
  baseline's result;
- a call that raises must raise ``ValueError`` or ``TypeError`` and name the parameter (a
  backward whose forward already refuses the call may name ``grad_output`` instead, and a
  parameter that sets the room for another argument that other one, :data:`RELATED`); only
  a refusal for memory ("bytes") may differ between the methods, whose workspaces differ;
- a masked array is refused with a ``TypeError``: its mask would otherwise be lost silently;
- every argument is bit-identical afterwards (bytes, dtype, shape, strides and flags).

Memory stays safe: ``npconv.shapes.MAX_ARRAY_BYTES`` is lowered to 64 MiB in this module, so
a drawn huge padding must end in that refusal before any allocation (an op that allocates
anyway hits this process's address-space cap and fails with a MemoryError); a call still
running after ``HANG_SECONDS`` is a hang.

Adding an op means adding a row to :data:`OPS`: its baseline call, its parameters' kinds,
its spatial rank and its forward, if it is a backward; a meta-test fails until every
function of ``npconv.__all__`` that takes ``method`` has one.  Its reference op in
:mod:`tests.oracles` and its entries in :data:`FORM_VALUES` and :data:`SEQUENCE_VALUES`
bring it into the other tests of this module.
"""

import functools
import inspect
import math
import re
import warnings
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import npconv
import npconv.api
import npconv.shapes
from tests import oracles
from tests.guards import capped_address_space, liveness_guard

METHODS = ("loops", "im2col")

MAX_ARRAY_BYTES = 64 * 2**20
"""The memory bound in force in this module (npconv.shapes.MAX_ARRAY_BYTES, lowered)."""

ADDRESS_SPACE_HEADROOM = 3 * 2**30
"""This process may map this much more than it holds when the module starts."""

HANG_SECONDS = 5
"""A call on these tiny arrays still running after this long is a hang."""

EXAMPLES_PER_PARAMETER = max(5, settings().max_examples // 8)
"""Examples per (op, parameter): an eighth of the profile's, since there are about 350
pairs (10 in the ``ci`` profile)."""


# --------------------------------------------------------------------------------------------
# The table of ops
# --------------------------------------------------------------------------------------------

ARRAY = "array"                 # input, weight, grad_output
OPTIONAL_ARRAY = "optional array"   # bias
INDICES = "indices"             # max_unpool's: an integer array
INTS = "ints"                   # kernel_size, stride, dilation, output_padding; fold's output_size
POOL_STRIDE = "pool stride"     # ints, or None / () for "kernel_size"
OPTIONAL_INTS = "optional ints"     # max_unpool's stride: ints, or None for "kernel_size"
PADDING = "padding"             # int, ints or (before, after) pairs
CONV_PADDING = "conv padding"   # the same, or "same" / "valid"
INT = "int"                     # groups
OPTIONAL_INT = "optional int"   # divisor_override, workspace_bytes
FLAG = "flag"                   # ceil_mode, return_indices, count_include_pad
PADDING_MODE = "padding mode"
METHOD = "method"
OUTPUT_SIZE = "output size"     # None, or the spatial size (or N, C and it)
ADAPTIVE_SIZE = "adaptive size"     # an int or None, or one of them per dimension
NORM_TYPE = "norm type"         # lp_pool's power: a real number


class Op(NamedTuple):
    """A public op as the hostile tests see it.

    ``baseline`` is a valid call on tiny arrays, every parameter given except ``method``;
    ``kinds`` says what each parameter takes; ``family`` is the name of the op itself, or
    of the op a rank-checked alias stands for (whose signature it shares, and whose
    reference in :mod:`tests.oracles`, if there is one, gives the expected results);
    ``spatial_dims`` is the baseline's spatial rank (the length a per-dimension tuple must
    have: fold's input, columns, does not show it); ``forward`` names the forward of a
    backward (``grad_output`` must have its output's shape).
    """

    name: str
    baseline: dict
    kinds: dict
    family: str
    spatial_dims: int
    forward: str = None

    def __repr__(self):
        return f"Op({self.name})"

    @property
    def function(self):
        return getattr(npconv, self.name)

    @property
    def parameters(self):
        return (*self.kinds, "method")


def integers(shape, seed):
    """Small integers as float64: every sum and product of them is exact."""
    return np.random.default_rng(seed).integers(-3, 4, size=shape).astype(np.float64)


def op_rows(family, spatial_dims, suffix, baseline, kinds, grad_output, forward_only=()):
    """The op's row (a rank-checked alias's, with a ``suffix`` such as ``"2d"``) and, for
    the op itself, its backward's: the same parameters less ``forward_only``, and
    ``grad_output`` of the baseline's output shape in front."""
    forward = Op(f"{family}{suffix}", baseline, kinds, family, spatial_dims)
    if suffix:
        return [forward]
    shared = {name: kind for name, kind in kinds.items() if name not in forward_only}
    backward = Op(f"{family}_backward",
                  {"grad_output": grad_output, **{name: baseline[name] for name in shared}},
                  {"grad_output": ARRAY, **shared}, f"{family}_backward", spatial_dims,
                  forward=family)
    return [forward, backward]


def conv_ops(spatial_dims, suffix=""):
    """conv and conv_backward: input (1, 2, 5...), weight (4, 2, 3...), stride 2, padding 1
    -> output (1, 4, 3...)."""
    baseline = {"input": integers((1, 2) + (5,) * spatial_dims, 1),
                "weight": integers((4, 2) + (3,) * spatial_dims, 2), "bias": integers(4, 4),
                "stride": 2, "padding": 1, "dilation": 1, "groups": 1,
                "padding_mode": "zeros", "workspace_bytes": None}
    kinds = {"input": ARRAY, "weight": ARRAY, "bias": OPTIONAL_ARRAY, "stride": INTS,
             "padding": CONV_PADDING, "dilation": INTS, "groups": INT,
             "padding_mode": PADDING_MODE, "workspace_bytes": OPTIONAL_INT}
    return op_rows("conv", spatial_dims, suffix, baseline, kinds,
                   integers((1, 4) + (3,) * spatial_dims, 3), forward_only=("bias",))


def conv_transpose_ops(spatial_dims, suffix=""):
    """conv_transpose and its backward: input (1, 2, 3...), weight (2, 3, 2...), stride 2,
    padding 1, output_padding 1 -> output (1, 3, 5...)."""
    baseline = {"input": integers((1, 2) + (3,) * spatial_dims, 5),
                "weight": integers((2, 3) + (2,) * spatial_dims, 6), "bias": integers(3, 7),
                "stride": 2, "padding": 1, "output_padding": 1, "groups": 1, "dilation": 1,
                "output_size": None, "workspace_bytes": None}
    kinds = {"input": ARRAY, "weight": ARRAY, "bias": OPTIONAL_ARRAY, "stride": INTS,
             "padding": PADDING, "output_padding": INTS, "groups": INT, "dilation": INTS,
             "output_size": OUTPUT_SIZE, "workspace_bytes": OPTIONAL_INT}
    return op_rows("conv_transpose", spatial_dims, suffix, baseline, kinds,
                   integers((1, 3) + (5,) * spatial_dims, 8), forward_only=("bias",))


def pool_ops(kind, spatial_dims, suffix=""):
    """max_pool or avg_pool and its backward: input (1, 2, 5...), kernel 3, stride 2,
    padding 1 -> output (1, 2, 3...)."""
    baseline = {"input": integers((1, 2) + (5,) * spatial_dims, 9), "kernel_size": 3,
                "stride": 2, "padding": 1, "ceil_mode": False}
    kinds = {"input": ARRAY, "kernel_size": INTS, "stride": POOL_STRIDE, "padding": PADDING,
             "ceil_mode": FLAG}
    if kind == "max":
        baseline.update(dilation=1, return_indices=False)
        kinds.update(dilation=INTS, return_indices=FLAG)
    else:
        baseline.update(count_include_pad=True, divisor_override=None)
        kinds.update(count_include_pad=FLAG, divisor_override=OPTIONAL_INT)
    return op_rows(f"{kind}_pool", spatial_dims, suffix, baseline, kinds,
                   integers((1, 2) + (3,) * spatial_dims, 10), forward_only=("return_indices",))


def unfold_ops():
    """unfold, fold and their backwards: input (1, 2, 5, 5), kernel 3, dilation 1, padding
    1, stride 2 -> columns (1, 2 * 9, 3 * 3); fold puts those columns back onto 5x5.  The
    rank (2-D) comes from the int kernel_size and output_size, as in PyTorch."""
    x = integers((1, 2, 5, 5), 11)
    columns = integers((1, 2 * 9, 3 * 3), 12)
    geometry = {"kernel_size": 3, "dilation": 1, "padding": 1, "stride": 2}
    kinds = {"kernel_size": INTS, "dilation": INTS, "padding": PADDING, "stride": INTS}
    return [*op_rows("unfold", 2, "", {"input": x, **geometry}, {"input": ARRAY, **kinds},
                     columns),
            *op_rows("fold", 2, "", {"input": columns, "output_size": 5, **geometry},
                     {"input": ARRAY, "output_size": INTS, **kinds},
                     integers((1, 2, 5, 5), 13))]


def max_unpool_ops(spatial_dims, suffix=""):
    """max_unpool and its backward: the max pooling (tests.oracles.max_pool) of an input
    (1, 2, 5...) with kernel 3, stride 2, padding 1 -> (1, 2, 3...) and its indices (a cell
    that wins two overlapping windows gives a repeated index), unpooled to the default size
    (3 - 1) * 2 - 2 + 3 = 5 per dimension."""
    pooled, indices = oracles.max_pool(integers((1, 2) + (5,) * spatial_dims, 14), 3, 2, 1)
    baseline = {"input": pooled, "indices": indices, "kernel_size": 3, "stride": 2,
                "padding": 1, "output_size": None}
    kinds = {"input": ARRAY, "indices": INDICES, "kernel_size": INTS, "stride": OPTIONAL_INTS,
             "padding": PADDING, "output_size": OUTPUT_SIZE}
    return op_rows("max_unpool", spatial_dims, suffix, baseline, kinds,
                   integers((1, 2) + (5,) * spatial_dims, 15))


def adaptive_ops(kind, spatial_dims, suffix=""):
    """adaptive_avg_pool or adaptive_max_pool and its backward: input (1, 2, 5...) to
    output size 3, windows [0, 2), [1, 4), [3, 5) per dimension (overlapping)."""
    baseline = {"input": integers((1, 2) + (5,) * spatial_dims, 16), "output_size": 3}
    kinds = {"input": ARRAY, "output_size": ADAPTIVE_SIZE}
    if kind == "max":
        baseline["return_indices"], kinds["return_indices"] = False, FLAG
    return op_rows(f"adaptive_{kind}_pool", spatial_dims, suffix, baseline, kinds,
                   integers((1, 2) + (3,) * spatial_dims, 17), forward_only=("return_indices",))


def lp_pool_ops(spatial_dims, suffix=""):
    """lp_pool and its backward: input (1, 2, 6...), p = 2, kernel 3, stride 2 -> output
    (1, 2, 2...); ceil_mode adds a third window per dimension, cut short (cells 4 and 5)."""
    baseline = {"input": integers((1, 2) + (6,) * spatial_dims, 18), "norm_type": 2,
                "kernel_size": 3, "stride": 2, "ceil_mode": False}
    kinds = {"input": ARRAY, "norm_type": NORM_TYPE, "kernel_size": INTS,
             "stride": POOL_STRIDE, "ceil_mode": FLAG}
    return op_rows("lp_pool", spatial_dims, suffix, baseline, kinds,
                   integers((1, 2) + (2,) * spatial_dims, 19))


OPS = [
    *conv_ops(2), *conv_transpose_ops(2), *pool_ops("max", 2), *pool_ops("avg", 2),
    *unfold_ops(), *max_unpool_ops(2), *adaptive_ops("avg", 2), *adaptive_ops("max", 2),
    *lp_pool_ops(2),
    *[op for spatial_dims in (1, 2, 3) for op in (
        *conv_ops(spatial_dims, f"{spatial_dims}d"),
        *conv_transpose_ops(spatial_dims, f"{spatial_dims}d"),
        *pool_ops("max", spatial_dims, f"{spatial_dims}d"),
        *pool_ops("avg", spatial_dims, f"{spatial_dims}d"),
        *max_unpool_ops(spatial_dims, f"{spatial_dims}d"),
        *adaptive_ops("avg", spatial_dims, f"{spatial_dims}d"),
        *adaptive_ops("max", spatial_dims, f"{spatial_dims}d"),
        *lp_pool_ops(spatial_dims, f"{spatial_dims}d"))],
]
OPS_BY_NAME = {op.name: op for op in OPS}


# --------------------------------------------------------------------------------------------
# Hostile values
# --------------------------------------------------------------------------------------------

HUGE_INTS = (-1, -2**63, -10**400, 2**31, 2**32, 2**62, 2**63 - 1, 2**63, 2**64, 10**9,
             10**12, 10**18, 10**400)
NUMPY_SCALARS = (np.int8(2), np.uint8(2), np.int16(-1), np.int64(3), np.uint64(2**64 - 1),
                 np.intc(1), np.int8(-128), np.uint8(0), np.float64(2.0), np.float32(np.nan),
                 np.bool_(True), np.bool_(False), np.complex128(1), np.str_("2"))
ODD_SCALARS = (None, "", "1", "same", "valid", "zeros", "loops", b"1", 1.0, 2.5, -0.0,
               float("nan"), float("inf"), True, False, 1j, Fraction(2), Decimal(2), Ellipsis,
               slice(1), {}, {1: 2}, {2}, range(0), range(1, 3), range(2, 5))
INT_DTYPES = ("int8", "uint8", "int16", "int32", "int64", "uint64")


def scalars():
    """One value of any type a caller might pass by mistake."""
    return st.one_of(st.sampled_from(ODD_SCALARS), st.sampled_from(NUMPY_SCALARS),
                     st.integers(-3, 4), st.sampled_from(HUGE_INTS),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=3))


def numpy_array(values, dtype):
    """``values`` as a 1-D NumPy array of ``dtype`` (negative values wrap in unsigned ones)."""
    return np.array(values).astype(dtype)


def numpy_pairs(values, dtype):
    """``values`` as NumPy ``(before, after)`` rows of ``dtype``."""
    return numpy_array(values, dtype).reshape(-1, 2)


def sequences(ndim):
    """Tuples, lists, ranges, nested lists and NumPy arrays of odd or nearly right values."""
    element = st.one_of(st.integers(-3, 4), st.sampled_from(HUGE_INTS), scalars())
    small = st.integers(-1, 3)
    return st.one_of(
        st.lists(element, max_size=ndim + 1).map(tuple),
        st.lists(element, max_size=ndim + 1),
        st.lists(st.lists(element, max_size=3).map(tuple), max_size=ndim + 1).map(tuple),
        st.lists(st.lists(small, max_size=3), max_size=ndim + 1),
        st.builds(range, small, st.integers(0, ndim + 2)),
        st.builds(numpy_array, st.lists(small, max_size=ndim + 1),
                  st.sampled_from(INT_DTYPES + ("float64", "bool"))),
        st.builds(numpy_pairs, st.lists(small, min_size=2 * ndim, max_size=2 * ndim),
                  st.sampled_from(INT_DTYPES)),
    )


def nearly_right(kind, value, ndim):
    """Values of the right kind, in every form an argument of that kind might take."""
    small = st.integers(0, 3)
    if kind in (INTS, POOL_STRIDE, OPTIONAL_INTS, PADDING, CONV_PADDING):
        forms = [st.just((value,)), st.just([value]), st.just((value,) * ndim),
                 st.just((value,) * (ndim + 1)), st.just(()), st.just(np.array([value] * ndim)),
                 st.just(range(value, value + ndim)), st.tuples(*[small] * ndim),
                 st.just(tuple(np.int64(value) for _ in range(ndim)))]
        if kind == POOL_STRIDE:
            forms += [st.none(), st.just([])]
        if kind == OPTIONAL_INTS:
            forms += [st.none()]
        if kind in (PADDING, CONV_PADDING):
            forms += [st.tuples(*[st.tuples(small, small)] * ndim),
                      st.just(((value, value),)), st.just(((value,),) * ndim),
                      st.just(((value, value, value),) * ndim),
                      st.just(np.array([[value, value]] * ndim))]
        if kind == CONV_PADDING:
            forms += [st.sampled_from(["same", "valid", "SAME", "full", "same "])]
        return st.one_of(forms)
    if kind == FLAG:
        return st.sampled_from([True, False, np.bool_(True), np.bool_(False), 0, 1, "True",
                                "False", None, np.array(True), np.array([True])])
    if kind == PADDING_MODE:
        return st.sampled_from(["zeros", "reflect", "replicate", "circular", "ZEROS",
                                "constant", "", None, np.str_("reflect"),
                                np.array(["zeros"]), np.array("zeros"), ["zeros"]])
    if kind == METHOD:
        return st.sampled_from(["loops", "im2col", "LOOPS", "", None, np.str_("im2col"),
                                np.array(["loops"]), np.array("loops"), ["loops"],
                                b"loops"])
    if kind in (INT, OPTIONAL_INT):
        return st.sampled_from([None, 1, 2, 4, np.int64(1), np.uint8(2), np.int8(-1),
                                np.array(1), 0, -1, 1.0, 10**400, 2**63])
    if kind == OUTPUT_SIZE:          # the baselines reach 4 to 6 per dimension
        sizes = st.integers(-1, 7)
        return st.one_of(st.none(), st.tuples(*[sizes] * ndim), st.lists(sizes, min_size=ndim,
                                                                          max_size=ndim),
                         st.tuples(st.integers(0, 4), st.integers(0, 4), *[sizes] * ndim),
                         st.tuples(*[sizes] * (ndim + 1)), st.just((5,) * ndim),
                         st.just((np.int64(5),) * ndim), st.just(np.array([5] * ndim)),
                         st.just(()), st.just((2**63,) * ndim))
    if kind == ADAPTIVE_SIZE:        # the input has 5 cells per dimension
        entry = st.one_of(st.none(), st.integers(-1, 7))
        return st.one_of(st.none(), st.integers(-1, 7), st.tuples(*[entry] * ndim),
                         st.lists(entry, min_size=ndim, max_size=ndim),
                         st.tuples(*[entry] * (ndim + 1)), st.just((value,)), st.just(()),
                         st.just((np.int64(value),) * ndim), st.just(np.array([value] * ndim)),
                         st.just(range(2, 2 + ndim)), st.just((True,) * ndim),
                         st.just((2**63,) * ndim), st.just(10**9), st.just(10**400))
    if kind == NORM_TYPE:
        return st.sampled_from([1, 2, 3, 0.5, 1.5, -1, -2.5, math.inf, -math.inf, 0, -0.0,
                                math.nan, 1e-300, 1e300, -1e300, 2**63, 10**400, np.float32(2),
                                np.float16(3), np.int8(2), np.uint8(1), np.float64(math.inf),
                                Fraction(3, 2), Decimal(2), np.array(2.0), "2", True])
    raise AssertionError(f"no values for kind {kind!r}")


def spread(array):
    """The same values as a non-contiguous view: every other cell of a larger array."""
    wider = np.zeros(tuple(2 * n for n in array.shape), dtype=array.dtype)
    view = wider[tuple(slice(None, None, 2) for _ in array.shape)]
    view[...] = array
    return view


def read_only(array):
    frozen = array.copy()
    frozen.setflags(write=False)
    return frozen


def with_value(array, value, everywhere=False):
    """A copy of ``array`` with its first cell (or every cell) set to ``value``."""
    changed = array.copy()
    if everywhere:
        changed[...] = value
    elif changed.size:
        changed.flat[0] = value
    return changed


class Odd(NamedTuple):
    """An odd array argument: ``same_values`` if it holds the baseline's values (so the
    call must give the baseline's result), ``refuse`` if it must be refused with a
    TypeError."""

    description: str
    value: object
    same_values: bool = False
    refuse: bool = False

    def __repr__(self):
        return f"Odd({self.description})"


def odd_arrays(baseline):
    """The baseline array in odd forms (same values), with odd values, odd shapes, and odd
    types."""
    b = baseline
    same = [
        ("a nested list", b.tolist()), ("Fortran order", np.asfortranarray(b)),
        ("a strided view", spread(b)), ("a reversed view", b[..., ::-1].copy()[..., ::-1]),
        ("read-only", read_only(b)), ("big-endian", b.astype(b.dtype.newbyteorder(">"))),
        ("float32", b.astype(np.float32)), ("float16", b.astype(np.float16)),
        ("int64", b.astype(np.int64)), ("int8", b.astype(np.int8)),
    ]
    changed = [
        ("a NaN", with_value(b, np.nan)), ("+inf", with_value(b, np.inf)),
        ("-inf", with_value(b, -np.inf)), ("all NaN", with_value(b, np.nan, everywhere=True)),
        ("all -inf", with_value(b, -np.inf, everywhere=True)),
        ("huge values", b * 1e300), ("subnormal values", b * 1e-310),
        ("-0.0", with_value(b, -0.0, everywhere=True)), ("booleans", b > 0),
        ("a broadcast view", np.broadcast_to(np.float64(2.0), b.shape)),
        ("one axis more", b[np.newaxis]), ("one axis less", b[0]),
        ("a 0-d array", np.array(1.0)), ("a Python float", 1.5),
        ("an empty array", np.zeros(0)),
    ]
    if b.ndim >= 3:
        changed += [("an empty batch", b[:0]), ("zero channels", b[:, :0]),
                    ("an empty spatial axis", b[..., :0]), ("two images", np.concatenate([b, b]))]
    refused = [
        ("a masked array", np.ma.masked_array(b, mask=np.eye(1, b.size, dtype=bool)
                                              .reshape(b.shape))),
        ("a masked array without a masked cell", np.ma.masked_array(b)),
    ]
    other = [
        ("complex", b.astype(complex)), ("object dtype", b.astype(object)),
        ("strings", b.astype(str)), ("datetimes", b.astype(np.int64).astype("M8[s]")),
        ("None", None), ("a ragged list", [[1.0, 2.0], [3.0]]), ("a string", "abc"),
        ("bytes", b"abc"), ("a dict", {"input": b}), ("a structured array",
                                                      np.zeros(b.shape, dtype="f8,f8")),
    ]
    return st.one_of(
        st.sampled_from([Odd(d, v, same_values=True) for d, v in same]),
        st.sampled_from([Odd(d, v) for d, v in changed + other]),
        st.sampled_from([Odd(d, v, refuse=True) for d, v in refused]))


def odd_indices(baseline):
    """max_unpool's indices in odd forms (the same indices), with odd values (outside the
    output plane, repeated, huge), odd shapes, and odd types."""
    b = baseline
    plane = 5 ** (b.ndim - 2)           # the baselines unpool to 5 cells per dimension
    same = [
        ("a nested list", b.tolist()), ("Fortran order", np.asfortranarray(b)),
        ("a strided view", spread(b)), ("read-only", read_only(b)),
        ("big-endian", b.astype(b.dtype.newbyteorder(">"))), ("int32", b.astype(np.int32)),
        ("uint8", b.astype(np.uint8)), ("int8", b.astype(np.int8)),
        ("uint64", b.astype(np.uint64)),
    ]
    changed = [
        ("all zero", np.zeros_like(b)), ("the plane's size", with_value(b, plane)),
        ("-1", with_value(b, -1)), ("-2**63", with_value(b, -2**63)),
        ("2**63 - 1", with_value(b, 2**63 - 1)),
        ("2**64 - 1", with_value(b.astype(np.uint64), 2**64 - 1)),
        ("float64", b.astype(np.float64)), ("float64 with a NaN", with_value(b * 1.0, np.nan)),
        ("booleans", b > 0), ("a broadcast view", np.broadcast_to(np.int64(1), b.shape)),
        ("one axis more", b[np.newaxis]), ("one axis less", b[0]),
        ("a 0-d array", np.array(1)), ("a Python int", 1), ("an empty array", np.zeros(0, int)),
        ("an empty batch", b[:0]), ("zero channels", b[:, :0]),
        ("an empty spatial axis", b[..., :0]), ("two images", np.concatenate([b, b])),
    ]
    other = [
        ("a masked array", np.ma.masked_array(b, mask=np.zeros(b.shape, bool))),
        ("a ragged list", [[1, 2], [3]]),
        ("complex", b.astype(complex)), ("object dtype", b.astype(object)),
        ("strings", b.astype(str)), ("datetimes", b.astype("M8[s]")),
        ("timedeltas", b.astype("m8[s]")), ("None", None), ("a string", "abc"),
        ("bytes", b"abc"), ("a dict", {"indices": b}),
        ("a structured array", np.zeros(b.shape, dtype="i8,i8")),
    ]
    return st.one_of(
        st.sampled_from([Odd(d, v, same_values=True) for d, v in same]),
        st.sampled_from([Odd(d, v) for d, v in changed + other]))


def hostile_values(op, name):
    """Anything at all for parameter ``name`` of ``op``: odd arrays for an array, and for
    every parameter wild values and nearly right ones."""
    kind = METHOD if name == "method" else op.kinds[name]
    ndim = op.spatial_dims
    wild = st.one_of(scalars(), sequences(ndim))
    if kind in (ARRAY, OPTIONAL_ARRAY):
        values = st.one_of(odd_arrays(op.baseline[name]), wild)
    elif kind == INDICES:
        values = st.one_of(odd_indices(op.baseline[name]), wild)
    else:
        value = op.baseline.get(name)
        value = value if isinstance(value, int) and not isinstance(value, bool) else 1
        values = st.one_of(nearly_right(kind, value, ndim), wild)
    return values


# --------------------------------------------------------------------------------------------
# Running a call: memory bound, address-space cap, liveness guard, warnings
# --------------------------------------------------------------------------------------------

@pytest.fixture(autouse=True, scope="module")
def small_memory_bound():
    """npconv's memory bound at 64 MiB, and the address space capped, for this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(npconv.shapes, "MAX_ARRAY_BYTES", MAX_ARRAY_BYTES)
        with capped_address_space(ADDRESS_SPACE_HEADROOM):
            yield


FLOATING_POINT_WARNINGS = r"(invalid value|overflow|divide by zero) encountered"


def run(function, kwargs):
    """``(result, None)`` or ``(None, exception)``.  A warning other than NumPy's
    floating-point ones counts as an exception (a silent cast would be a wrong number)."""
    with warnings.catch_warnings(), liveness_guard(HANG_SECONDS):
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=FLOATING_POINT_WARNINGS)
        try:
            return function(**kwargs), None
        except Exception as error:
            return None, error


def as_compared(result):
    """A result as :func:`tests.oracles.assert_close` compares it (named tuples as tuples)."""
    return tuple(result) if isinstance(result, tuple) else result


# --------------------------------------------------------------------------------------------
# What each outcome must satisfy
# --------------------------------------------------------------------------------------------

ALSO_NAMED = {
    "input": (r"\(in [+-]",),             # the output-size formula calls its size "in"
    "weight": (r"\bkernel_size\b",        # the weight's spatial axes are the kernel,
               r"\bbias\b"),              # and conv_transpose's C_out, which bias must fit
    "groups": (r"\bbias\b",),             # conv_transpose's C_out is weight.shape[1] * groups
    "padding": (r"\bbefore\b",),          # the formulas call a padding pair before, after
}
"""Other words that name a parameter: its symbol in a formula the message spells out, or
the other side of a relation it broke (a new groups or weight changes conv_transpose's
C_out, and the message may then say that the bias no longer fits)."""


RELATED = {
    "max_unpool": {name: ("indices",) for name in ("kernel_size", "stride", "padding",
                                                    "output_size")},
}
"""Per family, the argument on the other side of a relation a parameter sets: max
unpooling's geometry sets the output plane, and a plane too small for the indices is
reported as an index outside it (the message gives the plane's size)."""


def names(message, name):
    """Whether ``message`` names parameter ``name`` (as a word, by its symbol in a formula
    that the message spells out, or by the other side of a relation it broke)."""
    patterns = (rf"\b{name}\b", *ALSO_NAMED.get(name, ()))
    return any(re.search(pattern, message) for pattern in patterns)


def is_memory_refusal(error):
    return isinstance(error, ValueError) and re.search(r"\bbytes\b", str(error)) is not None


def assert_clear(error, name, also=()):
    """``error`` is a ValueError or TypeError whose message names ``name`` (or one of
    ``also``)."""
    __tracebackhide__ = True
    assert isinstance(error, (ValueError, TypeError)), (
        f"{type(error).__name__} instead of ValueError/TypeError: {error}")
    assert any(names(str(error), candidate) for candidate in (name, *also)), (
        f"the message does not name {name!r}: {type(error).__name__}: {error}")


def grad_output_for(op, kwargs):
    """For a backward: a grad_output of the shape its forward gives for ``kwargs`` (with the
    loops variant; the baseline's if that shape is the baseline's), and whether the forward
    returned at all."""
    forward = OPS_BY_NAME[op.forward]
    forward_kwargs = {name: kwargs[name] for name in forward.kinds if name in kwargs}
    forward_kwargs.update({name: value for name, value in forward.baseline.items()
                           if name not in op.kinds})
    out, error = run(forward.function, {**forward_kwargs, "method": "loops"})
    if error is not None:
        return op.baseline["grad_output"], False
    out = out[0] if isinstance(out, tuple) else out
    if out.shape == op.baseline["grad_output"].shape:
        return op.baseline["grad_output"], True
    return (np.arange(out.size) % 5 - 2.0).reshape(out.shape), True


@functools.cache
def baseline_result(op_name):
    """The loops variant's result for an op's baseline call (computed once)."""
    op = OPS_BY_NAME[op_name]
    result, error = run(op.function, {**op.baseline, "method": "loops"})
    assert error is None, f"the baseline call of {op.name} fails: {error!r}"
    return as_compared(result)


def check_call(op, name, drawn):
    """Call ``op`` with parameter ``name`` set to ``drawn`` and check every promise."""
    odd = drawn if isinstance(drawn, Odd) else None
    value = odd.value if odd else drawn
    kwargs = {**op.baseline, name: value}
    forward_returned = True
    if op.forward and name != "grad_output":
        kwargs["grad_output"], forward_returned = grad_output_for(op, kwargs)
    before = {key: oracles.snapshot(argument) for key, argument in kwargs.items()}

    methods = (value,) if name == "method" else METHODS
    outcomes = {}
    for method in methods:
        outcomes[str(method)] = run(op.function, {**kwargs, "method": method})
        for key, argument in kwargs.items():
            assert oracles.snapshot(argument) == before[key], (
                f"{op.name}(method={method!r}) changed its argument {key}")

    also = RELATED.get(forward_family(op), {}).get(name, ())
    also += () if forward_returned else ("grad_output",)
    for method, (result, error) in outcomes.items():
        if odd and odd.refuse:
            assert isinstance(error, TypeError), (
                f"method={method}: {odd.description} must be refused with a TypeError, got "
                f"{'a result' if error is None else repr(error)}")
        if error is not None:
            assert_clear(error, name, also)

    returned = {method: as_compared(result) for method, (result, error) in outcomes.items()
                if error is None}
    raised = {method: error for method, (result, error) in outcomes.items()
              if error is not None}
    if returned and raised:
        assert all(is_memory_refusal(error) for error in raised.values()), (
            f"one method returned, the other raised {raised}")
    reference = returned.get("loops")
    if name == "method" and returned:
        reference = baseline_result(op.name)
    for method, result in returned.items():
        if reference is not None:
            oracles.assert_close(result, reference, err_msg=f"{method} against loops")
        if odd and odd.same_values:
            oracles.assert_close(result, baseline_result(op.name), check_dtype=False,
                                 err_msg=f"{method} with {odd.description}")


# --------------------------------------------------------------------------------------------
# The property, for every parameter of every op
# --------------------------------------------------------------------------------------------

CASES = [(op, name) for op in OPS for name in op.parameters]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("op, name", CASES, ids=[f"{op.name}-{name}" for op, name in CASES])
@settings(max_examples=EXAMPLES_PER_PARAMETER)
@given(data=st.data())
def test_any_value_gives_the_loops_result_or_an_error_naming_the_parameter(op, name, data):
    """One parameter set to anything at all: the loops variant's result with both methods,
    or a ValueError/TypeError naming the parameter; no argument changed."""
    check_call(op, name, data.draw(hostile_values(op, name), label=name))


NOT_OPS = {"pad", "insert_zeros", "conv_output_size", "conv_transpose_output_size",
           "pool_output_size", "same_padding", "effective_kernel_size", "output_padding_for",
           "conv_parameter_count", "receptive_field"}
"""The public functions of npconv that are not ops (no ``method``): the padding and
zero-insertion steps of the variants, and the shape formulas (tests/test_shapes.py)."""


def test_the_table_holds_every_parameter_of_every_public_op():
    """Each op's table row lists exactly its signature's parameters (a rank-checked alias
    those of its op), so a new parameter cannot escape the hostile tests; every function of
    ``npconv.__all__`` that takes ``method`` has a row, and any other is one of the named
    non-ops, so a new public function cannot escape them either."""
    for op in OPS:
        signature = inspect.signature(getattr(npconv, op.family))
        assert set(op.parameters) == set(signature.parameters), op.name
        explicit = [p.name for p in inspect.signature(op.function).parameters.values()
                    if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        assert set(explicit) <= set(op.parameters), op.name
        alias_rank = re.fullmatch(r".*_?(\d)d", op.name.removeprefix(op.family))
        if alias_rank:
            assert op.spatial_dims == int(alias_rank.group(1)), op.name
    functions = {name for name in npconv.__all__ if inspect.isfunction(getattr(npconv, name))}
    ops = {name for name in functions
           if "method" in inspect.signature(getattr(npconv, name)).parameters}
    assert ops == set(OPS_BY_NAME), (
        f"public ops without a row: {sorted(ops - set(OPS_BY_NAME))}; rows of no public op: "
        f"{sorted(set(OPS_BY_NAME) - ops)}")
    assert functions - ops == NOT_OPS, (
        f"public functions without method that are not named non-ops (give them a row or "
        f"name them): {sorted(functions - ops - NOT_OPS)}")


def reference_result(family, kwargs):
    """The result of ``family``'s reference op in tests.oracles for an op's keyword
    arguments (less those it has no use for: workspace_bytes, and return_indices, whose
    indices it then drops)."""
    result = getattr(oracles, family)(**{key: value for key, value in kwargs.items()
                                         if key not in ("workspace_bytes", "return_indices")})
    return as_compared(result[0] if family == "max_pool" else result)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_the_baselines_are_valid_and_equal_the_oracle(op):
    """Each baseline call returns, with both methods, the result of the reference op in
    tests.oracles (so that "the baseline's result" is right to begin with); an op with no
    reference there yet must at least give the same result with both methods."""
    if hasattr(oracles, op.family):
        expected = reference_result(op.family, op.baseline)
    else:
        expected = baseline_result(op.name)
    for method in METHODS:
        oracles.assert_close(as_compared(op.function(**op.baseline, method=method)),
                             expected, err_msg=method)


# --------------------------------------------------------------------------------------------
# The argument forms that must be accepted, with their meaning
# --------------------------------------------------------------------------------------------

FORM_VALUES = {
    "conv": {"stride": 1, "padding": 0, "dilation": 2},
    "conv_transpose": {"stride": 3, "padding": 0, "output_padding": 0, "dilation": 2},
    "max_pool": {"kernel_size": 2, "stride": 1, "padding": 0, "dilation": 2},
    "avg_pool": {"kernel_size": 2, "stride": 1, "padding": 0},
    "unfold": {"kernel_size": 2, "dilation": 2, "padding": 0, "stride": 1},
    "fold": {"output_size": 6, "kernel_size": 2, "dilation": 2, "padding": 0, "stride": 1},
    "max_unpool": {"kernel_size": 4, "stride": 3, "padding": 0},
    "adaptive_avg_pool": {"output_size": 2},
    "adaptive_max_pool": {"output_size": 2},
    "lp_pool": {"kernel_size": 2, "stride": 1},
}
"""Per family, a valid value of each geometry parameter other than the baseline's, so that
a form read the wrong way shows in the result (max unpooling's make the output larger, so
that the baseline's indices stay in it; fold's columns are made to fit, see
:func:`canonical_call`)."""

ONE_ENTRY_REFUSED = {
    "unfold": {"kernel_size", "dilation", "padding", "stride"},
    "fold": {"output_size", "kernel_size", "dilation", "padding", "stride"},
    "max_unpool": {"kernel_size", "stride", "padding"},
    "adaptive_avg_pool": {"output_size"},
    "adaptive_max_pool": {"output_size"},
    "lp_pool": {"kernel_size"},
}
"""Per family, the parameters of :data:`FORM_VALUES` for which PyTorch (2.13) refuses a
one-element tuple or list in 2-D and 3-D: it wants an int or one entry per dimension.  (For
unfold and fold npconv reads one entry as one spatial dimension; PyTorch's lp_pool1d wants
an int kernel_size, and its one-entry tuple, checked here, is npconv's form.)  Everywhere
else a one-element sequence means that value in every dimension."""

SEQUENCE_VALUES = {
    "conv": {"stride": (1, 2), "padding": (0, 1), "dilation": (1, 2)},
    "conv_transpose": {"stride": (2, 3), "padding": (0, 1), "output_padding": (0, 1),
                       "dilation": (1, 2), "output_size": (4, 5)},
    "max_pool": {"kernel_size": (2, 3), "stride": (1, 2), "padding": (0, 1),
                 "dilation": (1, 2)},
    "avg_pool": {"kernel_size": (2, 3), "stride": (1, 2), "padding": (0, 1)},
    "unfold": {"kernel_size": (2, 3), "dilation": (1, 2), "padding": (0, 1), "stride": (1, 2)},
    "fold": {"output_size": (5, 6), "kernel_size": (2, 3), "dilation": (1, 2),
             "padding": (0, 1), "stride": (1, 2)},
    "max_unpool": {"kernel_size": (3, 4), "stride": (2, 3), "padding": (0, 1),
                   "output_size": (5, 6)},
    "adaptive_avg_pool": {"output_size": (2, 3)},
    "adaptive_max_pool": {"output_size": (2, 3)},
    "lp_pool": {"kernel_size": (2, 3), "stride": (1, 2)},
}
"""Per family, valid 2-D tuples of consecutive ints, so each is also a range."""

ALONG_WITH = {("conv_transpose", "output_size"): {"output_padding": 0}}
"""Changes that need another: an output_size other than the baseline's asks for its own
output padding, and a non-zero one given beside it would have to agree."""


def forward_family(op):
    return op.family.removesuffix("_backward")


def columns_to_fold(kwargs):
    """Columns that fit fold's geometry in ``kwargs``: the reference unfold of a two-channel
    image of its output_size."""
    output_size = kwargs["output_size"]
    in_size = oracles.per_dimension(output_size, oracles.unfold_dims(output_size))
    return oracles.unfold(integers((1, 2, *in_size), 12), kwargs["kernel_size"],
                          kwargs["dilation"], kwargs["padding"], kwargs["stride"])


def canonical_call(op, changes):
    """The op's keyword arguments with ``changes`` (and what they need along with them: for
    fold, columns that fit; for a backward, a grad_output of the shape the reference forward
    gives), and the reference op's result for them."""
    kwargs = {**op.baseline, **changes}
    for name in changes:
        kwargs.update(ALONG_WITH.get((forward_family(op), name), {}))
    if forward_family(op) == "fold":
        kwargs["input"] = columns_to_fold(kwargs)
    if op.forward:
        forward = OPS_BY_NAME[op.forward]
        out = reference_result(forward.family, {
            **forward.baseline, **{key: value for key, value in kwargs.items()
                                   if key != "grad_output"}})
        kwargs["grad_output"] = (np.arange(out.size) % 5 - 2.0).reshape(out.shape)
    return kwargs, reference_result(op.family, kwargs)


def assert_form_means(op, name, form, value):
    """``name=form`` gives, with both methods, the result of ``name=value`` (the canonical
    form, itself checked against the reference op)."""
    __tracebackhide__ = True
    kwargs, expected = canonical_call(op, {name: value})
    for method in METHODS:
        canonical = as_compared(op.function(**kwargs, method=method))
        oracles.assert_close(canonical, expected, err_msg=f"{method}, {name}={value!r}")
        result, error = run(op.function, {**kwargs, name: form, "method": method})
        assert error is None, f"{method}: {name}={form!r} refused: {error!r}"
        oracles.assert_close(as_compared(result), expected, err_msg=f"{method}, {name}={form!r}")


def output_size_forms(op):
    """PyTorch's forms of an ``output_size``: a list; ``N`` and ``C`` in front (the
    output's: PyTorch ignores them, npconv holds them to the output's); for an adaptive pool
    of two or more dimensions a ``None`` entry, the input's size (PyTorch's 1-D version
    refuses it)."""
    family, ndim = forward_family(op), op.spatial_dims
    if family in ("conv_transpose", "max_unpool"):
        size, channels = ((4,) * ndim, 3) if family == "conv_transpose" else ((6,) * ndim, 2)
        return [(op, "output_size", list(size), size),
                (op, "output_size", (1, channels, *size), size)]
    if family.startswith("adaptive") and ndim > 1:
        return [(op, "output_size", (None,) * (ndim - 1) + (2,), (5,) * (ndim - 1) + (2,))]
    return []


def pytorch_forms():
    """(op, parameter, PyTorch's form, the canonical value it means), for every op."""
    cases = []
    for op in OPS:
        family, ndim = forward_family(op), op.spatial_dims
        for name, value in FORM_VALUES.get(family, {}).items():
            entries = 1 if name not in ONE_ENTRY_REFUSED.get(family, ()) else ndim
            cases += [(op, name, (value,) * entries, value), (op, name, [value] * entries, value)]
        if op.kinds.get("stride") == POOL_STRIDE:
            cases += [(op, "stride", (), None), (op, "stride", [], None)]
        cases += output_size_forms(op)
    return cases


def each_form(cases):
    """Parametrize a test over ``(op, name, form, value)`` cases."""
    return pytest.mark.parametrize("op, name, form, value", cases,
                                   ids=[f"{op.name}-{name}={form!r}"
                                        for op, name, form, _ in cases])


@each_form(pytorch_forms())
def test_pytorch_argument_forms_mean_what_they_mean_in_pytorch(op, name, form, value):
    """The forms PyTorch's functional ops accept (checked with torch 2.13): a one-element
    tuple or list, meaning that value in every spatial dimension (``padding=(1,)`` for a 2-D
    pooling), or where PyTorch refuses that, one entry per dimension; a pooling's ``stride=()``
    or ``[]``, meaning the default, ``kernel_size``; an output_size as a list, with N and C
    in front, or with None entries for an adaptive pool.  Each gives the canonical form's
    result and the reference op's."""
    assert_form_means(op, name, form, value)


def sequence_forms():
    """(op, parameter, form, the tuple it means): NumPy int arrays, ranges and lists."""
    cases = []
    for op in (op for op in OPS if op.name == op.family):          # not the aliases
        for name, values in SEQUENCE_VALUES.get(forward_family(op), {}).items():
            forms = [np.array(values), np.array(values, dtype=np.int32),
                     np.array(values, dtype=np.uint8), range(values[0], values[-1] + 1),
                     list(values)]
            cases += [(op, name, form, values) for form in forms]
    return cases


@each_form(sequence_forms())
def test_numpy_int_arrays_and_ranges_are_sequences_of_ints(op, name, form, value):
    """A 1-D NumPy integer array, a range or a list of ints is a sequence of ints: it gives
    the tuple's result (and the reference op's), with both methods."""
    assert_form_means(op, name, form, value)


# --------------------------------------------------------------------------------------------
# The odd inputs that were reported, pinned
# --------------------------------------------------------------------------------------------

REPORTED = {
    # name: (call, the parameters the error may name, the correct result or None)
    "None as conv's input": (
        lambda method: npconv.conv(None, np.ones((1, 1, 1)), method=method), ("input",), None),
    "None as max_pool's input": (
        lambda method: npconv.max_pool(None, 2, method=method), ("input",), None),
    "None as a weight": (
        lambda method: npconv.conv_transpose(np.ones((1, 1, 2)), None, method=method),
        ("weight",), None),
    "a ragged nested list": (
        lambda method: npconv.max_pool([[[1., 2.], [1.]]], 2, method=method), ("input",), None),
    "zero input channels": (
        lambda method: npconv.conv(np.ones((1, 0, 5)), np.ones((2, 0, 3)), method=method),
        ("input", "weight"), np.zeros((1, 2, 3))),
    "replicate padding of an empty axis": (
        lambda method: npconv.conv(np.ones((1, 1, 0)), np.ones((1, 1, 1)), padding=1,
                                   padding_mode="replicate", method=method),
        ("input", "padding", "padding_mode"), None),
    "a stride of 2**63 in pooling": (
        lambda method: npconv.max_pool(np.arange(5.).reshape(1, 1, 5), 2, stride=2**63,
                                       method=method), ("stride",), np.array([[[1.]]])),
    "divisor_override=10**400": (
        # 2 / 10**400 is below the smallest float: exactly 0.0 once rounded.
        lambda method: npconv.avg_pool(np.ones((1, 1, 4)), 2, divisor_override=10**400,
                                       method=method), ("divisor_override",),
        np.zeros((1, 1, 2))),
    "workspace_bytes=np.uint8(2)": (
        lambda method: npconv.conv(np.ones((3, 2, 6, 6)), np.ones((2, 2, 3, 3)),
                                   workspace_bytes=np.uint8(2), method=method),
        ("workspace_bytes",), np.full((3, 2, 4, 4), 18.)),
    "method as a NumPy array": (
        lambda method: npconv.max_pool(np.ones((1, 1, 4)), 2,
                                       method=np.array([method, method])), ("method",), None),
    "padding_mode as a NumPy array": (
        lambda method: npconv.conv(np.ones((1, 1, 4)), np.ones((1, 1, 2)),
                                   padding_mode=np.array(["zeros", "reflect"]), method=method),
        ("padding_mode",), None),
}


REPORTED_CASES = [(case, method) for case, (_, _, expected) in REPORTED.items()
                  for method in (METHODS if expected is not None else ("im2col",))]
"""A call with a correct result runs with both methods; a refusal, which the argument checks
make before a method is chosen, with the default one."""


@pytest.mark.parametrize("case, method", REPORTED_CASES,
                         ids=[f"{case}-{method}" for case, method in REPORTED_CASES])
def test_reported_odd_inputs_give_a_clear_error_or_the_right_result(case, method):
    """Each odd input once answered with the wrong kind of exception (AttributeError,
    ZeroDivisionError, IndexError, OverflowError, or NumPy's own words): it must now be a
    ValueError/TypeError naming the parameter, or the correct result (worked out by hand:
    a sum over zero channels is 0, one window of [0..4] holds max 1, ...)."""
    call, parameters, expected = REPORTED[case]
    result, error = run(call, {"method": method})
    if error is not None or expected is None:
        assert error is not None, f"returned {result!r} for an impossible call"
        assert_clear(error, parameters[0], parameters[1:])
    else:
        oracles.assert_close(result, expected)


ARRAY_PARAMETERS = [(op, name) for op in OPS for name, kind in op.kinds.items()
                    if kind in (ARRAY, OPTIONAL_ARRAY, INDICES)]
"""Every array parameter, max_unpool's indices included."""


@pytest.mark.parametrize("op, name", ARRAY_PARAMETERS,
                         ids=[f"{op.name}-{name}" for op, name in ARRAY_PARAMETERS])
def test_masked_arrays_are_refused(op, name):
    """A masked array is refused with a TypeError naming the parameter, whatever its mask:
    NumPy would drop the mask and the masked cells would count (a contract choice: refuse
    rather than guess whether they are zeros, holes or values).  The argument checks refuse
    it before a method is chosen, so the default method is enough."""
    baseline = op.baseline[name]
    mask = np.zeros(baseline.shape, dtype=bool)
    mask.flat[0] = True
    for masked in (np.ma.masked_array(baseline, mask=mask), np.ma.masked_array(baseline)):
        result, error = run(op.function, {**op.baseline, name: masked})
        assert isinstance(error, TypeError), (
            f"{'a result' if error is None else repr(error)} for a masked {name}")
        assert_clear(error, name)
