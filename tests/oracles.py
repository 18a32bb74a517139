"""Independent oracles for the tests: every rule the tests check against, written out here.

Nothing in this module imports npconv.  Each function is the cheat sheet's formula or
PyTorch's rule spelled out in plain Python, so that a test can compare what npconv returns
with a value computed another way:

- the ceil rule and the normalisation of arguments (:func:`ceil_div`, :func:`per_dimension`,
  :func:`padding_pairs`), and ``np.pad``'s names for the padding modes;
- the output-size formulas (:func:`conv_output_size`, :func:`conv_transpose_output_size`,
  :func:`pool_output_size`, :func:`max_unpool_output_size`, :func:`adaptive_window`), one
  spatial dimension at a time, plain ints (and the pooling windows walked one by one,
  :func:`pool_window_count`, a second witness of the ceil rule); and the output shape of a
  configuration drawn by the project's strategies (:func:`conv_output_shape` and its
  siblings);
- which input cells a window reads (:func:`padded_source`, :func:`pool_window_cells`) and
  which cell max pooling picks (:func:`max_pool_winner`);
- reference ops, forward and backward, that visit only the cells they need: one term per
  output cell and kernel tap (or per real cell of a pooling window), whatever the stride,
  dilation or padding.  They are slow but cheap on tiny arrays, and stay cheap for a stride
  of 10**9 or a pooling window of 10**9 taps, so they also give the expected answers of the
  resource bombs; and the family's, forward and backward (max unpooling, adaptive and
  power-average pooling, unfold and fold);
- the cheat sheet's zero insertion and a padding that crops where it is negative
  (:func:`with_zeros_between`, :func:`pad_or_crop`), and with them the input of the direct
  convolution that a transposed one equals (:func:`zero_inserted_input`);
- central finite differences (:func:`assert_matches_finite_differences`);
- the cheat sheet's published convolution figure (:data:`UFLDL_FEATURE_MAP`);
- :func:`assert_close`, a comparison that is NaN-aware (NaN where the other has NaN, the
  same infinities) and dtype-aware (a float32 result is held to float32 rounding), and
  :func:`snapshot`, everything about an argument that a call could change.

Padding in a convolution is a real zero in the formula: ``0 * inf`` there is NaN, as in
PyTorch, whereas pooling windows read only real input cells.
"""

import itertools
import math
import pickle

import numpy as np

# --------------------------------------------------------------------------------------------
# Arguments, one value per spatial dimension
# --------------------------------------------------------------------------------------------


def ceil_div(a, b):
    """``ceil(a / b)`` for ints, exactly: ``-(-a // b)`` (no float rounding for huge ints)."""
    return -(-a // b)


def per_dimension(value, ndim):
    """An int, or one value per dimension, as a tuple of ``ndim`` values.

    A one-element sequence means that value in every dimension (PyTorch's form).
    """
    if isinstance(value, (tuple, list)):
        return tuple(value) * ndim if len(value) == 1 else tuple(value)
    return (value,) * ndim


def padding_pairs(padding, ndim):
    """An int, one int per dimension, or one ``(before, after)`` pair per dimension, as pairs."""
    return tuple((entry, entry) if isinstance(entry, int) else tuple(entry)
                 for entry in per_dimension(padding, ndim))


def span(kernel_size, dilation):
    """Cells a dilated kernel covers: ``dilation * (kernel_size - 1) + 1``."""
    return dilation * (kernel_size - 1) + 1


NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge",
                   "circular": "wrap"}
"""PyTorch's padding modes by the names ``np.pad`` gives them: reflect mirrors without
repeating the edge cell, replicate (``edge``) repeats it, circular (``wrap``) wraps around."""


# --------------------------------------------------------------------------------------------
# Output sizes, one spatial dimension at a time
# --------------------------------------------------------------------------------------------


def conv_output_size(in_size, kernel_size, stride, before, after, dilation):
    """``floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``."""
    return (in_size + before + after - dilation * (kernel_size - 1) - 1) // stride + 1


def conv_transpose_output_size(in_size, kernel_size, stride, before, after, output_padding,
                               dilation):
    """``(in - 1) * stride - before - after + dilation * (kernel_size - 1)
    + output_padding + 1``."""
    return ((in_size - 1) * stride - before - after + dilation * (kernel_size - 1)
            + output_padding + 1)


def pool_output_size(in_size, kernel_size, stride, before, after, dilation, ceil_mode):
    """The convolution formula, rounded up with ``ceil_mode``, and then PyTorch's rule that
    the last window must start on an input or left-padding cell:
    ``(out - 1) * stride < in + before``."""
    room = in_size + before + after - dilation * (kernel_size - 1) - 1
    if not ceil_mode:
        return room // stride + 1
    out = ceil_div(room, stride) + 1
    if (out - 1) * stride >= in_size + before:
        out -= 1
    return out


def pool_window_count(in_size, kernel_size, stride, before, after, dilation, ceil_mode):
    """The windows of :func:`pool_output_size` found another way, by walking them as a
    reader would: those that fit in the padded input, and with ``ceil_mode`` one more that
    hangs past the right padding when cells are left uncovered, if it starts on an input
    cell or the left padding.  A second witness of the ceil rule (for small sizes only)."""
    padded_size = before + in_size + after
    count = 0
    while count * stride + span(kernel_size, dilation) <= padded_size:     # windows that fit
        count += 1
    covered = (count - 1) * stride + span(kernel_size, dilation)   # padded cells 0 .. covered - 1
    if ceil_mode and covered < padded_size and count * stride < before + in_size:
        count += 1
    return count


