"""The family's semantics: each op against a brute force, SciPy and exact identities.

The references are those of :mod:`tests.oracles`, one window (or one input cell) at a time:

- max unpooling writes every input cell to the flat position its index names, in row-major
  order, so that a later cell with the same index overwrites an earlier one (PyTorch on one
  thread); everything else is 0;
- adaptive pooling's window ``i`` runs from ``floor(i * in / out)`` to
  ``ceil((i + 1) * in / out)`` (exact integer arithmetic); its max keeps the first maximum in
  row-major order, or the last NaN, as max pooling does;
- power-average pooling is PyTorch's formula ``(K * mean(x ** p)) ** (1 / p)`` over the
  cells a window holds (``K`` the full kernel), and for ``p = +-inf`` the largest or
  smallest ``|x|``.

Identities and SciPy tie them to what the reader already trusts: unpooling a max pooling
puts the winners back; adaptive pooling whose size divides the input is ordinary pooling
(and a subsampled ``scipy.ndimage.uniform_filter``); ``p = 1`` is a scaled average pool,
``p = 2`` a root of a uniform filter of squares, ``p = inf`` a maximum filter of ``|x|``.
Small examples, each verified against PyTorch 2.13, pin the quirks.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import ndimage

import npconv
from npconv.testing.strategies import (adaptive_configs, lp_configs, op_args, pool_configs,
                                       unpool_configs)
from tests import oracles

METHODS = ("loops", "im2col")


def assert_same(actual, expected, rtol=1e-12):
    """Equal up to ``rtol`` (0: exactly), NaN where the other is NaN, infinities alike
    (:func:`tests.oracles.assert_close`)."""
    __tracebackhide__ = True
    oracles.assert_close(actual, expected, rtol=rtol)


def lp_geometry(config):
    ndim = config["input"].ndim - 2
    return oracles.per_dimension(config["kernel_size"], ndim), config["spatial_stride"]


def lp_out_size(x, kernel_size, stride):
    """Windows along each dimension without ceil_mode (no padding): the pooling formula."""
    return [oracles.pool_output_size(n, k, s, 0, 0, 1, False)
            for n, k, s in zip(x.shape[2:], kernel_size, stride)]


# --------------------------------------------------------------------------------------------
# Max unpooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=unpool_configs())
def test_max_unpool_matches_brute_force_the_last_repeated_index_wins(method, config):
    assert_same(npconv.max_unpool(**op_args(config), method=method),
                oracles.max_unpool(**op_args(config)), rtol=0)


@pytest.mark.parametrize("method", METHODS)
@given(config=unpool_configs(), seed=st.integers(0, 2**32 - 1))
def test_max_unpool_backward_reads_the_gradient_at_every_index(method, config, seed):
    N, C = config["input"].shape[:2]
    grad = np.random.default_rng(seed).standard_normal((N, C, *config["out_size"]))
    planes = grad.reshape(N, C, -1)
    expected = np.empty(config["input"].shape)
    for n, c in np.ndindex(N, C):
        for position in np.ndindex(*config["input"].shape[2:]):
            expected[(n, c) + position] = planes[n, c, config["indices"][(n, c) + position]]
    actual = npconv.max_unpool_backward(grad, **op_args(config), method=method)
    assert_same(actual, expected, rtol=0)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"))
def test_max_unpool_of_max_pool_puts_each_winner_back_and_zeros_elsewhere(method, config):
    """Pool, then unpool to the input's size: the winners in place, every other cell 0."""
    x = config["input"]
    geometry = {key: config[key] for key in ("kernel_size", "stride", "padding")}
    pooled, indices = npconv.max_pool(x, **geometry, ceil_mode=config["ceil_mode"],
                                      return_indices=True)
    N, C, *in_size = x.shape
    planes = x.reshape(N * C, -1)
    flat_indices = indices.reshape(N * C, -1)
    expected = np.zeros_like(planes)
    np.put_along_axis(expected, flat_indices, np.take_along_axis(planes, flat_indices, 1), 1)
    unpooled = npconv.max_unpool(pooled, indices, **geometry, output_size=x.shape[2:],
                                 method=method)
    assert_same(unpooled, expected.reshape(x.shape), rtol=0)
    assert np.count_nonzero(unpooled.reshape(N * C, -1), axis=1).max() <= pooled[0, 0].size


