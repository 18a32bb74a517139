"""The fast variant: unfold windows into a matrix, multiply once, fold back.

:func:`im2col` copies every window of the input into a column of a matrix, so that a
convolution becomes one matrix product with the reshaped weights; :func:`col2im` is its
adjoint, adding every column back onto the window it came from, which is what the input
gradient and the transposed convolution need.  Read those two first, then the ops below
them; the helpers come last, in the order the ops meet them.

The functions take the same normalised geometry as :mod:`npconv.loops` and compute the same
numbers; only the order of the arithmetic differs.  Shapes use the docstring letters of
:mod:`npconv.api`, plus ``K = prod(kernel_size)`` (taps of one kernel) and
``L = prod(out_size)`` (windows, i.e. output cells).

The convolutions never build a padded input.  For one kernel tap, the windows whose tap
lands inside the input form one box (a range per dimension), and the cells they read are
one strided slice of the *unpadded* input (:func:`_tap_cells`).  The windows whose tap
lands on padding read zero, or with ``padding_mode`` the cell the padding copies, looked
up only where it is read.  Pooling builds the padding its windows reach only where the
padded input is at most twice the input (:func:`_built_padding`), and visits only the
taps that land on an input cell.  So no cost grows with a padding, stride or dilation
that the result never touches.

How the ops use them, for speed on real layer sizes (``npconv bench`` measures it):

- convolution and transposed convolution unfold a few images at a time into one reused
  workspace of at most ``workspace_bytes`` (8 MiB by default; an image too large for it
  is cut into ranges of rows), and run one matrix product per chunk and group.  The
  transposed convolution folds its product ``w.T @ x`` back with :func:`col2im`; the
  convolution's backward overwrites the columns with their own gradient ``w.T @ g`` and
  folds them back the same way, so a full-size column buffer and its gradient never
  exist at once;
- depthwise convolution (one input channel per group) and pooling skip the matrix: one
  elementwise pass per kernel tap over cache-sized chunks (of images for depthwise, of
  channel planes for pooling), on all cores.

Every trick is one small function below ("Why it is fast"), named at its call site.

Stepping through in a debugger: the elementwise paths (depthwise convolution, pooling)
run their chunks on a thread pool, where breakpoints are awkward.  With one thread
(``OMP_NUM_THREADS=1 python ...``) every chunk runs in the calling thread, one after
another, and the result is the same.
"""

import functools
import itertools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from .padding import padded_source
from .shapes import (
    avg_pool_divisors,
    ceil_div,
    check_array_bytes,
    conv_output_shape,
    conv_transpose_output_shape,
    pool_output_shape,
    window_reach,
)

__all__ = [
    "im2col", "col2im",
    "conv", "conv_backward",
    "conv_transpose", "conv_transpose_backward",
    "max_pool", "max_pool_backward",
    "avg_pool", "avg_pool_backward",
]

DEFAULT_WORKSPACE_BYTES = 8 * 2 ** 20
"""Default bound on the column workspace of one call (``workspace_bytes=None``).

Measured on ResNet-18's layers: 4, 8 and 16 MiB run equally fast (the GEMM of two or
more images is as efficient as one of many), so the smaller bound keeps peak memory low.
The bound covers the columns and the channels-first copy of the other operand of the
matrix product.  An image larger than the bound is cut into ranges of output rows; only
one output row of one image is always allowed, whatever the bound.
"""

CACHE_CHUNK_BYTES = 2 ** 21
"""Elementwise paths work on chunks about this size: images (depthwise), planes (pooling).

About one core's L2 cache.  Measured side by side on a 2-core machine with 2 MiB of L2
per core: 2 MiB chunks ran pooling and depthwise convolution 10-20% faster than 1 MiB
ones, and 512 KiB chunks made pooling on two threads 1.8x slower than on one, each thread
waiting for the GIL between its many short passes.
"""


# --------------------------------------------------------------------------------------------
# Unfold and fold
# --------------------------------------------------------------------------------------------

def im2col(x, kernel_size, stride, padding, dilation, padding_mode="zeros", *, out=None,
           rows=None):
    """Copy every window of ``x`` into a column: PyTorch's ``F.unfold``, in N-d.

    Cheat sheet: "Convolution operation" (each window the kernel slides over becomes one
    column, so that all the window sums become one matrix product).

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
        The input, *not* padded: the padding is applied on the fly.
    kernel_size, stride, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What a tap that lands on padding reads.
    out : ndarray, shape (N, C * K, L), optional
        Filled and returned instead of a new array.  It may be a view with any strides,
        e.g. a workspace laid out ``(C * K, N, L)`` and transposed.
    rows : range, optional
        Only the windows at these positions along the first spatial dimension (the output
        rows in 2-D); ``L`` then counts only them.  The ops use it to cut one large image
        into chunks.  By default all windows.

    Returns
    -------
    cols : ndarray, shape (N, C * K, L)
        ``cols[n, c * K + tap, l]`` is the cell that kernel tap ``tap`` (row-major over
        ``kernel_size``) reads in window ``l`` (row-major over the output positions);
        ``L = prod(out_size)`` with, per dimension,
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``.

    Raises
    ------
    ValueError
        If no window fits along some dimension (the formula gives less than 1).

    See Also
    --------
    col2im : the adjoint, which adds columns back onto their windows.
    npconv.loops.conv : the loop that reads the same windows one at a time.

    Examples
    --------
    >>> x = np.arange(5.).reshape(1, 1, 5)
    >>> im2col(x, (3,), (2,), ((0, 0),), (1,))
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])

    Padding is read, not built: a tap on the zero padding reads 0, with reflect padding
    the mirrored cell.

    >>> im2col(x, (2,), (3,), ((1, 0),), (1,))
    array([[[0., 2.],
            [0., 3.]]])
    >>> im2col(x, (2,), (3,), ((1, 0),), (1,), "reflect")
    array([[[1., 2.],
            [0., 3.]]])
    """
    N, C, *in_size = x.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    windows = _window_ranges(out_size, rows)
    counts = [len(block) for block in windows]
    K = math.prod(kernel_size)
    if out is None:
        out = np.empty((N, C * K, math.prod(counts)), dtype=x.dtype)
    columns = out.reshape(N, C, K, *counts)          # (N, C, K, *counts): splits axes, a view
    sources = _padding_sources(in_size, padding, padding_mode)
    taps = _kernel_taps(kernel_size, in_size, stride, padding, dilation, windows)
    for tap_index, where in enumerate(taps):
        block = columns[:, :, tap_index]             # (N, C, *counts): this tap's rows
        block[_ALL + where.inside] = x[_ALL + where.cells]
        for box in where.outside:
            block[_ALL + box] = _padding_values(x, where, box, stride, sources)
    return out


def col2im(cols, in_shape, kernel_size, stride, padding, dilation, padding_mode="zeros", *,
           out=None, rows=None):
    """Add every column back onto its window: the adjoint of :func:`im2col` (``F.fold``).

    Cheat sheet: "Convolution operation" run backwards, and "Transposed Convolution" (each
    column is a scaled kernel copy, added onto the window it belongs to).

    Overlapping windows add up.  A column cell that falls on padding goes back through the
    padding's gradient: with zero padding it is dropped, with ``reflect``, ``replicate``
    or ``circular`` it is added onto the input cell that the padding copies.  The loop
    runs over kernel taps, not windows: for one tap, the cells it touches over all windows
    are one strided slice of the input, so each tap is one vectorised ``+=``.

    Parameters
    ----------
    cols : ndarray, shape (N, C * K, L)
        In :func:`im2col`'s layout; any strides.
    in_shape : tuple (N, C, *in_size)
        The shape of the unpadded input the windows were taken from.
    kernel_size, stride, padding, dilation, padding_mode, rows
        As for :func:`im2col`.
    out : ndarray, shape ``in_shape``, optional
        The columns are *added* onto it (so that chunks of windows can be folded one after
        another) and it is returned.  By default a new array of zeros.

    Returns
    -------
    ndarray, shape ``in_shape``
        ``<im2col(x), cols> == <x, col2im(cols)>`` for every ``x`` of ``in_shape``.

    Raises
    ------
    ValueError
        As for :func:`im2col`.

    See Also
    --------
    im2col : the unfold this is the adjoint of.
    npconv.loops.conv_backward : the loop that scatters the same windows one at a time.

    Examples
    --------
    Folding columns of ones counts how many windows cover each cell:

    >>> col2im(np.ones((1, 3, 2)), (1, 1, 5), (3,), (2,), ((0, 0),), (1,))
    array([[[1., 1., 2., 1., 1.]]])

    With replicate padding, the cells read from the padding count for the edge cell:

    >>> col2im(np.ones((1, 3, 3)), (1, 1, 3), (3,), (1,), ((1, 1),), (1,), "replicate")
    array([[[3., 3., 3.]]])
    """
    N, C, *in_size = in_shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    windows = _window_ranges(out_size, rows)
    counts = [len(block) for block in windows]
    if out is None:
        out = np.zeros(in_shape, dtype=cols.dtype)
    columns = cols.reshape(N, C, math.prod(kernel_size), *counts)   # (N, C, K, *counts)
    sources = _padding_sources(in_size, padding, padding_mode)
    taps = _kernel_taps(kernel_size, in_size, stride, padding, dilation, windows)
    for tap_index, where in enumerate(taps):
        block = columns[:, :, tap_index]             # (N, C, *counts): this tap's rows
        cells = out[_ALL + where.cells]              # a view into out
        cells += block[_ALL + where.inside]
        for box in where.outside:
            _add_padding_gradient(out, block[_ALL + box], where, box, stride, sources)
    return out


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

def conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, *,
         workspace_bytes=None):
    """Convolution as one matrix product per chunk of images and group.

    Cheat sheet: "Convolution operation".  Per chunk, :func:`im2col` unfolds the windows
    into a workspace of at most ``workspace_bytes`` (default 8 MiB), reused chunk after
    chunk, and ``w @ columns`` gives the output cells.  Depthwise convolutions (one input
    channel per group) skip the matrix product and run tap by tap.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *in_size)
    weight : ndarray, shape (C_out, C_in // groups, *kernel_size)
    bias : ndarray, shape (C_out,), or None
    stride, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    groups : int
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
    workspace_bytes : int, optional
        Bound on the workspace (:data:`DEFAULT_WORKSPACE_BYTES` by default).

    Returns
    -------
    ndarray, shape (N, C_out, *out_size)
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``
        per dimension.

    Raises
    ------
    ValueError
        If even one output row of one image needs a workspace above
        :data:`npconv.shapes.MAX_ARRAY_BYTES`.

    See Also
    --------
    npconv.loops.conv : the same numbers, one output cell per line of Python.
    npconv.conv : the checked public entry point.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 3, 3))
    >>> conv(x, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1, "zeros")
    array([[[[45., 54.],
             [81., 90.]]]])

    The workspace bound changes how many windows share a matrix product, never the result
    (one byte: one output row at a time):

    >>> x = np.arange(5 * 2 * 36.).reshape(5, 2, 6, 6)
    >>> w = np.arange(4 * 2 * 9.).reshape(4, 2, 3, 3)
    >>> geometry = (None, (2, 1), ((1, 0), (1, 1)), (1, 2), 1, "zeros")
    >>> one_row_at_a_time = conv(x, w, *geometry, workspace_bytes=1)
    >>> np.array_equal(one_row_at_a_time, conv(x, w, *geometry))
    True
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K = math.prod(kernel_size)
    dtype = np.result_type(x, weight)

    if _is_depthwise(C_in_per_group, groups):
        out = np.zeros((N, C_out, *out_size), dtype=dtype)
        _depthwise_conv(x, weight, stride, padding, dilation, padding_mode, out)
    else:
        out = np.empty((N, C_out, *out_size), dtype=dtype)
        w = weight.reshape(groups, C_out // groups, C_in_per_group * K)   # (G, C_out/G, C_in/G*K)
        chunks, workspace, spare = _gemm_chunks(
            N, out_size, C_in * K, C_out, dtype, workspace_bytes,
            _workspace_cause(C_in, kernel_size, out_size, "the output"))
        for images, rows in chunks:
            n, L = images.stop - images.start, len(rows) * math.prod(out_size[1:])
            columns = workspace[:C_in * K * n * L].reshape(C_in * K, n, L)   # (C_in*K, n, L)
            im2col(x[images], kernel_size, stride, padding, dilation, padding_mode,
                   out=columns.transpose(1, 0, 2), rows=rows)                # as (n, C_in*K, L)
            columns = columns.reshape(groups, C_in_per_group * K, n * L)    # (G, C_in/G*K, n*L)
            result = _result_block(out, images, rows, spare)                 # (C_out, n*L)
            _matmul_into(w, columns,
                         result.reshape(groups, C_out // groups, n * L))  # (G, C_out/G, n*L)
            _store_block(result, out, images, rows)
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))            # (C_out, 1, ...)
    return out


def conv_backward(grad_output, x, weight, stride, padding, dilation, groups, padding_mode, *,
                  workspace_bytes=None):
    """Gradients of :func:`conv`: per chunk, two matrix products and a :func:`col2im`.

    Cheat sheet: "Convolution operation", run backwards.  For each chunk the columns are
    unfolded into the workspace, multiplied with the output gradient into the weight
    gradient, then overwritten by their own gradient ``w.T @ g``, which :func:`col2im`
    adds onto the input gradient: a full-size column buffer and its gradient never exist
    at once.  Depthwise convolutions (one input channel per group) skip the matrix
    products and run tap by tap, as in :func:`conv`.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, *out_size)
    x, weight, stride, padding, dilation, groups, padding_mode, workspace_bytes
        As for :func:`conv`.

    Returns
    -------
    grad_input, grad_weight, grad_bias : ndarray
        With the shapes of ``x``, ``weight`` and ``(C_out,)``.

    Raises
    ------
    ValueError
        As for :func:`conv`.

    See Also
    --------
    npconv.loops.conv_backward : the same numbers, scattering one output cell at a time.
    npconv.conv_backward : the checked public entry point.

    Examples
    --------
    >>> x = np.arange(9.).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> grad_x, grad_w, grad_b = conv_backward(np.ones((1, 1, 2, 2)), x, w, (1, 1),
    ...                                        ((0, 0), (0, 0)), (1, 1), 1, "zeros")
    >>> grad_x
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    >>> grad_w, grad_b
    (array([[[[ 8., 12.],
             [20., 24.]]]]), array([4.]))

    Chunking (here three images, one output row at a time) gives the same gradients:

    >>> x = np.arange(3 * 2 * 25.).reshape(3, 2, 5, 5) % 7
    >>> w = np.arange(3 * 2 * 4.).reshape(3, 2, 2, 2) % 5
    >>> g = np.ones((3, 3, 4, 4))
    >>> geometry = ((1, 1), ((0, 0), (0, 0)), (1, 1), 1, "zeros")
    >>> chunked = conv_backward(g, x, w, *geometry, workspace_bytes=1)
    >>> whole = conv_backward(g, x, w, *geometry)
    >>> all(np.array_equal(a, b) for a, b in zip(chunked, whole))
    True
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K = math.prod(kernel_size)
    dtype = np.result_type(grad_output, x, weight)
    grad_x = np.zeros(x.shape, dtype=dtype)
    grad_w = np.zeros(weight.shape, dtype=dtype)

    if _is_depthwise(C_in_per_group, groups):
        _depthwise_conv_backward(grad_output, x, weight, stride, padding, dilation,
                                 padding_mode, grad_x, grad_w)
    else:
        w = weight.reshape(groups, C_out // groups, C_in_per_group * K)   # (G, C_out/G, C_in/G*K)
        grad_w_t = np.zeros((groups, C_in_per_group * K, C_out // groups), dtype=dtype)
        chunks, workspace, spare = _gemm_chunks(
            N, out_size, C_in * K, C_out, dtype, workspace_bytes,
            _workspace_cause(C_in, kernel_size, out_size, "the output"))
        for chunk_index, (images, rows) in enumerate(chunks):
            n, L = images.stop - images.start, len(rows) * math.prod(out_size[1:])
            columns = workspace[:C_in * K * n * L].reshape(C_in * K, n, L)   # (C_in*K, n, L)
            im2col(x[images], kernel_size, stride, padding, dilation, padding_mode,
                   out=columns.transpose(1, 0, 2), rows=rows)                # as (n, C_in*K, L)
            columns = columns.reshape(groups, C_in_per_group * K, n * L)    # (G, C_in/G*K, n*L)
            g = _channels_first(grad_output, images, rows, spare)            # (C_out, n*L)
            g = g.reshape(groups, C_out // groups, n * L)                    # (G, C_out/G, n*L)
            _add_weight_gradient(grad_w_t, g, columns, chunk_index == 0)    # (G, C_in/G*K, C_out/G)
            # w.T (G, C_in/G*K, C_out/G) @ g: the columns' gradient, in the columns' place
            _matmul_into(w.swapaxes(1, 2), g, columns)                       # (G, C_in/G*K, n*L)
            grad_columns = columns.reshape(C_in * K, n, L).transpose(1, 0, 2)   # (n, C_in*K, L)
            col2im(grad_columns, (n, C_in, *in_size), kernel_size, stride, padding, dilation,
                   padding_mode, out=grad_x[images], rows=rows)
        grad_w = grad_w_t.swapaxes(1, 2).reshape(weight.shape)   # (C_out, C_in/G, *kernel_size)
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w, grad_bias


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

def conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, *,
                   workspace_bytes=None):
    """Transposed convolution: per chunk of images, one matrix product and a :func:`col2im`.

    Cheat sheet: "Transposed Convolution".  The columns ``w.T @ x`` of a chunk are the
    scaled kernel copies of its input cells; :func:`col2im`, with the transposed
    convolution's padding as the cropping, adds them onto the output.

    Parameters
    ----------
    x : ndarray, shape (N, C_in, *in_size)
    weight : ndarray, shape (C_in, C_out // groups, *kernel_size)
    bias : ndarray, shape (C_out,), or None
    stride, output_padding, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    groups : int
    workspace_bytes : int, optional
        As for :func:`conv`.

    Returns
    -------
    ndarray, shape (N, C_out, *out_size)
        ``out = (in - 1) * stride - before - after + dilation * (kernel_size - 1)
        + output_padding + 1`` per dimension.

    Raises
    ------
    ValueError
        As for :func:`conv`.

    See Also
    --------
    npconv.loops.conv_transpose : the same numbers, one scattered kernel copy per line.
    npconv.conv_transpose : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 2.]]])
    >>> w = np.array([[[1., 10., 100.]]])
    >>> conv_transpose(x, w, None, (2,), ((0, 0),), (0,), 1, (1,))
    array([[[  1.,  10., 102.,  20., 200.]]])

    A huge stride and padding cost nothing: only the three output cells are computed.

    >>> conv_transpose(np.ones((1, 1, 2)), np.ones((1, 1, 1)), None, (10 ** 9,),
    ...                ((5 * 10 ** 8 - 1, 5 * 10 ** 8 - 1),), (0,), 1, (1,))
    array([[[0., 0., 0.]]])
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_out = C_out_per_group * groups
    out_size = conv_transpose_output_shape(in_size, kernel_size, stride, padding,
                                           output_padding, dilation)
    K = math.prod(kernel_size)
    dtype = np.result_type(x, weight)
    out = np.zeros((N, C_out, *out_size), dtype=dtype)
    cropping = _transposed_cropping(padding, output_padding)

    w = weight.reshape(groups, C_in // groups, C_out_per_group * K)   # (G, C_in/G, C_out/G*K)
    chunks, workspace, spare = _gemm_chunks(
        N, in_size, C_out * K, C_in, dtype, workspace_bytes,
        _workspace_cause(C_out, kernel_size, in_size, "the input"))
    for images, rows in chunks:
        n, L = images.stop - images.start, len(rows) * math.prod(in_size[1:])
        x_rows = _channels_first(x, images, rows, spare)                # (C_in, n*L)
        x_rows = x_rows.reshape(groups, C_in // groups, n * L)          # (G, C_in/G, n*L)
        columns = workspace[:C_out * K * n * L].reshape(C_out * K, n, L)   # (C_out*K, n, L)
        _matmul_into(w.swapaxes(1, 2), x_rows,                          # (G, C_out/G*K, C_in/G)
                     columns.reshape(groups, C_out_per_group * K, n * L))  # (G, C_out/G*K, n*L)
        columns = columns.reshape(C_out * K, n, L).transpose(1, 0, 2)   # (n, C_out*K, L)
        col2im(columns, (n, C_out, *out_size), kernel_size, stride, cropping, dilation,
               out=out[images], rows=rows)
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))                # (C_out, 1, ...)
    return out


def conv_transpose_backward(grad_output, x, weight, stride, padding, output_padding, groups,
                            dilation, *, workspace_bytes=None):
    """Gradients of :func:`conv_transpose`: :func:`im2col` of the output gradient, two products.

    Cheat sheet: "Transposed Convolution", run backwards.  Each input cell scattered a
    kernel copy onto a window of the output, so it gathers that window of the output
    gradient back: the columns of ``grad_output`` (with the cropping as padding), times
    the weights, give the input gradient; times the input, the weight gradient.

    Parameters
    ----------
    grad_output : ndarray, shape (N, C_out, *out_size)
    x, weight, stride, padding, output_padding, groups, dilation, workspace_bytes
        As for :func:`conv_transpose`.

    Returns
    -------
    grad_input, grad_weight, grad_bias : ndarray
        With the shapes of ``x``, ``weight`` and ``(C_out,)``.

    Raises
    ------
    ValueError
        As for :func:`conv`.

    See Also
    --------
    npconv.loops.conv_transpose_backward : the same numbers, gathering one cell at a time.
    npconv.conv_transpose_backward : the checked public entry point.

    Examples
    --------
    Each input cell scattered a 2-cell kernel, so it gathers 2 cells of gradient back:

    >>> x = np.array([[[1., 2.]]])
    >>> conv_transpose_backward(np.ones((1, 1, 4)), x, np.ones((1, 1, 2)),
    ...                         (2,), ((0, 0),), (0,), 1, (1,))
    (array([[[2., 2.]]]), array([[[3., 3.]]]), array([4.]))
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_out = C_out_per_group * groups
    K = math.prod(kernel_size)
    dtype = np.result_type(grad_output, x, weight)
    cropping = _transposed_cropping(padding, output_padding)
    w = weight.reshape(groups, C_in // groups, C_out_per_group * K)   # (G, C_in/G, C_out/G*K)
    grad_x = np.empty(x.shape, dtype=dtype)
    grad_w_t = np.zeros((groups, C_out_per_group * K, C_in // groups), dtype=dtype)

    chunks, workspace, spare = _gemm_chunks(
        N, in_size, C_out * K, C_in, dtype, workspace_bytes,
        _workspace_cause(C_out, kernel_size, in_size, "the input"))
    for chunk_index, (images, rows) in enumerate(chunks):
        n, L = images.stop - images.start, len(rows) * math.prod(in_size[1:])
        columns = workspace[:C_out * K * n * L].reshape(C_out * K, n, L)   # (C_out*K, n, L)
        im2col(grad_output[images], kernel_size, stride, cropping, dilation,
               out=columns.transpose(1, 0, 2), rows=rows)                # as (n, C_out*K, L)
        columns = columns.reshape(groups, C_out_per_group * K, n * L)    # (G, C_out/G*K, n*L)
        x_rows = _channels_first(x, images, rows, spare)                 # (C_in, n*L)
        x_rows = x_rows.reshape(groups, C_in // groups, n * L)           # (G, C_in/G, n*L)
        _add_weight_gradient(grad_w_t, x_rows, columns, chunk_index == 0)   # (G, C_out/G*K, C_in/G)
        result = _result_block(grad_x, images, rows, spare)              # (C_in, n*L)
        _matmul_into(w, columns,
                     result.reshape(groups, C_in // groups, n * L))  # (G, C_in/G, n*L)
        _store_block(result, grad_x, images, rows)
    grad_w = grad_w_t.swapaxes(1, 2).reshape(weight.shape)       # (C_in, C_out/G, *kernel_size)
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w, grad_bias


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

def max_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling: a running maximum over the kernel taps, then the first winning tap.

    Cheat sheet: "Pooling operation".  No column matrix: tap by tap, ``np.maximum`` of the
    running maximum and the cells the tap reads (:func:`_max_pool_chunk`), over chunks of
    channel planes on all cores.  Only taps that land on an input cell take part, so
    padding never wins and a window of ``-inf`` names its first real cell, as PyTorch does.
    The maxima that are zero or NaN are then read again from their winning cells
    (:func:`_maxima_from_their_winners`), so that the sign of a zero and the payload of a
    NaN are the winner's.

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    kernel_size, stride, dilation : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    ceil_mode : bool

    Returns
    -------
    out : ndarray, shape (N, C, *out_size)
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``
        per dimension, or ceil with ``ceil_mode``.
    indices : ndarray of int64, shape (N, C, *out_size)
        The flat position of each winner in its ``(n, c)`` plane of the unpadded input.

    See Also
    --------
    npconv.loops.max_pool : the same numbers, one window per line of Python.
    npconv.max_pool : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 5., 2., 7., 3.]]])
    >>> max_pool(x, (2,), (2,), ((0, 0),), (1,), True)
    (array([[[5., 7., 3.]]]), array([[[1, 3, 4]]]))
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    taps, built = _pool_taps(in_size, kernel_size, stride, padding, dilation, out_size)
    origin, offsets = _winner_offsets(taps, in_size, stride, padding, dilation, out_size)
    planes = _planes(x)                                          # (N*C, 1, *in_size)
    out = np.empty((N * C, 1, *out_size), dtype=x.dtype)
    indices = np.empty((N * C, 1, *out_size), dtype=np.int64)

    def chunk(start, stop):
        winner = np.empty((stop - start, 1, *out_size), dtype=np.min_scalar_type(len(taps)))
        reads = _tap_reads(planes[start:stop], taps, built, stride[-1], -np.inf)
        _max_pool_chunk(reads, taps, out[start:stop], winner)
        np.take(offsets, winner, out=indices[start:stop])       # each winner's tap offset
        indices[start:stop] += origin                           # plus its window's origin
        _maxima_from_their_winners(planes[start:stop], out[start:stop], indices[start:stop])

    _on_all_cores(chunk, _chunks(N * C, _image_bytes(planes), CACHE_CHUNK_BYTES))
    return out.reshape(N, C, *out_size), indices.reshape(N, C, *out_size)   # (N, C, *out)


def max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Gradient of :func:`max_pool`: each window's gradient goes to its winner, exactly.

    Cheat sheet: "Pooling operation", run backwards.  The winners are found again as in
    :func:`max_pool`, and each window's gradient is added onto its winner's flat index by
    ``np.bincount`` (:func:`scatter_to_winners`): a NaN or infinite gradient reaches its
    winner and no other cell, which multiplying by a 0/1 mask would not give
    (``0 * NaN`` and ``0 * inf`` are NaN).

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
    npconv.loops.max_pool_backward : the same numbers, one window per line of Python.
    npconv.max_pool_backward : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 5., 2., 7., 3.]]])
    >>> max_pool_backward(np.ones((1, 1, 2)), x, (2,), (2,), ((0, 0),), (1,), False)
    array([[[0., 1., 0., 1., 0.]]])
    >>> max_pool_backward(np.array([[[np.nan]]]), np.array([[[1., 5.]]]), (2,), (2,),
    ...                   ((0, 0),), (1,), False)
    array([[[ 0., nan]]])
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    taps, built = _pool_taps(in_size, kernel_size, stride, padding, dilation, out_size)
    origin, offsets = _winner_offsets(taps, in_size, stride, padding, dilation, out_size)
    planes, grad_planes = _planes(x), _planes(grad_output)       # (N*C, 1, *size)
    grad_x = np.empty((N * C, 1, *in_size), dtype=np.result_type(grad_output, x))

    def chunk(start, stop):
        shape = (stop - start, 1, *out_size)
        winner = np.empty(shape, dtype=np.min_scalar_type(len(taps)))
        reads = _tap_reads(planes[start:stop], taps, built, stride[-1], -np.inf)
        _max_pool_chunk(reads, taps, np.empty(shape, dtype=x.dtype), winner)
        flat_index = np.add(origin, np.take(offsets, winner))   # (n, 1, *out_size)
        scatter_to_winners(grad_planes[start:stop], flat_index, grad_x[start:stop])

    _on_all_cores(chunk, _chunks(N * C, _image_bytes(planes), CACHE_CHUNK_BYTES))
    return grad_x.reshape(x.shape)                               # (N, C, *in_size)


def avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling: add up, tap by tap, the cells each tap reads, then divide.

    Cheat sheet: "Pooling operation".  No column matrix: tap by tap, over chunks of
    channel planes on all cores.  Only taps that land on an input cell are visited (zero
    padding adds nothing to a sum); the divisor counts what PyTorch counts
    (:func:`npconv.shapes.avg_pool_divisors`).

    Parameters
    ----------
    x : ndarray, shape (N, C, *in_size)
    kernel_size, stride : tuple of int, one per spatial dimension
    padding : tuple of (before, after) pairs, one per spatial dimension
    ceil_mode, count_include_pad : bool
    divisor_override : int or None

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        Output size as for :func:`max_pool` with dilation 1.

    See Also
    --------
    npconv.loops.avg_pool : the same numbers, one window per line of Python.
    npconv.avg_pool : the checked public entry point.

    Examples
    --------
    >>> x = np.array([[[1., 2., 3., 4., 5.]]])
    >>> avg_pool(x, (2,), (2,), ((0, 0),), True, True, None)
    array([[[1.5, 3.5, 5. ]]])
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                 count_include_pad, divisor_override).astype(x.dtype)
    taps, built = _pool_taps(in_size, kernel_size, stride, padding, dilation, out_size)
    planes = _planes(x)                                          # (N*C, 1, *in_size)
    sums = np.empty((N * C, 1, *out_size), dtype=x.dtype)

    def chunk(start, stop):
        total = sums[start:stop]
        total.fill(0)
        for box, cells in _tap_reads(planes[start:stop], taps, built, stride[-1], 0):
            window_sums = total[box]                             # a view into sums
            window_sums += cells
        np.divide(total, divisors, out=total)

    _on_all_cores(chunk, _chunks(N * C, _image_bytes(planes), CACHE_CHUNK_BYTES))
    return sums.reshape(N, C, *out_size)                         # (N, C, *out_size)


def avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    """Gradient of :func:`avg_pool`: each tap adds the window's share onto the cells it read.

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
    npconv.loops.avg_pool_backward : the same numbers, one window per line of Python.
    npconv.avg_pool_backward : the checked public entry point.

    Examples
    --------
    >>> avg_pool_backward(np.ones((1, 1, 2)), np.zeros((1, 1, 4)), (2,), (2,), ((0, 0),),
    ...                   False, True, None)
    array([[[0.5, 0.5, 0.5, 0.5]]])
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                 count_include_pad, divisor_override).astype(x.dtype)
    dtype = np.result_type(grad_output, x)
    grad_planes = _planes(grad_output)                           # (N*C, 1, *out_size)
    taps, built = _pool_taps(in_size, kernel_size, stride, padding, dilation, out_size)
    grad_x = np.empty((N * C, 1, *in_size), dtype=dtype)        # every cell set per chunk

    def chunk(start, stop):
        share = np.divide(grad_planes[start:stop], divisors, dtype=dtype)   # (n, 1, *out)
        grad_chunk = grad_x[start:stop]                          # (n, 1, *in_size)
        grad_phases = _gradient_phases(grad_chunk, taps, built, stride[-1])
        for tap in taps:
            cells = _phase_view(grad_phases, tap.read, stride[-1])   # a view into the phases
            cells += share[_ALL + tap.read.inside]
        _merge_phases(grad_phases, built, stride[-1], grad_chunk)

    _on_all_cores(chunk, _chunks(N * C, _image_bytes(grad_x), CACHE_CHUNK_BYTES))
    return grad_x.reshape(x.shape)                               # (N, C, *in_size)


# ============================================================================================
# The helpers, in the order the functions above meet them
# ============================================================================================

_ALL = (slice(None), slice(None))
"""Index prefix that keeps the batch and channel axes whole."""


# --------------------------------------------------------------------------------------------
# Where a kernel tap meets the input
# --------------------------------------------------------------------------------------------

class _TapCells(NamedTuple):
    """Where one kernel tap meets the unpadded input, over a block of windows.

    Per dimension, tap ``t`` of window ``w`` reads position ``w * stride + t * dilation -
    before`` (negative: the left padding; from the input's length on: the right padding).
    The windows whose tap lands inside the input form one range per dimension.
    """

    inside: tuple
    """Slices of windows (counted from the block's first) whose tap reads an input cell."""
    cells: tuple
    """Slices of the unpadded input those windows read, in the same order (step: stride)."""
    outside: tuple
    """Boxes of windows (tuples of slices) whose tap reads padding; with ``inside`` they
    tile the block."""
    first: tuple
    """Per dimension, the position the tap reads in the block's first window."""


def _window_ranges(out_size, rows):
    """Per dimension, the range of window positions a block covers: ``rows`` along the first."""
    windows = [range(size) for size in out_size]
    if rows is not None:
        windows[0] = rows
    return windows


def _tap_cells(tap, in_size, stride, padding, dilation, windows):
    """Where kernel tap ``tap`` meets the input over the windows ``windows`` (:class:`_TapCells`).

    Examples
    --------
    Input 5, tap 0 of a kernel with padding 1: window 0 reads the padding, windows 1-4 read
    cells 0-3.

    >>> where = _tap_cells((0,), (5,), (1,), ((1, 1),), (1,), [range(5)])
    >>> where.inside, where.cells, where.outside
    ((slice(1, 5, None),), (slice(0, 4, 1),), ((slice(0, 1, None),),))
    """
    inside, cells, first = [], [], []
    for t, size, s, (before, _), d, block in zip(tap, in_size, stride, padding, dilation,
                                                 windows):
        start = block.start * s + t * d - before          # read by the block's first window
        lo = min(max(ceil_div(-start, s), 0), len(block))          # first window inside
        hi = min(max(ceil_div(size - start, s), lo), len(block))   # one past the last
        inside.append(slice(lo, hi))
        cells.append(slice(start + lo * s, start + (hi - 1) * s + 1, s) if hi > lo
                     else slice(0, 0))
        first.append(start)
    outside = []
    for dim, (box, block) in enumerate(zip(inside, windows)):
        for part in (slice(0, box.start), slice(box.stop, len(block))):
            # before this dimension: inside only; after it: everything (no box twice)
            region = (*inside[:dim], part, *(slice(0, len(b)) for b in windows[dim + 1:]))
            if all(s.stop > s.start for s in region):
                outside.append(region)
    return _TapCells(tuple(inside), tuple(cells), tuple(outside), tuple(first))


def _kernel_taps(kernel_size, in_size, stride, padding, dilation, windows):
    """:func:`_tap_cells` of every kernel tap over ``windows``, row-major, as a tuple.

    Why it is fast: the ops unfold and fold chunk after chunk with one geometry, and
    working out one tap's boxes takes Python tens of microseconds (a 7x7 kernel over eight
    chunks, forward and back: a tenth of the stem's backward), so the taps of the last few
    geometries are kept (for kernels of up to :data:`_KEPT_KERNEL_TAPS` taps).
    """
    geometry = (tuple(kernel_size), tuple(in_size), tuple(stride),
                tuple(tuple(pair) for pair in padding), tuple(dilation), tuple(windows))
    if math.prod(kernel_size) > _KEPT_KERNEL_TAPS:
        return _every_tap_of(*geometry)
    return _kept_taps(*geometry)


def _every_tap_of(kernel_size, in_size, stride, padding, dilation, windows):
    """:func:`_kernel_taps`, worked out."""
    return tuple(_tap_cells(tap, in_size, stride, padding, dilation, windows)
                 for tap in np.ndindex(*kernel_size))


_KEPT_KERNEL_TAPS = 512
"""Kernels up to this many taps have their tap geometry kept between calls."""

_kept_taps = functools.lru_cache(maxsize=16)(_every_tap_of)


def _padding_sources(in_size, padding, padding_mode):
    """Per dimension, the lookup that sends a padded position to the cell it copies.

    Returns ``None`` for zero padding (a padded position reads 0), else one
    ``(table, lowest, highest)`` per dimension: position ``p`` copies input cell
    ``table[clip(p, lowest, highest) - lowest]``, the table being
    :func:`npconv.padding.padded_source`.  Reflect and circular padding are at most as wide
    as the input, so the table is at most three inputs long; beyond the first padded cell,
    replicate padding copies the edge again, so its table keeps one padded cell per side.
    """
    if padding_mode == "zeros":
        return None
    sources = []
    for size, (before, after) in zip(in_size, padding):
        if padding_mode == "replicate":
            before, after = min(before, 1), min(after, 1)
        table = padded_source(size, before, after, padding_mode)
        sources.append((table, -before, size + after - 1))
    return sources


def _source_cells(where, box, stride, sources):
    """Per dimension, the input cells that the padded windows ``box`` copy (an ``np.ix_``)."""
    cells = []
    for part, start, s, (table, lowest, highest) in zip(box, where.first, stride, sources):
        position = start + np.arange(part.start, part.stop) * s
        cells.append(table[np.clip(position, lowest, highest) - lowest])
    return np.ix_(*cells)


def _padding_values(x, where, box, stride, sources):
    """What the windows ``box`` read where the tap lands on padding: 0, or the copied cells."""
    if sources is None:
        return 0
    return x[_ALL + _source_cells(where, box, stride, sources)]      # (N, C, *box)


def _add_padding_gradient(grad_x, values, where, box, stride, sources):
    """The adjoint of :func:`_padding_values`: add ``values`` onto the cells the padding copied.

    Zero padding copied nothing, so nothing is added; otherwise ``np.add.at``, because
    several padded cells may copy the same input cell.
    """
    if sources is not None:
        np.add.at(grad_x, _ALL + _source_cells(where, box, stride, sources), values)


# --------------------------------------------------------------------------------------------
# Chunks and the workspace
# --------------------------------------------------------------------------------------------

def _chunks(count, bytes_each, budget):
    """Split items ``0..count`` into consecutive ``(start, stop)`` chunks of at most ``budget``
    bytes, one item at least.

    Why it is fast: a bounded buffer filled a few images at a time is allocated (and
    page-faulted) once and then reused, and for the elementwise paths it stays in cache;
    a GEMM over a few images at once is still large enough to run at the BLAS peak.

    >>> _chunks(5, 100, 250)
    [(0, 2), (2, 4), (4, 5)]
    >>> _chunks(0, 100, 250)              # an empty batch has no chunks
    []
    """
    per_chunk = max(1, min(count, budget // max(bytes_each, 1)))
    return [(start, min(start + per_chunk, count)) for start in range(0, count, per_chunk)]


def _image_bytes(x):
    """Bytes of one image of ``x`` (n, C, *size), also when the batch is empty."""
    return math.prod(x.shape[1:]) * x.itemsize


def _gemm_chunks(N, out_size, column_channels, other_channels, dtype, workspace_bytes, cause):
    """The chunks of a matrix-product op, and the two flat buffers every chunk reuses.

    A chunk is ``(images, rows)``: a slice of images and a range of window positions along
    the first spatial dimension.  Per window, the columns take ``column_channels`` cells;
    a chunk of several images also takes ``other_channels`` cells for the channels-first
    copy of the other operand (the output, the output gradient or the input; one image
    needs no copy, see :func:`_channels_first`).  As many whole images as fit in
    ``workspace_bytes`` share a chunk; an image whose columns alone do not fit is cut into
    ranges of rows, down to one row, whose columns must stay within
    :data:`npconv.shapes.MAX_ARRAY_BYTES` (``cause`` says what makes them large).  Without
    images or windows there is no chunk and nothing is allocated.

    Returns ``chunks``, ``workspace`` (room for the largest chunk's columns) and ``spare``
    (room for its copy; empty when no chunk holds several images).
    """
    budget = DEFAULT_WORKSPACE_BYTES if workspace_bytes is None else int(workspace_bytes)
    itemsize = np.dtype(dtype).itemsize
    rows, row_windows = out_size[0], math.prod(out_size[1:])
    row_bytes = column_channels * row_windows * itemsize
    if rows * row_windows == 0:
        chunks = []                         # no windows (an empty input row): nothing to do
    elif N > 0 and row_bytes * rows > budget:
        check_array_bytes((column_channels, row_windows), itemsize,
                          "the im2col workspace of one row of windows", cause)
        chunks = [(slice(n, n + 1), range(start, stop))
                  for n in range(N) for start, stop in _chunks(rows, row_bytes, budget)]
    else:
        image_bytes = (column_channels + other_channels) * row_windows * rows * itemsize
        chunks = [(slice(start, stop), range(rows))
                  for start, stop in _chunks(N, image_bytes, budget)]
    windows = [(images.stop - images.start) * len(rows_of) * row_windows
               for images, rows_of in chunks]
    several_images = any(images.stop - images.start > 1 for images, _ in chunks)
    workspace = np.empty(max(windows, default=0) * column_channels, dtype=dtype)
    spare = np.empty(max(windows, default=0) * other_channels * several_images, dtype=dtype)
    return chunks, workspace, spare


def _workspace_cause(channels, kernel_size, windows_size, windows_of):
    """Words for :func:`npconv.shapes.check_array_bytes`: what makes one row's columns large.

    ``windows_size`` is the size of the array with one window per cell, ``windows_of``
    names it ("the output" of a convolution, "the input" of a transposed one).
    """
    return (f"{channels} channels x kernel_size={tuple(kernel_size)} "
            f"({math.prod(kernel_size)} taps) x {math.prod(windows_size[1:])} windows per "
            f"row of {windows_of}, whose spatial size is {tuple(windows_size)}")


# --------------------------------------------------------------------------------------------
# The matrix products
# --------------------------------------------------------------------------------------------

def _is_depthwise(C_in_per_group, groups):
    """True when there are several groups and each sees one input channel: a GEMM per group
    would be K-by-1 and starve (one group of one channel is an ordinary GEMM)."""
    return C_in_per_group == 1 and groups > 1


def _matmul_into(a, b, out):
    """``out = a @ b`` per group: ``(G, m, k) @ (G, k, n)`` into ``out`` (G, m, n).

    Why it is fast: one large 2-D product per group, which BLAS runs multithreaded at its
    peak, written straight into a reused buffer or the result (``out`` may have a row
    stride wider than ``n``: BLAS takes it as its leading dimension), so no temporary.
    """
    np.matmul(a, b, out=out)


def _add_weight_gradient(total_t, g, columns, first):
    """Add ``g @ columns.T`` per group onto ``total_t``, which holds the sum transposed;
    the ``first`` chunk's product is written into it directly.

    ``g`` is (G, a, n*L), ``columns`` (G, b, n*L) and ``total_t`` (G, b, a).

    Why it is fast: computed as ``columns @ g.T``, the long ``n*L`` axis is the contiguous
    inner axis of both operands, the layout OpenBLAS runs fastest for this long, thin
    product; and kept in that layout, the chunks' products add up contiguously (adding a
    transposed view onto a large weight gradient, chunk after chunk, costs more than the
    product).  The caller transposes the total once, at the end.
    """
    if first:
        np.matmul(columns, g.swapaxes(1, 2), out=total_t)          # (G, b, a)
    else:
        total_t += columns @ g.swapaxes(1, 2)                       # (G, b, a)


def _channels_first(array, images, rows, spare):
    """The chunk ``array[images][:, :, rows]`` as a (C, n*L) matrix: the GEMM layout.

    One image needs no copy (its channels already lead: a view, when ``array`` is
    contiguous); several images are copied into ``spare``.
    """
    n, C = images.stop - images.start, array.shape[1]
    block = array[images, :, rows.start:rows.stop]               # (n, C, rows, *rest)
    L = math.prod(block.shape[2:])
    if n == 1:
        return block[0].reshape(C, L)                           # (C, L)
    copy = spare[:block.size].reshape(C, n, *block.shape[2:])   # (C, n, rows, *rest)
    np.copyto(copy, block.swapaxes(0, 1))                       # (C, n, rows, *rest)
    return copy.reshape(C, n * L)                               # (C, n*L)


def _result_block(target, images, rows, spare):
    """Where a chunk's product (C, n*L) goes: into ``target`` itself for one image, else spare.

    ``target`` (N, C, *size) is an array this module allocated (C-contiguous), so one
    image's rows ``rows`` of every channel form a (C, L) matrix with a row stride: a view.
    Several images interleave there, so their product goes to ``spare`` and
    :func:`_store_block` copies it.
    """
    n, C = images.stop - images.start, target.shape[1]
    L = len(rows) * math.prod(target.shape[3:])
    if n == 1:
        return target[images.start, :, rows.start:rows.stop].reshape(C, L)   # (C, L): a view
    return spare[:C * n * L].reshape(C, n * L)                  # (C, n*L)


def _store_block(result, target, images, rows):
    """Copy a chunk's product (C, n*L) into ``target[images][:, :, rows]``, unless it is there."""
    n, C = images.stop - images.start, target.shape[1]
    if n > 1:
        block = result.reshape(C, n, len(rows), *target.shape[3:])   # (C, n, rows, *rest)
        target[images, :, rows.start:rows.stop] = block.swapaxes(0, 1)   # (n, C, rows, *rest)


def _transposed_cropping(padding, output_padding):
    """The padding under which :func:`col2im` folds a transposed convolution's columns.

    A transposed convolution's padding crops its output, which is what ``col2im`` does
    with cells that fall on padding.  ``col2im`` counts its windows from the output size,
    which ``output_padding`` extends: taking it off the ``after`` side (it may go below
    zero) makes the count the input size again, without moving any window.
    """
    return tuple((before, after - extra)
                 for (before, after), extra in zip(padding, output_padding))


# --------------------------------------------------------------------------------------------
# Depthwise convolution: tap by tap
# --------------------------------------------------------------------------------------------

def _depthwise_conv(x, weight, stride, padding, dilation, padding_mode, out):
    """Depthwise convolution by kernel taps: ``out += x_tap * w_tap``, K times.

    Why it is fast: with one input channel per group the matrix product degenerates into
    tiny products; K multiply-adds over whole images (chunked to stay in cache, chunks on
    all cores) do the same arithmetic at memory speed.  Each tap's ``product`` is written
    for every window: where the tap lands on the input from its cells (one flat run per
    tap where :func:`_tap_runs` allows), elsewhere from the padding's value (0 for zero
    padding, and ``0 * w_tap`` is NaN for an infinite weight, as in the formula).
    ``out`` (N, C_out, *out_size) must arrive zeroed: every tap adds onto it.
    """
    N, C_in, *in_size = x.shape
    out_size = out.shape[2:]
    m = weight.shape[0] // C_in                                  # output channels per input
    taps_w = weight.reshape(C_in, m, math.prod(weight.shape[2:]))   # (C_in, m, K)
    out_groups = out.reshape(N, C_in, m, *out_size)              # (N, C_in, m, *out_size)
    taps = _kernel_taps(weight.shape[2:], in_size, stride, padding, dilation,
                        _window_ranges(out_size, None))
    runs = _tap_runs(taps, in_size, out_size, stride)
    sources = _padding_sources(in_size, padding, padding_mode)

    def chunk(start, stop):
        x_chunk = np.ascontiguousarray(x[start:stop])[:, :, None]   # (n, C_in, 1, *in_size)
        total = out_groups[start:stop]                           # (n, C_in, m, *out_size)
        product = np.empty(total.shape, dtype=total.dtype)           # C order: see _inside
        for tap_index, (where, run) in enumerate(zip(taps, runs)):
            w_tap = taps_w[:, :, tap_index]                      # (C_in, m)
            x_cells, product_cells = _inside(x_chunk, product, where, run)
            np.multiply(x_cells, _per_channel(w_tap, product_cells), out=product_cells)
            for box in where.outside:                           # (and a run's wrapped cells)
                padded = _padding_values(x_chunk[:, :, 0], where, box, stride, sources)
                product[_WITH_MULTIPLIER + box] = (_multiplier_axis(padded)
                                                   * _per_channel(w_tap, product))
            total += product

    _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))


def _depthwise_conv_backward(grad_output, x, weight, stride, padding, dilation, padding_mode,
                             grad_x, grad_w):
    """Gradients of :func:`_depthwise_conv`, tap by tap, for the same reasons.

    ``grad_w`` (C_out, 1, *kernel_size) receives, per tap and channel, the sum over all
    windows of ``g`` times what the tap read (:func:`_depthwise_weight_gradient`);
    ``grad_x`` (N, C_in, *in_size), zeroed, receives ``g * w_tap`` on each tap's cells
    (:func:`_depthwise_input_gradient`).
    """
    N, C_in, *in_size = x.shape
    out_size = grad_output.shape[2:]
    m = weight.shape[0] // C_in                                  # output channels per input
    taps_w = weight.reshape(C_in, m, math.prod(weight.shape[2:]))   # (C_in, m, K)
    taps = _kernel_taps(weight.shape[2:], in_size, stride, padding, dilation,
                        _window_ranges(out_size, None))
    runs = _tap_runs(taps, in_size, out_size, stride)
    sources = _padding_sources(in_size, padding, padding_mode)

    def chunk(start, stop):
        x_chunk = np.ascontiguousarray(x[start:stop])[:, :, None]   # (n, C_in, 1, *in_size)
        g = grad_output[start:stop].reshape(stop - start, C_in, m, *out_size)   # (n, C_in, m, ...)
        g = g.astype(grad_x.dtype, copy=False)
        partial = np.zeros(taps_w.shape, dtype=grad_x.dtype)       # (C_in, m, K)
        product = np.empty(g.shape, dtype=g.dtype)   # C order, whatever grad_output's: see _inside
        for tap_index, (where, run) in enumerate(zip(taps, runs)):
            partial[:, :, tap_index] = _depthwise_weight_gradient(
                g, x_chunk, where, run, stride, sources, product)
            _depthwise_input_gradient(g, taps_w[:, :, tap_index], grad_x[start:stop], where,
                                      run, stride, sources, product)
        return partial

    partials = _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))
    for partial in partials:
        grad_w += partial.reshape(grad_w.shape)                  # (C_out, 1, *kernel_size)


