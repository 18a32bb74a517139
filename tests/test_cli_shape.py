"""``npconv shape`` through its entry point.

Expected numbers come from the formulas as PyTorch documents them (written out in each
test), TensorFlow's SAME rule, or PyTorch's ceil_mode rule; never from npconv.
"""

import math

import pytest

from npconv.cli import main


def run(capsys, *argv):
    status = main(["shape", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_strided_dilated_conv2d_shows_each_size_with_its_formula(capsys):
    status, out, err = run(capsys, "conv2d", "--input", "1x3x32x32", "--out-channels", "16",
                           "--kernel", "3", "--stride", "2", "--padding", "1",
                           "--dilation", "2")
    assert status == 0 and err == ""
    size = math.floor((32 + 2 * 1 - 2 * (3 - 1) - 1) / 2) + 1           # PyTorch's Conv2d
    assert size == 15
    assert f"conv2d: input 1x3x32x32 -> output 1x16x{size}x{size}" in out
    assert f"  H: floor((32 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(29 / 2) + 1 = {size}" in out
    assert f"  W: floor((32 + 2*1 - 2*(3-1) - 1) / 2) + 1 = floor(29 / 2) + 1 = {size}" in out
    assert "3x3 taps span 5x5 cells" in out                             # 2*(3-1) + 1
    assert f"= {16 * 3 * 3 * 3 + 16}" in out                             # weights + biases
    # TensorFlow SAME: out = ceil(32 / 2) = 16, total = (16-1)*2 + 5 - 32 = 3 -> (1, 2)
    assert "'same' padding (before, after): H (1, 2), W (1, 2) -> HxW 16x16" in out


def test_rank_comes_from_the_input_when_not_named(capsys):
    status, out, _ = run(capsys, "conv", "--input", "2x4x10", "--out-channels", "8",
                         "--kernel", "3")
    assert status == 0
    assert "conv1d: input 2x4x10 -> output 2x8x8" in out                # 10 - 3 + 1
    assert f"= {8 * 4 * 3 + 8}" in out


def test_groups_and_no_bias(capsys):
    status, out, _ = run(capsys, "conv2d", "--input", "1x32x8x8", "--out-channels", "32",
                         "--kernel", "3", "--groups", "32", "--no-bias")
    assert status == 0
    assert f"= {32 * 1 * 9}" in out                                      # depthwise


def test_conv_transpose_and_target(capsys):
    status, out, _ = run(capsys, "conv_transpose2d", "--input", "1x64x16x16",
                         "--out-channels", "3", "--kernel", "3", "--stride", "2",
                         "--padding", "1", "--target", "32")
    assert status == 0
    # PyTorch's ConvTranspose2d: (16-1)*2 - 2*1 + 1*(3-1) + output_padding + 1 = 31 + op
    assert "-> output 1x3x32x32" in out
    assert "output_padding reaching --target: H 1, W 1" in out
    assert f"= {3 * 64 * 9 + 3:,}" in out                               # (C_in, C_out, k, k)


def test_conv_transpose_target_out_of_reach(capsys):
    status, out, err = run(capsys, "conv_transpose1d", "--input", "1x1x16",
                           "--out-channels", "1", "--kernel", "3", "--stride", "2",
                           "--padding", "1", "--target", "40")
    assert status == 2
    # (16-1)*2 - 2 + 2 + op + 1 = 31 + op with op in {0, 1}: 40 cannot be reached
    assert "does not fit this layer: L: target_size=40 is out of reach" in out
    assert "L: target_size=40 is out of reach" in err


def test_groups_that_do_not_divide_the_channels_are_the_headline(capsys):
    status, out, err = run(capsys, "conv2d", "--input", "1x3x32x32", "--out-channels", "8",
                           "--kernel", "3", "--groups", "2")
    assert status == 2
    assert out.splitlines()[0] == ("conv2d: input 1x3x32x32 does not fit this layer: "
                                   "groups=2 must divide the input channels C_in=3")


def test_max_pool_ceil_mode_keeps_a_partial_window(capsys):
    status, out, _ = run(capsys, "max_pool2d", "--input", "1x1x5x5", "--kernel", "2",
                         "--ceil-mode")
    assert status == 0
    # ceil((5 - 2) / 2) + 1 = 3; the last window starts at 4 < 5: kept
    assert "-> output 1x1x3x3" in out
    assert "ceil_mode window H[2]: taps at [4, 5], 1 on the input, 0 on padding -> kept" in out


def test_max_pool_ceil_mode_drops_a_window_starting_in_the_padding(capsys):
    status, out, _ = run(capsys, "max_pool1d", "--input", "1x1x5", "--kernel", "3",
                         "--stride", "3", "--padding", "1", "--ceil-mode")
    assert status == 0
    # ceil((5 + 2 - 3) / 3) + 1 = 3, but (3 - 1) * 3 = 6 >= 5 + 1: PyTorch drops it -> 2
    assert "-> output 1x1x2" in out
    assert "L[2]: taps at [5, 6, 7], 0 on the input, 1 on padding -> dropped" in out


def test_avg_pool_border_divisors(capsys):
    status, out, _ = run(capsys, "avg_pool1d", "--input", "1x1x6", "--kernel", "3",
                         "--stride", "2", "--padding", "1", "--ceil-mode",
                         "--no-count-include-pad")
    assert status == 0
    # windows over padded positions -1..7: [-1,0,1] [1,2,3] [3,4,5] [5,6,7]; real cells
    # 0..5 in each: 2, 3, 3, 1
    assert "-> output 1x1x4" in out
    assert "average divisors along L: 2 3 3 1" in out


def test_avg_pool_divisors_count_padding_but_not_overhang(capsys):
    status, out, _ = run(capsys, "avg_pool1d", "--input", "1x1x6", "--kernel", "3",
                         "--stride", "2", "--padding", "1", "--ceil-mode")
    assert status == 0
    # the last window [5, 6, 7]: 5 is input, 6 is padding, 7 beyond it -> 2
    assert "average divisors along L: 3 3 3 2" in out


def test_pooling_has_no_parameters(capsys):
    status, out, _ = run(capsys, "avg_pool2d", "--input", "1x3x8x8", "--kernel", "2")
    assert status == 0
    assert "parameters: 0" in out


def test_no_valid_output_explains_each_dimension(capsys):
    status, out, err = run(capsys, "conv2d", "--input", "1x1x4x6", "--out-channels", "1",
                           "--kernel", "5", "--dilation", "2")
    assert status == 2
    assert "has no valid output" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1                          # both dimensions on one line
    # span 2*(5-1) + 1 = 9 against 4 and 6 cells
    h_problem, w_problem = lines[0].split("; ")
    assert h_problem.startswith("npconv shape: error: H: output size -4 < 1")
    assert "spans 9 cells" in h_problem and "has only 4" in h_problem
    assert w_problem.startswith("W: output size -2 < 1")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, reason", [
    (["max_pool2d", "--input", "1x1x8x8", "--kernel", "2", "--padding", "2"],
     "must be at most half the kernel"),
    (["conv2d", "--input", "1x3x8x8", "--out-channels", "4", "--kernel", "3", "--groups", "2"],
     "groups=2 must divide the input channels C_in=3"),
    (["conv_transpose1d", "--input", "1x1x4", "--out-channels", "1", "--kernel", "3",
      "--stride", "2", "--output-padding", "2"],
     "output_padding=2 in spatial dimension 0 must be smaller"),
    (["max_pool1d", "--input", "1x1x2", "--kernel", "2", "--dilation", "3", "--padding", "1",
      "--stride", "1"], "holds no input cell"),
])
def test_invalid_configurations(argv, reason, capsys):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert reason in err


