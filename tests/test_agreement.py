"""The two variants agree: ``method="loops"`` and ``method="im2col"`` give the same numbers
for every op, forward and backward; and the dtype and unbatched-input rules of the API.

Cheat sheet: every section ("Convolution operation", "Pooling operation", "Dilated
Convolution", "Transposed Convolution"): the loop variant is the formula written out, the
im2col variant the fast one, and each must be a faithful copy of the other.

- In float64 the two agree to rounding (``rtol = 1e-10``, and ``atol = 1e-10`` times the
  result's magnitude); in float32 to float32 rounding (``1e-4``).  Max pooling only copies
  cells, so its values and its indices agree exactly, even with ties, ``-inf`` and NaN.
- dtypes (the contract in ``npconv.api``): float32 in gives float32 out, float64 gives
  float64, integer and boolean inputs compute in float64, mixed inputs in their common type,
  and max pooling's indices are int64.
- The rank-checked aliases (``conv2d`` and so on) given an unbatched ``(C, *spatial)`` input
  return the batched result's ``[0]``.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import npconv
from npconv.testing.strategies import (
    arrays,
    conv_configs,
    conv_transpose_configs,
    op_args,
    pool_configs,
    tie_rich_arrays,
)
from tests import oracles
from tests.guards import liveness_guard, run_small

DTYPES = {"float64": np.float64, "float32": np.float32}

FAMILIES = {
    "conv": (npconv.conv, npconv.conv_backward, conv_configs),
    "conv_transpose": (npconv.conv_transpose, npconv.conv_transpose_backward,
                       conv_transpose_configs),
    "max_pool": (npconv.max_pool, npconv.max_pool_backward,
                 lambda **bounds: pool_configs("max", **bounds)),
    "avg_pool": (npconv.avg_pool, npconv.avg_pool_backward,
                 lambda **bounds: pool_configs("avg", **bounds)),
}
"""Each op's forward, its backward, and its configurations (with optional bounds: dtype)."""


def assert_agree(loops_result, im2col_result, dtype):
    """Both have ``dtype``, and they agree (:func:`tests.oracles.assert_close`: the same
    shape, NaN and infinities in the same cells, the rest to the dtype's rounding)."""
    __tracebackhide__ = True
    parts = loops_result if isinstance(loops_result, tuple) else (loops_result,)
    assert all(part.dtype == dtype for part in parts), [part.dtype for part in parts]
    oracles.assert_close(im2col_result, loops_result)


def without_bias(args):
    return {key: value for key, value in args.items() if key != "bias"}


def run_both(op, *args, **kwargs):
    return op(*args, **kwargs, method="loops"), op(*args, **kwargs, method="im2col")


# --------------------------------------------------------------------------------------------
# Every op, forward and backward
# --------------------------------------------------------------------------------------------

def check_forward_agreement(family, dtype_name, data):
    """loops == im2col for a drawn configuration of ``family``, in the drawn dtype, which
    the output keeps."""
    forward, _, configs = FAMILIES[family]
    dtype = DTYPES[dtype_name]
    config = data.draw(configs(dtype=dtype))
    assert_agree(*run_both(forward, **op_args(config)), dtype)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_conv_variants_agree(dtype_name, data):
    """conv: loops == im2col, in float64 and float32, every padding mode ("Convolution
    operation")."""
    check_forward_agreement("conv", dtype_name, data)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_conv_transpose_variants_agree(dtype_name, data):
    """conv_transpose: loops == im2col, keeping the input's dtype ("Transposed
    Convolution")."""
    check_forward_agreement("conv_transpose", dtype_name, data)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_avg_pool_variants_agree(dtype_name, data):
    """avg_pool: loops == im2col for every divisor rule ("Pooling operation": average
    pooling; max pooling is checked exactly, below)."""
    check_forward_agreement("avg_pool", dtype_name, data)


@pytest.mark.parametrize("dtype_name", DTYPES)
@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_backward_variants_agree(family, dtype_name, data):
    """Every backward: loops == im2col for each gradient (input, weight and bias of the
    convolutions), keeping the dtype."""
    forward, backward, configs = FAMILIES[family]
    dtype = DTYPES[dtype_name]
    args = without_bias(op_args(data.draw(configs(dtype=dtype))))
    grad_output = data.draw(arrays(forward(**args, method="loops").shape, dtype))
    assert_agree(*run_both(backward, grad_output, **args), dtype)


