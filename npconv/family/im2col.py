"""The family's fast variant: whole-array copies, scatters, gathers and window reductions.

The same ops as :mod:`npconv.family.loops`, with the same numbers; only the order of the
arithmetic differs.  The functions take the same normalised geometry, and shapes use the
same letters: ``N`` batch, ``C`` channels, ``*in_size`` / ``*out_size`` the spatial sizes,
and for unfold and fold ``K = prod(kernel_size)`` (taps of one window) and ``L`` (windows).

What each op does on the fast path:

- unfold and fold are the core's :func:`npconv.im2col.im2col` and
  :func:`npconv.im2col.col2im` themselves: one strided copy, or ``+=``, per kernel tap
  over all windows at once; each is the other's backward;
- max unpooling is one scatter of every input cell into the zeroed output
  (:func:`_scatter_last_wins`), and its backward one gather;
- adaptive max pooling (forward and backward) and adaptive average pooling's backward
  first ask :func:`_ordinary_pooling_kernel` whether the windows are those of ordinary
  pooling (the output size divides the input's, more than one window, at most
  :data:`ORDINARY_POOLING_CELLS` cells each) and if so hand the whole op to the core's
  max or average pooling with kernel = stride;
- adaptive max pooling of every other size lists where each window's cells lie
  (:func:`_adaptive_window_cells`), copies them into a row of its own with one gather and
  finds every winner with one ``np.argmax`` (:func:`_first_max_or_last_nan`), a block of
  planes and windows at a time (:func:`_adaptive_winners`); its backward adds the
  gradients at the winners (:func:`_add_at_winners`);
- adaptive average pooling (its forward always, its backward on other sizes) pools one
  spatial axis at a time (a window is a box, so the pooling is separable): the axis's
  windows are cut out as rows by one reshape or gather (:func:`_windows_along`), and the
  rows summed all at once (:func:`_row_sums`);
- power-average pooling raises the input to the power, average-pools it with the core's
  :func:`npconv.im2col.avg_pool`, then scales and takes the root, as PyTorch's formula
  does; its backward runs the core's average-pool backward between the two.

Every trick is one small function below ("Why it is fast"), named at its call site.

Stepping through in a debugger: adaptive max pooling and its backward, and the ops that
hand their work to the core's pooling (adaptive average pooling's backward on ordinary
windows, power-average pooling), run their chunks on a thread pool.  With one thread
(``OMP_NUM_THREADS=1 python ...``) every chunk runs in the calling thread, one after
another, and the result is the same.  Everything else here runs in the calling thread.
"""

import math

import numpy as np

from .. import im2col as core
from ..shapes import (
    adaptive_pool_widest_window,
    adaptive_pool_window,
    lp_pool_mean_gradient,
    lp_pool_power,
)

__all__ = [
    "unfold", "unfold_backward", "fold", "fold_backward",
    "max_unpool", "max_unpool_backward",
    "adaptive_avg_pool", "adaptive_avg_pool_backward",
    "adaptive_max_pool", "adaptive_max_pool_backward",
    "lp_pool", "lp_pool_backward",
]


FEW_TAPS = 64
"""Rows of at most this many cells are reduced by one elementwise pass per cell."""

ORDINARY_POOLING_CELLS = 16
"""Regular adaptive windows of at most this many cells go to the core's pooling.

Used by adaptive max pooling (forward and backward) and adaptive average pooling's
backward, through :func:`_ordinary_pooling_kernel`.
"""


# --------------------------------------------------------------------------------------------
# Unfold and fold: the core's im2col and col2im
# --------------------------------------------------------------------------------------------

def unfold(x, kernel_size, dilation, padding, stride):
    """Unfold (im2col) as the core's :func:`npconv.im2col.im2col`: every window as a column.

    Cheat sheet: "Convolution operation".  Window ``l`` of channel ``c`` becomes rows
    ``c*K .. c*K + K - 1`` of column ``l``, its taps in row-major order; taps on the
    padding read 0.  The geometry comes in ``F.unfold``'s order (dilation, padding,
    stride), and the call passes it on in the core's.

    Why it is fast: for one kernel tap, the cells it reads in all windows are one strided
    slice of the unpadded input, so the whole matrix is filled by one copy per tap (and
    zeros where the tap lands on the padding).

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    kernel_size, dilation, stride : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension

    Returns
    -------
    ndarray, shape (N, C * K, L)
        ``L = prod(out_size)`` windows with, per dimension,
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``.

    See Also
    --------
    fold : the adjoint, which adds the columns back.
    npconv.family.loops.unfold : the same numbers, one window per line of Python.
    npconv.unfold : the checked public entry point.

    Examples
    --------
    >>> unfold(np.arange(5.).reshape(1, 1, 5), (3,), (1,), ((0, 0),), (2,))
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])
    """
    return core.im2col(x, kernel_size, stride, padding, dilation)    # (N, C * K, L)


