"""Exact identities between the ops, each written out in the test.

Cheat sheet: "Transposed Convolution" ("by adding rows and columns of zeros, we can emulate
the transposed convolution with direct convolution"), "Convolution operation" and "Pooling
operation".  The identities, for the same stride, padding, dilation and groups:

- adjoint: ``<conv(x, w), y> == <x, conv_transpose(y, w)>`` (zero padding, and the
  ``output_padding`` that gives ``conv_transpose``'s output the shape of ``x``);
- the input gradient of ``conv`` is ``conv_transpose`` of ``grad_output`` with the same
  weight, and the input gradient of ``conv_transpose`` is ``conv`` of ``grad_output``;
- zero insertion: ``conv_transpose`` is a stride-1 ``conv`` over the input with ``s - 1``
  zeros between cells, padded by ``d * (k - 1) - before`` at the start and
  ``d * (k - 1) - after + output_padding`` at the end (cropped where negative), with the
  kernel flipped in space and its two channel axes swapped within each group;
- average pooling (``count_include_pad=True``, no ``ceil_mode``) is a depthwise conv
  (``groups=C``) with the constant kernel ``1 / prod(kernel_size)``;
- the weight gradient of ``conv`` correlates the padded input with ``grad_output``, and the
  bias gradient sums ``grad_output`` over all but the channel axis (both written with
  ``einsum`` here).

They hold up to rounding: :func:`tests.oracles.assert_close` allows ``1e-10`` relative to
the size of the summed terms.
"""

import math

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
)
from tests.oracles import NUMPY_PAD_MODES, assert_close, conv_output_size, per_dimension, span
from tests.oracles import zero_inserted_input

METHODS = ("loops", "im2col")


def output_padding_back_to(in_size, kernel_size, stride, pairs, dilation):
    """The output_padding with which conv_transpose maps conv's output size back to
    ``in_size``: the cells the floor in conv's size formula dropped,
    ``(in + before + after - d*(k-1) - 1) mod s``."""
    return tuple((n + b + a - d * (k - 1) - 1) % s
                 for n, k, s, (b, a), d in zip(in_size, kernel_size, stride, pairs, dilation))


def transpose_args(config):
    """conv_transpose's keyword arguments for a conv config: the same geometry, with the
    output_padding that gives back the conv input's shape."""
    x, w = config["input"], config["weight"]
    return {
        "stride": config["stride"], "padding": config["pairs"], "dilation": config["dilation"],
        "groups": config["groups"],
        "output_padding": output_padding_back_to(x.shape[2:], w.shape[2:], config["stride"],
                                                 config["pairs"], config["dilation"]),
    }


# --------------------------------------------------------------------------------------------
# conv and conv_transpose are adjoint
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs(padding_modes=("zeros",)), data=st.data())
def test_conv_transpose_is_the_adjoint_of_conv(config, method, data):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for the same stride, padding, dilation
    and groups ("Transposed Convolution")."""
    x, w = config["input"], config["weight"]
    conv_out = npconv.conv(x, w, stride=config["stride"], padding=config["pairs"],
                           dilation=config["dilation"], groups=config["groups"], method=method)
    y = data.draw(arrays(conv_out.shape))
    transposed = npconv.conv_transpose(y, w, **transpose_args(config), method=method)
    assert transposed.shape == x.shape
    terms = np.abs(conv_out).ravel() @ np.abs(y).ravel()
    assert_close(np.vdot(x, transposed), np.vdot(conv_out, y), scale=terms)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs(padding_modes=("zeros",)), data=st.data())
def test_conv_input_gradient_is_conv_transpose_of_grad_output(config, method, data):
    """With zero padding, conv_backward's grad_input is conv_transpose(grad_output, w) with
    the same geometry and the output_padding back to the input's size ("Transposed
    Convolution")."""
    args = {key: value for key, value in op_args(config).items() if key != "bias"}
    out_shape = npconv.conv(**args, method=method).shape
    grad_output = data.draw(arrays(out_shape))
    grads = npconv.conv_backward(grad_output, **args, method=method)
    transposed = npconv.conv_transpose(grad_output, config["weight"],
                                       **transpose_args(config), method=method)
    assert_close(grads.grad_input, transposed)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs(), data=st.data())
