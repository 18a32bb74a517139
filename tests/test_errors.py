"""Bad input raises the promised error, with a message that names what was wrong.

Each test starts from a valid call of every op it concerns (forward and backward, both
methods) and breaks one argument.  The messages are matched on the parameter's name and the
value received.  The last tests check the promise that no argument is ever modified, and that
read-only arrays are accepted.
"""

import re

import numpy as np
import pytest
from hypothesis import given

import npconv
from tests.strategies import conv_configs, conv_transpose_configs, op_args, pool_configs

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
    """Parametrize over the calls and both methods."""
    return pytest.mark.parametrize(
        "call, method", [(call, method) for call in calls for method in METHODS],
        ids=[f"{op_name(call)}-{method}" for call in calls for method in METHODS])


# --------------------------------------------------------------------------------------------
# The baselines are valid
# --------------------------------------------------------------------------------------------

# The shapes in the comment above, by hand; a backward returns its input's shape.
BASELINE_SHAPES = {call_conv: (1, 4, 3, 3), call_conv_backward: (1, 2, 5, 5),
                   call_conv_transpose: (1, 3, 4, 4), call_conv_transpose_backward: (1, 2, 3, 3),
                   call_max_pool: (1, 2, 2, 2), call_max_pool_backward: (1, 2, 5, 5),
                   call_avg_pool: (1, 2, 2, 2), call_avg_pool_backward: (1, 2, 5, 5)}


@each(ALL_OPS)
def test_the_baseline_calls_are_valid(call, method):
    """Every error test breaks one argument of a call that works on its own."""
    result = call(method=method)
    first = result[0] if isinstance(result, tuple) else result
    assert first.shape == BASELINE_SHAPES[call]


# --------------------------------------------------------------------------------------------
# Shapes of the arrays
# --------------------------------------------------------------------------------------------

@each(ALL_OPS)
def test_input_without_a_spatial_dimension_is_rejected(call, method):
    """An input of shape (N, C) names the input and the (N, C, *spatial) it needs."""
    with pytest.raises(ValueError, match=r"input must have shape \(N, C, \*spatial\).*\(1, 2\)"):
        call(input=np.ones((1, 2)), method=method)


@each(CONVS + CONV_TRANSPOSES)
def test_weight_of_the_wrong_rank_is_rejected(call, method):
    """A 3-d weight for a 4-d input names the weight and both shapes."""
    with pytest.raises(ValueError, match=r"weight must have 4 dimensions.*\(2, 2, 3\)"):
        call(weight=np.ones((2, 2, 3)), method=method)


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
def test_conv_input_channels_must_match_the_weight(call, method):
    """Input with 3 channels for a weight made for 2 names C_in and what was expected."""
    with pytest.raises(ValueError, match=r"C_in=3 .*expects C_in = weight.shape\[1\] \* groups"):
        call(input=np.ones((1, 3, 5, 5)), method=method)


@each(CONV_TRANSPOSES)
def test_conv_transpose_input_channels_must_match_the_weight(call, method):
    """conv_transpose weights are (C_in, C_out // groups, ...): weight.shape[0] must be C_in."""
    with pytest.raises(ValueError, match=r"C_in=3 .*weight.shape\[0\] = 2"):
        call(input=np.ones((1, 3, 3, 3)), method=method)


@each([call_conv])
def test_conv_bias_of_the_wrong_shape_is_rejected(call, method):
    """A bias of 3 values for 4 output channels names the bias and (C_out,)."""
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(4,\), got \(3,\)"):
        call(bias=np.ones(3), method=method)
    with pytest.raises(ValueError, match=r"bias must have shape"):
        call(bias=np.ones((4, 1)), method=method)


@each([call_conv_transpose])
def test_conv_transpose_bias_of_the_wrong_shape_is_rejected(call, method):
    """conv_transpose's bias has one value per output channel: C_out // groups * groups."""
    with pytest.raises(ValueError, match=r"bias must have shape \(C_out,\) = \(3,\), got \(2,\)"):
        call(bias=np.ones(2), method=method)


# --------------------------------------------------------------------------------------------
# groups
# --------------------------------------------------------------------------------------------