def fold(cols, out_size, kernel_size, dilation, padding, stride):
    """Fold (col2im) as the core's :func:`npconv.im2col.col2im`: every column added onto its window.

    Cheat sheet: "Convolution operation", run backwards.  Column ``l`` goes back onto
    window ``l``; where windows overlap the cells add up, and column cells that fall on
    the padding are dropped.  ``C`` is the columns' row count over ``K``.

    Why it is fast: one strided ``+=`` per kernel tap over all windows, as :func:`unfold`
    copies.

    Parameters
    ----------
    cols : ndarray, shape (N, C * K, L)
    out_size : tuple of int
        The output's spatial size (unfold's ``in_size``).
    kernel_size, dilation, padding, stride
        As for :func:`unfold`; ``L`` must be the number of windows they give on
        ``out_size``.

    Returns
    -------
    ndarray, shape (N, C, *out_size)

    See Also
    --------
    unfold : the adjoint, which cut the windows out.
    npconv.family.loops.fold : the same numbers, one window per line of Python.
    npconv.fold : the checked public entry point.

    Examples
    --------
    Columns of ones count the windows that cover each cell:

    >>> fold(np.ones((1, 3, 2)), (5,), (3,), (1,), ((0, 0),), (2,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    N, rows_per_image, _ = cols.shape
    C = rows_per_image // math.prod(kernel_size)
    return core.col2im(cols, (N, C, *out_size), kernel_size, stride, padding, dilation)


def unfold_backward(grad_output, x, kernel_size, dilation, padding, stride):
    """Gradient of :func:`unfold`: :func:`fold` of ``grad_output`` onto the input's shape.

    Unfold only copies cells, so each input cell collects the gradients of the column
    cells that copied it; only ``x``'s shape is used.

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
    npconv.family.loops.unfold_backward : the same numbers.
    npconv.unfold_backward : the checked public entry point.

    Examples
    --------
    >>> unfold_backward(np.ones((1, 3, 2)), np.zeros((1, 1, 5)), (3,), (1,), ((0, 0),), (2,))
    array([[[1., 1., 2., 1., 1.]]])
    """
    return fold(grad_output, x.shape[2:], kernel_size, dilation, padding, stride)


def fold_backward(grad_output, cols, out_size, kernel_size, dilation, padding, stride):
    """Gradient of :func:`fold`: :func:`unfold` of ``grad_output``, in the columns' shape.

    Fold only adds column cells onto output cells, so each column cell reads the gradient
    of the cell it was added to; ``cols`` itself is not read.

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
    npconv.family.loops.fold_backward : the same numbers.
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
# Max unpooling
# --------------------------------------------------------------------------------------------

def max_unpool(x, indices, out_size):
    """Max unpooling as one scatter of every input cell into the zeroed output.

    Cheat sheet: "Pooling operation", undone as far as it can be.  All ``(n, c)`` planes
    are flattened into one, their indices shifted to match
    (:func:`npconv.im2col.flat_targets`), and :func:`_scatter_last_wins` writes every cell
    at once.  Of several cells with the same index the last in row-major order stays, as
    in :func:`npconv.family.loops.max_unpool`: when such cells carry different values, the
    scatter finds each cell's last writer and writes again.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    indices : ndarray of int, shape (N, C, *in_size)
        Flat positions within an ``(n, c)`` plane of the output, each checked to lie in it.
    out_size : tuple of int

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        Zero wherever no index points.

    See Also
    --------
    npconv.family.loops.max_unpool : the same numbers, one input cell per line of Python.
    npconv.max_unpool : the checked public entry point.

    Examples
    --------
    >>> max_unpool(np.array([[[5., 7.]]]), np.array([[[1, 3]]]), (4,))
    array([[[0., 5., 0., 7.]]])
    >>> max_unpool(np.array([[[5., 7.]]]), np.array([[[2, 2]]]), (4,))   # the last one stays
    array([[[0., 0., 7., 0.]]])
    """
    N, C, *in_size = x.shape
    targets = core.flat_targets(indices, math.prod(out_size))  # (N*C*prod(in_size),): flat cells
    out = np.zeros(N * C * math.prod(out_size), dtype=x.dtype)
    _scatter_last_wins(out, targets, x.reshape(-1))            # x as (N*C*prod(in_size),)
    return out.reshape(N, C, *out_size)


