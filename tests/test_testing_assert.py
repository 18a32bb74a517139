"""assert_matches: it catches planted bugs (each a small wrong implementation written here),
says which rule decides the cell, passes npconv against itself, and takes every candidate
form of its protocol.  The strategies find each bug too, and shrink it."""

import math
import re

import numpy as np
import pytest
from hypothesis import find, given, settings

import npconv
from npconv.testing import Case, assert_matches, draw_case, edge_cases
from npconv.testing.strategies import (avg_pool_cases, cases, conv_cases,
                                       conv_transpose_cases, fold_cases, max_pool_cases,
                                       unfold_cases)


def one(value):
    return value[0] if isinstance(value, (tuple, list)) else value


def windows_1d(x, kernel_size, stride, padding, fill, out):
    """1-D windows of x, padded with ``fill`` on both sides and as far as ``out`` needs."""
    width = (out - 1) * stride + kernel_size
    padded = np.full(x.shape[:-1] + (max(width, x.shape[-1] + 2 * padding),), fill)
    padded[..., padding:padding + x.shape[-1]] = x
    return np.stack([padded[..., i * stride:i * stride + kernel_size] for i in range(out)], -2)


# ---- the planted bugs --------------------------------------------------------------------

def avg_pool_counting_the_overhang(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                                   count_include_pad=True, divisor_override=None):
    """Divides by the full window under count_include_pad, ceil_mode overhang included."""
    sums = npconv.avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                           divisor_override=1)
    if divisor_override is not None or not count_include_pad:
        return npconv.avg_pool(input, kernel_size, stride, padding, ceil_mode,
                               count_include_pad, divisor_override)
    return sums / math.prod(np.broadcast_to(kernel_size, (np.ndim(input) - 2,)))


