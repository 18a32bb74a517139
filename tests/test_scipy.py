"""Every forward op against SciPy, an implementation npconv shares nothing with.

Cheat sheet: "Convolution operation" (deep-learning convolution is cross-correlation),
"Padding", "Dilated Convolution" (holes in the kernel), "Transposed Convolution" (rows and
columns of zeros) and "Pooling operation".

The references are built here from SciPy and NumPy pieces, one step per line:

- padding modes are ``np.pad``'s: zeros, reflect, replicate, circular are ``constant``,
  ``reflect``, ``edge``, ``wrap``;
- a convolution is, per output channel, the sum over its group's input channels of
  ``scipy.signal.correlate(padded plane, kernel plane, mode="valid")``; dilation inserts
  ``d - 1`` zeros between the kernel's taps, stride keeps every ``s``-th cell;
- a transposed convolution is ``scipy.signal.convolve(input with s - 1 zeros between cells,
  kernel, mode="full")``, with ``output_padding`` zeros added at the end and the padding
  cropped from both ends;
- max pooling is ``scipy.ndimage.maximum_filter`` over the input padded with ``-inf``, with
  the dilated kernel as footprint, read at the window centres;
- average pooling is a correlation with a kernel of ones, divided by the correlation of a
  ones array (the cells a window counts) or by ``divisor_override``.

The output sizes come from the formulas of :mod:`tests.oracles`, not from npconv.
"""

import math

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal
from hypothesis import example, given

import npconv
from npconv.testing.strategies import (
    conv_configs,
    conv_transpose_configs,
    op_args,
    pool_configs,
    same_pairs,
)
from tests import oracles
from tests.oracles import NUMPY_PAD_MODES, assert_close, per_dimension, with_zeros_between

METHODS = ("loops", "im2col")


def every_nth(array, steps):
    """Keep every ``step``-th cell along each trailing axis, starting at 0."""
    leading = (slice(None),) * (array.ndim - len(steps))
    return array[leading + tuple(slice(None, None, step) for step in steps)]


def add_bias(out, bias):
    if bias is None:
        return out
    return out + bias.reshape(1, -1, *(1,) * (out.ndim - 2))


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

def scipy_conv(x, w, bias, stride, pairs, dilation, padding_mode):
    """An ungrouped convolution: pad, correlate each channel pair, sum, subsample."""
    N, C_in = x.shape[:2]
    C_out = w.shape[0]
    planes = []
    for n in range(N):
        for o in range(C_out):
            total = 0.0
            for c in range(C_in):
                padded = np.pad(x[n, c], pairs, mode=NUMPY_PAD_MODES[padding_mode])
                kernel = with_zeros_between(w[o, c], dilation)
                total = total + scipy.signal.correlate(padded, kernel, mode="valid",
                                                       method="direct")
            planes.append(every_nth(total, stride))
    out = np.stack(planes).reshape(N, C_out, *planes[0].shape)
    return add_bias(out, bias)


def first_group_only(config):
    """The config's first channel group as an ungrouped conv (groups=1)."""
    groups = config["groups"]
    C_in_per_group = config["input"].shape[1] // groups
    C_out_per_group = config["weight"].shape[0] // groups
    bias = config["bias"]
    return {**config, "groups": 1, "input": config["input"][:, :C_in_per_group],
            "weight": config["weight"][:C_out_per_group],
            "bias": None if bias is None else bias[:C_out_per_group]}


def with_geometry(config, stride=None, dilation=None):
    """The config with stride and/or dilation set to one value in every dimension; with
    1 (the only value used here) every window still fits.  "same" padding is recomputed."""
    ndim = config["input"].ndim - 2
    config = dict(config)
    if stride is not None:
        config["stride"] = (stride,) * ndim
    if dilation is not None:
        config["dilation"] = (dilation,) * ndim
    if config["padding"] == "same":
        config["pairs"] = same_pairs(config["input"].shape[2:], config["weight"].shape[2:],
                                     config["stride"], config["dilation"])
    return config


def expected_conv(config):
    return scipy_conv(config["input"], config["weight"], config["bias"], config["stride"],
                      config["pairs"], config["dilation"], config["padding_mode"])