# --------------------------------------------------------------------------------------------
# Max pooling: the same cells, exactly
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_max_pool_variants_agree_exactly_with_indices(dtype_name, data):
    """max_pool: loops and im2col pick the same cells, so values and int64 indices are
    equal exactly ("Pooling operation": max pooling)."""
    dtype = DTYPES[dtype_name]
    config = data.draw(pool_configs("max", dtype=dtype))
    (loops_out, loops_indices), (im2col_out, im2col_indices) = run_both(
        npconv.max_pool, **op_args(config), return_indices=True)
    assert loops_out.dtype == im2col_out.dtype == dtype
    assert loops_indices.dtype == im2col_indices.dtype == np.int64
    np.testing.assert_array_equal(im2col_out, loops_out)
    np.testing.assert_array_equal(im2col_indices, loops_indices)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_max_pool_variants_agree_on_ties_infinities_and_nan(dtype_name, data):
    """max_pool over inputs full of ties, -inf and NaN: both variants return the same
    values and the same indices ("Pooling operation": max pooling)."""
    dtype = DTYPES[dtype_name]
    config = data.draw(pool_configs("max", dtype=dtype))
    config["input"] = data.draw(tie_rich_arrays(config["input"].shape, dtype))
    (loops_out, loops_indices), (im2col_out, im2col_indices) = run_both(
        npconv.max_pool, **op_args(config), return_indices=True)
    np.testing.assert_array_equal(im2col_out, loops_out)
    np.testing.assert_array_equal(im2col_indices, loops_indices)


# --------------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------------

def every_result(dtype, method, then_float64=False):
    """Every op's and every backward's outputs for small integer-valued arrays of ``dtype``
    (2-D, stride 2, padding 1), or their float64 copies; max pooling's indices under the
    key "max_pool indices"."""
    rng = np.random.default_rng(0)

    def array(shape):
        values = rng.integers(-3, 4, size=shape).astype(dtype)
        return values.astype(np.float64) if then_float64 else values

    x, w, bias = array((1, 2, 5, 5)), array((2, 2, 3, 3)), array((2,))
    geometry = {"stride": 2, "padding": 1, "method": method}
    pooling = {"kernel_size": 3, "stride": 2, "padding": 1, "method": method}
    max_out, max_indices = npconv.max_pool(x, **pooling, return_indices=True)
    return {
        "conv": npconv.conv(x, w, bias, **geometry),                          # (1, 2, 3, 3)
        "conv_backward": npconv.conv_backward(array((1, 2, 3, 3)), x, w, **geometry),
        "conv_transpose": npconv.conv_transpose(x, w, bias, **geometry),      # (1, 2, 9, 9)
        "conv_transpose_backward": npconv.conv_transpose_backward(array((1, 2, 9, 9)), x, w,
                                                                  **geometry),
        "max_pool": max_out,                                                  # (1, 2, 3, 3)
        "max_pool indices": max_indices,
        "max_pool_backward": npconv.max_pool_backward(array((1, 2, 3, 3)), x, **pooling),
        "avg_pool": npconv.avg_pool(x, **pooling),
        "avg_pool_backward": npconv.avg_pool_backward(array((1, 2, 3, 3)), x, **pooling),
    }


def flat_arrays(results):
    """(name, array) for every array, a backward's gradients one by one."""
    for name, result in results.items():
        parts = result if isinstance(result, tuple) else (result,)
        for part in parts:
            yield name, part


@pytest.mark.parametrize("method", ["loops", "im2col"])
@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64),
    (np.int64, np.float64), (np.int32, np.float64), (np.uint8, np.float64),
    (np.bool_, np.float64)])
def test_every_output_has_the_dtype_the_contract_promises(dtype, expected, method):
    """float32 in gives float32 out, float64 gives float64, integer and boolean inputs give
    float64, for every op and every gradient; max pooling's indices are int64 (npconv.api)."""
    for name, array in flat_arrays(every_result(dtype, method)):
        wanted = np.int64 if name == "max_pool indices" else expected
        assert array.dtype == wanted, name


