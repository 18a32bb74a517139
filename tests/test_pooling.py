"""Pooling semantics, each against a brute-force computation.

The references are the reference ops of :mod:`tests.oracles`, which walk the windows one by
one, the way a reader would by hand:

- which windows exist (floor mode: those that fit in the padded input; ceil mode: one more
  hanging past the right padding when cells are left uncovered, but only if it starts on an
  input cell or the left padding; the shapes themselves are checked in test_shapes.py);
- max pooling: among a window's real cells (padding never competes) the first maximum in
  row-major window order wins; with a NaN in the window the output is NaN and the index
  points at the window's last NaN (PyTorch's CPU rule); an index is flat within the
  ``(n, c)`` plane of the unpadded input;
- average pooling: the sum of the real cells over a divisor that counts the zero padding
  (``count_include_pad``) but never the ceil-mode overhang, unless ``divisor_override``;
- the backwards: max routes each gradient to its window's winner, average spreads
  ``grad / divisor`` over the window's real cells.

Small hand-checked examples (each verified against PyTorch) pin the same rules.
"""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import npconv
from npconv.testing.strategies import op_args, pool_configs, tie_rich_arrays
from tests import oracles

METHODS = ("loops", "im2col")


# --------------------------------------------------------------------------------------------
# The reference ops of tests.oracles, called with a configuration's resolved geometry
# --------------------------------------------------------------------------------------------

def reference_max_pool(config):
    """``(out, indices)`` of max pooling, window by window (:func:`tests.oracles.max_pool`)."""
    return oracles.max_pool(config["input"], config["kernel_size"], config["stride"],
                            config["pairs"], config.get("dilation", 1), config["ceil_mode"])


def reference_max_pool_backward(grad_output, config):
    return oracles.max_pool_backward(grad_output, config["input"], config["kernel_size"],
                                     config["stride"], config["pairs"],
                                     config.get("dilation", 1), config["ceil_mode"])


def avg_options(config):
    return (config["kernel_size"], config["stride"], config["pairs"], config["ceil_mode"],
            config["count_include_pad"], config["divisor_override"])


def reference_avg_pool(config):
    return oracles.avg_pool(config["input"], *avg_options(config))


def reference_avg_pool_backward(grad_output, config):
    return oracles.avg_pool_backward(grad_output, config["input"], *avg_options(config))


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

@st.composite
def max_pool_configs_with_ties(draw):
    """``pool_configs("max")`` whose input has ties, and sometimes -inf or NaN cells."""
    config = draw(pool_configs("max"))
    config["input"] = draw(tie_rich_arrays(config["input"].shape))
    return config


def explicit(values, kernel_size, stride=None, padding=0, ceil_mode=False, **extra):
    """A pool config for a hand-written input, for ``@example`` and tables."""
    x = np.asarray(values, dtype=float)
    x = x.reshape(1, 1, *x.shape)
    ndim = x.ndim - 2
    return {"input": x, "kernel_size": oracles.per_dimension(kernel_size, ndim),
            "stride": None if stride is None else oracles.per_dimension(stride, ndim),
            "padding": padding, "ceil_mode": ceil_mode,
            "pairs": oracles.padding_pairs(padding, ndim), **extra}


# A 3x3x4 input with ties and a column of -inf, for the 3-D examples.
CUBE_WITH_TIES = np.array([[[1., 0., 1., 1.], [0., -1., 1., 0.], [1., 1., -np.inf, 0.]],
                           [[0., 0., 0., 0.], [-1., 1., -1., 1.], [1., 0., -np.inf, 1.]],
                           [[-1., -1., 1., 0.], [0., 0., 0., 0.], [1., 1., -np.inf, -1.]]])


# --------------------------------------------------------------------------------------------
# Which windows exist
# --------------------------------------------------------------------------------------------

# (in, kernel, stride, padding, dilation, ceil_mode, windows), each checked against PyTorch.
WINDOW_COUNTS = [
    (5, 2, 2, 0, 1, False, 2),
    (5, 2, 2, 0, 1, True, 3),       # ceil keeps the half window on cell 4
    (4, 2, 2, 1, 1, True, 3),       # windows already reach the end of the padding: not 4
    (4, 2, 3, 1, 1, True, 2),       # the third window would start on the right padding
    (6, 3, 2, 1, 1, True, 4),
    (5, 3, 3, 1, 1, True, 2),
    (7, 3, 2, 0, 2, True, 2),       # dilated span 5 fits exactly: nothing left to cover
    (8, 3, 2, 0, 2, True, 3),
    (3, 2, 1, 1, 3, False, 2),      # dilated taps straddle the input
]