@pytest.mark.parametrize("method", METHODS)
def test_max_unpool_worked_example(method):
    x = np.array([[[[1., 2., 0., 3.],
                    [4., 0., 6., 5.],
                    [0., 7., 8., 0.],
                    [9., 0., 0., 0.]]]])
    pooled, indices = npconv.max_pool(x, 2, return_indices=True)
    assert indices.tolist() == [[[[4, 6], [12, 10]]]]
    expected = np.array([[[[0., 0., 0., 0.],
                           [4., 0., 6., 0.],
                           [0., 0., 8., 0.],
                           [9., 0., 0., 0.]]]])
    assert_same(npconv.max_unpool(pooled, indices, 2, method=method), expected, rtol=0)


@pytest.mark.parametrize("method", METHODS)
def test_max_unpool_repeated_index_pytorch_examples(method):
    # PyTorch: max_unpool1d([1, 2, 3], indices [1, 1, 1], 2, output_size=(5,)) is
    # [0, 3, 0, 0, 0], and the backward of grad [10, 20, 30, 40, 50] is [20, 20, 20].
    x = np.array([[[1., 2., 3.]]])
    indices = np.array([[[1, 1, 1]]])
    out = npconv.max_unpool(x, indices, 2, output_size=(5,), method=method)
    assert out.tolist() == [[[0., 3., 0., 0., 0.]]]
    grad = npconv.max_unpool_backward(np.array([[[10., 20., 30., 40., 50.]]]), x, indices, 2,
                                      output_size=(5,), method=method)
    assert grad.tolist() == [[[20., 20., 20.]]]


@pytest.mark.parametrize("method", METHODS)
def test_max_unpool_keeps_the_last_of_many_repeats_across_the_plane(method):
    # Thousands of cells write one index: NumPy does not promise the order of repeated
    # writes, so this catches a fast path that trusts it.
    x = np.arange(1., 3001.).reshape(1, 1, 3000)
    out = npconv.max_unpool(x, np.zeros((1, 1, 3000), dtype=np.int64), 1, method=method)
    assert out[0, 0, 0] == 3000. and not out[0, 0, 1:].any()