def max_unpool_output_size(in_size, kernel_size, stride, before, after):
    """Max unpooling's default size: ``(in - 1) * stride - before - after + kernel_size``."""
    return (in_size - 1) * stride - before - after + kernel_size


def adaptive_window(i, in_size, out_size):
    """Adaptive pooling's window ``i``: from ``floor(i * in / out)`` to
    ``ceil((i + 1) * in / out)``, in exact integer arithmetic."""
    return i * in_size // out_size, ceil_div((i + 1) * in_size, out_size)


def conv_output_shape(config):
    """``(N, C_out, *out_size)`` of a convolution configuration: a dict of the project's
    strategies (``input``, ``weight``, ``stride``, ``dilation`` and the resolved padding
    ``pairs``)."""
    x, weight = config["input"], config["weight"]
    *_, out_size = conv_geometry(x, weight, config["stride"], config["pairs"],
                                 config["dilation"])
    return (x.shape[0], weight.shape[0], *out_size)


def conv_transpose_output_shape(config):
    """``(N, C_out, *out_size)`` of a transposed convolution configuration, with
    ``C_out = weight.shape[1] * groups``."""
    x, weight = config["input"], config["weight"]
    *_, out_size = conv_transpose_geometry(x, weight, config["stride"], config["pairs"],
                                           config["output_padding"], config["dilation"])
    return (x.shape[0], weight.shape[1] * config["groups"], *out_size)


def pool_output_shape(config):
    """``(N, C, *out_size)`` of a max or average pooling configuration."""
    x = config["input"]
    *_, out_size = pool_geometry(x, config["kernel_size"], config["stride"], config["pairs"],
                                 config.get("dilation", 1), config["ceil_mode"])
    return (*x.shape[:2], *out_size)


# --------------------------------------------------------------------------------------------
# Which cells a window reads
# --------------------------------------------------------------------------------------------


def padded_source(position, size, mode):
    """The input cell that padded position ``position`` copies along an axis of ``size``
    cells (position 0 is the first input cell, negative positions are left padding), or
    ``None`` for a zero of ``"zeros"`` padding.

    ``reflect`` mirrors without repeating the edge, ``replicate`` repeats the edge cell,
    ``circular`` wraps around.
    """
    if 0 <= position < size:
        return position
    if mode == "zeros":
        return None
    if mode == "replicate":
        return min(max(position, 0), size - 1)
    if mode == "circular":
        return position % size
    if mode == "reflect":
        period = 2 * (size - 1)
        if period == 0:
            return 0
        folded = position % period
        return folded if folded < size else period - folded
    raise ValueError(f"unknown padding mode {mode!r}")


def real_taps(i, kernel_size, stride, before, dilation, size):
    """The taps of window ``i`` that land on the input (not on padding), along one axis.

    Window ``i`` starts at ``i * stride - before``; tap ``t`` reads position
    ``start + t * dilation``.  Computed from the bounds, so a window of 10**9 taps costs
    no more than its real cells.  Returns a range of tap numbers.
    """
    start = i * stride - before
    first = max(0, ceil_div(-start, dilation))
    last = min(kernel_size - 1, (size - 1 - start) // dilation)
    return range(first, last + 1)


def windows_hold_input(in_size, kernel_size, stride, before, after, dilation, ceil_mode):
    """Whether pooling keeps a window along this axis and every window it keeps has a tap
    on the input (none lies wholly on the padding: PyTorch's rule for its pooling ops)."""
    out = pool_output_size(in_size, kernel_size, stride, before, after, dilation, ceil_mode)
    return out >= 1 and all(real_taps(i, kernel_size, stride, before, dilation, in_size)
                            for i in range(out))


def pool_window_cells(out_index, kernel_size, stride, pairs, dilation, in_size):
    """The input cells (index tuples, row-major) that pooling window ``out_index`` reads."""
    per_axis = []
    for i, k, s, (before, _), d, n in zip(out_index, kernel_size, stride, pairs, dilation,
                                          in_size):
        start = i * s - before
        per_axis.append([start + t * d for t in real_taps(i, k, s, before, d, n)])
    return list(itertools.product(*per_axis))


def max_pool_winner(values):
    """Which of a window's values max pooling picks (PyTorch's CPU rule).

    The running maximum is replaced when a value is greater or is NaN: so the last NaN wins
    if there is one, and otherwise the first maximum (an all ``-inf`` window picks its
    first cell).
    """
    best = 0
    for position in range(1, len(values)):
        if values[position] > values[best] or math.isnan(values[position]):
            best = position
    return best


# --------------------------------------------------------------------------------------------
# Pooling, forward and backward
# --------------------------------------------------------------------------------------------


def pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Per dimension: kernel sizes, strides, pairs, dilations and output sizes."""
    in_size = x.shape[2:]
    ndim = len(in_size)
    kernel_size = per_dimension(kernel_size, ndim)
    stride = kernel_size if stride is None or stride == () else per_dimension(stride, ndim)
    dilation = per_dimension(dilation, ndim)
    pairs = padding_pairs(padding, ndim)
    out_size = tuple(pool_output_size(n, k, s, b, a, d, ceil_mode)
                     for n, k, s, (b, a), d in zip(in_size, kernel_size, stride, pairs,
                                                   dilation))
    return kernel_size, stride, pairs, dilation, out_size


def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``(out, indices)`` of max pooling, window by window, from the real cells only."""
    x = input
    kernel_size, stride, pairs, dilation, out_size = pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, *in_size = x.shape
    out = np.empty((N, C, *out_size), dtype=x.dtype)
    indices = np.empty((N, C, *out_size), dtype=np.int64)
    for n, c in np.ndindex(N, C):
        for out_index in np.ndindex(*out_size):
            cells = pool_window_cells(out_index, kernel_size, stride, pairs, dilation, in_size)
            winner = cells[max_pool_winner([float(x[(n, c) + cell]) for cell in cells])]
            out[(n, c) + out_index] = x[(n, c) + winner]
            indices[(n, c) + out_index] = np.ravel_multi_index(winner, in_size)
    return out, indices


def max_pool_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                      ceil_mode=False):
    """The gradient of max pooling: each output cell's gradient goes to its window's winner,
    whatever its value, and to no other cell."""
    x = input
    kernel_size, stride, pairs, dilation, out_size = pool_geometry(
        x, kernel_size, stride, padding, dilation, ceil_mode)
    N, C, *in_size = x.shape
    grad_x = np.zeros(x.shape, dtype=np.result_type(grad_output, x))
    for n, c in np.ndindex(N, C):
        for out_index in np.ndindex(*out_size):
            cells = pool_window_cells(out_index, kernel_size, stride, pairs, dilation, in_size)
            winner = cells[max_pool_winner([float(x[(n, c) + cell]) for cell in cells])]
            grad_x[(n, c) + winner] += grad_output[(n, c) + out_index]
    return grad_x


