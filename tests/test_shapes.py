"""Output shapes of every op, and the shape helpers of ``npconv.shapes``, against formulas
written out in this file.

Cheat sheet: "Calculate output's dimension" (the output-size formula, here with a
``(before, after)`` padding pair), "Padding" (valid and same), "Dilated Convolution" (the
effective kernel and the receptive field), "Transposed Convolution" (its output size) and
the parameter count ``k * k * C + 1`` (and zero for pooling).

The formulas, per spatial dimension (written out in :mod:`tests.oracles`, never taken from
npconv), with ``span = dilation * (kernel_size - 1) + 1``:

- conv:            ``floor((in + before + after - dilation * (k - 1) - 1) / stride) + 1``
- conv_transpose:  ``(in - 1) * stride - before - after + dilation * (k - 1)
  + output_padding + 1``
- pooling:         the conv formula, rounded up with ``ceil_mode``; PyTorch then drops the
  last window if it starts at or beyond ``in + before``, i.e. if
  ``(out - 1) * stride >= in + before``.

The receptive field is checked against a brute force that pushes one output cell back
through a stack of layers, collecting every input cell it touches.
"""

import inspect

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import npconv
from npconv.tools import calculator
from npconv.testing.strategies import conv_configs, conv_transpose_configs, op_args, pool_configs
from tests import oracles

METHODS = ("loops", "im2col")


# --------------------------------------------------------------------------------------------
# The ops' output shapes
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_conv_output_shape_is_the_formula(config, method):
    """conv's output shape is floor((in + pads - d*(k-1) - 1)/s) + 1 per dimension
    ("Calculate output's dimension")."""
    out = npconv.conv(**op_args(config), method=method)
    assert out.shape == oracles.conv_output_shape(config)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_conv_backward_gradients_have_the_argument_shapes(config, method):
    """conv_backward, given a grad_output of the formula's shape, returns gradients shaped
    like the input, the weight and (C_out,) ("Calculate output's dimension")."""
    args = op_args(config)
    del args["bias"]
    grad_output = np.ones(oracles.conv_output_shape(config))
    grads = npconv.conv_backward(grad_output, **args, method=method)
    assert grads.grad_input.shape == config["input"].shape
    assert grads.grad_weight.shape == config["weight"].shape
    assert grads.grad_bias.shape == (config["weight"].shape[0],)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs())
def test_conv_transpose_output_shape_is_the_formula(config, method):
    """conv_transpose's output shape is (in-1)*s - pads + d*(k-1) + op + 1 per dimension
    ("Transposed Convolution")."""
    out = npconv.conv_transpose(**op_args(config), method=method)
    assert out.shape == oracles.conv_transpose_output_shape(config)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_pool_output_shape_is_the_formula(kind, method, data):
    """Pooling's output shape is the conv formula, rounded up with ceil_mode, minus a last
    window starting past in + before ("Pooling operation", "Calculate output's dimension")."""
    config = data.draw(pool_configs(kind))
    pool = npconv.max_pool if kind == "max" else npconv.avg_pool
    out = pool(**op_args(config), method=method)
    assert out.shape == oracles.pool_output_shape(config)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("max"))
def test_max_pool_indices_have_the_output_shape_and_int64(config, method):
    """max_pool's indices are int64 and shaped like its output ("Pooling operation")."""
    out, indices = npconv.max_pool(**op_args(config), return_indices=True, method=method)
    assert indices.shape == out.shape == oracles.pool_output_shape(config)
    assert indices.dtype == np.int64


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs())
def test_conv_transpose_backward_gradients_have_the_argument_shapes(config, method):
    """conv_transpose_backward, given a grad_output of the formula's shape, returns gradients
    shaped like the input, the weight and (C_out,) ("Transposed Convolution")."""
    args = op_args(config)
    del args["bias"]
    grad_output = np.ones(oracles.conv_transpose_output_shape(config))
    grads = npconv.conv_transpose_backward(grad_output, **args, method=method)
    assert grads.grad_input.shape == config["input"].shape
    assert grads.grad_weight.shape == config["weight"].shape
    assert grads.grad_bias.shape == (config["weight"].shape[1] * config["groups"],)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_pool_backward_gradient_has_the_input_shape(kind, method, data):
    """A pooling backward, given a grad_output of the formula's shape, returns a gradient
    shaped like the input ("Pooling operation")."""
    config = data.draw(pool_configs(kind))
    backward = npconv.max_pool_backward if kind == "max" else npconv.avg_pool_backward
    grad_input = backward(np.ones(oracles.pool_output_shape(config)), **op_args(config),
                          method=method)
    assert grad_input.shape == config["input"].shape


