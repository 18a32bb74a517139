"""The case object: one complete call of an op, applicable to any implementation.

A :class:`Case` holds an op's name, its arguments (arrays included) and a ``grad_output``
for the backward.  ``case(fn)`` calls ``fn(**case.arguments)``; ``repr(case)`` is that call
as Python you can paste (``npconv.avg_pool(input=np.array([...]), kernel_size=(2,), ...)``);
:meth:`Case.expected` runs npconv on it.  :func:`draw_case` draws one with a builder.

Results are named alike everywhere (here, in ``assert_matches`` and in the vectors files):
``output``, ``output_indices`` (max pooling's indices), ``grad_input``, ``grad_weight``,
``grad_bias``.

Examples
--------
>>> import numpy as np
>>> import npconv
>>> case = Case("avg_pool", {"input": np.array([[[1., 2., 3., 4., 5.]]]), "kernel_size": 2,
...                          "ceil_mode": True})
>>> case
npconv.avg_pool(input=np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), kernel_size=2, ceil_mode=True)
>>> case(npconv.avg_pool)
array([[[1.5, 3.5, 5. ]]])
>>> case.expected()["grad_input"]       # grad_output: the default ones, here
array([[[0.5, 0.5, 0.5, 0.5, 1. ]]])
"""

import math

import numpy as np

from .builders import check_bounds
from .draw import RandomDraw
from .ops import op_spec

__all__ = ["Case", "Reference", "draw_case", "RESULTS", "default_tolerance"]

RESULTS = ("output", "output_indices", "grad_input", "grad_weight", "grad_bias")
"""Every result's name, in the order they are compared."""


def default_tolerance(dtype):
    """``(rtol, atol)`` for comparing results of ``dtype``: the fewer a float's bits, the
    looser (float16 keeps about three decimal digits, float32 seven, float64 sixteen).

    >>> default_tolerance(np.float16), default_tolerance(np.float32)
    ((0.01, 0.01), (0.0001, 1e-05))
    """
    if np.dtype(dtype) == np.float16:
        return 1e-2, 1e-2
    if np.dtype(dtype) == np.float32:
        return 1e-4, 1e-5
    return 1e-7, 1e-10


