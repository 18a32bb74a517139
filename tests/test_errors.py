"""The public API's arguments: bad input raises the promised error, naming what was wrong.

Each error test starts from a valid call of every op it concerns (forward and backward) and
breaks one argument.  The messages are matched on the parameter's name and the value
received.  The arguments are checked before ``method`` picks a variant, so an error test
runs with the default method only; one test shows, for both methods, that the checks stop a
bad call before either variant runs.  Then: no argument is ever modified and read-only
arrays are accepted (with both methods: the variants run); arrays that are not arrays of
real numbers; ints of any integer type and 1-D sequence, within int64;
padding modes on an empty axis; PyTorch's argument forms; the memory bound on results;
argument checks that cost a few operations per dimension; and the signatures and docstrings
that help() shows.
"""

import importlib.resources
import inspect
import math
import re
import typing

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import ArrayLike

import npconv
from npconv.shapes import MAX_ARRAY_BYTES
from npconv.testing.strategies import conv_configs, conv_transpose_configs, op_args, pool_configs
from tests import oracles
from tests.guards import finishes_quickly

METHODS = ("loops", "im2col")


# --------------------------------------------------------------------------------------------
# One valid call per op; a test overrides the arguments it breaks
# --------------------------------------------------------------------------------------------
# conv: input (1, 2, 5, 5), weight (4, 2, 3, 3) -> output (1, 4, 3, 3).
# conv_transpose: input (1, 2, 3, 3), weight (2, 3, 2, 2) -> output (1, 3, 4, 4).
# pooling: input (1, 2, 5, 5), kernel 2 -> output (1, 2, 2, 2).

def call_conv(**changes):
    return npconv.conv(**{"input": np.ones((1, 2, 5, 5)), "weight": np.ones((4, 2, 3, 3)),
                          **changes})


def call_conv_backward(**changes):
    return npconv.conv_backward(**{"grad_output": np.ones((1, 4, 3, 3)),
                                   "input": np.ones((1, 2, 5, 5)),
                                   "weight": np.ones((4, 2, 3, 3)), **changes})


def call_conv_transpose(**changes):
    return npconv.conv_transpose(**{"input": np.ones((1, 2, 3, 3)),
                                    "weight": np.ones((2, 3, 2, 2)), **changes})


def call_conv_transpose_backward(**changes):
    return npconv.conv_transpose_backward(**{"grad_output": np.ones((1, 3, 4, 4)),
                                             "input": np.ones((1, 2, 3, 3)),
                                             "weight": np.ones((2, 3, 2, 2)), **changes})


def call_max_pool(**changes):
    return npconv.max_pool(**{"input": np.ones((1, 2, 5, 5)), "kernel_size": 2, **changes})


def call_max_pool_backward(**changes):
    return npconv.max_pool_backward(**{"grad_output": np.ones((1, 2, 2, 2)),
                                       "input": np.ones((1, 2, 5, 5)), "kernel_size": 2,
                                       **changes})


def call_avg_pool(**changes):
    return npconv.avg_pool(**{"input": np.ones((1, 2, 5, 5)), "kernel_size": 2, **changes})


def call_avg_pool_backward(**changes):
    return npconv.avg_pool_backward(**{"grad_output": np.ones((1, 2, 2, 2)),
                                       "input": np.ones((1, 2, 5, 5)), "kernel_size": 2,
                                       **changes})


CONVS = [call_conv, call_conv_backward]
CONV_TRANSPOSES = [call_conv_transpose, call_conv_transpose_backward]
MAX_POOLS = [call_max_pool, call_max_pool_backward]
AVG_POOLS = [call_avg_pool, call_avg_pool_backward]
POOLS = MAX_POOLS + AVG_POOLS
ALL_OPS = CONVS + CONV_TRANSPOSES + POOLS
BACKWARDS = [call_conv_backward, call_conv_transpose_backward, call_max_pool_backward,
             call_avg_pool_backward]
DILATED = CONVS + CONV_TRANSPOSES + MAX_POOLS


def op_name(call):
    return call.__name__.removeprefix("call_")


def each(calls):
    """Parametrize over the calls (with the default method: the checks run before it)."""
    return pytest.mark.parametrize("call", calls, ids=op_name)


# --------------------------------------------------------------------------------------------
# The baselines are valid
# --------------------------------------------------------------------------------------------

# The shapes in the comment above, by hand; a backward returns its input's shape.
BASELINE_SHAPES = {call_conv: (1, 4, 3, 3), call_conv_backward: (1, 2, 5, 5),
                   call_conv_transpose: (1, 3, 4, 4), call_conv_transpose_backward: (1, 2, 3, 3),
                   call_max_pool: (1, 2, 2, 2), call_max_pool_backward: (1, 2, 5, 5),
                   call_avg_pool: (1, 2, 2, 2), call_avg_pool_backward: (1, 2, 5, 5)}


@pytest.mark.parametrize("method", METHODS)
@each(ALL_OPS)
def test_the_baseline_calls_are_valid(call, method):
    """Every error test breaks one argument of a call that works on its own."""
    result = call(method=method)
    first = result[0] if isinstance(result, tuple) else result
    assert first.shape == BASELINE_SHAPES[call]


class Dispatched(Exception):
    """Raised by a variant's op replaced with a tripwire."""


# One broken argument per kind of check: the array's shape, its dtype, a geometry rule, a
# type, an argument that is not an array at all.
BROKEN = {"an input without a spatial axis": ({"input": np.ones((1, 2))}, ValueError),
          "a complex input": ({"input": np.ones((1, 2, 5, 5), dtype=complex)}, TypeError),
          "stride 0": ({"stride": 0}, ValueError),
          "a float padding": ({"padding": 0.5}, TypeError),
          "None as input": ({"input": None}, TypeError)}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("broken", BROKEN)
@each(ALL_OPS)
def test_arguments_are_checked_before_either_variant_runs(call, broken, method, monkeypatch):
    """With the op replaced by a tripwire in the variant that ``method`` names, the valid
    baseline call trips it, and a broken argument raises its error without reaching it: so
    the error tests, which run with the default method, hold for both."""
    name = op_name(call)

    def tripwire(*args, **kwargs):
        raise Dispatched(f"npconv.{method}.{name} ran")

    monkeypatch.setattr(getattr(npconv, method), name, tripwire)
    with pytest.raises(Dispatched):
        call(method=method)
    changes, error = BROKEN[broken]
    with pytest.raises(error):
        call(**changes, method=method)


# --------------------------------------------------------------------------------------------
# Shapes of the arrays
# --------------------------------------------------------------------------------------------

@each(ALL_OPS)
def test_input_without_a_spatial_dimension_is_rejected(call):
    """An input of shape (N, C) names the input and the (N, C, *spatial) it needs."""
    with pytest.raises(ValueError, match=r"input must have shape \(N, C, \*spatial\).*\(1, 2\)"):
        call(input=np.ones((1, 2)))


@each(CONVS + CONV_TRANSPOSES)
def test_weight_of_the_wrong_rank_is_rejected(call):
    """A 3-d weight for a 4-d input names the weight and both shapes."""
    with pytest.raises(ValueError, match=r"weight must have 4 dimensions.*\(2, 2, 3\)"):
        call(weight=np.ones((2, 2, 3)))


@pytest.mark.parametrize("alias, shape", [(npconv.conv2d, (1, 2, 5, 5, 5)),
                                          (npconv.conv1d, (5,)),
                                          (npconv.conv3d, (1, 2, 5, 5, 5, 5))])
def test_rank_checked_alias_rejects_other_ranks(alias, shape):
    """conv1d/2d/3d name themselves and the input shape they got."""
    weight = np.ones((1, 2, 1, 1))
    with pytest.raises(ValueError, match=rf"{alias.__name__} expects input of shape .*got "
                                         rf"shape {re.escape(str(shape))}"):
        alias(np.ones(shape), weight)