WINDOW_COUNT_CASES = [("max", *row) for row in WINDOW_COUNTS] + [
    ("avg", *row) for row in WINDOW_COUNTS if row[4] == 1]        # avg_pool takes no dilation


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind, in_size, kernel_size, stride, padding, dilation, ceil_mode, "
                         "windows", WINDOW_COUNT_CASES)
def test_pool_window_count_examples(method, kind, in_size, kernel_size, stride, padding,
                                    dilation, ceil_mode, windows):
    """Hand-checked window counts along one dimension, ceil_mode rule included, for max and
    average pooling.  (The output shape of any geometry is checked against the formula in
    test_shapes.py.)"""
    pool = npconv.max_pool if kind == "max" else npconv.avg_pool
    geometry = {"dilation": dilation} if kind == "max" else {}
    out = pool(np.zeros((1, 1, in_size)), kernel_size, stride=stride, padding=padding,
               ceil_mode=ceil_mode, **geometry, method=method)
    assert out.shape == (1, 1, windows)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("max"))
def test_max_pool_output_shape_counts_the_windows_pytorch_keeps(method, config):
    """max_pool's output has one cell per window found by walking the windows
    (:func:`tests.oracles.pool_window_count`; test_shapes.py checks every op's shape
    against the formula)."""
    x = config["input"]
    ndim = x.ndim - 2
    kernel_size = oracles.per_dimension(config["kernel_size"], ndim)
    stride = kernel_size if config["stride"] is None else oracles.per_dimension(
        config["stride"], ndim)
    dilation = oracles.per_dimension(config.get("dilation", 1), ndim)
    windows = tuple(oracles.pool_window_count(n, k, s, b, a, d, config["ceil_mode"])
                    for n, k, s, (b, a), d in zip(x.shape[2:], kernel_size, stride,
                                                  config["pairs"], dilation))
    out = npconv.max_pool(**op_args(config), method=method)
    assert out.shape == (*x.shape[:2], *windows)


# --------------------------------------------------------------------------------------------
# Max pooling: values and indices
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@example(config=explicit([2., 2., 1., 2.], 2, stride=1, dilation=1))
@example(config=explicit([[-np.inf] * 3] * 3, 3, stride=2, padding=1, dilation=1))
@example(config=explicit([1., np.nan, 3., np.nan, 2.], 5, dilation=1))
@example(config=explicit(CUBE_WITH_TIES, (2, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1),
                         ceil_mode=True, dilation=(1, 2, 1)))
@given(config=max_pool_configs_with_ties())
def test_max_pool_matches_brute_force(method, config):
    """Values and int64 indices: first maximum, padding never wins, last NaN wins."""
    expected_out, expected_indices = reference_max_pool(config)
    out, indices = npconv.max_pool(**op_args(config), return_indices=True, method=method)
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(out, expected_out)          # NaN equals NaN here
    np.testing.assert_array_equal(indices, expected_indices)


# The cheat sheet's pooling picture (Stanford CS231n): a 4x4 input, 2x2 windows, stride 2.
CHEAT_SHEET_INPUT = np.array([[[[1., 1., 2., 4.],
                                [5., 6., 7., 8.],
                                [3., 2., 1., 0.],
                                [1., 2., 3., 4.]]]])


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_cheat_sheet_example(method):
    """The cheat sheet's max pooling: [[6, 8], [3, 4]], found at cells 5, 7, 8 and 15."""
    out, indices = npconv.max_pool(CHEAT_SHEET_INPUT, 2, stride=2, return_indices=True,
                                   method=method)
    np.testing.assert_array_equal(out, [[[[6., 8.], [3., 4.]]]])
    np.testing.assert_array_equal(indices, [[[[5, 7], [8, 15]]]])