# --------------------------------------------------------------------------------------------
# The helpers of npconv.shapes, one spatial dimension at a time
# --------------------------------------------------------------------------------------------

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 5)
dilations = st.integers(1, 4)
pads = st.integers(0, 4)


@given(n=sizes, k=kernels, s=strides, before=pads, after=pads, d=dilations)
@example(n=32, k=3, s=2, before=1, after=1, d=1)      # cheat sheet style: 32 -> 16
@example(n=5, k=3, s=1, before=0, after=0, d=1)       # valid padding: 5 -> 3
@example(n=5, k=3, s=1, before=1, after=1, d=1)       # same padding: 5 -> 5
def test_conv_output_size_is_the_cheat_sheet_formula(n, k, s, before, after, d):
    """conv_output_size is floor((in + before + after - d*(k-1) - 1)/s) + 1
    ("Calculate output's dimension")."""
    assert npconv.conv_output_size(n, k, s, (before, after), d) == oracles.conv_output_size(
        n, k, s, before, after, d)


def test_cheat_sheet_output_size_examples():
    """Worked examples of the cheat sheet's formula: 32 wide, k=3, s=2, p=1 gives 16; a
    5-wide input and 3-wide kernel gives 3 with valid and 5 with same padding
    ("Calculate output's dimension", "Padding")."""
    assert npconv.conv_output_size(32, 3, 2, (1, 1), 1) == 16
    assert npconv.conv_output_size(5, 3, 1, (0, 0), 1) == 3
    assert npconv.conv_output_size(5, 3, 1, (1, 1), 1) == 5
    assert npconv.conv_output_size(7, 3, 1, (0, 0), 2) == 3        # span 5: 7 - 5 + 1


@given(n=sizes, k=kernels, s=strides, before=pads, after=pads, d=dilations,
       op_draw=st.integers(0, 4))
@example(n=3, k=3, s=2, before=1, after=1, d=1, op_draw=1)     # 3 -> 6, as in the docstring
def test_conv_transpose_output_size_is_the_formula(n, k, s, before, after, d, op_draw):
    """conv_transpose_output_size is (in-1)*s - before - after + d*(k-1) + op + 1
    ("Transposed Convolution")."""
    op = op_draw % max(s, d)                     # output_padding must be < max(s, d)
    assert npconv.conv_transpose_output_size(n, k, s, (before, after), op, d) == (
        oracles.conv_transpose_output_size(n, k, s, before, after, op, d))


@given(n=sizes, k=kernels, s=strides, before=pads, after=pads, d=dilations,
       ceil_mode=st.booleans())
@example(n=5, k=2, s=2, before=0, after=0, d=1, ceil_mode=True)    # keeps a half window: 3
@example(n=4, k=2, s=2, before=1, after=1, d=1, ceil_mode=True)    # drops the last: 3
@example(n=1, k=3, s=3, before=1, after=1, d=1, ceil_mode=True)
def test_pool_output_size_is_the_formula_with_pytorchs_ceil_rule(n, k, s, before, after, d,
                                                                   ceil_mode):
    """pool_output_size rounds the conv formula down, or up with ceil_mode and then drops a
    last window starting at or past in + before ("Pooling operation")."""
    expected = oracles.pool_output_size(n, k, s, before, after, d, ceil_mode)
    assert npconv.pool_output_size(n, k, s, (before, after), d, ceil_mode) == expected


def test_pool_output_size_ceil_examples():
    """Hand-counted ceil_mode windows: 5 cells, k=2, s=2 gives windows at 0, 2, 4 (3); 4
    cells padded (1, 1) gives windows at -1, 1, 3 and drops the one at 5 (3)
    ("Pooling operation")."""
    assert npconv.pool_output_size(5, 2, 2, (0, 0), 1, False) == 2
    assert npconv.pool_output_size(5, 2, 2, (0, 0), 1, True) == 3
    assert npconv.pool_output_size(4, 2, 2, (1, 1), 1, True) == 3


