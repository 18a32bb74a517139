"""Output shapes and windows of the family's ops, against the formulas written out here.

- max unpooling: ``(in - 1) * stride - before - after + kernel_size`` by default; an
  ``output_size`` strictly between ``default - stride`` and ``default + stride`` (PyTorch's
  rule; its message for a 2x2 input and kernel 2 reads "between 2 and 6");
- adaptive pooling: window ``i`` runs from ``floor(i * in / out)`` to
  ``ceil((i + 1) * in / out)``, in exact integer arithmetic;
- power-average pooling: max pooling's window count with no padding.

The formulas are those of :mod:`tests.oracles`, never npconv's.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given

import npconv
from npconv.shapes import (adaptive_pool_geometry, adaptive_pool_widest_window,
                           adaptive_pool_window, max_unpool_output_size, max_unpool_size_range)
from npconv.testing.strategies import adaptive_configs, lp_configs, op_args, unpool_configs
from tests import oracles
from tests.oracles import adaptive_window

METHODS = ("loops", "im2col")


# --------------------------------------------------------------------------------------------
# Max unpooling
# --------------------------------------------------------------------------------------------

UNPOOL_GRID = list(itertools.product([1, 2, 5], [1, 2, 3], [1, 2, 3],
                                     [(0, 0), (1, 0), (1, 1), (2, 1)]))


def test_max_unpool_default_size_is_the_formula():
    for in_size, kernel_size, stride, (before, after) in UNPOOL_GRID:
        expected = oracles.max_unpool_output_size(in_size, kernel_size, stride, before, after)
        assert max_unpool_output_size(in_size, kernel_size, stride, (before, after)) == expected


def test_max_unpool_size_range_is_strictly_within_one_stride_of_the_default():
    for in_size, kernel_size, stride, padding in UNPOOL_GRID:
        default = oracles.max_unpool_output_size(in_size, kernel_size, stride, *padding)
        allowed = [size for size in range(0, default + 3 * stride)
                   if default - stride < size < default + stride]
        low, high = max_unpool_size_range(in_size, kernel_size, stride, padding)
        assert list(range(low, high + 1)) == allowed


def test_max_unpool_size_range_matches_pytorchs_message():
    # PyTorch, 2x2 input, kernel 2: 'invalid output_size "(6, 6)" (dim 0 must be between
    # 2 and 6)', the bounds excluded.
    low, high = max_unpool_size_range(2, kernel_size=2, stride=2)
    assert (low - 1, high + 1) == (2, 6)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", [3, 4, 5])
def test_max_unpool_accepts_the_sizes_in_range(method, size):
    x = np.ones((1, 1, 2, 2))
    indices = np.zeros((1, 1, 2, 2), dtype=np.int64)
    out = npconv.max_unpool(x, indices, 2, output_size=(size, size), method=method)
    assert out.shape == (1, 1, size, size)


@pytest.mark.parametrize("size", [2, 6])
def test_max_unpool_refuses_the_sizes_out_of_range(size):
    """Refused by the argument checks, before a method is chosen."""
    x = np.ones((1, 1, 2, 2))
    indices = np.zeros((1, 1, 2, 2), dtype=np.int64)
    with pytest.raises(ValueError, match="output_size"):
        npconv.max_unpool(x, indices, 2, output_size=(size, size))


@pytest.mark.parametrize("method", METHODS)
@given(config=unpool_configs())
def test_max_unpool_output_shape_is_the_default_or_the_output_size(method, config):
    N, C = config["input"].shape[:2]
    out = npconv.max_unpool(**op_args(config), method=method)
    assert out.shape == (N, C, *config["out_size"])
    grad = npconv.max_unpool_backward(np.ones(out.shape), **op_args(config), method=method)
    assert grad.shape == config["input"].shape


# --------------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------------

SIZES = list(itertools.product(range(1, 13), range(1, 13)))


def test_adaptive_windows_are_floor_and_ceil_of_the_fractions():
    for in_size, out_size in SIZES:
        for i in range(out_size):
            assert adaptive_pool_window(i, in_size, out_size) == adaptive_window(i, in_size,
                                                                                 out_size)
        starts, ends = adaptive_pool_window(np.arange(out_size), in_size, out_size)
        assert [(int(a), int(b)) for a, b in zip(starts, ends)] == [
            adaptive_window(i, in_size, out_size) for i in range(out_size)]


def test_adaptive_windows_cover_the_input_in_order():
    for in_size, out_size in SIZES:
        windows = [adaptive_window(i, in_size, out_size) for i in range(out_size)]
        assert windows[0][0] == 0 and windows[-1][1] == in_size
        covered = set().union(*(range(start, end) for start, end in windows))
        assert covered == set(range(in_size))
        assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(windows, windows[1:]))


def test_widest_adaptive_window_is_the_widest_of_the_windows():
    for in_size, out_size in SIZES + [(0, 0), (5, 0), (224, 1), (56, 5), (1000, 7)]:
        widths = [end - start for start, end in (adaptive_window(i, in_size, out_size)
                                                 for i in range(out_size))]
        assert adaptive_pool_widest_window(in_size, out_size) == max(widths, default=0)


def test_the_windows_holding_a_cell_are_the_windows_from_out_to_in():
    for in_size, out_size in SIZES:
        for cell in range(in_size):
            holding = [i for i in range(out_size)
                       if adaptive_window(i, in_size, out_size)[0] <= cell
                       < adaptive_window(i, in_size, out_size)[1]]
            assert holding == list(range(*adaptive_pool_window(cell, out_size, in_size)))


def test_adaptive_output_size_none_keeps_the_input_size():
    assert adaptive_pool_geometry((5, 7, 3), (2, None, 0)).out_size == (2, 7, 0)
    assert adaptive_pool_geometry((5, 7), None).out_size == (5, 7)
    assert adaptive_pool_geometry((5, 7), 3).out_size == (3, 3)


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs())
def test_adaptive_output_shapes_are_the_given_sizes(method, config):
    x = config["input"]
    expected = (*x.shape[:2], *config["out_size"])
    out, indices = npconv.adaptive_max_pool(x, config["output_size"], True, method=method)
    assert out.shape == indices.shape == expected
    assert indices.dtype == np.int64
    assert npconv.adaptive_avg_pool(x, config["output_size"], method=method).shape == expected
    grad = np.ones(expected)
    for backward in (npconv.adaptive_avg_pool_backward, npconv.adaptive_max_pool_backward):
        assert backward(grad, x, config["output_size"], method=method).shape == x.shape


# --------------------------------------------------------------------------------------------
# Power-average pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs())
def test_lp_pool_output_shape_counts_the_windows_pytorch_keeps(method, config):
    x = config["input"]
    expected = tuple(oracles.pool_output_size(n, k, s, 0, 0, 1, config["ceil_mode"])
                     for n, k, s in zip(x.shape[2:], config["kernel_size"],
                                        config["spatial_stride"]))
    out = npconv.lp_pool(**op_args(config), method=method)
    assert out.shape == (*x.shape[:2], *expected)
    grad = npconv.lp_pool_backward(np.ones(out.shape), **op_args(config), method=method)
    assert grad.shape == x.shape


def test_lp_pool_ceil_mode_keeps_a_window_longer_than_the_input():
    # PyTorch: lp_pool2d on 5x5 with kernel 6 and ceil_mode gives 1x1.
    assert npconv.lp_pool(np.ones((1, 1, 5, 5)), 2, 6, ceil_mode=True).shape == (1, 1, 1, 1)