@each(CONVS)
def test_conv_input_channels_must_match_the_weight(call):
    """Input with 3 channels for a weight made for 2 names C_in and what was expected."""
    with pytest.raises(ValueError, match=r"C_in=3 .*expects C_in = weight.shape\[1\] \* groups"):
        call(input=np.ones((1, 3, 5, 5)))


@each(CONV_TRANSPOSES)
def test_conv_transpose_input_channels_must_match_the_weight(call):
    """conv_transpose weights are (C_in, C_out // groups, ...): weight.shape[0] must be C_in."""
    with pytest.raises(ValueError, match=r"C_in=3 .*weight.shape\[0\] = 2"):
        call(input=np.ones((1, 3, 3, 3)))


@each([call_conv])
def test_conv_bias_of_the_wrong_shape_is_rejected(call):
    """A bias of 3 values for 4 output channels names the bias and (C_out,)."""
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(4,\), got \(3,\)"):
        call(bias=np.ones(3))
    with pytest.raises(ValueError, match=r"bias must have shape"):
        call(bias=np.ones((4, 1)))


@each([call_conv_transpose])
def test_conv_transpose_bias_of_the_wrong_shape_is_rejected(call):
    """conv_transpose's bias has one value per output channel: C_out // groups * groups."""
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(3,\), got \(2,\)"):
        call(bias=np.ones(2))


# --------------------------------------------------------------------------------------------
# groups
# --------------------------------------------------------------------------------------------

@each(CONVS)
def test_groups_must_divide_the_input_channels(call):
    """groups=3 with C_in=3 but C_out=4: names groups and the channel count it misses."""
    with pytest.raises(ValueError, match=r"groups=3 must divide the output channels C_out=4"):
        call(input=np.ones((1, 3, 5, 5)), weight=np.ones((4, 1, 3, 3)), groups=3)
    with pytest.raises(ValueError, match=r"groups=4 must divide the input channels C_in=2"):
        call(groups=4)


@each(CONV_TRANSPOSES)
def test_conv_transpose_groups_must_divide_the_input_channels(call):
    """groups=4 with C_in=2 names groups and C_in."""
    with pytest.raises(ValueError, match=r"groups=4 must divide the input channels C_in=2"):
        call(groups=4)


@each(CONVS + CONV_TRANSPOSES)
def test_groups_below_one_is_rejected(call):
    """groups=0 names groups."""
    with pytest.raises(ValueError, match=r"groups=0 must be >= 1"):
        call(groups=0)


# --------------------------------------------------------------------------------------------
# stride, dilation, kernel_size, padding
# --------------------------------------------------------------------------------------------

@each(ALL_OPS)
@pytest.mark.parametrize("stride", [0, -1, (1, 0)])
def test_stride_below_one_is_rejected(call, stride):
    """A stride of 0 or less in any dimension names stride."""
    with pytest.raises(ValueError, match=rf"stride={re.escape(repr(stride))} must be >= 1"):
        call(stride=stride)


@each(DILATED)
@pytest.mark.parametrize("dilation", [0, (0, 1)])
def test_dilation_below_one_is_rejected(call, dilation):
    """A dilation of 0 names dilation."""
    with pytest.raises(ValueError, match=rf"dilation={re.escape(repr(dilation))} must be >= 1"):
        call(dilation=dilation)


@each(POOLS)
@pytest.mark.parametrize("kernel_size", [0, (2, 0)])
def test_pool_kernel_size_below_one_is_rejected(call, kernel_size):
    """A pooling kernel_size of 0 names kernel_size."""
    with pytest.raises(ValueError, match=rf"kernel_size={re.escape(repr(kernel_size))} must be"):
        call(kernel_size=kernel_size)


@each(CONVS)
def test_empty_conv_kernel_is_rejected(call):
    """A weight with a zero-length kernel dimension names kernel_size (weight.shape[2:])."""
    with pytest.raises(ValueError, match=r"kernel_size=\(0, 3\) \(weight.shape\[2:\]\)"):
        call(weight=np.ones((4, 2, 0, 3)))


@each(ALL_OPS)
@pytest.mark.parametrize("padding", [-1, (0, -1), ((0, 0), (-1, 0))])
def test_negative_padding_is_rejected(call, padding):
    """Negative padding, as an int, per dimension or in a pair, names padding."""
    with pytest.raises(ValueError, match=rf"padding={re.escape(repr(padding))} must not be neg"):
        call(padding=padding)


@each(ALL_OPS)
def test_stride_with_the_wrong_number_of_entries_is_rejected(call):
    """Three strides for two spatial dimensions names stride and the count it needs."""
    with pytest.raises(ValueError, match=r"stride=\(1, 1, 1\) must be an int or 2 ints"):
        call(stride=(1, 1, 1))


@each(DILATED)
def test_dilation_with_the_wrong_number_of_entries_is_rejected(call):
    """Three dilations for two spatial dimensions names dilation."""
    with pytest.raises(ValueError, match=r"dilation=\(2, 2, 2\) must be an int or 2 ints"):
        call(dilation=(2, 2, 2))


@each(POOLS)
def test_kernel_size_with_the_wrong_number_of_entries_is_rejected(call):
    """A 3-d pooling kernel for a 2-d input names kernel_size."""
    with pytest.raises(ValueError, match=r"kernel_size=\(2, 2, 2\) must be an int or 2 ints"):
        call(kernel_size=(2, 2, 2))


@each(ALL_OPS)
def test_padding_with_the_wrong_number_of_entries_is_rejected(call):
    """Three paddings for two spatial dimensions names padding."""
    with pytest.raises(ValueError, match=r"padding=\(1, 1, 1\) must be an int or have 2 entr"):
        call(padding=(1, 1, 1))


@each(ALL_OPS)
def test_padding_entry_that_is_not_a_pair_is_a_type_error(call):
    """A (1, 2, 3) where a (before, after) pair belongs names padding and the entry."""
    with pytest.raises(TypeError, match=r"padding=.*each entry must be an int or a \(before, "
                                        r"after\) pair of ints, got \(1, 2, 3\)"):
        call(padding=((1, 2, 3), (0, 0)))


@each(CONVS)
def test_unknown_padding_string_is_rejected(call):
    """padding='full' names padding and the strings that are known."""
    with pytest.raises(ValueError, match=r"padding='full' is not a known padding string"):
        call(padding="full")


@each(CONV_TRANSPOSES + POOLS)
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_padding_strings_are_only_for_conv(call, padding):
    """conv_transpose and pooling take no padding strings; the message names the op."""
    with pytest.raises(ValueError, match=rf"padding='{padding}': \w+ takes no padding strings"):
        call(padding=padding)


@each(POOLS)
@pytest.mark.parametrize("kernel_size, padding", [(3, 2), (2, 2), ((3, 3), ((0, 2), (1, 1)))])
def test_pool_padding_wider_than_half_the_kernel_is_rejected(call, kernel_size,
                                                             padding):
    """PyTorch's rule: padding <= kernel_size // 2, else the message names padding."""
    with pytest.raises(ValueError, match=r"padding=\(\d, \d\) in spatial dimension 0 must be "
                                         r"at most half the kernel size"):
        call(kernel_size=kernel_size, padding=padding, stride=1)


@pytest.mark.parametrize("method", METHODS)
def test_pool_padding_rule_uses_the_undilated_kernel(method):
    """Padding up to kernel_size // 2 is allowed, however large the dilation (as PyTorch)."""
    out = npconv.max_pool(np.ones((1, 1, 9)), 3, stride=1, padding=1, dilation=3,
                          method=method)
    assert out.shape == (1, 1, 9 + 2 - 7 + 1)
    out = npconv.avg_pool(np.ones((1, 1, 4)), 2, stride=1, padding=1, method=method)
    assert out.shape == (1, 1, 4 + 2 - 2 + 1)