# --------------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs(values="ties"))
def test_adaptive_max_pool_matches_brute_force_ties_and_nan(method, config):
    x = config["input"]
    assert_same(npconv.adaptive_max_pool(x, config["output_size"], True, method=method),
                oracles.adaptive_max_pool(x, config["output_size"], True), rtol=0)


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs())
def test_adaptive_avg_pool_matches_brute_force(method, config):
    assert_same(npconv.adaptive_avg_pool(config["input"], config["output_size"],
                                         method=method),
                oracles.adaptive_avg_pool(config["input"], config["output_size"]))


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs(divisible=True, values="ties"))
def test_adaptive_pooling_of_a_dividing_size_is_ordinary_pooling(method, config):
    x = config["input"]
    kernel_size = tuple(n // o for n, o in zip(x.shape[2:], config["out_size"]))
    expected_max, expected_indices = npconv.max_pool(x, kernel_size, return_indices=True,
                                                     method=method)
    out, indices = npconv.adaptive_max_pool(x, config["output_size"], True, method=method)
    assert_same(out, expected_max, rtol=0)
    np.testing.assert_array_equal(indices, expected_indices)
    with np.errstate(invalid="ignore"):
        expected_avg = npconv.avg_pool(x, kernel_size, method=method)
        assert_same(npconv.adaptive_avg_pool(x, config["output_size"], method=method),
                    expected_avg)


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs(divisible=True))
def test_adaptive_avg_pool_of_a_dividing_size_is_a_subsampled_scipy_uniform_filter(method,
                                                                                    config):
    x = config["input"]
    kernel_size = [n // o for n, o in zip(x.shape[2:], config["out_size"])]
    filtered = ndimage.uniform_filter(x, size=[1, 1, *kernel_size], mode="constant")
    # uniform_filter centres a window of k cells on cell k // 2 of it
    subsample = (slice(None), slice(None)) + tuple(slice(k // 2, None, k) for k in kernel_size)
    assert_same(npconv.adaptive_avg_pool(x, config["output_size"], method=method),
                filtered[subsample], 1e-10)


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs(values="ties"))
def test_global_adaptive_pooling_is_the_mean_and_max_of_each_plane(method, config):
    x = config["input"]
    ndim = x.ndim - 2
    spatial = tuple(range(2, x.ndim))
    with np.errstate(invalid="ignore"):
        assert_same(npconv.adaptive_avg_pool(x, 1, method=method),
                    x.mean(axis=spatial, keepdims=True))
    planes = x.reshape(*x.shape[:2], -1)
    winners = [[oracles.max_pool_winner(list(plane)) for plane in batch] for batch in planes]
    out, indices = npconv.adaptive_max_pool(x, (1,) * ndim, True, method=method)
    np.testing.assert_array_equal(indices.reshape(x.shape[:2]), winners)
    assert_same(out.reshape(x.shape[:2]),
                np.take_along_axis(planes, np.array(winners)[..., None], 2)[..., 0], rtol=0)


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs(values="ties"))
def test_adaptive_pooling_to_the_input_size_changes_nothing(method, config):
    x = config["input"]
    out, indices = npconv.adaptive_max_pool(x, None, True, method=method)
    assert_same(out, x, rtol=0)
    plane = np.arange(math.prod(x.shape[2:])).reshape(x.shape[2:])
    np.testing.assert_array_equal(indices, np.broadcast_to(plane, x.shape))
    assert_same(npconv.adaptive_avg_pool(x, x.shape[2:], method=method), x, rtol=0)


@pytest.mark.parametrize("method", METHODS)
def test_adaptive_pooling_pytorch_examples(method):
    # Each verified against PyTorch 2.13.
    x = np.array([[[1., 2., 3., 4., 5.]]])
    assert_same(npconv.adaptive_avg_pool(x, 3, method=method), [[[1.5, 3., 4.5]]])
    out, indices = npconv.adaptive_max_pool(x, 3, True, method=method)
    assert out.tolist() == [[[2., 4., 5.]]] and indices.tolist() == [[[1, 3, 4]]]
    # a larger output repeats cells
    assert_same(npconv.adaptive_avg_pool(x, 8, method=method),
                [[[1., 1.5, 2., 2.5, 3.5, 4., 4.5, 5.]]])
    out, indices = npconv.adaptive_max_pool(x, 8, True, method=method)
    assert indices.tolist() == [[[0, 1, 1, 2, 3, 3, 4, 4]]]
    # ties: the first maximum; NaN: the last NaN; all -inf: the first cell
    ties = npconv.adaptive_max_pool(np.array([[[[1., 3.], [3., 2.]]]]), 1, True,
                                    method=method)
    nans = npconv.adaptive_max_pool(np.array([[[1., np.nan, 3., np.nan, 0.]]]), 1, True,
                                    method=method)
    minus_inf = npconv.adaptive_max_pool(np.full((1, 1, 2), -np.inf), 1, True, method=method)
    assert ties[1].item() == 1 and nans[1].item() == 3 and minus_inf[1].item() == 0
    assert np.isnan(nans[0].item())


@pytest.mark.parametrize("method", METHODS)
def test_adaptive_pooling_global_of_a_long_signal(method):
    """One window of 200,000 cells: the work follows the input, not its window count."""
    x = np.linspace(-1., 1., 200_000).reshape(1, 1, -1)
    assert_same(npconv.adaptive_avg_pool(x, 1, method=method), [[[0.]]])
    out, indices = npconv.adaptive_max_pool(x, 1, True, method=method)
    assert out.item() == 1. and indices.item() == 199_999


# --------------------------------------------------------------------------------------------
# Power-average pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs())
def test_lp_pool_matches_pytorchs_formula_written_out(method, config):
    assert_same(npconv.lp_pool(**op_args(config), method=method),
                oracles.lp_pool(**op_args(config)), 1e-10)


@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs(norm_types=(1,), ceil_modes=(False,)))
def test_lp_pool_with_p_1_is_average_pooling_times_the_kernel_size(method, config):
    kernel_size, stride = lp_geometry(config)
    expected = npconv.avg_pool(config["input"], kernel_size, stride, method=method)
    assert_same(npconv.lp_pool(**op_args(config), method=method),
                expected * math.prod(kernel_size), 1e-10)