def test_conv_transpose_input_gradient_is_conv_of_grad_output(config, method, data):
    """conv_transpose_backward's grad_input is conv(grad_output, w) with the same stride,
    padding, dilation and groups, cut to the input's size: an output_padding of a stride or
    more (allowed when dilation > stride) makes the conv longer ("Transposed
    Convolution")."""
    args = {key: value for key, value in op_args(config).items() if key != "bias"}
    out_shape = npconv.conv_transpose(**args, method=method).shape
    grad_output = data.draw(arrays(out_shape))
    grads = npconv.conv_transpose_backward(grad_output, **args, method=method)
    direct = npconv.conv(grad_output, config["weight"], stride=config["stride"],
                         padding=config["pairs"], dilation=config["dilation"],
                         groups=config["groups"], method=method)
    in_size = config["input"].shape[2:]
    assert_close(grads.grad_input, direct[(..., *(slice(0, n) for n in in_size))])


# --------------------------------------------------------------------------------------------
# Transposed convolution by zero insertion
# --------------------------------------------------------------------------------------------

def direct_conv_weight(weight, groups):
    """conv_transpose's (C_in, C_out/g, *k) weight as conv's (C_out, C_in/g, *k): flip the
    kernel in space and swap the two channel axes within each group."""
    ndim = weight.ndim - 2
    flipped = weight[(slice(None), slice(None)) + (slice(None, None, -1),) * ndim]
    C_in_per_group = weight.shape[0] // groups
    return np.concatenate([flipped[g * C_in_per_group:(g + 1) * C_in_per_group].swapaxes(0, 1)
                           for g in range(groups)], axis=0)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs())
def test_conv_transpose_is_direct_conv_over_the_zero_inserted_input(config, method):
    """conv_transpose == stride-1 conv over the input with s - 1 zeros between cells, padded
    by d*(k-1) - before and d*(k-1) - after + output_padding, with the flipped, channel-
    swapped kernel (the cheat sheet's "emulate the transposed convolution with direct
    convolution", "Transposed Convolution")."""
    x, w = config["input"], config["weight"]
    ndim = x.ndim - 2
    kernel_size = w.shape[2:]
    stride, dilation = config["stride"], config["dilation"]
    output_padding = per_dimension(config["output_padding"], ndim)
    emulated_input = zero_inserted_input(x, kernel_size, stride, config["pairs"],
                                         output_padding, dilation)
    expected = npconv.conv(emulated_input, direct_conv_weight(w, config["groups"]),
                           config["bias"], stride=1, padding=0, dilation=dilation,
                           groups=config["groups"], method=method)
    out = npconv.conv_transpose(**op_args(config), method=method)
    assert_close(out, expected)


# --------------------------------------------------------------------------------------------
# Average pooling as a convolution
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"))
def test_avg_pool_is_a_depthwise_conv_with_a_constant_kernel(config, method):
    """avg_pool (count_include_pad=True, ceil_mode=False) == conv with groups=C and the
    kernel 1 / prod(kernel_size) in every cell ("Pooling operation": average pooling)."""
    config = {**config, "ceil_mode": False, "count_include_pad": True,
              "divisor_override": None}
    x = config["input"]
    ndim, C = x.ndim - 2, x.shape[1]
    kernel_size = per_dimension(config["kernel_size"], ndim)
    stride = kernel_size if config["stride"] is None else config["stride"]
    constant_kernel = np.full((C, 1, *kernel_size), 1 / math.prod(kernel_size))
    expected = npconv.conv(x, constant_kernel, stride=stride, padding=config["pairs"],
                           groups=C, method=method)
    assert_close(npconv.avg_pool(**op_args(config), method=method), expected)


# --------------------------------------------------------------------------------------------
# conv's weight and bias gradients, written with einsum
# --------------------------------------------------------------------------------------------

def flat(array):
    """(N, C, *spatial) -> (N, C, P): the spatial cells in one axis, for einsum."""
    return array.reshape(*array.shape[:2], -1)


