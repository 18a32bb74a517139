"""The family's reference: one plain loop nest per op, forward and backward.

Unfold and fold, max unpooling, adaptive average and max pooling, and power-average
pooling, each written the way :mod:`npconv.loops` writes the core ops: one output cell (or,
for unpooling, one input cell; for unfold and fold, one window) per line of Python, to be
read beside the formulas and stepped through in a debugger.  Each backward has the same
loop headers as its forward; only the body changes, from "gather" to "scatter with +=" (or,
for unpooling, the other way round).  Fold is unfold's sibling in that sense, and each is
the other's backward.

Where the debugger is: ``n`` and ``c`` are the image and the channel; ``out_index`` is the
output cell being computed (for unfold and fold, the window, which is column ``l``), or
``in_index`` the input cell being moved (unpooling).  ``cells`` holds the window's slices
of the input (:func:`npconv.shapes.adaptive_pool_cells`,
:func:`npconv.shapes.clipped_window`), ``patch`` the cells themselves, and ``start`` an
unfold or fold window's first tap in input coordinates, ``i * stride - before``, negative
on the padding.  Everything runs in the calling thread, one cell after another.

The functions take the geometry already checked and normalised by :mod:`npconv.family.api`
(call ``npconv.max_unpool(..., method="loops")`` for the friendly signature).  Shapes use
the letters of the docstrings there: ``N`` batch, ``C`` channels, ``*in_size`` /
``*out_size`` the spatial sizes; for unfold and fold also ``K = prod(kernel_size)`` (taps
of one window) and ``L`` (windows).

The fast twins in :mod:`npconv.family.im2col` compute the same numbers with array
operations over many cells at once; the tests hold the two to each other.
"""

import math

import numpy as np

from ..padding import gather_window, scatter_window
from ..shapes import (
    adaptive_pool_cells,
    avg_pool_divisors,
    clipped_window,
    conv_output_shape,
    lp_pool_mean_gradient,
    lp_pool_power,
    pool_output_shape,
    window_argmax,
)

__all__ = [
    "unfold", "unfold_backward", "fold", "fold_backward",
    "max_unpool", "max_unpool_backward",
    "adaptive_avg_pool", "adaptive_avg_pool_backward",
    "adaptive_max_pool", "adaptive_max_pool_backward",
    "lp_pool", "lp_pool_backward",
]


# --------------------------------------------------------------------------------------------
# Unfold and fold: every window of the input as one column, and the columns added back
# --------------------------------------------------------------------------------------------