def avg_pool_divisor(out_index, kernel_size, stride, pairs, in_size, count_include_pad,
                     divisor_override):
    """PyTorch's divisor of one average-pooling window.

    Per dimension the window spans ``[start, start + kernel_size)`` with
    ``start = i * stride - before``, cut at the end of the right padding (the ``ceil_mode``
    overhang never counts); with ``count_include_pad`` that many cells count, otherwise
    only the real ones.  The divisor is the product over dimensions.
    """
    if divisor_override is not None:
        return divisor_override
    divisor = 1
    for i, k, s, (before, after), n in zip(out_index, kernel_size, stride, pairs, in_size):
        start = i * s - before
        end = min(start + k, n + after)
        divisor *= (end - start) if count_include_pad else (min(end, n) - max(start, 0))
    return divisor


def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    """Average pooling: the sum of each window's real cells over PyTorch's divisor."""
    x = input
    kernel_size, stride, pairs, dilation, out_size = pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode)
    N, C, *in_size = x.shape
    out = np.empty((N, C, *out_size), dtype=x.dtype)
    for n, c in np.ndindex(N, C):
        for out_index in np.ndindex(*out_size):
            cells = pool_window_cells(out_index, kernel_size, stride, pairs, dilation, in_size)
            total = sum(x[(n, c) + cell] for cell in cells)
            out[(n, c) + out_index] = total / avg_pool_divisor(
                out_index, kernel_size, stride, pairs, in_size, count_include_pad,
                divisor_override)
    return out


def avg_pool_backward(grad_output, input, kernel_size, stride=None, padding=0,
                      ceil_mode=False, count_include_pad=True, divisor_override=None):
    """The gradient of average pooling: each window's gradient over its divisor, added to
    every real cell of the window."""
    x = input
    kernel_size, stride, pairs, dilation, out_size = pool_geometry(
        x, kernel_size, stride, padding, 1, ceil_mode)
    N, C, *in_size = x.shape
    grad_x = np.zeros(x.shape, dtype=np.result_type(grad_output, x))
    for n, c in np.ndindex(N, C):
        for out_index in np.ndindex(*out_size):
            share = grad_output[(n, c) + out_index] / avg_pool_divisor(
                out_index, kernel_size, stride, pairs, in_size, count_include_pad,
                divisor_override)
            for cell in pool_window_cells(out_index, kernel_size, stride, pairs, dilation,
                                          in_size):
                grad_x[(n, c) + cell] += share
    return grad_x


# --------------------------------------------------------------------------------------------
# Convolution and transposed convolution, forward and backward
# --------------------------------------------------------------------------------------------


def conv_geometry(x, weight, stride, padding, dilation):
    """Per dimension: strides, pairs, dilations and output sizes of a convolution."""
    in_size, kernel_size = x.shape[2:], weight.shape[2:]
    ndim = len(in_size)
    stride, dilation = per_dimension(stride, ndim), per_dimension(dilation, ndim)
    pairs = padding_pairs(padding, ndim)
    out_size = tuple(conv_output_size(n, k, s, b, a, d)
                     for n, k, s, (b, a), d in zip(in_size, kernel_size, stride, pairs,
                                                   dilation))
    return stride, pairs, dilation, out_size


def conv_taps(out_index, kernel_size, stride, pairs, dilation, in_size, padding_mode):
    """``(tap, source)`` for every kernel tap of window ``out_index``: the input cell the tap
    reads, or ``None`` where it reads a zero of the padding."""
    for tap in np.ndindex(*kernel_size):
        source = []
        for i, t, s, (before, _), d, n in zip(out_index, tap, stride, pairs, dilation,
                                              in_size):
            source.append(padded_source(i * s - before + t * d, n, padding_mode))
        yield tap, None if None in source else tuple(source)


