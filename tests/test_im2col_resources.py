"""The im2col variant's work and memory follow the size of the answer.

Nothing the fast variant allocates or loops over may grow with a stride, a dilation or a
padding that the result never reads, nor with an empty batch; a single image larger than
the workspace bound is cut into ranges of output rows, so the bound holds.  Each case runs
under ``tracemalloc`` (NumPy reports its arrays to it) and must stay below a small
multiple of the bytes it returns plus a small allowance for Python's own bookkeeping, and
must finish within a generous liveness guard: a call on a problem of a few cells that is
still running after ten seconds has hung (both guards are :mod:`tests.guards`').  The
expected values come from the formula written out here.

The million-tap pooling cases call the im2col functions directly, with the normalised
geometry the API would pass, so that only the variant's own memory is measured (the
argument checks' cost has its own tests in test_errors.py).
"""

import functools

import numpy as np
import pytest

import npconv
from npconv import im2col, shapes
from tests.guards import ALLOWANCE_BYTES, answer_bytes, run_bounded
from tests.guards import assert_small as assert_small_multiple

assert_small = functools.partial(assert_small_multiple, multiple=3)
"""The peak stays below three times the answer's bytes plus Python's bookkeeping."""


# --------------------------------------------------------------------------------------------
# Pooling: only the taps that land, nothing per stride step
# --------------------------------------------------------------------------------------------

def test_max_pool_with_a_stride_of_a_billion_does_one_window():
    """Five cells, kernel 1, stride 10**9: one window, (5 - 1) // 10**9 + 1 = 1 cell."""
    x = np.arange(5.).reshape(1, 1, 5)
    (out, indices), peak = run_bounded(
        lambda: npconv.max_pool(x, 1, stride=10 ** 9, return_indices=True))
    np.testing.assert_array_equal(out, [[[0.]]])
    np.testing.assert_array_equal(indices, [[[0]]])
    assert_small((out, indices), peak)
    grad, peak = run_bounded(
        lambda: npconv.max_pool_backward(np.ones((1, 1, 1)), x, 1, stride=10 ** 9))
    np.testing.assert_array_equal(grad, [[[1., 0., 0., 0., 0.]]])
    assert_small(grad, peak)


MILLION = 10 ** 6
"""A pooling kernel of a million taps, centred on a one-cell input by padding 500,000."""

