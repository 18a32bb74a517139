"""The family's public functions: check and normalise the arguments, then run one variant.

As :mod:`npconv.api` does for the core ops: each function validates its arguments (raising
``ValueError`` or ``TypeError`` whose message names the parameter, the value and what was
expected, with the geometry checked by the validators of :mod:`npconv.shapes`), casts the
arrays to one floating dtype, and hands them to :mod:`npconv.family.loops` or
:mod:`npconv.family.im2col`, chosen by ``method``.  Semantics are PyTorch's
(``torch.nn.functional``), layout channels-first: ``(N, C, *spatial)`` with any number of
spatial dimensions.  No argument is ever modified.

The array checks (dtypes, flags, ``grad_output``'s shape, the rank-checked aliases) are the
core's, imported from :mod:`npconv.api`, so that both speak with one voice.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..api import (FloatArray, Method, Padding, Size, _as_array, _check_grad_output, _flag,
                   _floating)
from ..api import _variant as _core_variant
from ..api import _ieee_quietly, _with_rank
from ..shapes import (
    adaptive_pool_geometry,
    check_array_bytes,
    dimension_names,
    fold_geometry,
    lp_pool_geometry,
    lp_pool_sign,
    max_unpool_geometry,
    unfold_geometry,
    unfold_spatial_dims,
)
from . import im2col, loops

AdaptiveSize = Union[int, None, Sequence[Optional[int]]]
"""An adaptive pooling's ``output_size``: an int or ``None`` for every spatial dimension, or
one entry (int or ``None``) per dimension; ``None`` keeps the input's size."""
UnpoolSize = Optional[Sequence[int]]
"""Max unpooling's ``output_size``: ``None`` (the default size), the spatial size, or
``(N, C, *spatial)``."""
MaxPoolResult = Union[FloatArray, tuple[FloatArray, NDArray[np.int64]]]
"""The output, or ``(output, indices)`` with ``return_indices=True``."""

__all__ = [
    "unfold", "unfold_backward", "fold", "fold_backward",
    "max_unpool", "max_unpool_backward",
    "adaptive_avg_pool", "adaptive_avg_pool_backward",
    "adaptive_max_pool", "adaptive_max_pool_backward",
    "lp_pool", "lp_pool_backward",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
]


# --------------------------------------------------------------------------------------------
# Unfold and fold
# --------------------------------------------------------------------------------------------

@_ieee_quietly
def unfold(input: ArrayLike, kernel_size: Size, dilation: Size = 1, padding: Padding = 0,
           stride: Size = 1, *, method: Method = "im2col") -> FloatArray:
    """Every window of a convolution as one column, as ``torch.nn.functional.unfold``.

    Cheat sheet: "Convolution operation", as one matrix multiply: this is im2col under
    PyTorch's name.  Each window a kernel of ``kernel_size`` would slide over is copied into
    one column, so that a convolution becomes the weight, reshaped to ``(C_out, C * K)``,
    times these columns.

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size), or unbatched (C, *in_size)
    kernel_size : int or sequence of int
        One entry per spatial dimension: its length says how many there are.  An int is a
        square 2-D kernel, as in PyTorch (so a 3-D input is then an unbatched image).
    dilation : int or sequence of int, default 1
        One for every spatial dimension, or one per dimension.
    padding : int, sequence of int or of (before, after) pairs, default 0
        Zeros read around the input (never built).
    stride : int or sequence of int, default 1
        As ``dilation``.
    method : {"im2col", "loops"}

    Returns
    -------
    ndarray, shape (N, C * K, L), or (C * K, L) for an unbatched input
        ``K = prod(kernel_size)`` and ``L = prod(out_size)``, per dimension
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``
        window positions.  Row ``c * K + tap`` of column ``l`` holds the cell that kernel
        tap ``tap`` (row-major over ``kernel_size``) of channel ``c`` reads in window ``l``
        (row-major over the window positions).

    Raises
    ------
    ValueError
        If the input's rank does not fit ``kernel_size``, a hyperparameter is out of range,
        no window fits along a dimension (PyTorch refuses that too), or the result would
        exceed :data:`npconv.shapes.MAX_ARRAY_BYTES`; the message names it.
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    fold, unfold_backward, npconv.conv, npconv.family.loops.unfold,
    npconv.family.im2col.unfold

    Notes
    -----
    PyTorch's ``F.unfold`` takes images only, ``(N, C, H, W)`` or ``(C, H, W)``; npconv
    takes any number of spatial dimensions, told by the length of ``kernel_size``.  It also
    takes ``(before, after)`` padding pairs, and inputs with zero channels or an empty
    spatial axis (whose windows then read padding only), which PyTorch refuses.

    Examples
    --------
    A 3x3 image, 2x2 windows: four windows of four taps each, one window per column.

    >>> import numpy as np
    >>> x = np.arange(9.).reshape(1, 1, 3, 3)
    >>> unfold(x, 2)
    array([[[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]]])

    A convolution is the weight as a matrix times these columns:

    >>> import npconv
    >>> w = np.array([[[[1., 2.], [3., 4.]]]])                 # (C_out, C, 2, 2)
    >>> (w.reshape(1, -1) @ unfold(x, 2)[0]).reshape(1, 1, 2, 2)
    array([[[[27., 37.],
             [57., 67.]]]])
    >>> npconv.conv(x, w)
    array([[[[27., 37.],
             [57., 67.]]]])

    Any number of spatial dimensions: a 1-D signal, kernel 3, stride 2.

    >>> unfold(np.arange(5.).reshape(1, 5), (3,), stride=2)      # unbatched (C, L)
    array([[0., 2.],
           [1., 3.],
           [2., 4.]])
    """
    x, = _floating(input=input)
    images, geometry, batched = _unfold_input(x, kernel_size, dilation, padding, stride)
    N, C = images.shape[:2]
    shape = (N, C * geometry.taps, geometry.windows)
    _check_bytes(shape, images, geometry, "the output")
    cols = _unless_empty(shape, images.dtype, _variant(method).unfold, images,
                         *_arguments(geometry))
    return cols if batched else cols[0]


