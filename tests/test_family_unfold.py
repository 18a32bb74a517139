"""unfold and fold, forward and backward, against sources that do not use them.

Cheat sheet: "Convolution operation" as one matrix multiply.  Expected values come from:

- the window-count formula, per dimension
  ``floor((in + before + after - dilation * (k - 1) - 1) / stride) + 1``
  (:func:`tests.oracles.conv_output_size`);
- a cell-by-cell construction of the columns from ``np.pad`` (PyTorch's layout: row
  ``c * K + tap``, kernel taps and window positions both row-major);
- exact identities: fold is the adjoint of unfold (``<unfold(x), y> == <x, fold(y)>``); a
  convolution is the weight, reshaped to a matrix, times ``unfold(x)``;
  ``fold(unfold(x))`` is ``x`` times the number of windows covering each cell, counted here
  by walking the windows; unbatched input is batched input without its batch axis;
- central finite differences for the backwards;
- the two variants against each other.

Arrays are small and drawn with the hyperparameters first, the sizes derived so that at
least one window fits (empty spatial axes included where the padding makes room), and
stride, dilation and padding range above their defaults.  The strategy lives here.
"""

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import npconv
from tests import oracles
from tests.guards import finishes_quickly

METHODS = ("loops", "im2col")


# --------------------------------------------------------------------------------------------
# The formulas (tests.oracles') and constructions (written out here), never taken from npconv
# --------------------------------------------------------------------------------------------

def window_counts(in_size, config):
    """Window positions per dimension: the convolution formula, ``floor((in + before +
    after - d*(k-1) - 1) / s) + 1`` (:func:`tests.oracles.conv_output_size`)."""
    return tuple(oracles.conv_output_size(n, k, s, before, after, d)
                 for n, k, s, (before, after), d in
                 zip(in_size, config["taps"], config["strides"], config["pairs"],
                     config["dilations"]))


def columns_from_np_pad(x, config):
    """The columns built cell by cell from the padded input: for image n, channel c, kernel
    tap t (row-major) and window l (row-major), the cell at ``l * stride + t * dilation`` of
    ``np.pad(x)``, in row ``c * K + t`` of column ``l``."""
    pairs, taps = config["pairs"], config["taps"]
    padded = np.pad(x, ((0, 0), (0, 0), *pairs))
    N, C, *in_size = x.shape
    counts = window_counts(in_size, config)
    K = math.prod(taps)
    cols = np.zeros((N, C * K, math.prod(counts)))
    for n, c in itertools.product(range(N), range(C)):
        for l, window in enumerate(itertools.product(*map(range, counts))):
            for t, tap in enumerate(itertools.product(*map(range, taps))):
                cell = tuple(i * s + j * d for i, j, s, d in
                             zip(window, tap, config["strides"], config["dilations"]))
                cols[n, c * K + t, l] = padded[(n, c) + cell]
    return cols


def cover_counts(in_size, config):
    """How many (window, tap) pairs read each input cell, counted by walking the windows:
    per dimension, the pairs with ``i * stride + t * dilation - before`` on the cell, and
    their product over the dimensions (a window is a box)."""
    per_dimension = []
    for n, k, s, (before, after), d in zip(in_size, config["taps"], config["strides"],
                                           config["pairs"], config["dilations"]):
        counts = np.zeros(n, dtype=int)
        for i in range(oracles.conv_output_size(n, k, s, before, after, d)):
            for t in range(k):
                position = i * s + t * d - before
                if 0 <= position < n:
                    counts[position] += 1
        per_dimension.append(counts)
    total = np.ones((), dtype=int)
    for counts in per_dimension:
        total = np.multiply.outer(total, counts)
    return total


# --------------------------------------------------------------------------------------------
# The strategy: hyperparameters first, then an input size with at least one window
# --------------------------------------------------------------------------------------------