def test_padding_same_with_an_even_kernel(capsys):
    status, out, _ = run(capsys, "conv1d", "--input", "1x1x5", "--out-channels", "1",
                         "--kernel", "4", "--padding", "same")
    assert status == 0
    # total = (5 - 1) * 1 + 4 - 5 = 3 -> (1, 2), the extra cell after; out = 5
    assert "-> output 1x1x5" in out
    assert "  L: floor((5 + 1 + 2 - 1*(4-1) - 1) / 1) + 1 = floor(4 / 1) + 1 = 5" in out


def test_a_huge_ceil_mode_window_is_reported_in_a_few_short_lines(capsys):
    """Kernel 1000001, padding 500000, stride 4 on 100 cells: ceil((100 + 2*500000 - 1000000
    - 1) / 4) + 1 = ceil(99 / 4) + 1 = 26 windows; the last, window 25, starts at
    25*4 - 500000 = -499900 and ends at -499900 + 1000000 = 500100.  Its taps are listed by
    their ends, not one by one."""
    status, out, err = run(capsys, "max_pool1d", "--input", "1x1x100", "--kernel", "1000001",
                           "--padding", "500000", "--ceil-mode", "--stride", "4")
    assert status == 0 and err == ""
    assert "-> output 1x1x26" in out
    assert "ceil_mode window L[25]: taps at [-499900, -499899, ..., 500100], 100 on the input" in out
    assert len(out) < 2000