def max_unpool_backward(grad_output, x, indices, out_size):
    """Gradient of :func:`max_unpool` as one gather: each input cell reads its index's gradient.

    The same flat targets as :func:`max_unpool`, read with one ``np.take``.  Cells that
    share an index all read the same gradient, also those whose value the forward
    overwrote.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, indices, out_size
        As for :func:`max_unpool`; only ``x``'s shape and dtype are used.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.loops.max_unpool_backward : the same numbers, one input cell per line.
    npconv.max_unpool_backward : the checked public entry point.

    Examples
    --------
    >>> max_unpool_backward(np.array([[[10., 20., 30., 40.]]]), np.zeros((1, 1, 2)),
    ...                     np.array([[[1, 1]]]), (4,))
    array([[[20., 20.]]])
    """
    targets = core.flat_targets(indices, math.prod(out_size))  # (N*C*prod(in_size),): flat cells
    grad_x = np.take(grad_output.reshape(-1), targets)        # (N*C*prod(in_size),)
    return grad_x.reshape(x.shape).astype(np.result_type(grad_output, x), copy=False)


# --------------------------------------------------------------------------------------------
# Adaptive pooling: separable, so one spatial dimension at a time
# --------------------------------------------------------------------------------------------

def adaptive_avg_pool(x, out_size):
    """Adaptive average pooling: the windows' means along the first spatial axis, then the next...

    Cheat sheet: "Pooling operation" (average pooling), with the output size given.  A
    window is a box, so its mean is the mean, along the first axis, of the means along the
    others.  For each spatial axis in turn, from the first to the last, the axis's windows
    are cut out as rows (:func:`_windows_along`), each row is summed (:func:`_row_sums`)
    and divided by its window's width.  Unlike its backward, this op never hands ordinary
    windows to the core's pooling (:func:`_ordinary_pooling_kernel` names the ops for
    which that was measured faster).  An output size of 0 gives an empty output.

    Why this order is fast: pooling the first spatial axis adds whole contiguous rows and
    shrinks the array before the last axis, whose short rows cost the most per cell, is
    pooled.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    out_size : tuple of int

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        Output cell ``i`` averages the input cells ``floor(i * in / out)`` to
        ``ceil((i + 1) * in / out)`` (end excluded), per dimension.

    See Also
    --------
    npconv.family.loops.adaptive_avg_pool : the same numbers, one window per line of Python.
    npconv.adaptive_avg_pool : the checked public entry point.

    Examples
    --------
    >>> adaptive_avg_pool(np.array([[[1., 2., 3., 4., 5.]]]), (3,))
    array([[[1.5, 3. , 4.5]]])
    """
    if 0 in out_size:                            # no windows at all
        return np.zeros((*x.shape[:2], *out_size), dtype=x.dtype)
    means = x
    for axis in range(2, x.ndim):
        # means: (N, C, *out_size before this axis, *in_size from it on)
        n, o = x.shape[axis], out_size[axis - 2]
        starts, ends = adaptive_pool_window(np.arange(o), n, o)
        sums = _row_sums(_windows_along(means, axis, n, o, 0), axis + 1)  # (..., o, ...)
        means = sums / _along(ends - starts, axis, sums.ndim).astype(x.dtype)  # (..., o, ...)
    return means


def adaptive_avg_pool_backward(grad_output, x, out_size):
    """Gradient of :func:`adaptive_avg_pool`: ordinary pooling's backward, or a gather per axis.

    Cheat sheet: "Pooling operation" (average pooling), run backwards.  Two paths:

    - ordinary windows (:func:`_ordinary_pooling_kernel`: the output size divides the
      input's, more than one window, at most :data:`ORDINARY_POOLING_CELLS` cells each)
      go to the core's :func:`npconv.im2col.avg_pool_backward` with kernel = stride, which
      adds each window's share onto its cells, one pass per kernel tap;
    - every other size is handled one axis at a time, from the last to the first.  Along
      one axis, input cell ``p`` lies in the windows ``adaptive_pool_window(p, out, in)``
      (in and out swapped), so its gradient is the sum of their shares ``grad / width``:
      the same window sums as the forward's, run from out to in, each cell gathering
      rather than each window scattering.

    An output size of 0 gives a zero gradient.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C, *out_size)
    x, out_size
        As for :func:`adaptive_avg_pool`; only ``x``'s shape and dtype are used.

    Returns
    -------
    ndarray, shape (N, C, *in_size)

    See Also
    --------
    npconv.family.loops.adaptive_avg_pool_backward : the same numbers, one window per line.
    npconv.adaptive_avg_pool_backward : the checked public entry point.

    Examples
    --------
    Windows 0-1, 1-3 and 3-4 of five cells, each cell's shares added up:

    >>> adaptive_avg_pool_backward(np.ones((1, 1, 3)), np.zeros((1, 1, 5)), (3,))
    array([[[0.5       , 0.83333333, 0.33333333, 0.83333333, 0.5       ]]])

    Four cells to two are ordinary windows of 2 (the core's average-pool backward):

    >>> adaptive_avg_pool_backward(np.ones((1, 1, 2)), np.zeros((1, 1, 4)), (2,))
    array([[[0.5, 0.5, 0.5, 0.5]]])
    """
    kernel_size = _ordinary_pooling_kernel(x.shape[2:], out_size)
    if kernel_size:                              # ordinary windows: the core's pooling
        return core.avg_pool_backward(grad_output, x, kernel_size, kernel_size,
                                      _no_padding_no_dilation(x)[0], False, True, None)
    grad = grad_output.astype(np.result_type(grad_output, x), copy=False)
    if 0 in out_size:                            # no windows: nothing flows back
        return np.zeros(x.shape, dtype=grad.dtype)
    for axis in reversed(range(2, x.ndim)):
        # grad: (N, C, *out_size up to this axis, *in_size after it)
        n, o = x.shape[axis], out_size[axis - 2]
        starts, ends = adaptive_pool_window(np.arange(o), n, o)
        share = grad / _along(ends - starts, axis, grad.ndim).astype(grad.dtype)  # (..., o, ...)
        grad = _row_sums(_windows_along(share, axis, o, n, 0), axis + 1)  # (..., n, ...)
    return grad


