"""The reference: one plain loop nest per op, forward and backward.

This module is meant to be read beside the cheat sheet and stepped through in a debugger.
Every output cell is computed by its own line of Python: take the window, multiply, sum.
Each backward has the same loop headers as its forward; only the body changes, from
"gather and sum" to "scatter with +=".

Where the debugger is: ``out_index`` (or ``in_index`` for the transposed convolution) is the
cell being computed, and ``start`` is its window's first tap, ``i * stride - before`` per
dimension, in *input* coordinates: ``start = (-1, 2)`` means the window begins one row above
the input (on the padding) and at its column 2.  No padded copy is ever built: the window
is read from the virtually padded input by :func:`npconv.padding.gather_window` and its
gradient added back by :func:`npconv.padding.scatter_window` (pooling takes only the real
input cells, :func:`npconv.shapes.window_cells`), so the work and memory follow the cells
computed, however wide the padding, the stride or the dilation.

The functions take the geometry already checked and normalised by :mod:`npconv.api` (call
``npconv.conv(..., method="loops")`` for the friendly signature): ``stride``, ``dilation``,
``kernel_size`` and ``output_padding`` as one int per spatial dimension, ``padding`` as one
``(before, after)`` pair per spatial dimension.  Shapes use the letters of the docstrings of
:mod:`npconv.api`: ``N`` batch, ``C`` channels, ``G`` groups, ``*in_size`` / ``*out_size``
the spatial sizes, ``*kernel_size`` the kernel.

The fast twins in :mod:`npconv.im2col` compute the same numbers with array operations over
many cells at once; the tests hold the two to each other.
"""

import numpy as np

from .padding import gather_window, scatter_window
from .shapes import (avg_pool_divisors, conv_output_shape, conv_transpose_output_shape,
                     pool_output_shape, window_argmax, window_cells)

__all__ = [
    "conv", "conv_backward",
    "conv_transpose", "conv_transpose_backward",
    "max_pool", "max_pool_backward",
    "avg_pool", "avg_pool_backward",
]


# --------------------------------------------------------------------------------------------
# Convolution (cheat sheet: "Convolution operation", "Dilated Convolution")
# --------------------------------------------------------------------------------------------

