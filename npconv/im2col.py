"""The fast variant: unfold windows into a matrix, multiply once, fold back.

``im2col`` copies every window of a padded input into one column of a matrix, so that a
convolution becomes a single matrix product with the reshaped weights.  ``col2im`` is its
adjoint: it adds every column back onto the window it came from, which is what the
gradients (and the transposed convolution) need.

The functions take the same normalised geometry as :mod:`npconv.loops` and compute the same
numbers; only the order of the arithmetic differs.  Shapes use the docstring letters of
:mod:`npconv.api`, plus ``K = prod(kernel_size)`` (cells of one kernel) and
``L = prod(out_size)`` (windows, i.e. output cells).
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .padding import pad, pad_backward, unpad
from .shapes import (avg_pool_divisors, conv_output_size, conv_output_shape,
                     conv_transpose_output_shape, effective_kernel_size, pool_output_shape,
                     window_argmax)

__all__ = [
    "im2col", "col2im",
    "conv", "conv_backward",
    "conv_transpose", "conv_transpose_backward",
    "max_pool", "max_pool_backward",
    "avg_pool", "avg_pool_backward",
]


# --------------------------------------------------------------------------------------------
# Unfold and fold
# --------------------------------------------------------------------------------------------

def im2col(x_padded, kernel_size, stride, dilation, out_size=None):
    """Copy every window of ``x_padded`` into a column.

    Parameters
    ----------
    x_padded : ndarray, shape (N, C, *padded_size)
        The input, padding already applied.
    kernel_size, stride, dilation : tuple of int, one per spatial dimension
    out_size : tuple of int, optional
        How many windows to take along each dimension; by default as many as fit.

    Returns
    -------
    cols : ndarray, shape (N, C * K, L)
        ``cols[n, c * K + tap, l]`` is the cell that kernel tap ``tap`` (row-major over
        ``kernel_size``) sees in window ``l`` (row-major over ``out_size``).

    See Also
    --------
    col2im : the adjoint, which adds columns back onto their windows.

    Examples
    --------
    >>> x = np.arange(5.).reshape(1, 1, 5)
    >>> im2col(x, (3,), (2,), (1,))
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])
    """
    N, C, *padded_size = x_padded.shape
    if out_size is None:
        out_size = [conv_output_size(p, k, s, (0, 0), d)
                    for p, k, s, d in zip(padded_size, kernel_size, stride, dilation)]
    ndim = len(kernel_size)
    spans = [effective_kernel_size(k, d) for k, d in zip(kernel_size, dilation)]
    # A read-only view of every span-sized window: no copy yet.
    windows = sliding_window_view(x_padded, spans, axis=tuple(range(2, 2 + ndim)))
    # windows: (N, C, *window starts, *spans); keep every stride-th start and dilation-th cell
    starts = tuple(slice(None, (o - 1) * s + 1, s) for o, s in zip(out_size, stride))
    taps = tuple(slice(None, None, d) for d in dilation)
    windows = windows[(slice(None), slice(None)) + starts + taps]   # (N, C, *out_size, *kernel_size)
    order = (0, 1, *range(2 + ndim, 2 + 2 * ndim), *range(2, 2 + ndim))
    windows = windows.transpose(order)                              # (N, C, *kernel_size, *out_size)
    return windows.reshape(N, C * math.prod(kernel_size), math.prod(out_size))  # copies


def col2im(cols, padded_shape, kernel_size, stride, dilation, out_size=None):
    """Add every column back onto its window: the adjoint of :func:`im2col`.

    Overlapping windows add up.  The loop runs over kernel taps, not windows: for one tap,
    the cells it touches across all windows form a strided slice of the output, so each tap
    is a single vectorised ``+=``.

    Parameters
    ----------
    cols : ndarray, shape (N, C * K, L)
    padded_shape : tuple (N, C, *padded_size)
    kernel_size, stride, dilation, out_size : as for :func:`im2col`

    Returns
    -------
    ndarray, shape ``padded_shape``

    Examples
    --------
    Folding columns of ones counts how many windows cover each cell:

    >>> col2im(np.ones((1, 3, 2)), (1, 1, 5), (3,), (2,), (1,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    N, C, *padded_size = padded_shape
    if out_size is None:
        out_size = [conv_output_size(p, k, s, (0, 0), d)
                    for p, k, s, d in zip(padded_size, kernel_size, stride, dilation)]
    cols = cols.reshape(N, C, *kernel_size, *out_size)
    out = np.zeros(padded_shape, dtype=cols.dtype)
    for tap in np.ndindex(*kernel_size):
        cells = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                      for t, d, o, s in zip(tap, dilation, out_size, stride))
        out[(slice(None), slice(None)) + cells] += cols[(slice(None), slice(None)) + tap]
    return out


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

def conv(x, weight, bias, stride, padding, dilation, groups, padding_mode):
    """Convolution as one matrix product per group.

    Shapes: x ``(N, C_in, *in_size)``, weight ``(C_out, C_in // G, *kernel_size)`` -> out
    ``(N, C_out, *out_size)``.  See Also: :func:`npconv.loops.conv`, :func:`npconv.conv`.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 3, 3))
    >>> conv(x, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1, "zeros")
    array([[[[45., 54.],
             [81., 90.]]]])
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K, L = math.prod(kernel_size), math.prod(out_size)

    x_padded = pad(x, padding, padding_mode)
    cols = im2col(x_padded, kernel_size, stride, dilation, out_size)    # (N, C_in*K, L)
    cols = cols.reshape(N, groups, C_in_per_group * K, L)
    w = weight.reshape(groups, C_out // groups, C_in_per_group * K)
    out = w @ cols                                                      # (N, G, C_out//G, L)
    out = out.reshape(N, C_out, *out_size)
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))
    return out


def conv_backward(grad_output, x, weight, stride, padding, dilation, groups, padding_mode):
    """Gradients of :func:`conv`: two matrix products and a :func:`col2im`.

    Returns ``(grad_input, grad_weight, grad_bias)``.
    See Also: :func:`npconv.loops.conv_backward`.
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K, L = math.prod(kernel_size), math.prod(out_size)

    x_padded = pad(x, padding, padding_mode)
    cols = im2col(x_padded, kernel_size, stride, dilation, out_size)
    cols = cols.reshape(N, groups, C_in_per_group * K, L)
    w = weight.reshape(groups, C_out // groups, C_in_per_group * K)
    g = grad_output.reshape(N, groups, C_out // groups, L)

    grad_w = (g @ cols.swapaxes(-1, -2)).sum(axis=0)            # (G, C_out//G, C_in//G*K)
    grad_cols = w.swapaxes(-1, -2) @ g                          # (N, G, C_in//G*K, L)
    grad_x_padded = col2im(grad_cols.reshape(N, C_in * K, L), x_padded.shape,
                           kernel_size, stride, dilation, out_size)
    grad_x = pad_backward(grad_x_padded, padding, padding_mode)
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w.reshape(weight.shape), grad_bias


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

def conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation):
    """Transposed convolution: one matrix product, then :func:`col2im` onto the output.

    Shapes: x ``(N, C_in, *in_size)``, weight ``(C_in, C_out // G, *kernel_size)`` -> out
    ``(N, C_out, *out_size)``.  See Also: :func:`npconv.loops.conv_transpose`.

    Examples
    --------
    >>> x = np.array([[[1., 2.]]])
    >>> w = np.array([[[1., 10., 100.]]])
    >>> conv_transpose(x, w, None, (2,), ((0, 0),), (0,), 1, (1,))
    array([[[  1.,  10., 102.,  20., 200.]]])
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_out = C_out_per_group * groups
    out_size = conv_transpose_output_shape(in_size, kernel_size, stride, padding,
                                           output_padding, dilation)
    K, L_in = math.prod(kernel_size), math.prod(in_size)
    padded_size = [o + before + after for o, (before, after) in zip(out_size, padding)]

    x_rows = x.reshape(N, groups, C_in // groups, L_in)
    w = weight.reshape(groups, C_in // groups, C_out_per_group * K)
    cols = w.swapaxes(-1, -2) @ x_rows                          # (N, G, C_out//G*K, L_in)
    out_padded = col2im(cols.reshape(N, C_out * K, L_in), (N, C_out, *padded_size),
                        kernel_size, stride, dilation, in_size)
    out = unpad(out_padded, padding).copy()
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))
    return out


def conv_transpose_backward(grad_output, x, weight, stride, padding, output_padding, groups,
                            dilation):
    """Gradients of :func:`conv_transpose`: an :func:`im2col` of the output gradient.

    Returns ``(grad_input, grad_weight, grad_bias)``.
    See Also: :func:`npconv.loops.conv_transpose_backward`.
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    K, L_in = math.prod(kernel_size), math.prod(in_size)

    grad_output_padded = pad(grad_output, padding)
    cols = im2col(grad_output_padded, kernel_size, stride, dilation, in_size)
    cols = cols.reshape(N, groups, C_out_per_group * K, L_in)
    x_rows = x.reshape(N, groups, C_in // groups, L_in)
    w = weight.reshape(groups, C_in // groups, C_out_per_group * K)

    grad_x = w @ cols                                            # (N, G, C_in//G, L_in)
    grad_w = (x_rows @ cols.swapaxes(-1, -2)).sum(axis=0)        # (G, C_in//G, C_out//G*K)
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x.reshape(x.shape), grad_w.reshape(weight.shape), grad_bias


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

def _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size):
    """Padding pairs that hold every pooling window, the ``ceil_mode`` overhang included.

    The right padding is widened (or narrowed) to exactly what the last window reaches, so
    that :func:`im2col` can cut all windows from one padded array.
    """
    pairs = []
    for n, k, s, (before, _), d, o in zip(in_size, kernel_size, stride, padding, dilation,
                                          out_size):
        reach = (o - 1) * s + effective_kernel_size(k, d)
        pairs.append((before, max(reach - n - before, 0)))
    return tuple(pairs)


def _max_pool_winners(x, kernel_size, stride, padding, dilation, out_size):
    """Unfold ``x`` padded with -inf; return the columns, their input indices and winners.

    Returns
    -------
    cols : (N, C, K, L) values, padding as -inf
    index_cols : (1, 1, K, L) flat input index of each cell, -1 on padding
    winner : (N, C, 1, L) tap of each window's maximum
    """
    N, C, *in_size = x.shape
    K, L = math.prod(kernel_size), math.prod(out_size)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)

    x_padded = pad(x, pool_padding, value=-np.inf)
    cols = im2col(x_padded, kernel_size, stride, dilation, out_size).reshape(N, C, K, L)
    index_plane = np.arange(math.prod(in_size)).reshape(1, 1, *in_size)
    index_padded = pad(index_plane, pool_padding, value=-1)
    index_cols = im2col(index_padded, kernel_size, stride, dilation, out_size)
    index_cols = index_cols.reshape(1, 1, K, L)

    winner = window_argmax(cols, axis=2)[:, :, None, :]
    # A window whose real cells are all -inf ties with its padding; PyTorch then reports the
    # window's first real cell, never a padded one.
    on_padding = np.take_along_axis(index_cols, winner, axis=2) < 0
    first_real = np.argmax(index_cols >= 0, axis=2)[:, :, None, :]
    winner = np.where(on_padding, first_real, winner)
    return cols, index_cols, winner


def max_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling: unfold, then one ``argmax`` down every column.

    Returns ``(out, indices)``, both ``(N, C, *out_size)``.
    See Also: :func:`npconv.loops.max_pool`.

    Examples
    --------
    >>> x = np.array([[[1., 5., 2., 7., 3.]]])
    >>> max_pool(x, (2,), (2,), ((0, 0),), (1,), True)
    (array([[[5., 7., 3.]]]), array([[[1, 3, 4]]]))
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    cols, index_cols, winner = _max_pool_winners(x, kernel_size, stride, padding, dilation,
                                                 out_size)
    out = np.take_along_axis(cols, winner, axis=2)
    indices = np.take_along_axis(index_cols, winner, axis=2)
    return out.reshape(N, C, *out_size), indices.reshape(N, C, *out_size).astype(np.int64)


def max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Gradient of :func:`max_pool`: each gradient goes to its window's winner.

    See Also: :func:`npconv.loops.max_pool_backward`.
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    K, L = math.prod(kernel_size), math.prod(out_size)
    cols, _, winner = _max_pool_winners(x, kernel_size, stride, padding, dilation, out_size)

    grad_cols = np.zeros_like(cols)                                    # (N, C, K, L)
    np.put_along_axis(grad_cols, winner, grad_output.reshape(N, C, 1, L), axis=2)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    padded_size = [n + before + after for n, (before, after) in zip(in_size, pool_padding)]
    grad_padded = col2im(grad_cols.reshape(N, C * K, L), (N, C, *padded_size),
                         kernel_size, stride, dilation, out_size)
    return unpad(grad_padded, pool_padding).copy()


def avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling: unfold with zero padding, sum every column, divide.

    See Also: :func:`npconv.loops.avg_pool`.

    Examples
    --------
    >>> x = np.array([[[1., 2., 3., 4., 5.]]])
    >>> avg_pool(x, (2,), (2,), ((0, 0),), True, True, None)
    array([[[1.5, 3.5, 5. ]]])
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    K, L = math.prod(kernel_size), math.prod(out_size)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                 count_include_pad, divisor_override).astype(x.dtype)

    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    cols = im2col(pad(x, pool_padding), kernel_size, stride, dilation, out_size)
    sums = cols.reshape(N, C, K, L).sum(axis=2)                        # (N, C, L)
    out = sums / divisors.reshape(L)
    return out.reshape(N, C, *out_size).astype(x.dtype, copy=False)


def avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    """Gradient of :func:`avg_pool`: spread each gradient over its window, fold back.

    See Also: :func:`npconv.loops.avg_pool_backward`.
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    K, L = math.prod(kernel_size), math.prod(out_size)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                 count_include_pad, divisor_override).astype(x.dtype)

    share = grad_output.reshape(N, C, 1, L) / divisors.reshape(L)        # (N, C, 1, L)
    grad_cols = np.broadcast_to(share, (N, C, K, L)).astype(x.dtype)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    padded_size = [n + before + after for n, (before, after) in zip(in_size, pool_padding)]
    grad_padded = col2im(grad_cols.reshape(N, C * K, L), (N, C, *padded_size),
                         kernel_size, stride, dilation, out_size)
    return unpad(grad_padded, pool_padding).copy()
