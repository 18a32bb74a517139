"""The calculator against the formulas (those of :mod:`tests.oracles`, and a few written out
here), against the ops' real shapes, and against the ops' own error messages; its reports
stay small however large the layer."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import npconv
from npconv.tools.calculator import conv_report, conv_transpose_report, pool_report
from npconv.tools.summary import summarize
from tests import oracles
from tests.guards import finishes_quickly


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
    expected = oracles.conv_output_size(n, k, s, p, p, d)
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
    assert report.dimensions[0].effective_kernel == oracles.span(k, d)


@given(conv_geometry(), st.integers(0, 2))
def test_conv_transpose_report_follows_the_documented_formula(geometry, output_padding):
    n, k, s, p, d = geometry
    output_padding = min(output_padding, max(s, d) - 1)
    expected = oracles.conv_transpose_output_size(n, k, s, p, p, output_padding, d)
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
    expected = oracles.pool_output_size(n, k, s, p, p, d, ceil_mode)
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


# --------------------------------------------------------------------------------------------
# One rule, one message: a bad layer reads as the op's own error
# --------------------------------------------------------------------------------------------

def op_error(call):
    with pytest.raises(ValueError) as error:
        call()
    return str(error.value)


def test_groups_problem_is_the_ops_message():
    report = conv_report((1, 3, 8, 8), 4, 3, groups=2)
    message = op_error(lambda: npconv.conv(np.ones((1, 3, 8, 8)), np.ones((4, 1, 3, 3)),
                                           groups=2))
    assert report.problems == (message,)
    assert message == "groups=2 must divide the input channels C_in=3"


def test_groups_problem_names_both_channel_counts():
    """One sentence for the one rule, however many channel counts it misses."""
    report = conv_transpose_report((1, 3, 8), 5, 3, groups=2)
    assert report.problems == ("groups=2 must divide the input channels C_in=3 and the output "
                               "channels C_out=5",)


def test_output_padding_problem_is_the_ops_message():
    report = conv_transpose_report((1, 1, 4), 1, 3, stride=2, output_padding=2)
    message = op_error(lambda: npconv.conv_transpose(np.ones((1, 1, 4)), np.ones((1, 1, 3)),
                                                     stride=2, output_padding=2))
    assert report.problems == (f"L: {message}",)


def test_pool_padding_problems_are_the_ops_message_per_dimension():
    """Both dimensions are too padded; the op names the first, the report both."""
    report = pool_report("max", (1, 1, 8, 8), 2, padding=2)
    message = op_error(lambda: npconv.max_pool(np.ones((1, 1, 8, 8)), 2, padding=2))
    assert report.problems[0] == f"H: {message}"
    assert report.problems[1] == "W: " + message.replace("dimension 0", "dimension 1")
    assert len(report.problems) == 2


def test_empty_window_problem_is_the_ops_message():
    report = pool_report("max", (1, 1, 2), 2, stride=1, padding=1, dilation=3)
    message = op_error(lambda: npconv.max_pool(np.ones((1, 1, 2)), 2, stride=1, padding=1,
                                               dilation=3))
    assert report.problems == (f"L: {message}",)


@pytest.mark.parametrize("out_channels, error", [(0, ValueError), (-5, ValueError),
                                                 (2.0, TypeError)])
def test_out_channels_must_be_a_positive_int(out_channels, error):
    """A layer with -5 output channels is nonsense, not a 1x-5x30x30 output."""
    with pytest.raises(error, match=rf"out_channels={out_channels}"):
        conv_report((1, 3, 32, 32), out_channels, 3)
    with pytest.raises(error, match=rf"out_channels={out_channels}"):
        conv_transpose_report((1, 3, 32, 32), out_channels, 3)


def test_the_calculator_takes_pytorchs_forms():
    """A one-entry sequence stands for every dimension, as in the ops."""
    assert (pool_report("max", (1, 1, 8, 8), (3,), stride=(2,), padding=(1,)).output_shape
            == pool_report("max", (1, 1, 8, 8), 3, 2, 1).output_shape == (1, 1, 4, 4))
    assert (conv_report((1, 1, 8, 8), 1, (3, 3), padding=[1]).output_shape
            == (1, 1, 8, 8))


# --------------------------------------------------------------------------------------------
# A report holds a few numbers per dimension, however many windows there are
# --------------------------------------------------------------------------------------------

def divisors(n, k, s, p, out, count_include_pad):
    """The divisor of each of ``out`` average-pooling windows along one axis (PyTorch's
    rule, :func:`tests.oracles.avg_pool_divisor`)."""
    return [oracles.avg_pool_divisor((i,), (k,), (s,), ((p, p),), (n,), count_include_pad,
                                     None) for i in range(out)]


def expand(runs):
    """The runs' divisors one per window, read from their printed form and from the fields."""
    divisors = []
    for run in runs:
        count = run.last - run.first + 1
        step = (run.last_divisor - run.first_divisor) / max(count - 1, 1)
        divisors += [run.first_divisor + round(j * step) for j in range(count)]
        if count <= 4:
            assert str(run).split() == [str(d) for d in divisors[-count:]]
    return divisors