@each(MAX_POOLS)
def test_pool_window_without_an_input_cell_is_rejected(call):
    """in=2, kernel 2, dilation 3, padding 1: the window's taps -1 and 2 both miss the input."""
    with pytest.raises(ValueError, match=r"window 0 along spatial dimension 0 holds no input "
                                         r"cell: its taps fall on positions \[-1, 2\]"):
        extra = {"grad_output": np.ones((1, 1, 1))} if call is call_max_pool_backward else {}
        call(input=np.ones((1, 1, 2)), kernel_size=2, dilation=3, padding=1, stride=1,
             **extra)


# --------------------------------------------------------------------------------------------
# Output size below 1: the dimension and the formula with the numbers
# --------------------------------------------------------------------------------------------

@each(CONVS)
def test_conv_output_below_one_names_dimension_and_formula(call):
    """Width 2 with a 3-wide kernel: dimension 1 would be 0, shown with its numbers."""
    expected = ("output size along spatial dimension 1 would be 0, but must be at least 1: "
                "floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = "
                "floor((2 + 0 + 0 - 1*(3-1) - 1) / 1) + 1 = 0")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(input=np.ones((1, 2, 5, 2)))


@each(CONV_TRANSPOSES)
def test_conv_transpose_output_below_one_names_dimension_and_formula(call):
    """Input 1, kernel 1, padding 1: (1 - 1)*1 - 1 - 1 + 1*(1-1) + 0 + 1 = -1."""
    expected = ("output size along spatial dimension 0 would be -1, but must be at least 1: "
                "(in - 1)*stride - before - after + dilation*(kernel_size-1) + output_padding"
                " + 1 = (1 - 1)*1 - 1 - 1 + 1*(1-1) + 0 + 1 = -1")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(input=np.ones((1, 2, 1, 1)), weight=np.ones((2, 3, 1, 1)), padding=1)


@each(POOLS)
def test_pool_output_below_one_names_dimension_and_formula(call):
    """Height 1 under a 3-tall kernel (stride 3): floor((1 + 0 + 0 - 1*(3-1) - 1) / 3) + 1."""
    expected = ("output size along spatial dimension 0 would be 0, but must be at least 1: "
                "floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = "
                "floor((1 + 0 + 0 - 1*(3-1) - 1) / 3) + 1 -> 0")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(input=np.ones((1, 2, 1, 5)), kernel_size=3)


# --------------------------------------------------------------------------------------------
# output_padding, padding modes
# --------------------------------------------------------------------------------------------

@each(CONV_TRANSPOSES)
@pytest.mark.parametrize("output_padding, stride, dilation", [(2, 2, 1), (1, 1, 1),
                                                              ((0, 2), 1, 2)])
def test_output_padding_must_be_below_stride_or_dilation(call, output_padding, stride,
                                                         dilation):
    """output_padding >= max(stride, dilation) names output_padding, stride and dilation."""
    with pytest.raises(ValueError, match=r"output_padding=\d in spatial dimension \d must be "
                                         r"smaller than stride \(\d\) or dilation \(\d\)"):
        call(output_padding=output_padding, stride=stride, dilation=dilation)


@each(CONV_TRANSPOSES)
@pytest.mark.parametrize("output_padding", [-1, (0, -1)])
def test_negative_output_padding_is_rejected(call, output_padding):
    """A negative output_padding names output_padding."""
    with pytest.raises(ValueError, match=rf"output_padding={re.escape(repr(output_padding))} "
                                         r"must be >= 0"):
        call(output_padding=output_padding, stride=2)


@pytest.mark.parametrize("method", METHODS)
def test_output_padding_below_dilation_is_allowed(method):
    """output_padding 1 with stride 1 is fine when dilation is 2 (PyTorch's rule)."""
    out = npconv.conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 2)), output_padding=1,
                                dilation=2, method=method)
    assert out.shape == (1, 1, (3 - 1) * 1 + 2 * (2 - 1) + 1 + 1)


@each(CONVS)
@pytest.mark.parametrize("padding", [5, 6, ((0, 5), (0, 0)), ((0, 0), (5, 0))])
def test_reflect_padding_must_be_narrower_than_the_input(call, padding):
    """PyTorch's rule for reflect is padding < size; the message names the mode and sizes."""
    with pytest.raises(ValueError, match=r"padding_mode='reflect' needs padding < input size.*"
                                         r"has size 5"):
        call(padding=padding, padding_mode="reflect")


@each(CONVS)
def test_reflect_same_padding_must_be_narrower_than_the_input(call):
    """'same' with a 5x5 kernel pads a 2x2 input by (2, 2): too wide to reflect."""
    with pytest.raises(ValueError, match=r"padding_mode='reflect' needs padding < input size, "
                                         r"but spatial dimension 0 has size 2 and padding "
                                         r"\(2, 2\)"):
        extra = {"grad_output": np.ones((1, 4, 2, 2))} if call is call_conv_backward else {}
        call(input=np.ones((1, 2, 2, 2)), weight=np.ones((4, 2, 5, 5)), padding="same",
             padding_mode="reflect", **extra)


@each(CONVS)
@pytest.mark.parametrize("padding", [6, ((0, 6), (0, 0))])
def test_circular_padding_must_not_exceed_the_input(call, padding):
    """Circular padding may be at most the input size; one more names the mode and sizes."""
    with pytest.raises(ValueError, match=r"padding_mode='circular' needs padding <= input size"
                                         r".*has size 5"):
        call(padding=padding, padding_mode="circular")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding_mode, padding", [("reflect", 4), ("circular", 5)])
def test_padding_modes_accept_their_widest_padding(method, padding_mode, padding):
    """Reflect up to size - 1 and circular up to size are valid (the limits above are tight)."""
    out = npconv.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding=padding,
                      padding_mode=padding_mode, method=method)
    assert out.shape == (1, 1, 5 + 2 * padding - 3 + 1)


@each(CONVS)
def test_unknown_padding_mode_is_rejected(call):
    """padding_mode='mirror' names padding_mode."""
    with pytest.raises(ValueError, match=r"padding_mode='mirror' is not one of"):
        call(padding_mode="mirror")


@each(ALL_OPS)
def test_unknown_method_is_rejected(call):
    """method='fast' names method and the two that exist."""
    with pytest.raises(ValueError, match=r"method='fast' is not one of \('loops', 'im2col'\)"):
        call(method="fast")


# --------------------------------------------------------------------------------------------
# grad_output, divisor_override
# --------------------------------------------------------------------------------------------

@each(BACKWARDS)
@pytest.mark.parametrize("change", ["batch", "channels", "spatial", "rank"])
def test_grad_output_must_have_the_forward_output_shape(call, change):
    """A grad_output one too big anywhere, or of another rank, names grad_output and shapes."""
    forward = {call_conv_backward: call_conv, call_conv_transpose_backward: call_conv_transpose,
               call_max_pool_backward: call_max_pool, call_avg_pool_backward: call_avg_pool}
    good_shape = BASELINE_SHAPES[forward[call]]
    bad_shape = list(good_shape)
    if change == "batch":
        bad_shape[0] += 1
    elif change == "channels":
        bad_shape[1] += 1
    elif change == "spatial":
        bad_shape[-1] += 1
    else:
        bad_shape = bad_shape[:-1]
    expected = (f"grad_output has shape {tuple(bad_shape)}, but the forward's output shape is "
                f"{good_shape}")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(grad_output=np.ones(bad_shape))


@each(AVG_POOLS)
def test_divisor_override_zero_is_rejected(call):
    """divisor_override=0 names divisor_override."""
    with pytest.raises(ValueError, match=r"divisor_override=0 must not be zero"):
        call(divisor_override=0)


# --------------------------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------------------------

@each(ALL_OPS)
@pytest.mark.parametrize("stride", [1.5, 2.0, (1, 2.0), "2", [1, None]])
def test_non_integer_stride_is_a_type_error(call, stride):
    """A float, string or None stride entry is a TypeError naming stride."""
    with pytest.raises(TypeError, match=r"stride=.* must be an int"):
        call(stride=stride)