def adaptive_max_pool(x, out_size):
    """Adaptive max pooling: ordinary max pooling, or every window as a row and one argmax.

    Cheat sheet: "Pooling operation" (max pooling), with the output size given.  Two paths:

    - ordinary windows (:func:`_ordinary_pooling_kernel`: the output size divides the
      input's, more than one window, at most :data:`ORDINARY_POOLING_CELLS` cells each)
      go to the core's :func:`npconv.im2col.max_pool` with kernel = stride;
    - every other size, a block of ``(n, c)`` planes and windows at a time
      (:func:`_adaptive_winners`): every window's cells are copied into a row of their
      own, all windows padded to the widest one's box by repeating their last cells
      (:func:`_adaptive_window_cells`), and :func:`_first_max_or_last_nan` finds each
      row's winner; the output reads the input at the winners, so it is the winning cell
      bit for bit (``-0.0`` or ``+0.0``, the NaN's payload).

    Both give PyTorch's winner: the first maximum in row-major window order, or the last
    NaN.  An output size of 0 gives empty arrays.

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
    npconv.family.loops.adaptive_max_pool : the same numbers, one window per line of Python.
    npconv.adaptive_max_pool : the checked public entry point.

    Examples
    --------
    Windows 0-1, 1-3 and 3-4 (each copied into a row), then windows of 2 (ordinary pooling):

    >>> adaptive_max_pool(np.array([[[1., 5., 2., 7., 3.]]]), (3,))
    (array([[[5., 7., 7.]]]), array([[[1, 3, 3]]]))
    >>> adaptive_max_pool(np.array([[[1., 5., 2., 7.]]]), (2,))
    (array([[[5., 7.]]]), array([[[1, 3]]]))
    """
    kernel_size = _ordinary_pooling_kernel(x.shape[2:], out_size)
    if kernel_size:                              # ordinary windows: the core's pooling
        return core.max_pool(x, kernel_size, kernel_size, *_no_padding_no_dilation(x), False)
    N, C, *in_size = x.shape
    indices = _adaptive_winners(x, out_size)                         # (N*C, L)
    planes = x.reshape(N * C, math.prod(in_size))                    # (N*C, prod(in_size))
    out = np.take_along_axis(planes, indices, 1)      # the winning cells themselves, bit for bit
    return out.reshape(N, C, *out_size), indices.reshape(N, C, *out_size)


def adaptive_max_pool_backward(grad_output, x, out_size):
    """Gradient of :func:`adaptive_max_pool`: every output's gradient added at its winner.

    Cheat sheet: "Pooling operation" (max pooling), run backwards.  The winners are found
    again on the forward's two paths: ordinary windows (:func:`_ordinary_pooling_kernel`)
    go to the core's :func:`npconv.im2col.max_pool_backward` with kernel = stride; for
    every other size :func:`_adaptive_winners` finds them, a block of planes and windows
    at a time, and :func:`_add_at_winners` adds each window's gradient at its winner, in
    window order (windows overlap, so a cell can win several).

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
    npconv.family.loops.adaptive_max_pool_backward : the same numbers, one window per line.
    npconv.adaptive_max_pool_backward : the checked public entry point.

    Examples
    --------
    Cell 3 wins two overlapping windows:

    >>> adaptive_max_pool_backward(np.ones((1, 1, 3)), np.array([[[1., 5., 2., 7., 3.]]]), (3,))
    array([[[0., 1., 0., 2., 0.]]])
    """
    kernel_size = _ordinary_pooling_kernel(x.shape[2:], out_size)
    if kernel_size:                              # ordinary windows: the core's pooling
        return core.max_pool_backward(grad_output, x, kernel_size, kernel_size,
                                      *_no_padding_no_dilation(x), False)
    N, C, *in_size = x.shape
    grad_x = np.zeros((N * C, math.prod(in_size)), dtype=np.result_type(grad_output, x))
    winners = _adaptive_winners(x, out_size)                          # (N*C, L)
    grad_planes = grad_output.reshape(winners.shape)                  # (N*C, L)
    _add_at_winners(grad_x, winners, grad_planes)     # one thread: windows share cells
    return grad_x.reshape(x.shape)                                    # (N, C, *in_size)


