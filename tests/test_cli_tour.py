"""``npconv tour`` through its entry point, and the sections' numbers against their sources.

The convolution example is the cheat sheet's (Stanford UFLDL's animation: a 5x5 binary
image, the kernel [[1,0,1],[0,1,0],[1,0,1]], feature map [[4,3,4],[2,4,3],[2,3,4]]); the
pooling example is CS231n's (max pool 2x2 of [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]] is
[[6,8],[3,4]]).  Other expectations are the formulas written out here.
"""


import importlib

import numpy as np
import pytest

from npconv.tools import tour
from npconv.cli import main

# The modules whose functions the failure tests break.  importlib, because the package
# could once hide a module behind a function of the same name.
CALCULATOR, IM2COL, LOOPS = (importlib.import_module(f"npconv.{name}")
                             for name in ("tools.calculator", "im2col", "loops"))


def matrices(section):
    """Every matrix the section prints, by label."""
    return {label: array for item in section.body if isinstance(item, tour.Matrices)
            for label, array in item.arrays}


SECTION_NAMES = ["convolution", "padding", "pooling", "output-size", "parameters",
                 "dilation", "transposed", "matrix-multiply"]


def test_whole_tour_runs_every_section_and_every_proof_passes(capsys):
    """A smoke check on a correct install; the tests below make the proofs fail."""
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    proofs = out.count("[ok  ]")
    assert proofs >= 2 * len(SECTION_NAMES)
    assert f"{proofs} of {proofs} live proofs passed" in out
    for name in SECTION_NAMES:
        assert f"[{name}] ==" in out
    assert out.count("step through it: npconv/") == len(SECTION_NAMES)
    assert out.count("loops and im2col give the same output") >= len(SECTION_NAMES)
    assert out.count("matches finite differences") >= len(SECTION_NAMES)