def _depthwise_weight_gradient(g, x_chunk, where, run, stride, sources, product):
    """One tap's weight gradient (C_in, m): the sum over all windows of ``g`` times the cell
    the tap read, its padding's value where it read padding (``inf * 0`` is NaN there, as
    in the formula).  ``g`` and ``product`` are (n, C_in, m, *out_size), ``x_chunk``
    (n, C_in, 1, *in_size)."""
    x_cells, product_cells = _inside(x_chunk, product, where, run)
    _, g_cells = _inside(x_chunk, g, where, run)
    np.multiply(g_cells, x_cells, out=product_cells)
    for box in where.outside:                                   # (and a run's wrapped cells)
        padded = _padding_values(x_chunk[:, :, 0], where, box, stride, sources)
        product[_WITH_MULTIPLIER + box] = g[_WITH_MULTIPLIER + box] * _multiplier_axis(padded)
    return product.sum(axis=(0, *range(3, product.ndim)))


def _depthwise_input_gradient(g, w_tap, grad_x_chunk, where, run, stride, sources, product):
    """Add one tap's input gradient ``g * w_tap`` onto the cells the tap read: inside the
    input directly, on padding through the padding's gradient.  ``g`` and ``product`` are
    (n, C_in, m, *out_size), ``w_tap`` (C_in, m), ``grad_x_chunk`` (n, C_in, *in_size)."""
    np.multiply(g, _per_channel(w_tap, g), out=product)
    spread = product[:, :, 0] if product.shape[2] == 1 else product.sum(axis=2)   # (n, C_in, *out)
    for box in where.outside:
        _add_padding_gradient(grad_x_chunk, spread[_ALL + box], where, box, stride, sources)
        spread[_ALL + box] = 0              # a run must not carry it onto a wrapped cell
    grad_cells, spread_cells = _inside(grad_x_chunk, spread, where, run)
    grad_cells += spread_cells