def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
         padding_mode="zeros"):
    """``out[n, o, i] = bias[o] + sum over c, tap of x_padded[n, c, i*s + tap*d] * w[o, c, tap]``,
    with ``c`` over the channels of ``o``'s group; a zero of the padding is a term ``0 * w``."""
    x = input
    stride, pairs, dilation, out_size = conv_geometry(x, weight, stride, padding, dilation)
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    dtype = np.result_type(x, weight, *([] if bias is None else [bias]))
    out = np.zeros((N, C_out, *out_size), dtype=dtype)
    zero = dtype.type(0)
    for n, c_out in np.ndindex(N, C_out):
        group = c_out // (C_out // groups)
        for out_index in np.ndindex(*out_size):
            total = dtype.type(0)
            for tap, source in conv_taps(out_index, kernel_size, stride, pairs, dilation,
                                         in_size, padding_mode):
                for c in range(C_in_per_group):
                    value = zero if source is None else x[(n, group * C_in_per_group + c)
                                                          + source]
                    total += value * weight[(c_out, c) + tap]
            out[(n, c_out) + out_index] = total + (0 if bias is None else bias[c_out])
    return out


def conv_backward(grad_output, input, weight, stride=1, padding=0, dilation=1, groups=1,
                  padding_mode="zeros"):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`conv`: each term
    ``x_padded * w`` sends ``g * w`` to the input cell it read (none for a zero of the
    padding) and ``g * x_padded`` to its weight."""
    x = input
    stride, pairs, dilation, out_size = conv_geometry(x, weight, stride, padding, dilation)
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    dtype = np.result_type(grad_output, x, weight)
    grad_x = np.zeros(x.shape, dtype=dtype)
    grad_w = np.zeros(weight.shape, dtype=dtype)
    zero = dtype.type(0)
    for n, c_out in np.ndindex(N, C_out):
        group = c_out // (C_out // groups)
        for out_index in np.ndindex(*out_size):
            g = grad_output[(n, c_out) + out_index]
            for tap, source in conv_taps(out_index, kernel_size, stride, pairs, dilation,
                                         in_size, padding_mode):
                for c in range(C_in_per_group):
                    channel = group * C_in_per_group + c
                    if source is None:
                        grad_w[(c_out, c) + tap] += g * zero
                    else:
                        grad_x[(n, channel) + source] += g * weight[(c_out, c) + tap]
                        grad_w[(c_out, c) + tap] += g * x[(n, channel) + source]
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w, grad_bias


def conv_transpose_geometry(x, weight, stride, padding, output_padding, dilation,
                            output_size=None):
    """Per dimension: strides, pairs, output paddings, dilations and output sizes.

    An ``output_size`` (its last entries are the spatial sizes) sets the output padding to
    the size less the one with output padding 0, as PyTorch's ConvTranspose layers do.
    """
    in_size, kernel_size = x.shape[2:], weight.shape[2:]
    ndim = len(in_size)
    stride, dilation = per_dimension(stride, ndim), per_dimension(dilation, ndim)
    output_padding = per_dimension(output_padding, ndim)
    pairs = padding_pairs(padding, ndim)
    if output_size is not None:
        output_padding = tuple(
            size - conv_transpose_output_size(n, k, s, b, a, 0, d)
            for size, n, k, s, (b, a), d in zip(tuple(output_size)[-ndim:], in_size,
                                                kernel_size, stride, pairs, dilation))
    out_size = tuple(conv_transpose_output_size(n, k, s, b, a, op, d)
                     for n, k, s, (b, a), op, d in zip(in_size, kernel_size, stride, pairs,
                                                       output_padding, dilation))
    return stride, pairs, output_padding, dilation, out_size


def conv_transpose_targets(in_index, kernel_size, stride, pairs, dilation, out_size):
    """``(tap, target)`` for every kernel tap of input cell ``in_index``: the output cell the
    tap's copy lands on, or ``None`` where it lands on a cropped (padding) cell.

    Input cell ``i`` copies tap ``t`` to uncropped position ``i * stride + t * dilation``,
    which is output cell ``position - before``.
    """
    for tap in np.ndindex(*kernel_size):
        target = []
        for i, t, s, (before, _), d, o in zip(in_index, tap, stride, pairs, dilation,
                                              out_size):
            position = i * s + t * d - before
            target.append(position if 0 <= position < o else None)
        yield tap, None if None in target else tuple(target)


def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1, output_size=None):
    """Each input cell adds ``x * w[tap]`` to the output cell each tap lands on; cropped
    cells are dropped."""
    x = input
    stride, pairs, output_padding, dilation, out_size = conv_transpose_geometry(
        x, weight, stride, padding, output_padding, dilation, output_size)
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_in_per_group = C_in // groups
    dtype = np.result_type(x, weight, *([] if bias is None else [bias]))
    out = np.zeros((N, C_out_per_group * groups, *out_size), dtype=dtype)
    for n, c_in in np.ndindex(N, C_in):
        group = c_in // C_in_per_group
        for in_index in np.ndindex(*in_size):
            for tap, target in conv_transpose_targets(in_index, kernel_size, stride, pairs,
                                                      dilation, out_size):
                if target is None:
                    continue
                for c in range(C_out_per_group):
                    out[(n, group * C_out_per_group + c) + target] += (
                        x[(n, c_in) + in_index] * weight[(c_in, c) + tap])
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))
    return out


def conv_transpose_backward(grad_output, input, weight, stride=1, padding=0, output_padding=0,
                            groups=1, dilation=1, output_size=None):
    """``(grad_input, grad_weight, grad_bias)`` of :func:`conv_transpose`: each input cell
    gathers ``g * w[tap]`` from the cells its taps landed on, a cropped cell counting as a
    zero gradient (a term ``0 * w``)."""
    x = input
    stride, pairs, output_padding, dilation, out_size = conv_transpose_geometry(
        x, weight, stride, padding, output_padding, dilation, output_size)
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_in_per_group = C_in // groups
    dtype = np.result_type(grad_output, x, weight)
    grad_x = np.zeros(x.shape, dtype=dtype)
    grad_w = np.zeros(weight.shape, dtype=dtype)
    zero = dtype.type(0)
    for n, c_in in np.ndindex(N, C_in):
        group = c_in // C_in_per_group
        for in_index in np.ndindex(*in_size):
            for tap, target in conv_transpose_targets(in_index, kernel_size, stride, pairs,
                                                      dilation, out_size):
                for c in range(C_out_per_group):
                    g = zero if target is None else grad_output[
                        (n, group * C_out_per_group + c) + target]
                    grad_x[(n, c_in) + in_index] += g * weight[(c_in, c) + tap]
                    grad_w[(c_in, c) + tap] += x[(n, c_in) + in_index] * g
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w, grad_bias


# --------------------------------------------------------------------------------------------
# Zero insertion and padding (the cheat sheet's recipe for a transposed convolution)
# --------------------------------------------------------------------------------------------


def with_zeros_between(array, gaps):
    """Insert ``gap - 1`` zeros between neighbouring cells along each of the trailing
    ``len(gaps)`` axes: an axis of ``n`` cells becomes ``(n - 1) * gap + 1`` (none for 0)."""
    leading = array.shape[:array.ndim - len(gaps)]
    trailing = array.shape[array.ndim - len(gaps):]
    spread = np.zeros(leading + tuple(max((n - 1) * gap + 1, 0)
                                      for n, gap in zip(trailing, gaps)), dtype=array.dtype)
    spread[(Ellipsis,) + tuple(slice(None, None, gap) for gap in gaps)] = array
    return spread


def pad_or_crop(array, widths):
    """Zero-pad each of the trailing ``len(widths)`` axes by ``(start, end)`` cells; a
    negative width crops that many cells instead."""
    leading = array.ndim - len(widths)
    padded = np.pad(array, [(0, 0)] * leading + [(max(a, 0), max(b, 0)) for a, b in widths])
    crop = tuple(slice(max(-a, 0), padded.shape[axis] - max(-b, 0))
                 for axis, (a, b) in enumerate(widths, start=leading))
    return padded[(slice(None),) * leading + crop]


def zero_inserted_input(x, kernel_size, stride, pairs, output_padding, dilation):
    """The input of the direct convolution that a transposed one equals: ``stride - 1``
    zeros between the cells of each of the trailing ``len(stride)`` axes, then padded by
    ``dilation * (kernel_size - 1) - before`` at the start and ``dilation * (kernel_size -
    1) - after + output_padding`` at the end, cropped where negative."""
    widths = [(d * (k - 1) - before, d * (k - 1) - after + extra)
              for k, d, (before, after), extra in zip(kernel_size, dilation, pairs,
                                                      output_padding)]
    return pad_or_crop(with_zeros_between(x, stride), widths)


# --------------------------------------------------------------------------------------------
# The family: max unpooling, adaptive pooling, power-average pooling
# --------------------------------------------------------------------------------------------


def max_unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Each input cell written to the flat position its index names, in row-major order (a
    later cell with the same index overwrites an earlier one); every other cell is 0.  The
    size is ``output_size`` (spatial, or with N and C first) or the default size."""
    x = input
    N, C, *in_size = x.shape
    ndim = len(in_size)
    if output_size is None:
        kernel_size = per_dimension(kernel_size, ndim)
        stride = kernel_size if stride is None else per_dimension(stride, ndim)
        out_size = tuple(max_unpool_output_size(n, k, s, b, a) for n, k, s, (b, a)
                         in zip(in_size, kernel_size, stride, padding_pairs(padding, ndim)))
    else:
        out_size = tuple(output_size)[-ndim:]
    out = np.zeros((N, C, math.prod(out_size)), dtype=x.dtype)
    for n, c in np.ndindex(N, C):
        for cell in np.ndindex(*in_size):
            out[n, c, indices[(n, c) + cell]] = x[(n, c) + cell]
    return out.reshape(N, C, *out_size)


