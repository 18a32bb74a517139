"""Every gradient of every op against central finite differences, in float64.

The loss is ``L = sum(out * R)`` with a random probe ``R`` of the output's shape, so
``dL/d(out) = R`` is the ``grad_output`` handed to the backward.  For a direction ``v`` the
central difference ``(L(a + h v) - L(a - h v)) / 2h`` must equal ``<grad_a, v>``.  Tiny
arguments (the bias, small kernels and inputs) are checked along every axis, i.e. element by
element.  For larger ones a wrong gradient differs from the right one along almost every
random ``v``, so two random directions catch it while keeping the loop variant quick.

Convolution, transposed convolution and average pooling are linear in each argument, so the
difference is exact up to rounding.  Max pooling is piecewise linear: its inputs come from
``distinct_arrays`` (values 0.5 apart), so a step of ``h = 1e-6`` never crosses a kink.

Each op's backward is checked against the finite differences of the same method's forward;
that the two methods' forwards agree with each other and with PyTorch is another file's job.
"""

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

METHODS = ("loops", "im2col")
STEP = 1e-6
RANDOM_DIRECTIONS = 2
ELEMENTWISE_UP_TO = 16

seeds = st.integers(0, 2**32 - 1)


# --------------------------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------------------------

def random_directions(shape, seed, count=RANDOM_DIRECTIONS):
    """``count`` standard-normal directions of the given shape."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(count)]


def axis_directions(shape):
    """One unit vector per element: the full finite-difference gradient, for tiny arrays."""
    return list(np.eye(int(np.prod(shape))).reshape(-1, *shape))


def directions_for(shape, seed):
    """Every axis for an array of at most ``ELEMENTWISE_UP_TO`` cells, else random ones."""
    if np.prod(shape) <= ELEMENTWISE_UP_TO:
        return axis_directions(shape)
    return random_directions(shape, seed)


def assert_matches_finite_differences(loss, point, gradient, directions):
    """``<gradient, v>`` equals the central difference of ``loss`` at ``point`` along each v."""
    assert gradient.shape == point.shape
    for direction in directions:
        central = (loss(point + STEP * direction) - loss(point - STEP * direction)) / (2 * STEP)
        assert np.vdot(gradient, direction) == pytest.approx(central, rel=1e-5, abs=1e-5)


def probe(shape, seed):
    """The random ``R`` of the loss ``sum(out * R)``: also the backward's grad_output."""
    return np.random.default_rng(seed + 1).standard_normal(shape)


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

def conv_loss(config, method, seed):
    """``L(input, weight, bias) = sum(conv(...) * R)``, the probe ``R`` and conv's keywords."""
    args = op_args(config)
    for name in ("input", "weight", "bias"):
        del args[name]
    out = npconv.conv(config["input"], config["weight"], **args, method=method)
    R = probe(out.shape, seed)

    def loss(x, weight, bias):
        return np.sum(npconv.conv(x, weight, bias, **args, method=method) * R)
    return loss, R, args


def bias_of(config, C_out):
    """The config's bias, or zeros when it has none (the bias gradient needs a point)."""
    return np.zeros(C_out) if config["bias"] is None else config["bias"]


@pytest.mark.parametrize("method", METHODS)
@with_conv_cases
@given(config=conv_configs(), seed=seeds)
def test_conv_grad_input_matches_finite_differences(method, config, seed):
    """conv_backward's grad_input is dL/d(input) for L = sum(conv(input) * R)."""
    loss, R, args = conv_loss(config, method, seed)
    x, weight, bias = config["input"], config["weight"], config["bias"]
    grads = npconv.conv_backward(R, x, weight, **args, method=method)
    assert_matches_finite_differences(lambda point: loss(point, weight, bias), x,
                                      grads.grad_input, directions_for(x.shape, seed))


@pytest.mark.parametrize("method", METHODS)
@with_conv_cases
@given(config=conv_configs(), seed=seeds)
def test_conv_grad_weight_matches_finite_differences(method, config, seed):
    """conv_backward's grad_weight is dL/d(weight) for L = sum(conv(weight) * R)."""
    loss, R, args = conv_loss(config, method, seed)
    x, weight, bias = config["input"], config["weight"], config["bias"]
    grads = npconv.conv_backward(R, x, weight, **args, method=method)
    assert_matches_finite_differences(lambda point: loss(x, point, bias), weight,
                                      grads.grad_weight, directions_for(weight.shape, seed))