@each(CONVS)
def test_groups_must_divide_the_input_channels(call, method):
    """groups=3 with C_in=3 but C_out=4: names groups and the channel count it misses."""
    with pytest.raises(ValueError, match=r"groups=3 must divide the output channels C_out=4"):
        call(input=np.ones((1, 3, 5, 5)), weight=np.ones((4, 1, 3, 3)), groups=3,
             method=method)
    with pytest.raises(ValueError, match=r"groups=4 must divide the input channels C_in=2"):
        call(groups=4, method=method)


@each(CONV_TRANSPOSES)
def test_conv_transpose_groups_must_divide_the_input_channels(call, method):
    """groups=4 with C_in=2 names groups and C_in."""
    with pytest.raises(ValueError, match=r"groups=4 must divide the input channels C_in=2"):
        call(groups=4, method=method)


@each(CONVS + CONV_TRANSPOSES)
def test_groups_below_one_is_rejected(call, method):
    """groups=0 names groups."""
    with pytest.raises(ValueError, match=r"groups=0 must be >= 1"):
        call(groups=0, method=method)


# --------------------------------------------------------------------------------------------
# stride, dilation, kernel_size, padding
# --------------------------------------------------------------------------------------------

@each(ALL_OPS)
@pytest.mark.parametrize("stride", [0, -1, (1, 0)])
def test_stride_below_one_is_rejected(call, method, stride):
    """A stride of 0 or less in any dimension names stride."""
    with pytest.raises(ValueError, match=rf"stride={re.escape(repr(stride))} must be >= 1"):
        call(stride=stride, method=method)


@each(DILATED)
@pytest.mark.parametrize("dilation", [0, (0, 1)])
def test_dilation_below_one_is_rejected(call, method, dilation):
    """A dilation of 0 names dilation."""
    with pytest.raises(ValueError, match=rf"dilation={re.escape(repr(dilation))} must be >= 1"):
        call(dilation=dilation, method=method)


@each(POOLS)
@pytest.mark.parametrize("kernel_size", [0, (2, 0)])
def test_pool_kernel_size_below_one_is_rejected(call, method, kernel_size):
    """A pooling kernel_size of 0 names kernel_size."""
    with pytest.raises(ValueError, match=rf"kernel_size={re.escape(repr(kernel_size))} must be"):
        call(kernel_size=kernel_size, method=method)


@each(CONVS)
def test_empty_conv_kernel_is_rejected(call, method):
    """A weight with a zero-length kernel dimension names kernel_size (weight.shape[2:])."""
    with pytest.raises(ValueError, match=r"kernel_size=\(0, 3\) \(weight.shape\[2:\]\)"):
        call(weight=np.ones((4, 2, 0, 3)), method=method)


@each(ALL_OPS)
@pytest.mark.parametrize("padding", [-1, (0, -1), ((0, 0), (-1, 0))])
def test_negative_padding_is_rejected(call, method, padding):
    """Negative padding, as an int, per dimension or in a pair, names padding."""
    with pytest.raises(ValueError, match=rf"padding={re.escape(repr(padding))} must not be neg"):
        call(padding=padding, method=method)


@each(ALL_OPS)
def test_stride_with_the_wrong_number_of_entries_is_rejected(call, method):
    """Three strides for two spatial dimensions names stride and the count it needs."""
    with pytest.raises(ValueError, match=r"stride=\(1, 1, 1\) must be an int or 2 ints"):
        call(stride=(1, 1, 1), method=method)


@each(DILATED)
def test_dilation_with_the_wrong_number_of_entries_is_rejected(call, method):
    """Three dilations for two spatial dimensions names dilation."""
    with pytest.raises(ValueError, match=r"dilation=\(2, 2, 2\) must be an int or 2 ints"):
        call(dilation=(2, 2, 2), method=method)


@each(POOLS)
def test_kernel_size_with_the_wrong_number_of_entries_is_rejected(call, method):
    """A 3-d pooling kernel for a 2-d input names kernel_size."""
    with pytest.raises(ValueError, match=r"kernel_size=\(2, 2, 2\) must be an int or 2 ints"):
        call(kernel_size=(2, 2, 2), method=method)


