"""Bad input to the family's ops raises the promised error, naming what was wrong.

As ``tests/test_errors.py`` does for the core: each test starts from a valid call of every
op it concerns (forward and backward) and breaks one argument; the message is matched on the
parameter's name and the value received.  The arguments are checked before ``method`` picks
a variant, so an error test runs with the default method only; one test shows, for both
methods, that a bad call is stopped before either variant runs.  The last tests check, with
both methods, that no argument is ever modified and that read-only arrays are accepted.
"""

import re

import numpy as np
import pytest
from hypothesis import given

import npconv
import npconv.family
from npconv.testing.strategies import adaptive_configs, lp_configs, op_args, unpool_configs

METHODS = ("loops", "im2col")


# --------------------------------------------------------------------------------------------
# One valid call per op; a test overrides the arguments it breaks
# --------------------------------------------------------------------------------------------
# max_unpool: input and indices (1, 2, 2, 2), kernel 2 -> output (1, 2, 4, 4).
# adaptive pooling: input (1, 2, 5, 5), output_size 3 -> (1, 2, 3, 3).
# lp_pool: input (1, 2, 5, 5), p = 2, kernel 2 -> (1, 2, 2, 2).

UNPOOL = {"input": np.ones((1, 2, 2, 2)), "indices": np.zeros((1, 2, 2, 2), dtype=np.int64),
          "kernel_size": 2}


def call_max_unpool(**changes):
    return npconv.max_unpool(**{**UNPOOL, **changes})


def call_max_unpool_backward(**changes):
    return npconv.max_unpool_backward(**{"grad_output": np.ones((1, 2, 4, 4)), **UNPOOL,
                                         **changes})


def call_adaptive_avg_pool(**changes):
    return npconv.adaptive_avg_pool(**{"input": np.ones((1, 2, 5, 5)), "output_size": 3,
                                       **changes})


def call_adaptive_avg_pool_backward(**changes):
    return npconv.adaptive_avg_pool_backward(**{"grad_output": np.ones((1, 2, 3, 3)),
                                                "input": np.ones((1, 2, 5, 5)),
                                                "output_size": 3, **changes})


def call_adaptive_max_pool(**changes):
    return npconv.adaptive_max_pool(**{"input": np.ones((1, 2, 5, 5)), "output_size": 3,
                                       **changes})


def call_adaptive_max_pool_backward(**changes):
    return npconv.adaptive_max_pool_backward(**{"grad_output": np.ones((1, 2, 3, 3)),
                                                "input": np.ones((1, 2, 5, 5)),
                                                "output_size": 3, **changes})


def call_lp_pool(**changes):
    return npconv.lp_pool(**{"input": np.ones((1, 2, 5, 5)), "norm_type": 2, "kernel_size": 2,
                             **changes})


def call_lp_pool_backward(**changes):
    return npconv.lp_pool_backward(**{"grad_output": np.ones((1, 2, 2, 2)),
                                      "input": np.ones((1, 2, 5, 5)), "norm_type": 2,
                                      "kernel_size": 2, **changes})


UNPOOLS = [call_max_unpool, call_max_unpool_backward]
ADAPTIVES = [call_adaptive_avg_pool, call_adaptive_avg_pool_backward, call_adaptive_max_pool,
             call_adaptive_max_pool_backward]
LP_POOLS = [call_lp_pool, call_lp_pool_backward]
ALL_OPS = UNPOOLS + ADAPTIVES + LP_POOLS
BACKWARDS = [call_max_unpool_backward, call_adaptive_avg_pool_backward,
             call_adaptive_max_pool_backward, call_lp_pool_backward]


def raises(error, *fragments):
    """``pytest.raises`` whose message must contain every fragment, literally."""
    return pytest.raises(error, match="(?s)" + "".join(f"(?=.*{re.escape(f)})"
                                                       for f in fragments))


# --------------------------------------------------------------------------------------------
# Every op
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("call", ALL_OPS)
def test_the_baseline_calls_are_valid(call, method):
    call(method=method)


class Dispatched(Exception):
    """Raised by a variant's op replaced with a tripwire."""


def baseline_input_shape(call):
    return (1, 2, 2, 2) if call in UNPOOLS else (1, 2, 5, 5)