@pytest.mark.parametrize("method", METHODS)
@with_conv_cases
@given(config=conv_configs(), seed=seeds)
def test_conv_grad_bias_matches_finite_differences(method, config, seed):
    """conv_backward's grad_bias is dL/d(bias), checked element by element."""
    loss, R, args = conv_loss(config, method, seed)
    x, weight = config["input"], config["weight"]
    bias = bias_of(config, weight.shape[0])
    grads = npconv.conv_backward(R, x, weight, **args, method=method)
    assert_matches_finite_differences(lambda point: loss(x, weight, point), bias,
                                      grads.grad_bias, axis_directions(bias.shape))


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

def conv_transpose_loss(config, method, seed):
    """``L(input, weight, bias) = sum(conv_transpose(...) * R)``, ``R`` and the keywords."""
    args = op_args(config)
    for name in ("input", "weight", "bias"):
        del args[name]
    out = npconv.conv_transpose(config["input"], config["weight"], **args, method=method)
    R = probe(out.shape, seed)

    def loss(x, weight, bias):
        return np.sum(npconv.conv_transpose(x, weight, bias, **args, method=method) * R)
    return loss, R, args


@pytest.mark.parametrize("method", METHODS)
@with_conv_transpose_cases
@given(config=conv_transpose_configs(), seed=seeds)
def test_conv_transpose_grad_input_matches_finite_differences(method, config, seed):
    """conv_transpose_backward's grad_input is dL/d(input) for L = sum(conv_transpose * R)."""
    loss, R, args = conv_transpose_loss(config, method, seed)
    x, weight, bias = config["input"], config["weight"], config["bias"]
    grads = npconv.conv_transpose_backward(R, x, weight, **args, method=method)
    assert_matches_finite_differences(lambda point: loss(point, weight, bias), x,
                                      grads.grad_input, directions_for(x.shape, seed))


@pytest.mark.parametrize("method", METHODS)
@with_conv_transpose_cases
@given(config=conv_transpose_configs(), seed=seeds)
def test_conv_transpose_grad_weight_matches_finite_differences(method, config, seed):
    """conv_transpose_backward's grad_weight is dL/d(weight)."""
    loss, R, args = conv_transpose_loss(config, method, seed)
    x, weight, bias = config["input"], config["weight"], config["bias"]
    grads = npconv.conv_transpose_backward(R, x, weight, **args, method=method)
    assert_matches_finite_differences(lambda point: loss(x, point, bias), weight,
                                      grads.grad_weight, directions_for(weight.shape, seed))


@pytest.mark.parametrize("method", METHODS)
@with_conv_transpose_cases
@given(config=conv_transpose_configs(), seed=seeds)
def test_conv_transpose_grad_bias_matches_finite_differences(method, config, seed):
    """conv_transpose_backward's grad_bias is dL/d(bias), checked element by element."""
    loss, R, args = conv_transpose_loss(config, method, seed)
    x, weight = config["input"], config["weight"]
    bias = bias_of(config, weight.shape[1] * config["groups"])
    grads = npconv.conv_transpose_backward(R, x, weight, **args, method=method)
    assert_matches_finite_differences(lambda point: loss(x, weight, point), bias,
                                      grads.grad_bias, axis_directions(bias.shape))


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
    args = op_args(config)
    x = args.pop("input")
    out = npconv.max_pool(x, **args, method=method)
    R = probe(out.shape, seed)
    grad = npconv.max_pool_backward(R, x, **args, method=method)
    assert_matches_finite_differences(
        lambda point: np.sum(npconv.max_pool(point, **args, method=method) * R), x, grad,
        directions_for(x.shape, seed))


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
    args = op_args(config)
    x = args.pop("input")
    out = npconv.avg_pool(x, **args, method=method)
    R = probe(out.shape, seed)
    grad = npconv.avg_pool_backward(R, x, **args, method=method)
    assert_matches_finite_differences(
        lambda point: np.sum(npconv.avg_pool(point, **args, method=method) * R), x, grad,
        directions_for(x.shape, seed))