@given(conv_geometry(), st.booleans(), st.booleans())
def test_divisor_runs_are_every_windows_divisor(geometry, ceil_mode, count_include_pad):
    n, k, s, p, _ = geometry
    p = min(p, k // 2)
    report = pool_report("avg", (1, 1, n), k, s, p, ceil_mode=ceil_mode,
                         count_include_pad=count_include_pad)
    if report.output_shape is None:
        return
    out = report.output_shape[-1]
    runs = report.dimensions[0].divisors
    assert len(runs) <= 4
    assert [run.first for run in runs] == sorted(run.first for run in runs)
    assert expand(runs) == divisors(n, k, s, p, out, count_include_pad)


@given(conv_geometry())
def test_ceil_mode_lists_the_one_window_beyond_the_floor_output(geometry):
    """Its taps, how many land on the input and on the padding, and whether it is kept."""
    n, k, s, p, d = geometry
    p = min(p, k // 2)
    report = pool_report("max", (1, 1, n), k, s, p, d, ceil_mode=True)
    if report.output_shape is None:
        return
    floor_out = oracles.pool_output_size(n, k, s, p, p, d, ceil_mode=False)
    windows = report.dimensions[0].windows
    assert len(windows) <= 1
    for window in windows:
        taps = [window.index * s - p + t * d for t in range(k)]
        assert window.index == floor_out and list(window.taps) == taps
        assert window.in_input == sum(0 <= t < n for t in taps)
        assert window.in_padding == sum(-p <= t < 0 or n <= t < n + p for t in taps)
        assert window.kept == (window.index < report.output_shape[-1])


def test_a_hundred_million_windows_make_a_small_report():
    """`npconv shape max_pool1d --input 1x1x100000000 --kernel 1` hung building one record
    per output cell; so did the same layer in a summary."""
    with finishes_quickly():
        report = pool_report("max", (1, 1, 10 ** 8), 1)
        assert report.output_shape == (1, 1, 10 ** 8)
        assert summarize("input(1x1x100000000) maxpool(1)").output_shape == (1, 1, 10 ** 8)


def test_border_divisors_of_a_huge_layer_are_a_few_runs():
    """Kernel 10**8 + 1, padding 5 * 10**7, stride 1 on 10**8 cells: every one of the
    10**8 windows has its own divisor, described by two evenly stepping runs."""
    k = 10 ** 8 + 1
    with finishes_quickly():
        report = pool_report("avg", (1, 1, 10 ** 8), k, stride=1, padding=k // 2,
                             count_include_pad=False, ceil_mode=True)
    runs = report.dimensions[0].divisors
    # window 0 covers -5*10**7 .. 5*10**7: 5*10**7 + 1 real cells; each next one moves right;
    # the last, window 10**8 - 1, starts at 5*10**7 - 1 and holds the 5*10**7 + 1 cells left
    assert runs[0].first == 0 and runs[0].first_divisor == k // 2 + 1
    assert runs[-1].last == 10 ** 8 - 1 and runs[-1].last_divisor == k // 2 + 1
    assert max(run.first_divisor for run in runs) == 10 ** 8


# --------------------------------------------------------------------------------------------
# The rest of the pooling family: max unpooling, adaptive pooling, power-average pooling
# --------------------------------------------------------------------------------------------

from npconv.tools.calculator import (  # noqa: E402  (this section's own imports)
    adaptive_pool_report, lp_pool_report, max_unpool_report)


@st.composite
def unpool_geometry(draw):
    k, s = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    p = draw(st.integers(0, 2))
    n = draw(st.integers(1, 8))
    return n, k, s, p


@given(unpool_geometry(), st.integers(-3, 3))
def test_max_unpool_report_follows_pytorchs_formula_and_range(geometry, offset):
    n, k, s, p = geometry
    # PyTorch's check: output_size strictly between default - stride and default + stride,
    # never < 0
    default = oracles.max_unpool_output_size(n, k, s, p, p)
    wanted = default + offset
    legal = default - s < wanted < default + s and wanted >= 0
    report = max_unpool_report((2, 3, n), k, s, p, output_size=(wanted,))
    dim, = report.dimensions
    assert dim.formula == f"({n} - 1)*{s} - 2*{p} + {k} = {default}"
    assert dim.size_range == (max(default - s + 1, 0), default + s - 1)
    assert dim.requested_size == wanted
    if legal:              # also where the default itself is negative: PyTorch's rule
        assert report.output_shape == (2, 3, wanted) and report.problems == ()
        if wanted >= 1:      # index 0 lies in any non-empty plane
            out = npconv.max_unpool(np.ones((2, 3, n)), np.zeros((2, 3, n), dtype=np.int64),
                                    k, s, p, output_size=(wanted,))
            assert out.shape == report.output_shape
    else:
        assert report.output_shape is None
        message = op_error(lambda: npconv.max_unpool(
            np.ones((2, 3, n)), np.zeros((2, 3, n), dtype=np.int64), k, s, p,
            output_size=(wanted,)))
        assert report.problems == (message,)


def test_max_unpool_report_default_size_without_output_size():
    report = max_unpool_report((1, 64, 56, 56), 2)
    assert report.output_shape == (1, 64, (56 - 1) * 2 + 2, (56 - 1) * 2 + 2)
    assert [dim.requested_size for dim in report.dimensions] == [None, None]
    assert report.parameters == 0


def test_max_unpool_report_takes_n_and_c_in_front_and_names_the_first_bad_dimension():
    # default (4 - 1) * 2 + 2 = 8 per dimension, legal 7..9
    report = max_unpool_report((1, 2, 4, 4), 2, output_size=(1, 2, 9, 7))
    assert report.output_shape == (1, 2, 9, 7)
    report = max_unpool_report((1, 2, 4, 4), 2, output_size=(8, 10))
    assert len(report.problems) == 1 and "spatial dimension 1 must be from 7 to 9" in \
        report.problems[0]
    assert [dim.requested_size for dim in report.dimensions] == [8, 10]
    report = max_unpool_report((1, 2, 4, 4), 2, output_size=(5, 2, 8, 8))
    assert "N, C = (5, 2), but the output has N, C = (1, 2)" in report.problems[0]


@given(st.integers(1, 30), st.integers(0, 30), st.sampled_from(["avg", "max"]))
def test_adaptive_pool_report_windows_widest_and_ordinary_pooling(n, out, kind):
    report = adaptive_pool_report(kind, (1, 2, n), out)
    assert report.output_shape == (1, 2, out) and report.problems == ()
    dim, = report.dimensions
    windows = [oracles.adaptive_window(i, n, out) for i in range(out)]
    shown = sorted({i for i in (0, 1, out - 1) if 0 <= i < out})
    assert [(w.index, w.taps.start, w.taps.stop) for w in dim.windows] == [
        (i, *windows[i]) for i in shown]
    assert dim.widest_window == max((end - start for start, end in windows), default=0)
    if out and n % out == 0:
        # ordinary pooling with kernel = stride = n / out has exactly these windows
        k = n // out
        assert dim.pooling_kernel == k
        assert windows == [(i * k, i * k + k) for i in range(out)]
    else:
        assert dim.pooling_kernel is None
    if out:
        op = npconv.adaptive_avg_pool if kind == "avg" else npconv.adaptive_max_pool
        assert op(np.zeros((1, 2, n)), out).shape == report.output_shape


def test_adaptive_pool_report_takes_none_and_refuses_what_the_op_refuses():
    assert adaptive_pool_report("avg", (1, 1, 5, 7), (3, None)).output_shape == (1, 1, 3, 7)
    for bad in (-1, (2, 2, 2), 2.5):
        with pytest.raises((ValueError, TypeError)) as error:
            adaptive_pool_report("max", (1, 1, 5, 7), bad)
        with pytest.raises(type(error.value)) as op:
            npconv.adaptive_max_pool(np.zeros((1, 1, 5, 7)), bad)
        assert str(error.value) == str(op.value)


@given(conv_geometry(), st.booleans(), st.sampled_from([1, 2, 1.5, float("inf")]))
def test_lp_pool_report_counts_unpadded_windows_and_the_cells_they_hold(geometry, ceil_mode,
                                                                        p):
    n, k, s, _, _ = geometry
    # PyTorch's LPPool: avg_pool's windows with no padding and no dilation
    expected = oracles.pool_output_size(n, k, s, 0, 0, 1, ceil_mode)
    report = lp_pool_report((1, 1, n), p, k, s, ceil_mode)
    if expected < 1:
        assert report.output_shape is None
        assert report.problems == (op_error(lambda: npconv.lp_pool(
            np.ones((1, 1, n)), p, k, s, ceil_mode)),)
        return
    assert report.output_shape == (1, 1, expected)
    assert npconv.lp_pool(np.ones((1, 1, n)), p, k, s, ceil_mode).shape == (1, 1, expected)
    held = divisors(n, k, s, 0, expected, count_include_pad=False)
    runs = report.dimensions[0].divisors
    if ceil_mode and held != [k] * expected:
        assert expand(runs) == held          # PyTorch's mean divides by these
    else:
        assert runs == ()


def test_lp_pool_report_numbers_and_the_ops_refusals():
    report = lp_pool_report((1, 64, 112, 112), 2, 3, stride=2)
    # floor((112 - 3) / 2) + 1 = 55
    assert report.output_shape == (1, 64, 55, 55)
    assert report.dimensions[0].formula == "floor((112 - 3) / 2) + 1 = floor(109 / 2) + 1 = 55"
    assert any("K = 3*3 = 9" in note for note in report.notes)
    for p in (0, float("nan")):
        message = op_error(lambda: npconv.lp_pool(np.ones((1, 1, 5)), p, 2))
        assert lp_pool_report((1, 1, 5), p, 2).problems == (message,)
    with pytest.raises(TypeError, match="norm_type='2'"):
        lp_pool_report((1, 1, 5), "2", 2)


def test_family_reports_of_huge_layers_stay_small():
    with finishes_quickly():
        # in / out = 10**12 / (10**9 + 7) = 999.993...: window 1 is [999, 2000), 1001
        # cells, and none holds more: ceil(b) - floor(a) < (b - a) + 2 = 1001.993...
        report = adaptive_pool_report("avg", (1, 1, 10 ** 12), 10 ** 9 + 7)
        assert report.dimensions[0].widest_window == 1001
        assert [(w.taps.start, w.taps.stop) for w in report.dimensions[0].windows][:2] == [
            (0, 1000), (999, 2000)]
        report = max_unpool_report((1, 1, 10 ** 9), 10 ** 9, stride=10 ** 9)
        assert report.output_shape == (1, 1, (10 ** 9 - 1) * 10 ** 9 + 10 ** 9)
        report = lp_pool_report((1, 1, 10 ** 9), 2, 1, ceil_mode=True)
        assert report.output_shape == (1, 1, 10 ** 9)


# --------------------------------------------------------------------------------------------
# Unfold and fold; a transposed convolution's output_size
# --------------------------------------------------------------------------------------------

from npconv.tools.calculator import fold_report, unfold_report  # noqa: E402


@st.composite
def window_geometry(draw):
    """One dimension of unfold or fold: size, kernel, stride, (before, after), dilation."""
    k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 3))
    pair = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    return draw(st.integers(1, 12)), k, s, pair, d


