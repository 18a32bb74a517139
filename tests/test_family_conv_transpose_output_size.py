"""conv_transpose(..., output_size=): the output_padding that reaches a size, PyTorch's rule.

Cheat sheet: "Transposed Convolution".  A strided convolution maps several input sizes to
one output size; PyTorch's ``ConvTranspose*d.forward(input, output_size)`` picks among them.
Expected values come from the formula written out here, per spatial dimension:

- ``smallest = (in - 1) * stride - before - after + dilation * (k - 1) + 1`` (output
  padding 0);
- PyTorch accepts ``smallest <= size <= smallest + stride - 1`` (the stride only, whatever
  the dilation), and the result is then the reference transposed convolution of
  :mod:`tests.oracles` with ``output_padding=size - smallest``, forward and backward;
- and from central finite differences for the backward.

The strategy lives here: hyperparameters first, then an input large enough that the
smallest size is at least 1.
"""

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import npconv
from tests import oracles

METHODS = ("loops", "im2col")


def smallest_size(n, k, s, before, after, d):
    """(in - 1)*s - before - after + d*(k - 1) + 1: the size with output_padding 0
    (:func:`tests.oracles.conv_transpose_output_size`)."""
    return oracles.conv_transpose_output_size(n, k, s, before, after, 0, d)