@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs(norm_types=(2,), ceil_modes=(False,)))
def test_lp_pool_with_p_2_is_the_root_of_a_scipy_uniform_filter_of_squares(method, config):
    x = config["input"]
    kernel_size, stride = lp_geometry(config)
    mean_square = ndimage.uniform_filter(x ** 2, size=[1, 1, *kernel_size], mode="constant")
    out_size = lp_out_size(x, kernel_size, stride)
    subsample = (slice(None), slice(None)) + tuple(
        slice(k // 2, k // 2 + (o - 1) * s + 1, s) for k, s, o in zip(kernel_size, stride,
                                                                      out_size))
    expected = np.sqrt(np.maximum(mean_square[subsample], 0) * math.prod(kernel_size))
    assert_same(npconv.lp_pool(**op_args(config), method=method), expected, 1e-8)


@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs(norm_types=(math.inf, -math.inf), ceil_modes=(False,)))
def test_lp_pool_with_infinite_p_is_a_scipy_max_or_min_filter_of_abs(method, config):
    x = config["input"]
    kernel_size, stride = lp_geometry(config)
    size = [1, 1, *kernel_size]
    extreme = ndimage.maximum_filter if config["norm_type"] > 0 else ndimage.minimum_filter
    origin = [0, 0, *[-(k // 2) for k in kernel_size]]      # windows start at the cell
    filtered = extreme(np.abs(x), size=size, origin=origin, mode="nearest")
    out_size = lp_out_size(x, kernel_size, stride)
    subsample = (slice(None), slice(None)) + tuple(slice(0, (o - 1) * s + 1, s)
                                                   for s, o in zip(stride, out_size))
    assert_same(npconv.lp_pool(**op_args(config), method=method), filtered[subsample],
                rtol=0)


@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs(values="positive_distinct", norm_types=(40,),
                         ceil_modes=(False,)))
def test_lp_pool_approaches_the_maximum_as_p_grows(method, config):
    """``max <= (sum of x**p) ** (1/p) <= K ** (1/p) * max`` for positive cells."""
    x = config["input"]
    kernel_size, stride = lp_geometry(config)
    out = npconv.lp_pool(**op_args(config), method=method)
    maximum = npconv.max_pool(x, kernel_size, stride)
    K = math.prod(kernel_size)
    assert np.all(out >= maximum * (1 - 1e-12))
    assert np.all(out <= maximum * K ** (1 / 40) * (1 + 1e-12))


@pytest.mark.parametrize("method", METHODS)
def test_lp_pool_pytorch_examples(method):
    # Each verified against PyTorch 2.13.
    row = np.array([[[1., 2., 3., 4., 5.]]])
    # ceil_mode: the half window [5] is scaled up by K / cells = 2
    assert npconv.lp_pool(row, 1, 2, ceil_mode=True, method=method).tolist() == [[[3., 7., 10.]]]
    assert_same(npconv.lp_pool(row, 2, 2, ceil_mode=True, method=method),
                [[[math.sqrt(5), 5., math.sqrt(50)]]])
    # negative cells: p = 1 passes negative sums; p = 3 takes a cube root of a negative sum
    # (NaN); p = 1.5 a non-integer power of a negative cell (NaN)
    signed = np.array([[[-1., 2., -3., 0.5]]])
    assert_same(npconv.lp_pool(signed, 1, 2, method=method), [[[1., -2.5]]])
    assert_same(npconv.lp_pool(signed, 3, 2, method=method), [[[7 ** (1 / 3), np.nan]]])
    assert np.isnan(npconv.lp_pool(signed, 1.5, 2, method=method)).all()
    # p = +-inf: the largest and the smallest |x|
    assert npconv.lp_pool(signed, math.inf, 2, method=method).tolist() == [[[2., 3.]]]
    assert npconv.lp_pool(signed, -math.inf, 2, method=method).tolist() == [[[1., 0.5]]]
    # a window of -0.0 with p = -1: PyTorch's sum starts at +0, so the answer is +inf
    assert npconv.lp_pool(np.array([[[-np.inf]]]), -1, 1, method=method).item() == np.inf


# --------------------------------------------------------------------------------------------
# The two variants agree, on every op, forward and backward
# --------------------------------------------------------------------------------------------

@given(config=unpool_configs(), seed=st.integers(0, 2**32 - 1))
def test_max_unpool_loops_and_im2col_agree(config, seed):
    args = op_args(config)
    assert_same(npconv.max_unpool(**args, method="loops"),
                npconv.max_unpool(**args, method="im2col"), rtol=0)
    grad = np.random.default_rng(seed).standard_normal(
        (*config["input"].shape[:2], *config["out_size"]))
    assert_same(npconv.max_unpool_backward(grad, **args, method="loops"),
                npconv.max_unpool_backward(grad, **args, method="im2col"), rtol=0)


@given(config=adaptive_configs(values="ties"), seed=st.integers(0, 2**32 - 1))
def test_adaptive_pooling_loops_and_im2col_agree(config, seed):
    x, output_size = config["input"], config["output_size"]
    grad = np.random.default_rng(seed).standard_normal((*x.shape[:2], *config["out_size"]))
    loops = npconv.adaptive_max_pool(x, output_size, True, method="loops")
    fast = npconv.adaptive_max_pool(x, output_size, True, method="im2col")
    assert_same(loops[0], fast[0], rtol=0)
    np.testing.assert_array_equal(loops[1], fast[1])
    with np.errstate(invalid="ignore"):
        for op in (npconv.adaptive_avg_pool,):
            assert_same(op(x, output_size, method="loops"), op(x, output_size, method="im2col"))
        for backward in (npconv.adaptive_avg_pool_backward, npconv.adaptive_max_pool_backward):
            assert_same(backward(grad, x, output_size, method="loops"),
                        backward(grad, x, output_size, method="im2col"))


@given(config=lp_configs(values="ties"), seed=st.integers(0, 2**32 - 1))
def test_lp_pool_loops_and_im2col_agree(config, seed):
    args = op_args(config)
    out = npconv.lp_pool(**args, method="loops")
    assert_same(out, npconv.lp_pool(**args, method="im2col"), 1e-10)
    grad = np.random.default_rng(seed).standard_normal(out.shape)
    assert_same(npconv.lp_pool_backward(grad, **args, method="loops"),
                npconv.lp_pool_backward(grad, **args, method="im2col"), 1e-10)


# --------------------------------------------------------------------------------------------
# Aliases, dtypes, empty arrays
# --------------------------------------------------------------------------------------------

ALIASES = [
    (npconv.adaptive_avg_pool1d, 1, (2,)), (npconv.adaptive_avg_pool2d, 2, (2,)),
    (npconv.adaptive_avg_pool3d, 3, (2,)), (npconv.adaptive_max_pool1d, 1, (2,)),
    (npconv.adaptive_max_pool2d, 2, (2,)), (npconv.adaptive_max_pool3d, 3, (2,)),
    (npconv.lp_pool1d, 1, (2, 2)), (npconv.lp_pool2d, 2, (2, 2)), (npconv.lp_pool3d, 3, (2, 2)),
]


@pytest.mark.parametrize("alias, ndim, args", ALIASES)
def test_rank_checked_aliases_take_unbatched_input(alias, ndim, args):
    x = np.random.default_rng(0).standard_normal((3,) + (4,) * ndim)
    assert_same(alias(x, *args), alias(x[np.newaxis], *args)[0], rtol=0)


@pytest.mark.parametrize("alias, ndim", [(npconv.max_unpool1d, 1), (npconv.max_unpool2d, 2),
                                         (npconv.max_unpool3d, 3)])
def test_max_unpool_aliases_take_unbatched_input_and_indices(alias, ndim):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3,) + (2,) * ndim)
    indices = rng.integers(0, 4 ** ndim, size=x.shape)
    batched = alias(x[np.newaxis], indices[np.newaxis], 2)
    assert_same(alias(x, indices, 2), batched[0], rtol=0)
    assert batched.shape == (1, 3) + (4,) * ndim