@given(n=sizes, k=kernels, s=strides, d=dilations)
@example(n=5, k=3, s=1, d=1)
@example(n=5, k=4, s=1, d=1)
@example(n=7, k=3, s=2, d=1)
def test_same_padding_keeps_ceil_in_over_stride_with_the_odd_cell_after(n, k, s, d):
    """same_padding gives an output of ceil(in / stride) cells, splits the padding evenly
    with any odd cell at the end, and pads no more than needed ("Padding": same)."""
    before, after = npconv.same_padding(n, k, s, d)
    assert oracles.conv_output_size(n, k, s, before, after, d) == oracles.ceil_div(n, s)
    assert after - before in (0, 1)
    if before + after > 0:      # one cell less would lose an output cell
        assert oracles.conv_output_size(n, k, s, before, after - 1, d) < oracles.ceil_div(n, s)


@given(C_in_per_group=st.integers(1, 8), C_out_per_group=st.integers(1, 8),
       groups=st.integers(1, 4), kernel_size=st.lists(st.integers(1, 5), min_size=1,
                                                       max_size=3).map(tuple),
       bias=st.booleans())
@example(C_in_per_group=3, C_out_per_group=1, groups=1, kernel_size=(3, 3), bias=True)
def test_conv_parameter_count_counts_the_weights_and_biases(C_in_per_group, C_out_per_group,
                                                             groups, kernel_size, bias):
    """conv_parameter_count is the number of cells of a (C_out, C_in/groups, *k) weight
    plus C_out biases if any (the cheat sheet's "# params = H * W * C + 1")."""
    C_in, C_out = C_in_per_group * groups, C_out_per_group * groups
    weight = np.zeros((C_out, C_in // groups, *kernel_size))
    hand_count = weight.size + (C_out if bias else 0)
    assert npconv.conv_parameter_count(C_in, C_out, kernel_size, groups, bias) == hand_count


@pytest.mark.parametrize("k, C", [(1, 1), (3, 3), (5, 3), (3, 64)])
def test_cheat_sheet_parameter_count_is_k_k_C_plus_1(k, C):
    """One k x k x C kernel with a bias has k*k*C + 1 parameters (cheat sheet's # params)."""
    assert npconv.conv_parameter_count(C, 1, (k, k)) == k * k * C + 1


def test_pooling_has_zero_parameters():
    """A pooling layer has no parameters: the ops take no weight or bias, and the shape
    calculator reports 0 (cheat sheet: "the number of parameters in the Pooling layer is
    zero")."""
    for pool in (npconv.max_pool, npconv.avg_pool):
        names = set(inspect.signature(pool).parameters)
        assert not names & {"weight", "bias"}
    for kind in ("max", "avg"):
        assert calculator.pool_report(kind, (1, 3, 8, 8), 2).parameters == 0


@given(k=kernels, d=dilations)
@example(k=3, d=2)
def test_effective_kernel_size_is_the_span_of_the_taps(k, d):
    """effective_kernel_size is the number of cells from the first tap to the last,
    taps at 0, d, 2d, ... ("Dilated Convolution")."""
    taps = [t * d for t in range(k)]
    assert npconv.effective_kernel_size(k, d) == taps[-1] - taps[0] + 1


def brute_force_receptive_field(layers):
    """Push output cells 0 and 1 of the last layer back to the input, collecting the cells
    each touches; return the field's width and the distance between the two fields."""
    def touched(position):
        cells = {position}
        for kernel_size, stride, dilation in reversed(layers):
            cells = {cell * stride + tap * dilation for cell in cells
                     for tap in range(kernel_size)}
        return cells
    first, second = touched(0), touched(1)
    return max(first) - min(first) + 1, min(second) - min(first)


layer_stacks = st.lists(st.tuples(kernels, st.integers(1, 3), dilations), min_size=1,
                        max_size=4)


@given(layers=layer_stacks)
@example(layers=[(3, 1, 1), (3, 1, 1)])
@example(layers=[(3, 1, 2)])
@example(layers=[(7, 2, 1), (3, 2, 1)])
def test_receptive_field_matches_a_brute_force_walk_back_through_the_layers(layers):
    """receptive_field gives how many input cells one output cell of the stack sees, and
    how far apart neighbouring outputs' fields start ("Dilated Convolution")."""
    assert npconv.receptive_field(layers) == brute_force_receptive_field(layers)


@pytest.mark.parametrize("method", METHODS)
@given(layers=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)),
                       min_size=1, max_size=3))
