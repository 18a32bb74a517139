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
  max or average pooling with kernel = stride.  Every other size, and adaptive average
  pooling's forward always, pools one spatial axis at a time (a window is a box, so the
  pooling is separable): the axis's windows are cut out as rows by one reshape or gather
  (:func:`_windows_along`), and the rows reduced all at once (:func:`_row_sums`,
  :func:`_row_max`);
- power-average pooling raises the input to the power, average-pools it with the core's
  :func:`npconv.im2col.avg_pool`, then scales and takes the root, as PyTorch's formula
  does; its backward runs the core's average-pool backward between the two.

Every trick is one small function below ("Why it is fast"), named at its call site.

Stepping through in a debugger: the ops that hand their work to the core's pooling
(adaptive max pooling and adaptive average pooling's backward on ordinary windows,
power-average pooling) run its chunks on a thread pool.  With one thread
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
    window_argmax,
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
    at once.  Of several
    cells with the same index the last in row-major order stays, as in
    :func:`npconv.family.loops.max_unpool`: when such cells carry different values, the
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
    """Adaptive max pooling: ordinary max pooling, or running maxima one axis at a time.

    Cheat sheet: "Pooling operation" (max pooling), with the output size given.  Two paths:

    - ordinary windows (:func:`_ordinary_pooling_kernel`: the output size divides the
      input's, more than one window, at most :data:`ORDINARY_POOLING_CELLS` cells each)
      go to the core's :func:`npconv.im2col.max_pool` with kernel = stride;
    - every other size goes to :func:`_adaptive_argmax`, which pools one axis at a time,
      the last first: each window's cells cut out as a row (:func:`_windows_along`) and
      reduced by running maxima over all rows at once (:func:`_row_max`), the winners'
      coordinates carried along.

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
    Windows 0-1, 1-3 and 3-4 (one axis at a time), then windows of 2 (ordinary pooling):

    >>> adaptive_max_pool(np.array([[[1., 5., 2., 7., 3.]]]), (3,))
    (array([[[5., 7., 7.]]]), array([[[1, 3, 3]]]))
    >>> adaptive_max_pool(np.array([[[1., 5., 2., 7.]]]), (2,))
    (array([[[5., 7.]]]), array([[[1, 3]]]))
    """
    kernel_size = _ordinary_pooling_kernel(x.shape[2:], out_size)
    if kernel_size:                              # ordinary windows: the core's pooling
        return core.max_pool(x, kernel_size, kernel_size, *_no_padding_no_dilation(x), False)
    return _adaptive_argmax(x, out_size)


def adaptive_max_pool_backward(grad_output, x, out_size):
    """Gradient of :func:`adaptive_max_pool`: every output's gradient added at its winner.

    Cheat sheet: "Pooling operation" (max pooling), run backwards.  The winners are found
    again on the forward's two paths: ordinary windows (:func:`_ordinary_pooling_kernel`)
    go to the core's :func:`npconv.im2col.max_pool_backward` with kernel = stride; for
    every other size :func:`_adaptive_argmax` finds them, and the core's
    :func:`npconv.im2col.scatter_to_winners` adds up, in one ``np.bincount``, the
    gradients of the windows a cell won (windows overlap, so a cell can win several).

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
    _, indices = _adaptive_argmax(x, out_size)                  # (N, C, *out_size)
    grad_x = np.empty(x.shape, dtype=np.result_type(grad_output, x))   # every cell set below
    core.scatter_to_winners(grad_output, indices, grad_x)
    return grad_x


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
    :data:`ORDINARY_POOLING_CELLS` cells (2x2 and 4x4 windows; at 8x8 the cut-out is twice
    as fast).  Measured with ``npconv bench``'s method on ResNet-like sizes.

    Returns None, so that the caller pools one axis at a time, when some ``out`` does not
    divide its ``in``, when the windows hold more than :data:`ORDINARY_POOLING_CELLS` cells,
    when an output size is 0 (no windows), and for global pooling (a single window, which
    the reductions here finish in a few calls).

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
    that the reduction ignores: 0 for a sum, ``-inf`` for a maximum).

    Why it is fast: one NumPy call cuts out all windows of all images, whatever their
    widths: a reshape, no copy, when ``out_size`` divides ``in_size``; otherwise one
    ``np.take`` of ``out_size * widest`` cells (fewer than ``in_size + 2 * out_size``) per
    row of the other axes.  After that every tap is one slice over all windows, so the
    reductions (:func:`_row_sums`, :func:`_row_max`) work on all windows at once, where
    windows of different starts and widths could not be reached by one strided slice.
    """
    widest = adaptive_pool_widest_window(in_size, out_size)
    if out_size and in_size % out_size == 0:
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
        return windows.sum(axis=axis)
    cells = [windows[(slice(None),) * axis + (tap,)] for tap in range(widest)]   # (..., out, ...)
    sums = cells[0].copy()
    for cell in cells[1:]:
        sums += cell
    return sums