def positions(count, k, s, pair, d):
    """Every (window, tap) position on the padded input, counted one by one."""
    return [i * s - pair[0] + t * d for i in range(count) for t in range(k)]


@given(window_geometry(), st.integers(1, 3))
def test_unfold_report_counts_the_windows_as_pytorch_and_the_op_do(geometry, C):
    n, k, s, pair, d = geometry
    count = oracles.conv_output_size(n, k, s, *pair, d)      # L, per dimension
    report = unfold_report((2, C, n), k, d, (pair,), s)
    dim, = report.dimensions
    assert dim.window_count == count
    if count < 1:
        assert report.output_shape is None
        assert report.problems == (op_error(lambda: npconv.unfold(
            np.zeros((2, C, n)), (k,), d, (pair,), s)),)
        return
    assert report.output_shape == (2, C * k, count) and report.problems == ()
    assert npconv.unfold(np.zeros((2, C, n)), (k,), d, (pair,), s).shape == report.output_shape
    # the cells past the last window, and whether two windows share a position
    taps = positions(count, k, s, pair, d)
    assert dim.uncovered == n - 1 - max(taps) if max(taps) < n - 1 else dim.uncovered == 0
    shared = len(set(taps)) < len(taps)
    assert any("windows share positions along L" in note for note in report.notes) == shared
    apart = any("between neighbouring windows lie in none" in note for note in report.notes)
    starts = [i * s - pair[0] for i in range(count)]
    gaps = [b - a - oracles.span(k, d) for a, b in zip(starts, starts[1:])]
    assert apart == any(gap > 0 for gap in gaps)


