"""Every gradient of every op against central finite differences, in float64.

The loss is ``L = sum(out * R)`` with a random probe ``R`` of the output's shape, so
``dL/d(out) = R`` is the ``grad_output`` handed to the backward.  For a direction ``v`` the
central difference ``(L(a + h v) - L(a - h v)) / 2h`` must equal ``<grad_a, v>``
(:func:`tests.oracles.assert_matches_finite_differences`).  Tiny arguments (the bias, small
kernels and inputs) are checked along every axis, i.e. element by element.  For larger ones
a wrong gradient differs from the right one along almost every random ``v``, so two random
directions catch it while keeping the loop variant quick.

Convolution, transposed convolution and average pooling are linear in each argument, so the
difference is exact up to rounding.  Max pooling is piecewise linear: its inputs come from
``distinct_arrays`` (values 0.5 apart), so a step of ``h = 1e-6`` never crosses a kink.

Each op's backward is checked against the finite differences of the same method's forward;
that the two methods' forwards agree with each other and with PyTorch is another file's job.
"""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import npconv
from npconv.testing.strategies import (
    conv_configs,
    conv_transpose_configs,
    distinct_arrays,
    op_args,
    pool_configs,
)
from tests import oracles

METHODS = ("loops", "im2col")

seeds = st.integers(0, 2**32 - 1)


# --------------------------------------------------------------------------------------------
# Finite differences of L = sum(forward(...) * R)
# --------------------------------------------------------------------------------------------

def probe(shape, seed):
    """The random ``R`` of the loss ``sum(out * R)``: also the backward's grad_output."""
    return np.random.default_rng(seed + 1).standard_normal(shape)


def check_gradient(forward, backward, config, name, method, seed):
    """The backward's gradient for argument ``name`` (input, weight or bias) is dL/d(name)
    for ``L = sum(forward(...) * R)``: along every axis of a tiny argument (the bias always),
    else along two random directions.  A missing bias is differentiated at zeros."""
    args = op_args(config)
    out = forward(**args, method=method)
    if name == "bias" and args["bias"] is None:
        args["bias"] = np.zeros(out.shape[1])
    R = probe(out.shape, seed)
    grads = backward(R, **{key: value for key, value in args.items() if key != "bias"},
                     method=method)
    gradient = getattr(grads, f"grad_{name}") if isinstance(grads, tuple) else grads

    def loss(point):
        return np.sum(forward(**{**args, name: point}, method=method) * R)
    along = oracles.directions(args[name].shape, seed,
                               elementwise_up_to=math.inf if name == "bias" else 16)
    oracles.assert_matches_finite_differences(loss, args[name], gradient, along)


# --------------------------------------------------------------------------------------------
# Pinned cases: every padding mode and padding kind, each rank
# --------------------------------------------------------------------------------------------

