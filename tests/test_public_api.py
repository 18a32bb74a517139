"""The public API as ``help()`` and an IDE show it: signatures, annotations, numpydoc sections.

What a learner reads before calling a function is its signature and its docstring.  These
tests read both from the functions themselves and hold them to the house style: every
public name shows its real parameters (no ``*args, **kwargs``), every public function (the
ops and the helpers of ``shapes`` and ``padding``) is annotated (array-like in, ``NDArray``
out; the size helpers ints in and out), its docstring has the numpydoc sections, the names
under See Also exist, and the errors under Raises are the ones a bad argument really raises
(each op is called with an unknown ``method`` and with an array of strings; each helper
with a list of bad arguments, one at a time).
"""

import importlib
import importlib.resources
import inspect
import re
import types
import typing
from fractions import Fraction

import numpy as np
import pytest
from numpy.typing import ArrayLike

import npconv
import npconv.api
import npconv.family.api

PUBLIC = [name for name in npconv.__all__ if not inspect.ismodule(getattr(npconv, name))]
"""Every public name but the two variant modules, ``npconv.loops`` and ``npconv.im2col``."""

OPS = [name for name in npconv.api.__all__ + npconv.family.api.__all__
       if inspect.isfunction(getattr(npconv, name))]
"""The ops, their backwards and the rank-checked aliases: the core's and the family's."""

HELPERS = [name for name in PUBLIC
           if getattr(npconv, name).__module__ in ("npconv.shapes", "npconv.padding")]
"""The formulas and the padding helpers re-exported beside the ops: ``conv_output_size``, ..."""

FUNCTIONS = OPS + HELPERS

SECTION_ORDER = ["Parameters", "Returns", "Raises", "See Also", "Notes", "Examples"]
ARRAY_PARAMETERS = {"input", "weight", "bias", "grad_output", "indices"}
HELPER_ARRAY_PARAMETERS = {"x"}
"""The helpers' arrays (``conv_parameter_count``'s ``bias`` is a flag, not an array)."""