# --------------------------------------------------------------------------------------------
# The rest of the pooling family
# --------------------------------------------------------------------------------------------

def test_max_unpool_default_size_and_legal_range(capsys):
    status, out, err = run(capsys, "max_unpool2d", "--input", "1x64x56x56", "--kernel", "2")
    assert status == 0 and err == ""
    # PyTorch's MaxUnpool2d: (56 - 1) * 2 - 2 * 0 + 2 = 112; output_size strictly between
    # 112 - 2 and 112 + 2
    assert "max_unpool2d: input 1x64x56x56 -> output 1x64x112x112" in out
    assert "  H: (56 - 1)*2 - 2*0 + 2 = 112" in out
    assert "(PyTorch's rule): H 111..113, W 111..113" in out
    assert "parameters: 0" in out


def test_max_unpool_output_size_in_and_out_of_reach(capsys):
    # kernel 3, stride 2, padding 1 on 3 cells: (3 - 1) * 2 - 2 + 3 = 5; legal 4..6
    status, out, _ = run(capsys, "max_unpool1d", "--input", "1x1x3", "--kernel", "3",
                         "--stride", "2", "--padding", "1", "--output-size", "6")
    assert status == 0
    assert "-> output 1x1x6" in out and "--output-size asked for: L 6 reachable" in out
    status, out, err = run(capsys, "max_unpool2d", "--input", "1x1x3x3", "--kernel", "3",
                           "--stride", "2", "--padding", "1", "--output-size", "1x1x4x7")
    assert status == 2
    assert "--output-size asked for: H 4 reachable, W 7 out of reach (4..6)" in out
    assert err.count("\n") == 1
    assert "spatial dimension 1 must be from 4 to 6" in err and "Traceback" not in err


def test_max_unpool_with_no_output_explains_the_formula(capsys):
    # (1 - 1) * 2 - 2 * 1 + 1 = -1 cells
    status, out, err = run(capsys, "max_unpool1d", "--input", "1x1x1", "--kernel", "1",
                           "--stride", "2", "--padding", "1")
    assert status == 2
    assert "has no valid output" in out and "would be -1" in err