@each(ALL_OPS)
def test_padding_with_the_wrong_number_of_entries_is_rejected(call, method):
    """Three paddings for two spatial dimensions names padding."""
    with pytest.raises(ValueError, match=r"padding=\(1, 1, 1\) must be an int or have 2 entr"):
        call(padding=(1, 1, 1), method=method)


@each(ALL_OPS)
def test_padding_entry_that_is_not_a_pair_is_a_type_error(call, method):
    """A (1, 2, 3) where a (before, after) pair belongs names padding and the entry."""
    with pytest.raises(TypeError, match=r"padding=.*each entry must be an int or a \(before, "
                                        r"after\) pair of ints, got \(1, 2, 3\)"):
        call(padding=((1, 2, 3), (0, 0)), method=method)


@each(CONVS)
def test_unknown_padding_string_is_rejected(call, method):
    """padding='full' names padding and the strings that are known."""
    with pytest.raises(ValueError, match=r"padding='full' is not a known padding string"):
        call(padding="full", method=method)


@each(CONV_TRANSPOSES + POOLS)
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_padding_strings_are_only_for_conv(call, method, padding):
    """conv_transpose and pooling take no padding strings; the message names the op."""
    with pytest.raises(ValueError, match=rf"padding='{padding}': \w+ takes no padding strings"):
        call(padding=padding, method=method)