def adaptive_out_size(in_size, output_size):
    """The spatial output size: an int for every dimension, or one entry per dimension, where
    None keeps the input's size (as does ``output_size=None``)."""
    wanted = per_dimension(output_size, len(in_size))
    return tuple(n if o is None else o for n, o in zip(in_size, wanted))


def adaptive_boxes(in_size, out_size):
    """``(out_index, cells)`` for every adaptive window: its input cells, row-major."""
    for out_index in np.ndindex(*out_size):
        ranges = [range(*adaptive_window(i, n, o))
                  for i, n, o in zip(out_index, in_size, out_size)]
        yield out_index, list(itertools.product(*ranges))


def adaptive_avg_pool(input, output_size):
    """The mean of each adaptive window."""
    x = input
    N, C, *in_size = x.shape
    out_size = adaptive_out_size(in_size, output_size)
    out = np.empty((N, C, *out_size), dtype=x.dtype)
    for n, c in np.ndindex(N, C):
        for out_index, cells in adaptive_boxes(in_size, out_size):
            out[(n, c) + out_index] = sum(x[(n, c) + cell] for cell in cells) / len(cells)
    return out


def adaptive_max_pool(input, output_size, return_indices=False):
    """The winner of each adaptive window (:func:`max_pool_winner`) and its flat index."""
    x = input
    N, C, *in_size = x.shape
    out_size = adaptive_out_size(in_size, output_size)
    out = np.empty((N, C, *out_size), dtype=x.dtype)
    indices = np.empty((N, C, *out_size), dtype=np.int64)
    for n, c in np.ndindex(N, C):
        for out_index, cells in adaptive_boxes(in_size, out_size):
            winner = cells[max_pool_winner([float(x[(n, c) + cell]) for cell in cells])]
            out[(n, c) + out_index] = x[(n, c) + winner]
            indices[(n, c) + out_index] = np.ravel_multi_index(winner, in_size)
    return (out, indices) if return_indices else out