_WITH_MULTIPLIER = (slice(None),) * 3
"""Index prefix that keeps the batch, channel and multiplier axes of (n, C_in, m, ...) whole."""


def _per_channel(w_tap, array):
    """One tap's weights (C_in, m) shaped to broadcast over ``array`` (n, C_in, m, ...)."""
    return w_tap.reshape(*w_tap.shape, *[1] * (array.ndim - 3))   # (C_in, m, 1, ...)


def _multiplier_axis(values):
    """(n, C_in, *box) -> (n, C_in, 1, *box), to broadcast against the multiplier axis; a
    scalar (the zero of zero padding) stays a scalar."""
    return values[:, :, None] if np.ndim(values) else values


def _tap_runs(taps, in_size, out_size, stride):
    """Per tap, the flat runs ``(out_run, in_run)`` of :func:`_inside`, or ``None`` each.

    Why it is fast: with stride 1 and output rows as long as the input's (a "same"
    convolution), window ``w`` and tap ``t`` read flat input cell ``flat(w) + shift(t)``, so
    one tap's windows over all its inside rows are one contiguous slice of the flattened
    output and one of the flattened input: NumPy's inner loop runs over whole images
    instead of one output row.  Cells of those rows where the tap falls on padding read a
    wrapped neighbour instead; they are the tap's outside boxes, which the caller writes
    after (or clears before) the run.
    """
    if any(s != 1 for s in stride) or tuple(in_size[1:]) != tuple(out_size[1:]):
        return [None] * len(taps)
    pitches = [math.prod(in_size[dim + 1:]) for dim in range(len(in_size))]
    cells = math.prod(in_size)
    runs = []
    for where in taps:
        rows = where.inside[0]
        shift = sum(position * pitch for position, pitch in zip(where.first, pitches))
        low, high = rows.start * pitches[0], rows.stop * pitches[0]
        cut_low = max(0, -(low + shift))                 # wrapped cells before the input
        cut_high = max(0, high + shift - cells)          # and after it
        if rows.stop <= rows.start or high - cut_high <= low + cut_low:
            runs.append((slice(0, 0), slice(0, 0)))
        else:
            runs.append((slice(low + cut_low, high - cut_high),
                         slice(low + cut_low + shift, high - cut_high + shift)))
    return runs