# The cheat sheet's convolution figure (Stanford UFLDL); tests/test_cheat_sheet.py pins its
# published values.
UFLDL_CONFIG = {
    "input": oracles.UFLDL_IMAGE[None, None], "weight": oracles.UFLDL_KERNEL[None, None],
    "bias": None, "stride": (1, 1), "padding": 0, "dilation": (1, 1), "groups": 1,
    "padding_mode": "zeros", "pairs": ((0, 0), (0, 0)),
}


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
@example(config=UFLDL_CONFIG)
def test_stride_one_conv_is_a_channel_sum_of_scipy_correlations(config, method):
    """With stride 1 and no dilation, conv is the sum over input channels of
    scipy.signal.correlate(padded plane, kernel plane, "valid"), for every padding mode
    ("Convolution operation", "Padding")."""
    config = with_geometry(first_group_only(config), stride=1, dilation=1)
    out = npconv.conv(**op_args(config), method=method)
    assert_close(out, expected_conv(config))


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_dilated_conv_is_correlation_with_the_zero_inserted_kernel(config, method):
    """A dilated conv (stride 1) correlates with the kernel that has d - 1 zeros inserted
    between its taps ("Dilated Convolution")."""
    config = with_geometry(first_group_only(config), stride=1)
    out = npconv.conv(**op_args(config), method=method)
    assert_close(out, expected_conv(config))


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_strided_conv_keeps_every_stride_th_cell_of_the_stride_one_result(config, method):
    """A strided conv is the stride-1 SciPy correlation with only every s-th cell kept
    ("Calculate output's dimension": stride)."""
    config = first_group_only(config)
    out = npconv.conv(**op_args(config), method=method)
    assert_close(out, expected_conv(config))


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_grouped_conv_is_one_scipy_conv_per_channel_group(config, method):
    """A conv with groups=g is g independent convs, group i taking the i-th slice of the
    input channels and producing the i-th slice of the output channels ("Convolution
    operation": groups)."""
    x, w, bias, groups = config["input"], config["weight"], config["bias"], config["groups"]
    C_in_per_group, C_out_per_group = x.shape[1] // groups, w.shape[0] // groups
    per_group = []
    for group in range(groups):
        ins = slice(group * C_in_per_group, (group + 1) * C_in_per_group)
        outs = slice(group * C_out_per_group, (group + 1) * C_out_per_group)
        per_group.append(scipy_conv(x[:, ins], w[outs], None if bias is None else bias[outs],
                                    config["stride"], config["pairs"], config["dilation"],
                                    config["padding_mode"]))
    out = npconv.conv(**op_args(config), method=method)
    assert_close(out, np.concatenate(per_group, axis=1))


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

def scipy_conv_transpose(x, w, bias, stride, pairs, output_padding, dilation, groups):
    """Full convolution of the zero-stuffed input, output_padding zeros, crop the padding."""
    N, C_in = x.shape[:2]
    C_in_per_group, C_out_per_group = C_in // groups, w.shape[1]
    planes = []
    for n in range(N):
        for o in range(C_out_per_group * groups):
            group, o_in_group = divmod(o, C_out_per_group)
            total = 0.0
            for c in range(group * C_in_per_group, (group + 1) * C_in_per_group):
                stuffed = with_zeros_between(x[n, c], stride)
                kernel = with_zeros_between(w[c, o_in_group], dilation)
                total = total + scipy.signal.convolve(stuffed, kernel, mode="full",
                                                      method="direct")
            total = np.pad(total, [(0, op) for op in output_padding])
            cropped = total[tuple(slice(before, size - after)
                                  for (before, after), size in zip(pairs, total.shape))]
            planes.append(cropped)
    out = np.stack(planes).reshape(N, -1, *planes[0].shape)
    return add_bias(out, bias)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs())
def test_conv_transpose_is_scipy_full_convolution_of_the_zero_stuffed_input(config, method):
    """conv_transpose is scipy.signal.convolve(input with s - 1 zeros between cells,
    dilated kernel, "full"), extended by output_padding zeros and cropped by the padding
    ("Transposed Convolution")."""
    ndim = config["input"].ndim - 2
    expected = scipy_conv_transpose(
        config["input"], config["weight"], config["bias"], config["stride"], config["pairs"],
        per_dimension(config["output_padding"], ndim), config["dilation"], config["groups"])
    out = npconv.conv_transpose(**op_args(config), method=method)
    assert_close(out, expected)


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

def pool_geometry(config):
    """kernel_size, stride, pairs, dilation and output size, per dimension (the output size
    from the formula of :mod:`tests.oracles`, not from npconv)."""
    return oracles.pool_geometry(config["input"], config["kernel_size"], config["stride"],
                                 config["pairs"], config.get("dilation", 1), config["ceil_mode"])


def extend_to_fit(plane, footprint_shape, stride, out_size, fill):
    """Pad the end of each axis with ``fill`` so that every (ceil mode) window fits."""
    extra = [(0, max(0, (o - 1) * s + f - n))
             for n, f, s, o in zip(plane.shape, footprint_shape, stride, out_size)]
    return np.pad(plane, extra, constant_values=fill)