@example(layers=[(3, 1, 1), (3, 1, 1), (3, 1, 2)])
def test_receptive_field_is_the_span_of_input_cells_with_a_nonzero_gradient(layers, method):
    """Push a delta at output cell 0 back through a stack of 1-D convs (ones kernels, no
    padding) with conv_backward: the input cells it reaches span receptive_field's field
    ("Dilated Convolution")."""
    field, _ = npconv.receptive_field(layers)
    activations = [np.ones((1, 1, field))]
    for kernel_size, stride, dilation in layers:
        activations.append(npconv.conv(activations[-1], np.ones((1, 1, kernel_size)),
                                       stride=stride, dilation=dilation, method=method))
    assert activations[-1].shape == (1, 1, 1)
    grad = np.ones((1, 1, 1))
    for (kernel_size, stride, dilation), x in zip(reversed(layers), reversed(activations[:-1])):
        grad = npconv.conv_backward(grad, x, np.ones((1, 1, kernel_size)), stride=stride,
                                    dilation=dilation, method=method).grad_input
    reached = np.flatnonzero(grad[0, 0])
    assert reached[-1] - reached[0] + 1 == field


def test_dilated_3x3_kernel_covers_a_5x5_field_with_9_weights():
    """The cheat sheet's example: a 3x3 kernel with d=2 covers a 5x5 receptive field
    with 9 weights ("Dilated Convolution").  Checked by the helpers and by which input
    cells get a nonzero gradient from the one output of a 5x5 input."""
    assert npconv.effective_kernel_size(3, 2) == 5
    assert npconv.receptive_field([(3, 1, 2)]) == (5, 1)
    assert npconv.conv_parameter_count(1, 1, (3, 3), bias=False) == 9
    x = np.ones((1, 1, 5, 5))
    w = np.ones((1, 1, 3, 3))
    for method in METHODS:
        out = npconv.conv(x, w, dilation=2, method=method)
        assert out.shape == (1, 1, 1, 1)
        grad_input = npconv.conv_backward(np.ones_like(out), x, w, dilation=2,
                                          method=method).grad_input
        touched = np.argwhere(grad_input[0, 0] != 0)
        assert len(touched) == 9
        assert touched.min(axis=0).tolist() == [0, 0]
        assert touched.max(axis=0).tolist() == [4, 4]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding, size", [("valid", 3), ("same", 5)])
def test_valid_padding_shrinks_and_same_padding_keeps_the_size(method, padding, size):
    """A 3x3 kernel on a 5x5 image gives 3x3 with valid padding and 5x5 with same padding
    ("Padding": valid vs same)."""
    x = np.arange(25.).reshape(1, 1, 5, 5)
    w = np.ones((1, 1, 3, 3))
    assert npconv.conv(x, w, padding=padding, method=method).shape == (1, 1, size, size)


@given(n=sizes, k=kernels, s=strides, before=pads, after=pads, d=dilations)
@example(n=6, k=3, s=2, before=1, after=1, d=1)
def test_output_padding_for_recovers_the_conv_input_size(n, k, s, before, after, d):
    """For a conv from n cells to m, output_padding_for(n, m, ...) is the output_padding
    with which conv_transpose maps m back to n, and lies in 0 .. max(s, d) - 1
    ("Transposed Convolution")."""
    n = max(n, oracles.span(k, d) - before - after)     # the dilated kernel must fit
    m = oracles.conv_output_size(n, k, s, before, after, d)
    op = npconv.output_padding_for(n, m, k, s, (before, after), d)
    assert 0 <= op < max(s, d)
    assert oracles.conv_transpose_output_size(m, k, s, before, after, op, d) == n


@given(m=sizes, k=kernels, s=strides, before=pads, after=pads, d=dilations,
       beyond=st.integers(0, 3), below=st.booleans())