def weight_gradient_by_einsum(x, grad_output, kernel_size, stride, pairs, dilation, groups,
                              padding_mode):
    """grad_w[o, c, t] = sum over n and output cells i of x_padded[n, c, i*s + t*d] * g[n, o, i],
    with c running over o's group."""
    padded = np.pad(x, [(0, 0), (0, 0), *pairs], mode=NUMPY_PAD_MODES[padding_mode])
    C_in, C_out = x.shape[1], grad_output.shape[1]
    C_in_per_group, C_out_per_group = C_in // groups, C_out // groups
    out_size = grad_output.shape[2:]
    grad_weight = np.zeros((C_out, C_in_per_group, *kernel_size))
    for tap in np.ndindex(*kernel_size):
        cells = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                      for t, d, o, s in zip(tap, dilation, out_size, stride))
        seen = padded[(slice(None), slice(None)) + cells]        # (N, C_in, *out_size)
        for group in range(groups):
            ins = slice(group * C_in_per_group, (group + 1) * C_in_per_group)
            outs = slice(group * C_out_per_group, (group + 1) * C_out_per_group)
            grad_weight[(outs, slice(None)) + tap] = np.einsum(
                "ncp,nop->oc", flat(seen[:, ins]), flat(grad_output[:, outs]))
    return grad_weight


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs(), data=st.data())
def test_conv_weight_gradient_correlates_the_padded_input_with_grad_output(config, method,
                                                                           data):
    """conv_backward's grad_weight is the correlation of the padded input (any padding
    mode) with grad_output, per group ("Convolution operation")."""
    args = {key: value for key, value in op_args(config).items() if key != "bias"}
    out_shape = npconv.conv(**args, method=method).shape
    grad_output = data.draw(arrays(out_shape))
    grads = npconv.conv_backward(grad_output, **args, method=method)
    expected = weight_gradient_by_einsum(
        config["input"], grad_output, config["weight"].shape[2:], config["stride"],
        config["pairs"], config["dilation"], config["groups"], config["padding_mode"])
    assert_close(grads.grad_weight, expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs(), data=st.data())
def test_conv_bias_gradient_sums_grad_output_over_all_but_the_channel(config, method, data):
    """conv_backward's grad_bias[o] is the sum of grad_output[:, o] ("Convolution
    operation")."""
    args = {key: value for key, value in op_args(config).items() if key != "bias"}
    out_shape = npconv.conv(**args, method=method).shape
    grad_output = data.draw(arrays(out_shape))
    grads = npconv.conv_backward(grad_output, **args, method=method)
    assert_close(grads.grad_bias, np.einsum("nop->o", flat(grad_output)))


# --------------------------------------------------------------------------------------------
# Padding: numpy's np.pad is the oracle; pad_backward is pad's adjoint; empty axes
# --------------------------------------------------------------------------------------------

@st.composite
def padded_arrays(draw, min_size=1):
    """An (N, C, *spatial) array (N or C may be 0), a padding mode and padding pairs that
    PyTorch allows for that mode (reflect: < size, circular: <= size)."""
    ndim = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(sorted(NUMPY_PAD_MODES)))
    leading = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    size = tuple(draw(st.integers(min_size, 4)) for _ in range(ndim))
    widest = {"zeros": 3, "replicate": 3, "reflect": None, "circular": None}[mode]
    pairs = []
    for n in size:
        limit = widest if widest is not None else (n - 1 if mode == "reflect" else n)
        pairs.append((draw(st.integers(0, limit)), draw(st.integers(0, limit))))
    x = draw(arrays(leading + size))
    return x, mode, tuple(pairs)


@given(case=padded_arrays())
def test_pad_is_numpys_pad_in_every_mode(case):
    """zeros, reflect, replicate and circular are numpy's constant, reflect, edge and wrap."""
    x, mode, pairs = case
    expected = np.pad(x, [(0, 0), (0, 0), *pairs], mode=NUMPY_PAD_MODES[mode])
    np.testing.assert_array_equal(npconv.padding.pad(x, pairs, mode), expected)


@given(case=padded_arrays(), data=st.data())
def test_pad_backward_is_the_adjoint_of_pad(case, data):
    """<pad(x), y> == <x, pad_backward(y)> for every mode: the gradient of padding (pad
    itself taken from np.pad, so that the identity does not lean on the code under test)."""
    x, mode, pairs = case
    padded = np.pad(x, [(0, 0), (0, 0), *pairs], mode=NUMPY_PAD_MODES[mode])
    y = data.draw(arrays(padded.shape))
    back = npconv.padding.pad_backward(y, pairs, mode)
    assert back.shape == x.shape
    assert_close(np.sum(back * x), np.sum(padded * y),
                 scale=float(np.abs(y).sum() * np.abs(x).max(initial=1.0)))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_an_empty_axis_by_copying_names_the_mode_and_the_dimension(mode):
    """An empty spatial axis has no cell to copy: a ValueError naming the mode and the
    dimension, from pad, pad_backward and padded_source alike (never an IndexError)."""
    x = np.zeros((1, 1, 3, 0))
    for call in (lambda: npconv.padding.pad(x, [(0, 0), (1, 0)], mode),
                 lambda: npconv.padding.pad_backward(np.zeros((1, 1, 3, 1)), [(0, 0), (1, 0)],
                                                     mode),
                 lambda: npconv.padding.padded_source(0, 1, 0, mode, dim=1)):
        with pytest.raises(ValueError, match=rf"padding_mode='{mode}'.*spatial dimension 1"):
            call()


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_an_empty_axis_without_padding_stays_empty_and_zero_padding_fills_it(mode):
    """Padding an empty axis by nothing gives an empty axis in every mode; zero padding of
    an empty axis is all zeros, and its gradient is empty again."""
    x = np.ones((2, 1, 0, 3))
    assert npconv.padding.pad(x, [(0, 0), (1, 1)], mode).shape == (2, 1, 0, 5)
    zeros = npconv.padding.pad(x, [(2, 1), (0, 0)])
    np.testing.assert_array_equal(zeros, np.zeros((2, 1, 3, 3)))
    assert npconv.padding.pad_backward(zeros, [(2, 1), (0, 0)]).shape == x.shape