@each(POOLS)
@pytest.mark.parametrize("kernel_size, padding", [(3, 2), (2, 2), ((3, 3), ((0, 2), (1, 1)))])
def test_pool_padding_wider_than_half_the_kernel_is_rejected(call, method, kernel_size,
                                                             padding):
    """PyTorch's rule: padding <= kernel_size // 2, else the message names padding."""
    with pytest.raises(ValueError, match=r"padding=\(\d, \d\) in spatial dimension 0 must be "
                                         r"at most half the kernel size"):
        call(kernel_size=kernel_size, padding=padding, stride=1, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_pool_padding_rule_uses_the_undilated_kernel(method):
    """Padding up to kernel_size // 2 is allowed, however large the dilation (as PyTorch)."""
    out = npconv.max_pool(np.ones((1, 1, 9)), 3, stride=1, padding=1, dilation=3,
                          method=method)
    assert out.shape == (1, 1, 9 + 2 - 7 + 1)
    out = npconv.avg_pool(np.ones((1, 1, 4)), 2, stride=1, padding=1, method=method)
    assert out.shape == (1, 1, 4 + 2 - 2 + 1)


@each(MAX_POOLS)
def test_pool_window_without_an_input_cell_is_rejected(call, method):
    """in=2, kernel 2, dilation 3, padding 1: the window's taps -1 and 2 both miss the input."""
    with pytest.raises(ValueError, match=r"window 0 along spatial dimension 0 holds no input "
                                         r"cell: its taps fall on positions \[-1, 2\]"):
        extra = {"grad_output": np.ones((1, 1, 1))} if call is call_max_pool_backward else {}
        call(input=np.ones((1, 1, 2)), kernel_size=2, dilation=3, padding=1, stride=1,
             method=method, **extra)


# --------------------------------------------------------------------------------------------
# Output size below 1: the dimension and the formula with the numbers
# --------------------------------------------------------------------------------------------

@each(CONVS)
def test_conv_output_below_one_names_dimension_and_formula(call, method):
    """Width 2 with a 3-wide kernel: dimension 1 would be 0, shown with its numbers."""
    expected = ("output size along spatial dimension 1 would be 0, but must be at least 1: "
                "floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = "
                "floor((2 + 0 + 0 - 1*(3-1) - 1) / 1) + 1 = 0")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(input=np.ones((1, 2, 5, 2)), method=method)


@each(CONV_TRANSPOSES)
def test_conv_transpose_output_below_one_names_dimension_and_formula(call, method):
    """Input 1, kernel 1, padding 1: (1 - 1)*1 - 1 - 1 + 1*(1-1) + 0 + 1 = -1."""
    expected = ("output size along spatial dimension 0 would be -1, but must be at least 1: "
                "(in - 1)*stride - before - after + dilation*(kernel_size-1) + output_padding"
                " + 1 = (1 - 1)*1 - 1 - 1 + 1*(1-1) + 0 + 1 = -1")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(input=np.ones((1, 2, 1, 1)), weight=np.ones((2, 3, 1, 1)), padding=1,
             method=method)


@each(POOLS)
def test_pool_output_below_one_names_dimension_and_formula(call, method):
    """Height 1 under a 3-tall kernel (stride 3): floor((1 + 0 + 0 - 1*(3-1) - 1) / 3) + 1."""
    expected = ("output size along spatial dimension 0 would be 0, but must be at least 1: "
                "floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = "
                "floor((1 + 0 + 0 - 1*(3-1) - 1) / 3) + 1 -> 0")
    with pytest.raises(ValueError, match=re.escape(expected)):
        call(input=np.ones((1, 2, 1, 5)), kernel_size=3, method=method)


# --------------------------------------------------------------------------------------------
# output_padding, padding modes
# --------------------------------------------------------------------------------------------

@each(CONV_TRANSPOSES)
@pytest.mark.parametrize("output_padding, stride, dilation", [(2, 2, 1), (1, 1, 1),
                                                              ((0, 2), 1, 2)])
def test_output_padding_must_be_below_stride_or_dilation(call, method, output_padding, stride,
                                                         dilation):
    """output_padding >= max(stride, dilation) names output_padding, stride and dilation."""
    with pytest.raises(ValueError, match=r"output_padding=\d in spatial dimension \d must be "
                                         r"smaller than stride \(\d\) or dilation \(\d\)"):
        call(output_padding=output_padding, stride=stride, dilation=dilation, method=method)


@each(CONV_TRANSPOSES)
@pytest.mark.parametrize("output_padding", [-1, (0, -1)])
def test_negative_output_padding_is_rejected(call, method, output_padding):
    """A negative output_padding names output_padding."""
    with pytest.raises(ValueError, match=rf"output_padding={re.escape(repr(output_padding))} "
                                         r"must be >= 0"):
        call(output_padding=output_padding, stride=2, method=method)


@pytest.mark.parametrize("method", METHODS)
def test_output_padding_below_dilation_is_allowed(method):
    """output_padding 1 with stride 1 is fine when dilation is 2 (PyTorch's rule)."""
    out = npconv.conv_transpose(np.ones((1, 1, 3)), np.ones((1, 1, 2)), output_padding=1,
                                dilation=2, method=method)
    assert out.shape == (1, 1, (3 - 1) * 1 + 2 * (2 - 1) + 1 + 1)


@each(CONVS)
@pytest.mark.parametrize("padding", [5, 6, ((0, 5), (0, 0)), ((0, 0), (5, 0))])
def test_reflect_padding_must_be_narrower_than_the_input(call, method, padding):
    """PyTorch's rule for reflect is padding < size; the message names the mode and sizes."""
    with pytest.raises(ValueError, match=r"padding_mode='reflect' needs padding < input size.*"
                                         r"has size 5"):
        call(padding=padding, padding_mode="reflect", method=method)


@each(CONVS)
def test_reflect_same_padding_must_be_narrower_than_the_input(call, method):
    """'same' with a 5x5 kernel pads a 2x2 input by (2, 2): too wide to reflect."""
    with pytest.raises(ValueError, match=r"padding_mode='reflect' needs padding < input size, "
                                         r"but spatial dimension 0 has size 2 and padding "
                                         r"\(2, 2\)"):
        extra = {"grad_output": np.ones((1, 4, 2, 2))} if call is call_conv_backward else {}
        call(input=np.ones((1, 2, 2, 2)), weight=np.ones((4, 2, 5, 5)), padding="same",
             padding_mode="reflect", method=method, **extra)


@each(CONVS)
@pytest.mark.parametrize("padding", [6, ((0, 6), (0, 0))])
def test_circular_padding_must_not_exceed_the_input(call, method, padding):
    """Circular padding may be at most the input size; one more names the mode and sizes."""
    with pytest.raises(ValueError, match=r"padding_mode='circular' needs padding <= input size"
                                         r".*has size 5"):
        call(padding=padding, padding_mode="circular", method=method)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding_mode, padding", [("reflect", 4), ("circular", 5)])
def test_padding_modes_accept_their_widest_padding(method, padding_mode, padding):
    """Reflect up to size - 1 and circular up to size are valid (the limits above are tight)."""
    out = npconv.conv(np.ones((1, 1, 5)), np.ones((1, 1, 3)), padding=padding,
                      padding_mode=padding_mode, method=method)
    assert out.shape == (1, 1, 5 + 2 * padding - 3 + 1)


@each(CONVS)
def test_unknown_padding_mode_is_rejected(call, method):
    """padding_mode='mirror' names padding_mode."""
    with pytest.raises(ValueError, match=r"padding_mode='mirror' is not one of"):
        call(padding_mode="mirror", method=method)


@each(ALL_OPS)
def test_unknown_method_is_rejected(call, method):
    """method='fast' names method and the two that exist."""
    with pytest.raises(ValueError, match=r"method='fast' is not one of \('loops', 'im2col'\)"):
        call(method="fast")


# --------------------------------------------------------------------------------------------
# grad_output, divisor_override
# --------------------------------------------------------------------------------------------

@each(BACKWARDS)
@pytest.mark.parametrize("change", ["batch", "channels", "spatial", "rank"])
def test_grad_output_must_have_the_forward_output_shape(call, method, change):
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
        call(grad_output=np.ones(bad_shape), method=method)


@each(AVG_POOLS)
def test_divisor_override_zero_is_rejected(call, method):
    """divisor_override=0 names divisor_override."""
    with pytest.raises(ValueError, match=r"divisor_override=0 must not be zero"):
        call(divisor_override=0, method=method)


# --------------------------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------------------------

@each(ALL_OPS)
@pytest.mark.parametrize("stride", [1.5, 2.0, (1, 2.0), "2", [1, None]])
def test_non_integer_stride_is_a_type_error(call, method, stride):
    """A float, string or None stride entry is a TypeError naming stride."""
    with pytest.raises(TypeError, match=r"stride=.* must be an int"):
        call(stride=stride, method=method)


@each(DILATED)
def test_non_integer_dilation_is_a_type_error(call, method):
    """dilation=1.5 is a TypeError naming dilation."""
    with pytest.raises(TypeError, match=r"dilation=1.5 must be an int"):
        call(dilation=1.5, method=method)


@each(POOLS)
def test_non_integer_kernel_size_is_a_type_error(call, method):
    """kernel_size=2.0 is a TypeError naming kernel_size."""
    with pytest.raises(TypeError, match=r"kernel_size=2.0 must be an int"):
        call(kernel_size=2.0, method=method)


@each(ALL_OPS)
def test_non_integer_padding_is_a_type_error(call, method):
    """padding=0.5 is a TypeError naming padding."""
    with pytest.raises(TypeError, match=r"padding=0.5 must be an int"):
        call(padding=0.5, method=method)


@each(CONVS + CONV_TRANSPOSES)
def test_non_integer_groups_is_a_type_error(call, method):
    """groups=1.0 is a TypeError naming groups."""
    with pytest.raises(TypeError, match=r"groups=1.0 must be an int"):
        call(groups=1.0, method=method)


@each(AVG_POOLS)
def test_non_integer_divisor_override_is_a_type_error(call, method):
    """divisor_override=2.5 is a TypeError naming divisor_override."""
    with pytest.raises(TypeError, match=r"divisor_override=2.5 must be an int or None"):
        call(divisor_override=2.5, method=method)


@each(ALL_OPS)
def test_complex_input_is_a_type_error(call, method):
    """A complex input is a TypeError naming input and its dtype."""
    with pytest.raises(TypeError, match=r"input must be a real numeric array, got dtype "
                                        r"complex128"):
        call(input=np.ones((1, 2, 5, 5), dtype=complex), method=method)


@each(CONVS + CONV_TRANSPOSES)
def test_complex_weight_is_a_type_error(call, method):
    """A complex weight is a TypeError naming weight."""
    shape = (4, 2, 3, 3) if call in CONVS else (2, 3, 2, 2)
    with pytest.raises(TypeError, match=r"weight must be a real numeric array"):
        call(weight=np.ones(shape, dtype=np.complex64), method=method)


@each(BACKWARDS)
def test_complex_grad_output_is_a_type_error(call, method):
    """A complex grad_output is a TypeError naming grad_output."""
    with pytest.raises(TypeError, match=r"grad_output must be a real numeric array"):
        call(grad_output=np.ones((1, 2, 2, 2), dtype=complex), method=method)


@each([call_conv, call_conv_transpose])
def test_complex_bias_is_a_type_error(call, method):
    """A complex bias is a TypeError naming bias."""
    C_out = 4 if call is call_conv else 3
    with pytest.raises(TypeError, match=r"bias must be a real numeric array"):
        call(bias=np.ones(C_out, dtype=complex), method=method)


# --------------------------------------------------------------------------------------------
# No argument is modified; read-only arrays work
# --------------------------------------------------------------------------------------------

def assert_unchanged(arrays, copies):
    for name in arrays:
        if arrays[name] is not None:
            np.testing.assert_array_equal(arrays[name], copies[name], err_msg=name)


def split(config, names):
    """The config's arrays (by name) and the remaining keyword arguments."""
    args = op_args(config)
    arrays = {name: args.pop(name) for name in names}
    return arrays, args


def output_like(out, seed=0):
    return np.random.default_rng(seed).standard_normal(out.shape)


def read_only_copies(arrays):
    copies = {}
    for name, value in arrays.items():
        copies[name] = None if value is None else value.copy()
        if value is not None:
            copies[name].setflags(write=False)
    return copies


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_conv_and_its_backward_modify_no_argument(method, config):
    """conv and conv_backward leave input, weight, bias and grad_output as they were."""
    arrays, args = split(config, ("input", "weight", "bias"))
    copies = {name: None if a is None else a.copy() for name, a in arrays.items()}
    out = npconv.conv(**arrays, **args, method=method)
    grad_output = output_like(out)
    grad_output_copy = grad_output.copy()
    npconv.conv_backward(grad_output, arrays["input"], arrays["weight"], **args, method=method)
    assert_unchanged(arrays, copies)
    np.testing.assert_array_equal(grad_output, grad_output_copy)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs())