def conv(x, weight, bias, stride, padding, dilation, groups, padding_mode):
    """Convolution (cross-correlation), one output cell at a time.

    Cheat sheet: "Convolution operation" and "Dilated Convolution".

    ``out[n, c_out, i] = bias[c_out] + sum over c, tap of
    x_padded[n, c, i*stride + tap*dilation] * weight[c_out, c, tap]``, where ``c`` runs over
    the input channels of ``c_out``'s group.  In input coordinates the window of ``i``
    starts at ``start = i*stride - before``; taps before 0 or past the end read the padding.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *in_size)
    weight : ndarray, shape (C_out, C_in // groups, *kernel_size)
    bias : ndarray, shape (C_out,), or None
    stride, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    groups : int
    padding_mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    ndarray, shape (N, C_out, *out_size)
        Per dimension,
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``
        (:func:`npconv.shapes.conv_output_size`).

    See Also
    --------
    npconv.im2col.conv : the fast twin, the same numbers.
    npconv.conv : the checked public entry point.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 3, 3))
    >>> conv(x, w, bias=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1),
    ...      groups=1, padding_mode="zeros")
    array([[[[45., 54.],
             [81., 90.]]]])
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    C_out_per_group = C_out // groups
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    out = np.zeros((N, C_out, *out_size), dtype=x.dtype)
    for n in range(N):
        for c_out in range(C_out):
            group = c_out // C_out_per_group
            channels = slice(group * C_in_per_group, (group + 1) * C_in_per_group)
            bias_value = 0 if bias is None else bias[c_out]
            for out_index in np.ndindex(*out_size):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                patch = gather_window(x[n, channels], start, kernel_size, dilation,
                                      padding_mode)               # (C_in // G, *kernel_size)
                out[(n, c_out) + out_index] = np.sum(patch * weight[c_out]) + bias_value
    return out


def conv_backward(grad_output, x, weight, stride, padding, dilation, groups, padding_mode):
    """Gradients of :func:`conv`: the same loops, scattering instead of gathering.

    Cheat sheet: "Convolution operation", run backwards.  Each output cell's gradient
    flows back to the patch it read (times the weights) and to the weights (times the
    patch); a tap on the padding passes its share to the cell the padding copied, or
    nowhere for zero padding.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, *out_size)
    x, weight, stride, padding, dilation, groups, padding_mode
        As for :func:`conv`.

    Returns
    -------
    grad_input, grad_weight, grad_bias : ndarray
        With the shapes of ``x``, ``weight`` and ``(C_out,)``.

    See Also
    --------
    npconv.im2col.conv_backward : the fast twin, the same numbers.
    npconv.conv_backward : the checked public entry point.

    Examples
    --------
    Every 2x2 window of a 3x3 input sends a gradient of 1 back; the centre is in all four:

    >>> x = np.arange(9.).reshape(1, 1, 3, 3)
    >>> grad_x, grad_w, grad_b = conv_backward(
    ...     np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2)), stride=(1, 1),
    ...     padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1, padding_mode="zeros")
    >>> grad_x
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    >>> grad_w, grad_b
    (array([[[[ 8., 12.],
             [20., 24.]]]]), array([4.]))
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    C_out_per_group = C_out // groups
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    grad_x = np.zeros_like(x)
    grad_weight = np.zeros_like(weight)
    for n in range(N):
        for c_out in range(C_out):
            group = c_out // C_out_per_group
            channels = slice(group * C_in_per_group, (group + 1) * C_in_per_group)
            for out_index in np.ndindex(*out_size):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                patch = gather_window(x[n, channels], start, kernel_size, dilation,
                                      padding_mode)               # (C_in // G, *kernel_size)
                g = grad_output[(n, c_out) + out_index]
                scatter_window(grad_x[n, channels], start, dilation, g * weight[c_out],
                               padding_mode)
                grad_weight[c_out] += g * patch
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_weight, grad_bias


# --------------------------------------------------------------------------------------------
# Transposed convolution (cheat sheet: "Transposed Convolution")
# --------------------------------------------------------------------------------------------

def conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation):
    """Transposed convolution: every input cell scatters a scaled copy of the kernel.

    Cheat sheet: "Transposed Convolution".

    Input cell ``i`` adds ``x[n, c_in, i] * weight[c_in]`` to the output window that a
    convolution with the same geometry would have read for its output cell ``i``.  That
    window starts at ``start = i*stride - before`` in output coordinates: ``padding`` crops
    ``before`` cells from the start of the output (and ``after`` from its end), so the taps
    that fall outside the output are dropped.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *in_size)
    weight : ndarray, shape (C_in, C_out // groups, *kernel_size)
    bias : ndarray, shape (C_out,), or None
    stride, output_padding, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    groups : int

    Returns
    -------
    ndarray, shape (N, C_out, *out_size)
        Per dimension, ``out = (in - 1) * stride - before - after
        + dilation * (kernel_size - 1) + output_padding + 1``
        (:func:`npconv.shapes.conv_transpose_output_size`).

    See Also
    --------
    npconv.im2col.conv_transpose : the fast twin, the same numbers.
    npconv.conv_transpose : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 2.]]])
    >>> w = np.array([[[1., 10., 100.]]])
    >>> conv_transpose(x, w, bias=None, stride=(2,), padding=((0, 0),), output_padding=(0,),
    ...                groups=1, dilation=(1,))
    array([[[  1.,  10., 102.,  20., 200.]]])
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_in_per_group = C_in // groups
    out_size = conv_transpose_output_shape(in_size, kernel_size, stride, padding,
                                           output_padding, dilation)
    before = [b for b, _ in padding]              # cells cropped ahead of output cell 0

    out = np.zeros((N, C_out_per_group * groups, *out_size), dtype=x.dtype)
    for n in range(N):
        for c_in in range(C_in):
            group = c_in // C_in_per_group
            channels = slice(group * C_out_per_group, (group + 1) * C_out_per_group)
            for in_index in np.ndindex(*in_size):
                start = tuple(i * s - b for i, s, b in zip(in_index, stride, before))
                copy = x[(n, c_in) + in_index] * weight[c_in]      # (C_out // G, *kernel_size)
                scatter_window(out[n, channels], start, dilation, copy)
    if bias is not None:                          # every cell of channel c_out gets bias[c_out]
        out += bias.reshape(-1, *[1] * len(in_size))         # (C_out, 1, ..., 1)
    return out


def conv_transpose_backward(grad_output, x, weight, stride, padding, output_padding, groups,
                            dilation):
    """Gradients of :func:`conv_transpose`: the same loops, gathering instead of scattering.

    Cheat sheet: "Transposed Convolution", run backwards.  Each input cell gathers the
    output gradient under the window it scattered onto (cells cropped away read 0).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, *out_size)
    x, weight, stride, padding, output_padding, groups, dilation
        As for :func:`conv_transpose`.

    Returns
    -------
    grad_input, grad_weight, grad_bias : ndarray
        With the shapes of ``x``, ``weight`` and ``(C_out,)``.

    See Also
    --------
    npconv.im2col.conv_transpose_backward : the fast twin, the same numbers.
    npconv.conv_transpose_backward : the checked public entry point.

    Examples
    --------
    Each input cell scattered a 2-cell kernel, so it gathers 2 cells of gradient back:

    >>> x = np.array([[[1., 2.]]])
    >>> conv_transpose_backward(np.ones((1, 1, 4)), x, np.ones((1, 1, 2)), stride=(2,),
    ...                         padding=((0, 0),), output_padding=(0,), groups=1, dilation=(1,))
    (array([[[2., 2.]]]), array([[[3., 3.]]]), array([4.]))
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_in_per_group = C_in // groups
    before = [b for b, _ in padding]              # cells cropped ahead of output cell 0

    grad_x = np.zeros_like(x)
    grad_weight = np.zeros_like(weight)
    for n in range(N):
        for c_in in range(C_in):
            group = c_in // C_in_per_group
            channels = slice(group * C_out_per_group, (group + 1) * C_out_per_group)
            for in_index in np.ndindex(*in_size):
                start = tuple(i * s - b for i, s, b in zip(in_index, stride, before))
                patch = gather_window(grad_output[n, channels], start, kernel_size,
                                      dilation)                   # (C_out // G, *kernel_size)
                grad_x[(n, c_in) + in_index] = np.sum(patch * weight[c_in])
                grad_weight[c_in] += x[(n, c_in) + in_index] * patch
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_weight, grad_bias


# --------------------------------------------------------------------------------------------
# Pooling (cheat sheet: "Pooling operation")
# --------------------------------------------------------------------------------------------