def test_output_padding_for_rejects_unreachable_sizes(m, k, s, before, after, d, beyond,
                                                       below):
    """A target below the op=0 size or at/above it + max(s, d) raises ValueError
    ("Transposed Convolution")."""
    smallest = oracles.conv_transpose_output_size(m, k, s, before, after, 0, d)
    target = smallest - 1 - beyond if below else smallest + max(s, d) + beyond
    with pytest.raises(ValueError):
        npconv.output_padding_for(target, m, k, s, (before, after), d)


# --------------------------------------------------------------------------------------------
# The validators: where an empty pooling window can be, and what counts as an int
# --------------------------------------------------------------------------------------------

def brute_force_first_empty_window(n, k, s, before, d, out):
    """Window i reads positions i*s - before + t*d for t < k; it is empty if none is in
    0 .. n - 1."""
    for i in range(out):
        if not any(0 <= i * s - before + t * d < n for t in range(k)):
            return i
    return None


@given(n=st.integers(0, 12), k=st.integers(1, 6), s=st.integers(1, 5),
       before=st.integers(0, 12), after=st.integers(0, 4), d=st.integers(1, 8),
       out=st.integers(1, 12))
@example(n=2, k=2, s=1, before=1, after=1, d=3, out=1)      # taps -1 and 2 miss 0..1
@example(n=1, k=10, s=100, before=5, after=5, d=2, out=1)   # taps -5, -3, ..., 13 skip 0
def test_first_empty_window_is_the_brute_forces(n, k, s, before, after, d, out):
    """For any padding, not only PyTorch's, and windows past the input too."""
    from npconv.shapes import first_empty_window
    assert (first_empty_window(n, k, s, (before, after), d, out)
            == brute_force_first_empty_window(n, k, s, before, d, out))