def lp_pool_boxes(in_size, kernel_size, stride, ceil_mode):
    """``(out_size, boxes)`` of power-average pooling: per output cell ``(out_index, box)``,
    the box a tuple of slices ``[i * stride, min(i * stride + kernel_size, in))`` (no
    padding; a ``ceil_mode`` window is cut short at the end)."""
    out_size = tuple(pool_output_size(n, k, s, 0, 0, 1, ceil_mode)
                     for n, k, s in zip(in_size, kernel_size, stride))
    boxes = [(out_index, tuple(slice(i * s, min(i * s + k, m))
                               for i, s, k, m in zip(out_index, stride, kernel_size, in_size)))
             for out_index in np.ndindex(*out_size)]
    return out_size, boxes


def lp_pool_geometry(x, kernel_size, stride):
    """Per dimension kernel sizes and strides (the stride defaults to the kernel size)."""
    ndim = x.ndim - 2
    kernel_size = per_dimension(kernel_size, ndim)
    stride = kernel_size if stride is None else per_dimension(stride, ndim)
    return kernel_size, stride


def lp_pool(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """PyTorch's power-average pooling, ``(K * mean(x ** p)) ** (1 / p)`` over the cells a
    window holds (``K`` the full kernel's cells; no padding, a ``ceil_mode`` window cut
    short at the end), and for ``p = +-inf`` the largest or smallest ``|x|``."""
    x = input
    N, C, *in_size = x.shape
    kernel_size, stride = lp_pool_geometry(x, kernel_size, stride)
    out_size, boxes = lp_pool_boxes(in_size, kernel_size, stride, ceil_mode)
    K = math.prod(kernel_size)
    out = np.empty((N, C, *out_size))
    for n, c in np.ndindex(N, C):
        for out_index, box in boxes:
            values = x[n, c][box].astype(np.float64)
            with np.errstate(all="ignore"):
                if norm_type == math.inf:
                    result = np.max(np.abs(values))
                elif norm_type == -math.inf:
                    result = np.min(np.abs(values))
                else:
                    result = (K * np.mean(values ** norm_type)) ** (1 / norm_type)
            out[(n, c) + out_index] = result
    return out


def lp_pool_backward(grad_output, input, norm_type, kernel_size, stride=None,
                     ceil_mode=False):
    """The gradient of :func:`lp_pool` where it has one: a window of ``cells`` cells with
    output ``out`` sends ``g * (K / cells) * x ** (p - 1) * out ** (1 - p)`` to each of its
    cells (the chain rule through ``(K * mean(x ** p)) ** (1 / p)``), and nothing if its
    mean of powers is 0 (PyTorch's convention); for ``p = +-inf``, ``g * sign(x)`` to the
    cell of the largest (smallest) ``|x|``, the first of equal ones.

    Valid where PyTorch's autograd reduces to this formula: finite inputs, and ``p >= 1``
    or no zero cell (the quirks at NaN, infinite and zero cells are left to the tests that
    pin them).
    """
    x = input
    N, C, *in_size = x.shape
    kernel_size, stride = lp_pool_geometry(x, kernel_size, stride)
    _, boxes = lp_pool_boxes(in_size, kernel_size, stride, ceil_mode)
    K = math.prod(kernel_size)
    grad_x = np.zeros(x.shape)
    for n, c in np.ndindex(N, C):
        for out_index, box in boxes:
            g = grad_output[(n, c) + out_index]
            values = x[n, c][box].astype(np.float64)
            cells = list(np.ndindex(*values.shape))
            if math.isinf(norm_type):
                sign = math.copysign(1.0, norm_type)
                winner = cells[max_pool_winner([sign * abs(values[cell]) for cell in cells])]
                grad_x[n, c][box][winner] += g * np.sign(values[winner])
                continue
            mean = np.mean(values ** norm_type)
            if mean == 0:
                continue
            out = (K * mean) ** (1 / norm_type)
            for cell in cells:
                grad_x[n, c][box][cell] += (g * (K / len(cells)) * values[cell] ** (norm_type - 1)
                                            * out ** (1 - norm_type))
    return grad_x


def max_unpool_backward(grad_output, input, indices, kernel_size, stride=None, padding=0,
                        output_size=None):
    """The gradient of :func:`max_unpool`: each input cell reads the output gradient at the
    flat position its index names (also a cell a later one overwrote)."""
    N, C, *in_size = input.shape
    planes = grad_output.reshape(N, C, -1)
    grad_x = np.empty(input.shape, dtype=np.result_type(grad_output, input))
    for n, c in np.ndindex(N, C):
        for cell in np.ndindex(*in_size):
            grad_x[(n, c) + cell] = planes[n, c, indices[(n, c) + cell]]
    return grad_x


def adaptive_avg_pool_backward(grad_output, input, output_size):
    """The gradient of :func:`adaptive_avg_pool`: each window's gradient over its cell count,
    added to each of its cells."""
    N, C, *in_size = input.shape
    out_size = adaptive_out_size(in_size, output_size)
    grad_x = np.zeros(input.shape, dtype=np.result_type(grad_output, input))
    for n, c in np.ndindex(N, C):
        for out_index, cells in adaptive_boxes(in_size, out_size):
            for cell in cells:
                grad_x[(n, c) + cell] += grad_output[(n, c) + out_index] / len(cells)
    return grad_x


def adaptive_max_pool_backward(grad_output, input, output_size):
    """The gradient of :func:`adaptive_max_pool`: each window's gradient to its winner."""
    N, C, *in_size = input.shape
    out_size = adaptive_out_size(in_size, output_size)
    grad_x = np.zeros(input.shape, dtype=np.result_type(grad_output, input))
    for n, c in np.ndindex(N, C):
        for out_index, cells in adaptive_boxes(in_size, out_size):
            winner = cells[max_pool_winner([float(input[(n, c) + cell]) for cell in cells])]
            grad_x[(n, c) + winner] += grad_output[(n, c) + out_index]
    return grad_x


# --------------------------------------------------------------------------------------------
# Unfold and fold: the windows of a convolution as columns, and back
# --------------------------------------------------------------------------------------------


def unfold_dims(size):
    """The spatial rank of unfold (read off ``kernel_size``) and fold (``output_size``): one
    dimension per entry of a sequence; an int is 2-D, PyTorch's images."""
    return 2 if isinstance(size, int) else len(size)


def unfold_windows(in_size, kernel_size, dilation, padding, stride):
    """``(K, windows)``: the taps of a kernel, and per window position (row-major, its column
    number ``l``) the list of ``(t, source)``, tap ``t`` (row-major) reading input cell
    ``source``, or ``None`` for a zero of the padding (:func:`conv_taps`)."""
    ndim = len(in_size)
    kernel_size, dilation, stride = (per_dimension(value, ndim)
                                     for value in (kernel_size, dilation, stride))
    pairs = padding_pairs(padding, ndim)
    counts = tuple(conv_output_size(n, k, s, b, a, d) for n, k, s, (b, a), d
                   in zip(in_size, kernel_size, stride, pairs, dilation))
    windows = [list(enumerate(source for _, source in conv_taps(
                   out_index, kernel_size, stride, pairs, dilation, in_size, "zeros")))
               for out_index in np.ndindex(*counts)]
    return math.prod(kernel_size), windows


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Every window of a convolution as one column: ``cols[n, c * K + t, l]`` is the cell tap
    ``t`` of window ``l`` reads in channel ``c`` (0 on the padding); an unbatched input
    ``(C, *spatial)`` gives ``(C * K, L)``."""
    ndim = unfold_dims(kernel_size)
    x = input if input.ndim == ndim + 2 else input[np.newaxis]
    N, C, *in_size = x.shape
    K, windows = unfold_windows(in_size, kernel_size, dilation, padding, stride)
    cols = np.zeros((N, C * K, len(windows)), dtype=x.dtype)
    for n, c in np.ndindex(N, C):
        for l, taps in enumerate(windows):
            for t, source in taps:
                if source is not None:
                    cols[n, c * K + t, l] = x[(n, c) + source]
    return cols if input.ndim == ndim + 2 else cols[0]


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The adjoint of :func:`unfold`: ``cols[n, c * K + t, l]`` added onto the cell tap ``t``
    of window ``l`` reads (dropped if it is padding); unbatched columns ``(C * K, L)`` give
    ``(C, *output_size)``."""
    ndim = unfold_dims(output_size)
    cols = input if input.ndim == 3 else input[np.newaxis]
    out_size = per_dimension(output_size, ndim)
    K, windows = unfold_windows(out_size, kernel_size, dilation, padding, stride)
    N, C = cols.shape[0], cols.shape[1] // K
    out = np.zeros((N, C, *out_size), dtype=cols.dtype)
    for n, c in np.ndindex(N, C):
        for l, taps in enumerate(windows):
            for t, source in taps:
                if source is not None:
                    out[(n, c) + source] += cols[n, c * K + t, l]
    return out if input.ndim == 3 else out[0]


def unfold_backward(grad_output, input, kernel_size, dilation=1, padding=0, stride=1):
    """The gradient of :func:`unfold`: :func:`fold` of ``grad_output`` onto the input's
    spatial size (fold is unfold's adjoint)."""
    in_size = input.shape[input.ndim - unfold_dims(kernel_size):]
    return fold(grad_output, in_size, kernel_size, dilation, padding, stride)


def fold_backward(grad_output, input, output_size, kernel_size, dilation=1, padding=0,
                  stride=1):
    """The gradient of :func:`fold`: :func:`unfold` of ``grad_output``."""
    return unfold(grad_output, kernel_size, dilation, padding, stride)


# --------------------------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------------------------

STEP = 1e-6
"""The step ``h`` of the central differences."""


def directions(shape, seed, elementwise_up_to=16, count=2):
    """Directions to differentiate along: every axis of an array of at most
    ``elementwise_up_to`` cells (its whole gradient, element by element), else ``count``
    standard-normal ones (a wrong gradient differs from the right one along almost every
    random direction)."""
    cells = math.prod(shape)
    if cells <= elementwise_up_to:
        return list(np.eye(cells).reshape(cells, *shape))     # none for an empty array
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(count)]