def test_padding_pairs_that_do_not_fit_the_array_are_value_errors():
    """One pair per spatial axis, none negative, and no crop wider than its axis."""
    x = np.ones((1, 1, 4))
    with pytest.raises(ValueError, match="one .before, after. pair per spatial axis"):
        npconv.padding.pad(x, [(1, 1), (1, 1)])
    with pytest.raises(ValueError, match="negative in spatial dimension 0"):
        npconv.padding.pad(x, [(-1, 1)], "replicate")
    with pytest.raises(ValueError, match="crops 3 \\+ 2 cells from spatial dimension 0"):
        npconv.padding.unpad(x, [(3, 2)])
    with pytest.raises(ValueError, match="mode='edge' is not one of"):
        npconv.padding.pad(x, [(1, 1)], "edge")


def test_insert_zeros_keeps_an_empty_axis_empty():
    """(n - 1) * gap + 1 cells for n >= 1, and none for n = 0."""
    assert npconv.padding.insert_zeros(np.ones((2, 0)), gaps=(3, 2), axes=(0, 1)).shape == (4, 0)


# --------------------------------------------------------------------------------------------
# One window of the virtually padded input: the window of np.pad's array, and its adjoint
# --------------------------------------------------------------------------------------------

@st.composite
def windows_of_padded_arrays(draw):
    """A padded_arrays case and one window that fits in the padded array: its first tap
    ``start`` (input coordinates, so from ``-before``), kernel size and dilation."""
    x, mode, pairs = draw(padded_arrays())
    start, kernel_size, dilation = [], [], []
    for n, (before, after) in zip(x.shape[2:], pairs):
        d = draw(st.integers(1, 2))
        k = draw(st.integers(1, (before + n + after - 1) // d + 1))
        start.append(draw(st.integers(-before, n + after - span(k, d))))
        kernel_size.append(k)
        dilation.append(d)
    return x, mode, pairs, tuple(start), tuple(kernel_size), tuple(dilation)


@given(case=windows_of_padded_arrays())
def test_gather_window_is_the_window_of_numpys_padded_array(case):
    """The window read from the virtually padded input equals the same slice of np.pad's
    padded array: padding position p is padded index p + before."""
    x, mode, pairs, start, kernel_size, dilation = case
    padded = np.pad(x, [(0, 0), (0, 0), *pairs], mode=NUMPY_PAD_MODES[mode])
    window = tuple(slice(s + before, s + before + span(k, d), d)
                   for s, (before, _), k, d in zip(start, pairs, kernel_size, dilation))
    gathered = npconv.padding.gather_window(x, start, kernel_size, dilation, mode)
    np.testing.assert_array_equal(gathered, padded[(Ellipsis,) + window])
    assert not np.shares_memory(gathered, x)


@given(case=windows_of_padded_arrays(), data=st.data())
def test_scatter_window_is_the_adjoint_of_gather_window(case, data):
    """<gather_window(x), w> == <x, scatter_window(w)>: the gradient of reading a window."""
    x, mode, pairs, start, kernel_size, dilation = case
    w = data.draw(arrays(x.shape[:2] + kernel_size))
    scattered = np.zeros_like(x)
    npconv.padding.scatter_window(scattered, start, dilation, w, mode)
    gathered = npconv.padding.gather_window(x, start, kernel_size, dilation, mode)
    assert_close(np.sum(scattered * x), np.sum(gathered * w),
                 scale=float(np.abs(w).sum() * np.abs(x).max(initial=1.0)))


# --------------------------------------------------------------------------------------------
# im2col and col2im: PyTorch's unfold layout, and each the adjoint of the other
# --------------------------------------------------------------------------------------------

def unfold_geometry(config):
    """im2col's positional geometry for a conv config: kernel, stride, pairs, dilation, mode."""
    ndim = config["input"].ndim - 2
    return (config["weight"].shape[2:], per_dimension(config["stride"], ndim), config["pairs"],
            per_dimension(config["dilation"], ndim), config["padding_mode"])


def columns_by_hand(x, kernel_size, stride, pairs, dilation, padding_mode):
    """F.unfold's layout, one cell at a time: row ``c * K + tap`` (taps row-major), column
    ``l`` (windows row-major), read from the input padded by ``np.pad``."""
    padded = np.pad(x, [(0, 0), (0, 0), *pairs], mode=NUMPY_PAD_MODES[padding_mode])
    N, C = x.shape[:2]
    out_size = [conv_output_size(p, k, s, 0, 0, d)
                for p, k, s, d in zip(padded.shape[2:], kernel_size, stride, dilation)]
    taps = list(np.ndindex(*kernel_size))
    windows = list(np.ndindex(*out_size))
    columns = np.empty((N, C * len(taps), len(windows)))
    for n, c in np.ndindex(N, C):
        for tap_index, tap in enumerate(taps):
            for l, window in enumerate(windows):
                cell = tuple(o * s + t * d for o, t, s, d in zip(window, tap, stride, dilation))
                columns[n, c * len(taps) + tap_index, l] = padded[(n, c) + cell]
    return columns


@given(config=conv_configs())
def test_im2col_lays_out_the_windows_as_pytorchs_unfold(config):
    """im2col: channel-major rows of kernel taps, one column per window, every padding mode
    read as np.pad would pad ("Convolution operation")."""
    geometry = unfold_geometry(config)
    columns = npconv.im2col.im2col(config["input"], *geometry)
    np.testing.assert_array_equal(columns, columns_by_hand(config["input"], *geometry))


@given(config=conv_configs(), data=st.data())
def test_col2im_is_the_adjoint_of_im2col(config, data):
    """<im2col(x), y> == <x, col2im(y)>: overlapping windows add up, and cells read from the
    padding go back to the cells the padding copied (every padding mode)."""
    x = config["input"]
    geometry = unfold_geometry(config)
    y = data.draw(arrays(npconv.im2col.im2col(x, *geometry).shape))
    folded = npconv.im2col.col2im(y, x.shape, *geometry)
    assert folded.shape == x.shape
    assert_close(np.sum(x * folded), np.sum(npconv.im2col.im2col(x, *geometry) * y),
                 scale=float(np.abs(y).sum()))


@given(config=conv_configs(), data=st.data())
def test_im2col_fills_a_transposed_workspace_and_col2im_adds_onto_out(config, data):
    """With out=, im2col fills a caller's strided view (a (C*K, N, L) workspace seen as
    (N, C*K, L)) and returns it; col2im adds onto the given array."""
    x = config["input"]
    geometry = unfold_geometry(config)
    fresh = npconv.im2col.im2col(x, *geometry)
    N, CK, L = fresh.shape
    workspace = np.full((CK, N, L), np.nan)
    view = workspace.transpose(1, 0, 2)
    assert npconv.im2col.im2col(x, *geometry, out=view) is view
    np.testing.assert_array_equal(workspace.transpose(1, 0, 2), fresh)
    y = data.draw(arrays(fresh.shape))
    start = data.draw(arrays(x.shape))
    added = npconv.im2col.col2im(y, x.shape, *geometry, out=start.copy())
    assert_close(added, start + npconv.im2col.col2im(y, x.shape, *geometry))


@given(config=conv_configs(), data=st.data())
def test_im2col_and_col2im_of_row_ranges_add_up_to_the_whole(config, data):
    """rows=range(a, b) unfolds only the windows in those positions along the first spatial
    dimension; folding the row ranges one after another onto one array gives col2im."""
    x = config["input"]
    geometry = unfold_geometry(config)
    whole = npconv.im2col.im2col(x, *geometry)
    kernel_size, stride, pairs, dilation, _ = geometry
    rows = conv_output_size(x.shape[2], kernel_size[0], stride[0], *pairs[0], dilation[0])
    per_row = whole.shape[2] // rows
    cut = data.draw(st.integers(0, rows))
    y = data.draw(arrays(whole.shape))
    folded = np.zeros(x.shape)
    for block in (range(0, cut), range(cut, rows)):
        if len(block) == 0:
            continue
        part = npconv.im2col.im2col(x, *geometry, rows=block)
        in_block = slice(block.start * per_row, block.stop * per_row)
        np.testing.assert_array_equal(part, whole[:, :, in_block])
        npconv.im2col.col2im(y[:, :, in_block], x.shape, *geometry, rows=block, out=folded)
    assert_close(folded, npconv.im2col.col2im(y, x.shape, *geometry))