@st.composite
def unfold_configs(draw, ndims=(1, 2, 3), max_batch=2, max_channels=3):
    """A valid ``npconv.unfold`` call as keyword arguments, plus test-only keys: ``taps``,
    ``strides``, ``dilations`` (one int per dimension) and ``pairs`` (the padding as
    (before, after) pairs).  The arguments take PyTorch's forms (an int for a square 2-D
    kernel, one int for every dimension) as well as tuples and pairs."""
    ndim = draw(st.sampled_from(ndims))
    small = ndim == 3                                  # keep 3-D cases tiny
    largest = 2 if small else 3
    taps = tuple(draw(st.integers(1, largest)) for _ in range(ndim))
    strides = tuple(draw(st.integers(1, largest)) for _ in range(ndim))
    dilations = tuple(draw(st.integers(1, largest)) for _ in range(ndim))
    padding_kind = draw(st.sampled_from(["int", "ints", "pairs"]))
    if padding_kind == "int":
        padding = draw(st.integers(0, 2))
        pairs = ((padding, padding),) * ndim
    elif padding_kind == "ints":
        padding = tuple(draw(st.integers(0, 2)) for _ in range(ndim))
        pairs = tuple((p, p) for p in padding)
    else:
        pairs = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(ndim))
        padding = pairs
    in_size = []
    for k, d, (before, after) in zip(taps, dilations, pairs):
        fits = max(d * (k - 1) + 1 - before - after, 0)      # one window fits from here
        in_size.append(fits + draw(st.integers(0, 2 if small else 3)))
    N, C = draw(st.integers(1, max_batch)), draw(st.integers(1, max_channels))
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).standard_normal((N, C, *in_size))

    kernel_size = taps
    if ndim == 2 and taps[0] == taps[1] and draw(st.booleans()):
        kernel_size = taps[0]                          # an int: a square 2-D kernel
    stride = strides[0] if len(set(strides)) == 1 and draw(st.booleans()) else strides
    dilation = dilations[0] if len(set(dilations)) == 1 and draw(st.booleans()) else dilations
    return {"input": x, "kernel_size": kernel_size, "dilation": dilation, "padding": padding,
            "stride": stride, "taps": taps, "strides": strides, "dilations": dilations,
            "pairs": pairs}


TEST_KEYS = ("input", "taps", "strides", "dilations", "pairs")


def geometry(config):
    """The op's geometry arguments: the config less the input and the test-only keys."""
    return {key: value for key, value in config.items() if key not in TEST_KEYS}


def random_like(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


seeds = st.integers(0, 2**32 - 1)

# A 5x5 image, kernel 3, stride 2, padding 1, dilation 1: 3x3 windows; and a 1-D signal
# whose dilated windows (dilation 2, kernel 2) read one padding cell each side.
EXAMPLE_2D = {"input": np.arange(25.).reshape(1, 1, 5, 5), "kernel_size": 3, "dilation": 1,
              "padding": 1, "stride": 2, "taps": (3, 3), "strides": (2, 2),
              "dilations": (1, 1), "pairs": ((1, 1), (1, 1))}
EXAMPLE_1D = {"input": np.arange(4.).reshape(1, 1, 4), "kernel_size": (2,), "dilation": 2,
              "padding": ((1, 1),), "stride": 1, "taps": (2,), "strides": (1,),
              "dilations": (2,), "pairs": ((1, 1),)}


# --------------------------------------------------------------------------------------------
# Shapes and values
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs())
@example(config=EXAMPLE_2D)
@example(config=EXAMPLE_1D)
def test_unfold_shape_is_the_formula(method, config):
    """(N, C, *in_size) -> (N, C * prod(kernel_size), prod(window counts))."""
    x = config["input"]
    N, C, *in_size = x.shape
    expected = (N, C * math.prod(config["taps"]), math.prod(window_counts(in_size, config)))
    assert npconv.unfold(x, **geometry(config), method=method).shape == expected


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs())
def test_fold_shape_is_the_output_size(method, config):
    """(N, C * K, L) -> (N, C, *output_size), for the L the formula gives."""
    N, C, *in_size = config["input"].shape
    K, L = math.prod(config["taps"]), math.prod(window_counts(in_size, config))
    out = npconv.fold(np.ones((N, C * K, L)), tuple(in_size), **geometry(config),
                      method=method)
    assert out.shape == (N, C, *in_size)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs())