def max_pool_1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                return_indices=False, *, keep_last_ceil_window=False, last_tie=False):
    """A 1-D max pool (dilation 1): rounds the window count up, and maybe keeps the window that
    starts in the right padding, and maybe gives ties to the last maximum."""
    x = np.asarray(input, dtype=float)
    k, p = one(kernel_size), one(padding)
    s = k if stride is None else one(stride)
    room = x.shape[-1] + 2 * p - k
    out = (-(-room // s) if ceil_mode else room // s) + 1
    if ceil_mode and not keep_last_ceil_window and (out - 1) * s >= x.shape[-1] + p:
        out -= 1
    windows = windows_1d(x, k, s, p, -np.inf, out)
    pick = k - 1 - np.argmax(windows[..., ::-1], -1) if last_tie else np.argmax(windows, -1)
    values = np.take_along_axis(windows, pick[..., None], -1)[..., 0]
    indices = np.arange(out) * s - p + pick
    return (values, indices) if return_indices else values


def conv_same_odd_cell_first(input, weight, bias=None, stride=1, padding=0, dilation=1,
                             groups=1):
    """'same' with the extra cell of an odd total put before instead of after."""
    if padding == "same":
        spans = [one(dilation) * (k - 1) + 1 for k in np.shape(weight)[2:]]
        padding = tuple(((sp - 1) - (sp - 1) // 2, (sp - 1) // 2) for sp in spans)
    return npconv.conv(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose_dropping_output_padding(input, weight, bias=None, stride=1, padding=0,
                                           output_padding=0, groups=1, dilation=1):
    return npconv.conv_transpose(input, weight, bias, stride, padding, 0, groups, dilation)


def max_pool_backward_to_every_tie(grad_output, input, kernel_size, stride=None, padding=0,
                                   dilation=1, ceil_mode=False):
    """Sends each window's gradient to every cell equal to its maximum."""
    x = np.asarray(input, dtype=float)
    k, p = one(kernel_size), one(padding)
    s = k if stride is None else one(stride)
    grad = np.zeros_like(x)
    out = grad_output.shape[-1]
    windows = windows_1d(x, k, s, p, -np.inf, out)
    for i in range(out):
        winners = windows[..., i, :] == windows[..., i, :].max(-1, keepdims=True)
        for t in range(k):
            position = i * s - p + t
            if 0 <= position < x.shape[-1]:
                grad[..., position] += np.where(winners[..., t], grad_output[..., i], 0)
    return grad


def unfold_taps_first(input, kernel_size, dilation=1, padding=0, stride=1):
    """Lays the rows out kernel tap by kernel tap, each tap's channels together (the
    generic im2row's order before executorch fixed it), instead of channel by channel."""
    cols = npconv.unfold(input, kernel_size, dilation, padding, stride)
    N, rows, L = cols.shape
    C = np.shape(input)[1]
    return cols.reshape(N, C, rows // C, L).transpose(0, 2, 1, 3).reshape(N, rows, L)


def fold_averaging_overlaps(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Divides each output cell by the number of column cells that landed on it."""
    arguments = (output_size, kernel_size, dilation, padding, stride)
    sums = npconv.fold(input, *arguments)
    counts = npconv.fold(np.ones_like(input), *arguments)
    return sums / np.maximum(counts, 1)


def conv_transpose_output_size_without_dilation(input, weight, bias=None, stride=1, padding=0,
                                                output_padding=0, groups=1, dilation=1,
                                                output_size=None):
    """1-D: takes output_size's output_padding from a smallest size that leaves the dilation
    out (PyTorch's layers before they counted it), kept below its limit."""
    if output_size is not None:
        n, k = np.shape(input)[-1], np.shape(weight)[-1]
        s, p, d = one(stride), one(padding), one(dilation)
        smallest_undilated = (n - 1) * s - 2 * p + k
        output_padding = min(max(output_size[-1] - smallest_undilated, 0), max(s, d) - 1)
    return npconv.conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                                 dilation)


def integers(draw, shape, dtype=np.float64):
    """Small integers: ties everywhere, and no NaN."""
    return np.random.default_rng(draw.seed()).integers(-1, 2, size=shape).astype(dtype)


PLANTED = {
    "a divisor that counts the ceil_mode overhang": (
        avg_pool_counting_the_overhang, "avg_pool_ceil_overhang_not_counted",
        "never the ceil_mode overhang",
        avg_pool_cases(ndims=(1, 2), divisor_override=False)),
    "a ceil_mode window kept when it starts in the padding": (
        lambda **kw: max_pool_1d(**kw, keep_last_ceil_window=True),
        "max_pool_ceil_window_in_right_padding", "PyTorch drops it",
        max_pool_cases(ndims=(1,), asymmetric=False, max_kernel=2)),
    "ties to the last maximum": (
        lambda **kw: max_pool_1d(**kw, last_tie=True), "max_pool_tie_first_wins",
        "PyTorch takes the first", max_pool_cases(ndims=(1,), asymmetric=False, values=integers,
                                                  ceil_modes=(False,))),
    "'same' with the odd cell first": (
        conv_same_odd_cell_first, "conv_same_even_kernel", "the extra cell after",
        conv_cases(ndims=(1,), torch_compatible=True)),
    "a dropped output_padding": (
        conv_transpose_dropping_output_padding, "conv_transpose_output_padding_at_limit",
        "output_padding 1 must be below", conv_transpose_cases(ndims=(1, 2))),
    "a gradient sent to every tied cell": (
        (npconv.max_pool, max_pool_backward_to_every_tie), "max_pool_tie_first_wins",
        "only the first maximum gets the gradient",
        max_pool_cases(ndims=(1,), asymmetric=False, values=integers, ceil_modes=(False,),
                       return_indices=False)),
    "unfold's kernel taps before its channels": (
        unfold_taps_first, "unfold_layout_channel_major", "the channel first, then kernel tap",
        unfold_cases(ndims=(1, 2))),
    "fold averaging its overlaps": (
        fold_averaging_overlaps, "fold_overlapping_windows_add_up",
        "windows overlap here: their values add up", fold_cases(ndims=(1, 2))),
    "output_size's smallest size without the dilation": (
        conv_transpose_output_size_without_dilation,
        "conv_transpose_output_size_largest_dilated", "up to stride - 1 more, whatever the "
                                                      "dilation",
        conv_transpose_cases(ndims=(1,), asymmetric=False)),
}


@pytest.mark.parametrize("bug", PLANTED)
def test_the_catalogue_catches_each_planted_bug_and_names_the_rule(bug):
    candidate, name, rule, _ = PLANTED[bug]
    case, = edge_cases(names=[name])
    with pytest.raises(AssertionError) as caught:
        assert_matches(candidate, case)
    message = str(caught.value)
    assert rule in message, message
    assert repr(case) in message and case.source in message


@pytest.mark.parametrize("bug", PLANTED)
def test_the_strategies_find_each_planted_bug(bug):
    candidate, _, _, strategy = PLANTED[bug]

    def caught(case):
        try:
            assert_matches(candidate, case)
        except AssertionError:
            return True
        return False

    # derandomized, so that a search the strategies win today is won on every run
    found = find(strategy, caught,
                 settings=settings(max_examples=1000, database=None, derandomize=True))
    assert caught(found)


def test_npconv_passes_against_itself_across_both_methods():
    for op in ("conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool",
               "adaptive_avg_pool", "adaptive_max_pool", "lp_pool", "unfold", "fold"):
        for seed in range(8):
            case = draw_case(op, seed, unbatched=seed == 7,
                             values="ties" if op.startswith(("max", "adaptive_max")) else
                             "normal")
            assert assert_matches(case.reference("loops"), case, method="im2col")
            assert assert_matches(case.reference("im2col"), case, method="loops")


@settings(max_examples=12)
@given(case=cases("conv") | cases("max_pool") | cases("lp_pool") | cases("max_unpool")
       | cases("unfold") | cases("fold") | cases("conv_transpose"))
def test_npconv_own_functions_are_a_candidate(case):
    spec = case.spec
    compared = assert_matches((spec.forward, spec.backward), case, method="loops")
    assert "output" in compared and "grad_input" in compared


# ---- the protocol ------------------------------------------------------------------------

TIE, = edge_cases(names=["max_pool_tie_first_wins"])
SAME, = edge_cases(names=["conv_same_even_kernel"])


def test_a_bare_function_compares_the_forward_only():
    assert assert_matches(npconv.max_pool, TIE) == ["output", "output_indices"]


def test_an_object_with_forward_and_backward_and_gradients_by_name():
    class Layer:
        def forward(self, **kw):
            return npconv.conv(**kw)

        def backward(self, grad_output, **kw):
            grads = npconv.conv_backward(grad_output, **kw)
            return {"input": grads.grad_input, "grad_weight": grads.grad_weight,
                    "bias": None}                   # None: not compared

    assert assert_matches(Layer(), SAME) == ["output", "grad_input", "grad_weight"]


def test_candidate_errors_become_assertions_naming_the_case():
    def broken(**kw):
        raise NotImplementedError("no dilation here")

    with pytest.raises(AssertionError, match="raised NotImplementedError: no dilation here"):
        assert_matches(broken, SAME)
    with pytest.raises(AssertionError, match="returned one array, not"):
        assert_matches(lambda **kw: npconv.max_pool(**kw)[0], TIE)
    with pytest.raises(AssertionError, match=r"has shape \(1, 1, 4\), npconv's \(1, 1, 5\)"):
        assert_matches(lambda **kw: npconv.conv(**{**kw, "padding": 0}), SAME)
    with pytest.raises(TypeError, match="pair of functions"):
        assert_matches((npconv.conv,), SAME)


def test_the_message_shows_the_gradient_and_the_reflect_rule():
    case, = edge_cases(names=["conv_reflect_at_limit"])

    def without_folding(grad_output, **kw):         # reflect's gradient not folded back
        grads = npconv.conv_backward(grad_output, **{**kw, "padding_mode": "zeros"})
        return grads.grad_input

    with pytest.raises(AssertionError) as caught:
        assert_matches((npconv.conv, without_folding), case)
    message = str(caught.value)
    assert "grad_output = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0, 32.0]]])" in message
    assert "reached through reflect padding" in message


def test_nan_must_meet_nan_and_tolerances_apply():
    case, = edge_cases(names=["max_pool_nan_propagates"])
    assert_matches(npconv.max_pool, case)
    with pytest.raises(AssertionError, match="holds NaN at flat positions"):
        assert_matches(lambda **kw: tuple(np.nan_to_num(r) if r.dtype.kind == "f" else r
                                          for r in npconv.max_pool(**kw)), case)
    nudged = Case("avg_pool", {"input": np.ones((1, 1, 4)), "kernel_size": 2})
    assert_matches(lambda **kw: npconv.avg_pool(**kw) + 1e-6, nudged, atol=1e-5)
    with pytest.raises(AssertionError, match="error 1e-06"):
        assert_matches(lambda **kw: npconv.avg_pool(**kw) + 1e-6, nudged)


def test_the_message_says_which_column_cells_fold_drops_and_unfold_copies():
    case, = edge_cases(names=["fold_padding_dropped"])

    def backward_ignoring_padding(grad_output, input, **kw):
        return np.ones_like(input)            # as if every column cell landed inside

    with pytest.raises(AssertionError) as caught:
        assert_matches((npconv.fold, backward_ignoring_padding), case)
    message = str(caught.value)
    # column cell (row 0, column 0) is tap 0 of window 0: position 0*1 - 1 + 0*1 = -1
    assert "tap 0 of window 0 lands on position 0*1 - 1 + 0*1 = -1: on the padding" in message
    case, = edge_cases(names=["unfold_padding_per_dimension"])
    with pytest.raises(AssertionError) as caught:
        assert_matches((npconv.unfold, lambda g, **kw: np.ones_like(kw["input"])), case)
    # cell (0, 0) is tap (0, 0) of window (1, 0) and tap (1, 0) of window (0, 0): rows 0
    # and 2, columns 1*2 + 0 = 2 and 0
    assert "input cell (0, 0) of channel 0 is copied into 2 column cell(s) (row, column) " \
           "[(2, 0), (0, 2)]" in str(caught.value)


# ---- dtypes -------------------------------------------------------------------------------

CONV = Case("conv", {"input": np.array([[[1., 2., 3.]]]), "weight": np.array([[[1., 1.]]]),
                     "bias": np.array([0.])})


def test_float_results_must_have_the_case_dtype_unless_told_otherwise():
    """float32 in, float32 out (npconv's rule): a candidate computing in float64 fails on the
    forward and on each gradient; check_dtype=False compares the values alone."""
    case32 = CONV.astype(np.float32)

    def widen(result):
        return result.astype(np.float64)

    def forward64(**kw):
        return widen(npconv.conv(**kw))

    def backward64(grad_output, **kw):
        return tuple(widen(g) for g in npconv.conv_backward(grad_output, **kw))

    with pytest.raises(AssertionError, match="output has dtype float64, npconv's float32"):
        assert_matches(forward64, case32)
    with pytest.raises(AssertionError, match="grad_input has dtype float64, npconv's float32"):
        assert_matches((npconv.conv, backward64), case32)
    assert assert_matches((forward64, backward64), case32, check_dtype=False) == [
        "output", "grad_input", "grad_weight", "grad_bias"]


def test_indices_must_be_int64_and_nothing_may_be_complex():
    for dtype in (np.int32, np.float64):
        def narrow(**kw):
            values, indices = npconv.max_pool(**kw)
            return values, indices.astype(dtype)

        with pytest.raises(AssertionError,
                           match=f"output_indices has dtype {np.dtype(dtype)}, npconv's int64"):
            assert_matches(narrow, TIE)
        assert_matches(narrow, TIE, check_dtype=False)
    for imaginary in (0, 1):
        def complex_output(**kw):
            return npconv.conv(**kw) + imaginary * 1j

        for check_dtype in (True, False):
            with pytest.raises(AssertionError, match="output is complex"):
                assert_matches(complex_output, CONV, check_dtype=check_dtype)


# ---- malformed results ----------------------------------------------------------------------

class FakeTensor:
    """What matters of a PyTorch tensor here: it has a batch axis to iterate over, detach()
    gives one NumPy can read, and one that requires grad refuses to become an array."""

    def __init__(self, array, requires_grad=False):
        self.array, self.requires_grad = np.asarray(array), requires_grad
        self.shape = self.array.shape

    def __len__(self):
        return len(self.array)

    def __getitem__(self, index):
        return FakeTensor(self.array[index], self.requires_grad)

    def detach(self):
        return FakeTensor(self.array)

    def cpu(self):
        return self

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad")
        return self.array if dtype is None else self.array.astype(dtype)


def malformed_candidates():
    max_pool_grad = npconv.max_pool_backward            # one array: grad_input

    class Unreadable:
        def __array__(self, dtype=None, copy=None):
            raise RuntimeError("no NumPy view of this")

    def generator(g, **kw):
        yield max_pool_grad(g, **kw)

    return {
        "backward returned None": (npconv.max_pool, lambda g, **kw: None),
        "backward returned a generator": (npconv.max_pool, generator),
        "with the key 'x'": (npconv.max_pool, lambda g, **kw: {"x": max_pool_grad(g, **kw)}),
        "with the key 'weight'": (npconv.max_pool, lambda g, **kw: {
            "input": max_pool_grad(g, **kw), "weight": np.zeros(1)}),
        "output is None": lambda **kw: (None, npconv.max_pool(**kw)[1]),
        "dtype object": lambda **kw: (npconv.max_pool(**kw)[0].astype(object),
                                      npconv.max_pool(**kw)[1]),
        "not an array of numbers": lambda **kw: (np.array([["a", "b", "c"]]),
                                                 npconv.max_pool(**kw)[1]),
        "cannot be read as a NumPy array": (npconv.max_pool, lambda g, **kw: (Unreadable(),)),
    }


@pytest.mark.parametrize("what", list(malformed_candidates()))
def test_every_malformed_result_is_an_assertion_naming_it(what):
    with pytest.raises(AssertionError, match=re.escape(what)) as caught:
        assert_matches(malformed_candidates()[what], TIE)
    assert repr(TIE) in str(caught.value)


def test_a_tensor_that_requires_grad_is_read_once_detached():
    """A forward returning tensors that require grad (as an autograd forward does) passes."""
    def forward(**kw):
        values, indices = npconv.max_pool(**kw)
        return FakeTensor(values, requires_grad=True), indices

    assert assert_matches(forward, TIE) == ["output", "output_indices"]


def test_one_bare_tensor_from_the_backward_is_the_one_gradient():
    """Not read along its batch axis: with N = 1 or N = 2 the tensor is grad_input."""
    for batch in (1, 2):
        case = Case("max_pool", {"input": np.arange(4. * batch).reshape(batch, 1, 4),
                                 "kernel_size": 2})

        def backward(g, **kw):
            return FakeTensor(npconv.max_pool_backward(g, **kw), requires_grad=True)

        assert assert_matches((npconv.max_pool, backward), case) == ["output", "grad_input"]


# ---- candidates that write into their inputs ------------------------------------------------

def test_a_candidate_that_modifies_its_inputs_fails_naming_the_argument():
    def zeroing_input(**kw):
        out = npconv.conv(**kw)
        kw["input"][...] = 0
        return out

    def doubling_weight(**kw):
        out = npconv.conv(**kw)
        kw["weight"] *= 2
        return out

    def overwriting_grad_output(grad_output, **kw):
        grads = npconv.conv_backward(grad_output, **kw)
        grad_output[...] = 0
        return grads

    def overwriting_input(grad_output, **kw):
        grads = npconv.conv_backward(grad_output, **kw)
        kw["input"][0, 0, 0] = 42.
        return grads

    for candidate, which, name in [
            (zeroing_input, "forward", "input"), (doubling_weight, "forward", "weight"),
            ((npconv.conv, overwriting_grad_output), "backward", "grad_output"),
            ((npconv.conv, overwriting_input), "backward", "input")]:
        with pytest.raises(AssertionError,
                           match=f"the candidate's {which} modified `{name}` in place"):
            assert_matches(candidate, CONV)
    assert CONV.arguments["input"].tolist() == [[[1., 2., 3.]]]     # the case is untouched


# ---- one array where a pair is due, and the reverse --------------------------------------

def test_tuple_and_array_mismatches_fail_both_ways():
    plain = Case("max_pool", {"input": np.array([[[1., 3., 2.]]]), "kernel_size": 2})
    with pytest.raises(AssertionError, match="tuple of 2 items, but the case does not ask "
                                             "for return_indices"):
        assert_matches(lambda **kw: (npconv.max_pool(**kw), np.zeros(1)), plain)
    with pytest.raises(AssertionError, match="returned a tuple of 3 items, not "
                                             r"\(output, indices\)"):
        assert_matches(lambda **kw: (*npconv.max_pool(**kw), None), TIE)
    # a list [output, indices] is the pair too
    assert assert_matches(lambda **kw: list(npconv.max_pool(**kw)), TIE) == [
        "output", "output_indices"]


# ---- explanations -------------------------------------------------------------------------

def test_a_bias_gradient_is_explained_by_the_sum_over_its_channel():
    def bias_off_by_one(grad_output, **kw):
        gi, gw, gb = npconv.conv_backward(grad_output, **kw)
        return gi, gw, gb + 1

    with pytest.raises(AssertionError) as caught:
        assert_matches((npconv.conv, bias_off_by_one), CONV)
    message = str(caught.value)
    # grad_output is ones of the output's shape (1, 1, 3 - 2 + 1): the sum is 2.0
    assert ("grad_bias[0] is the sum of grad_output over the batch (N) and every output "
            "position of output channel 0: here 2.0") in message
    assert "no explanation" not in message


def test_an_lp_pool_cell_no_window_reads_is_explained():
    # kernel 1, stride 2 on 3 cells: windows read cells 0 and 2 only
    case = Case("lp_pool", {"input": np.array([[[1., 2., 3.]]]), "norm_type": 2,
                            "kernel_size": 1, "stride": 2})
    with pytest.raises(AssertionError) as caught:
        assert_matches((npconv.lp_pool, lambda g, input, **kw: np.ones_like(input)), case)
    assert "at [0, 0, 1]" in str(caught.value)
    assert "input cell (1,) is in no window: its gradient is 0" in str(caught.value)


def test_values_in_explanations_are_plain_numbers():
    def wrong_tied_window(**kw):
        values, indices = npconv.max_pool(**kw)
        values = values.copy()
        values[0, 0, 1] = 0.           # window 1 is [3, 3]
        return values, indices

    with pytest.raises(AssertionError) as caught:
        assert_matches(wrong_tied_window, TIE)
    message = str(caught.value)
    assert "this window's maximum 3.0 is tied between flat positions [1, 2]" in message
    assert "np.float64" not in message


# ---- assert_matches's own arguments ---------------------------------------------------------

def test_assert_matches_checks_its_own_arguments():
    for keywords, error, name in [
            ({"rtol": "x"}, TypeError, "rtol"), ({"atol": [1e-3]}, TypeError, "atol"),
            ({"rtol": True}, TypeError, "rtol"),
            ({"rtol": -1}, ValueError, "rtol"), ({"atol": -1e-9}, ValueError, "atol"),
            ({"rtol": math.nan}, ValueError, "rtol"), ({"atol": math.inf}, ValueError, "atol"),
            ({"gradients": "no"}, TypeError, "gradients"),
            ({"check_dtype": 1}, TypeError, "check_dtype"),
            ({"method": "fft"}, ValueError, "method")]:
        with pytest.raises(error, match=f"^{name}="):
            assert_matches(npconv.conv, CONV, **keywords)
    with pytest.raises(TypeError, match="case=.*must be an npconv.testing.Case"):
        assert_matches(npconv.conv, dict(CONV.arguments))
    assert assert_matches(npconv.conv, CONV, rtol=0, atol=0.0, gradients=False) == ["output"]


# ---- the rules' tap positions, worked by hand -----------------------------------------------

def test_rules_place_the_taps_of_conv_transposed_conv_and_ceil_mode_by_hand():
    from npconv.testing import rules
    # conv, kernel 2, padding 1 on 3 cells: windows 0-3 tap positions -1 0, 0 1, 1 2, 2 3.
    # Zeros: cell 1 is read by tap 1 of window 1 and tap 0 of window 2.  Reflect maps -1 and 3
    # onto cell 1 too: 4 readers, 2 of them through the padding.
    zeros = Case("conv", {"input": np.array([[[1., 2., 3.]]]),
                          "weight": np.array([[[1., 10.]]]), "padding": 1})
    assert "input cell (1,) is read by 2 kernel tap(s) across the windows" in \
        rules.conv(zeros, "grad_input", (0, 0, 1))
    reflect = Case("conv", {**zeros.arguments, "padding_mode": "reflect"})
    lines = rules.conv(reflect, "grad_input", (0, 0, 1))
    assert "input cell (1,) is read by 4 kernel tap(s) across the windows" in lines
    assert lines[-1].startswith("2 of the positions that read it lie on the padding "
                                "([(-1,), (3,)]...)")
    # transposed, kernel 3, stride 2, padding 1: x0 lands on 0 1 2, x1 on 2 3 4 (uncropped);
    # output cell 1 is uncropped 2: tap 2 of x0 and tap 0 of x1
    transposed = Case("conv_transpose", {"input": np.array([[[1., 2.]]]),
                                         "weight": np.array([[[1., 1., 1.]]]), "stride": 2,
                                         "padding": 1})
    assert rules.conv_transpose(transposed, "output", (0, 0, 1)) == [
        "along spatial dimension 0, output cell 1 is position 2 before cropping 1; "
        "(input cell, tap) pairs reaching it: [(0, 2), (1, 0)]"]
    # max pooling 5 cells, kernel 2, stride 2, padding 1, ceil_mode: ceil(5 / 2) + 1 = 4
    # windows, but window 3 would start at 3*2 - 1 = 5, past the input: 3 kept
    pool = Case("max_pool", {"input": np.arange(5.).reshape(1, 1, 5), "kernel_size": 2,
                             "stride": 2, "padding": 1, "ceil_mode": True})
    assert ("  ceil_mode rounds up to 4 windows, but window 3 would start at position 5, "
            "past the input and its left padding: PyTorch drops it and keeps 3"
            in rules.max_pool(pool, "output", None))
    # window 2 of it: taps 3 and 4, both on the input, no overhang
    assert not any("overhangs" in line for line in rules.max_pool(pool, "output", (0, 0, 2)))


def test_the_weight_gradient_rule_names_what_the_padding_adds():
    from npconv.testing import rules
    zeros = Case("conv", {"input": np.ones((1, 1, 3)), "weight": np.ones((1, 1, 2)),
                          "padding": 1})
    circular = Case("conv", {**zeros.arguments, "padding_mode": "circular"})
    assert rules.conv(zeros, "grad_weight", (0, 0, 0))[-1].endswith("taps on the padding add 0")
    assert rules.conv(circular, "grad_weight", (0, 0, 0))[-1].endswith(
        "taps on the padding add the input cells the circular padding copies")