def _row_max(windows, axis):
    """The maximum of every row of :func:`_windows_along` and which cell it is.

    ``windows`` is ``(..., out, widest, ...)`` with the row's cells along ``axis``; returns
    the maxima and the winning cells' numbers in their rows (0 to ``widest - 1``), both
    ``(..., out, ...)``, without the row axis.  PyTorch's rules
    (:func:`npconv.shapes.window_argmax`): the first maximum, or the last NaN.  A filled
    cell (``-inf``) never comes before a real one, so it never wins.

    Why it is fast: a row of few cells (at most :data:`FEW_TAPS`) is reduced by one
    elementwise pass per cell over all rows at once: a running ``np.maximum``, then, going
    through the cells backwards, each cell equal to the maximum claims the row (so the first
    one keeps it), and going forwards each NaN claims it (so the last NaN keeps it).  A long
    row (global pooling, or any window wider than :data:`FEW_TAPS`) goes to one
    ``window_argmax`` call.
    """
    widest = windows.shape[axis]
    if widest > FEW_TAPS:
        winner = window_argmax(windows, axis=axis)                          # (..., out, ...)
        best = np.take_along_axis(windows, np.expand_dims(winner, axis), axis=axis)
        return best.squeeze(axis), winner                                   # (..., out, ...)
    cells = [windows[(slice(None),) * axis + (tap,)] for tap in range(widest)]   # (..., out, ...)
    best = cells[0].copy()
    for cell in cells[1:]:
        np.maximum(best, cell, out=best)                 # NaN propagates, as in PyTorch
    winner = np.zeros(best.shape, dtype=np.int64)
    for tap in reversed(range(widest)):
        np.copyto(winner, tap, where=cells[tap] == best)
    for tap in range(widest):
        np.copyto(winner, tap, where=np.isnan(cells[tap]))
    return best, winner


def _adaptive_argmax(x, out_size):
    """Maxima (N, C, *out_size) and their flat input indices (int64), one axis at a time.

    ``x`` is ``(N, C, *in_size)``.  Along each axis the winner of a window is
    :func:`npconv.shapes.window_argmax` of its row (the first maximum, or the last NaN; the
    fill ``-inf`` never beats a real cell).  Pooling the last axis first and then each axis
    before it keeps PyTorch's row-major order: the first maximum of the first row that
    holds the maximum, or the last NaN of the last row that holds one.  The coordinates of
    the winners found along the axes pooled already follow the winners of the next axis.
    The indices are flat within an ``(n, c)`` plane of the input.  With an output size of 0
    both arrays are empty.

    Why it is fast: a window is a box, so its maximum is the maximum of its rows' maxima,
    and each axis is pooled by one cut-out (:func:`_windows_along`) and one reduction over
    all windows (:func:`_row_max`): a window of ``k`` cells per axis costs elementwise
    passes in proportion to ``d * k``, not to its ``k ** d`` cells.
    """
    N, C, *in_size = x.shape
    if 0 in out_size:                            # no windows at all
        return (np.zeros((N, C, *out_size), dtype=x.dtype),
                np.zeros((N, C, *out_size), dtype=np.int64))
    values, found = x, []                        # found: coordinates, one array per axis
    for axis in reversed(range(2, x.ndim)):
        n, o = in_size[axis - 2], out_size[axis - 2]
        # values: (N, C, *in_size up to this axis, *out_size after it); then o cells here
        values, winner = _row_max(_windows_along(values, axis, n, o, -np.inf), axis + 1)
        row_winner = np.expand_dims(winner, axis + 1)          # (..., o, 1, ...): one tap each
        # the fill 0 is never picked: a winner is always a real cell
        found = [np.take_along_axis(_windows_along(coordinate, axis, n, o, 0), row_winner,
                                    axis=axis + 1).squeeze(axis + 1) for coordinate in found]
        starts, _ = adaptive_pool_window(np.arange(o), n, o)
        found.insert(0, _along(starts, axis, values.ndim) + winner)  # (..., o, ...): this axis
    return values, np.ravel_multi_index(found, in_size).astype(np.int64, copy=False)