@_ieee_quietly
def unfold_backward(grad_output: ArrayLike, input: ArrayLike, kernel_size: Size,
                    dilation: Size = 1, padding: Padding = 0, stride: Size = 1, *,
                    method: Method = "im2col") -> FloatArray:
    """Gradient of :func:`unfold` with respect to its input: :func:`fold` of ``grad_output``.

    Cheat sheet: "Convolution operation", run backwards.  Unfold copies cells, so each input
    cell collects the gradients of all the column cells that copied it: as many as windows
    cover it.

    Parameters
    ----------
    grad_output : array_like, shape (N, C * K, L), or (C * K, L) for an unbatched input
        Gradient of the loss with respect to ``unfold``'s output.
    input, kernel_size, dilation, padding, stride, method
        As given to :func:`unfold`.

    Returns
    -------
    ndarray, shape of ``input``
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as :func:`unfold`.
    TypeError
        As :func:`unfold`.

    See Also
    --------
    unfold, fold, npconv.family.loops.unfold_backward, npconv.family.im2col.unfold_backward

    Examples
    --------
    Windows 0-2 and 2-4 of five cells: the middle cell is in both.

    >>> import numpy as np
    >>> unfold_backward(np.ones((1, 3, 2)), np.zeros((1, 1, 5)), (3,), stride=2)
    array([[[1., 1., 2., 1., 1.]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    images, geometry, batched = _unfold_input(x, kernel_size, dilation, padding, stride)
    N, C = images.shape[:2]
    expected = (N, C * geometry.taps, geometry.windows)
    _check_grad_output(grad_output, expected if batched else expected[1:])
    grad = grad_output if batched else grad_output[np.newaxis]
    _check_bytes(images.shape, grad, geometry, "grad_input")
    grad_x = _unless_empty(images.shape, images.dtype, _variant(method).unfold_backward, grad,
                           images, *_arguments(geometry))
    return grad_x if batched else grad_x[0]


@_ieee_quietly
def fold(input: ArrayLike, output_size: Size, kernel_size: Size, dilation: Size = 1,
         padding: Padding = 0, stride: Size = 1, *, method: Method = "im2col") -> FloatArray:
    """Columns added back onto their windows, as ``torch.nn.functional.fold``.

    Cheat sheet: "Convolution operation" run backwards, and "Transposed Convolution": the
    adjoint of :func:`unfold`, ``<unfold(x), y> == <x, fold(y)>``.  Where windows overlap,
    their values add up; cells on the padding are dropped.

    Parameters
    ----------
    input : array_like, shape (N, C * K, L), or unbatched (C * K, L)
        Columns in :func:`unfold`'s layout, ``K = prod(kernel_size)``.
    output_size : int or sequence of int
        The output's spatial size, one entry per spatial dimension (its length says how
        many there are); an int is a square 2-D size, as in PyTorch.
    kernel_size, dilation, padding, stride
        As for :func:`unfold`.
    method : {"im2col", "loops"}

    Returns
    -------
    ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input

    Raises
    ------
    ValueError
        If the input's rows are not a whole number of channels of ``K`` taps, its ``L``
        is not the number of window positions in ``output_size`` (per dimension
        ``floor((out + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``,
        which must be at least 1), a hyperparameter is out of range, or the result would
        exceed :data:`npconv.shapes.MAX_ARRAY_BYTES`; the message names it and the number
        expected.
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    unfold, fold_backward, npconv.conv_transpose, npconv.family.loops.fold,
    npconv.family.im2col.fold

    Notes
    -----
    Fold inverts unfold only where windows do not overlap and cover every cell: in general
    ``fold(unfold(x))`` is ``x`` times the number of windows that cover each cell.
    PyTorch's ``F.fold`` makes images only; npconv any number of spatial dimensions, told
    by the length of ``output_size``.  It also takes ``(before, after)`` padding pairs, zero
    channels, and an ``output_size`` of 0 where the padding leaves windows (folding them
    gives an empty output, the adjoint of unfolding an empty input), which PyTorch refuses.

    Examples
    --------
    Four 2x2 windows of a 3x3 image, each column a window of ones: the centre is covered
    four times, the corners once.

    >>> import numpy as np
    >>> fold(np.ones((1, 4, 4)), (3, 3), 2)
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    >>> fold(np.ones((4, 3)), (3, 3), 2)
    Traceback (most recent call last):
    ...
    ValueError: input has L = 3 columns (its last axis), but output_size=(3, 3) holds
    2 * 2 = 4 window positions of kernel_size=(2, 2) with dilation=(1, 1),
    padding=((0, 0), (0, 0)), stride=(1, 1): one column per window
    """
    cols, = _floating(input=input)
    batch, out_size, geometry, batched = _fold_input(cols, output_size, kernel_size, dilation,
                                                     padding, stride)
    N, rows, _ = batch.shape
    shape = (N, rows // geometry.taps, *out_size)
    _check_bytes(shape, batch, geometry, "the output")
    out = _unless_empty(shape, batch.dtype, _variant(method).fold, batch, out_size,
                        *_arguments(geometry))
    return out if batched else out[0]


@_ieee_quietly
def fold_backward(grad_output: ArrayLike, input: ArrayLike, output_size: Size,
                  kernel_size: Size, dilation: Size = 1, padding: Padding = 0, stride: Size = 1,
                  *, method: Method = "im2col") -> FloatArray:
    """Gradient of :func:`fold` with respect to its input: :func:`unfold` of ``grad_output``.

    Cheat sheet: "Convolution operation".  Fold adds each column cell onto one output cell,
    so each column cell's gradient is the output gradient of that cell (0 where it fell on
    the padding).

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *output_size), or (C, *output_size) unbatched
        Gradient of the loss with respect to ``fold``'s output.
    input, output_size, kernel_size, dilation, padding, stride, method
        As given to :func:`fold`.

    Returns
    -------
    ndarray, shape of ``input``
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as :func:`fold`.
    TypeError
        As :func:`fold`.

    See Also
    --------
    fold, unfold, npconv.family.loops.fold_backward, npconv.family.im2col.fold_backward

    Examples
    --------
    >>> import numpy as np
    >>> fold_backward(np.arange(5.).reshape(1, 1, 5), np.zeros((1, 3, 2)), (5,), (3,),
    ...               stride=2)
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])
    """
    grad_output, cols = _floating(grad_output=grad_output, input=input)
    batch, out_size, geometry, batched = _fold_input(cols, output_size, kernel_size, dilation,
                                                     padding, stride)
    N, rows, _ = batch.shape
    expected = (N, rows // geometry.taps, *out_size)
    _check_grad_output(grad_output, expected if batched else expected[1:])
    grad = grad_output if batched else grad_output[np.newaxis]
    _check_bytes(batch.shape, batch, geometry, "grad_input")
    grad_cols = _unless_empty(batch.shape, batch.dtype, _variant(method).fold_backward, grad,
                              batch, out_size, *_arguments(geometry))
    return grad_cols if batched else grad_cols[0]


def _unfold_input(x, kernel_size, dilation, padding, stride):
    """Check unfold's input and arguments: ``(x with a batch axis, geometry, batched?)``.

    The spatial rank comes from ``kernel_size`` (:func:`npconv.shapes.unfold_spatial_dims`);
    an input with one axis fewer than ``(N, C, *spatial)`` is unbatched.
    """
    spatial_dims = unfold_spatial_dims(kernel_size, "kernel_size")
    if x.ndim not in (spatial_dims + 1, spatial_dims + 2):
        raise ValueError(
            f"input must have shape (N, C, *spatial) or (C, *spatial) with {spatial_dims} "
            f"spatial dimensions, as kernel_size={kernel_size!r} has (an int kernel_size "
            f"is 2-D, as in PyTorch); got shape {x.shape}")
    batched = x.ndim == spatial_dims + 2
    images = x if batched else x[np.newaxis]
    geometry = unfold_geometry(images.shape[2:], kernel_size, dilation, padding, stride)
    return images, geometry, batched


def _fold_input(cols, output_size, kernel_size, dilation, padding, stride):
    """Check fold's input and arguments: ``(columns with a batch axis, out_size, geometry,
    batched?)``."""
    if cols.ndim not in (2, 3):
        raise ValueError(f"input must have shape (N, C * K, L) or (C * K, L), columns as "
                         f"unfold makes them, got shape {cols.shape}")
    batched = cols.ndim == 3
    batch = cols if batched else cols[np.newaxis]
    out_size, geometry = fold_geometry(batch.shape[1:], output_size, kernel_size, dilation,
                                       padding, stride)
    return batch, out_size, geometry, batched


def _arguments(geometry):
    """The geometry as the variants take it: kernel_size, dilation, padding, stride."""
    return geometry.kernel_size, geometry.dilation, geometry.padding, geometry.stride


def _check_bytes(shape, array, geometry, what):
    """Refuse a result of ``shape`` larger than the memory bound, naming what makes it so."""
    cause = ", ".join(f"{name}={value}" for name, value in geometry._asdict().items())
    check_array_bytes(shape, array.itemsize, what,
                      f"an array of shape {array.shape} with {cause}")


def _unless_empty(shape, dtype, variant_function, *arguments):
    """``variant_function(*arguments)``, or zeros if the result, of ``shape``, has no cells.

    An empty result needs no work: without the shortcut the variants would still visit
    every kernel tap, and a kernel_size of 10**6 x 10**6 over zero channels has 10**12;
    and the loops' ``np.ndindex`` builds the range of every axis before it finds that
    another is empty, so an adaptive output size of (0, 10**12) would exhaust the memory.
    Adaptive pooling's backward and its max (two results) take the same shortcut inline.
    """
    if 0 in shape:
        return np.zeros(shape, dtype=dtype)
    return variant_function(*arguments)


# --------------------------------------------------------------------------------------------
# Max unpooling
# --------------------------------------------------------------------------------------------

@_ieee_quietly
def max_unpool(input: ArrayLike, indices: ArrayLike, kernel_size: Size,
               stride: Optional[Size] = None, padding: Padding = 0,
               output_size: UnpoolSize = None, *, method: Method = "im2col") -> FloatArray:
    """N-d max unpooling, as ``torch.nn.functional.max_unpool{1,2,3}d``.

    Cheat sheet: "Pooling operation", undone as far as it can be: the partner of
    :func:`npconv.max_pool`'s ``return_indices``.  Every input cell goes back to the cell its
    index names; every other output cell is 0.

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size)
        Typically the output of ``max_pool(..., return_indices=True)``.
    indices : array_like of int, shape (N, C, *in_size)
        For every input cell, its flat position within an ``(n, c)`` plane of the output,
        as ``max_pool`` returns them; each must lie in the output.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    padding : int, tuple of int, or tuple of (before, after) pairs, default 0
        The max pooling's padding: it only shrinks the default output size.
    output_size : sequence of int, optional
        The spatial output size, or ``(N, C, *spatial)`` with the input's ``N`` and ``C``;
        per dimension less than one stride from the default (PyTorch's rule).  It picks
        among the input sizes that max pooling maps to the same output size.
    method : {"im2col", "loops"}

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        By default ``out = (in - 1) * stride - before - after + kernel_size`` per dimension.

    Raises
    ------
    ValueError
        If ``indices`` has another shape than the input or an index lies outside the
        output, the input has no spatial dimension, ``output_size`` is out of range,
        ``method`` is unknown, or the output would exceed
        :data:`npconv.shapes.MAX_ARRAY_BYTES`; the message names it.
    TypeError
        If ``indices`` is not an integer array, or an argument has the wrong type.

    See Also
    --------
    max_unpool_backward, npconv.max_pool, npconv.family.loops.max_unpool,
    npconv.family.im2col.max_unpool

    Notes
    -----
    PyTorch's quirks, reproduced:

    - ``output_size`` may be any size less than one stride from the default, smaller ones
      included (the sizes that ``ceil_mode`` pooling maps to the same output);
    - if several cells carry the same index, the last in row-major order stays (what
      PyTorch's CPU kernel gives on one thread; on large planes it runs in parallel and the
      survivor is not defined);
    - indices are not checked to lie in their own pooling window, only in the output.

    npconv differs in one point: an ``output_size`` with ``N`` and ``C`` in front must
    carry the input's ``N`` and ``C`` (PyTorch ignores them).

    Examples
    --------
    Pooling keeps the maximum of each 2x2 block and where it was; unpooling puts it back:

    >>> import numpy as np
    >>> import npconv
    >>> x = np.array([[[[1., 2., 0., 3.],
    ...                 [4., 0., 6., 5.],
    ...                 [0., 7., 8., 0.],
    ...                 [9., 0., 0., 0.]]]])
    >>> pooled, indices = npconv.max_pool(x, 2, return_indices=True)
    >>> max_unpool(pooled, indices, 2)
    array([[[[0., 0., 0., 0.],
             [4., 0., 6., 0.],
             [0., 0., 8., 0.],
             [9., 0., 0., 0.]]]])
    >>> max_unpool(pooled, indices, 2, output_size=(5, 5)).shape
    (1, 1, 5, 5)
    """
    x, = _floating(input=input)
    index_array = _integer_indices(indices, x.shape)
    geometry = _max_unpool_geometry(x, kernel_size, stride, padding, output_size)
    _check_index_range(index_array, geometry.out_size)
    return _variant(method).max_unpool(x, index_array.astype(np.int64, copy=False),
                                       geometry.out_size)


@_ieee_quietly
def max_unpool_backward(grad_output: ArrayLike, input: ArrayLike, indices: ArrayLike,
                        kernel_size: Size, stride: Optional[Size] = None, padding: Padding = 0,
                        output_size: UnpoolSize = None, *, method: Method = "im2col"
                        ) -> FloatArray:
    """Gradient of :func:`max_unpool` with respect to its input.

    Cheat sheet: "Pooling operation", run backwards twice: max unpooling copies each input
    cell to one output cell, so its gradient reads, for every input cell, the output
    gradient at its index.

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *out_size)
        Gradient of the loss with respect to ``max_unpool``'s output.
    input, indices, kernel_size, stride, padding, output_size, method
        As given to :func:`max_unpool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as
        :func:`max_unpool`.
    TypeError
        As :func:`max_unpool`.

    See Also
    --------
    max_unpool, npconv.family.loops.max_unpool_backward,
    npconv.family.im2col.max_unpool_backward

    Notes
    -----
    Cells with the same index all read the gradient at it, also those the forward
    overwrote (PyTorch's backward is this gather too).

    Examples
    --------
    >>> import numpy as np
    >>> grad = np.arange(16.).reshape(1, 1, 4, 4)
    >>> max_unpool_backward(grad, np.zeros((1, 1, 2, 2)), np.array([[[[4, 6], [9, 9]]]]), 2)
    array([[[[4., 6.],
             [9., 9.]]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    index_array = _integer_indices(indices, x.shape)
    geometry = _max_unpool_geometry(x, kernel_size, stride, padding, output_size)
    _check_index_range(index_array, geometry.out_size)
    _check_grad_output(grad_output, (*x.shape[:2], *geometry.out_size))
    return _variant(method).max_unpool_backward(grad_output, x,
                                                index_array.astype(np.int64, copy=False),
                                                geometry.out_size)


def _max_unpool_geometry(x, kernel_size, stride, padding, output_size):
    """Check max unpooling's input and arguments, and that its output fits in memory."""
    _check_spatial_input(x)
    geometry = max_unpool_geometry(x.shape[2:], kernel_size, stride, padding, output_size,
                                   x.shape[:2])
    check_array_bytes((*x.shape[:2], *geometry.out_size), x.itemsize, "the output",
                      f"input {x.shape}, kernel_size={kernel_size!r}, stride={stride!r}, "
                      f"padding={padding!r}, output_size={output_size!r}")
    return geometry


def _integer_indices(indices, input_shape):
    """``indices`` as an integer ndarray of the input's shape."""
    array = _as_array(indices, "indices")               # refuses None, ragged and masked
    if array.dtype.kind not in "iu":
        raise TypeError(f"indices must be an array of integers, as max_pool(..., "
                        f"return_indices=True) returns them; got dtype {array.dtype}")
    if array.shape != tuple(input_shape):
        raise ValueError(f"indices must have the input's shape {tuple(input_shape)}, got "
                         f"shape {array.shape}")
    return array


def _check_index_range(indices, out_size):
    """Every index must be a flat position within one ``(n, c)`` plane of the output."""
    plane = math.prod(out_size)
    if indices.size == 0 or (indices.min() >= 0 and indices.max() < plane):
        return
    first = np.unravel_index(np.argmax((indices < 0) | (indices >= plane)), indices.shape)
    where = f"indices[{', '.join(str(int(i)) for i in first)}] = {indices[first]}"
    if plane == 0:
        raise ValueError(f"{where} points into an output with no cells (spatial size "
                         f"{out_size})")
    raise ValueError(f"{where} is outside the output: an index is a flat position within "
                     f"an (n, c) plane of spatial size {out_size}, from 0 to {plane - 1}")


# --------------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------------

@_ieee_quietly
def adaptive_avg_pool(input: ArrayLike, output_size: AdaptiveSize, *,
                      method: Method = "im2col") -> FloatArray:
    """N-d adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool{1,2,3}d``.

    Cheat sheet: "Pooling operation" (average pooling), with the output size given and the
    windows derived from it.  With ``output_size=1`` it is the global average pooling at the
    end of ResNet.

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size)
        Every spatial size at least 1.
    output_size : int, None, or tuple of int or None
        One size for every dimension, or one per dimension; ``None`` keeps the input's size.
    method : {"im2col", "loops"}

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        Output cell ``i`` averages the input cells from ``floor(i * in / out)`` to
        ``ceil((i + 1) * in / out)`` (end excluded), per dimension.

    Raises
    ------
    ValueError
        If the input has no spatial dimension or an empty one, an output size is negative,
        ``output_size`` has the wrong number of entries, ``method`` is unknown, or the output
        would exceed :data:`npconv.shapes.MAX_ARRAY_BYTES`; the message names it.
    TypeError
        If ``output_size`` is not an int, ``None`` or a sequence of them, or ``input`` is not
        an array of real numbers.

    See Also
    --------
    adaptive_avg_pool_backward, adaptive_max_pool, npconv.avg_pool,
    npconv.family.loops.adaptive_avg_pool, npconv.family.im2col.adaptive_avg_pool

    Notes
    -----
    When ``out`` divides ``in`` the windows are ``avg_pool``'s with kernel = stride =
    ``in / out``.  Otherwise windows ``i`` and ``i + 1`` share a cell wherever
    ``(i + 1) * in / out`` is not whole (6 to 4: windows 0-1, 1-2, 3-4, 4-5), and an output
    larger than the input repeats cells.  An output size of 0 gives an empty output, as in PyTorch;
    ``None`` entries are accepted for every rank (PyTorch's 1-D version refuses them).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> adaptive_avg_pool(x, 1)                     # global average pooling
    array([[[[7.5]]]])
    >>> adaptive_avg_pool(np.array([[[1., 2., 3., 4., 5.]]]), 3)   # windows 0-1, 1-3, 3-4
    array([[[1.5, 3. , 4.5]]])
    """
    x, = _floating(input=input)
    out_size = _adaptive_out_size(x, output_size)
    return _unless_empty((*x.shape[:2], *out_size), x.dtype, _variant(method).adaptive_avg_pool,
                         x, out_size)


@_ieee_quietly
def adaptive_avg_pool_backward(grad_output: ArrayLike, input: ArrayLike,
                               output_size: AdaptiveSize, *, method: Method = "im2col"
                               ) -> FloatArray:
    """Gradient of :func:`adaptive_avg_pool` with respect to its input.

    Cheat sheet: "Pooling operation" (average pooling), run backwards.  Each output cell's
    gradient, divided by its window's cell count, is added to every cell of the window.

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *out_size)
        Gradient of the loss with respect to ``adaptive_avg_pool``'s output.
    input, output_size, method
        As given to :func:`adaptive_avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as
        :func:`adaptive_avg_pool`.
    TypeError
        As :func:`adaptive_avg_pool`.

    See Also
    --------
    adaptive_avg_pool, npconv.family.loops.adaptive_avg_pool_backward,
    npconv.family.im2col.adaptive_avg_pool_backward

    Examples
    --------
    Five cells pooled to three: the middle window holds three cells, the others two, and
    cells 1 and 3 lie in two windows each:

    >>> import numpy as np
    >>> adaptive_avg_pool_backward(np.ones((1, 1, 3)), np.zeros((1, 1, 5)), 3)
    array([[[0.5       , 0.83333333, 0.33333333, 0.83333333, 0.5       ]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    out_size = _adaptive_out_size(x, output_size)
    _check_grad_output(grad_output, (*x.shape[:2], *out_size))
    if 0 in out_size:                            # no windows: no gradient, and no work
        return np.zeros(x.shape, dtype=x.dtype)
    return _variant(method).adaptive_avg_pool_backward(grad_output, x, out_size)


@_ieee_quietly
def adaptive_max_pool(input: ArrayLike, output_size: AdaptiveSize,
                      return_indices: bool = False, *, method: Method = "im2col"
                      ) -> MaxPoolResult:
    """N-d adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool{1,2,3}d``.

    Cheat sheet: "Pooling operation" (max pooling), with the output size given and the
    windows derived from it, as for :func:`adaptive_avg_pool`.

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size)
        Every spatial size at least 1.
    output_size : int, None, or tuple of int or None
        As for :func:`adaptive_avg_pool`.
    return_indices : bool, default False
        Also return, for every output cell, the flat index of the winning cell within its
        ``(n, c)`` plane of the input (int64), as :func:`npconv.max_pool` does.
    method : {"im2col", "loops"}

    Returns
    -------
    out : ndarray, shape (N, C, *out_size)
        The windows of :func:`adaptive_avg_pool`.
    indices : ndarray of int64, shape (N, C, *out_size)
        Only if ``return_indices``.

    Raises
    ------
    ValueError, TypeError
        As :func:`adaptive_avg_pool`, or if ``return_indices`` is not a bool.

    See Also
    --------
    adaptive_max_pool_backward, adaptive_avg_pool, npconv.max_pool, max_unpool,
    npconv.family.loops.adaptive_max_pool, npconv.family.im2col.adaptive_max_pool

    Notes
    -----
    PyTorch's CPU rules, as in :func:`npconv.max_pool`: ties go to the first maximum in
    row-major window order; a NaN makes the output NaN, and the index points at the
    window's last NaN.  An empty batch or no channels give an empty output (PyTorch's
    adaptive max pooling refuses zero channels).

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_max_pool(np.array([[[1., 5., 2., 7., 3.]]]), 3, return_indices=True)
    (array([[[5., 7., 7.]]]), array([[[1, 3, 3]]]))
    """
    x, = _floating(input=input)
    return_indices = _flag(return_indices, "return_indices")
    out_size = _adaptive_out_size(x, output_size, indices=True)
    shape = (*x.shape[:2], *out_size)
    if 0 in shape:                               # no windows: nothing to find (_unless_empty)
        out, indices = np.zeros(shape, dtype=x.dtype), np.zeros(shape, dtype=np.int64)
    else:
        out, indices = _variant(method).adaptive_max_pool(x, out_size)
    return (out, indices) if return_indices else out


@_ieee_quietly
def adaptive_max_pool_backward(grad_output: ArrayLike, input: ArrayLike,
                               output_size: AdaptiveSize, *, method: Method = "im2col"
                               ) -> FloatArray:
    """Gradient of :func:`adaptive_max_pool` with respect to its input.

    Cheat sheet: "Pooling operation" (max pooling), run backwards.  Each output cell's
    gradient goes to the cell that won its window; a cell that won several windows collects
    all their gradients.

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *out_size)
        Gradient of the loss with respect to ``adaptive_max_pool``'s output.
    input, output_size, method
        As given to :func:`adaptive_max_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as
        :func:`adaptive_max_pool`.
    TypeError
        As :func:`adaptive_max_pool`.

    See Also
    --------
    adaptive_max_pool, npconv.family.loops.adaptive_max_pool_backward,
    npconv.family.im2col.adaptive_max_pool_backward

    Examples
    --------
    >>> import numpy as np
    >>> adaptive_max_pool_backward(np.ones((1, 1, 3)), np.array([[[1., 5., 2., 7., 3.]]]), 3)
    array([[[0., 1., 0., 2., 0.]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    out_size = _adaptive_out_size(x, output_size, indices=True)
    _check_grad_output(grad_output, (*x.shape[:2], *out_size))
    if 0 in out_size:                            # no windows: no gradient, and no work
        return np.zeros(x.shape, dtype=x.dtype)
    return _variant(method).adaptive_max_pool_backward(grad_output, x, out_size)


def _adaptive_out_size(x, output_size, indices=False):
    """Check adaptive pooling's input and ``output_size``, and that the output (and, for
    the max, whose variants always find them, the int64 ``indices``) fits."""
    _check_spatial_input(x)
    out_size = adaptive_pool_geometry(x.shape[2:], output_size).out_size
    shape, cause = (*x.shape[:2], *out_size), f"output_size={output_size!r}, input {x.shape}"
    check_array_bytes(shape, x.itemsize, "the output", cause)
    if indices:
        check_array_bytes(shape, np.dtype(np.int64).itemsize, "the indices", cause)
    return out_size


# --------------------------------------------------------------------------------------------
# Power-average pooling
# --------------------------------------------------------------------------------------------

@_ieee_quietly
def lp_pool(input: ArrayLike, norm_type: float, kernel_size: Size, stride: Optional[Size] = None,
            ceil_mode: bool = False, *, method: Method = "im2col") -> FloatArray:
    """N-d power-average pooling, as ``torch.nn.functional.lp_pool{1,2,3}d``.

    Cheat sheet: "Pooling operation", between average and max: per window
    ``(sum of x ** p) ** (1 / p)``, computed as PyTorch does,
    ``(K * mean(x ** p)) ** (1 / p)`` with ``K = prod(kernel_size)``.  ``p = 1`` is the sum
    of the window, ``p = inf`` its largest absolute value.

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size)
    norm_type : float
        The power ``p``: any real number but 0 and NaN; ``inf`` and ``-inf`` included.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Defaults to ``kernel_size``.
    ceil_mode : bool, default False
        As in :func:`npconv.max_pool`; there is no padding.
    method : {"im2col", "loops"}

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        ``out = floor_or_ceil((in - kernel_size) / stride) + 1`` per dimension.

    Raises
    ------
    ValueError
        If ``norm_type`` is 0 or NaN, or as :func:`npconv.avg_pool`.
    TypeError
        If ``norm_type`` is not a real number, or an argument has the wrong type.

    See Also
    --------
    lp_pool_backward, npconv.avg_pool, npconv.max_pool, npconv.family.loops.lp_pool,
    npconv.family.im2col.lp_pool

    Notes
    -----
    PyTorch's formula, reproduced with its quirks:

    - the mean divides by the cells a window holds, and the result is multiplied by the
      full kernel size, so a ``ceil_mode`` window cut short has its sum scaled up by
      ``K / cells``;
    - nothing takes absolute values: a negative cell raised to a non-integer ``p`` is NaN,
      and so is a negative sum raised to a non-integer ``1 / p`` (``p = 3``); with
      ``p = 1`` negative sums pass unchanged;
    - PyTorch writes ``sign(a) * relu(abs(a))`` around the mean ``a``: it changes no value,
      but it makes the gradient of a window whose mean is 0 (or NaN) zero, see
      :func:`lp_pool_backward`;
    - ``p = inf`` is max pooling of ``abs(x)``, ``p = -inf`` the smallest ``abs(x)``
      (PyTorch switches to max pooling for them).

    npconv refuses ``norm_type`` 0 (PyTorch raises ``ZeroDivisionError``) and NaN (PyTorch
    returns NaN everywhere).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[3., 4., 6., 8.]]])
    >>> lp_pool(x, 2, 2)                       # sqrt(9 + 16), sqrt(36 + 64)
    array([[[ 5., 10.]]])
    >>> lp_pool(x, 1, 2), lp_pool(x, float("inf"), 2)
    (array([[[ 7., 14.]]]), array([[[4., 8.]]]))
    """
    x, = _floating(input=input)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    geometry = _lp_pool_geometry(x, norm_type, kernel_size, stride, ceil_mode)
    p, kernel_size, stride = geometry.norm_type, geometry.kernel_size, geometry.stride
    if math.isinf(p):
        # PyTorch's own switch: the largest |x| (p = inf) is max pooling of |x|, and the
        # smallest (p = -inf) is -max_pool(-|x|).
        sign = math.copysign(1.0, p)
        out, _ = _core_variant(method).max_pool(sign * np.abs(x), kernel_size, stride,
                                                geometry.padding, geometry.dilation, ceil_mode)
        return sign * out
    return _variant(method).lp_pool(x, p, kernel_size, stride, ceil_mode)


@_ieee_quietly
def lp_pool_backward(grad_output: ArrayLike, input: ArrayLike, norm_type: float,
                     kernel_size: Size, stride: Optional[Size] = None, ceil_mode: bool = False,
                     *, method: Method = "im2col") -> FloatArray:
    """Gradient of :func:`lp_pool` with respect to its input.

    Cheat sheet: "Pooling operation", run backwards: the derivative of
    ``(K * mean(x ** p)) ** (1 / p)``, step by step as PyTorch's autograd takes it, so that
    it agrees with PyTorch also where the function has no derivative.

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *out_size)
        Gradient of the loss with respect to ``lp_pool``'s output.
    input, norm_type, kernel_size, stride, ceil_mode, method
        As given to :func:`lp_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)
        The gradient with respect to ``input``; for cells in one window, without overlap,
        ``grad * x ** (p - 1) * out ** (1 - p)``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as :func:`lp_pool`.
    TypeError
        As :func:`lp_pool`.

    See Also
    --------
    lp_pool, npconv.family.loops.lp_pool_backward, npconv.family.im2col.lp_pool_backward

    Notes
    -----
    PyTorch's conventions where there is no derivative, reproduced:

    - a window whose mean of powers is 0 (all zeros, ``p > 0``) sends 0 to its cells,
      although ``t ** (1 / p)`` has an infinite slope at 0, because the
      ``sign * relu(abs)`` step passes nothing at 0;
    - the power's own derivative ``p * x ** (p - 1)`` is then applied per cell: it is
      infinite at a zero cell when ``p < 1``, and infinity times the 0 the cell collected is
      NaN (also for ``p < 0``, and at an infinite cell where the output is infinite);
    - a NaN window sends 0 (``p = 1``) or NaN (``p != 1``) to its cells;
    - ``p = inf`` sends the gradient to the window's largest ``|x|`` (the first of equal
      ones) times ``sign(x)``, which is 0 at a zero cell; ``p = -inf`` likewise to the
      smallest.

    Examples
    --------
    ``out = sqrt(3**2 + 4**2) = 5``; its gradient is ``x / out``.  A window of zeros gets 0:

    >>> import numpy as np
    >>> lp_pool_backward(np.ones((1, 1, 2)), np.array([[[3., 4., 0., 0.]]]), 2, 2)
    array([[[0.6, 0.8, 0. , 0. ]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    geometry = _lp_pool_geometry(x, norm_type, kernel_size, stride, ceil_mode)
    _check_grad_output(grad_output, (*x.shape[:2], *geometry.out_size))
    p, kernel_size, stride = geometry.norm_type, geometry.kernel_size, geometry.stride
    if math.isinf(p):
        sign = math.copysign(1.0, p)
        grad_magnitude = sign * _core_variant(method).max_pool_backward(
            sign * grad_output, sign * np.abs(x), kernel_size, stride, geometry.padding,
            geometry.dilation, ceil_mode)
        return grad_magnitude * lp_pool_sign(x)            # abs's derivative: sign(x)
    return _variant(method).lp_pool_backward(grad_output, x, p, kernel_size, stride, ceil_mode)


def _lp_pool_geometry(x, norm_type, kernel_size, stride, ceil_mode):
    """Check power-average pooling's input and arguments; return its geometry."""
    _check_spatial_input(x)
    return lp_pool_geometry(x.shape[2:], norm_type, kernel_size, stride, ceil_mode)


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------

def _variant(method):
    """The family module that implements ``method`` (an unknown one is refused as the core does)."""
    _core_variant(method)
    return {"loops": loops, "im2col": im2col}[method]


def _check_spatial_input(x):
    if x.ndim < 3:
        raise ValueError(f"input must have shape (N, C, *spatial) with at least one spatial "
                         f"dimension, got shape {x.shape}")


# --------------------------------------------------------------------------------------------
# PyTorch's names, with a fixed number of spatial dimensions
# --------------------------------------------------------------------------------------------

def _max_unpool_with_rank(spatial_dims, name, input, indices, *args, **kwargs):
    """:func:`max_unpool` for exactly ``spatial_dims`` spatial dimensions, batched or not.

    As the core's aliases, but the indices get (or lack) the batch axis with the input.
    """
    x, index_array = _as_array(input, "input"), _as_array(indices, "indices")
    if x.ndim == spatial_dims + 2:
        return max_unpool(x, index_array, *args, **kwargs)
    if x.ndim == spatial_dims + 1:
        _integer_indices(index_array, x.shape)
        return max_unpool(x[np.newaxis], index_array[np.newaxis], *args, **kwargs)[0]
    letters = ", ".join(dimension_names(spatial_dims))
    raise ValueError(f"{name} expects input of shape (N, C, {letters}) or (C, {letters}), got "
                     f"shape {x.shape}")


def max_unpool1d(input: ArrayLike, indices: ArrayLike, kernel_size: Size,
                 stride: Optional[Size] = None, padding: Padding = 0,
                 output_size: UnpoolSize = None, *, method: Method = "im2col"
                 ) -> FloatArray:
    """1-D max unpooling, as ``torch.nn.functional.max_unpool1d``: :func:`max_unpool`.

    Parameters
    ----------
    input, indices : array_like, shape (N, C, L) or unbatched (C, L)
        ``indices`` gains or lacks the batch axis with ``input``.
    kernel_size, stride, padding, output_size, method
        As for :func:`max_unpool`.

    Returns
    -------
    ndarray, shape (N, C, *out_size), or (C, *out_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`max_unpool`.

    See Also
    --------
    max_unpool, npconv.max_pool1d

    Examples
    --------
    >>> import npconv
    >>> out, indices = npconv.max_pool1d(np.array([[1., 5., 2., 7.]]), 2, return_indices=True)
    >>> max_unpool1d(out, indices, 2)                     # unbatched: (C, L)
    array([[0., 5., 0., 7.]])
    """
    return _max_unpool_with_rank(1, "max_unpool1d", input, indices, kernel_size, stride,
                                 padding, output_size, method=method)


def max_unpool2d(input: ArrayLike, indices: ArrayLike, kernel_size: Size,
                 stride: Optional[Size] = None, padding: Padding = 0,
                 output_size: UnpoolSize = None, *, method: Method = "im2col"
                 ) -> FloatArray:
    """2-D max unpooling, as ``torch.nn.functional.max_unpool2d``: :func:`max_unpool`.

    Parameters
    ----------
    input, indices : array_like, shape (N, C, H, W) or unbatched (C, H, W)
        ``indices`` gains or lacks the batch axis with ``input``.
    kernel_size, stride, padding, output_size, method
        As for :func:`max_unpool`.

    Returns
    -------
    ndarray, shape (N, C, *out_size), or (C, *out_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`max_unpool`.

    See Also
    --------
    max_unpool, npconv.max_pool2d

    Examples
    --------
    Two 2x2 windows of an unbatched (C, H, W) image; each winner goes back to its cell:

    >>> import npconv
    >>> x = np.array([[[1., 2., 0., 3.],
    ...                [4., 0., 6., 5.]]])
    >>> out, indices = npconv.max_pool2d(x, 2, return_indices=True)
    >>> indices                                           # flat positions in the 2x4 plane
    array([[[4, 6]]])
    >>> max_unpool2d(out, indices, 2)
    array([[[0., 0., 0., 0.],
            [4., 0., 6., 0.]]])
    """
    return _max_unpool_with_rank(2, "max_unpool2d", input, indices, kernel_size, stride,
                                 padding, output_size, method=method)


def max_unpool3d(input: ArrayLike, indices: ArrayLike, kernel_size: Size,
                 stride: Optional[Size] = None, padding: Padding = 0,
                 output_size: UnpoolSize = None, *, method: Method = "im2col"
                 ) -> FloatArray:
    """3-D max unpooling, as ``torch.nn.functional.max_unpool3d``: :func:`max_unpool`.

    Parameters
    ----------
    input, indices : array_like, shape (N, C, D, H, W) or unbatched (C, D, H, W)
        ``indices`` gains or lacks the batch axis with ``input``.
    kernel_size, stride, padding, output_size, method
        As for :func:`max_unpool`.

    Returns
    -------
    ndarray, shape (N, C, *out_size), or (C, *out_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`max_unpool`.

    See Also
    --------
    max_unpool, npconv.max_pool3d

    Examples
    --------
    One cell, unbatched (C, D, H, W), back into a 2x2x2 output at flat index 7, the last
    cell (1, 1, 1):

    >>> max_unpool3d(np.array([[[[9.]]]]), np.array([[[[7]]]]), 2)
    array([[[[0., 0.],
             [0., 0.]],
    <BLANKLINE>
            [[0., 0.],
             [0., 9.]]]])
    """
    return _max_unpool_with_rank(3, "max_unpool3d", input, indices, kernel_size, stride,
                                 padding, output_size, method=method)


def adaptive_avg_pool1d(input: ArrayLike, output_size: AdaptiveSize,
                        *, method: Method = "im2col") -> FloatArray:
    """1-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool1d``.

    :func:`adaptive_avg_pool` on exactly 1 spatial dimension.

    Parameters
    ----------
    input : array_like, shape (N, C, L) or unbatched (C, L)
    output_size, method
        As for :func:`adaptive_avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`adaptive_avg_pool`.

    See Also
    --------
    adaptive_avg_pool, adaptive_max_pool1d

    Examples
    --------
    >>> adaptive_avg_pool1d(np.arange(6.).reshape(1, 6), 3)   # windows 0-1, 2-3, 4-5
    array([[0.5, 2.5, 4.5]])
    """
    return _with_rank(adaptive_avg_pool, 1, "adaptive_avg_pool1d", input, output_size,
                      method=method)


def adaptive_avg_pool2d(input: ArrayLike, output_size: AdaptiveSize,
                        *, method: Method = "im2col") -> FloatArray:
    """2-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool2d``.

    :func:`adaptive_avg_pool` on exactly 2 spatial dimensions.

    Parameters
    ----------
    input : array_like, shape (N, C, H, W) or unbatched (C, H, W)
    output_size, method
        As for :func:`adaptive_avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`adaptive_avg_pool`.

    See Also
    --------
    adaptive_avg_pool, adaptive_max_pool2d

    Examples
    --------
    A 4x4 image to 2x1: rows 0-1 and rows 2-3, every column, averaged.

    >>> adaptive_avg_pool2d(np.arange(16.).reshape(1, 4, 4), (2, 1))   # (0 + ... + 7) / 8
    array([[[ 3.5],
            [11.5]]])
    """
    return _with_rank(adaptive_avg_pool, 2, "adaptive_avg_pool2d", input, output_size,
                      method=method)


def adaptive_avg_pool3d(input: ArrayLike, output_size: AdaptiveSize,
                        *, method: Method = "im2col") -> FloatArray:
    """3-D adaptive average pooling, as ``torch.nn.functional.adaptive_avg_pool3d``.

    :func:`adaptive_avg_pool` on exactly 3 spatial dimensions.

    Parameters
    ----------
    input : array_like, shape (N, C, D, H, W) or unbatched (C, D, H, W)
    output_size, method
        As for :func:`adaptive_avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`adaptive_avg_pool`.

    See Also
    --------
    adaptive_avg_pool, adaptive_max_pool3d

    Examples
    --------
    A 2x2x2 volume to 2x1x1: each depth slice averaged, (0 + 1 + 2 + 3) / 4 and
    (4 + 5 + 6 + 7) / 4.

    >>> adaptive_avg_pool3d(np.arange(8.).reshape(1, 2, 2, 2), (2, 1, 1))
    array([[[[1.5]],
    <BLANKLINE>
            [[5.5]]]])
    """
    return _with_rank(adaptive_avg_pool, 3, "adaptive_avg_pool3d", input, output_size,
                      method=method)


def adaptive_max_pool1d(input: ArrayLike, output_size: AdaptiveSize,
                        return_indices: bool = False, *, method: Method = "im2col"
                        ) -> MaxPoolResult:
    """1-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool1d``.

    :func:`adaptive_max_pool` on exactly 1 spatial dimension.

    Parameters
    ----------
    input : array_like, shape (N, C, L) or unbatched (C, L)
    output_size, return_indices, method
        As for :func:`adaptive_max_pool`.

    Returns
    -------
    out : ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input
    indices : ndarray of int64, the shape of ``out``
        Only if ``return_indices``.

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`adaptive_max_pool`.

    See Also
    --------
    adaptive_max_pool, adaptive_avg_pool1d

    Examples
    --------
    >>> adaptive_max_pool1d(np.arange(6.).reshape(1, 6), 2)   # windows 0-2 and 3-5
    array([[2., 5.]])
    """
    return _with_rank(adaptive_max_pool, 1, "adaptive_max_pool1d", input, output_size,
                      return_indices, method=method)


def adaptive_max_pool2d(input: ArrayLike, output_size: AdaptiveSize,
                        return_indices: bool = False, *, method: Method = "im2col"
                        ) -> MaxPoolResult:
    """2-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool2d``.

    :func:`adaptive_max_pool` on exactly 2 spatial dimensions.

    Parameters
    ----------
    input : array_like, shape (N, C, H, W) or unbatched (C, H, W)
    output_size, return_indices, method
        As for :func:`adaptive_max_pool`.

    Returns
    -------
    out : ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input
    indices : ndarray of int64, the shape of ``out``
        Only if ``return_indices``.

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`adaptive_max_pool`.

    See Also
    --------
    adaptive_max_pool, adaptive_avg_pool2d

    Examples
    --------
    A 3x3 image to 2x2: the windows are rows (and columns) 0-1 and 1-2, overlapping.  In
    an ``arange`` each value is its own flat index:

    >>> adaptive_max_pool2d(np.arange(9.).reshape(1, 3, 3), 2, return_indices=True)
    (array([[[4., 5.],
            [7., 8.]]]), array([[[4, 5],
            [7, 8]]]))
    """
    return _with_rank(adaptive_max_pool, 2, "adaptive_max_pool2d", input, output_size,
                      return_indices, method=method)


def adaptive_max_pool3d(input: ArrayLike, output_size: AdaptiveSize,
                        return_indices: bool = False, *, method: Method = "im2col"
                        ) -> MaxPoolResult:
    """3-D adaptive max pooling, as ``torch.nn.functional.adaptive_max_pool3d``.

    :func:`adaptive_max_pool` on exactly 3 spatial dimensions.

    Parameters
    ----------
    input : array_like, shape (N, C, D, H, W) or unbatched (C, D, H, W)
    output_size, return_indices, method
        As for :func:`adaptive_max_pool`.

    Returns
    -------
    out : ndarray, shape (N, C, *output_size), or (C, *output_size) for an unbatched input
    indices : ndarray of int64, the shape of ``out``
        Only if ``return_indices``.

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`adaptive_max_pool`.

    See Also
    --------
    adaptive_max_pool, adaptive_avg_pool3d

    Examples
    --------
    A 2x2x2 volume to 1x1x2: the largest of the cells at width 0 (0, 2, 4, 6) and at
    width 1 (1, 3, 5, 7).

    >>> adaptive_max_pool3d(np.arange(8.).reshape(1, 2, 2, 2), (1, 1, 2))
    array([[[[6., 7.]]]])
    """
    return _with_rank(adaptive_max_pool, 3, "adaptive_max_pool3d", input, output_size,
                      return_indices, method=method)


def lp_pool1d(input: ArrayLike, norm_type: float, kernel_size: Size,
              stride: Optional[Size] = None, ceil_mode: bool = False, *,
              method: Method = "im2col") -> FloatArray:
    """1-D power-average pooling, as ``torch.nn.functional.lp_pool1d``: :func:`lp_pool`.

    Parameters
    ----------
    input : array_like, shape (N, C, L) or unbatched (C, L)
    norm_type, kernel_size, stride, ceil_mode, method
        As for :func:`lp_pool`.

    Returns
    -------
    ndarray, shape (N, C, *out_size), or (C, *out_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`lp_pool`.

    See Also
    --------
    lp_pool, npconv.avg_pool1d

    Examples
    --------
    >>> lp_pool1d(np.array([[3., 4., 0., 1.]]), 2, 2)     # sqrt(9 + 16), sqrt(0 + 1)
    array([[5., 1.]])
    """
    return _with_rank(lp_pool, 1, "lp_pool1d", input, norm_type, kernel_size, stride,
                      ceil_mode, method=method)


def lp_pool2d(input: ArrayLike, norm_type: float, kernel_size: Size,
              stride: Optional[Size] = None, ceil_mode: bool = False, *,
              method: Method = "im2col") -> FloatArray:
    """2-D power-average pooling, as ``torch.nn.functional.lp_pool2d``: :func:`lp_pool`.

    Parameters
    ----------
    input : array_like, shape (N, C, H, W) or unbatched (C, H, W)
    norm_type, kernel_size, stride, ceil_mode, method
        As for :func:`lp_pool`.

    Returns
    -------
    ndarray, shape (N, C, *out_size), or (C, *out_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`lp_pool`.

    See Also
    --------
    lp_pool, npconv.avg_pool2d

    Examples
    --------
    >>> lp_pool2d(np.array([[[3., 4.], [0., 12.]]]), 2, 2)   # sqrt(9 + 16 + 0 + 144)
    array([[[13.]]])
    """
    return _with_rank(lp_pool, 2, "lp_pool2d", input, norm_type, kernel_size, stride,
                      ceil_mode, method=method)


def lp_pool3d(input: ArrayLike, norm_type: float, kernel_size: Size,
              stride: Optional[Size] = None, ceil_mode: bool = False, *,
              method: Method = "im2col") -> FloatArray:
    """3-D power-average pooling, as ``torch.nn.functional.lp_pool3d``: :func:`lp_pool`.

    Parameters
    ----------
    input : array_like, shape (N, C, D, H, W) or unbatched (C, D, H, W)
    norm_type, kernel_size, stride, ceil_mode, method
        As for :func:`lp_pool`.

    Returns
    -------
    ndarray, shape (N, C, *out_size), or (C, *out_size) for an unbatched input

    Raises
    ------
    ValueError, TypeError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`lp_pool`.

    See Also
    --------
    lp_pool, npconv.avg_pool3d

    Examples
    --------
    Two non-zero cells in a 2x2x2 window: ``sqrt(3**2 + 4**2) = 5``.

    >>> x = np.zeros((1, 2, 2, 2))                       # unbatched (C, D, H, W)
    >>> x[0, 0, 0, 0], x[0, 1, 1, 1] = 3., 4.
    >>> lp_pool3d(x, 2, 2)
    array([[[[5.]]]])
    """
    return _with_rank(lp_pool, 3, "lp_pool3d", input, norm_type, kernel_size, stride,
                      ceil_mode, method=method)
