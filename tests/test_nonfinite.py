"""Gradients through NaN and infinity: a gradient reaches exactly the cells its formula sends
it to, whatever its value, and no other cell.

Cheat sheet: "Pooling operation", "Convolution operation" and "Transposed Convolution", run
backwards.  Every backward, with both methods, gets a ``grad_output`` that holds NaN, +inf
and -inf among small integers; max pooling's input also holds NaN, +inf, -inf, windows of
nothing but -inf, and ties.  The expected gradients come from the rules written out in
:mod:`tests.oracles` (a max window's gradient goes to its winner only; an average window's
is shared by its real cells; a convolution's term ``x * w`` sends ``g * w`` to the cell it
read and ``g * x`` to its weight, a zero of the padding included, as in PyTorch), compared
NaN-aware (:func:`tests.oracles.assert_close`).

The rule behind all of them: routing a gradient by multiplying it with a 0/1 mask is wrong,
because ``0 * inf`` and ``0 * NaN`` are NaN; a cell that no window sends a gradient to is
exactly zero.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import npconv
from tests import oracles
from npconv.testing.strategies import conv_configs, conv_transpose_configs, op_args, pool_configs

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

METHODS = ("loops", "im2col")
DTYPES = (np.float64, np.float32)
NONFINITE = (np.nan, np.inf, -np.inf)


@st.composite
def nonfinite_arrays(draw, shape, dtype, shares=(0.1, 0.3, 1.0)):
    """Integers from -2 to 2 (zeros included), a drawn share of them NaN, +inf or -inf."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    share = draw(st.sampled_from(shares))
    values = rng.integers(-2, 3, size=shape).astype(dtype)
    special = rng.random(shape) < share
    values[special] = rng.choice(NONFINITE, size=int(special.sum()))
    return values


