"""The fast variant: unfold windows into a matrix, multiply once, fold back.

``im2col`` copies every window of a padded input into one column of a matrix, so that a
convolution becomes a single matrix product with the reshaped weights.  ``col2im`` is its
adjoint: it adds every column back onto the window it came from, which is what the
gradients (and the transposed convolution) need.

The functions take the same normalised geometry as :mod:`npconv.loops` and compute the same
numbers; only the order of the arithmetic differs.  Shapes use the docstring letters of
:mod:`npconv.api`, plus ``K = prod(kernel_size)`` (cells of one kernel) and
``L = prod(out_size)`` (windows, i.e. output cells).

How the ops use them, for speed on real layer sizes (``npconv bench`` measures it):

- convolution and transposed convolution unfold a few images at a time into one reused
  workspace of at most ``workspace_bytes`` (8 MiB by default), one matrix product per chunk
  and group; the backward overwrites the columns with their own gradient and folds them
  back tap by tap, so a full-size column buffer and its gradient never exist at once;
- depthwise convolution (one input channel per group) and pooling skip the matrix: one
  elementwise pass per kernel tap over chunks of images, on all cores.

Every trick is one small function below ("Why it is fast"), named at its call site.
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .padding import pad, pad_backward, unpad
from .shapes import (
    avg_pool_divisors,
    conv_output_shape,
    conv_output_size,
    conv_transpose_output_shape,
    effective_kernel_size,
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
    windows = windows[(slice(None), slice(None)) + starts + taps]
    # windows: (N, C, *out_size, *kernel_size); put the kernel axes before the window axes
    order = (0, 1, *range(2 + ndim, 2 + 2 * ndim), *range(2, 2 + ndim))
    windows = windows.transpose(order)                      # (N, C, *kernel_size, *out_size)
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
    cols = cols.reshape(N, C, *kernel_size, *out_size)          # (N, C, *kernel_size, *out_size)
    out = np.zeros(padded_shape, dtype=cols.dtype)
    for tap in np.ndindex(*kernel_size):
        cells = tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                      for t, d, o, s in zip(tap, dilation, out_size, stride))
        out[(slice(None), slice(None)) + cells] += cols[(slice(None), slice(None)) + tap]
    return out


# --------------------------------------------------------------------------------------------
# The tricks that make it fast, one small function each
# --------------------------------------------------------------------------------------------

DEFAULT_WORKSPACE_BYTES = 8 * 2 ** 20
"""Default bound on the column workspace of one call (``workspace_bytes=None``).

