"""npconv.testing's strategies and builders: valid by construction, torch_compatible within
PyTorch's documented limits (written out here, not asked of torch), seeded draws reproducible,
and the package importable without hypothesis."""

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

import npconv
from npconv.testing import OPS, Case, draw_case
from npconv.testing.strategies import cases
from tests import oracles
from tests.oracles import per_dimension as per_dim

# --------------------------------------------------------------------------------------------
# PyTorch's limits, as its documentation and error messages state them
# --------------------------------------------------------------------------------------------


def symmetric(padding):
    """F.*'s padding: an int or one int per dimension, never a (before, after) pair."""
    return isinstance(padding, int) or all(isinstance(p, int) for p in padding)


def check_torch_limits(case):
    a, op = case.arguments, case.op
    x = np.asarray(a["input"])
    ndim = case.rank
    in_size = x.shape[-ndim:]
    if op == "conv":
        assert "padding_mode" not in a                         # F.conv*d has none
        if a["padding"] == "same":
            assert set(per_dim(a["stride"], ndim)) == {1}       # 'same' only unstrided
        elif a["padding"] != "valid":
            assert symmetric(a["padding"])
    elif op == "conv_transpose":
        assert "output_size" not in a                           # only the layers take it
        assert symmetric(a["padding"])
        for extra, s, d in zip(per_dim(a["output_padding"], ndim), per_dim(a["stride"], ndim),
                               per_dim(a["dilation"], ndim)):
            assert extra < s or extra < d                       # "smaller than stride or dilation"
    elif op in ("max_pool", "avg_pool"):
        assert symmetric(a["padding"])
        kernel = per_dim(a["kernel_size"], ndim)
        stride = kernel if a["stride"] is None else per_dim(a["stride"], ndim)
        padding = per_dim(a["padding"], ndim)
        dilation = per_dim(a.get("dilation", 1), ndim)
        for n, k, s, p, d in zip(in_size, kernel, stride, padding, dilation):
            assert p <= k // 2                                  # "at most half of kernel size"
            assert oracles.windows_hold_input(n, k, s, p, p, d, a["ceil_mode"])
        if op == "avg_pool" and ndim == 3:
            assert all(n >= k for n, k in zip(in_size, kernel))  # avg_pool3d: no smaller input
        if op == "avg_pool" and ndim == 1:
            assert "divisor_override" not in a                  # F.avg_pool1d has none
    elif op == "max_unpool":
        assert symmetric(a["padding"])
        kernel = per_dim(a["kernel_size"], ndim)
        stride = kernel if a["stride"] is None else per_dim(a["stride"], ndim)
        padding = per_dim(a["padding"], ndim)
        default = [oracles.max_unpool_output_size(n, k, s, p, p)
                   for n, k, s, p in zip(in_size, kernel, stride, padding)]
        out = default if a["output_size"] is None else list(a["output_size"])[-ndim:]
        for size, base, s in zip(out, default, stride):
            assert base - s < size < base + s                   # PyTorch's output_size range
        planes = np.asarray(a["indices"]).reshape(-1, math.prod(in_size))
        assert planes.min(initial=0) >= 0 and planes.max(initial=0) < math.prod(out)
        assert all(len(set(plane)) == len(plane) for plane in planes)   # no repeats
    elif op in ("adaptive_avg_pool", "adaptive_max_pool"):
        entries = per_dim(a["output_size"], ndim)
        if ndim == 1:
            assert None not in entries                          # adaptive_max_pool1d refuses it
        # F.adaptive_*_pool returns an empty output for a size of 0, but its backward
        # refuses it ("Expected grad_output to have non-zero size for non-batch dimensions")
        assert all(e is None or e >= 1 for e in entries)
    elif op == "lp_pool":
        kernel = per_dim(a["kernel_size"], ndim)
        if ndim == 1:
            assert isinstance(a["kernel_size"], int)            # lp_pool1d multiplies by it
        if ndim == 3 or not a["ceil_mode"]:
            assert all(n >= k for n, k in zip(in_size, kernel))
    elif op in ("unfold", "fold"):
        check_unfold_fold_limits(op, a, x, ndim)


