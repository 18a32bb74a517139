"""The catalogue of traps: every entry's results worked out by hand here, from the rule it
illustrates (never from npconv's output), and every entry named, explained and sourced."""

import math
import re

import numpy as np
import pytest

from npconv.testing import OPS, assert_matches, edge_cases
from npconv.testing.catalogue import CATALOGUE

nan, inf = np.nan, np.inf
r = np.sqrt


def a(values):
    return np.array(values, dtype=np.float64)


# name -> {result: value}, each worked from the rule in the comment
HAND = {
    # windows start at -1, 1, 3 (a 4th would start at 5 = in + before - 1 + 1: dropped);
    # padding never wins
    "max_pool_ceil_window_in_right_padding": {
        "output": a([[[1, 3, 5]]]), "output_indices": [[[0, 2, 4]]],
        "grad_input": a([[[1, 0, 2, 0, 4]]])},
    # windows [0,1], [3,4], [6]: the last divides by its one cell
    "avg_pool_ceil_overhang_not_counted": {
        "output": a([[[(0 + 1) / 2, (3 + 4) / 2, 6 / 1]]]),
        "grad_input": a([[[1 / 2, 1 / 2, 0, 1 / 2, 1 / 2, 0, 1]]])},
    # windows (pad,1,2) (2,3,4) (4,5,6) (6,pad,overhang): divisors 3, 3, 3, 2
    "avg_pool_ceil_overhang_count_include_pad": {
        "output": a([[[3 / 3, 9 / 3, 15 / 3, 6 / 2]]]),
        "grad_input": a([[[1 / 3, 1 / 3 + 2 / 3, 2 / 3, 2 / 3 + 4 / 3, 4 / 3, 4 / 3 + 8 / 2]]])},
    # the same windows, divisors 2, 3, 3, 1 (input cells only)
    "avg_pool_ceil_overhang_exclude_pad": {
        "output": a([[[3 / 2, 9 / 3, 15 / 3, 6 / 1]]]),
        "grad_input": a([[[1 / 2, 1 / 2 + 2 / 3, 2 / 3, 2 / 3 + 4 / 3, 4 / 3, 4 / 3 + 8]]])},
    # windows (pad,1,2) and (2,3,4), each divided by 2
    "avg_pool_divisor_override": {
        "output": a([[[[3 / 2, 9 / 2]]]]), "grad_input": a([[[[1 / 2, 1, 1 / 2, 1 / 2]]]])},
    # padding (0, 1): windows (1,2,3) and (3,4,pad), both divided by 3
    "avg_pool_asymmetric_padding": {
        "output": a([[[6 / 3, 7 / 3]]]), "grad_input": a([[[1 / 3, 1 / 3, 2 / 3, 1 / 3]]])},
    # windows (1,3) (3,3) (3,0): the first 3 wins the tie; cell 1 collects 1 + 2
    "max_pool_tie_first_wins": {
        "output": a([[[3, 3, 3]]]), "output_indices": [[[1, 1, 2]]],
        "grad_input": a([[[0, 1 + 2, 4, 0]]])},
    # windows (1,nan,3) and (nan,0,2): NaN, indices of the last NaN of each
    "max_pool_nan_propagates": {
        "output": a([[[nan, nan]]]), "output_indices": [[[1, 3]]],
        "grad_input": a([[[0, 1, 0, 2, 0, 0]]])},
    # windows (pad,-inf,-inf) and (-inf,-inf,pad): the first input cell of each
    "max_pool_all_neg_inf": {
        "output": a([[[-inf, -inf]]]), "output_indices": [[[0, 1]]],
        "grad_input": a([[[1, 2, 0]]])},
    # 3x3 planes counting down (8..0 and 17..9), padding 1, 2x2 windows starting at -1 and 1:
    # the window maxima sit at (0,0) (0,1) (1,0) (1,1) of the unpadded plane: flat 0, 1, 3, 4
    "max_pool_indices_layout": {
        "output": a([[[[8, 7], [5, 4]], [[17, 16], [14, 13]]]]),
        "output_indices": [[[[0, 1], [3, 4]], [[0, 1], [3, 4]]]],
        "grad_input": a([[[[1, 1, 0], [1, 1, 0], [0, 0, 0]]] * 2])},
    "max_pool_unbatched_indices": {
        "output": a([[[4]]]), "output_indices": [[[1]]], "grad_input": a([[[0, 1], [0, 0]]])},
    # 'same' with kernel 2: padding (0, 1); out[i] = x[i] + 10 x[i+1]
    "conv_same_even_kernel": {
        "output": a([[[1 + 20, 2 + 30, 3 + 40, 4 + 50, 5 + 0]]]),
        # grad x[j] = g[j] * 1 + g[j-1] * 10
        "grad_input": a([[[1, 2 + 10, 4 + 20, 8 + 40, 16 + 80]]]),
        "grad_weight": a([[[1 + 4 + 12 + 32 + 80, 2 + 6 + 16 + 40 + 0]]]),
        "grad_bias": a([31])},
    # kernel 2, dilation 3: span 4, total 3 -> (1, 2); padded 0 1 2 3 4 5 0 0;
    # out[i] = p[i] + 10 p[i+3]
    "conv_same_even_kernel_dilated": {
        "output": a([[[0 + 30, 1 + 40, 2 + 50, 3 + 0, 4 + 0]]]),
        # x[j] sits at padded j+1: read by tap 0 of window j+1, tap 1 of window j-2
        "grad_input": a([[[2, 4, 8 + 10, 16 + 20, 40]]]),
        # tap 0 reads p[i] = 0 1 2 3 4, tap 1 reads p[i+3] = 3 4 5 0 0, against g = 1 2 4 8 16
        "grad_weight": a([[[0 * 1 + 1 * 2 + 2 * 4 + 3 * 8 + 4 * 16, 3 * 1 + 4 * 2 + 5 * 4]]]),
        "grad_bias": a([31])},
    # rows padded (1, 0), columns (0, 1), 2x2 ones, stride 2: windows at rows -1 and 1,
    # columns 0 and 2 of the 4x4 arange
    "conv_asymmetric_padding": {
        "output": a([[[[0 + 1, 2 + 3], [4 + 5 + 8 + 9, 6 + 7 + 10 + 11]]]]),
        "grad_input": a([[[[1, 1, 1, 1]] * 3 + [[0, 0, 0, 0]]]]),
        # tap (a, b) of the 4 windows; the top taps of the first row of windows are padding
        "grad_weight": a([[[[0 + 0 + 4 + 6, 0 + 0 + 5 + 7], [0 + 2 + 8 + 10, 1 + 3 + 9 + 11]]]]),
        "grad_bias": a([4])},
    # reflect by 2 on 1 2 3: 3 2 | 1 2 3 | 2 1; out[i] = p[i] + 10 p[i+1]
    "conv_reflect_at_limit": {
        "output": a([[[3 + 20, 2 + 10, 1 + 20, 2 + 30, 3 + 20, 2 + 10]]]),
        # padded cell j gets g[j] + 10 g[j-1]; padded cells 0..6 copy x2 x1 x0 x1 x2 x1 x0
        "grad_input": a([[[(4 + 20) + (0 + 320),
                            (2 + 10) + (8 + 40) + (32 + 160),
                            (1 + 0) + (16 + 80)]]]),
        "grad_weight": a([[[3 + 4 + 4 + 16 + 48 + 64, 2 + 2 + 8 + 24 + 32 + 32]]]),
        "grad_bias": a([63])},
    # replicate by 3 on 1 2: 1 1 1 | 1 2 | 2 2 2
    "conv_replicate_wider_than_input": {
        "output": a([[[11, 11, 11, 21, 22, 22, 22]]]),
        # padded cell j gets g[j] + 10 g[j-1]; cells 0-3 copy x0, cells 4-7 copy x1
        "grad_input": a([[[(1 + 0) + (2 + 10) + (4 + 20) + (8 + 40),
                           (16 + 80) + (32 + 160) + (64 + 320) + (0 + 640)]]]),
        "grad_bias": a([127])},
    # circular by 3 on 1 2 3: 1 2 3 | 1 2 3 | 1 2 3
    "conv_circular_at_limit": {
        "output": a([[[21, 32, 13, 21, 32, 13, 21, 32]]]),
        "grad_bias": a([8])},
    # only input channel 3 is 1; group 1 (input 2-3) feeds output channels 4-7
    "conv_groups": {
        "output": a([[[0]] * 4 + [[1]] * 4]),
        "grad_input": a([[[4], [4], [4], [4]]]), "grad_bias": a([1] * 8)},
    # out0 = x0[i], out1 = x0[i+1], out2 = x1[i] + x1[i+1], out3 = 2 x1[i]
    "conv_depthwise_multiplier": {
        "output": a([[[1, 2], [2, 3], [9, 11], [8, 10]]]),
        "grad_input": a([[[1, 2 + 4, 8], [16 + 128, 32 + 16 + 256, 32]]]),
        "grad_bias": a([3, 12, 48, 192])},
    "conv_unbatched": {
        "output": a([[3, 5]]), "grad_input": a([[1, 2, 1]]), "grad_weight": a([[[3, 5]]]),
        "grad_bias": a([2])},
    "conv_empty_batch": {
        "output": np.zeros((0, 1, 3)), "grad_input": np.zeros((0, 2, 4)),
        "grad_weight": np.zeros((1, 2, 2)), "grad_bias": a([0])},
    # uncropped: x0 at 0-2, x1 at 2-4 -> 1 1 3 2 2; crop 1 before, output_padding keeps the
    # last cell: positions 1..4, plus the bias
    "conv_transpose_output_padding_at_limit": {
        "output": a([[[1.5, 3.5, 2.5, 2.5]]]),
        "grad_input": a([[[1 + 2, 2 + 4 + 8]]]),            # output cells x0 and x1 reach
        # tap t of input i lands on uncropped i*2 + t, output cell i*2 + t - 1
        "grad_weight": a([[[2 * 2, 1 * 1 + 2 * 4, 1 * 2 + 2 * 8]]]),
        "grad_bias": a([15])},
    # dilation 3: x0 at 0 and 3, x1 at 1 and 4; cells 5-6 come from output_padding alone
    "conv_transpose_output_padding_over_stride": {
        "output": a([[[1, 2, 0, 1, 2, 0, 0]]]),
        "grad_input": a([[[1 + 8, 2 + 16]]]), "grad_weight": a([[[1 + 4, 8 + 32]]]),
        "grad_bias": a([127])},
    # x0 lands at 0, 3, 6 and x1 at 2, 5, 8 (taps 3 apart, inputs 2 apart); the smallest
    # size is (2-1)*2 + 3*(3-1) + 1 = 9, output_size 10 adds cell 9 (the bias alone)
    "conv_transpose_output_size_largest_dilated": {
        "output": a([[[1, 0, 2, 10, 0, 20, 100, 0, 200, 0]]]) + 0.5,
        # g = 2**j: x0 reads g0 + 10 g3 + 100 g6, x1 g2 + 10 g5 + 100 g8
        "grad_input": a([[[1 + 10 * 8 + 100 * 64, 4 + 10 * 32 + 100 * 256]]]),
        "grad_weight": a([[[1 * 1 + 2 * 4, 1 * 8 + 2 * 32, 1 * 64 + 2 * 256]]]),
        "grad_bias": a([1023])},
    # the smallest size (2-1)*2 + 2 = 4; (1, 1, 5): spatial 5, output_padding 1
    "conv_transpose_output_size_with_n_and_c": {
        "output": a([[[1, 1, 2, 2, 0]]]),
        "grad_input": a([[[1 + 2, 4 + 8]]]), "grad_weight": a([[[1 * 1 + 2 * 4, 1 * 2 + 2 * 8]]]),
        "grad_bias": a([31])},
    # one 2x2 window per (row 0, column 0 or 1); rows: channel 0's taps (0,0) (0,1) (1,0)
    # (1,1), then channel 1's; a column cell's gradient is grad_output there
    "unfold_layout_channel_major": {
        "output": a([[[0, 1], [1, 2], [3, 4], [4, 5], [10, 11], [11, 12], [13, 14], [14, 15]]]),
        # cell (r, c) of a channel is tap (r, c - j) of window j
        "grad_input": a([[[[1, 2 + 4, 8], [16, 32 + 64, 128]],
                          [[256, 512 + 1024, 2048], [4096, 8192 + 16384, 32768]]]])},
    # taps at columns j and j + 2 of rows i, i + 1: windows (0, 0) and (1, 0)
    "unfold_dilation_per_dimension": {
        "output": a([[[1, 4], [3, 6], [4, 7], [6, 9]]]),
        "grad_input": a([[[[1, 0, 4], [16 + 2, 0, 64 + 8], [32, 0, 128]]]])},
    # windows start at rows -1, 0, 1 and columns 0, 1; tap (a, b) of window (i, j) reads
    # x[i - 1 + a, j + b], 0 off the input
    "unfold_padding_per_dimension": {
        "output": a([[[0, 0, 1, 2, 4, 5], [0, 0, 2, 3, 5, 6], [1, 2, 4, 5, 0, 0],
                      [2, 3, 5, 6, 0, 0]]]),
        # grad_output ones: each cell collects one per window over it (2 rows x 1-2 columns)
        "grad_input": a([[[[2, 4, 2], [2, 4, 2]]]])},
    # the four 2x2 windows of a 3x3 plane, each column written back and summed
    "fold_overlapping_windows_add_up": {
        "output": a([[[[1, 2 + 2, 3], [4 + 4, 5 * 4, 6 + 6], [7, 8 + 8, 9]]]]),
        # the gradient of a column cell is grad_output where it lands: the unfold of 1..9
        "grad_input": a([[[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]])},
    # tap 0 of window l lands at l - 1, tap 1 at l: 1 (at -1) and 128 (at 3) are dropped
    "fold_padding_dropped": {
        "output": a([[[[2 + 16, 4 + 32, 8 + 64]]]]),
        "grad_input": a([[[0, 1, 10, 100], [1, 10, 100, 0]]])},
    # tap t of window i lands at 2i - 1 + t: rows 0, 1, 2 of columns 0, 1, 2
    "fold_output_size_of_one": {
        "output": a([[[[8], [64 + 2], [16], [128 + 4], [32]]]]),
        "grad_input": a([[[0, 10, 1000], [1, 100, 10000], [10, 1000, 0]]])},
    "max_unpool_output_size_below_default": {
        "output": a([[[0, 5, 7]]]), "grad_input": a([[[2, 4]]])},
    "max_unpool_output_size_above_default": {
        "output": a([[[0, 5, 0, 0, 7]]]), "grad_input": a([[[2, 16]]])},
    # index 2 carried by cells 0 and 1: cell 1 (the last) stays
    "max_unpool_duplicate_indices": {
        "output": a([[[3, 0, 2, 0, 0, 0]]]), "grad_input": a([[[4, 4, 1]]])},
    # windows 0-1, 1-3, 3-4
    "adaptive_avg_pool_overlapping_windows": {
        "output": a([[[3 / 2, 9 / 3, 9 / 2]]]),
        "grad_input": a([[[1 / 2, 1 / 2 + 2 / 3, 2 / 3, 2 / 3 + 4 / 2, 4 / 2]]])},
    # windows [0], [0, 1], [1]
    "adaptive_max_pool_more_out_than_in": {
        "output": a([[[1, 5, 5]]]), "output_indices": [[[0, 1, 1]]],
        "grad_input": a([[[1, 2 + 4]]])},
    # (K * mean(x**2)) ** (1/2), K = 2: sqrt(9 + 16) and sqrt(2 * 36)
    "lp_pool_ceil_mode_rescaled": {
        "output": a([[[5, r(72)]]]),
        # d/dx of sqrt(K/c * sum x^2) = (K/c) x / out
        "grad_input": a([[[3 / 5, 4 / 5, 2 * (2 * 6 / r(72))]]])},
    # p = -0.5: (-1)**-0.5 is NaN; (2**-0.5 + 1) ** -2
    "lp_pool_negative_fractional_power": {
        "output": a([[[nan, (2 ** -0.5 + 1) ** -2]]])},
    # p = 3, kernel 1: cube roots of cubes; negative ones NaN
    "lp_pool_odd_power_negative": {
        "output": a([[[nan, nan, nan, 1, 2, 3]]])},
}


def test_hand_table_covers_the_catalogue():
    assert sorted(HAND) == sorted(entry["name"] for entry in CATALOGUE)


@pytest.mark.parametrize("case", edge_cases(), ids=lambda case: case.name)
def test_catalogue_results_match_the_rules_worked_by_hand(case):
    results = case.expected()
    for name, value in HAND[case.name].items():
        value = np.asarray(value)
        assert results[name].shape == value.shape, name
        if name == "output_indices":
            np.testing.assert_array_equal(results[name], value)
        else:
            np.testing.assert_allclose(results[name], value, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{case.name}: {name}")


@pytest.mark.parametrize("case", edge_cases(), ids=lambda case: case.name)
def test_catalogue_cases_agree_across_methods_and_dtypes(case):
    assert assert_matches(case.reference("loops"), case)
    single = case.astype(np.float32)
    assert_matches(single.reference("loops"), single)
    assert single.expected()["output"].dtype == np.float32


def test_every_entry_is_named_explained_and_sourced():
    names = [entry["name"] for entry in CATALOGUE]
    assert len(names) == len(set(names))
    for entry in CATALOGUE:
        assert re.fullmatch(r"[a-z0-9_]+", entry["name"]) and entry["name"].startswith(
            entry["op"])
        assert entry["why"] and "\n" not in entry["why"]
        assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+/(issues|pull)/\d+",
                            entry["source"]), entry["source"]
    assert {entry["op"] for entry in CATALOGUE} == set(OPS)


def test_filters_and_fresh_copies():
    assert {case.op for case in edge_cases(ops=["lp_pool"])} == {"lp_pool"}
    first, = edge_cases(names=["max_pool_tie_first_wins"])
    first.arguments["input"][...] = 0                   # a caller scribbling on a case...
    again, = edge_cases(names=["max_pool_tie_first_wins"])
    assert again.arguments["input"].tolist() == [[[1, 3, 3, 0]]]    # ...cannot change the next
    assert math.isnan(edge_cases(names=["max_pool_nan_propagates"])[0].expected()["output"][0, 0, 0])


# ---- which traps PyTorch's functional ops take as they are --------------------------------

def functional_op_takes(case):
    """PyTorch's F.* signatures, written out: no (before, after) padding pairs (padding is an
    int, one int per dimension, or a string for conv), no padding_mode (only the Conv
    layers take it), no output_size for a transposed convolution (only the layers'
    forward takes it)."""
    a = case.arguments
    padding = a.get("padding", 0)
    if not (isinstance(padding, (int, str)) or all(isinstance(p, int) for p in padding)):
        return False
    if "padding_mode" in a:
        return False
    return not (case.op == "conv_transpose" and "output_size" in a)


def test_each_trap_says_whether_pytorch_functional_op_takes_it():
    for case in edge_cases():
        assert case.torch_compatible is functional_op_takes(case), case.name


def test_the_torch_compatible_filter_keeps_exactly_those_traps():
    everything = edge_cases()
    assert len(everything) == len(CATALOGUE)               # the default: every trap
    kept = edge_cases(torch_compatible=True)
    assert [c.name for c in kept] == [c.name for c in everything if functional_op_takes(c)]
    assert len(everything) - len(kept) == 7                # 2 pool/conv pairs, 3 modes, 2 sizes
    conv_kept = edge_cases(ops=["conv"], dtype=np.float32, torch_compatible=True)
    assert conv_kept and all(c.op == "conv" and c.torch_compatible for c in conv_kept)
    assert all(np.asarray(c.arguments["input"]).dtype == np.float32 for c in conv_kept)
    assert all(c.torch_compatible for c in (c.astype(np.float32) for c in conv_kept))