Measured on ResNet-18's layers: 4, 8 and 16 MiB run equally fast (the GEMM of two or
more images is as efficient as one of many), so the smaller bound keeps peak memory low.
One image's columns are always allowed, whatever the bound.
"""

CACHE_CHUNK_BYTES = 2 ** 19
"""Elementwise paths (depthwise, pooling) work on chunks of images about this size."""


def _chunks(N, bytes_per_image, budget):
    """Split images ``0..N`` into consecutive ``(start, stop)`` chunks of at most ``budget`` bytes.

    Why it is fast: a bounded buffer filled a few images at a time is allocated (and
    page-faulted) once and then reused, and for the elementwise paths it stays in cache;
    a GEMM over a few images at once is still large enough to run at the BLAS peak.

    >>> _chunks(5, 100, 250)
    [(0, 2), (2, 4), (4, 5)]
    >>> _chunks(0, 100, 250)              # an empty batch has no chunks
    []
    """
    per_chunk = int(max(1, min(N, budget // max(bytes_per_image, 1))))
    return [(start, min(start + per_chunk, N)) for start in range(0, N, per_chunk)]


def _image_bytes(x):
    """Bytes of one image of ``x`` (n, C, *size), also when the batch is empty."""
    return math.prod(x.shape[1:]) * x.itemsize


def _tap_cells(tap, stride, dilation, out_size, first=0):
    """The strided slices of a padded array that kernel tap ``tap`` sees over all windows."""
    return tuple(slice(first + t * d, first + t * d + (o - 1) * s + 1, s)
                 for t, d, o, s in zip(tap, dilation, out_size, stride))


def _unfold_into(columns, x_padded, kernel_size, stride, dilation, out_size):
    """Fill ``columns`` (C, K, n, *out_size) with the windows of ``x_padded`` (n, C, *padded).

    Why it is fast: one strided copy per kernel tap (K numpy calls, each moving C*n*L
    cells) into a reused buffer laid out so that the n images sit side by side along the
    GEMM's long axis: the convolution of the whole chunk is then one 2-D matrix product.
    (Splitting the copies between two threads was tried, and measured slower here.)
    """
    for tap_index, tap in enumerate(np.ndindex(*kernel_size)):
        cells = x_padded[(slice(None), slice(None)) + _tap_cells(tap, stride, dilation,
                                                                 out_size)]
        np.copyto(columns[:, tap_index], cells.swapaxes(0, 1))   # (C, n, *out_size)


def _fold_from(grad_x_padded, columns, kernel_size, stride, dilation, out_size):
    """Add ``columns`` (C, K, n, *out_size) onto the windows of ``grad_x_padded`` (n, C, ...).

    Why it is fast: the adjoint of :func:`_unfold_into`, one strided ``+=`` per kernel tap;
    ``np.add.at`` or ``np.bincount`` scatters are several times slower.
    """
    for tap_index, tap in enumerate(np.ndindex(*kernel_size)):
        cells = grad_x_padded[(slice(None), slice(None)) + _tap_cells(tap, stride, dilation,
                                                                      out_size)]
        cells += columns[:, tap_index].swapaxes(0, 1)             # (n, C, *out_size)


def _channels_first(x_chunk):
    """(n, C, *size) -> a contiguous (C, n, *size) copy: the GEMM layout of a chunk."""
    return np.ascontiguousarray(x_chunk.swapaxes(0, 1))


def _is_depthwise(C_in_per_group, groups):
    """True when each group sees one input channel: a GEMM would be K-by-1 and starve."""
    return C_in_per_group == 1 and groups > 1


def _flat_taps(x_padded, kernel_size, dilation, out_size):
    """Flatten the spatial axes of ``x_padded`` (n, C, *padded) so that, at stride 1, each
    kernel tap's cells over all windows are one contiguous slice.

    Why it is fast: window ``(i, j)`` and tap ``(a, b)`` read flat cell
    ``(i + a*d) * W_padded + j + b*d``, so for a fixed tap the cells of all "wide" windows
    (``j`` running over the whole padded width, the extra ones discarded later) are the
    slice ``[offset, offset + out_0 * W_padded)``: NumPy's inner loops then run over
    hundreds of cells instead of one output row.  A zero tail keeps the last slice in
    bounds.

    Returns ``flat`` (n, C, cells + tail), the taps' ``offsets`` (row-major) and
    ``wide_size`` ``(out_0, *padded[1:])``, whose product is each slice's length.
    """
    n, C, *padded = x_padded.shape
    cell_strides = [math.prod(padded[dim + 1:]) for dim in range(len(padded))]
    offsets = [sum(t * d * step for t, d, step in zip(tap, dilation, cell_strides))
               for tap in np.ndindex(*kernel_size)]
    wide_size = (out_size[0], *padded[1:])
    cells = math.prod(padded)
    tail = max(0, max(offsets) + math.prod(wide_size) - cells)
    flat = np.zeros((n, C, cells + tail), dtype=x_padded.dtype)
    flat[:, :, :cells] = x_padded.reshape(n, C, cells)          # (n, C, cells)
    return flat, offsets, wide_size


def _narrow(wide, out_size):
    """Drop the extra columns of "wide" windows: (..., out_0, *padded[1:]) -> (..., *out_size)."""
    return wide[(Ellipsis,) + tuple(slice(0, o) for o in out_size)]


def _on_all_cores(work, chunks):
    """Run ``work(start, stop)`` for every chunk, on as many threads as there are cores.

    Why it is fast: NumPy releases the GIL inside its elementwise loops, so chunks on
    two threads run on two cores; otherwise the elementwise paths use one core while BLAS
    (and PyTorch) use all of them.  The thread count follows ``OMP_NUM_THREADS`` when set,
    like the BLAS.  Returns the results in chunk order.
    """
    workers = min(len(chunks), _thread_count())
    if workers <= 1:
        return [work(start, stop) for start, stop in chunks]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda chunk: work(*chunk), chunks))


def _thread_count():
    """Threads for the elementwise paths: ``OMP_NUM_THREADS`` if set, else the core count."""
    setting = os.environ.get("OMP_NUM_THREADS", "")
    return int(setting) if setting.isdigit() and int(setting) > 0 else (os.cpu_count() or 1)


def _depthwise_conv(x, padding, padding_mode, weight, stride, dilation, out_size, out):
    """Depthwise convolution by kernel taps: ``out += x_tap * w_tap``, K times.

    Why it is fast: with one input channel per group the matrix product degenerates into
    tiny products; K multiply-adds over whole images (chunked to stay in cache, chunks on
    all cores) do the same arithmetic at memory speed, and at stride 1 each tap is one
    long contiguous slice (:func:`_flat_taps`).  Each chunk is padded on its own core.
    ``out`` is (N, C_out, *out_size), zeroed.
    """
    N, C_in, *_ = x.shape
    C_out, _, *kernel_size = weight.shape
    multiplier = C_out // C_in
    taps_w = weight.reshape(C_in, multiplier, -1)                 # (G, m, K)
    out_groups = out.reshape(N, C_in, multiplier, *out_size)      # (N, G, m, *out_size)
    unit_stride = all(s == 1 for s in stride)

    def chunk(start, stop):
        n = stop - start
        x_padded = pad(x[start:stop], padding, padding_mode)      # (n, C_in, *padded)
        if unit_stride:
            flat, offsets, wide_size = _flat_taps(x_padded, kernel_size, dilation, out_size)
            length = math.prod(wide_size)
            cells = [flat[:, :, None, offset:offset + length] for offset in offsets]
            w_shape = (C_in, multiplier, 1)
            wide = np.empty((n, C_in, multiplier, length), dtype=out.dtype)
        else:
            cells = [view[:, :, None] for view in _tap_order(x_padded, kernel_size, stride,
                                                             dilation, out_size)]
            w_shape = (C_in, multiplier) + (1,) * len(out_size)
            wide = out_groups[start:stop]
        # taps_w[:, :, tap] reshaped to w_shape = (G, m, 1, ...): one weight per channel pair
        np.multiply(cells[0], taps_w[:, :, 0].reshape(w_shape), out=wide)   # first tap
        product = np.empty_like(wide)
        for tap_index in range(1, len(cells)):
            np.multiply(cells[tap_index], taps_w[:, :, tap_index].reshape(w_shape),
                        out=product)
            wide += product                                        # (n, G, m, ...)
        if unit_stride:
            wide = wide.reshape(n, C_out, *wide_size)              # (n, C_out, *wide_size)
            out[start:stop] = _narrow(wide, out_size)

    _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))


def _depthwise_conv_backward(grad_output, x, padding, padding_mode, weight, stride, dilation,
                             out_size, grad_x, grad_w):
    """Gradients of :func:`_depthwise_conv`, tap by tap, for the same reasons.

    ``grad_x`` (N, C_in, *in_size) receives ``g * w_tap`` on each tap's cells (through the
    padding's gradient); ``grad_w`` (C_out, 1, *kernel_size) receives the per-channel sum
    of ``g * x_tap``.
    """
    N, C_in, *_ = x.shape
    C_out, _, *kernel_size = weight.shape
    multiplier = C_out // C_in
    taps_w = weight.reshape(C_in, multiplier, -1)                  # (G, m, K)
    unit_stride = all(s == 1 for s in stride)

    def chunk(start, stop):
        n = stop - start
        g = grad_output[start:stop]
        x_padded = pad(x[start:stop], padding, padding_mode)      # (n, C_in, *padded)
        padded = x_padded.shape[2:]
        if unit_stride:
            flat, offsets, wide_size = _flat_taps(x_padded, kernel_size, dilation, out_size)
            length = math.prod(wide_size)
            g_wide = np.zeros((n, C_out, *wide_size), dtype=grad_w.dtype)
            _narrow(g_wide, out_size)[...] = g                     # zero on extra columns
            g = g_wide.reshape(n, C_in, multiplier, length)        # (n, G, m, length)
            grad_flat = np.zeros(flat.shape, dtype=grad_w.dtype)
            x_cells = [flat[:, :, None, offset:offset + length] for offset in offsets]
            grad_cells = [grad_flat[:, :, offset:offset + length] for offset in offsets]
        else:
            g = g.reshape(n, C_in, multiplier, -1)                  # (n, G, m, L)
            x_cells = [view.reshape(n, C_in, 1, -1) for view in _tap_order(   # (n, G, 1, L)
                x_padded, kernel_size, stride, dilation, out_size)]
            grad_x_padded = np.zeros(x_padded.shape, dtype=grad_w.dtype)
            grad_cells = _tap_order(grad_x_padded, kernel_size, stride, dilation, out_size)
        partial_grad_w = np.zeros((C_in, multiplier, len(x_cells)), dtype=grad_w.dtype)
        product = np.empty_like(g)
        for tap_index in range(len(x_cells)):
            np.multiply(g, x_cells[tap_index], out=product)
            partial_grad_w[:, :, tap_index] = product.sum(axis=(0, 3))     # (G, m)
            np.multiply(g, taps_w[:, :, tap_index, None], out=product)
            spread = product[:, :, 0] if multiplier == 1 else product.sum(axis=2)
            grad_cells[tap_index] += spread.reshape(grad_cells[tap_index].shape)  # (n, G, ...)
        if unit_stride:
            cells = math.prod(padded)
            grad_x_padded = grad_flat[:, :, :cells].reshape(n, C_in, *padded)  # unflatten
        grad_x[start:stop] = pad_backward(grad_x_padded, padding, padding_mode)
        return partial_grad_w

    partials = _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))
    for partial in partials:
        grad_w += partial.reshape(grad_w.shape)                    # (C_out, 1, *kernel_size)


def _gemm_conv_chunk(columns, w, out_chunk):
    """One chunk's convolution: ``(G, C_out/G, C_in/G*K) @ (G, C_in/G*K, n*L)``.

    Why it is fast: one large 2-D product per group, which BLAS runs multithreaded at its
    peak; the result is written straight into ``out_chunk`` (G, C_out/G, n*L).
    """
    np.matmul(w, columns, out=out_chunk)


def _weight_gradient_chunk(g, columns):
    """``g @ columns.T`` per group, shape (G, C_out/G, C_in/G*K).

    ``g`` is (G, C_out/G, n*L) and ``columns`` (G, C_in/G*K, n*L).

    Why it is fast: computed as ``(columns @ g.T).T``, the long ``n*L`` axis is the
    contiguous inner axis of both operands, the layout OpenBLAS runs about 20% faster for
    this long, thin product.
    """
    return (columns @ g.swapaxes(1, 2)).swapaxes(1, 2)           # (G, C_out/G, C_in/G*K)


def _tap_order(x, kernel_size, stride, dilation, out_size):
    """The strided view of ``x`` (n, C, *padded) for every kernel tap, in row-major order."""
    return [x[(slice(None), slice(None)) + _tap_cells(tap, stride, dilation, out_size)]
            for tap in np.ndindex(*kernel_size)]


def _padded_phases(x, padding, stride, fill):
    """Pad ``x`` (n, C, *size) with ``fill`` and split its last axis by ``stride``.

    Phase ``p`` holds the padded columns ``p, p + s, p + 2s, ...`` (s the last stride), so
    a kernel tap reads one phase with unit stride (see :func:`_phase_tap_order`).

    Why it is fast: this one copy replaces the padding copy, and then every tap's read is
    contiguous along the last axis, which NumPy vectorises (stride-2 reads run at half
    speed).
    """
    n, C, *size = x.shape
    step = stride[-1]
    before, _ = padding[-1]
    lead = (slice(None), slice(None)) + tuple(slice(b, b + m)
                                              for m, (b, _) in zip(size[:-1], padding[:-1]))
    phases = _filled_phases(x.shape, padding, stride, fill, x.dtype)
    for p, phase in enumerate(phases):
        first = before + (p - before) % step               # first real column in phase p
        count = len(range(first, before + size[-1], step))
        j0 = (first - p) // step
        np.copyto(phase[lead + (slice(j0, j0 + count),)], x[..., first - before::step])
    return phases


def _filled_phases(shape, padding, stride, fill, dtype):
    """The phases of :func:`_padded_phases` for an array of ``shape``, every cell ``fill``.

    With ``fill=0`` these are where pooling gradients accumulate before
    :func:`_unpad_phases`.
    """
    n, C, *size = shape
    step = stride[-1]
    before, after = padding[-1]
    width = size[-1] + before + after
    padded_lead = [m + b + a for m, (b, a) in zip(size[:-1], padding[:-1])]
    return [np.full((n, C, *padded_lead, len(range(p, width, step))), fill, dtype=dtype)
            for p in range(step)]


def _phase_tap_order(phases, n, kernel_size, stride, dilation, out_size):
    """Every kernel tap's view (n, C, *out_size) of :func:`_padded_phases`, row-major."""
    step = stride[-1]
    views = []
    for tap in np.ndindex(*kernel_size):
        lead = _tap_cells(tap[:-1], stride[:-1], dilation[:-1], out_size[:-1])
        start = tap[-1] * dilation[-1]
        last = slice(start // step, start // step + out_size[-1])
        views.append(phases[start % step][(slice(0, n), slice(None)) + lead + (last,)])
    return views


def _unpad_phases(phases, padding, stride, out):
    """The inverse of :func:`_padded_phases`: copy the phases' interior into ``out``.

    ``out`` (n, C, *size) receives the real cells; the padding's cells are dropped (which
    is the gradient of zero padding).  Used to fold gradients that were accumulated in
    phases, where every tap's ``+=`` ran with unit stride.
    """
    n, C, *size = out.shape
    step = stride[-1]
    before, _ = padding[-1]
    lead = tuple(slice(b, b + m) for m, (b, _) in zip(size[:-1], padding[:-1]))
    for p, phase in enumerate(phases):
        first = before + (p - before) % step
        count = len(range(first, before + size[-1], step))
        j0 = (first - p) // step
        np.copyto(out[..., first - before::step],
                  phase[(slice(0, n), slice(None)) + lead + (slice(j0, j0 + count),)])
    return out


def _max_pool_chunk(views, real_taps):
    """Max and winning tap of every window of a -inf-padded chunk, PyTorch's tie rules.

    Why it is fast: instead of a column matrix and an argmax, K running ``np.maximum``
    calls give the values; then each tap that matches the maximum offers the key
    ``K - tap`` and a running ``np.maximum`` of the keys keeps the *first* matching tap.
    Keys are uint8 products of a boolean mask (branch-free: masked ``copyto``/``where``
    on random masks are ten times slower).  NaN and all -inf windows, which follow other
    rules, are fixed afterwards only if they occur.

    ``views`` are the taps' views of the -inf-padded chunk, ``real_taps`` (one per tap)
    say where a tap lands on a real cell.  Returns ``out`` (n, C, *out_size) and ``winner``
    (same shape, tap numbers).
    """
    K = len(views)
    key_type = np.min_scalar_type(K)
    out = views[0].copy()
    for view in views[1:]:
        np.maximum(out, view, out=out)                  # NaN propagates, as in PyTorch
    best_key = np.zeros(out.shape, dtype=key_type)      # 0: no tap matched (NaN window)
    match = np.empty(out.shape, dtype=bool)
    key = np.empty(out.shape, dtype=key_type)
    for tap_index, view in enumerate(views):
        np.equal(view, out, out=match)
        np.multiply(match.view(np.uint8), key_type.type(K - tap_index), out=key)
        np.maximum(best_key, key, out=best_key)
    winner = np.subtract(key_type.type(K), best_key, out=best_key)
    if np.isfinite(out.sum()):          # one fast pass: no NaN and no -inf window
        return out, winner
    # Windows whose real cells are all -inf tie with the padding: PyTorch names the first
    # real cell.  Where the first taps are padding, pick the first real tap instead.
    all_minus_inf = np.isneginf(out)
    if all_minus_inf.any():
        for tap_index in reversed(range(K)):
            np.copyto(winner, tap_index, where=all_minus_inf & real_taps[tap_index])
    # NaN beats every number, and among NaNs the last one wins.
    is_nan = np.isnan(out)
    if is_nan.any():
        for tap_index, view in enumerate(views):
            np.copyto(winner, tap_index, where=is_nan & np.isnan(view))
    return out, winner


def _routed_to_tap(grad_output, winner, tap_index):
    """``grad_output`` where ``tap_index`` won the window, else 0.

    Why it is fast: multiplying by the boolean mask is branch-free; ``np.add(..., where=)``
    or ``np.where`` on a random mask is ten times slower.
    """
    return grad_output * (winner == tap_index)


def _real_taps(in_size, kernel_size, stride, pool_padding, dilation, out_size):
    """Per tap, a boolean array (*out_size) saying where the tap falls on a real input cell."""
    masks = []
    for tap in np.ndindex(*kernel_size):
        mask = np.ones((), dtype=bool)
        for n, t, s, (before, _), d, o in zip(in_size, tap, stride, pool_padding, dilation,
                                              out_size):
            position = np.arange(o) * s + t * d - before      # in unpadded coordinates
            mask = np.multiply.outer(mask, (position >= 0) & (position < n))
        masks.append(mask)
    return masks


def _tap_flat_index(in_size, kernel_size, stride, pool_padding, dilation, out_size, winner):
    """Flat input index (int64) of each window's winning tap: window origin + tap offset."""
    origin = np.zeros((), dtype=np.int64)
    offsets = np.zeros(math.prod(kernel_size), dtype=np.int64)
    taps = np.array(list(np.ndindex(*kernel_size)), dtype=np.int64)
    taps = taps.reshape(-1, len(in_size))                          # (K, ndim): each tap's index
    row_stride = 1
    for dim in reversed(range(len(in_size))):
        before = pool_padding[dim][0]
        starts = np.arange(out_size[dim]) * stride[dim] - before
        shape = [1] * len(in_size)
        shape[dim] = out_size[dim]
        origin = origin + (starts * row_stride).reshape(shape)     # broadcasts to (*out_size)
        offsets += taps[:, dim] * dilation[dim] * row_stride
        row_stride *= in_size[dim]
    return origin + np.take(offsets, winner)


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

def conv(x, weight, bias, stride, padding, dilation, groups, padding_mode, *,
         workspace_bytes=None):
    """Convolution as one matrix product per chunk of images and group.

    Shapes: x ``(N, C_in, *in_size)``, weight ``(C_out, C_in // G, *kernel_size)`` -> out
    ``(N, C_out, *out_size)``.  The columns of a few images at a time are unfolded into a
    workspace of at most ``workspace_bytes`` (default 8 MiB), reused chunk after chunk.
    Depthwise convolutions (one input channel per group) skip the matrix product.
    See Also: :func:`npconv.loops.conv`, :func:`npconv.conv`.

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 3, 3))
    >>> conv(x, w, None, (1, 1), ((0, 0), (0, 0)), (1, 1), 1, "zeros")
    array([[[[45., 54.],
             [81., 90.]]]])

    The workspace bound changes how many images share a matrix product, never the result:

    >>> x = np.arange(5 * 2 * 36.).reshape(5, 2, 6, 6)
    >>> w = np.arange(4 * 2 * 9.).reshape(4, 2, 3, 3)
    >>> geometry = (None, (2, 1), ((1, 0), (1, 1)), (1, 2), 1, "zeros")
    >>> one_at_a_time = conv(x, w, *geometry, workspace_bytes=1)
    >>> np.array_equal(one_at_a_time, conv(x, w, *geometry))
    True
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K, L = math.prod(kernel_size), math.prod(out_size)
    out = np.zeros((N, C_out, *out_size), dtype=np.result_type(x, weight))

    if _is_depthwise(C_in_per_group, groups):
        _depthwise_conv(x, padding, padding_mode, weight, stride, dilation, out_size, out)
    else:
        w = weight.reshape(groups, C_out // groups, C_in_per_group * K)
        workspace = _workspace(C_in * K * L * x.itemsize, N, workspace_bytes, x.dtype)
        chunks = _chunks(N, C_in * K * L * x.itemsize, workspace.nbytes)
        images_per_chunk = workspace.size // (C_in * K * L)
        out_buffer = np.empty(C_out * images_per_chunk * L, dtype=out.dtype)
        for start, stop in chunks:
            n = stop - start
            x_padded = pad(x[start:stop], padding, padding_mode)   # (n, C_in, *padded)
            columns = workspace[:C_in * K * n * L].reshape(C_in, K, n, *out_size)
            _unfold_into(columns, x_padded, kernel_size, stride, dilation, out_size)
            columns = columns.reshape(groups, C_in_per_group * K, n * L)
            out_chunk = out_buffer[:C_out * n * L].reshape(groups, C_out // groups, n * L)
            _gemm_conv_chunk(columns, w, out_chunk)
            out_chunk = out_chunk.reshape(C_out, n, *out_size)
            out[start:stop] = out_chunk.swapaxes(0, 1)           # (n, C_out, *out_size)
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))
    return out


def conv_backward(grad_output, x, weight, stride, padding, dilation, groups, padding_mode, *,
                  workspace_bytes=None):
    """Gradients of :func:`conv`: per chunk of images, two matrix products and a fold.

    For each chunk the columns are unfolded into the workspace, multiplied with the output
    gradient into the weight gradient, then overwritten by their own gradient
    ``w.T @ g``, which is folded back (one strided ``+=`` per tap) onto the input
    gradient: a full-size column buffer and its gradient are never held at once.

    Returns ``(grad_input, grad_weight, grad_bias)``.
    See Also: :func:`npconv.loops.conv_backward`.

    Examples
    --------
    Chunking (here three images, at most two per chunk) gives the same gradients:

    >>> x = np.arange(3 * 2 * 25.).reshape(3, 2, 5, 5) % 7
    >>> w = np.arange(3 * 2 * 4.).reshape(3, 2, 2, 2) % 5
    >>> g = np.ones((3, 3, 4, 4))
    >>> geometry = ((1, 1), ((0, 0), (0, 0)), (1, 1), 1, "zeros")
    >>> chunked = conv_backward(g, x, w, *geometry, workspace_bytes=2 * 2 * 4 * 16 * 8)
    >>> whole = conv_backward(g, x, w, *geometry)
    >>> all(np.array_equal(a, b) for a, b in zip(chunked, whole))
    True
    """
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    K, L = math.prod(kernel_size), math.prod(out_size)
    dtype = np.result_type(grad_output, x, weight)
    grad_w = np.zeros(weight.shape, dtype=dtype)

    grad_x = np.empty(x.shape, dtype=dtype)
    if _is_depthwise(C_in_per_group, groups):
        _depthwise_conv_backward(grad_output, x, padding, padding_mode, weight, stride,
                                 dilation, out_size, grad_x, grad_w)
    else:
        w = weight.reshape(groups, C_out // groups, C_in_per_group * K)
        grad_w_groups = grad_w.reshape(groups, C_out // groups, C_in_per_group * K)
        workspace = _workspace(C_in * K * L * x.itemsize, N, workspace_bytes, dtype)
        for start, stop in _chunks(N, C_in * K * L * x.itemsize, workspace.nbytes):
            n = stop - start
            x_padded = pad(x[start:stop], padding, padding_mode)   # (n, C_in, *padded)
            columns = workspace[:C_in * K * n * L].reshape(C_in, K, n, *out_size)
            _unfold_into(columns, x_padded, kernel_size, stride, dilation, out_size)
            columns = columns.reshape(groups, C_in_per_group * K, n * L)
            g = _channels_first(grad_output[start:stop])           # (C_out, n, *out_size)
            g = g.reshape(groups, C_out // groups, n * L)
            grad_w_groups += _weight_gradient_chunk(g, columns)    # (G, C_out/G, C_in/G*K)
            np.matmul(w.swapaxes(1, 2), g, out=columns)            # the columns' gradient
            grad_columns = columns.reshape(C_in, K, n, *out_size)
            grad_x_padded = np.zeros(x_padded.shape, dtype=dtype)
            _fold_from(grad_x_padded, grad_columns, kernel_size, stride, dilation, out_size)
            grad_x[start:stop] = pad_backward(grad_x_padded, padding, padding_mode)
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w, grad_bias


def _workspace(bytes_per_image, N, workspace_bytes, dtype):
    """The reused column buffer: flat, at most ``workspace_bytes`` (but one image at least)."""
    budget = DEFAULT_WORKSPACE_BYTES if workspace_bytes is None else workspace_bytes
    per_chunk = max(1, min(N, budget // max(bytes_per_image, 1)))
    return np.empty(per_chunk * bytes_per_image // np.dtype(dtype).itemsize, dtype=dtype)


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

def conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation, *,
                   workspace_bytes=None):
    """Transposed convolution: per chunk of images, one matrix product and a fold.

    Shapes: x ``(N, C_in, *in_size)``, weight ``(C_in, C_out // G, *kernel_size)`` -> out
    ``(N, C_out, *out_size)``.  The columns ``w.T @ x`` of a few images at a time live in a
    workspace of at most ``workspace_bytes`` and are folded onto the output tap by tap.
    See Also: :func:`npconv.loops.conv_transpose`.

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
    dtype = np.result_type(x, weight)
    out_padded = np.zeros((N, C_out, *padded_size), dtype=dtype)

    w = weight.reshape(groups, C_in // groups, C_out_per_group * K)
    workspace = _workspace(C_out * K * L_in * x.itemsize, N, workspace_bytes, dtype)
    for start, stop in _chunks(N, C_out * K * L_in * x.itemsize, workspace.nbytes):
        n = stop - start
        x_rows = _channels_first(x[start:stop]).reshape(groups, C_in // groups, n * L_in)
        columns = workspace[:C_out * K * n * L_in].reshape(groups, C_out_per_group * K,
                                                           n * L_in)
        np.matmul(w.swapaxes(1, 2), x_rows, out=columns)       # (G, C_out/G*K, n*L_in)
        columns = columns.reshape(C_out, K, n, *in_size)
        _fold_from(out_padded[start:stop], columns, kernel_size, stride, dilation, in_size)
    out = unpad(out_padded, padding).copy()
    if bias is not None:
        out += bias.reshape(-1, *[1] * len(in_size))
    return out


def conv_transpose_backward(grad_output, x, weight, stride, padding, output_padding, groups,
                            dilation, *, workspace_bytes=None):
    """Gradients of :func:`conv_transpose`: unfold the output gradient chunk by chunk.

    Returns ``(grad_input, grad_weight, grad_bias)``.
    See Also: :func:`npconv.loops.conv_transpose_backward`.
    """
    N, C_in, *in_size = x.shape
    _, C_out_per_group, *kernel_size = weight.shape
    C_out = C_out_per_group * groups
    K, L_in = math.prod(kernel_size), math.prod(in_size)
    dtype = np.result_type(grad_output, x, weight)
    grad_output_padded = pad(grad_output, padding)
    w = weight.reshape(groups, C_in // groups, C_out_per_group * K)
    grad_x = np.empty(x.shape, dtype=dtype)
    grad_w = np.zeros(weight.shape, dtype=dtype)
    grad_w_groups = grad_w.reshape(groups, C_in // groups, C_out_per_group * K)

    workspace = _workspace(C_out * K * L_in * x.itemsize, N, workspace_bytes, dtype)
    for start, stop in _chunks(N, C_out * K * L_in * x.itemsize, workspace.nbytes):
        n = stop - start
        columns = workspace[:C_out * K * n * L_in].reshape(C_out, K, n, *in_size)
        _unfold_into(columns, grad_output_padded[start:stop], kernel_size, stride, dilation,
                     in_size)
        columns = columns.reshape(groups, C_out_per_group * K, n * L_in)
        x_rows = _channels_first(x[start:stop]).reshape(groups, C_in // groups, n * L_in)
        grad_w_groups += x_rows @ columns.swapaxes(1, 2)       # (G, C_in/G, C_out/G*K)
        grad_x_rows = w @ columns                               # (G, C_in/G, n*L_in)
        grad_x_rows = grad_x_rows.reshape(C_in, n, *in_size)
        grad_x[start:stop] = grad_x_rows.swapaxes(0, 1)         # (n, C_in, *in_size)
    grad_bias = grad_output.sum(axis=(0, *range(2, grad_output.ndim)))
    return grad_x, grad_w, grad_bias


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

def _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size):
    """Padding pairs that hold every pooling window, the ``ceil_mode`` overhang included.

    The right padding is widened (or narrowed) to exactly what the last window reaches, so
    that every window can be cut from one padded array.
    """
    pairs = []
    for n, k, s, (before, _), d, o in zip(in_size, kernel_size, stride, padding, dilation,
                                          out_size):
        reach = window_reach(o, k, s, d)
        pairs.append((before, max(reach - n - before, 0)))
    return tuple(pairs)


def _max_pool_winners(x, kernel_size, stride, padding, dilation, out_size):
    """Values and winning taps of every window, chunk by chunk of images.

    Returns ``out`` and ``winner``, both ``(N, C, *out_size)``; ``winner`` holds the tap
    number (row-major over ``kernel_size``) that PyTorch's rules pick.
    """
    N, C, *in_size = x.shape
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    real_taps = _real_taps(in_size, kernel_size, stride, pool_padding, dilation, out_size)
    out = np.empty((N, C, *out_size), dtype=x.dtype)
    winner = np.empty((N, C, *out_size), dtype=np.min_scalar_type(math.prod(kernel_size)))

    def chunk(start, stop):
        phases = _padded_phases(x[start:stop], pool_padding, stride, -np.inf)
        views = _phase_tap_order(phases, stop - start, kernel_size, stride, dilation,
                                 out_size)
        out[start:stop], winner[start:stop] = _max_pool_chunk(views, real_taps)

    _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))
    return out, winner


def max_pool(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling: a running maximum over the kernel taps, then the first winning tap.

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
    out, winner = _max_pool_winners(x, kernel_size, stride, padding, dilation, out_size)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    indices = np.empty(out.shape, dtype=np.int64)

    def chunk(start, stop):
        indices[start:stop] = _tap_flat_index(in_size, kernel_size, stride, pool_padding,
                                              dilation, out_size, winner[start:stop])

    _on_all_cores(chunk, _chunks(N, _image_bytes(out) * 2, CACHE_CHUNK_BYTES))
    return out, indices


def max_pool_backward(grad_output, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Gradient of :func:`max_pool`: each gradient goes to its window's winner.

    Tap by tap, the gradients of the windows that tap won are added onto its cells.
    See Also: :func:`npconv.loops.max_pool_backward`.
    """
    N, C, *in_size = x.shape
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    _, winner = _max_pool_winners(x, kernel_size, stride, padding, dilation, out_size)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    dtype = np.result_type(grad_output, x)
    grad_x = np.empty(x.shape, dtype=dtype)

    def chunk(start, stop):
        phases = _filled_phases((stop - start, *x.shape[1:]), pool_padding, stride, 0, dtype)
        views = _phase_tap_order(phases, stop - start, kernel_size, stride, dilation,
                                 out_size)
        for tap_index, cells in enumerate(views):
            cells += _routed_to_tap(grad_output[start:stop], winner[start:stop], tap_index)
        _unpad_phases(phases, pool_padding, stride, grad_x[start:stop])

    _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))
    return grad_x


def avg_pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """Average pooling: sum the kernel taps' strided views of the zero-padded input, divide.

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
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                 count_include_pad, divisor_override).astype(x.dtype)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    sums = np.empty((N, C, *out_size), dtype=x.dtype)

    def chunk(start, stop):
        phases = _padded_phases(x[start:stop], pool_padding, stride, 0)
        views = _phase_tap_order(phases, stop - start, kernel_size, stride, dilation,
                                 out_size)
        total = sums[start:stop]
        np.copyto(total, views[0])
        for view in views[1:]:
            total += view
        np.divide(total, divisors, out=total)

    _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))
    return sums


def avg_pool_backward(grad_output, x, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override):
    """Gradient of :func:`avg_pool`: each tap adds the window's share onto its cells.

    See Also: :func:`npconv.loops.avg_pool_backward`.
    """
    N, C, *in_size = x.shape
    dilation = (1,) * len(in_size)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    divisors = avg_pool_divisors(in_size, kernel_size, stride, padding, out_size,
                                 count_include_pad, divisor_override).astype(x.dtype)
    dtype = np.result_type(grad_output, x)
    share = (grad_output / divisors).astype(dtype, copy=False)  # (N, C, *out_size)
    pool_padding = _pool_padding(in_size, kernel_size, stride, padding, dilation, out_size)
    grad_x = np.empty(x.shape, dtype=dtype)

    def chunk(start, stop):
        phases = _filled_phases((stop - start, *x.shape[1:]), pool_padding, stride, 0, dtype)
        views = _phase_tap_order(phases, stop - start, kernel_size, stride, dilation,
                                 out_size)
        for cells in views:
            cells += share[start:stop]
        _unpad_phases(phases, pool_padding, stride, grad_x[start:stop])

    _on_all_cores(chunk, _chunks(N, _image_bytes(x), CACHE_CHUNK_BYTES))
    return grad_x