def scipy_max_pool(config):
    kernel_size, stride, pairs, dilation, out_size = pool_geometry(config)
    x = config["input"]
    footprint = with_zeros_between(np.ones(kernel_size), dilation).astype(bool)
    centre = [f // 2 for f in footprint.shape]       # where maximum_filter puts the window
    rows = [np.arange(o) * s + c for o, s, c in zip(out_size, stride, centre)]
    out = np.empty((*x.shape[:2], *out_size))
    for n, c in np.ndindex(*x.shape[:2]):
        padded = np.pad(x[n, c], pairs, constant_values=-np.inf)
        padded = extend_to_fit(padded, footprint.shape, stride, out_size, -np.inf)
        filtered = scipy.ndimage.maximum_filter(padded, footprint=footprint, mode="constant",
                                                cval=-np.inf)
        out[n, c] = filtered[np.ix_(*rows)]
    return out


def window_sums(plane, kernel_size, stride, out_size):
    """Sum of each (ceil mode: possibly overhanging) window: a correlation with ones."""
    plane = extend_to_fit(plane, kernel_size, stride, out_size, 0.0)
    sums = scipy.signal.correlate(plane, np.ones(kernel_size), mode="valid", method="direct")
    return sums[np.ix_(*[np.arange(o) * s for o, s in zip(out_size, stride)])]


def scipy_avg_pool(config, divisor_rule):
    """Window sums of the zero-padded input over the divisor that ``divisor_rule`` names:
    "padded" (cells of the padded input), "input" (cells of the input) or "override"."""
    kernel_size, stride, pairs, _, out_size = pool_geometry(config)
    x = config["input"]
    in_size = x.shape[2:]
    out = np.empty((*x.shape[:2], *out_size))
    if divisor_rule == "padded":
        padded_ones = np.ones([n + b + a for n, (b, a) in zip(in_size, pairs)])
        divisor = window_sums(padded_ones, kernel_size, stride, out_size)
    elif divisor_rule == "input":
        input_ones = np.pad(np.ones(in_size), pairs)
        divisor = window_sums(input_ones, kernel_size, stride, out_size)
    else:
        divisor = config["divisor_override"]
    for n, c in np.ndindex(*x.shape[:2]):
        padded = np.pad(x[n, c], pairs)
        out[n, c] = window_sums(padded, kernel_size, stride, out_size) / divisor
    return out


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("max"))
def test_max_pool_is_scipy_maximum_filter_with_minus_inf_padding(config, method):
    """max_pool reads scipy.ndimage.maximum_filter (footprint: the dilated kernel) of the
    input padded with -inf at every window, including ceil_mode's last partial window
    ("Pooling operation": max pooling, "Dilated Convolution")."""
    out = npconv.max_pool(**op_args(config), method=method)
    np.testing.assert_array_equal(out, scipy_max_pool(config))


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"))
def test_avg_pool_counting_padding_is_correlation_with_a_constant_kernel(config, method):
    """Without ceil_mode, average pooling with count_include_pad=True is the correlation of
    the zero-padded input with a constant kernel 1 / prod(kernel_size), subsampled by the
    stride ("Pooling operation": average pooling)."""
    config = {**config, "ceil_mode": False, "count_include_pad": True,
              "divisor_override": None}
    kernel_size, stride, pairs, _, _ = pool_geometry(config)
    x = config["input"]
    constant_kernel = np.full((1, 1, *kernel_size), 1 / math.prod(kernel_size))
    expected = every_nth(scipy.signal.correlate(np.pad(x, [(0, 0), (0, 0), *pairs]),
                                                constant_kernel, mode="valid",
                                                method="direct"), stride)
    out = npconv.avg_pool(**op_args(config), method=method)
    assert_close(out, expected)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("count_include_pad, divisor_rule", [(True, "padded"), (False, "input")])
@given(config=pool_configs("avg"))
def test_avg_pool_divides_by_a_correlation_of_ones(config, count_include_pad, divisor_rule,
                                                   method):
    """Each window sum is divided by the cells the window counts, a correlation of a ones
    array with a ones kernel: with count_include_pad=True the ones of the padded input
    (kernel cells, fewer for a ceil_mode window hanging past the right padding), without
    it the ones of the input, zero-padded ("Pooling operation": average pooling)."""
    config = {**config, "count_include_pad": count_include_pad, "divisor_override": None}
    out = npconv.avg_pool(**op_args(config), method=method)
    assert_close(out, scipy_avg_pool(config, divisor_rule))


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"))
def test_avg_pool_divisor_override_divides_every_window_sum(config, method):
    """With divisor_override every window sum is divided by it, whatever the padding
    ("Pooling operation": average pooling)."""
    config = {**config, "divisor_override": config["divisor_override"] or 3}
    out = npconv.avg_pool(**op_args(config), method=method)
    assert_close(out, scipy_avg_pool(config, "override"))