def check_unfold_fold_limits(op, a, x, ndim):
    """F.unfold and F.fold: images only (4-D or unbatched 3-D input to unfold; 3-D or
    unbatched 2-D columns to fold, an output_size of one int or two), every geometry
    argument an int or a pair, padding symmetric, at least one window per dimension, and
    for fold "C * prod(kernel_size)" rows and L columns ("the calculated number of sliding
    blocks")."""
    assert ndim == 2
    for name in ("kernel_size", "dilation", "padding", "stride"):
        value = a.get(name, 1)
        assert isinstance(value, int) or (len(value) == 2 and all(isinstance(v, int)
                                                                  for v in value)), name
    assert symmetric(a.get("padding", 0))
    if op == "unfold":
        assert x.ndim in (3, 4)
        sizes = x.shape[-2:]
    else:
        assert x.ndim in (2, 3)
        output_size = a["output_size"]
        assert isinstance(output_size, int) or len(output_size) == 2
        sizes = per_dim(output_size, 2)
        assert min(sizes) >= 1
    kernel, dilation = per_dim(a["kernel_size"], 2), per_dim(a.get("dilation", 1), 2)
    padding, stride = per_dim(a.get("padding", 0), 2), per_dim(a.get("stride", 1), 2)
    counts = [oracles.conv_output_size(n, k, s, p, p, d)
              for n, k, p, d, s in zip(sizes, kernel, padding, dilation, stride)]
    assert min(counts) >= 1
    if op == "fold":
        assert x.shape[-1] == math.prod(counts)
        assert x.shape[-2] % math.prod(kernel) == 0


@settings(max_examples=15)
@given(case=cases("conv", torch_compatible=True) | cases("conv_transpose", torch_compatible=True)
       | cases("max_pool", torch_compatible=True) | cases("avg_pool", torch_compatible=True)
       | cases("max_unpool", torch_compatible=True)
       | cases("adaptive_avg_pool", torch_compatible=True)
       | cases("adaptive_max_pool", torch_compatible=True)
       | cases("lp_pool", torch_compatible=True) | cases("unfold", torch_compatible=True)
       | cases("fold", torch_compatible=True))
def test_torch_compatible_strategies_stay_within_pytorch_limits(case):
    check_torch_limits(case)


def test_torch_compatible_seeded_draws_stay_within_pytorch_limits():
    """The same builders with NumPy's generator: many more draws, unbatched ones too."""
    for op in OPS:
        for seed in range(60):
            check_torch_limits(draw_case(op, seed, torch_compatible=True,
                                         unbatched=seed % 3 == 0))


# --------------------------------------------------------------------------------------------
# Valid by construction, reproducible, printable
# --------------------------------------------------------------------------------------------

@settings(max_examples=10)
@given(case=cases("conv") | cases("conv_transpose") | cases("max_pool", values="ties")
       | cases("avg_pool") | cases("max_unpool") | cases("adaptive_avg_pool")
       | cases("adaptive_max_pool", values="ties") | cases("lp_pool", values="ties")
       | cases("unfold", values="ties") | cases("fold"))
def test_every_drawn_case_is_accepted_and_its_repr_is_the_call(case):
    results = case.expected()                    # raises if npconv refused the case
    assert results["output"].shape == case.grad_output.shape
    namespace = {"np": np, "npconv": npconv}
    again = eval(repr(case), namespace)          # the printed call runs, and gives the same
    again = again[0] if isinstance(again, tuple) else again
    np.testing.assert_array_equal(again, results["output"])