@pytest.mark.parametrize("method", METHODS)
def test_avg_pool_cheat_sheet_example(method):
    """The same picture averaged: (1+1+5+6)/4, (2+4+7+8)/4, (3+2+1+2)/4, (1+0+3+4)/4."""
    out = npconv.avg_pool(CHEAT_SHEET_INPUT, 2, stride=2, method=method)
    np.testing.assert_array_equal(out, [[[[3.25, 5.25], [2., 2.]]]])


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_ties_go_to_the_first_maximum(method):
    """[2, 2, 1, 2] with kernel 2, stride 1: windows pick cells 0, 1 and 3."""
    out, indices = npconv.max_pool(np.array([[[2., 2., 1., 2.]]]), 2, stride=1,
                                   return_indices=True, method=method)
    np.testing.assert_array_equal(out, [[[2., 2., 2.]]])
    np.testing.assert_array_equal(indices, [[[0, 1, 3]]])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_a_zero_maximum_has_its_winners_sign(method, dtype):
    """+0.0 == -0.0, so a window of both zeros ties; PyTorch returns the first, the winning
    cell itself: windows (+0, -0) and (-0, +0) give +0 and -0 (torch 2.13 agrees).  In
    2-D, with padding, on planes large enough for the fast variant's flat runs, every value
    is bit for bit the input cell its index names."""
    out, indices = npconv.max_pool(np.array([[[0., -0., -0., 0.]]], dtype=dtype), 2,
                                   return_indices=True, method=method)
    np.testing.assert_array_equal(indices, [[[0, 2]]])
    np.testing.assert_array_equal(np.signbit(out), [[[False, True]]])
    rng = np.random.default_rng(8)
    x = rng.choice(np.array([0., -0.], dtype=dtype), size=(2, 3, 9, 8))
    out, indices = npconv.max_pool(x, 3, stride=2, padding=1, return_indices=True,
                                   method=method)
    winners = np.take_along_axis(x.reshape(2, 3, -1), indices.reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(np.signbit(out).reshape(2, 3, -1), np.signbit(winners))


@pytest.mark.parametrize("method", METHODS)
def test_a_nan_maximum_is_its_winners_bits(method):
    """Of several NaNs the last wins (index and value): with two NaNs of different sign and
    payload, the value is the second one bit for bit (PyTorch returns the winning cell)."""
    first, last = np.array([0x7FC00001, 0xFFC00002], dtype=np.uint32).view(np.float32)
    x = np.array([[[first, last, 1., 2.]]], dtype=np.float32)
    out, indices = npconv.max_pool(x, 2, return_indices=True, method=method)
    np.testing.assert_array_equal(indices, [[[1, 3]]])
    assert out.view(np.uint32)[0, 0, 0] == 0xFFC00002


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_padding_never_wins_over_minus_infinity(method):
    """An all -inf input: each index is the window's first real cell, not a padded one."""
    out, indices = npconv.max_pool(np.full((1, 1, 3), -np.inf), 3, stride=1, padding=1,
                                   return_indices=True, method=method)
    np.testing.assert_array_equal(out, [[[-np.inf, -np.inf, -np.inf]]])
    np.testing.assert_array_equal(indices, [[[0, 0, 1]]])
    _, indices_2d = npconv.max_pool(np.full((1, 1, 3, 3), -np.inf), 3, stride=2, padding=1,
                                    return_indices=True, method=method)
    np.testing.assert_array_equal(indices_2d, [[[[0, 1], [3, 4]]]])


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_nan_wins_and_the_index_is_the_last_nan(method):
    """[1, NaN, 3, NaN, 2] in one window: the output is NaN and the index is 3."""
    out, indices = npconv.max_pool(np.array([[[1., np.nan, 3., np.nan, 2.]]]), 5,
                                   return_indices=True, method=method)
    assert np.isnan(out).all()
    np.testing.assert_array_equal(indices, [[[3]]])


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_index_is_flat_in_the_unpadded_plane(method):
    """3x3 input, kernel 3, stride 2, padding 1: winners (1,0), (0,2), (1,0), (1,2)."""
    x = np.array([[[[3., -1., 7.],
                    [7., 0., 7.],
                    [2., 7., 1.]]]])
    out, indices = npconv.max_pool(x, 3, stride=2, padding=1, ceil_mode=True,
                                   return_indices=True, method=method)
    np.testing.assert_array_equal(out, [[[[7., 7.], [7., 7.]]]])
    np.testing.assert_array_equal(indices, [[[[3, 2], [3, 5]]]])


# --------------------------------------------------------------------------------------------
# Average pooling: divisors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@example(config=explicit(np.arange(1., 7.), 3, stride=2, padding=1, ceil_mode=True,
                         count_include_pad=True, divisor_override=None))