def test_conv_transpose_and_its_backward_modify_no_argument(method, config):
    """conv_transpose and its backward leave every argument as it was."""
    arrays, args = split(config, ("input", "weight", "bias"))
    copies = {name: None if a is None else a.copy() for name, a in arrays.items()}
    out = npconv.conv_transpose(**arrays, **args, method=method)
    grad_output = output_like(out)
    grad_output_copy = grad_output.copy()
    npconv.conv_transpose_backward(grad_output, arrays["input"], arrays["weight"], **args,
                                   method=method)
    assert_unchanged(arrays, copies)
    np.testing.assert_array_equal(grad_output, grad_output_copy)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("max"))
def test_max_pool_and_its_backward_modify_no_argument(method, config):
    """max_pool and max_pool_backward leave input and grad_output as they were."""
    arrays, args = split(config, ("input",))
    x_copy = arrays["input"].copy()
    out = npconv.max_pool(**arrays, **args, return_indices=True, method=method)[0]
    grad_output = output_like(out)
    grad_output_copy = grad_output.copy()
    npconv.max_pool_backward(grad_output, arrays["input"], **args, method=method)
    np.testing.assert_array_equal(arrays["input"], x_copy)
    np.testing.assert_array_equal(grad_output, grad_output_copy)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"))
def test_avg_pool_and_its_backward_modify_no_argument(method, config):
    """avg_pool and avg_pool_backward leave input and grad_output as they were."""
    arrays, args = split(config, ("input",))
    x_copy = arrays["input"].copy()
    out = npconv.avg_pool(**arrays, **args, method=method)
    grad_output = output_like(out)
    grad_output_copy = grad_output.copy()
    npconv.avg_pool_backward(grad_output, arrays["input"], **args, method=method)
    np.testing.assert_array_equal(arrays["input"], x_copy)
    np.testing.assert_array_equal(grad_output, grad_output_copy)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_configs())
