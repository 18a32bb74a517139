"""The two variants are modules reachable by their names: ``npconv.loops`` and
``npconv.im2col``, as the See Also sections of every op say, and each holds every op."""

import importlib
import inspect

import pytest

import npconv
import npconv.api

OPS = [name for name in npconv.api.__all__
       if name != "Gradients" and name[-2:] not in ("1d", "2d", "3d")]


@pytest.mark.parametrize("variant", ["loops", "im2col"])
def test_the_variants_are_modules(variant):
    """``npconv.loops`` and ``npconv.im2col`` are the modules, the same ones an import by
    name gives (not a function that hides its module)."""
    module = getattr(npconv, variant)
    assert inspect.ismodule(module)
    assert importlib.import_module(f"npconv.{variant}") is module


@pytest.mark.parametrize("variant", ["loops", "im2col"])
@pytest.mark.parametrize("op", OPS)
def test_every_op_exists_in_both_variants(variant, op):
    """``npconv.im2col.conv``, ``npconv.loops.max_pool`` and the others resolve: every op
    exists twice."""
    assert callable(getattr(getattr(npconv, variant), op))