def _inside(x, y, where, run):
    """The views where a tap's inside windows of ``y`` (..., *out_size) meet their cells of
    ``x`` (..., *in_size), the same leading axes: ``(x_cells, y_cells)``.

    A box of ``y`` and the tap's strided slice of ``x``; or, given the tap's ``run``
    (:func:`_tap_runs`), one flat slice of each, which also covers the run's wrapped cells.
    ``x`` and ``y`` must then be contiguous, so that flattening is a view.
    """
    lead = (slice(None),) * (x.ndim - len(where.cells))
    if run is None:
        return x[lead + where.cells], y[lead + where.inside]
    y_run, x_run = run
    x_flat = x.reshape(*x.shape[:len(lead)], math.prod(x.shape[len(lead):]))   # (..., in cells)
    y_flat = y.reshape(*y.shape[:len(lead)], math.prod(y.shape[len(lead):]))   # (..., out cells)
    return x_flat[lead + (x_run,)], y_flat[lead + (y_run,)]


# --------------------------------------------------------------------------------------------
# Pooling: only the taps that land
# --------------------------------------------------------------------------------------------

class _PoolTap(NamedTuple):
    """A kernel tap that lands on an input cell in some window."""

    tap: tuple
    """The tap's index in the kernel."""
    where: _TapCells
    """Where it meets the unpadded input (:func:`_tap_cells`)."""
    read: _TapCells
    """Where it meets the input with the built padding (:func:`_built_padding`)."""