@example(config=EXAMPLE_2D)
@example(config=EXAMPLE_1D)
def test_unfold_equals_the_columns_built_cell_by_cell_from_np_pad(method, config):
    """PyTorch's layout: row c * K + tap, column l, taps and windows both row-major."""
    x = config["input"]
    np.testing.assert_array_equal(npconv.unfold(x, **geometry(config), method=method),
                                  columns_from_np_pad(x, config))


def test_unfold_of_a_3x3_image_by_hand():
    """The four 2x2 windows of [[0 1 2] [3 4 5] [6 7 8]], one per column."""
    x = np.arange(9.).reshape(1, 1, 3, 3)
    expected = np.array([[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]], float)
    for method in METHODS:
        np.testing.assert_array_equal(npconv.unfold(x, 2, method=method)[0], expected)


def test_channels_come_first_in_the_rows():
    """Two channels, a 1-D kernel of 2: channel 0's taps are rows 0-1, channel 1's rows 2-3."""
    x = np.array([[[1., 2., 3.], [10., 20., 30.]]])
    expected = np.array([[1, 2], [2, 3], [10, 20], [20, 30]], float)
    for method in METHODS:
        np.testing.assert_array_equal(npconv.unfold(x, (2,), method=method)[0], expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs())
@example(config=EXAMPLE_2D)
def test_fold_of_unfold_is_the_input_times_its_cover_count(method, config):
    """Every (window, tap) that copied a cell adds it back: the count is walked here."""
    x = config["input"]
    cols = npconv.unfold(x, **geometry(config), method=method)
    folded = npconv.fold(cols, x.shape[2:], **geometry(config), method=method)
    np.testing.assert_allclose(folded, x * cover_counts(x.shape[2:], config), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs(), seed=seeds)
@example(config=EXAMPLE_2D, seed=0)
def test_fold_is_the_adjoint_of_unfold(method, config, seed):
    """<unfold(x), y> == <x, fold(y)> for any columns y."""
    x = config["input"]
    cols = npconv.unfold(x, **geometry(config), method=method)
    y = random_like(cols.shape, seed)
    folded = npconv.fold(y, x.shape[2:], **geometry(config), method=method)
    assert np.isclose(np.sum(cols * y), np.sum(x * folded), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs(), C_out=st.integers(1, 3), seed=seeds)
@example(config=EXAMPLE_2D, C_out=2, seed=0)
def test_conv_is_the_weight_matrix_times_unfold(method, config, C_out, seed):
    """conv(x, w) == (w as a (C_out, C * K) matrix) @ unfold(x), reshaped to the output."""
    x = config["input"]
    N, C, *in_size = x.shape
    w = random_like((C_out, C, *config["taps"]), seed)
    cols = npconv.unfold(x, **geometry(config), method=method)          # (N, C * K, L)
    product = np.einsum("ok,nkl->nol", w.reshape(C_out, -1), cols)
    expected = product.reshape(N, C_out, *window_counts(in_size, config))
    out = npconv.conv(x, w, stride=config["strides"], padding=config["pairs"],
                      dilation=config["dilations"], method=method)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------------------------
# The two variants, the backwards, unbatched input
# --------------------------------------------------------------------------------------------

@given(config=unfold_configs(), seed=seeds)
def test_loops_and_im2col_agree(config, seed):
    """Forward and backward of both ops, the same numbers from both variants."""
    x, args = config["input"], geometry(config)
    loops = npconv.unfold(x, **args, method="loops")
    np.testing.assert_array_equal(npconv.unfold(x, **args, method="im2col"), loops)
    y = random_like(loops.shape, seed)
    results = {method: (npconv.fold(y, x.shape[2:], **args, method=method),
                        npconv.unfold_backward(y, x, **args, method=method),
                        npconv.fold_backward(x, y, x.shape[2:], **args, method=method))
               for method in METHODS}
    for loops_result, im2col_result in zip(results["loops"], results["im2col"]):
        np.testing.assert_allclose(im2col_result, loops_result, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs(max_batch=1, max_channels=2), seed=seeds)