def unfold(x, kernel_size, dilation, padding, stride):
    """Unfold (im2col): window ``l`` of channel ``c`` becomes rows ``c*K`` to ``c*K + K - 1``.

    Cheat sheet: "Convolution operation".  Each window a kernel would slide over is copied,
    its taps in row-major order, into one column, column ``l``; a convolution is then one
    matrix product of the weights, reshaped to ``(C_out, C * K)``, with these columns.
    ``K = prod(kernel_size)`` and the windows ``l`` run over the window positions in
    row-major order, ``L`` of them; the window of position ``i`` starts at ``start = i*stride -
    before`` in input coordinates, and taps on the padding read 0.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    kernel_size, dilation, stride : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension

    Returns
    -------
    ndarray, shape (N, C * K, L)
        ``L = prod(out_size)``, per dimension
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``.

    See Also
    --------
    fold : the sibling that adds the columns back.
    npconv.family.im2col.unfold : the same numbers, one strided copy per kernel tap.
    npconv.unfold : the checked public entry point.

    Examples
    --------
    >>> unfold(np.arange(5.).reshape(1, 1, 5), (3,), (1,), ((0, 0),), (2,))
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])
    """
    N, C, *in_size = x.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K, L = math.prod(kernel_size), math.prod(out_size)
    before = [b for b, _ in padding]              # padding cells ahead of input cell 0

    cols = np.zeros((N, C * K, L), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            rows = slice(c * K, (c + 1) * K)      # channel c's K taps
            for l, out_index in enumerate(np.ndindex(*out_size)):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                window = gather_window(x[n, c], start, kernel_size, dilation)  # (*kernel_size)
                cols[n, rows, l] = window.ravel()                              # (K,)
    return cols


def fold(cols, out_size, kernel_size, dilation, padding, stride):
    """Fold (col2im): column ``l`` is added back onto the window it came from; overlaps sum.

    Cheat sheet: "Convolution operation", run backwards.  The same loops as
    :func:`unfold`, with the body turned round: the rows of channel ``c`` in column ``l``,
    reshaped to the kernel, are added onto window ``l`` of the output (taps on the padding
    are dropped).  This makes fold the adjoint of unfold,
    ``<unfold(x), cols> == <x, fold(cols)>``, and each the other's backward.

    Parameters
    ----------
    cols : ndarray, shape (N, C * K, L)
    out_size : tuple of int
        The output's spatial size (unfold's ``in_size``).
    kernel_size, dilation, padding, stride
        As for :func:`unfold`.

    Returns
    -------
    ndarray, shape (N, C, *out_size)

    See Also
    --------
    unfold : the sibling that cut the windows out.
    npconv.family.im2col.fold : the same numbers, one strided ``+=`` per kernel tap.
    npconv.fold : the checked public entry point.

    Examples
    --------
    Columns of ones count the windows that cover each cell:

    >>> fold(np.ones((1, 3, 2)), (5,), (3,), (1,), ((0, 0),), (2,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    N, rows_per_image, L = cols.shape
    K = math.prod(kernel_size)
    C = rows_per_image // K
    windows = conv_output_shape(out_size, kernel_size, stride, padding, dilation)
    before = [b for b, _ in padding]              # padding cells ahead of output cell 0

    out = np.zeros((N, C, *out_size), dtype=cols.dtype)
    for n in range(N):
        for c in range(C):
            rows = slice(c * K, (c + 1) * K)      # channel c's K taps
            for l, out_index in enumerate(np.ndindex(*windows)):
                start = tuple(i * s - b for i, s, b in zip(out_index, stride, before))
                window = cols[n, rows, l].reshape(kernel_size)                # (*kernel_size)
                scatter_window(out[n, c], start, dilation, window)
    return out


def unfold_backward(grad_output, x, kernel_size, dilation, padding, stride):
    """Gradient of :func:`unfold`: each cell collects the gradients of the column cells copying it.

    Cheat sheet: "Convolution operation", run backwards.  Unfold only copies cells, so its
    gradient adds each column cell's gradient back onto the input cell it copied: that is
    :func:`fold` of ``grad_output``.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C * K, L)
    x, kernel_size, dilation, padding, stride
        As for :func:`unfold`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.im2col.unfold_backward : the same numbers, from the core's col2im.
    npconv.unfold_backward : the checked public entry point.

    Examples
    --------
    >>> unfold_backward(np.ones((1, 3, 2)), np.zeros((1, 1, 5)), (3,), (1,), ((0, 0),), (2,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    return fold(grad_output, x.shape[2:], kernel_size, dilation, padding, stride)


def fold_backward(grad_output, cols, out_size, kernel_size, dilation, padding, stride):
    """Gradient of :func:`fold`: every column cell reads the gradient of the cell it was added to.

    Cheat sheet: "Convolution operation".  Fold only adds column cells onto output cells,
    so its gradient copies the output gradient under each window into that window's
    column: :func:`unfold` of ``grad_output``.  ``cols`` itself is not read.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    cols, out_size, kernel_size, dilation, padding, stride
        As for :func:`fold`.

    Returns
    -------
    ndarray, shape (N, C * K, L)

    See Also
    --------
    npconv.family.im2col.fold_backward : the same numbers, from the core's im2col.
    npconv.fold_backward : the checked public entry point.

    Examples
    --------
    >>> fold_backward(np.arange(5.).reshape(1, 1, 5), np.zeros((1, 3, 2)), (5,), (3,), (1,),
    ...               ((0, 0),), (2,))
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])
    """
    return unfold(grad_output, kernel_size, dilation, padding, stride)


# --------------------------------------------------------------------------------------------
# Max unpooling: the partner of max pooling's indices
# --------------------------------------------------------------------------------------------

def max_unpool(x, indices, out_size):
    """Max unpooling: every input cell is written to the output cell its index names.

    Cheat sheet: "Pooling operation", undone as far as it can be:
    ``out[n, c].flat[indices[n, c, i]] = x[n, c, i]`` for every input position ``i``, in
    row-major order, so that of several cells with the same index the last one stays (as in
    PyTorch when its kernel runs on one thread).  Every other output cell is 0.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    indices : ndarray of int, shape (N, C, *in_size)
        Flat positions within an ``(n, c)`` plane of the output, each checked to lie in it.
    out_size : tuple of int

    Returns
    -------
    ndarray, shape (N, C, *out_size)

    See Also
    --------
    npconv.family.im2col.max_unpool : the same numbers from one scatter.
    npconv.max_unpool : the checked public entry point.

    Examples
    --------
    >>> max_unpool(np.array([[[5., 7.]]]), np.array([[[1, 3]]]), (4,))
    array([[[0., 5., 0., 7.]]])
    """
    N, C, *in_size = x.shape
    out = np.zeros((N, C, *out_size), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for in_index in np.ndindex(*in_size):
                position = np.unravel_index(indices[(n, c) + in_index], out_size)
                out[(n, c) + position] = x[(n, c) + in_index]
    return out


def max_unpool_backward(grad_output, x, indices, out_size):
    """Gradient of :func:`max_unpool`: every input cell reads the gradient at its index.

    Cheat sheet: "Pooling operation", run backwards twice.  The forward copied each input
    cell to one output cell, so the backward is a gather:
    ``grad_x[n, c, i] = grad_output[n, c].flat[indices[n, c, i]]``.  Cells that share an
    index all read the same gradient, also those whose value the forward overwrote (as
    PyTorch's backward does).

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, indices, out_size
        As for :func:`max_unpool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.im2col.max_unpool_backward : the same numbers from one gather.
    npconv.max_unpool_backward : the checked public entry point.

    Examples
    --------
    >>> max_unpool_backward(np.array([[[10., 20., 30., 40.]]]), np.zeros((1, 1, 2)),
    ...                     np.array([[[1, 1]]]), (4,))
    array([[[20., 20.]]])
    """
    N, C, *in_size = x.shape
    grad_x = np.zeros(x.shape, dtype=np.result_type(grad_output, x))
    for n in range(N):
        for c in range(C):
            for in_index in np.ndindex(*in_size):
                position = np.unravel_index(indices[(n, c) + in_index], out_size)
                grad_x[(n, c) + in_index] = grad_output[(n, c) + position]
    return grad_x


# --------------------------------------------------------------------------------------------
# Adaptive pooling: the output size is given, the windows follow from it
# --------------------------------------------------------------------------------------------

def adaptive_avg_pool(x, out_size):
    """Adaptive average pooling: the mean of every window the output size gives.

    Cheat sheet: "Pooling operation" (average pooling), with the output size given.  Output
    cell ``i`` averages input cells ``floor(i * in / out)`` up to ``ceil((i + 1) * in /
    out)``, end excluded, per dimension (:func:`npconv.shapes.adaptive_pool_cells`):
    windows ``i`` and ``i + 1`` share a cell where ``(i + 1) * in / out`` is not whole.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    out_size : tuple of int

    Returns
    -------
    ndarray, shape (N, C, *out_size)

    See Also
    --------
    npconv.family.im2col.adaptive_avg_pool : the same numbers, one dimension at a time.
    npconv.adaptive_avg_pool : the checked public entry point.

    Examples
    --------
    Windows 0-1, 1-3 and 3-4 of five cells:

    >>> adaptive_avg_pool(np.array([[[1., 2., 3., 4., 5.]]]), (3,))
    array([[[1.5, 3. , 4.5]]])
    """
    N, C, *in_size = x.shape
    out = np.zeros((N, C, *out_size), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                cells = adaptive_pool_cells(out_index, in_size, out_size)
                patch = x[n, c][cells]
                out[(n, c) + out_index] = np.sum(patch) / patch.size
    return out


def adaptive_avg_pool_backward(grad_output, x, out_size):
    """Gradient of :func:`adaptive_avg_pool`: each output's gradient spread over its window.

    Cheat sheet: "Pooling operation" (average pooling), run backwards.  The same loops as
    the forward; each output cell adds its gradient over its window's cell count onto
    every cell of the window, so a cell in two windows collects two shares.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, out_size
        As for :func:`adaptive_avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.im2col.adaptive_avg_pool_backward : the same numbers, through the core's
        pooling for ordinary windows, else one dimension at a time.
    npconv.adaptive_avg_pool_backward : the checked public entry point.

    Examples
    --------
    >>> adaptive_avg_pool_backward(np.ones((1, 1, 3)), np.zeros((1, 1, 5)), (3,))
    array([[[0.5       , 0.83333333, 0.33333333, 0.83333333, 0.5       ]]])
    """
    N, C, *in_size = x.shape
    grad_x = np.zeros(x.shape, dtype=np.result_type(grad_output, x))
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                cells = adaptive_pool_cells(out_index, in_size, out_size)
                grad_window = grad_x[n, c][cells]                # a view into grad_x
                grad_window += grad_output[(n, c) + out_index] / grad_window.size
    return grad_x


def adaptive_max_pool(x, out_size):
    """Adaptive max pooling: the largest cell of every adaptive window, and where it was.

    Cheat sheet: "Pooling operation" (max pooling), with the output size given.  The
    windows are :func:`adaptive_avg_pool`'s.  Ties go to the first maximum in row-major
    window order; a NaN wins, the last of several (:func:`npconv.shapes.window_argmax`,
    the rule of PyTorch's CPU kernel).

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    out_size : tuple of int

    Returns
    -------
    out : ndarray, shape (N, C, *out_size)
    indices : ndarray of int64, shape (N, C, *out_size)
        The flat position of each winner in its ``(n, c)`` plane of the input.

    See Also
    --------
    npconv.family.im2col.adaptive_max_pool : the same numbers, through the core's pooling
        for ordinary windows, else one dimension at a time.
    npconv.adaptive_max_pool : the checked public entry point.

    Examples
    --------
    >>> adaptive_max_pool(np.array([[[1., 5., 2., 7., 3.]]]), (3,))
    (array([[[5., 7., 7.]]]), array([[[1, 3, 3]]]))
    """
    N, C, *in_size = x.shape
    out = np.zeros((N, C, *out_size), dtype=x.dtype)
    indices = np.zeros((N, C, *out_size), dtype=np.int64)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                cells = adaptive_pool_cells(out_index, in_size, out_size)
                patch = x[n, c][cells]
                winner = np.unravel_index(window_argmax(patch.ravel()), patch.shape)
                position = [s.start + t for s, t in zip(cells, winner)]
                out[(n, c) + out_index] = patch[winner]
                indices[(n, c) + out_index] = np.ravel_multi_index(position, in_size)
    return out, indices


def adaptive_max_pool_backward(grad_output, x, out_size):
    """Gradient of :func:`adaptive_max_pool`: each output's gradient goes to its winner.

    Cheat sheet: "Pooling operation" (max pooling), run backwards.  The same loops as the
    forward find each window's winner again and add the output's gradient onto it; a cell
    that wins several overlapping windows collects all their gradients.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, out_size
        As for :func:`adaptive_max_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.im2col.adaptive_max_pool_backward : the same numbers, through the core's
        pooling for ordinary windows, else the winners' gradients added by ``np.add.at``.
    npconv.adaptive_max_pool_backward : the checked public entry point.

    Examples
    --------
    >>> adaptive_max_pool_backward(np.ones((1, 1, 3)), np.array([[[1., 5., 2., 7., 3.]]]), (3,))
    array([[[0., 1., 0., 2., 0.]]])
    """
    N, C, *in_size = x.shape
    grad_x = np.zeros(x.shape, dtype=np.result_type(grad_output, x))
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                cells = adaptive_pool_cells(out_index, in_size, out_size)
                patch = x[n, c][cells]
                winner = np.unravel_index(window_argmax(patch.ravel()), patch.shape)
                grad_window = grad_x[n, c][cells]                # a view into grad_x
                grad_window[winner] += grad_output[(n, c) + out_index]
    return grad_x


# --------------------------------------------------------------------------------------------
# Power-average pooling (finite powers; the api sends p = +-inf to max pooling, as PyTorch does)
# --------------------------------------------------------------------------------------------

def lp_pool(x, norm_type, kernel_size, stride, ceil_mode):
    """Power-average pooling, PyTorch's formula: ``(K * mean(x ** p)) ** (1 / p)`` per window.

    Cheat sheet: "Pooling operation", between average and max.  ``K = prod(kernel_size)``
    and the mean divides by the cells the window holds, so a ``ceil_mode`` window cut short
    has its sum scaled up by ``K / cells``.  A negative cell raised to a non-integer ``p``,
    or a negative sum to a non-integer ``1 / p``, gives NaN, as in PyTorch.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    norm_type : float
        The power ``p``, finite and non-zero.
    kernel_size, stride : tuple of int, one per spatial dimension
    ceil_mode : bool

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        ``out = floor((in - kernel_size) / stride) + 1`` per dimension, or ceil with
        ``ceil_mode``: max pooling's size with no padding and dilation 1.

    See Also
    --------
    npconv.family.im2col.lp_pool : the same numbers from the core's average pooling.
    npconv.lp_pool : the checked public entry point.

    Examples
    --------
    >>> lp_pool(np.array([[[3., 4., 6., 8., 5.]]]), 2.0, (2,), (2,), True)
    array([[[ 5.        , 10.        ,  7.07106781]]])
    """
    N, C, *in_size = x.shape
    no_padding, no_dilation = ((0, 0),) * len(in_size), (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, no_padding, no_dilation, ceil_mode)
    cell_counts = avg_pool_divisors(in_size, kernel_size, stride, no_padding, out_size,
                                    True).astype(x.dtype)
    kernel_cells = math.prod(kernel_size)

    out = np.zeros((N, C, *out_size), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                cells = clipped_window(out_index, kernel_size, stride, no_padding, no_dilation,
                                       in_size)
                powers = lp_pool_power(x[n, c][cells], norm_type)
                mean_power = np.sum(powers) / cell_counts[out_index]
                out[(n, c) + out_index] = lp_pool_power(mean_power * kernel_cells, 1 / norm_type)
    return out


def lp_pool_backward(grad_output, x, norm_type, kernel_size, stride, ceil_mode):
    """Gradient of :func:`lp_pool`, as PyTorch's autograd of its formula computes it.

    Cheat sheet: "Pooling operation", run backwards.  The same loops as the forward.  Per
    window, the gradient reaching the mean of powers
    (:func:`npconv.shapes.lp_pool_mean_gradient`) is spread over the window's cells; then
    every cell multiplies what it collected by the power's derivative ``p * x ** (p - 1)``.
    Where that derivative is infinite (a zero cell with ``p < 1``) and the collected
    gradient is 0, the product is NaN, as in PyTorch.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, norm_type, kernel_size, stride, ceil_mode
        As for :func:`lp_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.im2col.lp_pool_backward : the same numbers from the core's average pooling.
    npconv.lp_pool_backward : the checked public entry point.

    Examples
    --------
    ``out = sqrt(3**2 + 4**2) = 5``, whose gradient is ``x / out``:

    >>> lp_pool_backward(np.ones((1, 1, 1)), np.array([[[3., 4.]]]), 2.0, (2,), (2,), False)
    array([[[0.6, 0.8]]])
    """
    N, C, *in_size = x.shape
    no_padding, no_dilation = ((0, 0),) * len(in_size), (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, no_padding, no_dilation, ceil_mode)
    cell_counts = avg_pool_divisors(in_size, kernel_size, stride, no_padding, out_size,
                                    True).astype(x.dtype)
    kernel_cells = math.prod(kernel_size)

    grad_powers = np.zeros(x.shape, dtype=np.result_type(grad_output, x))
    for n in range(N):
        for c in range(C):
            for out_index in np.ndindex(*out_size):
                cells = clipped_window(out_index, kernel_size, stride, no_padding, no_dilation,
                                       in_size)
                powers = lp_pool_power(x[n, c][cells], norm_type)
                mean_power = np.sum(powers) / cell_counts[out_index]
                grad_mean = lp_pool_mean_gradient(grad_output[(n, c) + out_index], mean_power,
                                                  norm_type, kernel_cells)
                grad_powers[n, c][cells] += grad_mean / cell_counts[out_index]
    with np.errstate(invalid="ignore"):                  # 0 * inf is NaN, as in PyTorch
        return grad_powers * (norm_type * lp_pool_power(x, norm_type - 1))
