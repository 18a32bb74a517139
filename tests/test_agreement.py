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

import contextlib
import signal
import tracemalloc

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

DTYPES = {"float64": (np.float64, 1e-10), "float32": (np.float32, 1e-4)}


def assert_agree(loops_result, im2col_result, dtype, tolerance):
    """Same dtype, same shape, and equal up to ``tolerance`` relative to the magnitude."""
    assert loops_result.dtype == im2col_result.dtype == dtype
    assert loops_result.shape == im2col_result.shape
    scale = max(1.0, float(np.abs(loops_result).max(initial=0.0)))
    np.testing.assert_allclose(im2col_result, loops_result, rtol=tolerance,
                               atol=tolerance * scale)


def without_bias(args):
    return {key: value for key, value in args.items() if key != "bias"}


def run_both(op, *args, **kwargs):
    return op(*args, **kwargs, method="loops"), op(*args, **kwargs, method="im2col")


# --------------------------------------------------------------------------------------------
# Convolution and transposed convolution
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_conv_variants_agree(dtype_name, data):
    """conv: loops == im2col, in float64 and float32, keeping the input's dtype
    ("Convolution operation")."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(conv_configs(dtype=dtype))
    assert_agree(*run_both(npconv.conv, **op_args(config)), dtype, tolerance)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_conv_backward_variants_agree(dtype_name, data):
    """conv_backward: loops == im2col for the input, weight and bias gradients
    ("Convolution operation")."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(conv_configs(dtype=dtype))
    out_shape = npconv.conv(**op_args(config)).shape
    grad_output = data.draw(arrays(out_shape, dtype))
    loops_grads, im2col_grads = run_both(npconv.conv_backward, grad_output,
                                         **without_bias(op_args(config)))
    for loops_grad, im2col_grad in zip(loops_grads, im2col_grads, strict=True):
        assert_agree(loops_grad, im2col_grad, dtype, tolerance)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_conv_transpose_variants_agree(dtype_name, data):
    """conv_transpose: loops == im2col, keeping the input's dtype ("Transposed
    Convolution")."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(conv_transpose_configs(dtype=dtype))
    assert_agree(*run_both(npconv.conv_transpose, **op_args(config)), dtype, tolerance)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_conv_transpose_backward_variants_agree(dtype_name, data):
    """conv_transpose_backward: loops == im2col for all three gradients ("Transposed
    Convolution")."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(conv_transpose_configs(dtype=dtype))
    out_shape = npconv.conv_transpose(**op_args(config)).shape
    grad_output = data.draw(arrays(out_shape, dtype))
    loops_grads, im2col_grads = run_both(npconv.conv_transpose_backward, grad_output,
                                         **without_bias(op_args(config)))
    for loops_grad, im2col_grad in zip(loops_grads, im2col_grads, strict=True):
        assert_agree(loops_grad, im2col_grad, dtype, tolerance)


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_max_pool_variants_agree_exactly_with_indices(dtype_name, data):
    """max_pool: loops and im2col pick the same cells, so values and int64 indices are
    equal exactly ("Pooling operation": max pooling)."""
    dtype, _ = DTYPES[dtype_name]
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
    dtype, _ = DTYPES[dtype_name]
    config = data.draw(pool_configs("max", dtype=dtype))
    config["input"] = data.draw(tie_rich_arrays(config["input"].shape, dtype))
    (loops_out, loops_indices), (im2col_out, im2col_indices) = run_both(
        npconv.max_pool, **op_args(config), return_indices=True)
    np.testing.assert_array_equal(im2col_out, loops_out)
    np.testing.assert_array_equal(im2col_indices, loops_indices)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_max_pool_backward_variants_agree(dtype_name, data):
    """max_pool_backward: loops == im2col, keeping the dtype ("Pooling operation")."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(pool_configs("max", dtype=dtype))
    out_shape = npconv.max_pool(**op_args(config)).shape
    grad_output = data.draw(arrays(out_shape, dtype))
    assert_agree(*run_both(npconv.max_pool_backward, grad_output, **op_args(config)),
                 dtype, tolerance)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_avg_pool_variants_agree(dtype_name, data):
    """avg_pool: loops == im2col for every divisor rule, keeping the dtype ("Pooling
    operation": average pooling)."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(pool_configs("avg", dtype=dtype))
    assert_agree(*run_both(npconv.avg_pool, **op_args(config)), dtype, tolerance)


@pytest.mark.parametrize("dtype_name", DTYPES)
@given(data=st.data())
def test_avg_pool_backward_variants_agree(dtype_name, data):
    """avg_pool_backward: loops == im2col, keeping the dtype ("Pooling operation")."""
    dtype, tolerance = DTYPES[dtype_name]
    config = data.draw(pool_configs("avg", dtype=dtype))
    out_shape = npconv.avg_pool(**op_args(config)).shape
    grad_output = data.draw(arrays(out_shape, dtype))
    assert_agree(*run_both(npconv.avg_pool_backward, grad_output, **op_args(config)),
                 dtype, tolerance)


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


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-10,
                               atol=1e-10 * max(1.0, float(np.abs(expected).max())))


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
    assert unbatched.shape == batched.shape[1:]
    assert_close(unbatched, batched[0])


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


@given(conv_configs(padding_modes=("zeros",)))
def test_any_workspace_bound_gives_the_loops_result(config):
    """A workspace of one byte (one image per chunk) still gives the reference numbers."""
    args = op_args(config)
    expected = npconv.conv(**args, method="loops")
    chunked = npconv.conv(**args, method="im2col", workspace_bytes=1)
    np.testing.assert_allclose(chunked, expected, rtol=1e-10, atol=1e-10)
    grad = np.ones_like(expected)
    backward_args = {k: v for k, v in args.items() if k != "bias"}
    expected_grads = npconv.conv_backward(grad, **backward_args, method="loops")
    chunked_grads = npconv.conv_backward(grad, **backward_args, workspace_bytes=1)
    for got, want in zip(chunked_grads, expected_grads):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@given(conv_transpose_configs())
def test_any_workspace_bound_gives_the_loops_result_for_conv_transpose(config):
    """The same for the transposed convolution, forward and backward."""
    args = op_args(config)
    expected = npconv.conv_transpose(**args, method="loops")
    chunked = npconv.conv_transpose(**args, workspace_bytes=1)
    np.testing.assert_allclose(chunked, expected, rtol=1e-10, atol=1e-10)
    grad = np.ones_like(expected)
    backward_args = {k: v for k, v in args.items() if k != "bias"}
    expected_grads = npconv.conv_transpose_backward(grad, **backward_args, method="loops")
    chunked_grads = npconv.conv_transpose_backward(grad, **backward_args, workspace_bytes=1)
    for got, want in zip(chunked_grads, expected_grads):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------------------------
# The loop reference on huge geometry and empty axes: the formula's cells, and no more work
# or memory than they need
# --------------------------------------------------------------------------------------------

HUGE = 10**9
LIVENESS_SECONDS = 10


@contextlib.contextmanager
def finishes_in_time(seconds=LIVENESS_SECONDS):
    """Fail, instead of hanging, if the block still runs after ``seconds`` (a liveness
    guard for a few-cell problem, not a timing assertion).  Needs SIGALRM (POSIX)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def hang(signum, frame):
        raise TimeoutError(f"still running after {seconds} s on a few-cell problem: a hang")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_small(call):
    """``call()``, checked to finish in time and to allocate little: its peak traced memory
    must stay within 16 times the bytes of what it returns, plus 256 KiB for Python's own
    objects (a padded copy of a 10**9-cell border would be gigabytes)."""
    with finishes_in_time():
        call()                               # the first call may import and cache things
    tracemalloc.start()
    try:
        with finishes_in_time():
            result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    arrays_returned = result if isinstance(result, tuple) else (result,)
    answer_bytes = sum(np.asarray(a).nbytes for a in arrays_returned)
    assert peak <= 16 * answer_bytes + 256 * 1024, (peak, answer_bytes)
    return result


def padding_source(position, size, mode):
    """The input cell a position of the padded axis reads, or None for zero padding:
    written from the definitions of zeros and replicate padding."""
    if 0 <= position < size:
        return position
    return min(max(position, 0), size - 1) if mode == "replicate" else None


def conv_1d_by_formula(grad, x, w, stride, before, after, dilation, mode):
    """out[i] = sum_t x_padded[i*stride - before + t*dilation] * w[t], and the gradients
    of sum(out * grad): each product passes grad[i] to the cell it read and to w[t]."""
    out_size = (len(x) + before + after - dilation * (len(w) - 1) - 1) // stride + 1
    out, grad_x, grad_w = np.zeros(out_size), np.zeros(len(x)), np.zeros(len(w))
    for i in range(out_size):
        for t in range(len(w)):
            source = padding_source(i * stride - before + t * dilation, len(x), mode)
            if source is not None:
                out[i] += x[source] * w[t]
                grad_x[source] += grad[i] * w[t]
                grad_w[t] += grad[i] * x[source]
    return out, grad_x, grad_w


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
    """A three-cell answer behind a 10**9-cell padding, stride or dilation: the formula's
    numbers, forward and backward, without a padded copy of the input."""
    grad = np.array([1., -2., 3.])
    expected = conv_1d_by_formula(grad, x, w, stride, *pair, dilation, mode)
    args = dict(input=np.array(x)[None, None], weight=np.array(w)[None, None], stride=stride,
                padding=[pair], dilation=dilation, padding_mode=mode, method="loops")
    out = run_small(lambda: npconv.conv(**args))
    grads = run_small(lambda: tuple(npconv.conv_backward(grad[None, None], **args)))
    np.testing.assert_array_equal(out[0, 0], expected[0])
    np.testing.assert_array_equal(grads[0][0, 0], expected[1])
    np.testing.assert_array_equal(grads[1][0, 0], expected[2])
    np.testing.assert_array_equal(grads[2], [grad.sum()])


def conv_transpose_1d_by_formula(grad, x, w, stride, before, after, output_padding,
                                 dilation):
    """Input cell i adds x[i] * w[t] to output cell i*stride - before + t*dilation when that
    cell exists (the padding crops the rest), and the gradients of sum(out * grad)."""
    out_size = ((len(x) - 1) * stride - before - after + dilation * (len(w) - 1)
                + output_padding + 1)
    out, grad_x, grad_w = np.zeros(out_size), np.zeros(len(x)), np.zeros(len(w))
    for i in range(len(x)):
        for t in range(len(w)):
            o = i * stride - before + t * dilation
            if 0 <= o < out_size:
                out[o] += x[i] * w[t]
                grad_x[i] += grad[o] * w[t]
                grad_w[t] += grad[o] * x[i]
    return out, grad_x, grad_w


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
    output are dropped, never written to an uncropped one (each answer has three cells)."""
    grad = np.array([1., -2., 3.])
    expected = conv_transpose_1d_by_formula(grad, x, w, stride, *pair, output_padding,
                                            dilation)
    args = dict(input=np.array(x)[None, None], weight=np.array(w)[None, None], stride=stride,
                padding=[pair], output_padding=output_padding, dilation=dilation,
                method="loops")
    out = run_small(lambda: npconv.conv_transpose(**args))
    grads = run_small(lambda: tuple(npconv.conv_transpose_backward(grad[None, None], **args)))
    np.testing.assert_array_equal(out[0, 0], expected[0])
    np.testing.assert_array_equal(grads[0][0, 0], expected[1])
    np.testing.assert_array_equal(grads[1][0, 0], expected[2])


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
    with finishes_in_time():
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


def assert_agree_with_nan(loops_result, im2col_result):
    """Same shape and dtype; NaN and infinities in the same cells, the rest to rounding."""
    assert loops_result.dtype == im2col_result.dtype
    np.testing.assert_allclose(im2col_result, loops_result, rtol=1e-10, atol=1e-10,
                               equal_nan=True)


SPOIL = st.sampled_from(["grad_output", "input", "both"])


@IGNORE_NAN_WARNINGS
@given(config=conv_configs(), data=st.data(), spoil=SPOIL)
def test_conv_backward_variants_agree_on_nan_and_infinity(config, data, spoil):
    """conv_backward with NaN/inf in grad_output or the input (any padding mode, depthwise
    included): zero padding times inf is NaN in both variants, nowhere else."""
    args = without_bias(op_args(config))
    grad_output = data.draw(arrays(npconv.conv(**args, method="loops").shape))
    if spoil in ("grad_output", "both"):
        grad_output = data.draw(with_non_finite(grad_output))
    if spoil in ("input", "both"):
        args["input"] = data.draw(with_non_finite(args["input"]))
    for got, want in zip(npconv.conv_backward(grad_output, **args, method="im2col"),
                         npconv.conv_backward(grad_output, **args, method="loops")):
        assert_agree_with_nan(want, got)


@IGNORE_NAN_WARNINGS
@given(config=conv_configs(), data=st.data())
def test_conv_variants_agree_on_nan_and_infinity_in_input_and_weight(config, data):
    """conv forward: a NaN/inf weight meets the zero padding (0 * inf is NaN) the same way in
    both variants, the tap-by-tap depthwise path included."""
    args = op_args(config)
    args["input"] = data.draw(with_non_finite(args["input"]))
    args["weight"] = data.draw(with_non_finite(args["weight"]))
    assert_agree_with_nan(npconv.conv(**args, method="loops"),
                          npconv.conv(**args, method="im2col"))


@IGNORE_NAN_WARNINGS
@given(config=conv_transpose_configs(), data=st.data(), spoil=SPOIL)
def test_conv_transpose_backward_variants_agree_on_nan_and_infinity(config, data, spoil):
    """conv_transpose and its backward with NaN/inf in grad_output or the input."""
    args = without_bias(op_args(config))
    out = npconv.conv_transpose(**args, method="loops")
    grad_output = data.draw(arrays(out.shape))
    if spoil in ("grad_output", "both"):
        grad_output = data.draw(with_non_finite(grad_output))
    if spoil in ("input", "both"):
        args["input"] = data.draw(with_non_finite(args["input"]))
    assert_agree_with_nan(npconv.conv_transpose(**args, method="loops"),
                          npconv.conv_transpose(**args, method="im2col"))
    for got, want in zip(npconv.conv_transpose_backward(grad_output, **args, method="im2col"),
                         npconv.conv_transpose_backward(grad_output, **args, method="loops")):
        assert_agree_with_nan(want, got)


@IGNORE_NAN_WARNINGS
@given(config=pool_configs("max"), data=st.data(), spoil=SPOIL)
def test_max_pool_backward_variants_agree_on_nan_and_infinity(config, data, spoil):
    """max_pool_backward: a NaN or infinite gradient reaches its window's winner and no other
    cell, whatever the input holds (NaN, -inf, ties)."""
    args = op_args(config)
    x = args.pop("input")
    if spoil in ("input", "both"):
        x = data.draw(tie_rich_arrays(x.shape))
    grad_output = data.draw(arrays(npconv.max_pool(x, **args, method="loops").shape))
    if spoil in ("grad_output", "both"):
        grad_output = data.draw(with_non_finite(grad_output))
    assert_agree_with_nan(npconv.max_pool_backward(grad_output, x, **args, method="loops"),
                          npconv.max_pool_backward(grad_output, x, **args, method="im2col"))


@IGNORE_NAN_WARNINGS
@pytest.mark.parametrize("method", ["loops", "im2col"])
def test_a_nan_gradient_reaches_only_its_winner(method):
    """[1, 5] pooled by 2: the one gradient, NaN, goes to the 5 only (PyTorch gives
    [0, nan]); 0 * NaN must not leak onto the 1."""
    grad = npconv.max_pool_backward(np.array([[[np.nan]]]), np.array([[[1., 5.]]]), 2,
                                    method=method)
    np.testing.assert_array_equal(grad, [[[0., np.nan]]])
    grad = npconv.max_pool_backward(np.array([[[np.inf, -np.inf]]]),
                                    np.array([[[1., 5., 7., 2.]]]), 2, method=method)
    np.testing.assert_array_equal(grad, [[[0., np.inf, -np.inf, 0.]]])


@IGNORE_NAN_WARNINGS
@given(config=pool_configs("avg"), data=st.data(), spoil=SPOIL)
def test_avg_pool_backward_variants_agree_on_nan_and_infinity(config, data, spoil):
    """avg_pool and its backward with NaN/inf in grad_output or the input."""
    args = op_args(config)
    x = args.pop("input")
    if spoil in ("input", "both"):
        x = data.draw(with_non_finite(x))
    out = npconv.avg_pool(x, **args, method="loops")
    assert_agree_with_nan(out, npconv.avg_pool(x, **args, method="im2col"))
    grad_output = data.draw(arrays(out.shape))
    if spoil in ("grad_output", "both"):
        grad_output = data.draw(with_non_finite(grad_output))
    assert_agree_with_nan(npconv.avg_pool_backward(grad_output, x, **args, method="loops"),
                          npconv.avg_pool_backward(grad_output, x, **args, method="im2col"))


# --------------------------------------------------------------------------------------------
# Empty axes: an empty answer, or zeros (plus the bias), as the loops give
# --------------------------------------------------------------------------------------------

CONV = (npconv.conv, npconv.conv_backward)
CONV_TRANSPOSE = (npconv.conv_transpose, npconv.conv_transpose_backward)
EMPTY_AXES = {
    "conv, no images": (CONV, (0, 2, 5, 5), (3, 2, 3, 3), {"padding": 1}),
    "conv, no input channels": (CONV, (2, 0, 5, 5), (3, 0, 3, 3), {}),
    "conv, no output channels": (CONV, (2, 2, 5, 5), (0, 2, 3, 3), {"stride": 2}),
    "conv, an empty row that padding makes convolvable": (
        CONV, (2, 2, 0, 4), (3, 2, 1, 3), {"padding": 1}),
    "conv, no input channels in two groups": (CONV, (1, 0, 4), (2, 0, 2), {"groups": 2}),
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
    for want, got in [results, *zip(*grads)]:
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


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

CHUNKED_FAMILIES = {"conv": (CONV, conv_configs()),
                    "conv_transpose": (CONV_TRANSPOSE, conv_transpose_configs())}


@pytest.mark.parametrize("family", CHUNKED_FAMILIES)
@given(data=st.data(), workspace_bytes=st.integers(1, 4000))
def test_chunks_of_rows_or_of_images_give_the_loops_result(family, data, workspace_bytes):
    """A workspace smaller than one image's columns cuts the image into ranges of rows (of
    the output for conv, of the input for conv_transpose; any padding mode); a larger one
    puts several images in a chunk.  Forward and backward."""
    (op, backward), configs = CHUNKED_FAMILIES[family]
    args = op_args(data.draw(configs))
    expected = op(**args, method="loops")
    np.testing.assert_allclose(op(**args, workspace_bytes=workspace_bytes), expected,
                               rtol=1e-10, atol=1e-10)
    grad = data.draw(arrays(expected.shape))
    backward_args = without_bias(args)
    for got, want in zip(backward(grad, **backward_args, workspace_bytes=workspace_bytes),
                         backward(grad, **backward_args, method="loops")):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