def test_conv_accepts_read_only_arrays(method, config):
    """Read-only input, weight, bias and grad_output give the same results as writable ones."""
    arrays, args = split(config, ("input", "weight", "bias"))
    frozen = read_only_copies(arrays)
    out = npconv.conv(**arrays, **args, method=method)
    grad_output = output_like(out)
    grads = npconv.conv_backward(grad_output, arrays["input"], arrays["weight"], **args,
                                 method=method)
    frozen_grad_output = read_only_copies({"g": grad_output})["g"]
    np.testing.assert_array_equal(npconv.conv(**frozen, **args, method=method), out)
    frozen_grads = npconv.conv_backward(frozen_grad_output, frozen["input"], frozen["weight"],
                                        **args, method=method)
    for got, expected in zip(frozen_grads, grads):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=conv_transpose_configs())
def test_conv_transpose_accepts_read_only_arrays(method, config):
    """Read-only arrays give conv_transpose and its backward the same results as writable."""
    arrays, args = split(config, ("input", "weight", "bias"))
    frozen = read_only_copies(arrays)
    out = npconv.conv_transpose(**arrays, **args, method=method)
    grad_output = output_like(out)
    grads = npconv.conv_transpose_backward(grad_output, arrays["input"], arrays["weight"],
                                           **args, method=method)
    frozen_grad_output = read_only_copies({"g": grad_output})["g"]
    np.testing.assert_array_equal(npconv.conv_transpose(**frozen, **args, method=method), out)
    frozen_grads = npconv.conv_transpose_backward(frozen_grad_output, frozen["input"],
                                                  frozen["weight"], **args, method=method)
    for got, expected in zip(frozen_grads, grads):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("max"))