# One broken input per kind of check: its shape, its dtype, not an array at all.
BROKEN = {
    "an input without a spatial axis": lambda call: (
        {"input": np.ones((1, 2)), "indices": np.zeros((1, 2), dtype=np.int64)}
        if call in UNPOOLS else {"input": np.ones((1, 2))}, ValueError),
    "a complex input": lambda call: (
        {"input": np.ones(baseline_input_shape(call), dtype=complex)}, TypeError),
    "None as input": lambda call: ({"input": None}, TypeError),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("broken", BROKEN)
@pytest.mark.parametrize("call", ALL_OPS)
def test_arguments_are_checked_before_either_variant_runs(call, broken, method, monkeypatch):
    """With the op replaced by a tripwire in the variant that ``method`` names, the valid
    baseline call trips it, and a broken input raises its error without reaching it: so
    the error tests, which run with the default method, hold for both."""
    name = call.__name__.removeprefix("call_")

    def tripwire(*args, **kwargs):
        raise Dispatched(f"npconv.family.{method}.{name} ran")

    monkeypatch.setattr(getattr(npconv.family, method), name, tripwire)
    with pytest.raises(Dispatched):
        call(method=method)
    changes, error = BROKEN[broken](call)
    with pytest.raises(error):
        call(**changes, method=method)


@pytest.mark.parametrize("call", ALL_OPS)
def test_input_without_a_spatial_dimension_is_rejected(call):
    changes = {"input": np.ones((1, 2))}
    if call in UNPOOLS:
        changes["indices"] = np.zeros((1, 2), dtype=np.int64)
    with raises(ValueError, "input must have shape (N, C, *spatial)", "(1, 2)"):
        call(**changes)


@pytest.mark.parametrize("call", ALL_OPS)
def test_complex_input_is_a_type_error(call):
    with raises(TypeError, "input", "complex"):
        call(input=np.ones(baseline_input_shape(call), dtype=complex))


@pytest.mark.parametrize("call", ALL_OPS)
def test_unknown_method_is_rejected(call):
    with raises(ValueError, "method='fast'"):
        call(method="fast")


@pytest.mark.parametrize("call", BACKWARDS)
def test_grad_output_must_have_the_forward_output_shape(call):
    with raises(ValueError, "grad_output has shape (1, 2, 7, 7)"):
        call(grad_output=np.ones((1, 2, 7, 7)))


# --------------------------------------------------------------------------------------------
# Max unpooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", UNPOOLS)
@pytest.mark.parametrize("dtype", [np.float64, bool])
def test_indices_must_be_integers(call, dtype):
    with raises(TypeError, "indices must be an array of integers", str(np.dtype(dtype))):
        call(indices=np.zeros((1, 2, 2, 2), dtype=dtype))


@pytest.mark.parametrize("call", UNPOOLS)
def test_indices_must_have_the_input_shape(call):
    with raises(ValueError, "indices must have the input's shape (1, 2, 2, 2)", "(1, 2, 2, 3)"):
        call(indices=np.zeros((1, 2, 2, 3), dtype=np.int64))


@pytest.mark.parametrize("call", UNPOOLS)
@pytest.mark.parametrize("bad", [16, -1])
def test_an_index_outside_the_output_plane_is_rejected(call, bad):
    # PyTorch: "Found an invalid max index: 16 (output volumes are of size 4x4)"
    indices = np.zeros((1, 2, 2, 2), dtype=np.int64)
    indices[0, 1, 1, 0] = bad
    with raises(ValueError, f"indices[0, 1, 1, 0] = {bad}", "from 0 to 15"):
        call(indices=indices)


@pytest.mark.parametrize("call", UNPOOLS)
@pytest.mark.parametrize("output_size, low, high", [((6, 6), 3, 5), ((4, 2), 3, 5)])
def test_output_size_out_of_pytorchs_range_names_the_range(call, output_size, low,
                                                           high):
    with raises(ValueError, f"output_size={output_size}", f"from {low} to {high}",
                "default size"):
        call(output_size=output_size)


@pytest.mark.parametrize("call", UNPOOLS)
@pytest.mark.parametrize("output_size", [(5,), (1, 5, 5), (1, 1, 2, 5, 5)])
def test_output_size_with_the_wrong_number_of_entries_is_rejected(call, output_size):
    with raises(ValueError, f"output_size={output_size}", "2 ints", "4 ints"):
        call(output_size=output_size)


@pytest.mark.parametrize("call", UNPOOLS)
@pytest.mark.parametrize("output_size", [5, (4.0, 4.0), "4x4", (True, 4)])
def test_output_size_of_the_wrong_type_is_a_type_error(call, output_size):
    with raises(TypeError, f"output_size={output_size!r}"):
        call(output_size=output_size)


@pytest.mark.parametrize("call", UNPOOLS)
def test_output_size_with_other_batch_or_channels_is_rejected(call):
    with raises(ValueError, "output_size=(2, 2, 4, 4)", "N, C = (2, 2)", "(1, 2)"):
        call(output_size=(2, 2, 4, 4))


@pytest.mark.parametrize("call", UNPOOLS)
@pytest.mark.parametrize("name, value, error", [
    ("kernel_size", 0, ValueError), ("kernel_size", (2, 2, 2), ValueError),
    ("kernel_size", 2.0, TypeError), ("stride", 0, ValueError), ("padding", -1, ValueError),
    ("padding", "same", ValueError)])
def test_bad_unpool_geometry_is_rejected(call, name, value, error):
    with raises(error, f"{name}={value!r}"):
        call(**{name: value})


def test_unpool_default_size_below_zero_names_the_formula():
    with raises(ValueError, "would be -1", "(in - 1)*stride - before - after + kernel_size"):
        npconv.max_unpool(np.ones((1, 1, 1)), np.zeros((1, 1, 1), dtype=np.int64), 1,
                          padding=1)


def test_unpool_to_an_output_without_cells_is_rejected():
    # PyTorch returns an empty output here and drops every index silently.
    with raises(ValueError, "indices[0, 0, 0] = 0", "no cells"):
        npconv.max_unpool(np.ones((1, 1, 1)), np.zeros((1, 1, 1), dtype=np.int64), 2,
                          padding=1)


def test_unpool_input_with_an_empty_spatial_dimension_is_rejected():
    with raises(ValueError, "input has size 0 along spatial dimension 0"):
        npconv.max_unpool(np.ones((1, 1, 0, 2)), np.zeros((1, 1, 0, 2), dtype=np.int64), 2)


# --------------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", ADAPTIVES)
@pytest.mark.parametrize("output_size, error, fragment", [
    (-1, ValueError, "must not be negative"), ((3, -2), ValueError, "must not be negative"),
    ((3, 3, 3), ValueError, "has 3 entries"), ((3,), ValueError, "has 1 entries"),
    (2.5, TypeError, "an int, None"), ((3, 2.0), TypeError, "an int, None"),
    ("3", TypeError, "an int, None"), (True, TypeError, "an int, None")])
def test_bad_adaptive_output_size_is_rejected(call, output_size, error, fragment):
    with raises(error, f"output_size={output_size!r}", fragment):
        call(output_size=output_size)


@pytest.mark.parametrize("call", ADAPTIVES)
def test_adaptive_input_with_an_empty_spatial_dimension_is_rejected(call):
    # PyTorch's adaptive max pooling refuses it too; its average returns NaN
    with raises(ValueError, "input has size 0 along spatial dimension 1",
                "its average returns NaN"):
        call(input=np.ones((1, 2, 5, 0)))


def test_return_indices_must_be_a_bool():
    with raises(TypeError, "return_indices='yes'"):
        call_adaptive_max_pool(return_indices="yes")


# --------------------------------------------------------------------------------------------
# Power-average pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", LP_POOLS)
@pytest.mark.parametrize("norm_type, error", [(0, ValueError), (0.0, ValueError),
                                              (float("nan"), ValueError), ("2", TypeError),
                                              (True, TypeError), (None, TypeError)])
def test_bad_norm_type_is_rejected(call, norm_type, error):
    with raises(error, f"norm_type={norm_type!r}"):
        call(norm_type=norm_type)


@pytest.mark.parametrize("call", LP_POOLS)
@pytest.mark.parametrize("name, value, error", [
    ("kernel_size", 0, ValueError), ("kernel_size", (2, 2, 2), ValueError),
    ("kernel_size", "2", TypeError), ("stride", 0, ValueError), ("ceil_mode", "False", TypeError)])
def test_bad_lp_pool_geometry_is_rejected(call, name, value, error):
    with raises(error, f"{name}={value!r}"):
        call(**{name: value})


def test_lp_pool_kernel_larger_than_the_input_names_the_dimension():
    with raises(ValueError, "output size along spatial dimension 0 would be 0"):
        call_lp_pool(kernel_size=6)


# --------------------------------------------------------------------------------------------
# Memory: an output too large to allocate is refused before any work
# --------------------------------------------------------------------------------------------

def test_an_unpool_output_beyond_the_memory_bound_is_refused():
    with raises(ValueError, "the output would have shape", "bytes", "stride=1000000"):
        npconv.max_unpool(np.ones((1, 1, 3, 3)), np.zeros((1, 1, 3, 3), dtype=np.int64), 2,
                          stride=10 ** 6)


def test_an_adaptive_output_beyond_the_memory_bound_is_refused():
    with raises(ValueError, "the output would have shape", "bytes", "output_size=1000000"):
        npconv.adaptive_avg_pool(np.ones((1, 1, 3, 3)), 10 ** 6)


# --------------------------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("alias, shape", [
    (npconv.adaptive_avg_pool2d, (1, 2, 3, 4, 5)), (npconv.adaptive_max_pool1d, (5,)),
    (npconv.lp_pool3d, (2, 3, 3))])