def test_seeded_draws_repeat_and_respect_the_bounds():
    first = [repr(draw_case(op, 7)) for op in OPS]
    assert first == [repr(draw_case(op, 7)) for op in OPS]
    for seed in range(20):
        case = draw_case("conv", seed, ndims=(2,), max_batch=1, dtype=np.float32,
                         padding_modes=("zeros",), padding_strings=False, asymmetric=False,
                         max_groups=1)
        a = case.arguments
        assert a["input"].shape[0] == 1 and a["input"].ndim == 4
        assert a["input"].dtype == np.float32 and a["padding_mode"] == "zeros"
        assert a["groups"] == 1 and not isinstance(a["padding"], str)
        assert symmetric(a["padding"])
        empty = draw_case("avg_pool", seed, min_batch=0, max_batch=0)
        assert empty.input.shape[0] == 0 and empty.expected()["output"].shape[0] == 0


def test_unbatched_cases_call_the_rank_checked_name():
    case = draw_case("max_pool", 3, ndims=(2,), unbatched=True)
    assert case.input.ndim == 3 and repr(case).startswith("npconv.max_pool2d(")
    results = case.expected()
    assert results["output"].ndim == 3 and results["grad_input"].shape == case.input.shape


def test_a_case_prints_every_value_exactly():
    x = np.array([[[0.1, np.nan, -np.inf, 3.0]]], dtype=np.float32)
    case = Case("max_pool", {"input": x, "kernel_size": 2, "return_indices": True})
    text = repr(case)
    assert text.startswith("npconv.max_pool(input=np.array([[[0.10000000149011612, np.nan, "
                           "-np.inf, 3.0]]], dtype=np.float32), kernel_size=2")
    again = eval(text, {"np": np, "npconv": npconv})
    np.testing.assert_array_equal(again[0], np.array([[[np.nan, 3.0]]], dtype=np.float32))


def test_the_package_imports_without_hypothesis():
    """npconv.testing needs NumPy only; its strategies module says how to get hypothesis."""
    script = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import npconv.testing as t\n"
        "assert t.edge_cases() and t.draw_case('conv', 0).expected()\n"
        "try:\n"
        "    import npconv.testing.strategies\n"
        "except ImportError as error:\n"
        "    print(error)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=120)
    assert 'pip install -e ".[testing]"' in result.stdout



# --------------------------------------------------------------------------------------------
# Unfold and fold; a transposed convolution's output_size
# --------------------------------------------------------------------------------------------

def test_unfold_and_fold_cases_hold_the_windows_their_facts_say():
    for seed in range(80):
        unfold = draw_case("unfold", seed, unbatched=seed % 5 == 0)
        sizes = unfold.input.shape[-unfold.rank:]
        a = unfold.arguments
        kernel = per_dim(a["kernel_size"], unfold.rank)
        counts = tuple(oracles.conv_output_size(n, k, s, *pair, d) for n, k, s, pair, d in zip(
            sizes, kernel, a["stride"], unfold.facts["pairs"], a["dilation"]))
        assert counts == unfold.facts["window_counts"] and min(counts) >= 1
        C = unfold.input.shape[-unfold.rank - 1]
        assert unfold.expected()["output"].shape[-2:] == (C * math.prod(kernel),
                                                         math.prod(counts))
        fold = draw_case("fold", seed, unbatched=seed % 5 == 0)
        a = fold.arguments
        out_size = per_dim(a["output_size"], fold.rank)
        assert out_size == fold.facts["out_size"]
        kernel = per_dim(a["kernel_size"], fold.rank)
        counts = tuple(oracles.conv_output_size(n, k, s, *pair, d) for n, k, s, pair, d in zip(
            out_size, kernel, a["stride"], fold.facts["pairs"], a["dilation"]))
        assert fold.input.shape[-1] == math.prod(counts)
        assert fold.input.shape[-2] % math.prod(kernel) == 0
        assert fold.expected()["output"].shape[-fold.rank:] == out_size