def test_pool_geometry_reads_pytorchs_stride_and_one_entry_forms():
    """stride None, () and [] mean kernel_size; (k,) means k in every dimension."""
    from npconv.shapes import pool_geometry
    canonical = pool_geometry((8, 8), 3, None, 1)
    for stride in ((), [], np.array([], dtype=int), (3,), 3):
        assert pool_geometry((8, 8), (3,), stride, (1,)) == canonical
    assert canonical.out_size == ((8 + 2 - 3) // 3 + 1,) * 2


def test_validated_ints_are_python_ints():
    """NumPy scalars come back as Python ints, so later arithmetic cannot overflow."""
    from npconv.shapes import conv_transpose_geometry
    geometry = conv_transpose_geometry((3, 3), (3, 3), stride=np.uint8(200),
                                       padding=[np.int8(1), (np.int16(0), 2)],
                                       output_padding=np.array([1, 2]), dilation=range(1, 3))
    values = [v for field in geometry for entry in field
              for v in (entry if isinstance(entry, tuple) else (entry,))]
    assert all(type(v) is int for v in values)
    assert geometry.out_size == ((3 - 1) * 200 - 1 - 1 + 1 * (3 - 1) + 1 + 1,
                                 (3 - 1) * 200 - 0 - 2 + 2 * (3 - 1) + 2 + 1)


def test_a_huge_range_is_refused_without_being_listed():
    """range(10**18) as a stride: its length is wrong, and nothing lists its entries."""
    from npconv.shapes import int_tuple
    with pytest.raises(ValueError, match=r"^stride=range\(0, 1000000000000000000\) must be an "
                                         r"int or 2 ints"):
        int_tuple(range(10 ** 18), 2, "stride", minimum=1)


# --------------------------------------------------------------------------------------------
# Windows: the taps of one window that land on the input, found by arithmetic
# --------------------------------------------------------------------------------------------

def taps_by_listing(start, k, d, n):
    """The tap numbers and input positions of a window that are on the input, listed."""
    taps = [t for t in range(k) if 0 <= start + t * d < n]
    return taps, [start + t * d for t in taps]


@given(start=st.integers(-12, 12), k=kernels, d=dilations, n=st.integers(0, 8))
@example(start=-3, k=4, d=2, n=4)          # taps at -3, -1, 1, 3: the last two are on it
@example(start=5, k=2, d=1, n=4)           # all on the padding after the input
@example(start=-1, k=1, d=5, n=0)          # an empty axis
def test_taps_on_input_are_the_listed_taps_inside_the_input(start, k, d, n):
    """taps_on_input's two slices pick exactly the taps whose position is in 0 .. n - 1,
    and the input cells under them."""
    taps, cells = npconv.padding.taps_on_input(start, k, d, n)
    listed_taps, listed_cells = taps_by_listing(start, k, d, n)
    assert list(range(k))[taps] == listed_taps
    assert list(range(n))[cells] == listed_cells


@given(out_index=st.tuples(st.integers(0, 5), st.integers(0, 5)),
       k=st.tuples(kernels, kernels), s=st.tuples(strides, strides),
       d=st.tuples(dilations, dilations), before=st.tuples(pads, pads),
       n=st.tuples(st.integers(1, 8), st.integers(1, 8)))
def test_clipped_window_is_the_pooling_window_without_its_padding(out_index, k, s, d, before,
                                                                 n):
    """clipped_window is window_cells of the window starting at i * stride - before, and
    None exactly when some dimension has no tap on the input ("Pooling operation")."""
    padding = tuple((b, 0) for b in before)
    clipped = npconv.shapes.clipped_window(out_index, k, s, padding, d, n)
    listed = [taps_by_listing(i * ss - b, kk, dd, nn)[1]
              for i, kk, ss, dd, b, nn in zip(out_index, k, s, d, before, n)]
    if not all(listed):
        assert clipped is None
    else:
        assert [list(range(nn))[cell] for cell, nn in zip(clipped, n)] == listed



# --------------------------------------------------------------------------------------------
# conv_transpose's output_size: PyTorch's range, and the shape it gives
# --------------------------------------------------------------------------------------------

@given(n=sizes, k=kernels, s=strides, before=pads, after=pads, d=dilations)
@example(n=4, k=3, s=2, before=0, after=0, d=3)            # PyTorch: "[13] to [14]"
def test_conv_transpose_size_range_is_smallest_to_one_stride_less_one_more(n, k, s, before,
                                                                          after, d):
    """From the op=0 size to stride - 1 more, whatever the dilation ("Transposed
    Convolution"; PyTorch's ConvTranspose*d.forward(output_size) rule)."""
    smallest = oracles.conv_transpose_output_size(n, k, s, before, after, 0, d)
    assert npconv.shapes.conv_transpose_size_range(n, k, s, (before, after), d) == (
        smallest, smallest + s - 1)


@pytest.mark.parametrize("method", METHODS)
@given(n=sizes, k=kernels, s=strides, d=dilations, offset=st.integers(0, 3))
def test_conv_transpose_output_shape_is_the_output_size(method, n, k, s, d, offset):
    """Every size of the range comes out as asked, in 2-D with the same size both ways."""
    size = oracles.conv_transpose_output_size(n, k, s, 0, 0, 0, d) + offset % s
    out = npconv.conv_transpose(np.ones((1, 1, n, n)), np.ones((1, 2, k, k)), stride=s,
                                dilation=d, output_size=(size, size), method=method)
    assert out.shape == (1, 2, size, size)


# --------------------------------------------------------------------------------------------
# The public helpers refuse what has no size, naming the argument and its value
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call, message", [
    pytest.param(lambda: npconv.conv_output_size(5, 3, stride=0),
                 r"^stride=0 must be at least 1", id="a zero stride (was ZeroDivisionError)"),
    pytest.param(lambda: npconv.conv_output_size(-5, 3),
                 r"^in_size=-5 must be at least 0", id="a negative length (was -7)"),
    pytest.param(lambda: npconv.effective_kernel_size(3, 0),
                 r"^dilation=0 must be at least 1", id="dilation 0 (was a span of 1)"),
    pytest.param(lambda: npconv.effective_kernel_size(0),
                 r"^kernel_size=0 must be at least 1", id="no taps (was a span of 0)"),
    pytest.param(lambda: npconv.conv_transpose_output_size(3, 3, 2, (1, 1), -1),
                 r"^output_padding=-1 must be at least 0", id="negative output_padding"),
    pytest.param(lambda: npconv.conv_transpose_output_size(3, 3, 0),
                 r"^stride=0 must be at least 1", id="a transposed stride of 0 (was 3)"),
    pytest.param(lambda: npconv.pool_output_size(5, 2, 2, (-1, 0)),
                 r"^padding=\(-1, 0\) must not be negative", id="negative pool padding"),
    pytest.param(lambda: npconv.pool_output_size(5, 2, 0, ceil_mode=True),
                 r"^stride=0 must be at least 1", id="ceil_mode with a zero stride"),
    pytest.param(lambda: npconv.same_padding(-5, 3),
                 r"^in_size=-5 must be at least 0", id="same padding of a negative length"),
    pytest.param(lambda: npconv.same_padding(5, 0),
                 r"^kernel_size=0 must be at least 1", id="same padding of no taps"),
    pytest.param(lambda: npconv.output_padding_for(-3, 1, 1, 1, (2, 2)),
                 r"^target_size=-3 must be at least 1", id="a negative target (was 0)"),
    pytest.param(lambda: npconv.conv_parameter_count(3, 4, (3, 3), groups=2),
                 r"^groups=2 must divide in_channels=3", id="groups not dividing (was 16)"),
    pytest.param(lambda: npconv.conv_parameter_count(-3, 4, 3),
                 r"^in_channels=-3 must be at least 0", id="negative channels (was -32)"),
    pytest.param(lambda: npconv.conv_parameter_count(3, 4, 3, groups=0),
                 r"^groups=0 must be at least 1", id="no groups (was ZeroDivisionError)"),
    pytest.param(lambda: npconv.conv_parameter_count(3, 4, ()),
                 r"^kernel_size=\(\) is empty", id="a kernel of no dimension (was 16)"),
    pytest.param(lambda: npconv.conv_parameter_count(3, 4, (3, 0)),
                 r"^kernel_size=\(3, 0\): kernel_size=0 must be at least 1",
                 id="a kernel with no taps"),
    pytest.param(lambda: npconv.receptive_field([(3, 1, 1), (3, 0, 1)]),
                 r"^layers\[1\]=\(3, 0, 1\): stride=0 must be positive",
                 id="a layer of stride 0 (was a jump of 0)"),
    pytest.param(lambda: npconv.receptive_field([(3, 1, 1), (0, 1, 1)]),
                 r"^layers\[1\]=\(0, 1, 1\): kernel_size=0 must be at least 1",
                 id="a layer with no taps (was a field shrinking to 4)"),
    pytest.param(lambda: npconv.insert_zeros(np.ones((2, 2)), gaps=(2, 2), axes=(0,)),
                 r"^gaps=\(2, 2\) and axes=\(0,\) must have the same length",
                 id="more gaps than axes (was the extra gap ignored)"),
    pytest.param(lambda: npconv.insert_zeros(np.ones((3, 3)), gaps=(2, 3), axes=(0, -2)),
                 r"^axes=\(0, -2\) names axis 0 twice", id="an axis twice (was gap 3 only)"),
    pytest.param(lambda: npconv.insert_zeros(np.ones(3), gaps=(2,), axes=(1,)),
                 r"^axes=\(1,\) names axis 1, but x has 1 axes",
                 id="an axis out of range (was IndexError)"),
    pytest.param(lambda: npconv.pad(np.ones((1, 1, 3)), [(1, 1)], "reflect", value=5.0),
                 r"^value=5.0 is the fill of mode='zeros', but mode='reflect' copies",
                 id="a fill value in a copying mode (was ignored)"),
    pytest.param(lambda: npconv.pad(np.ones((1, 1, 3), dtype=np.int64), [(1, 1)], value=0.5),
                 r"^value=0.5 does not fit an array of int64",
                 id="a fill an integer array rounds (was 0)"),
    pytest.param(lambda: npconv.pad(np.ones(3), []),
                 r"^x has shape \(3,\), but pad takes \(N, C, \*spatial\)",
                 id="an array without N and C (was '-1 spatial axes')"),
])
def test_a_helper_refuses_what_has_no_size_naming_the_argument(call, message):
    """A public helper is an oracle too: where the formula would give a number with no
    meaning (or a ZeroDivisionError), it raises a ValueError that names the argument and its
    value instead ("Calculate output's dimension", "Padding", "Dilated Convolution")."""
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call, message", [
    pytest.param(lambda: npconv.conv_output_size(32, 3, 2, 1),
                 r"^padding=1 must be a \(before, after\) pair of ints \(for padding 1 on both "
                 r"sides, write \(1, 1\)\)", id="the cheat sheet's p as an int"),
    pytest.param(lambda: npconv.conv_output_size(5.5, 3),
                 r"^in_size=5.5 must be an int, not float", id="a float length (was 3.0)"),
    pytest.param(lambda: npconv.pool_output_size(5, 2, 2, ceil_mode="no"),
                 r"^ceil_mode='no' must be a bool", id="a string flag (was read as true)"),
    pytest.param(lambda: npconv.conv_parameter_count(3, 4, np.float64(3)),
                 r"^kernel_size=np.float64\(3.0\) must be an int or a sequence of ints",
                 id="a float kernel"),
    pytest.param(lambda: npconv.pad(np.ones((1, 1, 3)), [(1.5, 1)], "reflect"),
                 r"^padding=\[\(1.5, 1\)\] must be a sequence of \(before, after\) pairs of "
                 r"ints", id="a half cell of reflect padding (was read as 1)"),
    pytest.param(lambda: npconv.receptive_field([(3, 1)]),
                 r"^layers\[0\]=\(3, 1\): each layer must be a \(kernel_size, stride, "
                 r"dilation\) triple", id="a pair for a triple (was an unpacking error)"),
])
def test_a_helper_refuses_an_argument_of_the_wrong_type_naming_it(call, message):
    """Floats, flags given as strings and a bare int for a (before, after) pair are
    TypeErrors that name the argument, never a silent float result or a cryptic unpacking
    error."""
    with pytest.raises(TypeError, match=message):
        call()