ONE_CELL_GEOMETRY = ((MILLION,), (MILLION,), ((MILLION // 2, MILLION // 2),), (1,), False)
"""kernel_size, stride, padding, dilation, ceil_mode: out = (1 + 10**6 - 10**6) // 10**6
+ 1 = 1 window, in which only tap 500,000 lands on the input."""


def test_max_pool_with_a_million_taps_visits_the_one_that_lands():
    """The window's only real cell wins (index 0), forward and backward."""
    x = np.array([[[-3.]]])
    (out, indices), peak = run_bounded(lambda: im2col.max_pool(x, *ONE_CELL_GEOMETRY))
    np.testing.assert_array_equal(out, [[[-3.]]])
    np.testing.assert_array_equal(indices, [[[0]]])
    assert_small((out, indices), peak)
    grad, peak = run_bounded(
        lambda: im2col.max_pool_backward(np.array([[[2.]]]), x, *ONE_CELL_GEOMETRY))
    np.testing.assert_array_equal(grad, [[[2.]]])
    assert_small(grad, peak)


def test_avg_pool_with_a_million_taps_visits_the_one_that_lands():
    """count_include_pad: the one cell over the 10**6 cells of the window; without it,
    over the one real cell."""
    x = np.array([[[5.]]])
    kernel_size, stride, padding, _, ceil_mode = ONE_CELL_GEOMETRY
    for count_include_pad, divisor in ((True, MILLION), (False, 1)):
        out, peak = run_bounded(lambda: im2col.avg_pool(
            x, kernel_size, stride, padding, ceil_mode, count_include_pad, None))
        np.testing.assert_array_equal(out, [[[5. / divisor]]])
        assert_small(out, peak)
        grad, peak = run_bounded(lambda: im2col.avg_pool_backward(
            np.ones((1, 1, 1)), x, kernel_size, stride, padding, ceil_mode,
            count_include_pad, None))
        np.testing.assert_array_equal(grad, [[[1. / divisor]]])
        assert_small(grad, peak)


# --------------------------------------------------------------------------------------------
# Convolutions: nothing sized by an untouched padding, stride or dilation
# --------------------------------------------------------------------------------------------

def test_conv_transpose_with_a_stride_of_a_billion_computes_three_cells():
    """out = (2 - 1) * 10**9 - 2 * (5 * 10**8 - 1) + 0 + 1 = 3 cells; both input cells'
    kernel copies land in the cropped padding, so all three are 0 (plus the bias); the
    uncropped output would have been 10**9 + 1 cells."""
    x, w = np.ones((1, 1, 2)), np.ones((1, 1, 1))
    geometry = {"stride": 10 ** 9, "padding": 5 * 10 ** 8 - 1}
    out, peak = run_bounded(lambda: npconv.conv_transpose(x, w, np.array([0.5]), **geometry))
    np.testing.assert_array_equal(out, [[[0.5, 0.5, 0.5]]])
    assert_small(out, peak)
    grads, peak = run_bounded(
        lambda: npconv.conv_transpose_backward(np.ones((1, 1, 3)), x, w, **geometry))
    np.testing.assert_array_equal(grads.grad_input, [[[0., 0.]]])
    np.testing.assert_array_equal(grads.grad_weight, [[[0.]]])
    np.testing.assert_array_equal(grads.grad_bias, [3.])
    assert_small(tuple(grads), peak)


@pytest.mark.parametrize("padding_mode", ["zeros", "replicate"])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv_with_a_dilation_of_a_billion_reads_only_the_cells_it_needs(padding_mode,
                                                                          groups):
    """Kernel 3, dilation 10**9, padding 10**9 on 5 cells: out = 5; tap 1 reads the input,
    taps 0 and 2 read the padding 10**9 cells away (0, or with replicate the edge cell).
    The padded input would have been 2 * 10**9 + 5 cells.  groups=2 is the depthwise path."""
    x = np.tile(np.arange(1., 6.), (1, groups, 1))            # (1, groups, 5): 1 2 3 4 5
    w = np.tile(np.array([10., 1., 100.]), (groups, 1, 1))     # (groups, 1, 3)
    geometry = {"dilation": 10 ** 9, "padding": 10 ** 9, "groups": groups,
                "padding_mode": padding_mode}
    out, peak = run_bounded(lambda: npconv.conv(x, w, **geometry))
    centre = np.arange(1., 6.)
    if padding_mode == "zeros":
        expected = centre
    else:                                 # left padding copies cell 0, right padding cell 4
        expected = 10. * 1. + centre + 100. * 5.
    np.testing.assert_array_equal(out, np.tile(expected, (1, groups, 1)))
    assert_small(out, peak)
    grads, peak = run_bounded(lambda: npconv.conv_backward(np.ones((1, groups, 5)), x, w,
                                                           **geometry))
    tap_sums = [0., 15., 0.] if padding_mode == "zeros" else [5. * 1., 15., 5. * 5.]
    np.testing.assert_array_equal(grads.grad_weight, np.tile(tap_sums, (groups, 1, 1)))
    input_gradient = [1.] * 5 if padding_mode == "zeros" else [1. + 50., 1., 1., 1., 1. + 500.]
    np.testing.assert_array_equal(grads.grad_input, np.tile(input_gradient, (1, groups, 1)))
    assert_small(tuple(grads), peak)


# --------------------------------------------------------------------------------------------
# The workspace: nothing for an empty batch, the bound within one large image
# --------------------------------------------------------------------------------------------

def test_an_empty_batch_allocates_no_workspace():
    """A 512-channel 3x3 layer on 512x512 images: one image's columns would be
    512 * 9 * 512 * 512 * 4 bytes = 4.5 GiB; with no image there is nothing to unfold.
    The backward returns the weight gradient (zeros), and may hold it twice (transposed)."""
    x = np.empty((0, 512, 512, 512), dtype=np.float32)
    w = np.ones((512, 512, 3, 3), dtype=np.float32)
    out, peak = run_bounded(lambda: npconv.conv(x, w, padding=1))
    assert out.shape == (0, 512, 512, 512)
    assert_small(out, peak)
    grads, peak = run_bounded(lambda: npconv.conv_backward(out, x, w, padding=1))
    assert not grads.grad_weight.any() and grads.grad_weight.shape == w.shape
    assert_small(tuple(grads), peak)


def test_one_large_image_is_cut_into_rows_within_the_workspace_bound():
    """One 16-channel 128x128 image, 3x3 kernel: its columns take 16 * 9 * 128 * 128 * 4 =
    9 MiB; with a 64 KiB workspace the op holds at most one chunk of output rows (one row's
    columns: 16 * 9 * 128 * 4 = 72 KiB) beyond its input and answer."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16, 128, 128)).astype(np.float32)
    w = rng.standard_normal((8, 16, 3, 3)).astype(np.float32)
    row_columns = 16 * 9 * 128 * 4
    out, peak = run_bounded(lambda: npconv.conv(x, w, padding=1, workspace_bytes=2 ** 16))
    assert peak <= out.nbytes + 2 * row_columns + ALLOWANCE_BYTES
    small_w = w[:, :, :1, :1]                    # a 1x1 kernel checks the values cheaply
    ones_out = npconv.conv(x, small_w, workspace_bytes=2 ** 16)
    np.testing.assert_allclose(ones_out, np.einsum("nchw,oc->nohw", x, small_w[:, :, 0, 0]),
                               rtol=1e-5, atol=1e-5)
    grads, peak = run_bounded(lambda: npconv.conv_backward(out, x, w, padding=1,
                                                           workspace_bytes=2 ** 16))
    assert peak <= answer_bytes(tuple(grads)) + out.nbytes + 2 * row_columns + ALLOWANCE_BYTES


def test_one_output_row_beyond_the_array_bound_is_refused_naming_its_causes(monkeypatch):
    """If even one row of windows needs columns beyond shapes.MAX_ARRAY_BYTES, the op says so
    before allocating.  The conv's output, 1 * 32 * 32 * 8 = 8192 bytes, fits under a bound
    of 20000, but one output row of columns needs 16 channels * 9 taps * 32 windows * 8 =
    36864 bytes.  A transposed conv has a window per input cell: its output, 1 * 40 * 8 =
    320 bytes, fits under 1000, but one input row needs 1 channel * 9 taps * 32 * 8 = 2304."""
    monkeypatch.setattr(shapes, "MAX_ARRAY_BYTES", 20000)
    x, w = np.ones((1, 16, 32, 32)), np.ones((1, 16, 3, 3))
    expected = r"im2col workspace.*16 channels.*kernel_size=\(3, 3\).*row of the output"
    with pytest.raises(ValueError, match=expected):
        npconv.conv(x, w, padding=1, workspace_bytes=1)
    monkeypatch.setattr(shapes, "MAX_ARRAY_BYTES", 1000)
    with pytest.raises(ValueError, match=r"1 channels.*row of the input"):
        npconv.conv_transpose(np.ones((1, 1, 1, 32)), np.ones((1, 1, 1, 9)), workspace_bytes=1)


# --------------------------------------------------------------------------------------------
# Adaptive max pooling: windows a block at a time, also within one large plane
# --------------------------------------------------------------------------------------------

def test_adaptive_max_pool_of_one_large_plane_works_a_block_of_windows_at_a_time(monkeypatch):
    """One 64**3 plane to 63**3 windows of 2x2x2 cells: copying every window out at once
    would take 63**3 * 8 cells * (4 bytes + 8 for their positions) = 24 MiB.  Worked a
    block of windows at a time (one thread here, so one block at a time), the forward
    holds its answer (values and int64 indices) and about one block beyond it, and the
    backward its answer, the winners' int64 positions (one per window) and about one
    block.  The values are the maxima of the windows, worked out here with NumPy."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    x = np.random.default_rng(0).standard_normal((1, 1, 64, 64, 64)).astype(np.float32)
    block = 2 * im2col.CACHE_CHUNK_BYTES
    out, peak = run_bounded(lambda: npconv.adaptive_max_pool(x, 63, return_indices=True))
    assert peak <= answer_bytes(out) + block + ALLOWANCE_BYTES
    # windows i..i+1 along every axis (in 64, out 63): the max over the 8 shifted views
    shifted = [x[0, 0, a:a + 63, b:b + 63, c:c + 63]
               for a in (0, 1) for b in (0, 1) for c in (0, 1)]
    np.testing.assert_array_equal(out[0][0, 0], np.max(shifted, axis=0))
    grad_output = np.ones((1, 1, 63, 63, 63), dtype=np.float32)
    grad, peak = run_bounded(lambda: npconv.adaptive_max_pool_backward(grad_output, x, 63))
    assert peak <= grad.nbytes + 63 ** 3 * 8 + block + ALLOWANCE_BYTES
    assert grad.sum() == 63 ** 3