@st.composite
def output_size_configs(draw, ndims=(1, 2, 3)):
    """A conv_transpose call with an ``output_size`` PyTorch accepts, plus ``offsets`` (the
    output_padding it stands for, per dimension) and ``smallest`` (the sizes with none)."""
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3
    groups = draw(st.integers(1, 2))
    C_in, C_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    N = draw(st.integers(1, 2))
    kernel_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    in_size = tuple(draw(st.integers(1, 2 if small else 3)) for _ in range(ndim))
    pairs, smallest, offsets = [], [], []
    for n, k, s, d in zip(in_size, kernel_size, stride, dilation):
        reach = (n - 1) * s + d * (k - 1)                # smallest with no padding, less 1
        before = draw(st.integers(0, min(reach, 2)))
        after = draw(st.integers(0, min(reach - before, 2)))
        pairs.append((before, after))
        smallest.append(smallest_size(n, k, s, before, after, d))
        offsets.append(draw(st.integers(0, s - 1)))
    spatial = tuple(m + o for m, o in zip(smallest, offsets))
    output_size = draw(st.sampled_from([spatial, (N, C_out) + spatial, list(spatial)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return {"input": rng.standard_normal((N, C_in, *in_size)),
            "weight": rng.standard_normal((C_in, C_out // groups, *kernel_size)),
            "bias": rng.standard_normal(C_out), "stride": stride, "padding": tuple(pairs),
            "groups": groups, "dilation": dilation, "output_size": output_size,
            "offsets": tuple(offsets), "smallest": tuple(smallest), "spatial": spatial}


def call_arguments(config):
    return {key: config[key] for key in ("stride", "padding", "groups", "dilation")}


# The brief's PyTorch example: stride 2, dilation 3, input 4, kernel 3, valid sizes 13 to 14.
QUIRK = {"input": np.ones((1, 1, 4)), "weight": np.ones((1, 1, 3)), "stride": 2,
         "dilation": 3}


@pytest.mark.parametrize("method", METHODS)
@given(config=output_size_configs())
def test_output_size_is_the_output_padding_that_reaches_it(method, config):
    """conv_transpose(output_size=s) is the transposed convolution with output_padding
    s - smallest (:func:`tests.oracles.conv_transpose`), its output of spatial size s."""
    x, w, b = config["input"], config["weight"], config["bias"]
    args = call_arguments(config)
    out = npconv.conv_transpose(x, w, b, **args, output_size=config["output_size"],
                                method=method)
    expected = oracles.conv_transpose(x, w, b, **args, output_padding=config["offsets"])
    assert out.shape[2:] == config["spatial"]
    oracles.assert_close(out, expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=output_size_configs(), seed=st.integers(0, 2**32 - 1))
def test_the_backward_with_output_size_is_the_backward_with_its_output_padding(method, config,
                                                                             seed):
    """The gradients with output_size=s are those of the transposed convolution with
    output_padding s - smallest (:func:`tests.oracles.conv_transpose_backward`)."""
    x, w = config["input"], config["weight"]
    args = call_arguments(config)
    C_out = w.shape[1] * config["groups"]
    g = np.random.default_rng(seed).standard_normal((x.shape[0], C_out, *config["spatial"]))
    grads = npconv.conv_transpose_backward(g, x, w, **args, output_size=config["output_size"],
                                           method=method)
    expected = oracles.conv_transpose_backward(g, x, w, **args,
                                               output_padding=config["offsets"])
    oracles.assert_close(tuple(grads), expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=output_size_configs(ndims=(1, 2)), seed=st.integers(0, 2**32 - 1))
def test_the_input_gradient_with_output_size_matches_finite_differences(method, config, seed):
    """Along a random direction v: (L(x + h v) - L(x - h v)) / 2h == <grad_input, v>, with
    L = sum(conv_transpose(x, output_size=...) * R)."""
    x, w, b = config["input"], config["weight"], config["bias"]
    args = {**call_arguments(config), "output_size": config["output_size"], "method": method}
    rng = np.random.default_rng(seed)
    probe = rng.standard_normal(npconv.conv_transpose(x, w, b, **args).shape)
    v = rng.standard_normal(x.shape)
    step = 1e-6
    difference = (np.sum(npconv.conv_transpose(x + step * v, w, b, **args) * probe)
                  - np.sum(npconv.conv_transpose(x - step * v, w, b, **args) * probe)) / (2 * step)
    grad = npconv.conv_transpose_backward(probe, x, w, **args).grad_input
    assert abs(difference - np.sum(grad * v)) <= 1e-6 * max(1.0, abs(difference))


@pytest.mark.parametrize("method", METHODS)
@given(config=output_size_configs(), beyond=st.integers(0, 3), below=st.booleans())
def test_an_unreachable_output_size_is_refused_naming_the_legal_range(method, config, beyond,
                                                                     below):
    """Below the smallest size, or at stride or more past it: refused, with the range
    smallest .. smallest + stride - 1 of the dimension in the message."""
    smallest, stride = config["smallest"][0], config["stride"][0]
    size = smallest - 1 - beyond if below else smallest + stride + beyond
    spatial = (size,) + config["spatial"][1:]
    message = (f"output_size={spatial!r}: spatial dimension 0 must be from {smallest} to "
               f"{smallest + stride - 1}")
    with pytest.raises(ValueError, match=re.escape(message)):
        npconv.conv_transpose(config["input"], config["weight"], **call_arguments(config),
                              output_size=spatial, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_pytorchs_range_counts_the_stride_only(method):
    """Stride 2, dilation 3, input 4, kernel 3: smallest (4 - 1)*2 + 3*(3 - 1) + 1 = 13, and
    PyTorch's range is 13 to 14, though output_padding=2 (below max(2, 3)) gives 15."""
    assert npconv.conv_transpose(**QUIRK, output_padding=2, method=method).shape == (1, 1, 15)
    for size in (13, 14):
        assert npconv.conv_transpose(**QUIRK, output_size=(size,),
                                     method=method).shape == (1, 1, size)
    for size in (12, 15):
        with pytest.raises(ValueError, match=r"output_size=\(%d,\): spatial dimension 0 must "
                                             r"be from 13 to 14.*output_padding reaches 15"
                                             % size):
            npconv.conv_transpose(**QUIRK, output_size=(size,), method=method)
    assert npconv.shapes.conv_transpose_size_range(4, 3, stride=2, dilation=3) == (13, 14)


@pytest.mark.parametrize("method", METHODS)
def test_a_range_partly_below_one_starts_at_one(method):
    """Input 1, kernel 1, stride 3, padding 1: smallest 0 - 2 + 1 = -1, PyTorch's range -1 to
    1, of which only 1 is a size; and with padding 2 (-3 to -1) nothing is."""
    x, w = np.ones((1, 1, 1)), np.ones((1, 1, 1))
    out = npconv.conv_transpose(x, w, stride=3, padding=1, output_size=(1,), method=method)
    np.testing.assert_array_equal(out, [[[0.]]])          # the one cell lies on the padding
    with pytest.raises(ValueError, match=r"must be from 1 to 1"):
        npconv.conv_transpose(x, w, stride=3, padding=1, output_size=(0,), method=method)
    with pytest.raises(ValueError, match=r"output_size=\(1,\): spatial dimension 0 has no "
                                         r"reachable size"):
        npconv.conv_transpose(x, w, stride=3, padding=2, output_size=(1,), method=method)


@pytest.mark.parametrize("method", METHODS)
def test_an_output_padding_given_too_must_agree(method):
    """Input 3, kernel 3, stride 2, padding 1: smallest 5, so size 6 is output_padding 1.
    The same output_padding with it is accepted; another one is a contradiction."""
    x, w = np.ones((1, 1, 3)), np.ones((1, 1, 3))
    kwargs = {"stride": 2, "padding": 1, "method": method}
    expected = oracles.conv_transpose(x, w, stride=2, padding=1, output_padding=1)
    oracles.assert_close(
        npconv.conv_transpose(x, w, output_padding=1, output_size=(6,), **kwargs), expected)
    with pytest.raises(ValueError, match=r"output_padding=\(1,\) and output_size=\(5,\) "
                                         r"disagree: output_size asks for output_padding=\(0,\)"):
        npconv.conv_transpose(x, w, output_padding=1, output_size=(5,), **kwargs)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_the_aliases_take_c_out_in_front_for_an_unbatched_input(method, rank):
    """As PyTorch's ConvTranspose{1,2,3}d: (C_out, *spatial) or the spatial size; input 2,
    kernel 2, stride 2: smallest (2 - 1)*2 + 1 + 1 = 4, so 5 is output_padding 1."""
    alias = getattr(npconv, f"conv_transpose{rank}d")
    x = np.arange(3 * 2**rank, dtype=float).reshape((3,) + (2,) * rank)
    w = np.ones((3, 2) + (2,) * rank)
    expected = npconv.conv_transpose(x[np.newaxis], w, stride=2, output_padding=1,
                                     method=method)[0]
    for sizes in ((5,) * rank, (2,) + (5,) * rank):
        # any sequence of ints reads the same: a tuple, a list, an integer array, a range
        for output_size in (sizes, list(sizes), np.array(sizes), range(5, 6) if rank == 1
                            else sizes):
            np.testing.assert_array_equal(
                alias(x, w, stride=2, output_size=output_size, method=method), expected)
    with pytest.raises(TypeError, match=r"output_size=\[2, 5\.0.*must hold ints"):
        alias(x, w, stride=2, output_size=[2, 5.0] + [5] * (rank - 1), method=method)
    with pytest.raises(ValueError, match=r"starts with C = 4, but the output has C = 2"):
        alias(x, w, stride=2, output_size=(4,) + (5,) * rank, method=method)
    with pytest.raises(ValueError, match=r"for an unbatched input"):
        alias(x, w, stride=2, output_size=(1, 2) + (5,) * rank, method=method)
    np.testing.assert_array_equal(
        alias(x[np.newaxis], w, stride=2, output_size=(1, 2) + (5,) * rank, method=method),
        expected[np.newaxis])