def test_unfold_report_numbers_and_rows():
    report = unfold_report((1, 3, 32, 32), 3, padding=1)
    # floor((32 + 2 - 2 - 1) / 1) + 1 = 32 windows per side; rows 3 channels * 9 taps
    assert report.output_shape == (1, 3 * 9, 32 * 32)
    assert "rows: C*K = 3 * 3*3 = 27" in report.notes[0]
    assert report.notes[1] == "columns: L = 32*32 = 1,024, one per window position, row-major"
    assert report.parameters == 0
    assert not any("images only" in note for note in report.notes)
    three = unfold_report((1, 1, 4, 4, 4), (2, 2, 2), stride=2)
    assert three.output_shape == (1, 8, 8)
    assert any("PyTorch's F.unfold works on images only" in note for note in three.notes)


@given(window_geometry(), st.integers(1, 3), st.integers(-1, 1), st.integers(-1, 1))
def test_fold_report_checks_the_rows_and_columns_as_the_op_does(geometry, C, extra_rows,
                                                                 extra_columns):
    n, k, s, pair, d = geometry
    count = oracles.conv_output_size(n, k, s, *pair, d)
    rows, columns = C * k + extra_rows, max(count, 0) + extra_columns
    if rows < 1 or columns < 1:
        return
    report = fold_report((2, rows, columns), (n,), k, d, (pair,), s)
    dim, = report.dimensions
    assert (dim.output_size, dim.window_count) == (n, count)
    cols = np.zeros((2, rows, columns))
    if count >= 1 and rows % k == 0 and columns == count:     # C * K rows, L columns
        assert report.output_shape == (2, rows // k, n) and report.problems == ()
        assert npconv.fold(cols, (n,), (k,), d, (pair,), s).shape == report.output_shape
    else:
        assert report.output_shape is None
        assert report.problems == (op_error(lambda: npconv.fold(cols, (n,), (k,), d, (pair,),
                                                                 s)),)


def test_fold_report_reads_its_rank_from_output_size_and_says_what_stays_zero():
    # output_size 4, an int: 2-D as in PyTorch; kernel 1, stride 2: windows at 0 and 2
    report = fold_report((1, 3, 4), 4, 1, stride=2)
    assert report.output_shape == (1, 3, 4, 4)
    assert "H: stride 2 > the kernel's span 1: 1 cell(s) between neighbouring windows lie in " \
           "none" in report.notes
    assert "W: the last 1 cell(s) lie past the last window: fold leaves them 0" in report.notes
    # np.ones through fold: the cells no window reaches are exactly those zeros
    out = npconv.fold(np.ones((1, 3, 4)), 4, 1, stride=2)[0, 0]
    assert out.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    with pytest.raises(ValueError, match="must be \\(N, C \\* K, L\\)"):
        fold_report((1, 3, 4, 4), 4, 1)
    with pytest.raises(ValueError, match="kernel_size=\\(1, 1, 1\\) must be an int or 2 ints"):
        fold_report((1, 3, 4), 4, (1, 1, 1))


@given(conv_geometry(), st.integers(1, 3), st.integers(-3, 4))
def test_conv_transpose_report_output_size_is_pytorchs_range(geometry, k_extra, offset):
    n, k, s, p, d = geometry
    # PyTorch's ConvTranspose: the smallest size (output_padding 0), and output_size may
    # add up to stride - 1 to it (dilation does not count); the size must be at least 1
    smallest = oracles.conv_transpose_output_size(n, k, s, p, p, 0, d)
    wanted = smallest + offset
    report = conv_transpose_report((1, 2, n), 3, k, s, p, dilation=d, output_size=(wanted,))
    dim, = report.dimensions
    assert dim.size_range == (smallest, smallest + s - 1)
    assert dim.output_padding_sizes == (smallest, smallest + max(s, d) - 1)
    assert dim.requested_size == wanted
    if max(smallest, 1) <= wanted <= smallest + s - 1:
        assert report.output_shape == (1, 3, wanted) and report.problems == ()
        assert dim.output_padding == wanted - smallest
        out = npconv.conv_transpose(np.zeros((1, 2, n)), np.zeros((2, 3, k)), stride=s,
                                    padding=p, dilation=d, output_size=(wanted,))
        assert out.shape == report.output_shape
    else:
        assert report.output_shape is None and dim.output_padding is None
        assert report.problems[0] == op_error(lambda: npconv.conv_transpose(
            np.zeros((1, 2, n)), np.zeros((2, 3, k)), stride=s, padding=p, dilation=d,
            output_size=(wanted,)))


def test_conv_transpose_report_output_size_with_n_and_c_and_its_refusals():
    # (16 - 1)*2 - 2 + 2 + 1 = 31; output_size 32 asks for output_padding 1
    report = conv_transpose_report((1, 64, 16, 16), 3, 3, 2, 1, output_size=(1, 3, 32, 31))
    assert report.output_shape == (1, 3, 32, 31)
    assert [dim.output_padding for dim in report.dimensions] == [1, 0]
    report = conv_transpose_report((1, 64, 16, 16), 3, 3, 2, 1, output_size=(2, 3, 32, 32))
    assert "starts with N, C = (2, 3), but the output has N, C = (1, 3)" in report.problems[0]
    report = conv_transpose_report((1, 64, 16, 16), 3, 3, 2, 1, output_padding=1,
                                   output_size=(31, 31))
    assert "output_padding=(1, 1) and output_size=(31, 31) disagree" in report.problems[0]
    with pytest.raises(ValueError, match="give one"):
        conv_transpose_report((1, 64, 16, 16), 3, 3, 2, 1, target=32, output_size=(32, 32))


@pytest.mark.parametrize("report", [
    lambda shape: conv_report(shape, 1, 3),
    lambda shape: pool_report("max", shape, 2),
])
@pytest.mark.parametrize("shape", [(1, 3, 8.9, 8), (1, 3, True, 8), (1, 3, "8", 8),
                                   np.array([1.0, 3.0, 8.0, 8.0])])
def test_an_input_size_that_is_not_an_int_is_refused_not_rounded(report, shape):
    # int(8.9) would make it an 8x8 image: a wrong shape, with no word said
    with pytest.raises(TypeError, match=r"input_shape=.* must be a sequence of ints"):
        report(shape)


def test_a_size_past_64_bits_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"out_channels=.* is too large"):
        conv_report((1, 3, 8, 8), 2 ** 63, 3)
    with pytest.raises(ValueError, match=r"input_shape=.* is too large"):
        conv_report((1, 3, 2 ** 64, 8), 1, 3)