def assert_matches_finite_differences(loss, point, gradient, along, rtol=1e-6):
    """``<gradient, v>`` equals the central difference ``(loss(point + h v) - loss(point -
    h v)) / 2h`` along each direction ``v``, to ``rtol`` times ``max(1, |<gradient, v>|)``."""
    __tracebackhide__ = True
    assert gradient.shape == point.shape, (gradient.shape, point.shape)
    for v in along:
        central = (loss(point + STEP * v) - loss(point - STEP * v)) / (2 * STEP)
        expected = float(np.vdot(gradient, v))
        assert abs(central - expected) <= rtol * max(1.0, abs(expected)), (central, expected)


def assert_backward_matches_finite_differences(forward, backward, point, seed, rtol=1e-6):
    """An op's backward is the gradient of its forward: for a random ``R`` (from ``seed``),
    ``backward(R)`` matches the central differences of ``sum(forward(point) * R)`` along
    :func:`directions` (:func:`assert_matches_finite_differences`)."""
    __tracebackhide__ = True
    probe = np.random.default_rng(seed + 1).standard_normal(forward(point).shape)
    assert_matches_finite_differences(lambda a: np.sum(forward(a) * probe), point,
                                      backward(probe), directions(point.shape, seed), rtol)


# --------------------------------------------------------------------------------------------
# Published figures
# --------------------------------------------------------------------------------------------