@given(n=sizes, k=kernels, s=strides, crop=st.integers(0, 40), d=dilations)
@example(n=5, k=3, s=1, crop=1, d=1)                      # 4 cells left: 2 windows
def test_conv_output_size_reads_a_negative_padding_as_a_crop(n, k, s, crop, d):
    """A negative entry crops: the windows on ``n`` cells cropped by ``c`` at the start are
    those on ``n - c`` cells (none, or fewer than none, when the kernel no longer fits); the
    fast transposed convolution convolves such a cropped input."""
    crop = min(crop, n)
    assert npconv.conv_output_size(n, k, s, (-crop, 0), d) == oracles.conv_output_size(
        n - crop, k, s, 0, 0, d)


def test_the_size_helpers_take_numpy_ints_and_answer_in_exact_python_ints():
    """NumPy ints are ints, as everywhere in npconv; the answer is a Python int, exact where
    int64 arithmetic would wrap around: (2**62 - 1) * 4 + 3 needs 65 bits."""
    big, four = np.int64(2 ** 62), np.int64(4)
    answers = [
        (npconv.conv_transpose_output_size(big, np.int32(3), four), (2 ** 62 - 1) * 4 + 3),
        (npconv.conv_output_size(np.int64(32), np.int8(3), np.uint8(2), (np.int64(1), 1)), 16),
        (npconv.pool_output_size(np.int16(5), 2, 2, ceil_mode=np.bool_(True)), 3),
        (npconv.effective_kernel_size(np.int64(3), np.int64(2)), 5),
        (npconv.conv_parameter_count(np.int64(3), 1, np.array([3, 3])), 3 * 3 * 3 + 1),
        (npconv.receptive_field([(np.int64(3), np.int64(2), 1)] * 2), (7, 4)),
    ]
    for answer, expected in answers:
        assert answer == expected
        assert all(type(value) is int for value in np.atleast_1d(answer).tolist()) and (
            type(answer) in (int, tuple)), answer
    assert all(type(value) is int for value in npconv.same_padding(np.int64(5), 4))


@pytest.mark.parametrize("layers", [5, None, 3.0, "331"])
def test_receptive_field_names_layers_that_are_no_list_of_layers(layers):
    """An int, None or a float is not a stack of layers (it used to fail inside the loop,
    "'int' object is not iterable", without naming the argument); a string is no list of
    triples either."""
    with pytest.raises(TypeError, match=r"^layers="):
        npconv.receptive_field(layers)
