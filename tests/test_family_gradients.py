"""The family's backwards against central finite differences, and PyTorch's conventions where
there is no derivative.

As in ``tests/test_gradients.py``: the loss is ``L = sum(out * R)`` with a random probe ``R``,
so ``R`` is the ``grad_output`` handed to the backward, and along a direction ``v`` the
central difference ``(L(a + h v) - L(a - h v)) / 2h`` must equal ``<grad, v>``; tiny inputs
are checked along every axis.  Max unpooling and adaptive average pooling are linear (exact
up to rounding); adaptive max pooling is piecewise linear and gets inputs whose cells are
0.5 apart (no tie within a step); power-average pooling is smooth for positive, distinct
cells (no zero, no tie for ``p = +-inf``).

Where the function has no derivative (a window of zeros, a NaN, an infinity) the backward
follows PyTorch's autograd of its formula; those values are pinned by examples computed with
PyTorch 2.13.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import npconv
from npconv.testing.strategies import adaptive_configs, lp_configs, op_args, unpool_configs
from tests import oracles

METHODS = ("loops", "im2col")

seeds = st.integers(0, 2**32 - 1)


@pytest.mark.parametrize("method", METHODS)
@given(config=unpool_configs(distinct=True), seed=seeds)
def test_max_unpool_backward_matches_finite_differences(method, config, seed):
    args = op_args(config)
    x = args.pop("input")

    def forward(a):
        return npconv.max_unpool(a, **args, method=method)

    def backward(probe):
        return npconv.max_unpool_backward(probe, x, **args, method=method)
    oracles.assert_backward_matches_finite_differences(forward, backward, x, seed)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("forward, backward", [
    (npconv.adaptive_avg_pool, npconv.adaptive_avg_pool_backward),
    (npconv.adaptive_max_pool, npconv.adaptive_max_pool_backward)])
@given(config=adaptive_configs(values="distinct"), seed=seeds)
def test_adaptive_pooling_backward_matches_finite_differences(method, forward, backward, config,
                                                              seed):
    x, output_size = config["input"], config["output_size"]
    oracles.assert_backward_matches_finite_differences(
        lambda a: forward(a, output_size, method=method),
        lambda probe: backward(probe, x, output_size, method=method), x, seed)


@pytest.mark.parametrize("method", METHODS)
@given(config=st.one_of(lp_configs(values="positive_distinct"),
                        lp_configs(values="signed_distinct", norm_types=(2, 4))),
       seed=seeds)
def test_lp_pool_backward_matches_finite_differences(method, config, seed):
    """Positive distinct cells for every power, signed non-zero ones for even powers.

    Both are smooth points: no window's mean of powers is 0 and no two cells tie.  (With
    ``p = 1`` a signed window such as ``[-0.25, 0.25]`` sums to 0, where PyTorch's
    convention, pinned below, replaces the derivative 1 by 0.)
    """
    args = op_args(config)
    x = args.pop("input")
    oracles.assert_backward_matches_finite_differences(
        lambda a: npconv.lp_pool(a, **args, method=method),
        lambda probe: npconv.lp_pool_backward(probe, x, **args, method=method),
        x, seed, rtol=1e-5)


def test_lp_pool_backward_of_a_single_window_is_x_to_the_p_minus_1_over_out_to_the_p_minus_1():
    """The closed form for one window without overlap: ``(x / out) ** (p - 1)``."""
    x = np.array([[[0.5, 1.5, 2.0, 3.0]]])
    for p in (1, 2, 3, 1.5, -1):
        out = np.sum(x ** p) ** (1 / p)
        for method in METHODS:
            grad = npconv.lp_pool_backward(np.ones((1, 1, 1)), x, p, 4, method=method)
            np.testing.assert_allclose(grad, (x / out) ** (p - 1), rtol=1e-12)


# Kernel 2, stride 2 on four cells, grad_output of ones: (input, p, PyTorch's grad_input).
PYTORCH_CONVENTIONS = [
    ([0., 0., 0., 0.], 2, [0., 0., 0., 0.]),                   # zero windows send 0
    ([0., 0., 0., 0.], 3, [0., 0., 0., 0.]),
    ([0., 0., 0., 0.], 0.5, [np.nan] * 4),                     # 0 * inf at zero cells
    ([0., 0., 0., 0.], -1, [np.nan] * 4),
    ([0., 2., 1., 3.], 2, [0., 1., 0.31622777, 0.9486833]),
    ([0., 2., 1., 3.], 1.5, [0., 1., 0.54445163, 0.94301789]),
    ([0., 2., 1., 3.], 0.5, [np.inf, 1., 2.73205081, 1.57735027]),
    ([-0.25, 0.25, 1., 2.], 1, [0., 0., 1., 1.]),              # a sum of 0, also for p = 1
    ([np.nan, 1., 2., 3.], 1, [0., 0., 1., 1.]),               # a NaN window: 0 for p = 1
    ([np.nan, 1., 2., 3.], 2, [np.nan, np.nan, 0.5547002, 0.83205029]),
    ([np.inf, 1., 2., 3.], 2, [np.nan, 0., 0.5547002, 0.83205029]),
    ([np.inf, 1., 2., 3.], 1, [1., 1., 1., 1.]),
    ([-1., 2., -3., 0.5], 2, [-0.4472136, 0.89442719, -0.98639392, 0.16439899]),
    ([-1., 2., -3., 0.5], 3, [0.27327588, 1.09310353, np.nan, np.nan]),
    ([-1., 2., -3., 0.5], -1, [4., 1., 0.04, 1.44]),
    ([-1., 2., -3., 0.5], math.inf, [0., 1., -1., 0.]),        # sign(x) at the largest |x|
    ([-1., 2., -3., 0.5], -math.inf, [-1., 0., 0., 1.]),       # ... at the smallest |x|
    ([np.nan, 1., 2., 3.], math.inf, [0., 0., 0., 1.]),        # sign(NaN) is 0 in PyTorch
    ([0., 0., 0., 0.], math.inf, [0., 0., 0., 0.]),
]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("values, p, expected", PYTORCH_CONVENTIONS)
def test_lp_pool_backward_follows_pytorchs_autograd_where_there_is_no_derivative(
        method, values, p, expected):
    x = np.array([[values]])
    grad = npconv.lp_pool_backward(np.ones((1, 1, 2)), x, p, 2, method=method)
    np.testing.assert_allclose(grad[0, 0], expected, rtol=1e-7, atol=1e-12, equal_nan=True)