UFLDL_IMAGE = np.array([[1., 1., 1., 0., 0.],
                        [0., 1., 1., 1., 0.],
                        [0., 0., 1., 1., 1.],
                        [0., 0., 1., 1., 0.],
                        [0., 1., 1., 0., 0.]])
UFLDL_KERNEL = np.array([[1., 0., 1.],
                         [0., 1., 0.],
                         [1., 0., 1.]])
UFLDL_FEATURE_MAP = np.array([[4., 3., 4.],
                              [2., 4., 3.],
                              [2., 3., 4.]])
"""The cheat sheet's convolution figure ("Convolution operation"), from Stanford's UFLDL
tutorial (Feature extraction using convolution): a 5x5 binary image, a 3x3 kernel, and the
feature map the figure prints."""


# --------------------------------------------------------------------------------------------
# Comparing results
# --------------------------------------------------------------------------------------------

RELATIVE_TOLERANCE = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4,
                      np.dtype(np.float64): 1e-10}
"""How close two computations of the same result must be, by the result's dtype: a few
hundred units of its rounding, enough for sums taken in another order."""


def tolerance(dtype):
    """The relative tolerance for a result of ``dtype`` (float64's for anything else)."""
    return RELATIVE_TOLERANCE.get(np.dtype(dtype).newbyteorder("="), 1e-10)


def assert_close(actual, expected, *, check_dtype=True, err_msg="", rtol=None, scale=None):
    """Assert that two results agree, NaN-aware and dtype-aware.

    Tuples (a backward's gradients, ``(out, indices)``) are compared item by item.  For
    arrays (or NumPy scalars, such as an inner product): the same shape; the same dtype up
    to byte order (if ``check_dtype``); NaN in exactly the same cells; the same infinities,
    sign included; integer arrays equal; and the finite cells equal up to ``rtol`` (by
    default :func:`tolerance` of the result's dtype; 0 asks for equality), relative to each
    cell and to ``scale`` (by default the largest finite magnitude of ``expected``; an inner
    product passes the sum of its terms' magnitudes).
    """
    __tracebackhide__ = True          # pytest: report the caller's line, not this one
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple), f"{err_msg}: expected a tuple, got {type(actual)}"
        assert len(actual) == len(expected), f"{err_msg}: {len(actual)} != {len(expected)} items"
        for position, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, check_dtype=check_dtype, err_msg=f"{err_msg}[{position}]",
                         rtol=rtol, scale=scale)
        return
    assert isinstance(actual, (np.ndarray, np.generic)), (
        f"{err_msg}: expected an ndarray, got {type(actual)}")
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{err_msg}: shape {actual.shape} != {expected.shape}"
    if check_dtype:
        assert actual.dtype.newbyteorder("=") == expected.dtype.newbyteorder("="), (
            f"{err_msg}: dtype {actual.dtype} != {expected.dtype}")
    if actual.dtype.kind in "biu":
        np.testing.assert_array_equal(actual, expected, err_msg=err_msg)
        return
    actual_nan, expected_nan = np.isnan(actual), np.isnan(expected)
    assert np.array_equal(actual_nan, expected_nan), (
        f"{err_msg}: NaN in other cells: got NaN at {np.argwhere(actual_nan).tolist()}, "
        f"expected NaN at {np.argwhere(expected_nan).tolist()}\nactual={actual}\n"
        f"expected={expected}")
    infinite = np.isinf(expected) | np.isinf(actual)
    assert np.array_equal(actual[infinite], expected[infinite]), (
        f"{err_msg}: infinities differ\nactual={actual}\nexpected={expected}")
    finite = np.isfinite(expected) & np.isfinite(actual)
    rtol = tolerance(actual.dtype) if rtol is None else rtol
    if scale is None:
        scale = float(np.abs(expected[finite]).max(initial=0.0))
    np.testing.assert_allclose(actual[finite].astype(np.float64),
                               expected[finite].astype(np.float64), rtol=rtol,
                               atol=rtol * max(1.0, scale), err_msg=err_msg)


def snapshot(value):
    """Everything about an argument that a call could change, to compare before and after.

    An array gives its type, dtype, shape, strides, flags and its bytes (so a NaN's bits
    count); a masked array also its mask and fill value; a list or tuple its items; anything
    else its pickle (or its repr if it cannot be pickled).
    """
    if isinstance(value, np.ndarray):
        state = (type(value), value.dtype.str, value.shape, value.strides,
                 value.flags.writeable, value.flags.c_contiguous, value.flags.f_contiguous,
                 value.tobytes(order="A"))
        if isinstance(value, np.ma.MaskedArray):
            state += (np.ma.getmaskarray(value).tobytes(), repr(value.fill_value))
        return state
    if isinstance(value, (list, tuple)):
        return (type(value), tuple(snapshot(item) for item in value))
    try:
        return (type(value), pickle.dumps(value))
    except Exception:
        return (type(value), repr(value))