@pytest.mark.parametrize("op, size, window_lines, verdict", [
    # 7 -> 1: the single window is the whole plane (global average pooling)
    ("adaptive_avg_pool2d", "1", ["  H windows: [0, 7); widest 7 cells"],
     "H yes, kernel = stride = 7/1 = 7; W yes, kernel = stride = 7/1 = 7"),
    # 7 -> 3: floor(i*7/3) .. ceil((i+1)*7/3) = [0, 3), [2, 5), [4, 7)
    ("adaptive_max_pool2d", "3x7", ["  H windows: [0, 3), [2, 5), [4, 7); widest 3 cells",
                                    "  W windows: [0, 1), [1, 2), ..., [6, 7); widest 1 cell"],
     "H no: 7/3 is not whole, neighbouring windows share cells; W yes, kernel = stride = "
     "7/7 = 1"),
])
def test_adaptive_pool_windows_per_dimension(capsys, op, size, window_lines, verdict):
    status, out, err = run(capsys, op, "--input", "2x512x7x7", "--output-size", size)
    assert status == 0 and err == ""
    sizes = (1, 1) if size == "1" else (3, 7)
    assert f"-> output 2x512x{sizes[0]}x{sizes[1]}" in out
    assert f"  H: floor(i*7/{sizes[0]}) to ceil((i+1)*7/{sizes[0]}), i = 0..{sizes[0] - 1}" \
        in out
    for line in window_lines:
        assert line in out.splitlines()
    assert f"ordinary pooling with kernel = stride = in/out: {verdict}" in out


def test_adaptive_pool_to_more_cells_than_the_input_repeats_cells(capsys):
    # 2 -> 5: floor(i*2/5) .. ceil((i+1)*2/5) = [0,1) [0,1) [0,2) [1,2) [1,2)
    status, out, _ = run(capsys, "adaptive_avg_pool1d", "--input", "1x1x2",
                         "--output-size", "5")
    assert status == 0
    assert "  L windows: [0, 1), [0, 1), ..., [1, 2); widest 2 cells" in out
    assert "neighbouring windows repeat cells" in out


def test_lp_pool_window_count_and_formula(capsys):
    status, out, err = run(capsys, "lp_pool2d", "--input", "1x64x112x112", "--norm-type", "2",
                           "--kernel", "3", "--stride", "2")
    assert status == 0 and err == ""
    # PyTorch's LPPool2d: floor((112 - 3) / 2) + 1 = 55, no padding
    assert "-> output 1x64x55x55" in out
    assert "  H: floor((112 - 3) / 2) + 1 = floor(109 / 2) + 1 = 55" in out
    assert "(K * mean of x^2)^(1/2) with K = 3*3 = 9" in out


def test_lp_pool_ceil_mode_rescales_a_window_cut_short(capsys):
    status, out, _ = run(capsys, "lp_pool1d", "--input", "1x1x5", "--norm-type", "1",
                         "--kernel", "2", "--ceil-mode")
    assert status == 0
    # ceil((5 - 2) / 2) + 1 = 3 windows: [0, 1], [2, 3], [4, 5]: the last holds 1 cell of 2,
    # and PyTorch multiplies its mean by the full 2: lp_pool([1, 2, 3, 4, 5], 1, 2) = 3 7 10
    assert "-> output 1x1x3" in out
    assert "cells held (PyTorch's mean divides by them) along L: 2 2 1" in out
    assert "scaled up by K / cells" in out


def test_lp_pool_refusals_are_the_ops(capsys):
    status, _, err = run(capsys, "lp_pool1d", "--input", "1x1x5", "--norm-type", "0",
                         "--kernel", "2")
    assert status == 2 and "norm_type=0.0 must be a non-zero number" in err
    status, out, err = run(capsys, "lp_pool1d", "--input", "1x1x2", "--norm-type", "2",
                           "--kernel", "3")
    # floor((2 - 3) / 3) + 1 = 0 windows
    assert status == 2 and "has no valid output" in out
    assert "output size along spatial dimension 0 would be 0" in err


def test_lp_pool_with_an_infinite_power_is_max_pooling_of_the_magnitudes(capsys):
    status, out, _ = run(capsys, "lp_pool1d", "--input", "1x1x5", "--norm-type=-inf",
                         "--kernel", "2")
    # PyTorch's lp_pool: p = -inf is -max_pool(-|x|); floor((5 - 2) / 2) + 1 = 2 windows
    assert status == 0 and "-> output 1x1x2" in out
    assert "note: out = the window's smallest |x|" in out