@st.composite
def max_pool_inputs(draw, shape, dtype):
    """Inputs for max pooling: ties (few distinct values), NaN, +inf, -inf, or all -inf."""
    kind = draw(st.sampled_from(["ties", "nonfinite", "all -inf"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "all -inf":
        return np.full(shape, -np.inf, dtype=dtype)
    values = rng.integers(-1, 2, size=shape).astype(dtype)
    if kind == "nonfinite":
        special = rng.random(shape) < draw(st.sampled_from([0.2, 0.5]))
        values[special] = rng.choice(NONFINITE, size=int(special.sum()))
    return values


# --------------------------------------------------------------------------------------------
# Max pooling: the winner takes the gradient, whatever its value
# --------------------------------------------------------------------------------------------

# (input, grad_output, kernel_size, stride, expected gradient), each worked out by hand with
# the rule: the winner is the last NaN of the window if it has one, else its first maximum.
MAX_POOL_CASES = {
    "nan gradient to the winner 5": ([1., 5.], [np.nan], 2, None, [0., np.nan]),
    "inf and -inf to the winners 5 and 7": ([1., 5., 7., 2.], [np.inf, -np.inf], 2, None,
                                            [0., np.inf, -np.inf, 0.]),
    "inf gradient to the winner 5": ([1., 5.], [np.inf], 2, None, [0., np.inf]),
    "all -inf window: the first cell wins": ([-np.inf, -np.inf], [3.], 2, None, [3., 0.]),
    "the last nan of a window wins": ([1., np.nan, 5., np.nan], [2.], 4, None, [0, 0, 0, 2.]),
    "a tie of +inf: the first wins": ([np.inf, np.inf], [2.], 2, None, [2., 0.]),
    "-inf loses to 2": ([-np.inf, 2.], [np.inf], 2, None, [0., np.inf]),
    "one cell wins twice: inf + -inf": ([1., 5., 2.], [np.inf, -np.inf], 2, 1, [0., np.nan, 0.]),
    "two winners, two infinities": ([5., 1., 2.], [np.inf, -np.inf], 2, 1,
                                    [np.inf, 0., -np.inf]),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", MAX_POOL_CASES)
def test_max_pool_backward_worked_examples(case, method):
    """Hand-worked 1-D windows with NaN, infinities and ties (each checked with PyTorch):
    window [1, 5] is won by 5, so its NaN gradient reaches 5 and the 1 gets exactly zero."""
    x, grad_output, kernel_size, stride, expected = MAX_POOL_CASES[case]
    grad = npconv.max_pool_backward(np.array([[grad_output]]), np.array([[x]]), kernel_size,
                                    stride, method=method)
    oracles.assert_close(grad, np.array([[expected]], dtype=np.float64))


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("max"), data=st.data())
def test_max_pool_backward_routes_nonfinite_gradients_to_the_winners_only(method, config,
                                                                          data):
    """Any geometry, NaN/inf/ties in the input and in grad_output: the gradient equals the
    winner rule's, and a cell that won no window is exactly 0."""
    dtype = data.draw(st.sampled_from(DTYPES))
    args = op_args(config)
    args["input"] = data.draw(max_pool_inputs(config["input"].shape, dtype))
    grad_output = data.draw(nonfinite_arrays(oracles.pool_output_shape(config), dtype))
    grad = npconv.max_pool_backward(grad_output, **args, method=method)

    oracles.assert_close(grad, oracles.max_pool_backward(grad_output, **args), err_msg="rule")
    _, indices = oracles.max_pool(**args)
    N, C, *in_size = args["input"].shape
    won = np.zeros((N, C, int(np.prod(in_size))), dtype=bool)
    for n, c in np.ndindex(N, C):
        won[n, c, indices[n, c].ravel()] = True
    losers = grad.reshape(N, C, -1)[~won]
    assert np.all(losers == 0), f"cells that won no window got {losers[losers != 0]}"


# --------------------------------------------------------------------------------------------
# Average pooling: every real cell of the window gets its share, no other cell anything
# --------------------------------------------------------------------------------------------

# (grad_output, input length, kernel_size, stride, padding, expected gradient), by hand:
# a window's gradient over its divisor reaches its real cells; cells between windows get 0.
AVG_POOL_CASES = {
    "kernel 1, stride 3: cells 1 and 2 between the windows": (
        [np.inf, np.nan], 4, 1, 3, 0, [np.inf, 0., 0., np.nan]),
    "kernel 2, stride 3, padding 1: cells 1 and 4 in no window": (
        [np.inf, -np.inf], 5, 2, 3, 1, [np.inf, 0., -np.inf, -np.inf, 0.]),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", AVG_POOL_CASES)
def test_avg_pool_backward_worked_examples(case, method):
    """Hand-worked 1-D windows with infinite and NaN gradients (each checked with
    PyTorch)."""
    grad_output, size, kernel_size, stride, padding, expected = AVG_POOL_CASES[case]
    grad = npconv.avg_pool_backward(np.array([[grad_output]]), np.zeros((1, 1, size)),
                                    kernel_size, stride, padding, method=method)
    oracles.assert_close(grad, np.array([[expected]]))


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"), data=st.data())
def test_avg_pool_backward_with_nonfinite_gradients(method, config, data):
    """grad_output with NaN/inf: each window's share reaches its real cells only (a cell no
    window covers, e.g. between strided windows, stays exactly 0)."""
    dtype = data.draw(st.sampled_from(DTYPES))
    args = op_args(config)
    args["input"] = args["input"].astype(dtype)
    grad_output = data.draw(nonfinite_arrays(oracles.pool_output_shape(config), dtype))
    grad = npconv.avg_pool_backward(grad_output, **args, method=method)

    oracles.assert_close(grad, oracles.avg_pool_backward(grad_output, **args), err_msg="rule")


# --------------------------------------------------------------------------------------------
# Convolution and transposed convolution
# --------------------------------------------------------------------------------------------

def with_nonfinite_arrays(data, args, names, dtype):
    """``args`` with the arrays ``names`` replaced by integer arrays of the same shape, some
    of them (or none) holding NaN and infinities."""
    args = dict(args)
    for name in names:
        args[name] = data.draw(nonfinite_arrays(args[name].shape, dtype,
                                                shares=(0.0, 0.1, 0.3)), label=name)
    return args


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs(max_batch=1), data=st.data())
def test_conv_backward_with_nonfinite_gradients(method, config, data):
    """conv_backward with NaN/inf in grad_output (and now and then in the input and the
    weight, zeros included): equal to the formula term by term."""
    dtype = data.draw(st.sampled_from(DTYPES))
    args = op_args(config)
    del args["bias"]
    args["padding"] = config["pairs"]
    args = with_nonfinite_arrays(data, args, ("input", "weight"), dtype)
    *_, out_size = oracles.conv_geometry(args["input"], args["weight"], args["stride"],
                                         args["padding"], args["dilation"])
    out_shape = (args["input"].shape[0], args["weight"].shape[0], *out_size)
    grad_output = data.draw(nonfinite_arrays(out_shape, dtype), label="grad_output")
    grads = npconv.conv_backward(grad_output, **args, method=method)

    oracles.assert_close(tuple(grads), oracles.conv_backward(grad_output, **args),
                         err_msg="rule")


@pytest.mark.parametrize("method", METHODS)
def test_depthwise_conv_backward_sends_no_gradient_where_no_window_reads(method):
    """A depthwise 2x2 kernel with dilation 2 on a 3x3 input has one window, reading cells
    (0, 0), (0, 2), (2, 0) and (2, 2); an infinite weight must not turn the cells between
    them into NaN (0 * inf), and cell (0, 2), read with weight 1, gets exactly 1."""
    x = np.ones((1, 2, 3, 3))
    weight = np.ones((2, 1, 2, 2))
    weight[0, 0, 0, 0] = np.inf
    grads = npconv.conv_backward(np.ones((1, 2, 1, 1)), x, weight, dilation=2, groups=2,
                                 method=method)
    expected = np.array([[np.inf, 0., 1.], [0., 0., 0.], [1., 0., 1.]])
    oracles.assert_close(grads.grad_input[0, 0], expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs(max_batch=1), data=st.data())
def test_conv_transpose_backward_with_nonfinite_gradients(method, config, data):
    """conv_transpose_backward with NaN/inf in grad_output (and now and then in the input and
    the weight): equal to the formula term by term."""
    dtype = data.draw(st.sampled_from(DTYPES))
    args = op_args(config)
    del args["bias"]
    args["padding"] = config["pairs"]
    args = with_nonfinite_arrays(data, args, ("input", "weight"), dtype)
    *_, out_size = oracles.conv_transpose_geometry(
        args["input"], args["weight"], args["stride"], args["padding"],
        args["output_padding"], args["dilation"])
    out_shape = (args["input"].shape[0], args["weight"].shape[1] * args["groups"], *out_size)
    grad_output = data.draw(nonfinite_arrays(out_shape, dtype), label="grad_output")
    grads = npconv.conv_transpose_backward(grad_output, **args, method=method)

    oracles.assert_close(tuple(grads), oracles.conv_transpose_backward(grad_output, **args),
                         err_msg="rule")


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("x", [
    np.array([[[np.inf, 1., -np.inf, -np.inf]]]),               # +inf and -inf maxima
    np.array([[[3e38, 3e38, 3e38, 3e38]]], dtype=np.float32),   # near float32's largest
])
def test_max_pooling_of_infinities_and_huge_values_warns_of_nothing(method, x):
    """Valid input gives no RuntimeWarning, so a test suite that runs with warnings as
    errors can use the oracle: +inf and -inf maxima side by side, or maxima near the
    largest float32 (whose sum would overflow), are ordinary values here."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = npconv.max_pool(x, 2, method=method)
        npconv.max_pool_backward(np.ones(out.shape, dtype=x.dtype), x, 2, method=method)
        npconv.adaptive_max_pool(x, 2, method=method)
    np.testing.assert_array_equal(out, np.max(x.reshape(1, 1, 2, 2), axis=-1))


def _calls_with_nan_and_infinity(method):
    """One call of every public op (and backward) on input, weight and grad_output holding
    NaN, +inf and -inf, and a depthwise layer wide enough to run on several threads."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 6, 6))
    x[0, 0, 0, 0], x[1, 1, 2, 2], x[0, 2, 3, 3] = np.inf, np.nan, -np.inf
    w = rng.standard_normal((4, 4, 3, 3))
    w[0, 0, 0, 0] = np.inf
    g = rng.standard_normal((2, 4, 6, 6))
    g[0, 0, 0, 0] = -np.inf
    wide_x, wide_w = np.repeat(x, 300, axis=1), np.repeat(w[:, :1], 300, axis=0)
    m = {"method": method}
    pooled, indices = npconv.max_pool(x, 2, return_indices=True, **m)
    threaded = [                                 # the fast variant's threads; loops have none
        lambda: npconv.conv(wide_x, wide_w, padding=1, groups=1200, **m),
        lambda: npconv.conv_backward(np.repeat(g, 300, axis=1), wide_x, wide_w, padding=1,
                                     groups=1200, **m),
    ] if method == "im2col" else []
    return threaded + [
        lambda: npconv.conv(x, w, padding=1, **m),
        lambda: npconv.conv_backward(g, x, w, padding=1, **m),
        lambda: npconv.conv_transpose(x, w, padding=1, **m),
        lambda: npconv.conv_transpose_backward(g, x, w, padding=1, **m),
        lambda: npconv.max_pool(x, 3, 1, 1, **m),
        lambda: npconv.max_pool_backward(g, x, 3, 1, 1, **m),
        lambda: npconv.avg_pool(x, 3, 1, 1, **m),
        lambda: npconv.avg_pool_backward(g, x, 3, 1, 1, **m),
        lambda: npconv.lp_pool(x, 2, 2, **m),
        lambda: npconv.lp_pool_backward(g[:, :, :3, :3], x, 2, 2, **m),
        lambda: npconv.adaptive_avg_pool(x, 4, **m),
        lambda: npconv.adaptive_avg_pool_backward(g[:, :, :4, :4], x, 4, **m),
        lambda: npconv.adaptive_max_pool(x, 4, **m),
        lambda: npconv.adaptive_max_pool_backward(g[:, :, :4, :4], x, 4, **m),
        lambda: npconv.max_unpool(pooled, indices, 2, **m),
        lambda: npconv.max_unpool_backward(g, pooled, indices, 2, **m),
        lambda: npconv.unfold(x, 2, **m),
        lambda: npconv.fold(npconv.unfold(x, 2, **m), (6, 6), 2, **m),
    ]


@pytest.mark.parametrize("method", ["im2col", "loops"])
def test_no_op_warns_of_ieee_arithmetic_and_the_callers_setting_is_kept(method):
    """0 * inf and inf - inf are NaN on purpose, as in PyTorch, whose ops give no warning;
    npconv's give none either (a suite that runs with warnings as errors can use them),
    on the fast variant's threads too, and the caller's NumPy setting is as it was."""
    before = np.geterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for call in _calls_with_nan_and_infinity(method):
            call()
    assert np.geterr() == before
    with warnings.catch_warnings(record=True) as caught:      # the caller's own arithmetic
        warnings.simplefilter("always")
        np.array([np.inf]) - np.inf
    assert [w.category for w in caught] == [RuntimeWarning]