@each(DILATED)
def test_non_integer_dilation_is_a_type_error(call):
    """dilation=1.5 is a TypeError naming dilation."""
    with pytest.raises(TypeError, match=r"dilation=1.5 must be an int"):
        call(dilation=1.5)


@each(POOLS)
def test_non_integer_kernel_size_is_a_type_error(call):
    """kernel_size=2.0 is a TypeError naming kernel_size."""
    with pytest.raises(TypeError, match=r"kernel_size=2.0 must be an int"):
        call(kernel_size=2.0)


@each(ALL_OPS)
def test_non_integer_padding_is_a_type_error(call):
    """padding=0.5 is a TypeError naming padding."""
    with pytest.raises(TypeError, match=r"padding=0.5 must be an int"):
        call(padding=0.5)


@each(CONVS + CONV_TRANSPOSES)
def test_non_integer_groups_is_a_type_error(call):
    """groups=1.0 is a TypeError naming groups."""
    with pytest.raises(TypeError, match=r"groups=1.0 must be an int"):
        call(groups=1.0)


@each(AVG_POOLS)
def test_non_integer_divisor_override_is_a_type_error(call):
    """divisor_override=2.5 is a TypeError naming divisor_override."""
    with pytest.raises(TypeError, match=r"divisor_override=2.5 must be an int or None"):
        call(divisor_override=2.5)


@each(ALL_OPS)
def test_complex_input_is_a_type_error(call):
    """A complex input is a TypeError naming input and its dtype."""
    with pytest.raises(TypeError, match=r"input must be a real numeric array, got dtype "
                                        r"complex128"):
        call(input=np.ones((1, 2, 5, 5), dtype=complex))


@each(CONVS + CONV_TRANSPOSES)
def test_complex_weight_is_a_type_error(call):
    """A complex weight is a TypeError naming weight."""
    shape = (4, 2, 3, 3) if call in CONVS else (2, 3, 2, 2)
    with pytest.raises(TypeError, match=r"weight must be a real numeric array"):
        call(weight=np.ones(shape, dtype=np.complex64))


@each(BACKWARDS)
def test_complex_grad_output_is_a_type_error(call):
    """A complex grad_output is a TypeError naming grad_output."""
    with pytest.raises(TypeError, match=r"grad_output must be a real numeric array"):
        call(grad_output=np.ones((1, 2, 2, 2), dtype=complex))


@each([call_conv, call_conv_transpose])
def test_complex_bias_is_a_type_error(call):
    """A complex bias is a TypeError naming bias."""
    C_out = 4 if call is call_conv else 3
    with pytest.raises(TypeError, match=r"bias must be a real numeric array"):
        call(bias=np.ones(C_out, dtype=complex))


# --------------------------------------------------------------------------------------------
# No argument is modified; read-only arrays work
# --------------------------------------------------------------------------------------------

FAMILIES = {
    "conv": (npconv.conv, npconv.conv_backward, conv_configs()),
    "conv_transpose": (npconv.conv_transpose, npconv.conv_transpose_backward,
                       conv_transpose_configs()),
    "max_pool": (npconv.max_pool, npconv.max_pool_backward, pool_configs("max")),
    "avg_pool": (npconv.avg_pool, npconv.avg_pool_backward, pool_configs("avg")),
}
"""Each forward, its backward, and the configurations to call them with."""


def forward_and_backward(family, args, method, grad_output=None):
    """The forward's result (max pooling's with its indices) and the backward's, for the
    forward's keyword arguments ``args``; the backward gets ``grad_output``, or a random one
    of the output's shape."""
    forward, backward, _ = FAMILIES[family]
    extra = {"return_indices": True} if family == "max_pool" else {}
    result = forward(**args, **extra, method=method)
    out = result[0] if isinstance(result, tuple) else result
    if grad_output is None:
        grad_output = np.random.default_rng(0).standard_normal(out.shape)
    backward_args = {name: value for name, value in args.items() if name != "bias"}
    return result, backward(grad_output, **backward_args, method=method), grad_output


def read_only(value):
    """A read-only copy of an array (anything else as it is)."""
    if not isinstance(value, np.ndarray):
        return value
    frozen = value.copy()
    frozen.setflags(write=False)
    return frozen


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_no_op_modifies_an_argument(family, method, data):
    """Each forward and its backward leave every argument (input, weight, bias, grad_output)
    as it was: its bytes, dtype, shape, strides and flags."""
    args = op_args(data.draw(FAMILIES[family][2]))
    before = {name: oracles.snapshot(value) for name, value in args.items()}
    grad_output = forward_and_backward(family, args, method)[2]
    grad_output_before = oracles.snapshot(grad_output)
    forward_and_backward(family, args, method, grad_output)
    for name, value in args.items():
        assert oracles.snapshot(value) == before[name], name
    assert oracles.snapshot(grad_output) == grad_output_before


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_read_only_arrays_give_the_results_of_writable_ones(family, method, data):
    """Read-only arrays (input, weight, bias, grad_output) give each forward (max pooling's
    indices included) and its backward the same results as writable ones."""
    args = op_args(data.draw(FAMILIES[family][2]))
    result, grads, grad_output = forward_and_backward(family, args, method)
    frozen = {name: read_only(value) for name, value in args.items()}
    frozen_result, frozen_grads, _ = forward_and_backward(family, frozen, method,
                                                          read_only(grad_output))
    for got, expected in ((frozen_result, result), (frozen_grads, grads)):
        oracles.assert_close(got, expected, rtol=0)


@pytest.mark.parametrize("call, name", [
    (lambda x: npconv.max_pool(x, 2, ceil_mode="no"), "ceil_mode"),
    (lambda x: npconv.max_pool(x, 2, return_indices=1), "return_indices"),
    (lambda x: npconv.avg_pool(x, 2, count_include_pad="False"), "count_include_pad"),
    (lambda x: npconv.avg_pool_backward(np.ones((1, 1, 2)), x, 2, ceil_mode=None), "ceil_mode"),
])
def test_flags_must_be_bools(call, name):
    """A flag given as a string or number (where "no" would read as True) is refused."""
    with pytest.raises(TypeError, match=rf"{name}=.* must be True or False"):
        call(np.zeros((1, 1, 4)))



# --------------------------------------------------------------------------------------------
# Arrays that are not arrays of real numbers
# --------------------------------------------------------------------------------------------
# Each array argument of each op, replaced by something that is not a real array.  The
# expected message names the parameter and shows the value (or its dtype).

ARRAY_ARGUMENTS = {call_conv: ("input", "weight", "bias"),
                   call_conv_backward: ("grad_output", "input", "weight"),
                   call_conv_transpose: ("input", "weight", "bias"),
                   call_conv_transpose_backward: ("grad_output", "input", "weight"),
                   call_max_pool: ("input",), call_max_pool_backward: ("grad_output", "input"),
                   call_avg_pool: ("input",), call_avg_pool_backward: ("grad_output", "input")}
EACH_ARRAY = [(call, name) for call, names in ARRAY_ARGUMENTS.items() for name in names]
EACH_ARRAY_IDS = [f"{op_name(call)}-{name}" for call, name in EACH_ARRAY]


def each_array(test):
    return pytest.mark.parametrize("call, name", EACH_ARRAY, ids=EACH_ARRAY_IDS)(test)


@each_array
def test_none_is_not_an_array(call, name):
    """None (allowed only for bias) is a TypeError naming the parameter, not AttributeError."""
    if name == "bias":
        assert call(bias=None) is not None
        return
    with pytest.raises(TypeError, match=rf"^{name}=None: expected an array of real numbers"):
        call(**{name: None})