@example(config=explicit(np.arange(20.).reshape(4, 5), 3, stride=2, padding=1, ceil_mode=True,
                         count_include_pad=False, divisor_override=None))
@example(config=explicit(CUBE_WITH_TIES.clip(-1, 1), (2, 2, 3), stride=(2, 1, 2),
                         padding=(1, 0, 1), ceil_mode=True, count_include_pad=True,
                         divisor_override=None))
@given(config=pool_configs("avg"))
def test_avg_pool_matches_brute_force_divisors(method, config):
    """Window sums over the divisor: padding counted or not, overhang never, or override."""
    out = npconv.avg_pool(**op_args(config), method=method)
    oracles.assert_close(out, reference_avg_pool(config), rtol=1e-12)


# ones(6), kernel 3, stride 2, padding 1, ceil_mode: windows start at -1, 1, 3, 5; the last
# holds cell 5 and one right-padding cell, and overhangs by one more.
AVG_DIVISOR_EXAMPLES = [
    ({"count_include_pad": True}, [2 / 3, 1., 1., 1 / 2]),
    ({"count_include_pad": False}, [1., 1., 1., 1.]),
    ({"divisor_override": 2}, [1., 1.5, 1.5, 0.5]),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("options, expected", AVG_DIVISOR_EXAMPLES)
def test_avg_pool_divisor_examples(method, options, expected):
    """The border divisor by hand: padding counted, padding not counted, overridden."""
    out = npconv.avg_pool(np.ones((1, 1, 6)), 3, stride=2, padding=1, ceil_mode=True,
                          **options, method=method)
    np.testing.assert_allclose(out, [[expected]], rtol=1e-15)


# --------------------------------------------------------------------------------------------
# Backwards
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=max_pool_configs_with_ties(), grad_seed=st.integers(0, 2**32 - 1))
def test_max_pool_backward_routes_gradients_to_the_winners(method, config, grad_seed):
    """Each output's gradient lands on its window's winner; shared winners add up."""
    out_shape = oracles.pool_output_shape(config)
    grad_output = np.random.default_rng(grad_seed).standard_normal(out_shape)
    args = op_args(config)
    grad = npconv.max_pool_backward(grad_output, args.pop("input"), **args, method=method)
    oracles.assert_close(grad, reference_max_pool_backward(grad_output, config), rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_max_pool_backward_example(method):
    """[1, 5, 2], kernel 2, stride 1: cell 1 wins both windows and collects both gradients."""
    grad = npconv.max_pool_backward(np.array([[[1., 10.]]]), np.array([[[1., 5., 2.]]]), 2,
                                    stride=1, method=method)
    np.testing.assert_array_equal(grad, [[[0., 11., 0.]]])


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"), grad_seed=st.integers(0, 2**32 - 1))
def test_avg_pool_backward_spreads_gradient_over_the_divisor(method, config, grad_seed):
    """Each output's gradient, over its divisor, is added to every real cell of its window."""
    out_shape = oracles.pool_output_shape(config)
    grad_output = np.random.default_rng(grad_seed).standard_normal(out_shape)
    args = op_args(config)
    grad = npconv.avg_pool_backward(grad_output, args.pop("input"), **args, method=method)
    oracles.assert_close(grad, reference_avg_pool_backward(grad_output, config), rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_avg_pool_backward_example(method):
    """ones(6), kernel 3, stride 2, padding 1, ceil_mode: divisors 3, 3, 3, 2, by hand."""
    grad = npconv.avg_pool_backward(np.ones((1, 1, 4)), np.zeros((1, 1, 6)), 3, stride=2,
                                    padding=1, ceil_mode=True, method=method)
    np.testing.assert_allclose(grad, [[[1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 1 / 3 + 1 / 2]]],
                               rtol=1e-15)


@st.composite
def gradients_with_nan_and_inf(draw, shape):
    """A standard-normal gradient in which some cells are NaN, inf or -inf."""
    grad = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(shape)
    for flat_index in draw(st.lists(st.integers(0, max(grad.size - 1, 0)), max_size=4)):
        grad.flat[flat_index] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return grad


@given(config=max_pool_configs_with_ties(), data=st.data())
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_loops_pooling_gradients_with_nan_and_inf_reach_only_their_windows(config, data):
    """A NaN or infinite output gradient lands on its window's winner (max pooling) or on
    its window's cells (average pooling) and nowhere else: every other cell keeps the
    reference's finite sum, never 0 * inf = NaN."""
    grad_output = data.draw(gradients_with_nan_and_inf(oracles.pool_output_shape(config)))
    args = op_args(config)
    grad = npconv.max_pool_backward(grad_output, args.pop("input"), **args, method="loops")
    oracles.assert_close(grad, reference_max_pool_backward(grad_output, config), rtol=0)

    avg_config = data.draw(pool_configs("avg"))
    grad_output = data.draw(gradients_with_nan_and_inf(oracles.pool_output_shape(avg_config)))
    args = op_args(avg_config)
    grad = npconv.avg_pool_backward(grad_output, args.pop("input"), **args, method="loops")
    oracles.assert_close(grad, reference_avg_pool_backward(grad_output, avg_config),
                         rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Kernels far wider than the input
# --------------------------------------------------------------------------------------------

@st.composite
def wide_kernel_configs(draw, kind):
    """Pool configs whose kernel (3-9 taps) is far wider than the input, with padding near
    half the kernel and strides up to 12: the padding the windows reach is larger than the
    input itself, so the im2col variant builds none and visits only the windows where each
    tap lands inside the input.  Every window still holds an input cell."""
    ndim = draw(st.integers(1, 2))
    kernel_size = tuple(draw(st.integers(3, 9)) for _ in range(ndim))
    dilation = (tuple(draw(st.integers(1, 2)) for _ in range(ndim)) if kind == "max"
                else (1,) * ndim)
    pairs = tuple((draw(st.integers(max(k // 2 - 1, 0), k // 2)),
                   draw(st.integers(max(k // 2 - 1, 0), k // 2))) for k in kernel_size)
    stride = tuple(draw(st.integers(1, 12)) for _ in range(ndim))
    in_size = []
    for k, d, (b, a) in zip(kernel_size, dilation, pairs):
        smallest = max(oracles.span(k, d) - b - a, d, 1)
        in_size.append(draw(st.integers(smallest, smallest + 2)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), *in_size)
    values = (draw(tie_rich_arrays(shape)) if kind == "max"
              else np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(shape))
    config = {"input": values, "kernel_size": kernel_size, "stride": stride, "padding": pairs,
              "ceil_mode": draw(st.booleans()), "pairs": pairs}
    if kind == "max":
        config["dilation"] = dilation
    else:
        config["count_include_pad"] = draw(st.booleans())
        config["divisor_override"] = None
    return config


@pytest.mark.filterwarnings("ignore::RuntimeWarning")      # NaN cells warn; NaN is the point
@pytest.mark.parametrize("method", METHODS)
@example(config=explicit([7.], 9, stride=1, padding=4))
@example(config=explicit([[-np.inf, -np.inf]], 7, stride=5, padding=3, ceil_mode=True))
@given(config=wide_kernel_configs("max"))
def test_max_pool_with_a_kernel_wider_than_the_input_matches_brute_force(method, config):
    """Values, indices and the gradient (routed to the indices with np.add.at) when only a
    few taps of a wide kernel land on the input: ties, -inf windows (their first real cell)
    and NaN (the last NaN) as in a narrow one."""
    args = op_args(config)
    x = args.pop("input")
    out, indices = npconv.max_pool(x, **args, return_indices=True, method=method)
    oracles.assert_close((out, indices), reference_max_pool(config), rtol=0)
    grad_output = np.random.default_rng(0).standard_normal(out.shape)
    grad = npconv.max_pool_backward(grad_output, x, **args, method=method)
    oracles.assert_close(grad, reference_max_pool_backward(grad_output, config), rtol=1e-12)


@pytest.mark.parametrize("method", METHODS)
@example(config={**explicit([[1., 2.]], 9, stride=4, padding=4, ceil_mode=True),
                 "count_include_pad": False, "divisor_override": None})
@given(config=wide_kernel_configs("avg"))
def test_avg_pool_with_a_kernel_wider_than_the_input_matches_brute_force(method, config):
    """Sums, divisors and the spread-back gradient when only a few taps land on the input."""
    args = op_args(config)
    x = args.pop("input")
    oracles.assert_close(npconv.avg_pool(x, **args, method=method), reference_avg_pool(config),
                         rtol=1e-12)
    grad_output = np.random.default_rng(1).standard_normal(oracles.pool_output_shape(config))
    oracles.assert_close(npconv.avg_pool_backward(grad_output, x, **args, method=method),
                         reference_avg_pool_backward(grad_output, config), rtol=1e-12)