# --------------------------------------------------------------------------------------------
# Power-average pooling (finite powers): the core's average pooling of the powers
# --------------------------------------------------------------------------------------------

def _mean_powers(x, norm_type, kernel_size, stride, ceil_mode):
    """``x ** p`` (N, C, *in_size) and its average pooling (N, C, *out_size), no padding.

    The pooled array holds each window's mean of powers, divided by the cells the window
    holds (a ``ceil_mode`` window cut short divides by fewer).
    """
    no_padding, _ = _no_padding_no_dilation(x)
    powers = lp_pool_power(x, norm_type)                 # (N, C, *in_size)
    with np.errstate(invalid="ignore"):                  # inf - inf is NaN, as in PyTorch
        mean_power = core.avg_pool(powers, kernel_size, stride, no_padding, ceil_mode, True,
                                   None)                 # (N, C, *out_size)
    # PyTorch's window sums start at +0 (as np.sum does), the core's at the first tap: adding
    # +0 turns a -0 mean into +0 and changes nothing else (its -1 power is +inf, not -inf).
    mean_power += 0.0
    return powers, mean_power


def lp_pool(x, norm_type, kernel_size, stride, ceil_mode):
    """Power-average pooling as PyTorch writes it: average-pool ``x ** p``, scale, root.

    Cheat sheet: "Pooling operation", between average and max.  Per window
    ``(K * mean(x ** p)) ** (1 / p)`` with ``K = prod(kernel_size)``: the powers are
    average-pooled by the core's :func:`npconv.im2col.avg_pool` (:func:`_mean_powers`),
    then scaled by ``K`` and raised to ``1 / p`` over the whole output at once.  The mean
    divides by the cells a window holds, so a ``ceil_mode`` window cut short has its sum
    scaled up by ``K / cells``, as in PyTorch.

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
        ``ceil_mode``.

    See Also
    --------
    npconv.family.loops.lp_pool : the same numbers, one window per line of Python.
    npconv.lp_pool : the checked public entry point.

    Examples
    --------
    ``sqrt(3**2 + 4**2) = 5``, ``sqrt(6**2 + 8**2) = 10``, and the last window, cut short,
    ``sqrt(2 * 5**2)``:

    >>> lp_pool(np.array([[[3., 4., 6., 8., 5.]]]), 2.0, (2,), (2,), True)
    array([[[ 5.        , 10.        ,  7.07106781]]])
    """
    _, mean_power = _mean_powers(x, norm_type, kernel_size, stride, ceil_mode)
    return lp_pool_power(mean_power * math.prod(kernel_size), 1 / norm_type)


def lp_pool_backward(grad_output, x, norm_type, kernel_size, stride, ceil_mode):
    """Gradient of :func:`lp_pool`: through the root, the core's average-pool backward, the power.

    The forward's mean of powers is computed again (:func:`_mean_powers`);
    :func:`npconv.shapes.lp_pool_mean_gradient` takes the gradient through the root and
    PyTorch's ``sign * relu(abs)`` to the mean; the core's
    :func:`npconv.im2col.avg_pool_backward` spreads it over each window's cells; and the
    whole array of what the cells collected is multiplied at once by ``p * x ** (p - 1)``.
    A zero cell with ``p < 1`` has an infinite derivative there, so if it collected 0 its
    gradient is ``0 * inf``, NaN, as PyTorch's is.

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
    npconv.family.loops.lp_pool_backward : the same numbers, one window per line of Python.
    npconv.lp_pool_backward : the checked public entry point.

    Examples
    --------
    ``out = sqrt(3**2 + 4**2) = 5``, whose gradient is ``x / out``:

    >>> lp_pool_backward(np.ones((1, 1, 1)), np.array([[[3., 4.]]]), 2.0, (2,), (2,), False)
    array([[[0.6, 0.8]]])
    """
    powers, mean_power = _mean_powers(x, norm_type, kernel_size, stride, ceil_mode)
    grad_mean = lp_pool_mean_gradient(grad_output, mean_power, norm_type,
                                      math.prod(kernel_size))        # (N, C, *out_size)
    no_padding, _ = _no_padding_no_dilation(x)
    grad_powers = core.avg_pool_backward(grad_mean, powers, kernel_size, stride, no_padding,
                                         ceil_mode, True, None)      # (N, C, *in_size)
    with np.errstate(invalid="ignore"):                  # 0 * inf is NaN, as in PyTorch
        return grad_powers * (norm_type * lp_pool_power(x, norm_type - 1))


# --------------------------------------------------------------------------------------------
# The tricks, one small function each (the ops above call them)
# --------------------------------------------------------------------------------------------

