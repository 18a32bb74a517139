"""Padding, its gradient, and zero insertion.

Cheat sheet sections: "Padding" (the zero border that keeps the size: valid vs same) and
"Transposed Convolution" (adding rows and columns of zeros).

All functions pad or crop the spatial axes of a channels-first array ``(N, C, *spatial)``;
a padding is one ``(before, after)`` pair per spatial axis.  The modes are PyTorch's:

=============  ==================================  ============================
mode           padded cell copies                  e.g. ``[a b c]`` padded by 2
=============  ==================================  ============================
``zeros``      nothing: it is 0                    ``0 0 a b c 0 0``
``reflect``    the mirror image, edge not repeated ``c b a b c b a``
``replicate``  the nearest edge cell               ``a a a b c c c``
``circular``   the cell one period away            ``b c a b c a b``
=============  ==================================  ============================

Every non-zero mode is described by one index map, :func:`padded_source_at`: which input
cell the cell at a position copies.  :func:`pad` gathers through it and :func:`pad_backward`
adds the gradient back through it, so the two are exact adjoints.

The loop reference never builds a padded copy.  It reads one window at a time from the
*virtually* padded input, :func:`gather_window`, and adds a window's gradient back with the
adjoint, :func:`scatter_window`; both take the window's first tap in input coordinates
(negative: on the padding before the input) and cost what the window holds, however wide
the padding, the stride or the dilation.  :func:`taps_on_input` is the arithmetic they
share: which taps of a window land on the input rather than on its padding.
"""