def test_one_section(capsys):
    assert main(["tour", "--section", "dilation"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ==\n") == 1
    assert "[dilation] ==" in out
    # effective kernel: 2 * (3 - 1) + 1 = 5; 9 weights
    assert "spanning 2*(3-1) + 1 = 5 cells per side while keeping its 9 weights" in out
    assert "step through it: npconv/loops.py: conv" in out


def test_list(capsys):
    assert main(["tour", "--list"]) == 0
    assert capsys.readouterr().out.split() == SECTION_NAMES


def test_section_names_match_the_module():
    assert list(tour.SECTIONS) == SECTION_NAMES


def test_convolution_is_the_cheat_sheets_example():
    shown = matrices(tour.convolution())
    np.testing.assert_array_equal(shown["input 5x5"], [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0],
                                                       [0, 0, 1, 1, 1], [0, 0, 1, 1, 0],
                                                       [0, 1, 1, 0, 0]])
    feature_map = shown["feature map 3x3"]
    np.testing.assert_array_equal(feature_map, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_pooling_is_cs231ns_example():
    shown = matrices(tour.pooling())
    np.testing.assert_array_equal(shown["max pool 2x2"], [[6, 8], [3, 4]])
    # averages of the four 2x2 blocks, by hand
    np.testing.assert_array_equal(shown["average pool 2x2"], [[13 / 4, 21 / 4], [8 / 4, 8 / 4]])


def test_output_size_section_substitutes_the_numbers(capsys):
    assert main(["tour", "--section", "output-size"]) == 0
    out = capsys.readouterr().out
    # floor((7 + 2 - 2 - 1) / 2) + 1 = 4 and floor((9 + 2 - 2 - 1) / 2) + 1 = 5
    assert "H_out = floor((7 + 2*1 - 1*(3-1) - 1) / 2) + 1 = floor(6 / 2) + 1 = 4" in out
    assert "W_out = floor((9 + 2*1 - 1*(3-1) - 1) / 2) + 1 = floor(8 / 2) + 1 = 5" in out


def test_parameters_section(capsys):
    assert main(["tour", "--section", "parameters"]) == 0
    out = capsys.readouterr().out
    assert f"3 * 3 * 3 + 1 = {3 * 3 * 3 + 1}" in out
    assert f"= {16 * (3 * 3 * 3 + 1)}" in out
    assert "a pooling layer: 0" in out


def test_transposed_section_recovers_the_shape_and_matches_zero_insertion():
    section = tour.transposed()
    assert all(proof.passed for proof in section.proofs)
    shown = matrices(section)
    x, w = shown["input 2x2"], shown["kernel 3x3"]
    # the scatter definition, written here: each input cell stamps the kernel
    expected = np.zeros((5, 5))
    for i in range(2):
        for j in range(2):
            expected[2 * i:2 * i + 3, 2 * j:2 * j + 3] += x[i, j] * w
    np.testing.assert_array_equal(shown["transposed conv 5x5"], expected)
    np.testing.assert_array_equal(shown["conv 5x5"], expected)


@pytest.mark.parametrize("name", SECTION_NAMES)
def test_every_section_proves_agreement_and_gradients(name):
    section = tour.SECTIONS[name]()
    claims = [proof.claim for proof in section.proofs]
    assert any("loops and im2col" in claim for claim in claims)
    assert any("finite differences" in claim for claim in claims)
    assert all(proof.passed for proof in section.proofs)
    assert all(": " in where and where.startswith("npconv/") for where in section.read)


# --------------------------------------------------------------------------------------------
# The proofs can fail: break one op and the tour says FAIL and exits with 1
# --------------------------------------------------------------------------------------------

def proof_lines(out):
    return [line.strip() for line in out.splitlines() if line.strip().startswith("[")]


def test_tour_fails_when_im2cols_forward_is_slightly_wrong(monkeypatch, capsys):
    correct = IM2COL.conv

    def off_by_a_thousandth(*args, **kwargs):
        return correct(*args, **kwargs) * 1.001

    monkeypatch.setattr(IM2COL, "conv", off_by_a_thousandth)
    assert main(["tour", "--section", "convolution"]) == 1
    out = capsys.readouterr().out
    lines = proof_lines(out)
    assert any(line.startswith("[FAIL] conv: loops and im2col give the same output")
               for line in lines)
    # im2col's finite differences now run on the scaled forward: 1e-3 off its backward
    assert any(line.startswith("[FAIL] conv_backward matches finite differences")
               for line in lines)
    assert "0 of 2 live proofs passed" in out


def test_a_crash_in_an_op_is_a_failed_section_not_a_bad_argument(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ValueError("broken on purpose")

    monkeypatch.setattr(IM2COL, "max_pool", broken)
    assert main(["tour", "--section", "pooling", "--section", "dilation"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] the section raised ValueError: broken on purpose" in out
    assert "== Dilated convolution" in out          # the next section still runs
    assert "3 of 4 live proofs passed" in out       # 1 crashed section + dilation's 3 proofs


def test_tour_fails_when_a_backward_is_wrong(monkeypatch, capsys):
    correct = LOOPS.conv_backward

    def input_gradient_off(*args, **kwargs):
        grad_input, *others = correct(*args, **kwargs)
        return (grad_input * 1.01, *others)

    monkeypatch.setattr(LOOPS, "conv_backward", input_gradient_off)
    assert main(["tour", "--section", "convolution"]) == 1
    out = capsys.readouterr().out
    lines = proof_lines(out)
    assert "[ok  ] conv: loops and im2col give the same output" in " ".join(lines)
    assert any(line.startswith("[FAIL] conv_backward matches finite differences")
               for line in lines)
    assert "1 of 2 live proofs passed" in out


def test_output_size_proof_fails_when_conv_and_the_calculator_share_a_wrong_formula(
        monkeypatch, capsys):
    """Off by one in the same way, conv and the calculator still agree with each other;
    only the shape worked by hand catches them."""
    correct_size, correct_conv = CALCULATOR.conv_output_size, tour.api.conv

    def one_too_many(*args, **kwargs):
        return correct_size(*args, **kwargs) + 1

    def one_row_and_column_too_many(*args, **kwargs):
        return np.pad(correct_conv(*args, **kwargs), [(0, 0), (0, 0), (0, 1), (0, 1)])

    monkeypatch.setattr(CALCULATOR, "conv_output_size", one_too_many)
    monkeypatch.setattr(tour.api, "conv", one_row_and_column_too_many)
    assert main(["tour", "--section", "output-size"]) == 1
    out = capsys.readouterr().out
    failed = [line for line in proof_lines(out) if line.startswith("[FAIL]")]
    assert len(failed) == 1
    # by hand: floor((7 + 2 - 2 - 1) / 2) + 1 = 4 by floor((9 + 2 - 2 - 1) / 2) + 1 = 5
    assert "by hand (1, 3, 4, 5), conv (1, 3, 5, 6), calculator (1, 3, 5, 6)" in failed[0]


def test_padding_section_shows_its_kernel_and_names_outputs_by_their_size():
    shown = matrices(tour.padding())
    np.testing.assert_array_equal(shown["kernel 3x3"], np.ones((3, 3)))
    x = shown["input 5x5"]
    # window sums written out: valid slides over x, same over x with a zero border of 1
    padded = np.pad(x, 1)
    same = [[padded[i:i + 3, j:j + 3].sum() for j in range(5)] for i in range(5)]
    valid = [[x[i:i + 3, j:j + 3].sum() for j in range(3)] for i in range(3)]
    np.testing.assert_array_equal(shown["same output 5x5"], same)
    np.testing.assert_array_equal(shown["valid output 3x3"], valid)


def test_matrix_multiply_section_is_the_convolution_sections_example_as_a_product():
    """The cheat sheet's feature map again, from the columns; each column is a window cut
    out here by slicing, and the folded kernels are the scatter definition written here."""
    section = tour.matrix_multiply()
    assert all(proof.passed for proof in section.proofs)
    shown = matrices(section)
    x, row = shown["input 5x5"], shown["kernel as a 1x9 row"]
    windows = [x[i:i + 3, j:j + 3].ravel() for i in range(3) for j in range(3)]
    np.testing.assert_array_equal(shown["unfold(x): 9 taps x 9 windows"],
                                  np.stack(windows, axis=1))
    np.testing.assert_array_equal(shown["row @ columns, as 3x3"],
                                  [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    stamps = np.zeros((5, 5))
    for i in range(3):
        for j in range(3):
            stamps[i:i + 3, j:j + 3] += row.reshape(3, 3)     # a gradient of 1 per window
    np.testing.assert_array_equal(shown["kernel^T @ gradient, folded"], stamps)


def test_matrix_multiply_section_fails_when_the_fast_unfold_is_wrong(monkeypatch, capsys):
    family_im2col = importlib.import_module("npconv.family.im2col")
    correct = family_im2col.unfold

    def one_tap_off(*args, **kwargs):
        cols = correct(*args, **kwargs)
        cols[:, 0] += 1e-3
        return cols

    monkeypatch.setattr(family_im2col, "unfold", one_tap_off)
    assert main(["tour", "--section", "matrix-multiply"]) == 1
    lines = proof_lines(capsys.readouterr().out)
    assert any(line.startswith("[FAIL] unfold and fold: loops and im2col give the same output")
               for line in lines)