def _scatter_last_wins(out, targets, values):
    """``out[targets[k]] = values[k]`` for every ``k`` in order: of repeated targets the last stays.

    ``out`` (M,) is filled in place and returned; ``targets`` (T,) are int positions in it
    and ``values`` (T,) what goes there.  Why it is fast: one NumPy fancy assignment writes
    every value.  NumPy does not promise the order of the writes when a target repeats, so
    the cells are read back: if every cell holds, bit for bit, the value each of its
    writers wrote (always so without repeats, and when repeats carry equal values, as after
    overlapping max pooling windows), any order gave the same result.  Only otherwise is
    the last writer of every cell found, with ``np.maximum.at`` over the write order, which
    is several times slower.
    """
    out[targets] = values
    unsigned = np.dtype(f"u{values.itemsize}")
    landed = out[targets].view(unsigned)          # (T,): the bits each write's cell now holds
    if np.array_equal(landed, np.ascontiguousarray(values).view(unsigned)):
        return out
    # a repeated target with different values: write again, each cell's last writer only
    last_writer = np.full(out.shape, -1, dtype=np.int64)
    np.maximum.at(last_writer, targets, np.arange(targets.size))
    written = last_writer >= 0
    out[written] = values[last_writer[written]]
    return out


def _ordinary_pooling_kernel(in_size, out_size):
    """The kernel (= stride) of ordinary pooling with the same windows, if it is fast; else None.

    ``in_size`` and ``out_size`` are the spatial sizes, one int per dimension; the kernel is
    ``in / out`` per dimension.  When ``out`` divides ``in`` along every axis, the adaptive
    windows are those of max and average pooling with kernel = stride = ``in / out`` (an
    identity the tests prove).  Why it is fast: the core's pooling makes one elementwise
    pass per kernel cell over all windows, on all cores, which beats cutting the windows
    out (for the max, and for the average's backward) while they hold at most
    :data:`ORDINARY_POOLING_CELLS` cells.  For the max, on (8, 64, 56, 56) float32 on one
    thread: 2x2 windows 2.5x and 4x4 windows 1.2x faster than copying the windows into rows
    (:func:`_first_max_or_last_nan`), which wins from 8x8 on.

    Returns None, so that the caller takes its other path (the window rows for the max, one
    axis at a time for the average), when some ``out`` does not divide its ``in``, when the
    windows hold more than :data:`ORDINARY_POOLING_CELLS` cells, when an output size is 0
    (no windows), and for global pooling (a single window, which the other paths finish in
    a few calls).

    Examples
    --------
    >>> _ordinary_pooling_kernel((8, 8), (2, 4)), _ordinary_pooling_kernel((8, 8), (1, 1))
    ((4, 2), None)
    """
    if (0 in out_size or math.prod(out_size) == 1
            or any(n % o for n, o in zip(in_size, out_size))):
        return None
    kernel_size = tuple(n // o for n, o in zip(in_size, out_size))
    return kernel_size if math.prod(kernel_size) <= ORDINARY_POOLING_CELLS else None


def _no_padding_no_dilation(x):
    """``((0, 0),) * d`` and ``(1,) * d``: the padding and dilation of a pooling without either.

    ``d = x.ndim - 2``, the spatial dimensions of ``x`` (N, C, *size).
    """
    spatial_dims = x.ndim - 2
    return ((0, 0),) * spatial_dims, (1,) * spatial_dims


def _along(array, axis, ndim):
    """``array`` reshaped to broadcast from ``axis`` on, in an array of ``ndim`` axes.

    A 1-D array ``(m,)`` lines up with ``axis``: ``(1, ..., 1, m, 1, ..., 1)``; a 2-D one
    ``(m, k)`` with ``axis`` and the axis after it.
    """
    shape = [1] * ndim
    shape[axis:axis + array.ndim] = array.shape
    return array.reshape(shape)                  # (1, ..., *array.shape, ..., 1): a view


def _windows_along(values, axis, in_size, out_size, fill):
    """Every adaptive window along ``axis`` as a row, its cells along ``axis + 1``.

    ``values`` ``(..., in_size, ...)``, with ``in_size`` cells along ``axis``, becomes
    ``(..., out_size, widest, ...)``; the other axes stay as they are.  Window ``i`` from
    ``in_size`` to ``out_size`` cells (:func:`npconv.shapes.adaptive_pool_window`) becomes
    row ``i``, and a window shorter than the widest one
    (:func:`npconv.shapes.adaptive_pool_widest_window`) is filled up with ``fill`` (one
    that the reduction ignores: 0 for a sum).

    Why it is fast: one NumPy call cuts out all windows of all images, whatever their
    widths: a reshape, no copy, when ``out_size`` divides ``in_size``; otherwise one
    ``np.take`` of ``out_size * widest`` cells (fewer than ``in_size + 2 * out_size``) per
    row of the other axes.  After that every tap is one slice over all windows, so the
    reduction (:func:`_row_sums`) works on all windows at once, where
    windows of different starts and widths could not be reached by one strided slice.
    """
    widest = adaptive_pool_widest_window(in_size, out_size)
    if out_size and in_size % out_size == 0:
        # (..., out_size, widest, ...): a view, window i is cells i*widest to (i+1)*widest - 1
        return values.reshape(values.shape[:axis] + (out_size, widest) + values.shape[axis + 1:])
    starts, ends = adaptive_pool_window(np.arange(out_size), in_size, out_size)
    taps = np.arange(widest)
    # taps past a window's end read some cell (clipped to stay in the input), filled below
    positions = np.minimum(starts[:, None] + taps, in_size - 1)      # (out_size, widest)
    windows = np.take(values, positions, axis=axis)                   # (..., out, widest, ...)
    beyond_the_end = taps >= (ends - starts)[:, None]                 # (out_size, widest)
    np.copyto(windows, fill, where=_along(beyond_the_end, axis, windows.ndim))
    return windows


def _row_sums(windows, axis):
    """The sum of every row of :func:`_windows_along`, whose cells lie along ``axis``.

    ``windows`` ``(..., out, widest, ...)`` gives ``(..., out, ...)``: the sum removes the
    row's axis.

    Why it is fast: NumPy's reduction along a short axis pays a fixed cost per row, so a
    row of few cells (at most :data:`FEW_TAPS`) is summed by one elementwise ``+=`` per
    cell over all rows at once; a long row (global pooling, or any window wider than
    :data:`FEW_TAPS`) by one ``np.sum`` call.
    """
    widest = windows.shape[axis]
    if widest > FEW_TAPS:
        sums = windows.sum(axis=axis)
    else:
        cells = [windows[(slice(None),) * axis + (tap,)] for tap in range(widest)]
        sums = cells[0].copy()                                   # (..., out, ...)
        for cell in cells[1:]:
            sums += cell
    # A sum that starts from 0, as PyTorch's and the loops' do, turns a row of -0.0 into
    # +0.0; these sums start from the first cell, so add that 0 (it changes nothing else).
    sums += 0.0
    return sums


def _add_at_winners(grad_planes, winners, grad_output):
    """``grad_planes[i, winners[i, l]] += grad_output[i, l]`` for every window, in order.

    ``grad_planes`` (n, P), C-contiguous, collects in place; ``winners`` and
    ``grad_output`` are (n, L).  A cell that won several windows adds their gradients one
    after the other, in window order and in ``grad_planes``' dtype, as the loop variant
    does; a NaN or infinite gradient reaches its winner and no other cell.

    Why it is fast: ``np.add.at`` makes one unbuffered pass over the windows (since NumPy
    1.25 about as fast as a fancy assignment), where ``np.bincount`` would sum into a
    float64 array as large as the planes and copy it back.
    """
    n, P = grad_planes.shape
    targets = np.arange(n)[:, None] * P + winners             # (n, L): flat in grad_planes
    flat_planes = grad_planes.reshape(-1)        # (n*P,): a view, as grad_planes is contiguous
    np.add.at(flat_planes, targets, grad_output)


def _adaptive_window_cells(in_size, out_size, first=0, last=None):
    """Where adaptive windows' cells lie in an ``(n, c)`` plane: flat positions (w, K).

    Row ``l`` is window ``first + l`` (windows in row-major order, ``first`` to ``last``
    excluded, by default all ``prod(out_size)`` of them); its ``K`` entries are the
    cells of the window's box in row-major order, every box as large as the widest window
    (:func:`npconv.shapes.adaptive_pool_widest_window`, per axis).  Along an axis where a
    window is narrower than the widest, its taps past the end repeat its last cell.  A
    repeated cell comes, in row-major order, after the cell it repeats, so it never changes
    which cell is the first maximum nor which input cell the last NaN is (axis by axis, the
    box's last slice is repeated after itself).  No ``-inf`` fill is needed, and every
    entry is a cell of its window.

    Examples
    --------
    Five cells to three: windows 0-1, 1-3 and 3-4, the first and last with their last cell
    repeated:

    >>> _adaptive_window_cells((5,), (3,))
    array([[0, 1, 1],
           [1, 2, 3],
           [3, 4, 4]])
    """
    last = math.prod(out_size) if last is None else last
    position = np.unravel_index(np.arange(first, last), out_size)   # per axis, (w,)
    spatial_dims = len(in_size)
    coordinates = []                             # one per axis, broadcast to (w, *widest)
    for axis, (n, o) in enumerate(zip(in_size, out_size)):
        starts, ends = adaptive_pool_window(position[axis], n, o)     # (w,) each
        taps = np.arange(adaptive_pool_widest_window(n, o))
        along = np.minimum(starts[:, None] + taps, ends[:, None] - 1)   # (w, widest)
        shape = [len(along)] + [1] * spatial_dims
        shape[1 + axis] = along.shape[1]
        coordinates.append(along.reshape(shape))   # (w, 1, .., widest, .., 1)
    cells = np.ravel_multi_index(np.broadcast_arrays(*coordinates), in_size)  # (w, *widest)
    return cells.reshape(last - first, math.prod(cells.shape[1:]))           # (w, K)


def _adaptive_winners(x, out_size):
    """Every adaptive window's winner, flat in its ``(n, c)`` plane: (N*C, L) int64.

    ``x`` (N, C, *in_size).  The work goes in blocks of planes and windows
    (:func:`_window_blocks`) on all cores: each block builds only its own windows' cells
    (:func:`_adaptive_window_cells`), finds their winners (:func:`_first_max_or_last_nan`)
    and writes its own part of the result.
    """
    N, C, *in_size = x.shape
    L = math.prod(out_size)
    indices = np.empty((N * C, L), dtype=np.int64)                   # (N*C, L)
    planes = x.reshape(N * C, math.prod(in_size))                    # (N*C, prod(in_size))
    widest = math.prod(adaptive_pool_widest_window(n, o) for n, o in zip(in_size, out_size))

    def block(first_plane, last_plane, first_window, last_window):
        cells = _adaptive_window_cells(in_size, out_size, first_window, last_window)  # (w, K)
        rows, windows = slice(first_plane, last_plane), slice(first_window, last_window)
        indices[rows, windows] = _first_max_or_last_nan(planes[rows], cells)

    # a window's cost in a block: its cells' positions (int64) and their copied values
    core._on_all_cores(block, _window_blocks(N * C, L, widest * (8 + x.itemsize)))
    return indices


def _window_blocks(plane_count, window_count, window_bytes):
    """Blocks ``(first_plane, last_plane, first_window, last_window)`` covering every
    window of every plane, each about :data:`npconv.im2col.CACHE_CHUNK_BYTES` of windows
    (``window_bytes`` per window: its cells' positions and copied values).

    Why: a block builds its windows' cells and :func:`_first_max_or_last_nan` copies them
    out, so the memory in use follows the block, not the batch nor one plane: whole planes
    while a plane's windows fit, otherwise one plane at a time in ranges of windows (which
    also spreads a single large plane over the cores).

    >>> _window_blocks(3, 4, 2 ** 20)             # 4 MiB of windows per plane: 2 per block
    [(0, 1, 0, 2), (0, 1, 2, 4), (1, 2, 0, 2), (1, 2, 2, 4), (2, 3, 0, 2), (2, 3, 2, 4)]
    """
    if window_count == 0:
        return []
    plane_bytes = window_count * window_bytes
    if plane_bytes <= core.CACHE_CHUNK_BYTES:
        return [(start, stop, 0, window_count)
                for start, stop in core._chunks(plane_count, plane_bytes,
                                                core.CACHE_CHUNK_BYTES)]
    per_block = max(1, core.CACHE_CHUNK_BYTES // window_bytes)
    return [(plane, plane + 1, first, min(first + per_block, window_count))
            for plane in range(plane_count)
            for first in range(0, window_count, per_block)]


def _first_max_or_last_nan(planes, cells):
    """Each window's winner, flat in its plane, by PyTorch's rule: (n, L) int64.

    ``planes`` (n, P) are flattened ``(n, c)`` planes and ``cells`` (L, K) the windows'
    cells in them (:func:`_adaptive_window_cells`).  The winner is the first maximum in
    row-major window order, or the last NaN of a window that holds NaN
    (:func:`npconv.shapes.window_argmax`); a window of ``-inf`` names its first cell.

    Why it is fast: one ``np.take`` copies every window of every plane into a row of its
    own, (n, L, K), whatever the windows' starts and widths, and one ``np.argmax`` along
    the rows (a compiled loop, vectorised for float32 and float64) finds every first
    maximum: ``K`` cells cost two passes, not the one or more passes per cell of running
    maxima.  ``np.argmax`` takes the *first* NaN as the maximum, so only the windows whose
    winner is NaN, usually none, are searched again, from their ends, for their last NaN.
    """
    L, K = cells.shape
    if K == 1:                                   # one cell per window: no search (upsampling)
        return np.broadcast_to(cells.T, (len(planes), L))         # (n, L)
    windows = np.take(planes, cells, axis=1)                      # (n, L, K)
    winner = np.argmax(windows, axis=2)                           # (n, L): tap in the window
    at_winner = np.take_along_axis(windows, winner[..., None], 2)[..., 0]   # (n, L)
    has_nan = np.isnan(at_winner)                                 # (n, L)
    if has_nan.any():
        nan_rows = np.isnan(windows[has_nan])                     # (m, K): NaN windows only
        winner[has_nan] = K - 1 - np.argmax(nan_rows[:, ::-1], axis=1)   # the last NaN
    return np.take_along_axis(cells[None], winner[..., None], 2)[..., 0]   # (n, L)