@pytest.mark.parametrize("method", METHODS)
def test_float32_stays_float32_and_integers_compute_in_float64(method):
    x32 = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    pooled, indices = npconv.max_pool(x32, 2, return_indices=True)
    results = [npconv.max_unpool(pooled, indices, 2, method=method),
               npconv.adaptive_avg_pool(x32, 3, method=method),
               npconv.adaptive_max_pool(x32, 3, method=method),
               npconv.lp_pool(x32, 2, 2, method=method),
               npconv.lp_pool_backward(np.ones((1, 1, 2, 2), np.float32), x32, 2, 2,
                                       method=method),
               npconv.adaptive_max_pool_backward(np.ones((1, 1, 3, 3), np.float32), x32, 3,
                                                 method=method)]
    assert all(result.dtype == np.float32 for result in results)
    integers = np.arange(16).reshape(1, 1, 4, 4)
    assert npconv.adaptive_avg_pool(integers, 2, method=method).dtype == np.float64
    assert npconv.lp_pool(integers, 2, 2, method=method).dtype == np.float64


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shape", [(0, 2, 4, 4), (2, 0, 4, 4)])
def test_an_empty_batch_or_no_channels_gives_an_empty_answer(method, shape):
    x = np.zeros(shape)
    out_shape = shape[:2] + (2, 2)
    assert npconv.adaptive_avg_pool(x, 2, method=method).shape == out_shape
    assert npconv.adaptive_max_pool(x, 2, method=method).shape == out_shape
    assert npconv.lp_pool(x, 2, 2, method=method).shape == out_shape
    assert npconv.max_unpool(np.zeros(out_shape), np.zeros(out_shape, dtype=np.int64), 2,
                             method=method).shape == shape
    assert npconv.adaptive_max_pool_backward(np.zeros(out_shape), x, 2,
                                             method=method).shape == shape