@each_array
def test_a_ragged_nested_list_is_named(call, name):
    """A nested list of unequal lengths names the parameter and shows the list, instead of
    NumPy's text about an inhomogeneous shape."""
    ragged = [[[1.0, 2.0], [1.0]]]
    with pytest.raises(ValueError, match=rf"^{name}=\[\[\[1.0, 2.0\], \[1.0\]\]\] is ragged: "
                                         r"its nested sequences differ in length"):
        call(**{name: ragged})


def baseline_array(call, name):
    """The baseline call's array for ``name`` (the bias, which has none, gets C_out ones)."""
    if name == "bias":
        return np.ones(4 if call is call_conv else 3)
    shapes = {"input": {call_conv_transpose: (1, 2, 3, 3),
                        call_conv_transpose_backward: (1, 2, 3, 3)}.get(call, (1, 2, 5, 5)),
              "weight": (4, 2, 3, 3) if call in CONVS else (2, 3, 2, 2),
              "grad_output": {call_conv_backward: (1, 4, 3, 3),
                              call_conv_transpose_backward: (1, 3, 4, 4)}.get(call, (1, 2, 2, 2))}
    return np.ones(shapes[name])


@each_array
def test_a_masked_array_is_refused(call, name):
    """A masked array's mask would be silently dropped: refused, naming the parameter."""
    plain = baseline_array(call, name)
    mask = np.zeros(plain.shape, dtype=bool)
    mask.flat[0] = True
    masked = np.ma.masked_array(plain, mask=mask)
    with pytest.raises(TypeError, match=rf"^{name} is a masked array, whose mask npconv would "
                                        rf"ignore; pass {name}.filled"):
        call(**{name: masked})
    np.testing.assert_array_equal(masked.mask, mask)               # left as it was


@each_array
@pytest.mark.parametrize("dtype", [object, complex, "U1", "datetime64[s]"])
def test_arrays_of_other_than_real_numbers_are_refused(call, name, dtype):
    """Object, complex, string and date arrays name the parameter and the dtype."""
    plain = baseline_array(call, name)
    value = np.zeros(plain.shape, dtype=dtype)
    with pytest.raises(TypeError, match=rf"^{name} must be a real numeric array, got dtype "
                                        rf"{re.escape(str(value.dtype))} \(shape "
                                        rf"{re.escape(str(plain.shape))}\)"):
        call(**{name: value})


@pytest.mark.parametrize("method", METHODS)
def test_integer_and_bool_arrays_compute_in_float64(method):
    """Integer and boolean arrays, and nested lists of them, give float64 results equal to
    those of the float64 arrays they hold."""
    x = np.arange(10).reshape(1, 1, 10) % 3
    expected = npconv.conv(x.astype(float), np.ones((1, 1, 3)), method=method)
    for as_given in (x, x.astype(np.uint8), x.tolist(), x.astype(bool)):
        got = npconv.conv(as_given, np.ones((1, 1, 3), dtype=np.int16), method=method)
        assert got.dtype == np.float64
        reference = expected if np.asarray(as_given).dtype != bool else npconv.conv(
            x.astype(bool).astype(float), np.ones((1, 1, 3)), method=method)
        np.testing.assert_array_equal(got, reference)


# --------------------------------------------------------------------------------------------
# Ints: any integer type, any 1-D sequence of them, and at most 64 bits
# --------------------------------------------------------------------------------------------

INT64_MAX = 2 ** 63 - 1        # PyTorch reads int arguments as int64


INT_ARGUMENTS = [(call, name) for name, calls in [
    ("stride", ALL_OPS), ("padding", ALL_OPS), ("dilation", DILATED), ("kernel_size", POOLS),
    ("output_padding", CONV_TRANSPOSES), ("groups", CONVS + CONV_TRANSPOSES)] for call in calls]


@pytest.mark.parametrize("call, name", INT_ARGUMENTS,
                         ids=[f"{op_name(call)}-{name}" for call, name in INT_ARGUMENTS])
@pytest.mark.parametrize("value", [2 ** 63, 10 ** 400])
def test_ints_beyond_64_bits_are_refused(call, name, value):
    """A hyperparameter beyond int64 is a ValueError naming it, not an OverflowError."""
    shown = "9223372036854775808" if value == 2 ** 63 else r"1000\.\.\.000 \(401 digits\)"
    with pytest.raises(ValueError, match=rf"^{name}={shown} is too large: npconv, like "
                                         r"PyTorch, takes ints that fit in 64 bits"):
        call(**{name: value})


@each(AVG_POOLS)
@pytest.mark.parametrize("value, shown", [(10 ** 400, r"1000\.\.\.000 \(401 digits\)"),
                                          (2 ** 63, "9223372036854775808"),
                                          (-2 ** 63 - 1, "-9223372036854775809")])
def test_divisor_override_beyond_64_bits_is_refused(call, value, shown):
    """divisor_override=10**400 was an OverflowError; now a ValueError naming it."""
    with pytest.raises(ValueError, match=rf"^divisor_override={shown} is too large"):
        call(divisor_override=value)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("divisor", [INT64_MAX, -INT64_MAX - 1, -3])
def test_divisor_override_takes_every_int64(method, divisor):
    """Window sums over the divisor, however large or negative (PyTorch allows negatives)."""
    x = np.arange(1., 7.).reshape(1, 1, 6)
    window_sums = np.array([[[1. + 2., 3. + 4., 5. + 6.]]])
    np.testing.assert_allclose(npconv.avg_pool(x, 2, divisor_override=divisor, method=method),
                               window_sums / divisor, rtol=1e-15)
    np.testing.assert_allclose(
        npconv.avg_pool_backward(np.ones((1, 1, 3)), x, 2, divisor_override=divisor,
                                 method=method),
        np.full((1, 1, 6), 1 / divisor), rtol=1e-15)


@pytest.mark.parametrize("method", METHODS)
def test_the_largest_int64_stride_gives_one_window(method):
    """stride 2**63 - 1: only the first window fits, and conv gives its sum."""
    x = np.arange(5.).reshape(1, 1, 5)
    np.testing.assert_array_equal(npconv.conv(x, np.ones((1, 1, 2)), stride=INT64_MAX,
                                              method=method), [[[0. + 1.]]])


def test_the_largest_int64_pooling_stride_gives_one_window():
    """The loops' pooling with stride 2**63 - 1: the first window only (was OverflowError for
    avg_pool at 2**63)."""
    x = np.arange(5.).reshape(1, 1, 5)
    assert npconv.max_pool(x, 2, stride=INT64_MAX, method="loops").tolist() == [[[1.]]]
    assert npconv.avg_pool(x, 2, stride=INT64_MAX, method="loops").tolist() == [[[0.5]]]


@pytest.mark.parametrize("method", METHODS)
def test_numpy_small_ints_work_as_python_ints(method):
    """np.uint8 and friends are converted once: workspace_bytes=np.uint8(200) overflowed in the
    workspace arithmetic; every other int argument must give the Python int's result too."""
    x = np.random.default_rng(0).standard_normal((6, 3, 7, 7))
    w = np.random.default_rng(1).standard_normal((3, 1, 3, 3))
    expected = npconv.conv(x, w, stride=2, padding=1, dilation=1, groups=3,
                           workspace_bytes=200, method=method)
    got = npconv.conv(x, w, stride=np.int8(2), padding=np.uint8(1), dilation=np.int64(1),
                      groups=np.int16(3), workspace_bytes=np.uint8(200), method=method)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(
        npconv.avg_pool(x, np.uint8(3), np.int8(2), np.uint16(1), divisor_override=np.int8(5),
                        method=method),
        npconv.avg_pool(x, 3, 2, 1, divisor_override=5, method=method))


@pytest.mark.parametrize("value, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError),
                                          (2 ** 63, ValueError), (True, TypeError)])