def _pool_taps(in_size, kernel_size, stride, padding, dilation, out_size):
    """The kernel taps that land on an input cell in some window, row-major, and the padding
    their reads assume.

    A tap that lands nowhere only ever reads padding, which never wins a max and adds
    nothing to a sum, so pooling skips it: the kernel may be far larger than the input.
    Returns ``(taps, built)``: a list of :class:`_PoolTap` and the padding pairs
    :func:`_built_padding` chose.
    """
    windows = _window_ranges(out_size, None)
    built = _built_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    built_size = [size + before + after for size, (before, after) in zip(in_size, built)]
    unbuilt = [(before - built_before, 0) for (before, _), (built_before, _) in zip(padding, built)]
    landing = [_landing_taps(size, k, s, before, d, count)
               for size, k, s, (before, _), d, count in zip(in_size, kernel_size, stride,
                                                            padding, dilation, out_size)]
    return [_PoolTap(tap, _tap_cells(tap, in_size, stride, padding, dilation, windows),
                     _tap_cells(tap, built_size, stride, unbuilt, dilation, windows))
            for tap in itertools.product(*landing)], built


def _built_padding(in_size, kernel_size, stride, padding, dilation, out_size):
    """The padding pooling builds around each chunk: all that the windows reach, or none.

    Why it is fast: with the padding built (``-inf`` for max, 0 for a sum), every tap
    reads a value for every window, so each tap's operations run over the whole,
    contiguous output; operations on the box of windows where a tap lands inside the
    input run several times slower.  The windows reach ``before`` cells to the left and
    up to the end of the last window (:func:`npconv.shapes.window_reach`, the ``ceil_mode``
    overhang included) to the right.  Where that padded input would be more than twice the
    input (a kernel far wider than the input), building it would cost more than the
    answer, so nothing is built and the taps work on their boxes.
    """
    built = [(before, max(window_reach(count, k, s, d) - size - before, 0))
             for size, k, s, (before, _), d, count in zip(in_size, kernel_size, stride,
                                                          padding, dilation, out_size)]
    padded_cells = math.prod(size + before + after
                             for size, (before, after) in zip(in_size, built))
    if padded_cells <= 2 * math.prod(in_size):
        return built
    return [(0, 0)] * len(in_size)


def _planes(x):
    """(N, C, *size) -> (N*C, 1, *size): pooling treats every channel of every image alike.

    Why it is fast: chunks of planes, not of whole images, stay within
    :data:`CACHE_CHUNK_BYTES` however large one image is, so every tap's pass runs in cache
    and the temporaries of a chunk stay small.  A view when ``x`` is contiguous.
    """
    N, C, *size = x.shape
    return x.reshape(N * C, 1, *size)                            # (N*C, 1, *size)