def conv_case(in_size, kernel_size, padding, padding_mode="zeros", stride=1, dilation=1,
              groups=1, C_in=2, C_out=2, N=1):
    """A deterministic ``conv_configs``-style dict for ``@example``."""
    rng = np.random.default_rng(len(in_size) * 100 + sum(in_size))
    return {
        "input": rng.standard_normal((N, C_in, *in_size)),
        "weight": rng.standard_normal((C_out, C_in // groups, *kernel_size)),
        "bias": rng.standard_normal(C_out),
        "stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
        "padding_mode": padding_mode, "pairs": None,
    }


def conv_transpose_case(in_size, kernel_size, stride, padding, output_padding, dilation=1,
                        groups=1, C_in=2, C_out=2, N=1):
    rng = np.random.default_rng(len(in_size) * 100 + sum(in_size) + 7)
    return {
        "input": rng.standard_normal((N, C_in, *in_size)),
        "weight": rng.standard_normal((C_in, C_out // groups, *kernel_size)),
        "bias": rng.standard_normal(C_out),
        "stride": stride, "padding": padding, "output_padding": output_padding,
        "groups": groups, "dilation": dilation, "pairs": None,
    }


CONV_CASES = [
    conv_case((6,), (3,), "same", "reflect", stride=2, dilation=1, groups=2),
    conv_case((5, 4), (3, 2), "same", "replicate", dilation=(2, 1)),
    conv_case((5, 5), (3, 3), ((2, 0), (1, 2)), "circular", stride=(2, 1), groups=2),
    conv_case((4, 3, 3), (2, 2, 2), 1, "zeros", stride=2, dilation=(1, 2, 1)),
    conv_case((4, 3, 4), (2, 1, 2), "valid", "reflect", stride=(1, 2, 1)),
    conv_case((3, 4, 3), (2, 2, 2), (1, 1, 0), "circular", dilation=2, groups=2),
]

CONV_TRANSPOSE_CASES = [
    conv_transpose_case((4,), (3,), stride=3, padding=((2, 1),), output_padding=2, groups=2),
    conv_transpose_case((3, 3), (3, 2), stride=(2, 1), padding=((1, 0), (0, 1)),
                        output_padding=(1, 1), dilation=(1, 2)),
    conv_transpose_case((2, 2, 3), (2, 2, 2), stride=2, padding=1, output_padding=(1, 0, 1),
                        dilation=(1, 1, 2)),
]


def with_conv_cases(test):
    for case in CONV_CASES:
        test = example(config=case, seed=0)(test)
    return test


def with_conv_transpose_cases(test):
    for case in CONV_TRANSPOSE_CASES:
        test = example(config=case, seed=0)(test)
    return test


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@with_conv_cases
@given(config=conv_configs(), seed=seeds)
def test_conv_grad_input_matches_finite_differences(method, config, seed):
    """conv_backward's grad_input is dL/d(input) for L = sum(conv(input) * R)."""
    check_gradient(npconv.conv, npconv.conv_backward, config, "input", method, seed)


@pytest.mark.parametrize("method", METHODS)
@with_conv_cases
@given(config=conv_configs(), seed=seeds)
def test_conv_grad_weight_matches_finite_differences(method, config, seed):
    """conv_backward's grad_weight is dL/d(weight) for L = sum(conv(weight) * R)."""
    check_gradient(npconv.conv, npconv.conv_backward, config, "weight", method, seed)


@pytest.mark.parametrize("method", METHODS)
@with_conv_cases
@given(config=conv_configs(), seed=seeds)
def test_conv_grad_bias_matches_finite_differences(method, config, seed):
    """conv_backward's grad_bias is dL/d(bias), checked element by element."""
    check_gradient(npconv.conv, npconv.conv_backward, config, "bias", method, seed)


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@with_conv_transpose_cases
@given(config=conv_transpose_configs(), seed=seeds)
def test_conv_transpose_grad_input_matches_finite_differences(method, config, seed):
    """conv_transpose_backward's grad_input is dL/d(input) for L = sum(conv_transpose * R)."""
    check_gradient(npconv.conv_transpose, npconv.conv_transpose_backward, config, "input",
                   method, seed)


@pytest.mark.parametrize("method", METHODS)
@with_conv_transpose_cases
@given(config=conv_transpose_configs(), seed=seeds)
def test_conv_transpose_grad_weight_matches_finite_differences(method, config, seed):
    """conv_transpose_backward's grad_weight is dL/d(weight)."""
    check_gradient(npconv.conv_transpose, npconv.conv_transpose_backward, config, "weight",
                   method, seed)


@pytest.mark.parametrize("method", METHODS)
@with_conv_transpose_cases
@given(config=conv_transpose_configs(), seed=seeds)
def test_conv_transpose_grad_bias_matches_finite_differences(method, config, seed):
    """conv_transpose_backward's grad_bias is dL/d(bias), checked element by element."""
    check_gradient(npconv.conv_transpose, npconv.conv_transpose_backward, config, "bias",
                   method, seed)


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

@st.composite
def max_pool_configs_without_kinks(draw):
    """``pool_configs("max")`` with the input replaced by distinct, well separated values."""
    config = draw(pool_configs("max"))
    config["input"] = draw(distinct_arrays(config["input"].shape))
    return config


def pool_case(in_size, kernel_size, stride, padding, ceil_mode, **extra):
    rng = np.random.default_rng(sum(in_size))
    shape = (1, 2, *in_size)
    return {
        "input": (rng.permutation(int(np.prod(shape))) * 0.5).reshape(shape),
        "kernel_size": kernel_size, "stride": stride, "padding": padding,
        "ceil_mode": ceil_mode, "pairs": None, **extra,
    }


@pytest.mark.parametrize("method", METHODS)
@example(config=pool_case((5,), (2,), (2,), 0, True, dilation=1), seed=0)
@example(config=pool_case((4, 5), (3, 2), (2, 2), ((1, 0), (1, 1)), True, dilation=(1, 2)),
         seed=0)
@example(config=pool_case((3, 4, 3), (2, 3, 2), (1, 2, 2), (1, 1, 0), True, dilation=2),
         seed=0)
@given(config=max_pool_configs_without_kinks(), seed=seeds)
def test_max_pool_backward_matches_finite_differences(method, config, seed):
    """max_pool_backward is dL/d(input) for L = sum(max_pool(input) * R), away from ties."""
    check_gradient(npconv.max_pool, npconv.max_pool_backward, config, "input", method, seed)


@pytest.mark.parametrize("method", METHODS)
@example(config=pool_case((6,), (3,), (2,), 1, True, count_include_pad=True,
                          divisor_override=None), seed=0)
@example(config=pool_case((5, 4), (3, 2), (2, 3), ((1, 0), (1, 1)), True,
                          count_include_pad=False, divisor_override=None), seed=0)
@example(config=pool_case((3, 3, 4), (2, 2, 3), (2, 1, 2), (1, 0, 1), True,
                          count_include_pad=True, divisor_override=3), seed=0)
@given(config=pool_configs("avg"), seed=seeds)
def test_avg_pool_backward_matches_finite_differences(method, config, seed):
    """avg_pool_backward is dL/d(input) for L = sum(avg_pool(input) * R)."""
    check_gradient(npconv.avg_pool, npconv.avg_pool_backward, config, "input", method, seed)