@pytest.mark.parametrize("method", METHODS)
def test_adaptive_output_size_zero_gives_an_empty_output_and_a_zero_gradient(method):
    x = np.ones((1, 2, 3, 4))
    assert npconv.adaptive_max_pool(x, (0, 2), method=method).shape == (1, 2, 0, 2)
    grad = npconv.adaptive_avg_pool_backward(np.zeros((1, 2, 2, 0)), x, (2, 0), method=method)
    assert_same(grad, np.zeros(x.shape), rtol=0)


# --------------------------------------------------------------------------------------------
# Adaptive max pooling's im2col path for windows the core's pooling does not take: every
# window copied into a row, one argmax, the NaN windows searched again
# --------------------------------------------------------------------------------------------

# (in_size, out_size): windows that divide the input but hold more than 16 cells, windows of
# uneven widths (neighbours share cells), and global pooling; none is ordinary pooling.
WINDOW_ROW_SIZES = [
    ((40,), (2,)), ((37,), (3,)), ((23,), (1,)),
    ((10, 10), (2, 2)), ((12, 10), (3, 1)), ((9, 7), (4, 3)),
    ((6, 6, 6), (2, 2, 2)), ((5, 7, 4), (2, 3, 3)),
]
FLOATS = (np.float16, np.float32, np.float64)


def planted_windows(rng, shape, out_size, dtype):
    """Small values full of ties (signed zeros among them), then in each window of each plane
    one of: nothing more, one NaN, several NaNs, only ``-inf``, or some ``+inf``."""
    x = rng.choice(np.array([-1.0, -0.0, 0.0, 1.0, 2.0]), size=shape).astype(dtype)
    N, C, *in_size = shape
    for n, c in np.ndindex(N, C):
        for _, cells in oracles.adaptive_boxes(in_size, out_size):
            kind = rng.integers(5)
            chosen = [cells[k] for k in rng.choice(len(cells), size=min(3, len(cells)),
                                                   replace=False)]
            if kind == 1:
                x[(n, c) + chosen[0]] = np.nan
            elif kind == 2:
                for cell in chosen:
                    x[(n, c) + cell] = np.nan
            elif kind == 3:
                for cell in cells:
                    x[(n, c) + cell] = -np.inf
            elif kind == 4:
                for cell in chosen[:2]:
                    x[(n, c) + cell] = np.inf
    return x