def test_unfold_backward_matches_finite_differences(method, config, seed):
    x, args = config["input"], geometry(config)
    oracles.assert_backward_matches_finite_differences(
        lambda a: npconv.unfold(a, **args, method=method),
        lambda probe: npconv.unfold_backward(probe, x, **args, method=method), x, seed)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs(max_batch=1, max_channels=2), seed=seeds)
def test_fold_backward_matches_finite_differences(method, config, seed):
    x, args = config["input"], geometry(config)
    out_size = x.shape[2:]
    cols = random_like(npconv.unfold(x, **args, method=method).shape, seed)
    oracles.assert_backward_matches_finite_differences(
        lambda a: npconv.fold(a, out_size, **args, method=method),
        lambda probe: npconv.fold_backward(probe, cols, out_size, **args, method=method),
        cols, seed)


@pytest.mark.parametrize("method", METHODS)
@given(config=unfold_configs(max_batch=1), seed=seeds)
def test_unbatched_input_is_the_batched_result_without_its_batch_axis(method, config, seed):
    """(C, *spatial) for unfold and unfold_backward, (C * K, L) for fold and fold_backward."""
    x, args = config["input"], geometry(config)
    out_size = x.shape[2:]
    cols = npconv.unfold(x, **args, method=method)
    y = random_like(cols.shape, seed)
    np.testing.assert_array_equal(npconv.unfold(x[0], **args, method=method), cols[0])
    np.testing.assert_array_equal(npconv.fold(y[0], out_size, **args, method=method),
                                  npconv.fold(y, out_size, **args, method=method)[0])
    np.testing.assert_array_equal(
        npconv.unfold_backward(y[0], x[0], **args, method=method),
        npconv.unfold_backward(y, x, **args, method=method)[0])
    np.testing.assert_array_equal(
        npconv.fold_backward(x[0], y[0], out_size, **args, method=method),
        npconv.fold_backward(x, y, out_size, **args, method=method)[0])


# --------------------------------------------------------------------------------------------
# The spatial rank, PyTorch's forms, dtypes, empty arrays
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_an_int_kernel_size_is_a_2d_kernel_as_in_pytorch(method):
    """unfold(x, 3) on (C, H, W) reads it as an unbatched image, as F.unfold does; a tuple
    of one int is a 1-D kernel (not "3 in every dimension")."""
    x = np.arange(2 * 4 * 5.).reshape(2, 4, 5)
    np.testing.assert_array_equal(npconv.unfold(x, 3, method=method),
                                  npconv.unfold(x[np.newaxis], (3, 3), method=method)[0])
    # the same array as a batch of 2 one-dimensional signals with 4 channels, kernel 3:
    # windows 0-2, 1-3, 2-4 of 5 cells
    assert npconv.unfold(x, (3,), method=method).shape == (2, 4 * 3, 3)
    assert npconv.fold(np.ones((1, 4, 4)), 3, 2, padding=1, stride=2,
                       method=method).shape == (1, 1, 3, 3)   # output_size 3: a 3x3 image


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_dtype_is_kept_and_the_arguments_are_not_modified(method, dtype):
    x = np.arange(16, dtype=dtype).reshape(1, 1, 4, 4)
    x_before = x.copy()
    cols = npconv.unfold(x, 2, method=method)
    cols_before = cols.copy()
    folded = npconv.fold(cols, (4, 4), 2, method=method)
    grads = (npconv.unfold_backward(cols, x, 2, method=method),
             npconv.fold_backward(folded, cols, (4, 4), 2, method=method))
    assert all(a.dtype == dtype for a in (cols, folded, *grads))
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(cols, cols_before)


