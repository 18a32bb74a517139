"""``npconv tour`` through its entry point, and the sections' numbers against their sources.

The convolution example is the cheat sheet's (Stanford UFLDL's animation: a 5x5 binary
image, the kernel [[1,0,1],[0,1,0],[1,0,1]], feature map [[4,3,4],[2,4,3],[2,3,4]]); the
pooling example is CS231n's (max pool 2x2 of [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]] is
[[6,8],[3,4]]).  Other expectations are the formulas written out here.
"""


import numpy as np
import pytest

from npconv import tour
from npconv.cli import main


def matrices(section):
    """Every matrix the section prints, by label."""
    return {label: array for item in section.body if isinstance(item, tour.Matrices)
            for label, array in item.arrays}


SECTION_NAMES = ["convolution", "padding", "pooling", "output-size", "parameters",
                 "dilation", "transposed"]


def test_whole_tour_runs_every_section_and_every_proof_passes(capsys):
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