def _landing_taps(size, kernel_size, stride, before, dilation, count):
    """The taps along one dimension that land on an input cell in one of ``count`` windows.

    Tap ``t`` of window ``w`` reads position ``w * stride + t * dilation - before``, so it
    lands when ``t * dilation`` lies in ``[before - w * stride, before - w * stride + size)``.
    With ``stride <= size`` the ranges of neighbouring windows touch, so together they make
    one range and its taps are found without visiting any; otherwise window by window
    (a stride longer than the input leaves few windows).

    A million-tap window centred on a one-cell input: one tap lands.

    >>> _landing_taps(1, kernel_size=10 ** 6, stride=10 ** 6, before=5 * 10 ** 5,
    ...               dilation=1, count=1)
    [500000]
    >>> _landing_taps(5, kernel_size=3, stride=2, before=1, dilation=1, count=3)
    range(0, 3)
    """
    def taps_between(lowest, highest):       # taps with lowest <= t * dilation <= highest
        return range(max(ceil_div(lowest, dilation), 0),
                     min(highest // dilation, kernel_size - 1) + 1)

    if stride <= size:
        return taps_between(before - (count - 1) * stride, before + size - 1)
    taps = set()
    for w in range(count):
        taps.update(taps_between(before - w * stride, before - w * stride + size - 1))
    return sorted(taps)


def _tap_reads(x_chunk, taps, built, step, fill):
    """``(box, cells)`` of every tap: its windows (an index) and the cells they read.

    The cells are read from the phases (:func:`_split_phases`) of the chunk ``x_chunk``
    (n, C, *in_size) padded by ``built`` with ``fill``.
    """
    phases = _split_phases(x_chunk, taps, built, step, fill)
    return [(_ALL + tap.read.inside, _phase_view(phases, tap.read, step)) for tap in taps]


def _split_phases(x, taps, built, step, fill):
    """The stride phases of ``x`` (n, C, *size) padded by ``built``, that the taps read.

    Phase ``p`` holds the padded array's columns ``p, p + step, p + 2 * step, ...`` along
    the last axis, as a contiguous array.  Only the phases some tap reads are built, so
    nothing grows with the stride.  With ``step`` 1 and no padding the one phase is ``x``.

    Why it is fast: this one copy replaces the padding copy, and then every tap's read is
    contiguous along the last axis, which NumPy vectorises (reads with stride 2 run at
    about half the speed), and each tap reads twice (the maximum, then the winner).
    """
    phases = _filled_phases(x.shape, taps, built, step, fill, x.dtype)
    if phases is None:
        return {0: x}
    lead = tuple(slice(before, before + size)
                 for size, (before, _) in zip(x.shape[2:-1], built[:-1]))
    for p, phase in phases.items():
        columns, place = _phase_columns(p, built[-1][0], x.shape[-1], step)
        phase[_ALL + lead + (place,)] = x[..., columns]
    return phases


def _filled_phases(shape, taps, built, step, fill, dtype):
    """The phases of :func:`_split_phases` for an array of ``shape``, every cell ``fill``;
    ``None`` when the one phase would be the array itself (step 1, nothing built).

    With ``fill=0`` these are where a pooling gradient accumulates before
    :func:`_merge_phases` drops the padding.
    """
    if step == 1 and all(pair == (0, 0) for pair in built):
        return None
    n, C, *size = shape
    padded = [m + before + after for m, (before, after) in zip(size, built)]
    numbers = sorted({tap.read.cells[-1].start % step for tap in taps})
    return {p: np.full((n, C, *padded[:-1], len(range(p, padded[-1], step))), fill,
                       dtype=dtype) for p in numbers}


def _phase_columns(p, before, size, step):
    """Where the input's columns sit in phase ``p`` of its padded last axis.

    Returns ``(columns, place)``: the input's columns that phase ``p`` holds (a slice of
    the unpadded axis) and their place in the phase.  Padded column ``j`` is input column
    ``j - before`` and sits in phase ``j % step`` at ``j // step``.
    """
    first = before + (p - before) % step                 # first input column in phase p
    count = len(range(first, before + size, step))
    return (slice(first - before, size, step),
            slice((first - p) // step, (first - p) // step + count))


def _phase_view(phases, read, step):
    """The cells a tap reads (n, C, *read.inside), as a unit-stride view of their phase."""
    *lead, last = read.cells
    p, first = last.start % step, last.start // step
    count = read.inside[-1].stop - read.inside[-1].start
    return phases[p][_ALL + tuple(lead) + (slice(first, first + count),)]


def _gradient_phases(grad_x_chunk, taps, built, step):
    """Zeroed phases where a pooling gradient accumulates; the zeroed ``grad_x_chunk``
    itself when the one phase would be the array (step 1, nothing built)."""
    phases = _filled_phases(grad_x_chunk.shape, taps, built, step, 0, grad_x_chunk.dtype)
    if phases is None:
        grad_x_chunk.fill(0)
        return {0: grad_x_chunk}
    return phases


def _merge_phases(phases, built, step, out):
    """Copy the input's cells of every phase back into ``out`` (n, C, *size): the inverse of
    :func:`_split_phases`, dropping the padding (which is the gradient of padding that
    pooling reads but never picks or counts).  Every cell of ``out`` is written: the
    columns of a phase no tap read get 0."""
    if phases.get(0) is out:
        return                              # the gradient accumulated in out itself
    before, size = built[-1][0], out.shape[-1]
    lead = tuple(slice(b, b + m) for m, (b, _) in zip(out.shape[2:-1], built[:-1]))
    for p in {(before + column) % step for column in range(min(size, step))}:
        columns, place = _phase_columns(p, before, size, step)
        out[..., columns] = phases[p][_ALL + lead + (place,)] if p in phases else 0


def _maxima_from_their_winners(planes, out, indices):
    """Make every zero or NaN maximum the very cell that won it, as PyTorch returns it.

    ``planes`` (n, 1, *in_size); ``out`` and ``indices`` (n, 1, *out_size), the maxima
    and their winners' flat positions in each plane.  Running ``np.maximum`` calls give the
    right value but not always the right bits: ``+0.0 == -0.0`` and NumPy's vectorised
    maximum keeps the second of two equal operands, and of several NaNs (whose signs and
    payloads may differ) it keeps the first, where the winner is the last.  Only the zero
    and NaN maxima are read again from their winners.
    """
    n, windows = len(out), math.prod(out.shape[1:])
    flat_out = out.reshape(n * windows)                          # (n * L,): a view
    ambiguous = np.flatnonzero((flat_out == 0) | np.isnan(flat_out))   # positions in flat_out
    if ambiguous.size:
        flat_planes = planes.reshape(n, math.prod(planes.shape[1:]))   # (n, in cells)
        flat_indices = indices.reshape(n * windows)                   # (n * L,)
        flat_out[ambiguous] = flat_planes[ambiguous // windows, flat_indices[ambiguous]]


def _max_pool_chunk(reads, taps, out, winner):
    """Max and winning tap of every window of a chunk.

    ``reads`` holds ``(box, cells)`` per tap of ``taps`` (:func:`_tap_reads`).  ``out``
    (n, C, *out_size) receives the maxima and ``winner`` (same shape, an unsigned type
    that holds ``len(taps)``) the index of the winning tap, by PyTorch's rules: the first
    maximum, the last NaN of a window with NaN, and in a window of ``-inf`` its first
    real cell.

    Why it is fast: no column matrix and no argmax.  K running ``np.maximum`` calls give
    the values; then each tap that matches the maximum offers the key ``K - tap``, and a
    running ``np.maximum`` of the keys keeps the *first* matching tap.  The key is the
    match (0 or 1) times ``K - tap`` in unsigned integers: exact and branch-free (masked
    ``copyto``/``where`` on random masks are several times slower).  Windows of ``-inf``
    (which may match a tap on the built padding) and NaN windows follow other rules, and
    are fixed afterwards only if they occur.
    """
    K = len(reads)
    key = winner.dtype.type
    out.fill(-np.inf)                       # every window has a tap on an input cell
    for box, cells in reads:
        np.maximum(out[box], cells, out=out[box])               # NaN propagates, as in PyTorch
    best_key = winner                       # the keys are built in winner's memory
    best_key.fill(0)                        # 0: no tap matched (a NaN window)
    match = np.empty(out.shape, dtype=bool)
    offer = np.empty(out.shape, dtype=winner.dtype)
    for tap_index, (box, cells) in enumerate(reads):
        np.equal(cells, out[box], out=match[box])
        np.multiply(match[box].view(np.uint8), key(K - tap_index), out=offer[box])
        np.maximum(best_key[box], offer[box], out=best_key[box])
    np.subtract(key(K), best_key, out=winner)
    if np.isfinite(out).all():              # one fast pass: no -inf and no NaN window
        return
    minus_inf = np.isneginf(out)
    for tap_index in reversed(range(K)):    # the first tap that lands inside wins
        box = _ALL + taps[tap_index].where.inside
        np.copyto(winner[box], tap_index, where=minus_inf[box])
    is_nan = np.isnan(out)
    for tap_index, (box, cells) in enumerate(reads):       # the last NaN wins
        np.copyto(winner[box], tap_index, where=is_nan[box] & np.isnan(cells))


def scatter_to_winners(grad_output, flat_index, grad_x):
    """Fill ``grad_x`` (n, C, *in_size) with the sum of the gradients each cell won.

    ``flat_index`` (n, C, *out_size) is each window's winner, flat within its ``(n, c)``
    plane (the indices :func:`max_pool` returns).

    Why it is exact and fast: ``np.bincount`` adds every window's gradient into its
    winner's bin, once per window, so a NaN or infinite gradient lands in its winner's bin
    only, and a cell that won several windows collects them all; one pass over the
    windows, where routing tap by tap takes four per tap.  The sums are made in float64
    (exact for float64 gradients; float32 ones are rounded once at the end).
    """
    n, C, *in_size = grad_x.shape
    plane = math.prod(in_size)
    bins = flat_targets(flat_index, plane)                       # (n * C * L,): one per window
    sums = np.bincount(bins, weights=grad_output.ravel(), minlength=n * C * plane)
    grad_x[...] = sums.reshape(grad_x.shape)                     # (n, C, *in_size)


def flat_targets(indices, plane):
    """Flat positions in a whole batch of ``indices`` (N, C, ...) that are flat within a plane.

    ``(n * C + c) * plane + indices[n, c, ...]``, int64, flattened: one fancy index (or one
    ``np.bincount``) then reaches every plane of the batch at once.

    Examples
    --------
    >>> flat_targets(np.array([[[2], [0]]]), plane=3)     # (N, C, L) = (1, 2, 1), planes of 3
    array([2, 3])
    """
    N, C = indices.shape[:2]
    plane_numbers = np.arange(N * C, dtype=np.int64)              # (N * C,)
    planes = plane_numbers.reshape(N, C, *[1] * (indices.ndim - 2))   # (N, C, 1, ...)
    return (planes * plane + indices).reshape(-1)                # (indices.size,)


def _winner_offsets(taps, in_size, stride, padding, dilation, out_size):
    """The parts of a winner's flat input index: each window's origin and each tap's offset.

    In flat (row-major over ``in_size``) input indices: the origin of window ``o`` is
    ``o * stride - before`` per dimension (negative in the padding), broadcast to
    ``out_size``; tap ``t`` adds ``t * dilation``.  Returns ``origin`` (int64, *out_size)
    and ``offsets`` (int64, one per tap of ``taps``).
    """
    origin = np.zeros((), dtype=np.int64)
    offsets = np.zeros(len(taps), dtype=np.int64)
    tap_coordinates = np.array([pool_tap.tap for pool_tap in taps], dtype=np.int64)
    tap_coordinates = tap_coordinates.reshape(len(taps), len(in_size))   # (K, ndim)
    row_stride = 1
    for dim in reversed(range(len(in_size))):
        starts = np.arange(out_size[dim], dtype=np.int64) * stride[dim] - padding[dim][0]
        shape = [1] * len(in_size)
        shape[dim] = out_size[dim]
        origin = origin + (starts * row_stride).reshape(shape)  # broadcasts to (*out_size)
        offsets += tap_coordinates[:, dim] * dilation[dim] * row_stride
        row_stride *= in_size[dim]
    return origin, offsets


# --------------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------------

def _on_all_cores(work, chunks):
    """Run ``work(*chunk)`` for every chunk (``(start, stop)``, or any tuple of bounds), on
    as many threads as there are cores.

    Why it is fast: NumPy releases the GIL inside its elementwise loops, so chunks on
    two threads run on two cores; otherwise the elementwise paths use one core while BLAS
    (and PyTorch) use all of them.  The thread count follows ``OMP_NUM_THREADS`` when set,
    like the BLAS; with one thread the chunks run in the calling thread (easy to step
    through in a debugger).  Returns the results in chunk order.
    """
    workers = min(len(chunks), _thread_count())
    if workers <= 1:
        return [work(*chunk) for chunk in chunks]
    settings = np.geterr()              # the caller's floating-point settings, for the threads

    def run(chunk):
        with np.errstate(**settings):
            return work(*chunk)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, chunks))


def _thread_count():
    """Threads for the elementwise paths: ``OMP_NUM_THREADS`` if set, else the core count."""
    setting = os.environ.get("OMP_NUM_THREADS", "")
    return int(setting) if setting.isdigit() and int(setting) > 0 else (os.cpu_count() or 1)