def test_rank_checked_aliases_reject_other_ranks(alias, shape):
    args = (2, 1) if alias is npconv.lp_pool3d else (1,)
    with raises(ValueError, alias.__name__, str(shape)):
        alias(np.ones(shape), *args)


def test_max_unpool_alias_rejects_other_ranks_and_unbatched_indices_of_another_shape():
    with raises(ValueError, "max_unpool2d expects input of shape (N, C, H, W) or (C, H, W)"):
        npconv.max_unpool2d(np.ones((2, 2)), np.zeros((2, 2), dtype=np.int64), 2)
    with raises(ValueError, "indices must have the input's shape (2, 2, 2)"):
        npconv.max_unpool2d(np.ones((2, 2, 2)), np.zeros((1, 2, 2, 2), dtype=np.int64), 2)


# --------------------------------------------------------------------------------------------
# No argument is modified; read-only arrays are accepted
# --------------------------------------------------------------------------------------------

def assert_unchanged_and_read_only_accepted(call, arrays):
    """Call with copies, check nothing changed; then call with read-only arrays."""
    originals = {name: array.copy() for name, array in arrays.items()}
    first = call(**arrays)
    for name, array in arrays.items():
        np.testing.assert_array_equal(array, originals[name])
        array.flags.writeable = False
    second = call(**arrays)
    for a, b in zip(np.atleast_1d(first) if not isinstance(first, tuple) else first,
                    np.atleast_1d(second) if not isinstance(second, tuple) else second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", METHODS)
@given(config=unpool_configs())
def test_max_unpool_and_its_backward_modify_no_argument(method, config):
    args = op_args(config)
    x, indices = args.pop("input"), args.pop("indices")
    grad = np.ones((*x.shape[:2], *config["out_size"]))
    assert_unchanged_and_read_only_accepted(
        lambda **a: npconv.max_unpool(a["x"], a["indices"], **args, method=method),
        {"x": x.copy(), "indices": indices.copy()})
    assert_unchanged_and_read_only_accepted(
        lambda **a: npconv.max_unpool_backward(a["grad"], a["x"], a["indices"], **args,
                                               method=method),
        {"grad": grad, "x": x.copy(), "indices": indices.copy()})


@pytest.mark.parametrize("method", METHODS)
@given(config=adaptive_configs())
def test_adaptive_pooling_and_its_backward_modify_no_argument(method, config):
    x, output_size = config["input"], config["output_size"]
    grad = np.ones((*x.shape[:2], *config["out_size"]))
    for forward in (npconv.adaptive_avg_pool, npconv.adaptive_max_pool):
        assert_unchanged_and_read_only_accepted(
            lambda **a: forward(a["x"], output_size, method=method), {"x": x.copy()})
    for backward in (npconv.adaptive_avg_pool_backward, npconv.adaptive_max_pool_backward):
        assert_unchanged_and_read_only_accepted(
            lambda **a: backward(a["grad"], a["x"], output_size, method=method),
            {"grad": grad.copy(), "x": x.copy()})


@pytest.mark.parametrize("method", METHODS)
@given(config=lp_configs())
def test_lp_pool_and_its_backward_modify_no_argument(method, config):
    args = op_args(config)
    x = args.pop("input")
    out = npconv.lp_pool(x, **args, method=method)
    with np.errstate(invalid="ignore"):
        assert_unchanged_and_read_only_accepted(
            lambda **a: npconv.lp_pool(a["x"], **args, method=method), {"x": x.copy()})
        assert_unchanged_and_read_only_accepted(
            lambda **a: npconv.lp_pool_backward(a["grad"], a["x"], **args, method=method),
            {"grad": np.ones(out.shape), "x": x.copy()})