@pytest.mark.parametrize("method", METHODS)
def test_empty_arrays_give_empty_or_zero_results(method):
    """No images, no channels, or an empty axis that the padding gives windows to (they
    read zeros): the shapes follow the formula, as for a convolution."""
    assert npconv.unfold(np.ones((0, 2, 3, 3)), 2, method=method).shape == (0, 8, 4)
    assert npconv.unfold(np.ones((1, 0, 3, 3)), 2, method=method).shape == (1, 0, 4)
    # in 0, padding 1 each side, kernel 2: floor((0 + 2 - 1 - 1) / 1) + 1 = 1 window row
    empty_axis = npconv.unfold(np.ones((1, 1, 0, 3)), 2, padding=1, method=method)
    assert empty_axis.shape == (1, 4, 1 * 4)
    assert not empty_axis.any()
    # fold back onto the empty axis: the columns all fall on the padding
    assert npconv.fold(np.ones((1, 4, 4)), (0, 3), 2, padding=1,
                       method=method).shape == (1, 1, 0, 3)
    assert npconv.fold(np.ones((0, 4, 4)), (3, 3), 2, method=method).shape == (0, 1, 3, 3)


@pytest.mark.parametrize("method", METHODS)
def test_an_empty_result_costs_nothing_however_many_taps_the_kernel_has(method):
    """Zero channels and a 10**6 x 10**6 kernel: nothing to copy, answered at once (within
    the liveness guard, and in a few bytes: a loop over the taps would hang)."""
    with finishes_quickly():
        cols = npconv.unfold(np.ones((1, 0, 2, 2)), 10**6, padding=10**6, method=method)
    assert cols.shape == (1, 0, (2 + 2 * 10**6 - 10**6 + 1) ** 2)


# --------------------------------------------------------------------------------------------
# Bad input: a ValueError or TypeError that names the parameter and what was expected
# --------------------------------------------------------------------------------------------

def raises(error, *fragments):
    """pytest.raises(error) whose message holds every fragment, literally, in order."""
    return pytest.raises(error, match=".*".join(map(re.escape, fragments)))


@pytest.mark.parametrize("method", METHODS)
def test_fold_with_the_wrong_number_of_columns_names_the_number_expected(method):
    """output_size 4x4, kernel 2: 3 * 3 = 9 windows, so L must be 9."""
    for L in (8, 10):
        with raises(ValueError, f"L = {L} columns", "3 * 3 = 9 window positions"):
            npconv.fold(np.ones((1, 12, L)), (4, 4), 2, method=method)
        with raises(ValueError, f"L = {L} columns", "9 window positions"):
            npconv.fold_backward(np.ones((1, 3, 4, 4)), np.ones((1, 12, L)), (4, 4), 2,
                                 method=method)


@pytest.mark.parametrize("method", METHODS)
def test_fold_rows_that_are_not_whole_channels_are_refused(method):
    """13 rows cannot be C channels of K = 2 * 2 = 4 taps."""
    with raises(ValueError, "13 rows", "divisible by", "K = prod(kernel_size=(2, 2)) = 4"):
        npconv.fold(np.ones((1, 13, 9)), (4, 4), 2, method=method)
    with raises(ValueError, "13 rows", "K = prod(kernel_size=(2, 2)) = 4"):
        npconv.fold(np.ones((13, 9)), (4, 4), 2, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_a_geometry_that_leaves_no_window_is_refused_as_in_pytorch(method):
    """Input 5 and kernel 6: floor((5 - 5 - 1) / 1) + 1 = 0 windows; PyTorch refuses it."""
    with raises(ValueError, "window positions along spatial dimension 0 would be 0",
                "the dilated kernel spans 6 cells but the padded input has 5"):
        npconv.unfold(np.ones((1, 1, 5, 6)), (6, 3), method=method)
    with raises(ValueError, "window positions along spatial dimension 1 would be 0",
                "padded output_size=(1, 1) has 1"):
        npconv.fold(np.ones((1, 4, 0)), (1, 1), (1, 2), method=method)


@pytest.mark.parametrize("method", METHODS)
def test_an_input_whose_rank_does_not_fit_the_kernel_is_refused(method):
    with raises(ValueError, "2 spatial dimensions", "kernel_size=3", "(1, 1, 4, 4, 4)"):
        npconv.unfold(np.ones((1, 1, 4, 4, 4)), 3, method=method)
    with raises(ValueError, "3 spatial dimensions", "(4, 4)"):
        npconv.unfold(np.ones((4, 4)), (2, 2, 2), method=method)
    with raises(ValueError, "(N, C * K, L) or (C * K, L)", "(1, 1, 4, 4)"):
        npconv.fold(np.ones((1, 1, 4, 4)), (4, 4), 2, method=method)
    with raises(ValueError, "kernel_size=(2, 2, 2)", "2 ints"):
        npconv.fold(np.ones((1, 8, 9)), (4, 4), (2, 2, 2), method=method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name, value, error", [
    ("kernel_size", 0, ValueError), ("kernel_size", 2.0, TypeError),
    ("kernel_size", (), ValueError), ("kernel_size", "2", TypeError),
    ("dilation", 0, ValueError), ("stride", 0, ValueError), ("stride", (1, 2, 3), ValueError),
    ("padding", -1, ValueError), ("padding", "same", ValueError),
    ("padding", ((1, 2, 3), (0, 0)), TypeError), ("method", "fast", ValueError)])