def test_max_pool_accepts_read_only_arrays(method, config):
    """Read-only input and grad_output give max_pool and its backward the same results."""
    arrays, args = split(config, ("input",))
    x = arrays["input"]
    frozen = read_only_copies({"x": x, "g": output_like(npconv.max_pool(x, **args))})
    out, indices = npconv.max_pool(x, **args, return_indices=True, method=method)
    grad = npconv.max_pool_backward(frozen["g"].copy(), x, **args, method=method)
    frozen_out, frozen_indices = npconv.max_pool(frozen["x"], **args, return_indices=True,
                                                 method=method)
    np.testing.assert_array_equal(frozen_out, out)
    np.testing.assert_array_equal(frozen_indices, indices)
    np.testing.assert_array_equal(
        npconv.max_pool_backward(frozen["g"], frozen["x"], **args, method=method), grad)


@pytest.mark.parametrize("method", METHODS)
@given(config=pool_configs("avg"))
def test_avg_pool_accepts_read_only_arrays(method, config):
    """Read-only input and grad_output give avg_pool and its backward the same results."""
    arrays, args = split(config, ("input",))
    x = arrays["input"]
    frozen = read_only_copies({"x": x, "g": output_like(npconv.avg_pool(x, **args))})
    out = npconv.avg_pool(x, **args, method=method)
    grad = npconv.avg_pool_backward(frozen["g"].copy(), x, **args, method=method)
    np.testing.assert_array_equal(npconv.avg_pool(frozen["x"], **args, method=method), out)
    np.testing.assert_array_equal(
        npconv.avg_pool_backward(frozen["g"], frozen["x"], **args, method=method), grad)


@pytest.mark.parametrize("method", ["loops", "im2col"])
@pytest.mark.parametrize("call, name", [
    (lambda x, m: npconv.max_pool(x, 2, ceil_mode="no", method=m), "ceil_mode"),
    (lambda x, m: npconv.max_pool(x, 2, return_indices=1, method=m), "return_indices"),
    (lambda x, m: npconv.avg_pool(x, 2, count_include_pad="False", method=m),
     "count_include_pad"),
    (lambda x, m: npconv.avg_pool_backward(np.ones((1, 1, 2)), x, 2, ceil_mode=None, method=m),
     "ceil_mode"),
])
def test_flags_must_be_bools(call, name, method):
    """A flag given as a string or number (where "no" would read as True) is refused."""
    with pytest.raises(TypeError, match=rf"{name}=.* must be True or False"):
        call(np.zeros((1, 1, 4)), method)


@pytest.mark.parametrize("value, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError)])
def test_workspace_bytes_must_be_a_positive_int(value, error):
    """The im2col workspace bound is a positive number of bytes."""
    x, w = np.zeros((1, 1, 4)), np.ones((1, 1, 2))
    with pytest.raises(error, match=rf"workspace_bytes={value}"):
        npconv.conv(x, w, workspace_bytes=value)