def winners_gradient(grad, indices, in_size, dtype):
    """Each window's gradient added at its winner, window after window, in ``dtype``."""
    N, C = grad.shape[:2]
    expected = np.zeros((N, C, math.prod(in_size)), dtype=dtype)
    for n, c in np.ndindex(N, C):
        for out_index in np.ndindex(*grad.shape[2:]):
            winner = indices[(n, c) + out_index]
            expected[n, c, winner] = expected[n, c, winner] + grad[(n, c) + out_index]
    return expected.reshape(N, C, *in_size)


def assert_same_bits(actual, expected):
    """Equal bit for bit: NaN payloads and the sign of zero included."""
    __tracebackhide__ = True
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    unsigned = np.dtype(f"u{actual.itemsize}")
    np.testing.assert_array_equal(actual.view(unsigned), expected.view(unsigned))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("in_size, out_size", WINDOW_ROW_SIZES)
def test_adaptive_max_pool_window_rows_keep_the_first_maximum_and_the_last_nan(
        in_size, out_size, dtype):
    from npconv.family.im2col import _ordinary_pooling_kernel
    assert _ordinary_pooling_kernel(in_size, out_size) is None     # the window-row path
    rng = np.random.default_rng(sum(in_size) * 31 + sum(out_size))
    x = planted_windows(rng, (2, 3, *in_size), out_size, dtype)
    out, indices = npconv.adaptive_max_pool(x, out_size, True, method="im2col")
    expected_out, expected_indices = oracles.adaptive_max_pool(x, out_size, True)
    np.testing.assert_array_equal(indices, expected_indices)
    assert_same_bits(out, expected_out)
    loops_out, loops_indices = npconv.adaptive_max_pool(x, out_size, True, method="loops")
    np.testing.assert_array_equal(indices, loops_indices)
    assert_same_bits(out, loops_out)

    grad = rng.standard_normal(out.shape).astype(dtype)
    grad.flat[0], grad.flat[-1] = np.nan, np.inf           # reach their winners, nothing else
    with np.errstate(invalid="ignore"):
        grad_x = npconv.adaptive_max_pool_backward(grad, x, out_size, method="im2col")
        loops_grad_x = npconv.adaptive_max_pool_backward(grad, x, out_size, method="loops")
    expected_grad = winners_gradient(grad, expected_indices, in_size, dtype)
    assert_same(grad_x, expected_grad, rtol=0)
    assert_same(grad_x, loops_grad_x, rtol=0)


@pytest.mark.parametrize("dtype", FLOATS)
def test_adaptive_max_pool_window_rows_pinned_winners(dtype):
    # 40 cells to 2 windows of 20: ties at 3 and 7, NaN at 25 and 31, then a window of -inf
    x = np.zeros((1, 1, 40), dtype=dtype)
    x[0, 0, [3, 7]] = 5
    x[0, 0, [25, 31]] = np.nan
    out, indices = npconv.adaptive_max_pool(x, 2, True)
    np.testing.assert_array_equal(indices, [[[3, 31]]])       # first maximum, last NaN
    assert out[0, 0, 0] == 5 and np.isnan(out[0, 0, 1])
    grad = npconv.adaptive_max_pool_backward(np.array([[[1, 2]]], dtype=dtype), x, 2)
    assert np.flatnonzero(grad).tolist() == [3, 31]

    minus_inf = np.full((1, 1, 4, 9), -np.inf, dtype=dtype)   # windows 4x3, 12 cells
    minus_inf[0, 0, 3, 4] = 1
    out, indices = npconv.adaptive_max_pool(minus_inf, (1, 3), True)
    np.testing.assert_array_equal(indices, [[[[0, 31, 6]]]])  # all -inf: the first cell
    np.testing.assert_array_equal(out, [[[[-np.inf, 1, -np.inf]]]])

    signed = np.zeros((1, 1, 20), dtype=dtype)                # +0 first: PyTorch keeps it
    signed[0, 0, 1::2] = -0.0
    assert not np.signbit(npconv.adaptive_max_pool(signed, 1))
    assert np.signbit(npconv.adaptive_max_pool(-signed, 1))   # -0 first


