"""The table of ops the toolkit knows: one :class:`OpSpec` per op, nothing else.

Adding an op to the toolkit is one entry here (its npconv functions, the names of its array
arguments and gradients), a builder in :mod:`npconv.testing.builders`, an explanation in
:mod:`npconv.testing.rules` and its traps in :mod:`npconv.testing.catalogue`; the case
object, ``assert_matches``, the strategies and the vectors then handle it.
"""

from typing import Callable, NamedTuple

import npconv
from npconv.shapes import unfold_spatial_dims

from . import builders, rules

__all__ = ["OpSpec", "OPS", "op_spec"]


class OpSpec(NamedTuple):
    """What the toolkit needs to know about one op."""

    name: str
    forward: Callable
    """npconv's N-d function, e.g. :func:`npconv.conv`."""
    backward: Callable
    """Its backward, called with ``grad_output`` and the forward's arguments but
    :attr:`forward_only`."""
    aliases: dict
    """The rank-checked functions by spatial rank, which also take unbatched input; empty
    for an op whose own function takes unbatched input (unfold and fold, as PyTorch's)."""
    arrays: tuple
    """The arguments that are arrays, in signature order."""
    batched: tuple
    """The array arguments with a batch axis (the rest, like a weight, have none)."""
    forward_only: tuple
    """Arguments of the forward that its backward does not take."""
    gradients: tuple
    """The backward's results, in order: ``grad_input`` first."""
    builder: Callable
    """``builder(draw, **bounds) -> (arguments, facts)``: a valid case, drawn."""
    explain: Callable
    """``explain(case, result, position) -> list of str``: the rules behind one cell."""
    pytorch: str
    """PyTorch's counterpart."""
    spatial_rank: Callable = None
    """``spatial_rank(arguments) -> int`` where the input's shape does not tell the number
    of spatial dimensions (fold's input is columns: its ``output_size`` does); ``None``:
    the input's axes after ``N`` and ``C``."""


def _aliases(stem, module=npconv):
    return {rank: getattr(module, f"{stem}{rank}d") for rank in (1, 2, 3)}


_CONV_GRADIENTS = ("grad_input", "grad_weight", "grad_bias")

OPS = {spec.name: spec for spec in [
    OpSpec("conv", npconv.conv, npconv.conv_backward, _aliases("conv"),
           ("input", "weight", "bias"), ("input",), ("bias",), _CONV_GRADIENTS,
           builders.conv, rules.conv, "torch.nn.functional.conv{1,2,3}d"),
    OpSpec("conv_transpose", npconv.conv_transpose, npconv.conv_transpose_backward,
           _aliases("conv_transpose"), ("input", "weight", "bias"), ("input",), ("bias",),
           _CONV_GRADIENTS, builders.conv_transpose, rules.conv_transpose,
           "torch.nn.functional.conv_transpose{1,2,3}d"),
    OpSpec("max_pool", npconv.max_pool, npconv.max_pool_backward, _aliases("max_pool"),
           ("input",), ("input",), ("return_indices",), ("grad_input",),
           builders.max_pool, rules.max_pool, "torch.nn.functional.max_pool{1,2,3}d"),
    OpSpec("avg_pool", npconv.avg_pool, npconv.avg_pool_backward, _aliases("avg_pool"),
           ("input",), ("input",), (), ("grad_input",),
           builders.avg_pool, rules.avg_pool, "torch.nn.functional.avg_pool{1,2,3}d"),
    OpSpec("max_unpool", npconv.max_unpool, npconv.max_unpool_backward, _aliases("max_unpool"),
           ("input", "indices"), ("input", "indices"), (), ("grad_input",),
           builders.max_unpool, rules.max_unpool, "torch.nn.functional.max_unpool{1,2,3}d"),
    OpSpec("adaptive_avg_pool", npconv.adaptive_avg_pool, npconv.adaptive_avg_pool_backward,
           _aliases("adaptive_avg_pool"), ("input",), ("input",), (), ("grad_input",),
           builders.adaptive_avg_pool, rules.adaptive_pool,
           "torch.nn.functional.adaptive_avg_pool{1,2,3}d"),
    OpSpec("adaptive_max_pool", npconv.adaptive_max_pool, npconv.adaptive_max_pool_backward,
           _aliases("adaptive_max_pool"), ("input",), ("input",), ("return_indices",),
           ("grad_input",), builders.adaptive_max_pool, rules.adaptive_pool,
           "torch.nn.functional.adaptive_max_pool{1,2,3}d"),
    OpSpec("lp_pool", npconv.lp_pool, npconv.lp_pool_backward, _aliases("lp_pool"),
           ("input",), ("input",), (), ("grad_input",),
           builders.lp_pool, rules.lp_pool, "torch.nn.functional.lp_pool{1,2,3}d"),
    OpSpec("unfold", npconv.unfold, npconv.unfold_backward, {}, ("input",), ("input",), (),
           ("grad_input",), builders.unfold, rules.unfold, "torch.nn.functional.unfold"),
    OpSpec("fold", npconv.fold, npconv.fold_backward, {}, ("input",), ("input",), (),
           ("grad_input",), builders.fold, rules.fold, "torch.nn.functional.fold",
           spatial_rank=lambda arguments: unfold_spatial_dims(arguments["output_size"],
                                                              "output_size")),
]}
"""Every op the toolkit covers, by name."""


def op_spec(op):
    """The :class:`OpSpec` of ``op``, or a ``ValueError`` naming the known ops."""
    if op not in OPS:
        raise ValueError(f"op={op!r} is not one of {tuple(OPS)}")
    return OPS[op]