def test_unbatched_unfold_and_fold_call_their_own_names():
    """PyTorch's F.unfold and F.fold take unbatched input themselves: no rank in the name."""
    for op in ("unfold", "fold"):
        case = draw_case(op, 4, unbatched=True, ndims=(2,))
        assert repr(case).startswith(f"npconv.{op}(") and case.rank == 2
        results = case.expected()
        assert results["grad_input"].shape == case.input.shape
    with pytest.raises(ValueError, match="2-D only"):
        draw_case("fold", 0, ndims=(1, 3), torch_compatible=True)


def test_conv_transpose_output_size_is_within_pytorchs_range():
    drawn = 0
    for seed in range(120):
        case = draw_case("conv_transpose", seed, unbatched=seed % 4 == 0)
        a = case.arguments
        if "output_size" not in a:
            continue
        drawn += 1
        assert "output_padding" not in a
        sizes = case.input.shape[-case.rank:]
        kernel = np.shape(a["weight"])[2:]
        out = tuple(a["output_size"])[-case.rank:]
        assert out == case.facts["out_size"]
        if len(a["output_size"]) > case.rank:           # N and C_out (C_out alone unbatched)
            C_out = np.shape(a["weight"])[1] * a["groups"]
            assert tuple(a["output_size"])[:-case.rank][-1] == C_out
        for n, k, s, (before, after), d, size in zip(sizes, kernel, a["stride"],
                                                      case.facts["pairs"], a["dilation"], out):
            # ConvTranspose: from the size with output_padding 0 up to s - 1 more
            smallest = oracles.conv_transpose_output_size(n, k, s, before, after, 0, d)
            assert max(smallest, 1) <= size <= smallest + s - 1
        assert case.expected()["output"].shape[-case.rank:] == out
    assert drawn > 30
    assert not any("output_size" in draw_case("conv_transpose", seed, output_sizes=False)
                   .arguments for seed in range(30))


# --------------------------------------------------------------------------------------------
# torch_compatible: output sizes of adaptive pooling, and the dtype
# --------------------------------------------------------------------------------------------


def test_torch_compatible_adaptive_output_sizes_are_at_least_one():
    """PyTorch's adaptive pooling backward refuses an output size of 0; so many seeded draws
    (a tenth of them used to hold a 0) never give one, in any form of output_size."""
    for op in ("adaptive_avg_pool", "adaptive_max_pool"):
        for seed in range(300):
            case = draw_case(op, seed, torch_compatible=True)
            size = case.arguments["output_size"]
            entries = (size,) if isinstance(size, int) else size
            assert all(e is None or e >= 1 for e in entries), (seed, size)


def test_adaptive_output_size_zero_is_still_drawn_without_torch_compatible():
    sizes = []
    for seed in range(300):
        size = draw_case("adaptive_avg_pool", seed).arguments["output_size"]
        sizes += [size] if isinstance(size, int) else list(size)
    assert 0 in sizes


@pytest.mark.parametrize("op", list(OPS))
def test_torch_compatible_refuses_a_dtype_that_is_not_floating(op):
    """PyTorch's pooling refuses integer tensors and they have no gradient: an integer
    dtype (alone, or among several to draw from) is refused by name."""
    for dtype in (np.int64, np.int32, (np.float32, np.int16), np.bool_):
        with pytest.raises(ValueError, match=r"dtype=.*torch_compatible.*floating"):
            draw_case(op, 0, dtype=dtype, torch_compatible=True)
    for dtype in (np.float32, np.float64):
        case = draw_case(op, 0, dtype=dtype, torch_compatible=True)
        assert np.asarray(case.arguments["input"]).dtype == dtype
        assert case.torch_compatible is True


def test_integer_dtypes_are_still_drawn_for_npconv_alone():
    case = draw_case("max_pool", 0, dtype=np.int64)
    assert np.asarray(case.arguments["input"]).dtype == np.int64
    assert case.torch_compatible is None                  # nobody checked it against PyTorch