# --------------------------------------------------------------------------------------------
# Unfold and fold; conv_transpose's --output-size
# --------------------------------------------------------------------------------------------

def test_unfold_windows_rows_and_columns(capsys):
    status, out, err = run(capsys, "unfold", "--input", "2x3x32x32", "--kernel", "3",
                           "--padding", "1")
    assert status == 0 and err == ""
    # PyTorch's F.unfold: (N, C * prod(kernel_size), L), L = prod of floor((32 + 2 - 2 - 1)
    # / 1) + 1 = 32 per dimension
    assert "unfold: input 2x3x32x32 -> output 2x27x1024" in out
    assert "  H: floor((32 + 2*1 - 1*(3-1) - 1) / 1) + 1 = floor(31 / 1) + 1 = 32" in out
    assert "note: rows: C*K = 3 * 3*3 = 27, channel-major" in out
    assert "note: columns: L = 32*32 = 1,024, one per window position, row-major" in out
    assert "windows share positions along H, W" in out


def test_unfold_in_one_dimension_says_pytorch_takes_images(capsys):
    status, out, _ = run(capsys, "unfold", "--input", "1x2x7", "--kernel", "3", "--stride",
                         "2", "--dilation", "2")
    # floor((7 - 2*(3-1) - 1) / 2) + 1 = 2 windows, 2 channels * 3 taps
    assert status == 0 and "unfold: input 1x2x7 -> output 1x6x2" in out
    assert "works on images only" in out


def test_fold_checks_the_columns_against_output_size(capsys):
    status, out, err = run(capsys, "fold", "--input", "1x27x1024", "--output-size", "32",
                           "--kernel", "3", "--padding", "1")
    assert status == 0 and err == ""
    assert "fold: input 1x27x1024 -> output 1x3x32x32" in out      # 27 rows / 9 taps
    status, out, err = run(capsys, "fold", "--input", "1x27x1000", "--output-size", "32x32",
                           "--kernel", "3", "--padding", "1")
    assert status == 2 and "does not fit this layer" in out
    assert "input has L = 1000 columns" in err and "32 * 32 = 1024" in err
    assert err.count("\n") == 1
    status, _, err = run(capsys, "fold", "--input", "1x26x1024", "--output-size", "32x32",
                         "--kernel", "3", "--padding", "1")
    assert status == 2 and "26 rows" in err and "divisible by" in err


def test_conv_transpose_output_size_shows_the_range_and_the_output_padding(capsys):
    status, out, err = run(capsys, "conv_transpose2d", "--input", "1x64x16x16",
                           "--out-channels", "3", "--kernel", "3", "--stride", "2",
                           "--padding", "1", "--output-size", "1x3x32x31")
    assert status == 0 and err == ""
    # (16 - 1)*2 - 2*1 + 1*(3-1) + 1 = 31 with output_padding 0, up to stride - 1 more
    assert "-> output 1x3x32x31" in out
    assert "(PyTorch's rule): H 31..32, W 31..32" in out
    assert "--output-size asked for: H 32 reachable with output_padding 1, W 31 reachable " \
           "with output_padding 0" in out
    assert "an explicit --output-padding" not in out          # the same range: stride > 1


def test_conv_transpose_output_size_stops_short_of_output_padding_when_dilated(capsys):
    status, out, err = run(capsys, "conv_transpose1d", "--input", "1x1x4", "--out-channels",
                           "1", "--kernel", "3", "--stride", "2", "--dilation", "3",
                           "--output-size", "15")
    # (4 - 1)*2 + 3*(3-1) + 1 = 13; PyTorch's output_size: up to 13 + 2 - 1 = 14; an
    # explicit output_padding below max(2, 3) = 3 reaches 15
    assert status == 2
    assert "L 13..14" in out and "an explicit --output-padding reaches further" in out
    assert "L 13..15" in out and "--output-size asked for: L 15 out of reach (13..14)" in out
    assert "output_size=(15,): spatial dimension 0 must be from 13 to 14" in err