def sections(obj):
    """The numpydoc sections of ``obj``'s docstring: ``{title: text}``, in their order."""
    doc = inspect.getdoc(obj) or ""
    parts = re.split(r"^([A-Z][A-Za-z ]+)\n-{3,}\n", doc, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def entries(text):
    """The names a section lists: its unindented lines, up to `` : ``, split at commas."""
    names = []
    for line in text.splitlines():
        if line and not line[0].isspace():
            names += [name.strip().lstrip("*") for name in line.split(" : ")[0].split(",")]
    return [name for name in names if name]


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_shows_its_real_parameters(name):
    obj = getattr(npconv, name)
    parameters = inspect.signature(obj).parameters.values()
    hidden = [p.name for p in parameters
              if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    assert not hidden, f"npconv.{name}{inspect.signature(obj)} hides its parameters"


def test_every_public_function_is_an_op_or_a_helper():
    """So that none escapes the tests below, which hold OPS and HELPERS to the house style."""
    functions = [name for name in PUBLIC if inspect.isfunction(getattr(npconv, name))]
    assert sorted(functions) == sorted(FUNCTIONS)
    assert len(HELPERS) == 10, HELPERS
    assert set(PUBLIC) - set(FUNCTIONS) == {"Gradients"}     # a named tuple, not a function


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_parameters_sections_follow_the_signature(name):
    """Every parameter documented once, in the signature's order, as numpydoc asks."""
    function = getattr(npconv, name)
    documented = entries(sections(function)["Parameters"])
    assert documented == list(inspect.signature(function).parameters), (
        f"npconv.{name}: the Parameters section lists {documented}")


def test_the_parameter_parser_reads_grouped_and_starred_entries():
    text = ("input, indices : array_like\n    what they are\n"
            "kernel_size, stride, method\n    As for max_pool.\n*layers : Module\n")
    assert entries(text) == ["input", "indices", "kernel_size", "stride", "method", "layers"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_is_annotated_array_like_in_and_ndarray_out(name):
    """An op or a padding helper takes array-likes and returns ``NDArray``; a size helper
    takes no array and returns numbers (an int, a pair of them, or a fraction)."""
    function = getattr(npconv, name)
    hints = typing.get_type_hints(function)        # resolves every annotation, or raises
    parameters = inspect.signature(function).parameters
    assert set(parameters) | {"return"} == set(hints), (
        f"npconv.{name}: no annotation for {sorted(set(parameters) - set(hints))}")
    arrays = (ARRAY_PARAMETERS if name in OPS else HELPER_ARRAY_PARAMETERS) & set(parameters)
    for parameter in arrays:
        assert hints[parameter] in (ArrayLike, typing.Optional[ArrayLike]), (name, parameter)
    if arrays:
        assert returns_arrays(hints["return"]), (name, hints["return"])
    else:
        assert returns_numbers(hints["return"]), (name, hints["return"])


UNIONS = (typing.Union, types.UnionType)
"""``Union[a, b]`` and ``a | b``, which ``typing.get_origin`` tells apart."""


def returns_arrays(hint):
    """Whether ``hint`` is an ``NDArray``, or a tuple or union of them, or ``Gradients``
    (a named tuple of them)."""
    if hint is npconv.Gradients or typing.get_origin(hint) is np.ndarray:
        return True
    if typing.get_origin(hint) in (*UNIONS, tuple):
        return all(returns_arrays(part) for part in typing.get_args(hint))
    return False


def returns_numbers(hint):
    """Whether ``hint`` is ``int`` or ``Fraction``, or a tuple or union of them."""
    if hint in (int, Fraction):
        return True
    if typing.get_origin(hint) in (*UNIONS, tuple):
        return all(returns_numbers(part) for part in typing.get_args(hint))
    return False


def test_the_annotation_readers_tell_arrays_from_numbers():
    assert returns_numbers(tuple[int, int]) and returns_numbers(int | Fraction)
    assert not returns_numbers(float) and not returns_numbers(tuple[int, float])
    assert returns_arrays(typing.Union[np.typing.NDArray, tuple[np.typing.NDArray]])
    assert not returns_arrays(int) and not returns_arrays(tuple[np.typing.NDArray, int])


def test_the_package_ships_its_type_information():
    assert (importlib.resources.files("npconv") / "py.typed").is_file()


# --------------------------------------------------------------------------------------------
# Docstrings
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_has_the_numpydoc_sections_in_order(name):
    found = list(sections(getattr(npconv, name)))
    required = ["Parameters", "Returns", "Raises", "See Also", "Examples"]
    assert [title for title in found if title in required] == required, (name, found)
    assert found == [title for title in SECTION_ORDER if title in found], (name, found)


def resolve(reference, function):
    """The object a See Also entry names: in the function's module, in npconv, or dotted."""
    module = importlib.import_module(function.__module__)
    for home in (module, npconv):
        if hasattr(home, reference):
            return getattr(home, reference)
    head, _, attribute = reference.rpartition(".")
    return getattr(importlib.import_module(head), attribute)


def see_also(function):
    """The names the See Also section of ``function`` lists."""
    return [entry.split(" : ")[0].strip() for entry in
            " ".join(sections(function)["See Also"].split()).split(",")]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_see_also_entry_names_something_that_exists(name):
    function = getattr(npconv, name)
    references = see_also(function)
    assert references
    for reference in references:
        resolve(reference, function)                 # raises if the name does not exist


@pytest.mark.parametrize("name", HELPERS)
def test_every_helper_points_at_a_related_helper_and_at_an_op_it_serves(name):
    function = getattr(npconv, name)
    found = [resolve(reference, function) for reference in see_also(function)]
    ops = [getattr(npconv, op) for op in OPS]
    helpers = [getattr(npconv, helper) for helper in HELPERS] + [
        getattr(module, helper) for module in (npconv.shapes, npconv.padding)
        for helper in module.__all__]
    assert any(any(target is op for op in ops) for target in found), (name, found)
    assert any(any(target is helper for helper in helpers) and target is not function
               for target in found), (name, found)


# --------------------------------------------------------------------------------------------
# Raises: the documented errors are the ones bad arguments raise
# --------------------------------------------------------------------------------------------

def _grid(rank, size, value=1.0):
    return np.full((1, 1) + (size,) * rank, value)


def valid_arguments(name):
    """Keyword arguments of a small valid call of the op ``name`` (forward or backward)."""
    stem = name.removesuffix("_backward")
    rank = int(stem[-2]) if re.search(r"\dd$", stem) else 2
    stem = re.sub(r"\dd$", "", stem)
    x, kernel = np.arange(4.0 ** rank).reshape((1, 1) + (4,) * rank), _grid(rank, 2)
    forward, out_size = {
        "conv": (dict(input=x, weight=kernel), 3),
        "conv_transpose": (dict(input=x, weight=kernel), 5),
        "max_pool": (dict(input=x, kernel_size=2), 2),
        "avg_pool": (dict(input=x, kernel_size=2), 2),
        "lp_pool": (dict(input=x, norm_type=2, kernel_size=2), 2),
        "adaptive_avg_pool": (dict(input=x, output_size=2), 2),
        "adaptive_max_pool": (dict(input=x, output_size=2), 2),
        "max_unpool": (dict(input=_grid(rank, 2), indices=np.zeros((1, 1) + (2,) * rank, int),
                            kernel_size=2), 4),
        "unfold": (dict(input=x, kernel_size=2), None),
        "fold": (dict(input=np.ones((1, 4, 9)), output_size=4, kernel_size=2), 4),
    }[stem]
    if not name.endswith("_backward"):
        return forward
    grad_output = np.ones((1, 4, 9)) if stem == "unfold" else _grid(rank, out_size)
    return dict(grad_output=grad_output, **forward)


def raised(function, arguments):
    with pytest.raises((ValueError, TypeError)) as error:
        function(**arguments)
    return error.type.__name__


@pytest.mark.parametrize("name", OPS)
def test_raises_lists_the_errors_that_bad_arguments_raise(name):
    function = getattr(npconv, name)
    arguments = valid_arguments(name)
    function(**arguments)                                      # the call itself is valid
    unknown_method = raised(function, {**arguments, "method": "fast"})
    strings = raised(function, {**arguments, "input": np.full(arguments["input"].shape, "a")})
    assert (unknown_method, strings) == ("ValueError", "TypeError")
    documented = entries(sections(function)["Raises"])
    assert {"ValueError", "TypeError"} <= set(documented), (name, documented)


HELPER_CALLS = {
    "effective_kernel_size": (dict(kernel_size=3, dilation=2), [
        (dict(kernel_size=0), ValueError), (dict(dilation=0), ValueError),
        (dict(kernel_size=3.0), TypeError), (dict(dilation=True), TypeError)]),
    "conv_output_size": (dict(in_size=5, kernel_size=3, stride=2, padding=(1, 1), dilation=1), [
        (dict(stride=0), ValueError), (dict(in_size=-1), ValueError),
        (dict(kernel_size=0), ValueError), (dict(dilation=0), ValueError),
        (dict(padding=1), TypeError), (dict(padding=(1.5, 1)), TypeError),
        (dict(in_size=5.0), TypeError)]),
    "conv_transpose_output_size": (dict(in_size=3, kernel_size=3, stride=2, padding=(1, 1),
                                        output_padding=1, dilation=1), [
        (dict(output_padding=-1), ValueError), (dict(padding=(-1, 0)), ValueError),
        (dict(stride=0), ValueError), (dict(in_size=-1), ValueError),
        (dict(padding=1), TypeError), (dict(output_padding=1.0), TypeError)]),
    "pool_output_size": (dict(in_size=5, kernel_size=2, stride=2, padding=(0, 0), dilation=1,
                              ceil_mode=True), [
        (dict(stride=0), ValueError), (dict(stride=0, ceil_mode=False), ValueError),
        (dict(padding=(-1, 0)), ValueError), (dict(in_size=-1), ValueError),
        (dict(kernel_size=0), ValueError), (dict(stride=None), TypeError),
        (dict(ceil_mode="no"), TypeError), (dict(padding=(0, 0, 0)), TypeError)]),
    "same_padding": (dict(in_size=7, kernel_size=3, stride=2, dilation=1), [
        (dict(stride=0), ValueError), (dict(in_size=-5), ValueError),
        (dict(kernel_size=0), ValueError), (dict(dilation=0), ValueError),
        (dict(kernel_size=2.5), TypeError)]),
    "output_padding_for": (dict(target_size=6, in_size=3, kernel_size=3, stride=2,
                                padding=(1, 1), dilation=1), [
        (dict(target_size=7), ValueError), (dict(target_size=0), ValueError),
        (dict(stride=0), ValueError), (dict(padding=1), TypeError),
        (dict(target_size=6.0), TypeError)]),
    "conv_parameter_count": (dict(in_channels=4, out_channels=8, kernel_size=(3, 3), groups=2,
                                  bias=True), [
        (dict(in_channels=3), ValueError), (dict(in_channels=-4), ValueError),
        (dict(out_channels=-8), ValueError), (dict(groups=0), ValueError),
        (dict(kernel_size=(3, 0)), ValueError), (dict(kernel_size=()), ValueError),
        (dict(kernel_size=3.0), TypeError), (dict(kernel_size=(3, 3.0)), TypeError),
        (dict(bias="no"), TypeError), (dict(out_channels=8.0), TypeError)]),
    "receptive_field": (dict(layers=[(3, 1, 1), (3, 2, 2), (2, Fraction(1, 2), 1)]), [
        (dict(layers=[(3, 0, 1)]), ValueError), (dict(layers=[(0, 1, 1)]), ValueError),
        (dict(layers=[(3, 1, 0)]), ValueError), (dict(layers=[(3, Fraction(-1, 2), 1)]),
                                                 ValueError),
        (dict(layers=[(3, 1)]), TypeError), (dict(layers=[(3, 1.5, 1)]), TypeError),
        (dict(layers=[(3.0, 1, 1)]), TypeError)]),
    "pad": (dict(x=np.ones((1, 1, 3)), padding=[(1, 2)], mode="zeros", value=0.0), [
        (dict(padding=[(1, 1), (1, 1)]), ValueError), (dict(padding=[(-1, 1)]), ValueError),
        (dict(mode="edge"), ValueError), (dict(value=1.0, mode="reflect"), ValueError),
        (dict(value=0.5, x=np.ones((1, 1, 3), dtype=int)), ValueError),
        (dict(x=np.ones(3)), ValueError), (dict(padding=1), TypeError),
        (dict(padding=[(1.5, 1)]), TypeError), (dict(padding=[(1,)]), TypeError),
        (dict(value="a"), TypeError)]),
    "insert_zeros": (dict(x=np.ones((2, 2)), gaps=(2, 3), axes=(0, 1)), [
        (dict(gaps=(0, 1)), ValueError), (dict(gaps=(2,)), ValueError),
        (dict(axes=(0, 0)), ValueError), (dict(axes=(0, -2)), ValueError),
        (dict(axes=(0, 2)), ValueError), (dict(gaps=2), TypeError),
        (dict(axes=(0.0, 1)), TypeError), (dict(gaps=(True, 2)), TypeError)]),
}
"""Per helper: the keyword arguments of a small valid call, and bad changes to them, each
with the error it must raise.  The first changed argument is the one the message names."""


def test_every_helper_has_its_calls():
    assert sorted(HELPER_CALLS) == sorted(HELPERS)


@pytest.mark.parametrize("name", HELPERS)
def test_raises_lists_the_errors_that_bad_arguments_to_a_helper_raise(name):
    """Each bad change raises its error, naming the argument; Raises lists exactly those."""
    function = getattr(npconv, name)
    arguments, bad_changes = HELPER_CALLS[name]
    function(**arguments)                                      # the call itself is valid
    kinds = set()
    for changes, expected in bad_changes:
        with pytest.raises((ValueError, TypeError)) as error:
            function(**{**arguments, **changes})
        assert error.type is expected, (name, changes, error.value)
        named = next(iter(changes))
        assert re.search(rf"\b{named}\b", str(error.value)), (name, changes, error.value)
        kinds.add(expected.__name__)
    assert set(entries(sections(function)["Raises"])) == kinds, name