def test_bad_geometry_is_refused_naming_the_parameter(method, name, value, error):
    arguments = {"kernel_size": 2, "dilation": 1, "padding": 0, "stride": 1, "method": method}
    arguments[name] = value
    x = np.ones((1, 1, 4, 4))
    with raises(error, f"{name}="):
        npconv.unfold(x, **arguments)
    with raises(error, f"{name}="):
        npconv.unfold_backward(np.ones((1, 4, 9)), x, **arguments)
    with raises(error, f"{name}="):
        npconv.fold(np.ones((1, 4, 9)), (4, 4), **arguments)
    with raises(error, f"{name}="):
        npconv.fold_backward(x, np.ones((1, 4, 9)), (4, 4), **arguments)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("output_size, error", [
    (-1, ValueError), ((4, -1), ValueError), ((), ValueError), (4.0, TypeError),
    ("4", TypeError), ((4, 4.0), TypeError), (None, TypeError)])
def test_bad_output_size_is_refused_naming_it(method, output_size, error):
    with raises(error, "output_size="):
        npconv.fold(np.ones((1, 4, 9)), output_size, 2, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_grad_output_of_the_wrong_shape_is_refused(method):
    x = np.ones((1, 1, 4, 4))
    with raises(ValueError, "grad_output has shape (1, 4, 8)", "(1, 4, 9)"):
        npconv.unfold_backward(np.ones((1, 4, 8)), x, 2, method=method)
    with raises(ValueError, "grad_output has shape (1, 4, 9)", "(4, 9)"):
        npconv.unfold_backward(np.ones((1, 4, 9)), x[0], 2, method=method)
    with raises(ValueError, "grad_output has shape (1, 1, 4, 5)", "(1, 1, 4, 4)"):
        npconv.fold_backward(np.ones((1, 1, 4, 5)), np.ones((1, 4, 9)), (4, 4), 2,
                             method=method)


@pytest.mark.parametrize("method", METHODS)
def test_a_result_beyond_the_memory_bound_is_refused_before_allocating(method):
    """Padding 10**5 around one cell, kernel 1: (2 * 10**5 + 1)**2 windows, 320 GB."""
    with raises(ValueError, "the output would have shape (1, 1, 40000400001)", "bytes"):
        npconv.unfold(np.ones((1, 1, 1, 1)), 1, padding=10**5, method=method)
    with raises(ValueError, "the output would have shape (1, 1, 100000, 100000)", "bytes"):
        npconv.fold(np.ones((1, 1, 1)), (10**5, 10**5), 1, stride=10**5, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_arrays_that_are_not_real_numbers_are_refused(method):
    with raises(TypeError, "input"):
        npconv.unfold(np.ones((1, 1, 3, 3), dtype=complex), 2, method=method)
    with raises(TypeError, "input"):
        npconv.fold(None, (3, 3), 2, method=method)
    with raises(TypeError, "grad_output"):
        npconv.unfold_backward(np.array([["a"]]), np.ones((1, 1, 3, 3)), 2, method=method)