def test_workspace_bytes_must_be_a_positive_int64(value, error):
    """The im2col workspace bound is a positive number of bytes that fits in 64 bits."""
    x, w = np.zeros((1, 1, 4)), np.ones((1, 1, 2))
    with pytest.raises(error, match=rf"^workspace_bytes={value}"):
        npconv.conv(x, w, workspace_bytes=value)


@pytest.mark.parametrize("name, value", [("method", np.array(["loops"])),
                                         ("padding_mode", np.array(["zeros"])),
                                         ("padding_mode", ["zeros"])])
def test_strings_must_be_strings(name, value):
    """An array or list holding the right word is not the word: refused, naming it."""
    with pytest.raises(ValueError, match=rf"^{name}=.* is not one of"):
        npconv.conv(np.ones((1, 1, 4)), np.ones((1, 1, 2)), **{name: value})


# --------------------------------------------------------------------------------------------
# Padding modes on an empty axis (PyTorch's F.pad rules)
# --------------------------------------------------------------------------------------------

@each(CONVS)
@pytest.mark.parametrize("padding_mode", ["replicate", "reflect"])
def test_replicate_and_reflect_need_a_non_empty_axis(call, padding_mode):
    """An axis of size 0 has nothing to copy: a ValueError naming the mode and the axis (was
    an IndexError for replicate).  PyTorch refuses it too."""
    with pytest.raises(ValueError, match=rf"^padding_mode='{padding_mode}' needs a non-empty "
                                         r"input along every spatial dimension, but spatial "
                                         r"dimension 0 has size 0"):
        call(input=np.ones((1, 2, 0, 5)), padding=2, padding_mode=padding_mode)


@each(CONVS)
def test_circular_padding_of_an_empty_axis_is_refused(call):
    """Circular padding wider than an empty axis wraps more than once (PyTorch's rule)."""
    with pytest.raises(ValueError, match=r"^padding_mode='circular' needs padding <= input "
                                         r"size, but spatial dimension 0 has size 0"):
        call(input=np.ones((1, 2, 0, 5)), padding=2, padding_mode="circular")


@pytest.mark.parametrize("method", METHODS)
def test_zero_padding_of_an_empty_axis_gives_zeros(method):
    """Zeros around nothing: every window holds zeros only, so the output is zero."""
    out = npconv.conv(np.ones((1, 2, 0, 5)), np.ones((4, 2, 3, 3)), padding=2, method=method)
    np.testing.assert_array_equal(out, np.zeros((1, 4, 0 + 4 - 3 + 1, 5 + 4 - 3 + 1)))


# --------------------------------------------------------------------------------------------
# PyTorch's argument forms
# --------------------------------------------------------------------------------------------
# Checked against torch.nn.functional 2.13: every geometry argument may be a sequence of one
# int meaning every dimension, a list as well as a tuple, and NumPy ints; a pooling stride of
# () or [] means kernel_size.  npconv also takes a range or a 1-D integer array.  Each form
# must give exactly the canonical form's result, forward and backward.

FORMS = [
    # (op, argument, canonical value, equivalent forms)
    ("conv", "stride", 2, [(2,), [2], (2, 2), [np.int64(2), 2], range(2, 3), np.array([2, 2])]),
    ("conv", "padding", 1, [(1,), [1], ((1, 1),), [(1, 1), (1, 1)], np.array([1, 1]),
                            np.array([[1, 1], [1, 1]]), range(1, 2)]),
    ("conv", "dilation", 2, [(2,), [2], np.array([2])]),
    ("conv", "padding", "valid", [0, (0,)]),
    ("conv_transpose", "stride", 2, [(2,), [2], (np.int8(2),)]),
    ("conv_transpose", "padding", 1, [(1,), [1], ((1, 1),)]),
    ("conv_transpose", "output_padding", 1, [(1,), [1], range(1, 2)]),
    ("conv_transpose", "dilation", 2, [(2,), [2]]),
    ("max_pool", "kernel_size", 3, [(3,), [3], (3, 3), np.array([3])]),
    ("max_pool", "stride", None, [(), [], (3,), [3, 3], np.array([], dtype=int)]),
    ("max_pool", "padding", 1, [(1,), [1], ((1, 1),)]),
    ("max_pool", "dilation", 2, [(2,), [2]]),
    ("avg_pool", "kernel_size", 3, [(3,), [3], range(3, 4)]),
    ("avg_pool", "stride", None, [(), [], (3,)]),
    ("avg_pool", "padding", 1, [(1,), [1]]),
    ("avg_pool", "divisor_override", 4, [np.int64(4), np.uint8(4)]),
]
CASES = [(op, name, canonical, form) for op, name, canonical, forms in FORMS for form in forms]


def run_op(op, method, **changes):
    """The op's forward and backward on an 8x8 input with 3x3 geometry, as float arrays."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 2, 8, 8))
    if op == "conv":
        w = rng.standard_normal((3, 2, 3, 3))
        out = npconv.conv(x, w, **changes, method=method)
        backward = npconv.conv_backward(np.ones_like(out), x, w, **changes, method=method)
    elif op == "conv_transpose":
        w = rng.standard_normal((2, 3, 3, 3))
        changes = {"stride": 2, **changes}
        out = npconv.conv_transpose(x, w, **changes, method=method)
        backward = npconv.conv_transpose_backward(np.ones_like(out), x, w, **changes,
                                                  method=method)
    else:
        forward = getattr(npconv, op)
        changes = {"kernel_size": 3, **changes}
        out = forward(x, **changes, method=method)
        backward = (getattr(npconv, f"{op}_backward")(np.ones_like(out), x, **changes,
                                                      method=method),)
    return (out, *backward)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("op, name, canonical, form", CASES,
                         ids=[f"{op}-{name}-{form!r}" for op, name, canonical, form in CASES])
def test_pytorch_argument_forms_give_the_canonical_result(method, op, name, canonical, form):
    """Each accepted form gives exactly the canonical form's output and gradients."""
    expected = run_op(op, method, **{name: canonical})
    got = run_op(op, method, **{name: form})
    assert len(got) == len(expected)
    for got_array, expected_array in zip(got, expected):
        np.testing.assert_array_equal(got_array, expected_array)


@each(CONVS + CONV_TRANSPOSES)
@pytest.mark.parametrize("name", ["stride", "padding", "dilation"])
def test_an_empty_sequence_is_not_a_convolution_argument(call, name):
    """PyTorch's conv refuses stride=() (only pooling reads it as the default): so does npconv."""
    with pytest.raises(ValueError, match=rf"^{name}=\(\) must be an int or "):
        call(**{name: ()})


@each(ALL_OPS)
@pytest.mark.parametrize("value", [True, (True, 1), np.bool_(True), (1, 2.0), [(1, 1), 1],
                                   np.array([1.0, 2.0]), "2"])
def test_forms_pytorch_refuses_are_refused(call, value):
    """Bools, floats, nested pairs for a stride, float arrays and strings: TypeErrors naming
    stride and showing the value."""
    with pytest.raises(TypeError, match=rf"^stride={re.escape(repr(value))} must be an int"):
        call(stride=value)


@pytest.mark.parametrize("method", METHODS)
def test_the_aliases_take_pytorchs_forms(method):
    """PyTorch's own sample: max_pool2d with padding=(1,) and stride=() on an unbatched image."""
    x = np.arange(36.).reshape(1, 6, 6)
    np.testing.assert_array_equal(npconv.max_pool2d(x, 3, stride=(), padding=(1,),
                                                    method=method),
                                  npconv.max_pool2d(x, 3, stride=3, padding=1, method=method))


# --------------------------------------------------------------------------------------------
# The memory bound: a result larger than MAX_ARRAY_BYTES is refused before allocating
# --------------------------------------------------------------------------------------------

def huge(shape, dtype=np.float64):
    """An array of ``shape`` that takes one element of memory (a broadcast view)."""
    return np.broadcast_to(np.ones(1, dtype=dtype), shape)


