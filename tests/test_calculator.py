"""The calculator against the formulas written out here, and against the ops' real shapes."""

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import npconv
from npconv.tools.calculator import conv_report, conv_transpose_report, pool_report


def torch_conv_size(n, k, s, p, d):
    """PyTorch's Conv documentation."""
    return math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1


@st.composite
def conv_geometry(draw):
    k, s, d, p = (draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 3)),
                  draw(st.integers(0, 2)))
    n = draw(st.integers(1, 12))
    return n, k, s, p, d


@given(conv_geometry())
def test_conv_report_follows_the_documented_formula(geometry):
    n, k, s, p, d = geometry
    report = conv_report((1, 2, n), 3, k, s, p, d)
    expected = torch_conv_size(n, k, s, p, d)
    if expected >= 1:
        assert report.output_shape == (1, 3, expected)
        assert report.problems == ()
        out = npconv.conv(np.zeros((1, 2, n)), np.zeros((3, 2, k)), stride=s, padding=p,
                          dilation=d)
        assert out.shape == report.output_shape
    else:
        assert report.output_shape is None
        assert report.problems and report.problems[0].startswith("L: output size")
    assert report.parameters == 3 * 2 * k + 3
    assert report.dimensions[0].effective_kernel == d * (k - 1) + 1


@given(conv_geometry(), st.integers(0, 2))
def test_conv_transpose_report_follows_the_documented_formula(geometry, output_padding):
    n, k, s, p, d = geometry
    output_padding = min(output_padding, max(s, d) - 1)
    # PyTorch's ConvTranspose documentation
    expected = (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1
    report = conv_transpose_report((1, 2, n), 4, k, s, p, output_padding, d)
    if expected >= 1:
        assert report.output_shape == (1, 4, expected)
        out = npconv.conv_transpose(np.zeros((1, 2, n)), np.zeros((2, 4, k)), stride=s,
                                    padding=p, output_padding=output_padding, dilation=d)
        assert out.shape == report.output_shape
    else:
        assert report.output_shape is None


@given(conv_geometry(), st.booleans())
def test_pool_report_follows_pytorchs_rule(geometry, ceil_mode):
    n, k, s, p, d = geometry
    p = min(p, k // 2)
    room = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        expected = math.ceil(room / s) + 1
        if (expected - 1) * s >= n + p:        # PyTorch: the last window must start inside
            expected -= 1
    else:
        expected = math.floor(room / s) + 1
    report = pool_report("max", (1, 1, n), k, s, p, d, ceil_mode)
    if report.output_shape is not None:
        assert report.output_shape == (1, 1, expected)
        out = npconv.max_pool(np.zeros((1, 1, n)), k, s, p, d, ceil_mode)
        assert out.shape == report.output_shape
    elif expected < 1:
        assert report.problems[0].startswith(f"L: output size {expected} < 1")
    else:
        # Refused although windows remain: one of them must truly miss the input.  Window i
        # starts at i * s - p of the input and reads taps every d cells.
        taps = [[i * s - p + d * t for t in range(k)] for i in range(expected)]
        assert any(all(not 0 <= tap < n for tap in window) for window in taps)
        assert any("holds no input cell" in text for text in report.problems)


def test_same_padding_is_tensorflows_same():
    # TensorFlow: out = ceil(in / s); total = max((out - 1) * s + k_eff - in, 0), extra after
    report = conv_report((1, 1, 10, 7), 1, (4, 3), stride=(3, 2), dilation=(1, 2))
    h_total = max((math.ceil(10 / 3) - 1) * 3 + 4 - 10, 0)
    w_total = max((math.ceil(7 / 2) - 1) * 2 + 5 - 7, 0)
    assert report.dimensions[0].same_padding == (h_total // 2, h_total - h_total // 2)
    assert report.dimensions[1].same_padding == (w_total // 2, w_total - w_total // 2)


def test_target_output_padding():
    # (3 - 1) * 2 - 2 + 3 + op = 5 + op: target 6 needs op = 1
    report = conv_transpose_report((1, 1, 3), 1, 3, stride=2, padding=1, target=6)
    assert report.dimensions[0].output_padding == 1
    assert report.output_shape == (1, 1, 6)