class Case:
    """One call of an op: its arguments, a ``grad_output``, and where it comes from.

    Parameters
    ----------
    op : str
        The op, a key of :data:`npconv.testing.ops.OPS` (``"conv"``, ``"max_pool"``, ...).
    arguments : dict
        The op's arguments by name, arrays included, as ``npconv.<op>`` takes them.  For
        an ``unbatched`` case the batched arrays lack the batch axis.
    grad_output : array, optional
        The gradient of the output for the backward.  By default standard-normal values of
        the output's shape from ``grad_seed`` (ones when ``grad_seed`` is ``None``).
    grad_seed : int, optional
    name, why, source : str
        A catalogue case's name, the trap in one line, and the public report of it.
    unbatched : bool
        The input has no batch axis; the case calls PyTorch's rank-checked name
        (``npconv.conv2d``).
    facts : dict
        What the builder knows by construction (padding pairs, output sizes), for tests.
    torch_compatible : bool or None
        Whether PyTorch's functional op (``F.conv2d``, ``F.avg_pool1d``, ...) takes the
        case's arguments as they are: ``True`` for a case drawn with
        ``torch_compatible=True``, ``True`` or ``False`` for a catalogue case, ``None``
        where nobody checked.

    Notes
    -----
    A candidate gets copies of the arrays, so an implementation that writes into its
    arguments cannot change the case.
    """

    def __init__(self, op, arguments, *, grad_output=None, grad_seed=None, name="", why="",
                 source="", unbatched=False, facts=None, torch_compatible=None):
        self.spec = op_spec(op)
        self.op = op
        self.arguments = dict(arguments)
        self._grad_output = None if grad_output is None else np.asarray(grad_output)
        self.grad_seed = grad_seed
        self.name, self.why, self.source = name, why, source
        self.unbatched = unbatched
        self.facts = dict(facts or {})
        self.torch_compatible = torch_compatible

    # ---- what the case is ------------------------------------------------------------------

    @property
    def input(self):
        """The input array."""
        return np.asarray(self.arguments["input"])

    @property
    def dtype(self):
        """The floating dtype the op computes in (float64 for integer input)."""
        floating = [np.asarray(self.arguments[name]).dtype for name in self.spec.arrays
                    if name != "indices" and self.arguments.get(name) is not None]
        return np.result_type(*(np.float64 if d.kind in "biu" else d for d in floating))

    @property
    def rank(self):
        """The number of spatial dimensions."""
        if self.spec.spatial_rank is not None:
            return self.spec.spatial_rank(self.arguments)
        return self.input.ndim - (1 if self.unbatched else 2)

    @property
    def function_name(self):
        """The npconv function the case calls: the op, or its rank-checked name if unbatched
        (unfold and fold take unbatched input under their own names, as in PyTorch)."""
        return f"{self.op}{self.rank}d" if self.unbatched and self.spec.aliases else self.op

    @property
    def backward_arguments(self):
        """The arguments the op's backward takes: all but :attr:`OpSpec.forward_only`."""
        return {key: value for key, value in self.arguments.items()
                if key not in self.spec.forward_only}

    @property
    def parameters(self):
        """The arguments that are not arrays."""
        return {key: value for key, value in self.arguments.items()
                if key not in self.spec.arrays}

    @property
    def grad_output(self):
        """The ``grad_output`` for the backward, of the forward's output shape."""
        if self._grad_output is None:
            out_shape = self.expected_output().shape
            if self.grad_seed is None:
                self._grad_output = np.ones(out_shape, dtype=self.dtype)
            else:
                rng = np.random.default_rng(self.grad_seed)
                self._grad_output = rng.standard_normal(out_shape).astype(self.dtype)
        return self._grad_output

    def astype(self, dtype):
        """A copy with every floating array (and ``grad_output``) cast to ``dtype``."""
        def cast(value):
            if isinstance(value, np.ndarray) and value.dtype.kind == "f":
                return value.astype(dtype)
            return value
        return Case(self.op, {key: cast(value) for key, value in self.arguments.items()},
                    grad_output=cast(self._grad_output), grad_seed=self.grad_seed,
                    name=self.name, why=self.why, source=self.source,
                    unbatched=self.unbatched, facts=self.facts,
                    torch_compatible=self.torch_compatible)

    def config(self):
        """The arguments and the facts in one dict (what the project's own tests draw)."""
        return {**self.arguments, **self.facts}

    # ---- running it ------------------------------------------------------------------------

    def __call__(self, fn):
        """``fn(**arguments)``, with copies of the arrays."""
        return fn(**_copies(self.arguments))

    def reference(self, method="im2col"):
        """npconv on this case, as a candidate: a :class:`Reference` of the right rank."""
        return Reference(self.op, method, rank=self.rank if self.unbatched else None)

    def expected_output(self, method="im2col"):
        """npconv's forward output (without indices)."""
        out = self(self.reference(method).forward)
        return out[0] if isinstance(out, tuple) else out

    def expected(self, method="im2col", gradients=True):
        """npconv's results on this case: a dict from result name to array."""
        reference = self.reference(method)
        results = _split_forward(self(reference.forward))
        if gradients:
            grads = reference.backward(self.grad_output.copy(),
                                       **_copies(self.backward_arguments))
            results.update(zip(self.spec.gradients, grads))
        return results

    # ---- printing --------------------------------------------------------------------------

    def __repr__(self):
        return call_text(f"npconv.{self.function_name}", self.arguments)

    def __str__(self):
        text = repr(self)
        if self.name:
            text = f"# {self.name}: {self.why}\n{text}"
        return text