def too_big(what, shape, itemsize, cause):
    """The message, with the bytes worked out here, that an oversized result must raise."""
    nbytes = math.prod(shape) * itemsize
    return (rf"^{what} would have shape {re.escape(str(shape))}: {nbytes} bytes "
            rf"\(.* GiB\), more than the {MAX_ARRAY_BYTES} bytes .*; it comes from "
            rf"{cause}")


def test_a_transposed_output_too_large_names_the_stride_and_the_bytes():
    """Two input cells 10**12 apart: (2 - 1) * 10**12 + 1 output cells, 8 TB."""
    x, w = np.ones((1, 1, 2)), np.ones((1, 1, 1))
    shape = (1, 1, (2 - 1) * 10 ** 12 + 1)
    with pytest.raises(ValueError, match=too_big("the output", shape, 8,
                                                 r"input of shape \(1, 1, 2\) and weight .*"
                                                 r"stride=\(1000000000000,\)")):
        npconv.conv_transpose(x, w, stride=10 ** 12)
    with pytest.raises(ValueError, match=too_big("the output", shape, 4, r"input of shape")):
        npconv.conv_transpose1d(x[0].astype(np.float32), w.astype(np.float32),
                                stride=10 ** 12)


def test_a_padded_output_too_large_names_the_padding():
    """conv with padding 10**12: the output grows by 2 * 10**12 cells."""
    shape = (1, 1, 3 + 2 * 10 ** 12 - 3 + 1)
    with pytest.raises(ValueError, match=too_big("the output", shape, 8,
                                                 r"input of shape \(1, 1, 3\).*padding="
                                                 r"\(\(1000000000000, 1000000000000\),\)")):
        npconv.conv(np.ones((1, 1, 3)), np.ones((1, 1, 3)), padding=10 ** 12)


def test_results_of_broadcast_inputs_are_bounded():
    """A broadcast view describes a huge array in a few bytes; its results would not fit."""
    n = 3 * 10 ** 9
    big = huge((1, 1, n))
    with pytest.raises(ValueError, match=too_big("the output", (1, 1, n), 8,
                                                 r"input of shape \(1, 1, 3000000000\)")):
        npconv.max_pool(big, 1)
    with pytest.raises(ValueError, match=too_big("grad_input", (1, 1, n), 8, "input of shape")):
        npconv.avg_pool_backward(big, big, 1)
    with pytest.raises(ValueError, match=too_big("grad_input", (1, 1, n), 8, "input of shape")):
        npconv.conv_backward(big, big, np.ones((1, 1, 1)))
    cells = 2 ** 31 + 1            # float16 output: 4 GiB; its int64 indices: 16 GiB + 8 bytes
    with pytest.raises(ValueError, match=too_big("the indices", (1, 1, cells), 8,
                                                 "input of shape")):
        npconv.max_pool(huge((1, 1, cells), np.float16), 1)


def test_adaptive_max_pools_int64_indices_are_bounded_too():
    """float16 output of 2**31 + 1 cells is 4 GiB, but its int64 indices 16 GiB + 8 bytes:
    refused before anything is allocated, whether the indices are returned or not (the
    variants find them either way), and in the backward, which finds them again."""
    cells = 2 ** 31 + 1
    x = np.ones((1, 1, 1), dtype=np.float16)
    for call in (lambda: npconv.adaptive_max_pool(x, cells),
                 lambda: npconv.adaptive_max_pool(x, cells, return_indices=True),
                 lambda: npconv.adaptive_max_pool_backward(huge((1, 1, cells), np.float16), x,
                                                           cells)):
        with pytest.raises(ValueError, match=too_big("the indices", (1, 1, cells), 8,
                                                     "output_size=2147483649")):
            call()


def test_a_cast_too_large_names_the_array_and_its_dtype():
    """An int8 view of 3 * 10**9 cells would become 24 GB of float64."""
    shape = (1, 1, 3 * 10 ** 9)
    with pytest.raises(ValueError, match=too_big("input as float64", shape, 8,
                                                 r"input of shape .* and dtype int8")):
        npconv.conv(huge(shape, np.int8), np.ones((1, 1, 1)))


def test_the_bound_is_16_gib():
    """The documented bound."""
    assert MAX_ARRAY_BYTES == 16 * 2 ** 30


# --------------------------------------------------------------------------------------------
# Checking arguments costs a few operations per dimension, never one per window
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["max_pool", "avg_pool", "max_pool_backward",
                                "avg_pool_backward"])
def test_a_billion_wide_window_is_checked_without_listing_its_taps(op):
    """kernel 10**9, padding 5 * 10**8 on one cell: checking it died with a MemoryError.  The
    checks run in full, then method='none' is refused at dispatch, so only they are timed."""
    x = np.ones((1, 1, 1))
    out_size = (1 + 2 * 5 * 10 ** 8 - 10 ** 9) // 1 + 1
    arguments = (np.ones((1, 1, out_size)), x) if op.endswith("backward") else (x,)
    with finishes_quickly(), pytest.raises(ValueError, match=r"^method='none' is not one"):
        getattr(npconv, op)(*arguments, 10 ** 9, stride=1, padding=5 * 10 ** 8, method="none")


def test_a_billion_windows_are_checked_without_visiting_them():
    """10**9 output cells (a broadcast input): the window rule does not walk them."""
    x = huge((1, 1, 10 ** 9))
    with finishes_quickly(), pytest.raises(ValueError, match=r"^method='none' is not one"):
        npconv.max_pool(x, 3, stride=1, padding=1, dilation=2, method="none")


def test_an_empty_window_of_a_huge_kernel_is_found_quickly():
    """Input 2, kernel 2, dilation 10**18, padding 1: window 0 reads -1 and 10**18 - 1."""
    with finishes_quickly(), pytest.raises(ValueError, match=r"^output size along spatial"):
        npconv.max_pool(np.ones((1, 1, 2)), 2, stride=1, padding=1, dilation=10 ** 18)
    with finishes_quickly(), pytest.raises(
            ValueError, match=r"^window 0 along spatial dimension 0 holds no input cell: its "
                              r"taps fall on positions \[-1, 2\]"):
        npconv.max_pool(np.ones((1, 1, 2)), 2, stride=1, padding=1, dilation=3,
                        ceil_mode=True)


# --------------------------------------------------------------------------------------------
# The public API as help() and an IDE show it
# --------------------------------------------------------------------------------------------

ALIASES = [(getattr(npconv, f"{base}{rank}d"), getattr(npconv, base), rank)
           for base in ("conv", "conv_transpose", "max_pool", "avg_pool") for rank in (1, 2, 3)]
PUBLIC_FUNCTIONS = [getattr(npconv, name) for name in npconv.api.__all__
                    if inspect.isfunction(getattr(npconv, name))]


@pytest.mark.parametrize("alias, op, rank", ALIASES, ids=[a.__name__ for a, _, _ in ALIASES])
def test_each_alias_shows_the_signature_of_its_op(alias, op, rank):
    """conv2d's signature was (input, *args, **kwargs); it is conv's, parameter by parameter."""
    assert inspect.signature(alias) == inspect.signature(op)


@pytest.mark.parametrize("alias, op, rank", ALIASES, ids=[a.__name__ for a, _, _ in ALIASES])
def test_each_alias_has_its_own_docstring(alias, op, rank):
    """It says which rank it takes, that unbatched input works, and shows an example."""
    doc = inspect.getdoc(alias)
    assert doc.startswith(f"{rank}-D ")
    assert f"torch.nn.functional.{alias.__name__}" in doc
    assert "unbatched" in doc
    assert "Examples\n--------\n" in doc and ">>> " in doc
    assert alias.__module__ == "npconv.api" and alias.__qualname__ == alias.__name__