@pytest.mark.parametrize("method", ["loops", "im2col"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_boolean_inputs_give_the_float64_results(dtype, method):
    """An integer or boolean array computes exactly as its float64 copy would (npconv.api:
    integer and boolean arrays count as float64)."""
    as_given = dict(flat_arrays(every_result(dtype, method)))
    as_float64 = dict(flat_arrays(every_result(dtype, method, then_float64=True)))
    for name, array in as_given.items():
        np.testing.assert_array_equal(array, as_float64[name], err_msg=name)


@pytest.mark.parametrize("method", ["loops", "im2col"])
@given(config=conv_configs(dtype=np.float32))
def test_mixed_float32_and_float64_arguments_compute_in_float64(config, method):
    """A float32 input with a float64 weight computes in float64, the common type, and
    equals the all-float64 result (npconv.api: mixed arrays compute in their common type)."""
    args = op_args(config)
    args["weight"] = args["weight"].astype(np.float64)
    mixed = npconv.conv(**args, method=method)
    args["input"] = args["input"].astype(np.float64)
    assert mixed.dtype == np.float64
    np.testing.assert_array_equal(mixed, npconv.conv(**args, method=method))


# --------------------------------------------------------------------------------------------
# Unbatched inputs to the rank-checked aliases
# --------------------------------------------------------------------------------------------

ALIASES = {
    "conv": (npconv.conv, {1: npconv.conv1d, 2: npconv.conv2d, 3: npconv.conv3d},
             conv_configs()),
    "conv_transpose": (npconv.conv_transpose,
                       {1: npconv.conv_transpose1d, 2: npconv.conv_transpose2d,
                        3: npconv.conv_transpose3d}, conv_transpose_configs()),
    "max_pool": (npconv.max_pool,
                 {1: npconv.max_pool1d, 2: npconv.max_pool2d, 3: npconv.max_pool3d},
                 pool_configs("max")),
    "avg_pool": (npconv.avg_pool,
                 {1: npconv.avg_pool1d, 2: npconv.avg_pool2d, 3: npconv.avg_pool3d},
                 pool_configs("avg")),
}


@pytest.mark.parametrize("method", ["loops", "im2col"])
@pytest.mark.parametrize("family", ALIASES)
@given(data=st.data())
def test_unbatched_alias_input_gives_the_batched_results_first_item(family, method, data):
    """conv2d and the other aliases, given a (C, *spatial) input, return the batched op's
    output for the same input with a batch axis, item [0] (PyTorch's unbatched inputs)."""
    op, aliases, configs = ALIASES[family]
    args = op_args(data.draw(configs))
    x = args.pop("input")
    alias = aliases[x.ndim - 2]
    batched = op(x, **args, method=method)
    unbatched = alias(x[0], **args, method=method)
    oracles.assert_close(unbatched, batched[0])


@pytest.mark.parametrize("method", ["loops", "im2col"])
@given(config=pool_configs("max"))
def test_unbatched_max_pool_alias_returns_unbatched_indices(config, method):
    """max_pool{1,2,3}d with return_indices and a (C, *spatial) input returns the batched
    values and indices, item [0] ("Pooling operation": max pooling)."""
    args = op_args(config)
    x = args.pop("input")
    alias = {1: npconv.max_pool1d, 2: npconv.max_pool2d, 3: npconv.max_pool3d}[x.ndim - 2]
    out, indices = npconv.max_pool(x, **args, return_indices=True, method=method)
    unbatched_out, unbatched_indices = alias(x[0], **args, return_indices=True,
                                             method=method)
    np.testing.assert_array_equal(unbatched_out, out[0])
    np.testing.assert_array_equal(unbatched_indices, indices[0])


@pytest.mark.parametrize("family", ALIASES)
@given(data=st.data())
def test_batched_alias_input_gives_the_ops_result(family, data):
    """The aliases pass a batched (N, C, *spatial) input straight to the op (npconv.api)."""
    op, aliases, configs = ALIASES[family]
    args = op_args(data.draw(configs))
    x = args.pop("input")
    np.testing.assert_array_equal(aliases[x.ndim - 2](x, **args), op(x, **args))


# --------------------------------------------------------------------------------------------
# The loop reference on huge geometry and empty axes: the formula's cells, and no more work
# or memory than they need
# --------------------------------------------------------------------------------------------

HUGE = 10**9

CONV_HUGE_CASES = [
    # x, w, stride, (before, after), dilation, padding_mode
    ([5., 6., 7.], [2.], HUGE, (HUGE, HUGE), 1, "zeros"),     # 2 windows far out, 1 on x[0]
    ([1., 2., 3.], [1., 10.], 1, (HUGE, 0), HUGE, "zeros"),   # dilation spans the padding
    ([5., 6., 7.], [1., 10.], HUGE, (HUGE, HUGE), 1, "replicate"),
    ([1., 2., 3.], [1., 10.], 1, (HUGE, 0), HUGE, "replicate"),
]


@pytest.mark.parametrize("x, w, stride, pair, dilation, mode", CONV_HUGE_CASES)
def test_loops_conv_with_huge_padding_stride_or_dilation_reads_only_its_windows(
        x, w, stride, pair, dilation, mode):
    """A three-cell answer behind a 10**9-cell padding, stride or dilation: the reference
    op's numbers (:mod:`tests.oracles`, one term per output cell and tap), forward and
    backward, without a padded copy of the input."""
    grad_output = np.array([[[1., -2., 3.]]])
    args = dict(input=np.array(x)[None, None], weight=np.array(w)[None, None], stride=stride,
                padding=[pair], dilation=dilation, padding_mode=mode)
    out = run_small(lambda: npconv.conv(**args, method="loops"))
    grads = run_small(lambda: tuple(npconv.conv_backward(grad_output, **args, method="loops")))
    oracles.assert_close(out, oracles.conv(**args), rtol=0)
    oracles.assert_close(grads, oracles.conv_backward(grad_output, **args), rtol=0)


CONV_TRANSPOSE_HUGE_CASES = [
    # x, w, stride, (before, after), output_padding, dilation
    ([1., 1.], [1.], HUGE, (HUGE // 2 - 1, HUGE // 2 - 1), 0, 1),   # every copy cropped away
    ([3., 4.], [1., 10.], HUGE, (HUGE - 1, 0), 0, 1),
    ([3., 4.], [1., 10.], 1, (HUGE - 1, 0), 0, HUGE),
    ([3., 4.], [1., 10.], HUGE, (HUGE - 1, 1), 1, 1),
]


@pytest.mark.parametrize("x, w, stride, pair, output_padding, dilation",
                         CONV_TRANSPOSE_HUGE_CASES)
def test_loops_conv_transpose_with_huge_geometry_scatters_only_onto_its_output(
        x, w, stride, pair, output_padding, dilation):
    """conv_transpose crops 10**9 cells: the kernel copies that land outside the cropped
    output are dropped, never written to an uncropped one (each answer has three cells; the
    reference op of :mod:`tests.oracles` visits one target per input cell and tap)."""
    grad_output = np.array([[[1., -2., 3.]]])
    args = dict(input=np.array(x)[None, None], weight=np.array(w)[None, None], stride=stride,
                padding=[pair], output_padding=output_padding, dilation=dilation)
    out = run_small(lambda: npconv.conv_transpose(**args, method="loops"))
    grads = run_small(lambda: tuple(npconv.conv_transpose_backward(grad_output, **args,
                                                                   method="loops")))
    assert out.shape == (1, 1, 3)
    oracles.assert_close(out, oracles.conv_transpose(**args), rtol=0)
    oracles.assert_close(grads, oracles.conv_transpose_backward(grad_output, **args), rtol=0)


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_loops_pooling_with_a_huge_kernel_and_padding_reads_only_the_input_cells(
        count_include_pad):
    """One input cell under a 10**9-tap window padded by 5 * 10**8 on each side: max
    pooling returns it (index 0), average pooling divides it by the window's count,
    with padding min(start + k, in + after) - start = 10**9, or without it, 1."""
    k, pad = HUGE, HUGE // 2
    x = np.array([[[3.]]])
    geometry = dict(kernel_size=(k,), stride=(k,), padding=((pad, pad),))
    out, indices = run_small(lambda: npconv.loops.max_pool(x, **geometry, dilation=(1,),
                                                           ceil_mode=False))
    grad_x = run_small(lambda: npconv.loops.max_pool_backward(
        np.array([[[2.]]]), x, **geometry, dilation=(1,), ceil_mode=False))
    assert (out.tolist(), indices.tolist(), grad_x.tolist()) == ([[[3.]]], [[[0]]], [[[2.]]])

    start = -pad
    divisor = min(start + k, 1 + pad) - start if count_include_pad else 1
    options = dict(ceil_mode=False, count_include_pad=count_include_pad, divisor_override=None)
    mean = run_small(lambda: npconv.loops.avg_pool(x, **geometry, **options))
    grad_x = run_small(lambda: npconv.loops.avg_pool_backward(np.array([[[2.]]]), x,
                                                              **geometry, **options))
    assert (mean.tolist(), grad_x.tolist()) == ([[[3. / divisor]]], [[[2. / divisor]]])
    assert npconv.shapes.clipped_window((0,), (k,), (k,), ((pad, pad),), (1,), (1,)) == (
        slice(0, 1, 1),)


def test_public_max_pool_with_a_million_tap_window_finishes():
    """The example of a window of 10**6 taps around one cell, through the public API."""
    with liveness_guard():
        out = npconv.max_pool(np.ones((1, 1, 1)), 10**6, padding=5 * 10**5, method="loops")
    assert out.tolist() == [[[1.]]]


@pytest.mark.parametrize("N, C_in, C_out", [(0, 2, 3), (2, 0, 3), (2, 2, 0), (0, 0, 0),
                                            (2, 2, 3)])
def test_loops_convolutions_of_empty_batches_and_channels_are_empty_or_bias(N, C_in, C_out):
    """N = 0 gives an empty batch; C_in = 0 sums nothing, so every output cell is its bias
    (a 2-tap kernel of ones otherwise adds 2 per input channel) and the weight gradient is
    empty; C_out = 0 gives no output channel.  The shapes are the
    size formulas: conv 5 -> 4 and conv_transpose 5 -> 6 for a 2-tap kernel.  The last,
    non-empty case shows that the expected values are the ops' formulas for ones."""
    bias = np.arange(1., C_out + 1.)
    x = np.ones((N, C_in, 5))
    out = npconv.conv(x, np.ones((C_out, C_in, 2)), bias, padding_mode="replicate",
                      method="loops")
    np.testing.assert_array_equal(out, np.broadcast_to(bias[:, None] + 2. * C_in,
                                                       (N, C_out, 4)))
    grads = npconv.conv_backward(np.ones((N, C_out, 4)), x, np.ones((C_out, C_in, 2)),
                                 method="loops")
    np.testing.assert_array_equal(grads.grad_input, np.zeros((N, C_in, 5)) + C_out *
                                  np.array([1., 2., 2., 2., 1.]))
    np.testing.assert_array_equal(grads.grad_weight, np.full((C_out, C_in, 2), 4. * N))
    np.testing.assert_array_equal(grads.grad_bias, np.full(C_out, 4. * N))

    out = npconv.conv_transpose(x, np.ones((C_in, C_out, 2)), bias, method="loops")
    np.testing.assert_array_equal(out - bias[:, None], np.zeros((N, C_out, 6)) + C_in *
                                  np.array([1., 2., 2., 2., 2., 1.]))
    grads = npconv.conv_transpose_backward(np.ones((N, C_out, 6)), x,
                                           np.ones((C_in, C_out, 2)), method="loops")
    np.testing.assert_array_equal(grads.grad_input, np.full((N, C_in, 5), 2. * C_out))
    np.testing.assert_array_equal(grads.grad_weight, np.full((C_in, C_out, 2), 5. * N))
    np.testing.assert_array_equal(grads.grad_bias, np.full(C_out, 6. * N))


@pytest.mark.parametrize("N, C", [(0, 2), (2, 0)])
def test_loops_pooling_of_empty_batches_and_channels_is_empty(N, C):
    """Pooling keeps N and C: an empty one stays empty, forward and backward (5 -> 2)."""
    x = np.ones((N, C, 5))
    out, indices = npconv.max_pool(x, 2, return_indices=True, method="loops")
    assert out.shape == indices.shape == (N, C, 2) and indices.dtype == np.int64
    assert npconv.max_pool_backward(np.ones((N, C, 2)), x, 2, method="loops").shape == x.shape
    assert npconv.avg_pool(x, 2, method="loops").shape == (N, C, 2)
    assert npconv.avg_pool_backward(np.ones((N, C, 2)), x, 2, method="loops").shape == x.shape


# --------------------------------------------------------------------------------------------
# NaN and infinity: the variants agree cell for cell, NaN where NaN
# --------------------------------------------------------------------------------------------

IGNORE_NAN_WARNINGS = pytest.mark.filterwarnings("ignore::RuntimeWarning")
"""NaN arithmetic warns ('invalid value'); here NaN is the point."""


@st.composite
def with_non_finite(draw, array):
    """A copy of ``array`` with a drawn share of its cells NaN, +inf or -inf."""
    seed = draw(st.integers(0, 2**32 - 1))
    share = draw(st.sampled_from([0.05, 0.2, 1.0]))
    rng = np.random.default_rng(seed)
    spoilt = array.copy()
    chosen = rng.random(array.shape) < share
    spoilt[chosen] = rng.choice([np.nan, np.inf, -np.inf], size=int(chosen.sum()))
    return spoilt


def tie_rich_arrays_like(array):
    """Ties, -inf and NaN in an array of ``array``'s shape."""
    return tie_rich_arrays(array.shape, array.dtype)


SPOIL = st.sampled_from(["grad_output", "input", "both"])

SPOILT_INPUTS = {"conv": with_non_finite, "conv_transpose": with_non_finite,
                 "max_pool": tie_rich_arrays_like, "avg_pool": with_non_finite}
"""How each family's input is spoilt: NaN, +inf and -inf cells; max pooling's also ties and
windows of nothing but -inf."""


@IGNORE_NAN_WARNINGS
@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data(), spoil=SPOIL)
def test_variants_agree_on_nan_and_infinity(family, data, spoil):
    """Every op and its backward with NaN/inf in grad_output, the input or both (any padding
    mode, depthwise included): the same NaN and infinities in the same cells with both
    methods (a zero of the padding times inf is NaN in both; a max window's NaN or
    infinite gradient reaches its winner and no other cell)."""
    forward, backward, configs = FAMILIES[family]
    args = without_bias(op_args(data.draw(configs())))
    if spoil in ("input", "both"):
        args["input"] = data.draw(SPOILT_INPUTS[family](args["input"]))
    out = forward(**args, method="loops")
    oracles.assert_close(forward(**args, method="im2col"), out)
    grad_output = data.draw(arrays(out.shape))
    if spoil in ("grad_output", "both"):
        grad_output = data.draw(with_non_finite(grad_output))
    oracles.assert_close(backward(grad_output, **args, method="im2col"),
                         backward(grad_output, **args, method="loops"))


@IGNORE_NAN_WARNINGS
@given(config=conv_configs(), data=st.data())
def test_conv_variants_agree_on_nan_and_infinity_in_input_and_weight(config, data):
    """conv forward: a NaN/inf weight meets the zero padding (0 * inf is NaN) the same way in
    both variants, the tap-by-tap depthwise path included."""
    args = op_args(config)
    args["input"] = data.draw(with_non_finite(args["input"]))
    args["weight"] = data.draw(with_non_finite(args["weight"]))
    oracles.assert_close(npconv.conv(**args, method="im2col"),
                         npconv.conv(**args, method="loops"))


# --------------------------------------------------------------------------------------------
# Empty axes: an empty answer, or zeros (plus the bias), as the loops give
# --------------------------------------------------------------------------------------------

CONV, CONV_TRANSPOSE = FAMILIES["conv"][:2], FAMILIES["conv_transpose"][:2]
EMPTY_AXES = {
    "conv, no images": (CONV, (0, 2, 5, 5), (3, 2, 3, 3), {"padding": 1}),
    "conv, no input channels": (CONV, (2, 0, 5, 5), (3, 0, 3, 3), {}),
    "conv, no output channels": (CONV, (2, 2, 5, 5), (0, 2, 3, 3), {"stride": 2}),
    "conv, an empty row that padding makes convolvable": (
        CONV, (2, 2, 0, 4), (3, 2, 1, 3), {"padding": 1}),
    "conv, no input channels in two groups": (CONV, (1, 0, 4), (2, 0, 2), {"groups": 2}),
    # depthwise (groups == C_in) takes its own tap-by-tap path in im2col
    "depthwise conv, no images": (CONV, (0, 3, 4, 4), (3, 1, 3, 3), {"groups": 3}),
    "depthwise conv, no images, 1-D, two outputs per channel": (
        CONV, (0, 3, 5), (6, 1, 2), {"groups": 3, "padding": 1}),
    "depthwise conv, no images, 3-D": (CONV, (0, 2, 3, 3, 3), (2, 1, 2, 2, 2), {"groups": 2}),
    "depthwise conv, an empty row that padding makes convolvable": (
        CONV, (2, 3, 0, 4), (3, 1, 1, 3), {"groups": 3, "padding": 1}),
    "conv_transpose, no images": (CONV_TRANSPOSE, (0, 2, 3, 3), (2, 3, 3, 3), {"stride": 2}),
    "conv_transpose, no input channels": (CONV_TRANSPOSE, (2, 0, 3, 3), (0, 3, 3, 3), {}),
    "conv_transpose, no output channels": (
        CONV_TRANSPOSE, (2, 2, 3, 3), (2, 0, 3, 3), {"padding": 1}),
    "conv_transpose, an empty input row (the output is the kernel's reach)": (
        CONV_TRANSPOSE, (1, 2, 0, 3), (2, 3, 3, 2), {}),
}


@pytest.mark.parametrize("case", EMPTY_AXES)
def test_convolutions_with_an_empty_axis_give_the_loops_result(case):
    """conv and conv_transpose, forward (with a bias) and backward, when the batch, a channel
    count or an input row is empty: an empty answer, or zeros plus the bias."""
    (op, backward), in_shape, weight_shape, params = EMPTY_AXES[case]
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(in_shape), rng.standard_normal(weight_shape)
    bias = rng.standard_normal(op(x, w, **params, method="loops").shape[1])
    results = [op(x, w, bias, **params, method=method) for method in ("loops", "im2col")]
    grad_output = rng.standard_normal(results[0].shape)
    grads = [backward(grad_output, x, w, **params, method=method)
             for method in ("loops", "im2col")]
    oracles.assert_close(results[1], results[0], rtol=1e-12)
    oracles.assert_close(grads[1], grads[0], rtol=1e-12)


@pytest.mark.parametrize("in_shape", [(0, 3, 6, 6), (2, 0, 6, 6)])
def test_pooling_with_no_images_or_no_channels_gives_the_loops_result(in_shape):
    """max and average pooling, forward and backward, over an empty batch or no channels."""
    x = np.ones(in_shape)
    out_shape = (*in_shape[:2], 3, 3)
    grad_output = np.ones(out_shape)
    for op, backward in ((npconv.max_pool, npconv.max_pool_backward),
                         (npconv.avg_pool, npconv.avg_pool_backward)):
        for method in ("loops", "im2col"):
            assert op(x, 3, stride=2, padding=1, method=method).shape == out_shape
            grad = backward(grad_output, x, 3, stride=2, padding=1, method=method)
            assert grad.shape == in_shape
    out, indices = npconv.max_pool(x, 3, stride=2, padding=1, return_indices=True)
    assert out.shape == indices.shape == out_shape and indices.dtype == np.int64


# --------------------------------------------------------------------------------------------
# Chunks within an image
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["conv", "conv_transpose"])
@given(data=st.data(), workspace_bytes=st.one_of(st.just(1), st.integers(2, 4000)))
def test_chunks_of_rows_or_of_images_give_the_loops_result(family, data, workspace_bytes):
    """A workspace smaller than one image's columns cuts the image into ranges of rows (of
    the output for conv, of the input for conv_transpose; any padding mode), down to one
    byte (one row per chunk); a larger one puts several images in a chunk.  Forward and
    backward."""
    forward, backward, configs = FAMILIES[family]
    args = op_args(data.draw(configs()))
    expected = forward(**args, method="loops")
    oracles.assert_close(forward(**args, workspace_bytes=workspace_bytes), expected)
    grad = data.draw(arrays(expected.shape))
    backward_args = without_bias(args)
    oracles.assert_close(backward(grad, **backward_args, workspace_bytes=workspace_bytes),
                         backward(grad, **backward_args, method="loops"))


# --------------------------------------------------------------------------------------------
# Memory layout: any layout of any array argument gives the C-ordered call's result
# --------------------------------------------------------------------------------------------

LAYOUTS = {
    "Fortran order": np.asfortranarray,
    "a transposed view": lambda a: np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2),
    "a reversed view": lambda a: np.ascontiguousarray(a[..., ::-1])[..., ::-1],
    "a strided view": lambda a: np.repeat(a, 2, axis=-1)[..., ::2],
}
# Each layer size is chosen so that the fast paths' flat runs and chunks are used: the
# GEMM convolution, the depthwise tap-by-tap path (one and two outputs per channel), the
# transposed convolution, pooling, and the family's scatter, gather and adaptive paths.
LAYOUT_CASES = {
    "conv": (npconv.conv_backward, (2, 3, 7, 6), (4, 3, 3, 3), {"padding": 1}),
    "depthwise conv": (npconv.conv_backward, (2, 3, 7, 6), (3, 1, 3, 3),
                       {"padding": 1, "groups": 3}),
    "depthwise conv, 2 outputs per channel, 3-D": (
        npconv.conv_backward, (1, 2, 4, 5, 6), (4, 1, 2, 2, 2), {"groups": 2, "stride": 2}),
    "transposed conv": (npconv.conv_transpose_backward, (2, 3, 5, 4), (3, 2, 3, 3),
                        {"stride": 2, "padding": 1}),
    "max pool": (npconv.max_pool_backward, (2, 3, 7, 6), None, {"kernel_size": 3,
                                                                "stride": 2, "padding": 1}),
    "avg pool": (npconv.avg_pool_backward, (2, 3, 7, 6), None, {"kernel_size": 3,
                                                                "stride": 2, "padding": 1}),
    "unfold": (npconv.unfold_backward, (2, 3, 7, 6), None, {"kernel_size": 3, "padding": 1}),
    "adaptive max pool": (npconv.adaptive_max_pool_backward, (2, 3, 7, 6), None,
                          {"output_size": (3, 4)}),
    "adaptive avg pool": (npconv.adaptive_avg_pool_backward, (2, 3, 7, 6), None,
                          {"output_size": (3, 4)}),
    "lp pool": (npconv.lp_pool_backward, (2, 3, 7, 6), None, {"norm_type": 2,
                                                              "kernel_size": 2}),
}


def _forward_of(backward):
    return getattr(npconv, backward.__name__.removesuffix("_backward"))


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("case", LAYOUT_CASES)
def test_every_layout_of_every_array_gives_the_c_ordered_result(case, layout, method):
    """The result is a function of the values only: each array argument (input, weight,
    grad_output) in Fortran order or as a view is used as given, and the forward and every
    gradient equal those of the same call on C-ordered arrays, up to the rounding of sums
    taken in another order (a wrong layout assumption gives wrong cells, or garbage)."""
    backward, in_shape, weight_shape, params = LAYOUT_CASES[case]
    forward, relayout = _forward_of(backward), LAYOUTS[layout]
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(in_shape)]
    if weight_shape is not None:
        arrays.append(rng.standard_normal(weight_shape))
    out = forward(*arrays, **params, method=method)
    grad_output = rng.standard_normal(out.shape)
    expected = (out, backward(grad_output, *arrays, **params, method=method))
    for position in range(len(arrays) + 1):       # re-lay one array at a time, grad_output last
        given = [grad_output, *arrays]
        given[(position + 1) % len(given)] = relayout(given[(position + 1) % len(given)])
        got = (forward(*given[1:], **params, method=method),
               backward(*given, **params, method=method))
        oracles.assert_close(got, expected, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# The fast variant's chunks on threads: every chunk computes its own cells
# --------------------------------------------------------------------------------------------

THREADED_CASES = {
    # depthwise, two outputs per channel, stride 1 and "same" rows: the flat runs per tap
    "depthwise conv, reflect, flat runs": (
        "conv", (3, 4, 9, 8), (8, 1, 3, 3), {"padding": 1, "groups": 4,
                                             "padding_mode": "reflect"}),
    "depthwise conv, zeros, stride and dilation": (
        "conv", (3, 4, 9, 8), (4, 1, 2, 3), {"stride": 2, "padding": 1, "dilation": (2, 1),
                                             "groups": 4}),
    "max pool, ceil_mode": ("max_pool", (3, 4, 9, 8), None, {"kernel_size": 3, "stride": 2,
                                                             "padding": 1, "ceil_mode": True}),
    "avg pool, stride 2": ("avg_pool", (3, 4, 9, 8), None, {"kernel_size": 3, "stride": 2,
                                                            "padding": 1,
                                                            "count_include_pad": False}),
}
"""An op, its input and weight shapes and its geometry; with the chunk bound of one test
below, each runs as several chunks (one image each for depthwise convolution, one plane
each for pooling) on two threads."""


@pytest.mark.parametrize("case", THREADED_CASES)
def test_chunks_on_two_threads_give_the_formulas_numbers(case, monkeypatch):
    """The elementwise paths cut their work into chunks of about ``CACHE_CHUNK_BYTES``
    (2 MiB) and run them on all cores; small arrays are one chunk.  With the bound cut to
    1 KiB and two threads, each image (depthwise) or plane (pooling) of these small arrays
    is a chunk of its own on one of two threads, and the forward and the gradients must
    still be the window-by-window formula of :mod:`tests.oracles` (max pooling's values
    and indices exactly, ties, NaN and ``-inf`` included)."""
    monkeypatch.setattr(npconv.im2col, "CACHE_CHUNK_BYTES", 1024)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    name, in_shape, weight_shape, params = THREADED_CASES[case]
    forward, backward = getattr(npconv, name), getattr(npconv, f"{name}_backward")
    oracle_forward, oracle_backward = getattr(oracles, name), getattr(oracles, f"{name}_backward")
    rng = np.random.default_rng(12)
    x = rng.integers(-2, 3, size=in_shape).astype(np.float64)      # many ties
    # max pooling: two NaN cells, and window (2, 2) (rows and columns 3-5) all -inf
    if name == "max_pool":
        x[0, 1, 2, 3], x[2, 3, 0, 0], x[1, 0, 3:6, 3:6] = np.nan, np.nan, -np.inf
    arrays = [x] if weight_shape is None else [x, rng.standard_normal(weight_shape)]
    if name == "max_pool":
        got, expected = (forward(*arrays, **params, return_indices=True),
                         oracle_forward(*arrays, **params))
        oracles.assert_close(got, expected, rtol=0)
        out = got[0]
    else:
        out = forward(*arrays, **params)
        oracles.assert_close(out, oracle_forward(*arrays, **params))
    grad_output = rng.standard_normal(out.shape)
    oracles.assert_close(backward(grad_output, *arrays, **params),
                         oracle_backward(grad_output, *arrays, **params))