import math
import numbers
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["PADDING_MODES", "padded_source", "padded_source_at", "pad", "unpad", "pad_backward",
           "pad_or_crop", "insert_zeros", "taps_on_input", "gather_window", "scatter_window",
           "is_int", "is_sequence", "PaddingMode"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
"""The type of a ``padding_mode``: one of :data:`PADDING_MODES`."""


def padded_source(size, before, after, mode, dim=None):
    """For each cell of a padded axis, the index of the input cell it copies.

    Parameters
    ----------
    size : int
        Length of the unpadded axis.
    before, after : int
        Cells added at each end.
    mode : {"reflect", "replicate", "circular"}
    dim : int, optional
        The spatial dimension, named in the error message.

    Returns
    -------
    ndarray of int64, shape (before + size + after,)

    Raises
    ------
    ValueError
        If ``mode`` has no index map, or if the axis is empty but padded: it has no cell to
        copy.

    Examples
    --------
    >>> padded_source(3, 2, 2, "reflect")
    array([2, 1, 0, 1, 2, 1, 0])
    >>> padded_source(3, 2, 2, "replicate")
    array([0, 0, 0, 1, 2, 2, 2])
    >>> padded_source(3, 2, 2, "circular")
    array([1, 2, 0, 1, 2, 0, 1])
    """
    return padded_source_at(np.arange(-before, size + after), size, mode, dim)


def padded_source_at(position, size, mode, dim=None):
    """The index map of :func:`padded_source`, evaluated only at the positions asked for.

    ``position`` is in input coordinates: ``0 .. size - 1`` is the input itself, a negative
    position lies on the padding before it, ``size`` and beyond on the padding after it.

    Parameters
    ----------
    position : array of int
    size : int
        Length of the unpadded axis.
    mode : {"reflect", "replicate", "circular"}
    dim : int, optional
        The spatial dimension, named in the error message.

    Returns
    -------
    ndarray of int64, the shape of ``position``

    Examples
    --------
    A window of three taps, two apart, starting two cells before a 4-cell input:

    >>> padded_source_at(np.array([-2, 0, 2]), size=4, mode="reflect")
    array([2, 0, 2])
    >>> padded_source_at(np.array([-1, 3]), size=0, mode="replicate", dim=1)
    Traceback (most recent call last):
    ...
    ValueError: padding_mode='replicate' copies input cells into the padding, but spatial dimension 1 is empty (size 0): there is no cell to copy
    """
    position = np.asarray(position, dtype=np.int64)
    if mode not in PADDING_MODES or mode == "zeros":
        raise ValueError(f"padding_mode={mode!r} has no index map; expected one of "
                         f"'reflect', 'replicate', 'circular'")
    if size == 0 and position.size:
        where = "the axis" if dim is None else f"spatial dimension {dim}"
        raise ValueError(f"padding_mode={mode!r} copies input cells into the padding, but "
                         f"{where} is empty (size 0): there is no cell to copy")
    if mode == "reflect":
        period = 2 * (size - 1)
        folded = np.mod(position, period) if period > 0 else np.zeros_like(position)
        return np.where(folded < size, folded, period - folded)
    if mode == "replicate":
        return np.clip(position, 0, size - 1)
    return np.mod(position, size)


def _check_mode(mode):
    if mode not in PADDING_MODES:
        raise ValueError(f"mode={mode!r} is not one of {PADDING_MODES}")


def _check_pairs(padding, x, name="padding"):
    """``padding`` must hold one pair of non-negative ints per spatial axis of ``x``."""
    spatial = x.ndim - 2
    if len(padding) != spatial:
        raise ValueError(f"{name}={padding!r} must hold one (before, after) pair per spatial "
                         f"axis: {spatial} for an array of shape {x.shape}")
    for dim, (before, after) in enumerate(padding):
        if before < 0 or after < 0:
            raise ValueError(f"{name}={padding!r} is negative in spatial dimension {dim}: "
                             f"{(before, after)}")


def is_int(value):
    """True for Python and NumPy integers, but not for bools.

    >>> is_int(3), is_int(np.int8(3)), is_int(True), is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_sequence(value):
    """True for a sequence that may hold one entry per dimension: a tuple, list, range, a
    NumPy array of at least one axis, ... but not a string.

    >>> is_sequence((1, 2)), is_sequence(range(2)), is_sequence(np.array([1, 2])), is_sequence("12")
    (True, True, True, False)
    """
    if isinstance(value, np.ndarray):
        return value.ndim >= 1
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _is_int_sequence(value, length=None):
    """True for a sequence of ints (of ``length`` entries, if given)."""
    return (is_sequence(value) and (length is None or len(value) == length)
            and all(is_int(v) for v in value))


def _check_fill_value(value, mode, dtype):
    """``value`` must be a real number that ``mode`` uses and ``dtype`` holds exactly."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"value={value!r} must be a real number, not {type(value).__name__}")
    if mode != "zeros" and value != 0:
        raise ValueError(f"value={value!r} is the fill of mode='zeros', but mode={mode!r} "
                         f"copies input cells into the padding and takes no value")
    if dtype.kind in "biu":
        lowest, highest = (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min,
                                                            np.iinfo(dtype).max)
        if not (lowest <= value <= highest and value == math.floor(value)):
            raise ValueError(f"value={value!r} does not fit an array of {dtype} (integers "
                             f"from {lowest} to {highest}): it would be stored as another "
                             f"number; pad a float array instead")


def pad(x: ArrayLike, padding: Sequence[tuple[int, int]],
        mode: PaddingMode = "zeros",
        value: float = 0.0) -> NDArray:
    """Pad the spatial axes of ``x`` (shape ``(N, C, *spatial)``).

    Cheat sheet: "Padding" (the border that lets a kernel keep the size: same padding).

    Parameters
    ----------
    x : array_like, shape (N, C, *spatial)
    padding : sequence of (before, after) pairs of int
        One pair per spatial axis, each entry at least 0.
    mode : {"zeros", "reflect", "replicate", "circular"}, default "zeros"
        What the added cells hold (the table in this module's docstring).
    value : float, default 0.0
        The fill value in ``"zeros"`` mode (max pooling pads with ``-inf``); the other modes
        copy input cells and take none.

    Returns
    -------
    ndarray, shape (N, C, *(size + before + after))
        Always a new array, of ``x``'s dtype.

    Raises
    ------
    TypeError
        If ``padding`` is not a sequence of pairs of ints, or ``value`` is not a real number.
    ValueError
        If ``x`` has fewer than two axes, ``padding`` does not hold one pair per spatial
        axis or is negative, ``mode`` is unknown, ``value`` is not 0 in a copying mode or
        does not fit an integer ``x``, or a copying mode pads an empty axis.

    See Also
    --------
    unpad, pad_backward, npconv.shapes.same_padding, npconv.conv

    Notes
    -----
    ``pad_backward`` is this function's gradient: a cell copied into the padding sends its
    gradient back to the input cell it copies.  A copying mode may pad wider than the axis:
    ``"reflect"`` keeps reflecting and ``"circular"`` keeps wrapping, as ``np.pad``'s
    ``"reflect"`` and ``"wrap"`` do; PyTorch refuses reflect padding of ``size`` or more and
    circular padding of more than ``size``, and so does :func:`npconv.conv`.

    Examples
    --------
    >>> x = np.array([[[1., 2., 3.]]])
    >>> pad(x, [(2, 1)])
    array([[[0., 0., 1., 2., 3., 0.]]])
    >>> pad(x, [(2, 1)], "reflect")
    array([[[3., 2., 1., 2., 3., 2.]]])
    >>> pad(x, [(1, 1)], value=-np.inf)
    array([[[-inf,   1.,   2.,   3., -inf]]])
    >>> pad(x, 1)
    Traceback (most recent call last):
    ...
    TypeError: padding=1 must be a sequence of (before, after) pairs of ints, one per spatial axis of x: 1 for shape (1, 1, 3)
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x has shape {x.shape}, but pad takes (N, C, *spatial): at least "
                         f"two axes before the spatial ones")
    _check_mode(mode)
    if not (is_sequence(padding) and all(_is_int_sequence(pair, length=2) for pair in padding)):
        raise TypeError(f"padding={padding!r} must be a sequence of (before, after) pairs of "
                        f"ints, one per spatial axis of x: {x.ndim - 2} for shape {x.shape}")
    _check_pairs(padding, x)
    _check_fill_value(value, mode, x.dtype)
    if mode == "zeros":
        widths = [(0, 0), (0, 0), *padding]
        return np.pad(x, widths, mode="constant", constant_values=value)
    padded = x
    for axis, (before, after) in enumerate(padding, start=2):
        source = padded_source(x.shape[axis], before, after, mode, dim=axis - 2)
        padded = np.take(padded, source, axis=axis)
    return padded


def unpad(x, padding):
    """Crop ``before`` cells from the start and ``after`` from the end of each spatial axis.

    Returns a view.  This is the gradient of zero padding.

    Raises
    ------
    ValueError
        If a pair is negative, or crops more cells than its axis has.

    Examples
    --------
    >>> unpad(np.arange(6.).reshape(1, 1, 6), [(2, 1)])
    array([[[2., 3., 4.]]])
    """
    _check_pairs(padding, x)
    for dim, (before, after) in enumerate(padding):
        if before + after > x.shape[dim + 2]:
            raise ValueError(f"padding={padding!r} crops {before} + {after} cells from spatial "
                             f"dimension {dim}, which has only {x.shape[dim + 2]}")
    crop = tuple(slice(before, x.shape[axis] - after)
                 for axis, (before, after) in enumerate(padding, start=2))
    return x[(slice(None), slice(None)) + crop]


def pad_backward(grad_padded, padding, mode="zeros"):
    """Gradient of :func:`pad`: fold the gradient of the padded array back onto the input.

    Each padded cell passes its gradient to the input cell it copied (see
    :func:`padded_source`); cells copied several times collect several contributions.

    Parameters
    ----------
    grad_padded : ndarray, shape (N, C, *(size + before + after))
    padding : sequence of (before, after) pairs
    mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    ndarray, shape (N, C, *size)
        A new array.

    Examples
    --------
    With replicate padding the edge cell was copied three times, so it collects three
    gradients:

    >>> pad_backward(np.ones((1, 1, 7)), [(2, 2)], "replicate")
    array([[[3., 1., 3.]]])
    """
    _check_mode(mode)
    if mode == "zeros":
        return unpad(grad_padded, padding).copy()
    unpad(grad_padded, padding)                 # checks that the padding fits the array
    grad = grad_padded
    for axis in reversed(range(2, grad_padded.ndim)):
        before, after = padding[axis - 2]
        size = grad.shape[axis] - before - after
        source = padded_source(size, before, after, mode, dim=axis - 2)
        grad = _fold_axis(grad, axis, source, before, size)
    return grad


def _fold_axis(grad, axis, source, before, size):
    """Sum ``grad`` along ``axis`` into ``size`` cells: padded cell ``p`` goes to ``source[p]``.

    The interior (cells ``before .. before + size``) maps one to one, so it is copied in one
    slice; the border cells are added in one unbuffered ``np.add.at`` (several of them may
    copy the same cell), not one Python step per cell: a wide replicate border stays cheap.
    """
    def along_axis(index):
        return (slice(None),) * axis + (index,)

    folded = grad[along_axis(slice(before, before + size))].copy()
    border = np.r_[0:before, before + size:grad.shape[axis]]
    np.add.at(folded, along_axis(source[border]), grad[along_axis(border)])
    return folded


def insert_zeros(x: ArrayLike, gaps: Sequence[int], axes: Sequence[int]) -> NDArray:
    """Insert ``gap - 1`` zeros between neighbouring cells along each of ``axes``.

    Cheat sheet: "Dilated Convolution" and "Transposed Convolution".  This is the "holes" of
    the cheat sheet: a kernel with zeros inserted is the dilated kernel, and an input with
    zeros inserted is what a transposed convolution with stride convolves.  A gap of 1
    inserts nothing.  A length ``n`` becomes ``(n - 1) * gap + 1`` (and 0 stays 0).

    Parameters
    ----------
    x : array_like
        Any shape; only ``axes`` change.
    gaps : sequence of int
        The distance between neighbouring input cells in the result, each at least 1: a
        dilation, or a transposed convolution's stride.
    axes : sequence of int
        The axes to spread, one per gap, each once (negative counts from the end).

    Returns
    -------
    ndarray
        A new array of ``x``'s dtype; ``x``'s cells are at every ``gap``-th position along
        each of ``axes``, zeros elsewhere.

    Raises
    ------
    TypeError
        If ``gaps`` or ``axes`` is not a sequence of ints.
    ValueError
        If a gap is below 1, ``gaps`` and ``axes`` differ in length, ``axes`` names more
        axes than ``x`` has, or an axis is out of range or named twice.

    See Also
    --------
    npconv.shapes.effective_kernel_size, npconv.shapes.transposed_conv_as_conv_padding,
    npconv.conv_transpose, npconv.conv

    Notes
    -----
    Convolving the zero-inserted input with the flipped kernel (stride 1, bordered as
    :func:`npconv.shapes.transposed_conv_as_conv_padding` says) is a transposed
    convolution; convolving with the zero-inserted kernel is a dilated convolution.  Both
    are slow ways to compute them, since most products are with zeros: the ops never build
    these arrays, and this function is for learning and tests.

    Examples
    --------
    >>> insert_zeros(np.array([1., 2., 3.]), gaps=(2,), axes=(0,))
    array([1., 0., 2., 0., 3.])
    >>> insert_zeros(np.ones((2, 2)), gaps=(3, 1), axes=(0, 1))
    array([[1., 1.],
           [0., 0.],
           [0., 0.],
           [1., 1.]])
    >>> insert_zeros(np.ones((2, 2)), gaps=(2, 2), axes=(0,))
    Traceback (most recent call last):
    ...
    ValueError: gaps=(2, 2) and axes=(0,) must have the same length: one gap per axis
    """
    x = np.asarray(x)
    # The lengths first, then the entries: range(10**12) is refused without reading it.
    for name, values in (("gaps", gaps), ("axes", axes)):
        if not is_sequence(values):
            raise TypeError(f"{name}={values!r} must be a sequence of ints, one per axis to "
                            f"spread")
    if len(gaps) != len(axes):
        raise ValueError(f"gaps={gaps!r} and axes={axes!r} must have the same length: one gap "
                         f"per axis")
    if len(axes) > x.ndim:
        raise ValueError(f"axes={axes!r} names {len(axes)} axes, but x has {x.ndim} (shape "
                         f"{x.shape}): each axis is spread once")
    for name, values in (("gaps", gaps), ("axes", axes)):
        if not _is_int_sequence(values):
            raise TypeError(f"{name}={values!r} must be a sequence of ints, one per axis to "
                            f"spread")
    seen = set()
    for axis in axes:
        if not -x.ndim <= axis < x.ndim:
            raise ValueError(f"axes={axes!r} names axis {axis}, but x has {x.ndim} axes "
                             f"(shape {x.shape})")
        if axis % x.ndim in seen:
            raise ValueError(f"axes={axes!r} names axis {axis % x.ndim} twice")
        seen.add(axis % x.ndim)
    shape = list(x.shape)
    spread = [slice(None)] * x.ndim
    for axis, gap in zip(axes, gaps):
        if gap < 1:
            raise ValueError(f"gaps={gaps!r}: a gap must be at least 1, got {gap} for axis "
                             f"{axis}")
        shape[axis] = max((x.shape[axis] - 1) * gap + 1, 0)        # an empty axis stays empty
        spread[axis] = slice(None, None, gap)
    out = np.zeros(shape, dtype=x.dtype)
    out[tuple(spread)] = x
    return out


def pad_or_crop(x, padding, value=0.0):
    """Zero-pad by the positive entries of ``padding`` and crop by the negative ones.

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
    padding : sequence of (before, after) pairs, one per spatial axis
        A pair may mix signs: ``(-1, 2)`` drops the first cell and adds two at the end.
    value : scalar
        The fill value of the added cells.

    Returns
    -------
    ndarray, shape (N, C, *(size + before + after))
        A view of a new array.

    Examples
    --------
    >>> pad_or_crop(np.array([[[1., 2., 3.]]]), [(-1, 2)])
    array([[[2., 3., 0., 0.]]])
    """
    grow = [(max(before, 0), max(after, 0)) for before, after in padding]
    shrink = [(max(-before, 0), max(-after, 0)) for before, after in padding]
    return unpad(pad(x, grow, value=value), shrink)


# --------------------------------------------------------------------------------------------
# One window of the virtually padded input: what the loop reference reads and writes
# --------------------------------------------------------------------------------------------

def taps_on_input(start, kernel_size, dilation, size):
    """Which taps of a window land on the input, not on its padding, along one axis.

    Tap ``t`` (``0 <= t < kernel_size``) of a window whose first tap is at ``start`` sits at
    input position ``start + t * dilation``; it is on the input when that position is in
    ``0 .. size - 1``.  Those taps are consecutive, so two slices say everything, found by
    arithmetic alone (no list of taps, however large the kernel or the padding).

    Parameters
    ----------
    start : int
        The window's first tap, in input coordinates (negative: on the padding before).
    kernel_size, dilation, size : int

    Returns
    -------
    taps : slice
        The tap numbers on the input, to index the window (the kernel).
    cells : slice
        The input cells they land on, ``dilation`` apart.  Both are ``slice(0, 0)`` when no
        tap lands on the input.

    Examples
    --------
    Taps at -3, -1, 1, 3 on a 4-cell input: the last two are on it, at cells 1 and 3.

    >>> taps_on_input(-3, kernel_size=4, dilation=2, size=4)
    (slice(2, 4, None), slice(1, 4, 2))
    >>> taps_on_input(5, kernel_size=2, dilation=1, size=4)      # all on the padding after
    (slice(0, 0, None), slice(0, 0, None))
    """
    first = max(0, (dilation - 1 - start) // dilation)       # first t: start + t*d >= 0
    last = min(kernel_size - 1, (size - 1 - start) // dilation)  # last t: start + t*d < size
    if first > last:
        return slice(0, 0), slice(0, 0)
    return (slice(first, last + 1),
            slice(start + first * dilation, start + last * dilation + 1, dilation))


def gather_window(x, start, kernel_size, dilation, mode="zeros"):
    """The cells of one window of ``x`` padded virtually: only the window is built.

    The window's taps sit at ``start + t * dilation`` along each spatial axis, in input
    coordinates.  A tap on the input reads its cell; a tap on the padding reads 0 in
    ``"zeros"`` mode, and otherwise the input cell that :func:`padded_source_at` says the
    padding copies there.  The result is what ``pad(x, padding, mode)`` would hold under the
    window, for any padding wide enough to contain it, at the cost of the window alone.

    Parameters
    ----------
    x : ndarray, shape (..., *size)
        The leading axes (channels, say) are carried along.
    start : tuple of int, one per spatial axis
        The window's first tap, in input coordinates: negative on the padding before the
        input, ``size`` or more on the padding after it.
    kernel_size, dilation : tuple of int, one per spatial axis
    mode : {"zeros", "reflect", "replicate", "circular"}

    Returns
    -------
    ndarray, shape (..., *kernel_size)
        A new array, never a view of ``x``.

    See Also
    --------
    scatter_window : its adjoint, which adds a window back.

    Examples
    --------
    A 3-tap window starting one cell before ``[1 2 3 4]``, then two cells after its end:

    >>> x = np.array([1., 2., 3., 4.])
    >>> gather_window(x, start=(-1,), kernel_size=(3,), dilation=(1,))
    array([0., 1., 2.])
    >>> gather_window(x, start=(-1,), kernel_size=(3,), dilation=(1,), mode="reflect")
    array([2., 1., 2.])
    >>> gather_window(x, start=(2,), kernel_size=(3,), dilation=(2,), mode="replicate")
    array([3., 4., 4.])
    """
    _check_mode(mode)
    taps, cells = _window_on_input(start, kernel_size, dilation, x.shape)
    if mode == "zeros" or _whole(taps, kernel_size):
        leading = x.shape[:x.ndim - len(start)]
        window = np.zeros((*leading, *kernel_size), dtype=x.dtype)
        window[(Ellipsis,) + taps] = x[(Ellipsis,) + cells]
        return window
    sources = _window_sources(start, kernel_size, dilation, x.shape, mode)
    return x[(Ellipsis,) + np.ix_(*sources)]


def scatter_window(grad_x, start, dilation, window, mode="zeros"):
    """Add ``window`` onto the cells of ``grad_x`` it came from: the adjoint of gather_window.

    In ``"zeros"`` mode a tap on the padding is dropped (the gradient of a constant is
    nothing); in the other modes it is added to the input cell the padding copied there, so
    a cell copied several times collects several contributions.  The cost is that of the
    window alone.  With ``mode="zeros"`` this is also how a transposed convolution adds a
    kernel copy onto its output: the cells beyond the cropped output fall away.

    Parameters
    ----------
    grad_x : ndarray, shape (..., *size)
        Updated in place.
    start : tuple of int, one per spatial axis
        The window's first tap, in input coordinates, as for :func:`gather_window`.
    dilation : tuple of int, one per spatial axis
    window : ndarray, shape (..., *kernel_size)
    mode : {"zeros", "reflect", "replicate", "circular"}

    Examples
    --------
    >>> grad_x = np.zeros(4)
    >>> scatter_window(grad_x, start=(-1,), dilation=(1,), window=np.array([1., 2., 3.]))
    >>> grad_x
    array([2., 3., 0., 0.])
    >>> scatter_window(grad_x, start=(-1,), dilation=(1,), window=np.array([1., 2., 3.]),
    ...                mode="reflect")                        # the tap at -1 copied cell 1
    >>> grad_x
    array([4., 7., 0., 0.])
    """
    _check_mode(mode)
    kernel_size = window.shape[window.ndim - len(start):]
    taps, cells = _window_on_input(start, kernel_size, dilation, grad_x.shape)
    if mode == "zeros" or _whole(taps, kernel_size):
        grad_x[(Ellipsis,) + cells] += window[(Ellipsis,) + taps]
    else:
        sources = _window_sources(start, kernel_size, dilation, grad_x.shape, mode)
        np.add.at(grad_x, (Ellipsis,) + np.ix_(*sources), window)     # sources may repeat


def _window_on_input(start, kernel_size, dilation, shape):
    """:func:`taps_on_input` along every spatial axis: the window's taps and cells on the input."""
    size = shape[len(shape) - len(start):]
    overlaps = [taps_on_input(s, k, d, n)
                for s, k, d, n in zip(start, kernel_size, dilation, size)]
    return tuple(taps for taps, _ in overlaps), tuple(cells for _, cells in overlaps)


def _whole(taps, kernel_size):
    """Whether every tap is on the input: then no padding mode matters, and slices do."""
    return all(t.stop - t.start == k for t, k in zip(taps, kernel_size))


def _window_sources(start, kernel_size, dilation, shape, mode):
    """The input cell each tap of a window copies, one index array per spatial axis."""
    size = shape[len(shape) - len(start):]
    return [padded_source_at(s + d * np.arange(k), n, mode, dim)
            for dim, (s, k, d, n) in enumerate(zip(start, kernel_size, dilation, size))]