@pytest.mark.parametrize("function", PUBLIC_FUNCTIONS, ids=lambda f: f.__name__)
def test_public_functions_are_annotated_and_documented(function):
    """Array-like in, NDArray out; numpydoc Parameters, Returns, Raises and Examples."""
    hints = typing.get_type_hints(function)
    assert hints["input"] == ArrayLike
    assert "return" in hints
    signature = inspect.signature(function)
    assert all(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in signature.parameters.values())
    doc = inspect.getdoc(function)
    for section in ("Parameters", "Returns", "Raises", "See Also", "Examples"):
        assert f"\n{section}\n{'-' * len(section)}\n" in doc, section


def test_gradients_are_typed_and_the_package_ships_py_typed():
    """The Gradients fields are typed arrays, and type checkers may read the annotations."""
    hints = typing.get_type_hints(npconv.Gradients)
    assert set(hints) == {"grad_input", "grad_weight", "grad_bias"}
    assert all(typing.get_origin(hint) is np.ndarray for hint in hints.values())
    assert importlib.resources.files("npconv").joinpath("py.typed").is_file()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("alias, op, rank", ALIASES, ids=[a.__name__ for a, _, _ in ALIASES])
def test_an_unbatched_input_gives_the_batched_result_without_its_batch_axis(alias, op, rank,
                                                                            method):
    """(C, *spatial) is (1, C, *spatial) with the batch axis taken off again."""
    x = np.random.default_rng(rank).standard_normal((2,) + (5,) * rank)
    if op in (npconv.conv, npconv.conv_transpose):
        arguments = (np.ones((2, 2) + (2,) * rank),)
    else:
        arguments = (2,)
    expected = op(x[np.newaxis], *arguments, method=method)[0]
    np.testing.assert_array_equal(alias(x, *arguments, method=method), expected)


# --------------------------------------------------------------------------------------------
# conv_transpose's output_size (the base call: input 3x3, kernel 2, stride 1, so the one
# reachable size is (3 - 1)*1 + 1*(2 - 1) + 1 = 4 per dimension, with C_out = 3)
# --------------------------------------------------------------------------------------------

CONV_TRANSPOSE_CALLS = [call_conv_transpose, call_conv_transpose_backward]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("call", CONV_TRANSPOSE_CALLS)
@pytest.mark.parametrize("output_size", [4, (4.0, 4.0), "4x4", (4, True)])
def test_conv_transpose_output_size_of_the_wrong_type_is_a_type_error(call, method,
                                                                      output_size):
    with pytest.raises(TypeError, match=re.escape(f"output_size={output_size!r} must be None "
                                                  f"or a sequence of 2 ints")):
        call(output_size=output_size, method=method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("call", CONV_TRANSPOSE_CALLS)
@pytest.mark.parametrize("output_size", [(4,), (3, 4, 4), (1, 1, 3, 4, 4), ()])
def test_conv_transpose_output_size_with_the_wrong_number_of_entries_is_refused(call, method,
                                                                              output_size):
    with pytest.raises(ValueError, match=re.escape(f"output_size={output_size!r} has "
                                                   f"{len(output_size)} entries")):
        call(output_size=output_size, method=method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("call", CONV_TRANSPOSE_CALLS)
@pytest.mark.parametrize("front", [(2, 3), (1, 2), (0, 0)])
def test_conv_transpose_output_size_must_carry_the_outputs_batch_and_channels(call, method,
                                                                            front):
    with pytest.raises(ValueError, match=re.escape(f"starts with N, C = {front}, but the "
                                                   f"output has N, C = (1, 3)")):
        call(output_size=front + (4, 4), method=method)
    result = call(output_size=(1, 3, 4, 4), method=method)        # the output's N and C
    if call is call_conv_transpose:
        assert result.shape == (1, 3, 4, 4)
    else:
        assert result.grad_input.shape == (1, 2, 3, 3)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("call", CONV_TRANSPOSE_CALLS)
@pytest.mark.parametrize("output_size", [(5, 4), (4, 3), (4, -1)])
def test_an_unreachable_conv_transpose_output_size_names_the_range(call, method, output_size):
    dim = 0 if output_size[0] != 4 else 1
    with pytest.raises(ValueError, match=re.escape(
            f"output_size={output_size!r}: spatial dimension {dim} must be from 4 to 4")):
        call(output_size=output_size, method=method)


@pytest.mark.parametrize("call", CONV_TRANSPOSE_CALLS)
def test_a_conv_transpose_output_size_beyond_int64_is_refused_by_name(call):
    with pytest.raises(ValueError, match=re.escape("output_size=(4, 9223372036854775808) is "
                                                   "too large")):
        call(output_size=(4, 2**63))


# A million-entry argument is refused with a message a reader can read: the value is shortened,
# as every other message shortens a huge value, not printed whole (megabytes of text).
LONG = list(range(10 ** 6))


@pytest.mark.parametrize("call, changes", [
    (call_conv, dict(stride=LONG)), (call_conv, dict(dilation=[1.5] * 10 ** 5)),
    (call_conv, dict(padding=LONG)), (call_conv, dict(padding=[LONG, LONG])),
    (call_conv, dict(padding="s" * 10 ** 6)), (call_conv, dict(groups=LONG)),
    (call_conv, dict(padding_mode="z" * 10 ** 6)),
    (call_conv_transpose, dict(padding="s" * 10 ** 6)),
    (call_conv_transpose, dict(output_size=LONG)),
    (call_max_pool, dict(kernel_size=[-1] * 10 ** 5)),
    (call_max_pool, dict(ceil_mode=LONG)), (call_avg_pool, dict(divisor_override=LONG)),
], ids=lambda value: op_name(value) if callable(value) else next(iter(value)))
def test_a_huge_argument_gets_a_short_message_naming_it(call, changes):
    name = next(iter(changes))
    with pytest.raises((ValueError, TypeError)) as error:
        call(**changes)
    message = str(error.value)
    assert message.startswith(f"{name}="), message[:200]
    assert len(message) < 500, message[:200]


# An output_size's length is checked before its entries are read: a huge range is refused at
# once (its entries used to be read one by one: 10**12 of them, a hang) and in little memory.
@pytest.mark.parametrize("call, unbatched", [
    (lambda output_size: call_conv_transpose(output_size=output_size), False),
    (lambda output_size: call_conv_transpose_backward(output_size=output_size), False),
    (lambda output_size: npconv.conv_transpose2d(np.ones((2, 3, 3)), np.ones((2, 3, 2, 2)),
                                                 output_size=output_size), True),
    (lambda output_size: npconv.max_unpool(np.ones((1, 1, 2, 2)),
                                           np.zeros((1, 1, 2, 2), np.int64), 2,
                                           output_size=output_size), False),
], ids=["conv_transpose", "conv_transpose_backward", "conv_transpose2d-unbatched",
        "max_unpool"])
def test_a_huge_range_as_output_size_is_refused_by_its_length(call, unbatched):
    expected = "2 (the spatial size) or 3 (C_out" if unbatched else "or 4 ints (N, C"
    with finishes_quickly(), pytest.raises(ValueError, match=re.escape(
            f"output_size=range(0, 1000000000000) has 1000000000000 entries")) as error:
        call(range(10 ** 12))
    assert expected in str(error.value)


@pytest.mark.parametrize("gaps, axes, named", [
    (range(10 ** 12), (0,), "gaps=range(0, 1000000000000) and axes=(0,) must have the same"),
    (range(1, 10 ** 12), range(10 ** 12 - 1), "names 999999999999 axes, but x has 2"),
    ((2, 2, 2), (0, 1, 0), "names 3 axes, but x has 2"),
])
def test_insert_zeros_refuses_more_axes_than_x_has_without_reading_them(gaps, axes, named):
    """A 2-D array has two axes to spread: a longer gaps or axes is refused by its length,
    before its entries are read (a range of 10**12 of them used to be read one by one)."""
    with finishes_quickly(), pytest.raises(ValueError, match=re.escape(named)):
        npconv.insert_zeros(np.ones((2, 2)), gaps, axes)