class Reference:
    """npconv itself as a candidate: ``forward`` and ``backward`` with one ``method``.

    For an unbatched case (``rank`` given) the forward is the rank-checked function, which
    takes unbatched input, and the backward adds the batch axis and takes it off again; an
    op without rank-checked functions (unfold, fold) takes unbatched input itself.  The
    backward returns a tuple in the order of :attr:`OpSpec.gradients`.

    Examples
    --------
    >>> import numpy as np
    >>> loops = Reference("max_pool", "loops")
    >>> loops.forward(input=np.array([[[1., 3., 2.]]]), kernel_size=2)
    array([[[3.]]])
    >>> loops.backward(np.array([[[1.]]]), input=np.array([[[1., 3., 2.]]]), kernel_size=2)
    (array([[[0., 1., 0.]]]),)
    """

    def __init__(self, op, method="im2col", rank=None):
        self.spec = op_spec(op)
        self.method = method
        self.rank = rank if self.spec.aliases else None

    def forward(self, **arguments):
        function = self.spec.aliases[self.rank] if self.rank else self.spec.forward
        return function(**arguments, method=self.method)

    def backward(self, grad_output, **arguments):
        unbatched = self.rank is not None and np.ndim(arguments["input"]) == self.rank + 1
        if unbatched:
            grad_output = np.asarray(grad_output)[np.newaxis]
            for name in self.spec.batched:
                arguments[name] = np.asarray(arguments[name])[np.newaxis]
            output_size = arguments.get("output_size")
            if isinstance(output_size, (tuple, list)) and len(output_size) == self.rank + 1:
                arguments["output_size"] = (1, *output_size)    # unbatched (C, ...): N = 1
        grads = self.spec.backward(grad_output, **arguments, method=self.method)
        grads = tuple(grads) if isinstance(grads, tuple) else (grads,)
        if unbatched:
            grads = (grads[0][0], *grads[1:])        # only grad_input has the batch axis
        return grads


def draw_case(op, draw, *, unbatched=False, **bounds):
    """A case of ``op`` from its builder, drawn with ``draw`` (or a seed for a NumPy one).

    ``bounds`` go to the builder (:mod:`npconv.testing.builders`).  With ``unbatched`` the
    batch axis of one drawn sample is taken off (PyTorch's unbatched input).
    """
    if not hasattr(draw, "integers"):
        draw = RandomDraw(draw)
    spec = op_spec(op)
    check_bounds(spec.builder, bounds)
    other_ranks = sorted(set(bounds.get("ndims", ())) - set(spec.aliases)) if spec.aliases else []
    if unbatched and other_ranks:
        raise ValueError(f"ndims={tuple(bounds['ndims'])!r}: unbatched {op} cases are "
                         f"{', '.join(f'{r}-D' for r in spec.aliases)} (npconv's rank-checked "
                         f"{op}1d to {op}3d take unbatched input), not {other_ranks}")
    if unbatched:
        bounds = {**bounds, "min_batch": 1, "max_batch": 1}
    arguments, facts = spec.builder(draw, **bounds)
    if unbatched:
        for name in spec.batched:
            arguments[name] = arguments[name][0]
        output_size = arguments.get("output_size")
        if isinstance(output_size, tuple) and op == "max_unpool":
            arguments["output_size"] = output_size[-(arguments["input"].ndim - 1):]
        if (isinstance(output_size, tuple) and op == "conv_transpose"
                and len(output_size) == arguments["input"].ndim + 1):
            arguments["output_size"] = output_size[1:]     # PyTorch's unbatched (C_out, ...)
    return Case(op, arguments, grad_seed=draw.seed(), unbatched=unbatched, facts=facts,
                torch_compatible=True if bounds.get("torch_compatible") else None)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _copies(arguments):
    return {key: value.copy() if isinstance(value, np.ndarray) else value
            for key, value in arguments.items()}


def _split_forward(out):
    """A forward's result as ``{"output": ...}``, plus ``"output_indices"`` for a pair."""
    if isinstance(out, tuple):
        return {"output": out[0], "output_indices": out[1]}
    return {"output": out}


def call_text(function, arguments):
    """``function(name=value, ...)`` with every array written out in full."""
    parts = [f"{name}={value_text(value)}" for name, value in arguments.items()]
    return f"{function}({', '.join(parts)})"


def value_text(value):
    """Python source for an argument: arrays as ``np.array([...])``, the rest as ``repr``."""
    if not isinstance(value, np.ndarray):
        if isinstance(value, float) and not math.isfinite(value):
            return "float('nan')" if math.isnan(value) else f"float('{value}')"
        return repr(value)
    dtype = "" if value.dtype == np.float64 else f", dtype=np.{value.dtype.name}"
    if value.size == 0:
        return f"np.zeros({value.shape}{dtype})"
    return f"np.array({_nested_text(value)}{dtype})"


def _nested_text(value):
    """An array as nested Python lists on one line, floats exact (``repr``), NaN as np.nan."""
    if value.ndim == 0:
        return _float_text(value) if value.dtype.kind == "f" else str(value)
    return "[" + ", ".join(_nested_text(row) for row in value) + "]"


def _float_text(v):
    if np.isnan(v):
        return "np.nan"
    if np.isinf(v):
        return "np.inf" if v > 0 else "-np.inf"
    return repr(float(v))