# ---- bad bounds: refused by name before anything is drawn --------------------------------------

def test_bad_bounds_are_refused_by_name():
    from npconv.testing import draw_case
    for op, bounds, error, pattern in [
            ("conv", {"ndims": 3}, TypeError, r"^ndims=3 must be a sequence"),
            ("conv", {"ndims": ()}, ValueError, r"^ndims=\(\) must hold one or more"),
            ("max_pool", {"ndims": (0, 2)}, ValueError, r"^ndims=\(0, 2\)"),
            ("conv", {"ndims": (2.0,)}, TypeError, r"^ndims=\(2.0,\) must hold ints"),
            ("conv", {"ndims": (4,), "torch_compatible": True}, ValueError,
             r"^ndims=\(4,\): torch_compatible cases are 1-, 2- or 3-D"),
            ("conv", {"max_kernel": 0}, ValueError, r"^max_kernel=0 must be an int >= 1"),
            ("unfold", {"max_kernel": 2.0}, TypeError, r"^max_kernel=2.0 must be an int"),
            ("avg_pool", {"max_extra": -1}, ValueError, r"^max_extra=-1 must be an int >= 0"),
            ("fold", {"max_channels": 0}, ValueError, r"^max_channels=0"),
            ("conv_transpose", {"max_groups": 0}, ValueError, r"^max_groups=0"),
            ("lp_pool", {"min_batch": 3}, ValueError, r"^max_batch=2 must be an int >= "
                                                      r"min_batch=3"),
            ("max_unpool", {"max_batch": 0}, ValueError, r"pass min_batch=0"),
            ("max_pool", {"ceil_modes": ()}, ValueError, r"^ceil_modes=\(\) must hold"),
            ("lp_pool", {"norm_types": []}, ValueError, r"^norm_types=\[\] must hold"),
            ("conv", {"padding_modes": ("zeros", "mirror")}, ValueError,
             r"^padding_modes=.*\['mirror'\] not among")]:
        with pytest.raises(error, match=pattern):
            draw_case(op, 0, **bounds)


def test_bounds_at_their_limits_still_draw_valid_cases():
    from npconv.testing import draw_case
    empty = draw_case("conv", 0, min_batch=0, max_batch=0, max_kernel=1, max_extra=0)
    assert empty.input.shape[0] == 0 and empty.expected()["output"].shape[0] == 0
    # a rank above 3 stays as tiny as a 3-D case: kernel at most 2, so a span of at most
    # 2*(2-1)+1 = 3; reflect padding of 'same' wants span + 1 = 4 cells, and half of
    # max_extra=4 more makes at most 6 a side
    for seed in range(5):
        case = draw_case("conv", seed, ndims=(4,))
        assert case.rank == 4 and max(case.input.shape[2:]) <= 6
        assert max(np.asarray(case.arguments["weight"]).shape[2:]) <= 2
        case.expected()


def test_unbatched_cases_keep_to_the_ranks_with_a_rank_checked_name():
    from npconv.testing import draw_case
    with pytest.raises(ValueError, match=r"^ndims=\(2, 4\): unbatched conv cases are 1-D, "
                                         r"2-D, 3-D .*not \[4\]"):
        draw_case("conv", 0, ndims=(2, 4), unbatched=True)
    # unfold takes unbatched input itself, at any rank: (C, *spatial)
    case = draw_case("unfold", 0, ndims=(4,), unbatched=True)
    assert case.input.ndim == 5 and case.expected()["output"].ndim == 2


def test_value_kinds_refuse_what_they_cannot_make_by_name():
    from npconv.testing import draw_case
    with pytest.raises(ValueError, match=r"^values=\['ties'\] is not one of"):
        draw_case("max_pool", 0, values=["ties"])
    with pytest.raises(ValueError, match=r"^values='ties' needs a floating dtype .*int32"):
        draw_case("max_pool", 0, values="ties", dtype=np.int32)