@pytest.mark.parametrize("in_size, out_size", WINDOW_ROW_SIZES)
def test_adaptive_max_pool_window_rows_on_a_non_contiguous_input(in_size, out_size):
    rng = np.random.default_rng(7)
    wide = planted_windows(rng, (3, 2, *in_size[:-1], 2 * in_size[-1]), out_size, np.float32)
    x = wide[..., ::2].transpose(1, 0, *range(2, wide.ndim))  # (2, 3, *in_size), strided
    assert not x.flags.c_contiguous
    before = x.copy()
    out, indices = npconv.adaptive_max_pool(x, out_size, True)
    expected_out, expected_indices = oracles.adaptive_max_pool(np.ascontiguousarray(x),
                                                               out_size, True)
    np.testing.assert_array_equal(indices, expected_indices)
    assert_same_bits(out, expected_out)
    grad = np.ones(out.shape, dtype=np.float32)
    assert_same(npconv.adaptive_max_pool_backward(grad, x, out_size),
                winners_gradient(grad, expected_indices, in_size, np.float32), rtol=0)
    assert_same_bits(x, before)                               # the input is not modified


@pytest.mark.parametrize("shape", [(0, 2, 10, 10), (2, 0, 10, 10), (0, 2, 37), (2, 0, 6, 6, 6)])
def test_adaptive_max_pool_window_rows_of_an_empty_batch_or_no_channels(shape):
    out_size = (4,) * (len(shape) - 2)                      # uneven windows: the row path
    x = np.zeros(shape, dtype=np.float32)
    out, indices = npconv.adaptive_max_pool(x, out_size, True)
    assert out.shape == indices.shape == shape[:2] + out_size
    assert out.dtype == np.float32 and indices.dtype == np.int64
    grad_x = npconv.adaptive_max_pool_backward(np.zeros(out.shape, np.float32), x, out_size)
    assert grad_x.shape == shape and grad_x.dtype == np.float32


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("in_size, out_size", [((4,), (2,)), ((5,), (3,)), ((3,), (5,)),
                                               ((4, 4), (1, 1)), ((100,), (1,))])
def test_an_adaptive_average_of_negative_zeros_is_positive_zero(method, in_size, out_size):
    """A mean is a sum from 0 divided by the count, and 0 + (-0) is +0: PyTorch's adaptive
    average of -0.0 cells, and the gradient a -0.0 share sends back, are +0.0."""
    x = -np.zeros((1, 1, *in_size))
    out = npconv.adaptive_avg_pool(x, out_size, method=method)
    assert not np.signbit(out).any()
    grad = npconv.adaptive_avg_pool_backward(-np.zeros(out.shape), x, out_size, method=method)
    assert not np.signbit(grad).any()


@pytest.mark.parametrize("method", METHODS)
def test_an_adaptive_output_size_of_zero_beside_a_huge_one_costs_nothing(method):
    """No windows, so nothing to compute: an empty output and a zero gradient at once, also
    when another output size is 10**12 (the loops' np.ndindex would first build its range)."""
    x = np.ones((1, 2, 3, 4), dtype=np.float32)
    out_size = (0, 10**12)
    empty = np.zeros((1, 2, *out_size), dtype=np.float32)      # 0 bytes
    assert npconv.adaptive_avg_pool(x, out_size, method=method).shape == empty.shape
    out, indices = npconv.adaptive_max_pool(x, out_size, True, method=method)
    assert out.shape == indices.shape == empty.shape
    assert out.dtype == np.float32 and indices.dtype == np.int64
    for backward in (npconv.adaptive_avg_pool_backward, npconv.adaptive_max_pool_backward):
        grad = backward(empty, x, out_size, method=method)
        assert grad.dtype == np.float32
        np.testing.assert_array_equal(grad, np.zeros(x.shape))
