"""The public API as ``help()`` and an IDE show it: signatures, annotations, numpydoc sections.

What a learner reads before calling a function is its signature and its docstring.  These
tests read both from the functions themselves and hold them to the house style: every
public name shows its real parameters (no ``*args, **kwargs``), the ops are annotated
(array-like in, ``NDArray`` out), their docstrings have the numpydoc sections, the names
under See Also exist, and the errors under Raises are the ones a bad argument really
raises (each op is called with an unknown ``method`` and with an array of strings).
"""

import importlib
import importlib.resources
import inspect
import re
import typing

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

SECTION_ORDER = ["Parameters", "Returns", "Raises", "See Also", "Notes", "Examples"]
ARRAY_PARAMETERS = {"input", "weight", "bias", "grad_output", "indices"}


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


@pytest.mark.parametrize("name", OPS)
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


@pytest.mark.parametrize("name", OPS)
def test_every_op_is_annotated_array_like_in_and_ndarray_out(name):
    function = getattr(npconv, name)
    hints = typing.get_type_hints(function)        # resolves every annotation, or raises
    parameters = inspect.signature(function).parameters
    assert set(parameters) | {"return"} == set(hints), (
        f"npconv.{name}: no annotation for {sorted(set(parameters) - set(hints))}")
    for parameter in ARRAY_PARAMETERS & set(parameters):
        assert hints[parameter] in (ArrayLike, typing.Optional[ArrayLike]), (name, parameter)
    assert returns_arrays(hints["return"]), (name, hints["return"])


def returns_arrays(hint):
    """Whether ``hint`` is an ``NDArray``, or a tuple or union of them, or ``Gradients``
    (a named tuple of them)."""
    if hint is npconv.Gradients or typing.get_origin(hint) is np.ndarray:
        return True
    if typing.get_origin(hint) in (typing.Union, tuple):
        return all(returns_arrays(part) for part in typing.get_args(hint))
    return False


def test_the_package_ships_its_type_information():
    assert (importlib.resources.files("npconv") / "py.typed").is_file()


# --------------------------------------------------------------------------------------------
# Docstrings
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", OPS)
def test_every_op_has_the_numpydoc_sections_in_order(name):
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


@pytest.mark.parametrize("name", OPS)
def test_every_see_also_entry_names_something_that_exists(name):
    function = getattr(npconv, name)
    references = [entry.split(" : ")[0].strip() for entry in
                  " ".join(sections(function)["See Also"].split()).split(",")]
    assert references
    for reference in references:
        resolve(reference, function)                 # raises if the name does not exist


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
