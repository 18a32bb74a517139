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
"""

import numpy as np

__all__ = ["PADDING_MODES", "padded_source", "padded_source_at", "pad", "unpad", "pad_backward",
           "pad_or_crop", "insert_zeros"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


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


def pad(x, padding, mode="zeros", value=0.0):
    """Pad the spatial axes of ``x`` (shape ``(N, C, *spatial)``).

    Parameters
    ----------
    x : ndarray, shape (N, C, *spatial)
    padding : sequence of (before, after) pairs, one per spatial axis
    mode : {"zeros", "reflect", "replicate", "circular"}
    value : float
        The fill value in ``"zeros"`` mode (max pooling pads with ``-inf``).

    Returns
    -------
    ndarray, shape (N, C, *(size + before + after))
        Always a new array.

    Examples
    --------
    >>> x = np.array([[[1., 2., 3.]]])
    >>> pad(x, [(2, 1)])
    array([[[0., 0., 1., 2., 3., 0.]]])
    >>> pad(x, [(2, 1)], "reflect")
    array([[[3., 2., 1., 2., 3., 2.]]])
    """
    _check_mode(mode)
    _check_pairs(padding, x)
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
    slice; only the few border cells are added one at a time.
    """
    def along_axis(index):
        return (slice(None),) * axis + (index,)

    folded = grad[along_axis(slice(before, before + size))].copy()
    for p in [*range(before), *range(before + size, grad.shape[axis])]:
        folded[along_axis(source[p])] += grad[along_axis(p)]
    return folded


def insert_zeros(x, gaps, axes):
    """Insert ``gap - 1`` zeros between neighbouring cells along each of ``axes``.

    This is the "holes" of the cheat sheet: a kernel with zeros inserted is the dilated
    kernel, and an input with zeros inserted is what a transposed convolution with stride
    convolves.  A gap of 1 inserts nothing.  A length ``n`` becomes ``(n - 1) * gap + 1``
    (and 0 stays 0).

    Examples
    --------
    >>> insert_zeros(np.array([1., 2., 3.]), gaps=(2,), axes=(0,))
    array([1., 0., 2., 0., 3.])
    >>> insert_zeros(np.ones((2, 2)), gaps=(3, 1), axes=(0, 1))
    array([[1., 1.],
           [0., 0.],
           [0., 0.],
           [1., 1.]])
    """
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