def max_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling: the largest input cell of each window, and where it was.

    Cheat sheet: "Pooling operation".

    Windows are placed on the padded input, starting at ``start = i*stride - before`` in
    input coordinates, but only real input cells compete
    (:func:`npconv.shapes.window_cells`), so padding never wins.  Ties go to the first
    maximum; see :func:`npconv.shapes.window_argmax` for NaN.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    kernel_size, stride, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    ceil_mode : bool

    Returns
    -------
    out : ndarray, shape (N, C, *out_size)
        Per dimension,
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``,
        or ceil with ``ceil_mode`` (:func:`npconv.shapes.pool_output_size`).
    indices : ndarray of int64, shape (N, C, *out_size)
        The flat position of each winner in its ``(n, c)`` plane of the unpadded input.

    See Also
    --------
    npconv.im2col.max_pool : the fast twin, the same numbers, working tap by tap.
    npconv.max_pool : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 5., 2., 7., 3.]]])
    >>> max_pool(x, kernel_size=(2,), stride=(2,), padding=((0, 0),), dilation=(1,),
    ...          ceil_mode=True)
    (array([[[5., 7., 3.]]]), array([[[1, 3, 4]]]))
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    out = np.zeros((N, C, *out_size), dtype=x.dtype)
    indices = np.zeros((N, C, *out_size), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                cells = window_cells(start, kernel_size, dilation, in_size)   # no padding
                patch = x[(n, c) + cells]
                winner = np.unravel_index(window_argmax(patch.ravel()), patch.shape)
                position = tuple(cell.start + t * cell.step for cell, t in zip(cells, winner))
                out[(n, c) + out_index] = x[(n, c) + position]
                indices[(n, c) + out_index] = np.ravel_multi_index(position, in_size)
    return out, indices


def max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Gradient of :func:`max_pool`: each output's gradient goes to its window's winner.

    Cheat sheet: "Pooling operation", run backwards.  The gradient is added to the winner
    alone, whatever the values (NaN and inf included): nothing is multiplied by a mask.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, kernel_size, stride, padding, dilation, ceil_mode
        As for :func:`max_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.im2col.max_pool_backward : the fast twin, the same numbers, working tap by tap.
    npconv.max_pool_backward : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 5., 2., 7., 3.]]])
    >>> max_pool_backward(np.ones((1, 1, 2)), x, kernel_size=(2,), stride=(2,),
    ...                   padding=((0, 0),), dilation=(1,), ceil_mode=False)
    array([[[0., 1., 0., 1., 0.]]])
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    grad_x = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                cells = window_cells(start, kernel_size, dilation, in_size)   # no padding
                patch = x[(n, c) + cells]
                winner = np.unravel_index(window_argmax(patch.ravel()), patch.shape)
                position = tuple(cell.start + t * cell.step for cell, t in zip(cells, winner))
                grad_x[(n, c) + position] += grad_output[(n, c) + out_index]
    return grad_x


def avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling: the sum of each window's input cells over the window's divisor.

    Cheat sheet: "Pooling operation".

    The window starts at ``start = i*stride - before`` in input coordinates and sums its
    real input cells (:func:`npconv.shapes.window_cells`).  The divisor is
    ``divisor_override`` if given; otherwise the window's cell count, counting zero padding
    if ``count_include_pad`` but never the ``ceil_mode`` overhang
    (:func:`npconv.shapes.avg_pool_divisors`).

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    kernel_size, stride : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    ceil_mode : bool
    count_include_pad : bool
    divisor_override : int or None

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        Output size as for :func:`max_pool` with dilation 1.

    See Also
    --------
    npconv.im2col.avg_pool : the fast twin, the same numbers, working tap by tap.
    npconv.avg_pool : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 2., 3., 4., 5.]]])
    >>> avg_pool(x, kernel_size=(2,), stride=(2,), padding=((0, 0),), ceil_mode=True,
    ...          count_include_pad=True, divisor_override=None)
    array([[[1.5, 3.5, 5. ]]])
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                  count_include_pad, divisor_override).astype(x.dtype)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    out = np.zeros((N, C, *out_size), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                cells = window_cells(start, kernel_size, dilation, in_size)   # no padding
                out[(n, c) + out_index] = np.sum(x[(n, c) + cells]) / divisors[out_index]
    return out


def avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    """Gradient of :func:`avg_pool`: each output's gradient is spread evenly over its window.

    Cheat sheet: "Pooling operation", run backwards.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        As for :func:`avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.im2col.avg_pool_backward : the fast twin, the same numbers, working tap by tap.
    npconv.avg_pool_backward : the checked public entry point.

    Examples
    --------
    >>> avg_pool_backward(np.ones((1, 1, 2)), np.zeros((1, 1, 4)), kernel_size=(2,),
    ...                   stride=(2,), padding=((0, 0),), ceil_mode=False,
    ...                   count_include_pad=True, divisor_override=None)
    array([[[0.5, 0.5, 0.5, 0.5]]])
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                  count_include_pad, divisor_override).astype(x.dtype)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    grad_x = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                cells = window_cells(start, kernel_size, dilation, in_size)   # no padding
                grad_x[(n, c) + cells] += grad_output[(n, c) + out_index] / divisors[out_index]
    return grad_x
