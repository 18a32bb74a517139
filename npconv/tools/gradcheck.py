"""Finite-difference checks of every backward, for both methods.

Each check runs one op forward on small random arrays, takes the scalar loss
``L = sum(out * upstream)`` for a random ``upstream``, and compares the op's backward with
central differences of ``L``: ``dL/dx[k] ~ (L(x + eps e_k) - L(x - eps e_k)) / (2 eps)``.
The same check also confirms that the two methods compute the same forward.

:func:`check` checks one configuration you give it; :func:`run_checks` draws seeded random
configurations of every op (1-, 2- and 3-D, stride, padding and dilation above their
defaults): the core's, the rest of the pooling family's (max unpooling, adaptive average
and max pooling, power-average pooling), and unfold and fold; :func:`worst_errors` reduces
them to one row per op and method, the table that ``npconv gradcheck`` prints.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> result = check("conv", {"stride": 2, "padding": 1}, rng.standard_normal((1, 2, 5)),
...                rng.standard_normal((3, 2, 3)), rng=rng)
>>> result.passed, result.error < 1e-7
(True, True)
"""

import math
from typing import NamedTuple

import numpy as np

from .. import api
from ..family import api as family
from ..shapes import (conv_output_size, conv_transpose_output_size, effective_kernel_size,
                      max_unpool_output_size)

__all__ = [
    "METHODS",
    "OPS",
    "TOLERANCE",
    "CheckResult",
    "check",
    "numerical_gradient",
    "random_config",
    "relative_error",
    "run_checks",
    "worst_errors",
]

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "adaptive_avg_pool",
       "adaptive_max_pool", "lp_pool", "unfold", "fold")
METHODS = ("loops", "im2col")
TOLERANCE = 1e-6
"""Largest relative error that passes; float64 central differences reach about 1e-9."""

_FORWARD = {"conv": api.conv, "conv_transpose": api.conv_transpose,
            "max_pool": api.max_pool, "avg_pool": api.avg_pool,
            "max_unpool": family.max_unpool, "adaptive_avg_pool": family.adaptive_avg_pool,
            "adaptive_max_pool": family.adaptive_max_pool, "lp_pool": family.lp_pool,
            "unfold": family.unfold, "fold": family.fold}
_BACKWARD = {"conv": api.conv_backward, "conv_transpose": api.conv_transpose_backward,
             "max_pool": api.max_pool_backward, "avg_pool": api.avg_pool_backward,
             "max_unpool": family.max_unpool_backward,
             "adaptive_avg_pool": family.adaptive_avg_pool_backward,
             "adaptive_max_pool": family.adaptive_max_pool_backward,
             "lp_pool": family.lp_pool_backward, "unfold": family.unfold_backward,
             "fold": family.fold_backward}


class CheckResult(NamedTuple):
    """The outcome of one finite-difference check."""

    op: str
    """Which op: one of :data:`OPS`."""
    method: str
    """``"loops"`` or ``"im2col"``."""
    config: str
    """The shapes and keyword arguments checked, readable and reproducible."""
    error: float
    """Worst relative error over the input, weight and bias gradients."""
    methods_agree: bool
    """Whether the two methods' forward outputs agree."""
    passed: bool
    """``error <= tolerance`` and ``methods_agree``."""


def numerical_gradient(loss, array, eps=1e-6):
    """Central-difference gradient of the scalar function ``loss()`` with respect to ``array``.

    ``array`` is perturbed in place, one cell at a time, and restored.

    Examples
    --------
    >>> a = np.array([1., 2., 3.])
    >>> np.round(numerical_gradient(lambda: float(np.sum(a ** 2)), a), 6)
    array([2., 4., 6.])
    """
    grad = np.zeros_like(array)
    for index in np.ndindex(*array.shape):
        original = array[index]
        array[index] = original + eps
        loss_plus = loss()
        array[index] = original - eps
        loss_minus = loss()
        array[index] = original
        grad[index] = (loss_plus - loss_minus) / (2 * eps)
    return grad


def relative_error(analytic, numeric):
    """``max|analytic - numeric| / max(max|analytic|, max|numeric|, 1)``.

    The floor of 1 in the denominator keeps tiny gradients from blowing the ratio up.

    Examples
    --------
    >>> relative_error(np.array([1., 2.]), np.array([1., 2.5]))
    0.2
    """
    scale = max(np.max(np.abs(analytic), initial=0.0), np.max(np.abs(numeric), initial=0.0),
                1.0)
    return float(np.max(np.abs(analytic - numeric), initial=0.0) / scale)


def check(op, kwargs, x, weight=None, bias=None, method="im2col", rng=None,
          tolerance=TOLERANCE):
    """Check one op's backward against finite differences, and its forward across methods.

    Parameters
    ----------
    op : one of :data:`OPS`
    kwargs : dict
        Keyword arguments of the op besides the input and weights (``stride``,
        ``padding``, ...); pooling needs ``kernel_size``, max unpooling ``indices``,
        adaptive pooling ``output_size``, power-average pooling ``norm_type``.
    x : ndarray, shape (N, C, *in_size)
    weight, bias : ndarray, optional
        Only for ``conv`` and ``conv_transpose``.
    method : {"im2col", "loops"}
        Whose backward (and forward, for the differences) to check.
    rng : numpy.random.Generator, optional
        Draws the upstream gradient.
    tolerance : float

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> x = np.arange(16.).reshape(1, 1, 4, 4) % 7      # ties: fine for average pooling
    >>> check("avg_pool", {"kernel_size": 2, "padding": 1}, x, method="loops").passed
    True
    """
    if op not in OPS:
        raise ValueError(f"op={op!r} is not one of {OPS}")
    rng = np.random.default_rng(0) if rng is None else rng
    forward, backward = _FORWARD[op], _BACKWARD[op]
    is_conv = op in ("conv", "conv_transpose")
    x = np.array(x, dtype=np.float64)
    params = {"weight": np.array(weight, dtype=np.float64)} if is_conv else {}
    if is_conv and bias is not None:
        params["bias"] = np.array(bias, dtype=np.float64)

    def run(chosen_method):
        return forward(x, **params, **kwargs, method=chosen_method)

    out = run(method)
    other = run(METHODS[1 - METHODS.index(method)])
    methods_agree = bool(np.allclose(out, other, rtol=1e-10, atol=1e-10))
    upstream = rng.standard_normal(out.shape)

    def loss():
        return float(np.sum(run(method) * upstream))

    if is_conv:
        grads = backward(upstream, x, params["weight"], **kwargs, method=method)
        pairs = [(grads.grad_input, x), (grads.grad_weight, params["weight"])]
        if "bias" in params:
            pairs.append((grads.grad_bias, params["bias"]))
    else:
        pairs = [(backward(upstream, x, **kwargs, method=method), x)]
    error = max(relative_error(analytic, numerical_gradient(loss, array))
                for analytic, array in pairs)
    config = _describe(x, params, kwargs)
    return CheckResult(op, method, config, error, methods_agree,
                       error <= tolerance and methods_agree)


def _describe(x, params, kwargs):
    shapes = [f"input {x.shape}"] + [f"{name} {array.shape}" for name, array in params.items()]
    options = [f"{key}=<{value.dtype} array {value.shape}>" if isinstance(value, np.ndarray)
               else f"{key}={value!r}" for key, value in kwargs.items()]
    return ", ".join(shapes + options)


def random_config(op, rng, ndim=None):
    """Draw a small random configuration of ``op`` that has at least one output cell.

    Kernel 1-3, stride 1-2, dilation 1-2, padding 0-1 (at most half the kernel for
    pooling), ``ceil_mode`` and ``count_include_pad`` either way; the input size is derived
    from them so that the output is never empty and every pooling window holds an input
    cell: the core accepts every configuration drawn here.  Spatial sizes stay small (3-D is
    kept smallest) so that the loop variant and the finite differences take milliseconds.
    The family's ops are drawn as :func:`_family_config` says, also only as they accept.

    Returns
    -------
    kwargs : dict
    x : ndarray
    weight, bias : ndarray or None

    Examples
    --------
    >>> kwargs, x, weight, bias = random_config("conv_transpose", np.random.default_rng(1))
    >>> sorted(kwargs)
    ['dilation', 'groups', 'output_padding', 'padding', 'stride']
    """
    ndim = int(rng.integers(1, 4)) if ndim is None else ndim
    if op in _FAMILY_CONFIGS:
        kwargs, x = _FAMILY_CONFIGS[op](rng, ndim)
        return kwargs, x, None, None
    N = int(rng.integers(1, 3))
    kernel = tuple(int(k) for k in rng.integers(1, 4 if ndim < 3 else 3, size=ndim))
    stride = tuple(int(s) for s in rng.integers(1, 3, size=ndim))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=ndim))
    span = [effective_kernel_size(k, d) for k, d in zip(kernel, dilation)]
    extra = tuple(int(e) for e in rng.integers(0, 3 if ndim < 3 else 2, size=ndim))
    if op in ("conv", "conv_transpose"):
        groups = int(rng.integers(1, 3))
        C_in, C_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
        padding = tuple(int(p) for p in rng.integers(0, 2, size=ndim))
        if op == "conv":
            in_size = [max(1, s - 2 * p) + e for s, p, e in zip(span, padding, extra)]
            weight = rng.standard_normal((C_out, C_in // groups, *kernel))
            kwargs = {"stride": stride, "padding": padding, "dilation": dilation,
                      "groups": groups}
        else:
            in_size = [1 + e for e in extra]             # the output grows from here
            padding = tuple(p if conv_transpose_output_size(n, k, s_, (p, p), 0, d) >= 1 else 0
                            for p, n, k, s_, d in zip(padding, in_size, kernel, stride,
                                                      dilation))
            output_padding = tuple(int(rng.integers(0, max(s_, d)))
                                   for s_, d in zip(stride, dilation))
            weight = rng.standard_normal((C_in, C_out // groups, *kernel))
            kwargs = {"stride": stride, "padding": padding, "output_padding": output_padding,
                      "dilation": dilation, "groups": groups}
        bias = rng.standard_normal(C_out)
        x = rng.standard_normal((N, C_in, *in_size))
        return kwargs, x, weight, bias
    C = int(rng.integers(1, 3))
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    # With padding at most kernel // 2, an input of at least `dilation` cells leaves no
    # window wholly on padding: every window holds an input cell, so the core accepts it.
    in_size = [max(s - 2 * p, d, 1) + e for s, p, d, e in zip(span, padding, dilation, extra)]
    kwargs = {"kernel_size": kernel, "stride": stride, "padding": padding,
              "ceil_mode": bool(rng.integers(0, 2))}
    if op == "max_pool":
        kwargs["dilation"] = dilation
    else:
        kwargs["count_include_pad"] = bool(rng.integers(0, 2))
    x = rng.standard_normal((N, C, *in_size))
    return kwargs, x, None, None


def _max_unpool_config(rng, ndim):
    """Max unpooling of a real max pooling's output and indices.

    Stride at least the kernel, so that no two windows share a cell and every index is
    distinct (a repeated index keeps only the last value, whose forward has no derivative
    for the others); the unpooled size is the pooled input's, which lies within one stride
    of the default, as PyTorch requires, so that every index lies in the output.
    """
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    kernel = tuple(int(k) for k in rng.integers(1, 4 if ndim < 3 else 3, size=ndim))
    stride = tuple(k + int(rng.integers(0, 2)) for k in kernel)
    padding = tuple(int(rng.integers(0, k // 2 + 1)) for k in kernel)
    pooled = tuple(int(o) for o in rng.integers(1, 4 if ndim < 3 else 3, size=ndim))
    in_size = []
    for o, k, s, p in zip(pooled, kernel, stride, padding):
        default = max_unpool_output_size(o, k, s, (p, p))       # at least 0: p <= k // 2
        in_size.append(default + int(rng.integers(max(1 - default, 0), s)))
    source = rng.standard_normal((N, C, *in_size))
    _, indices = api.max_pool(source, kernel, stride, padding, return_indices=True)
    default_size = [max_unpool_output_size(o, k, s, (p, p))
                    for o, k, s, p in zip(pooled, kernel, stride, padding)]
    output_size = None if in_size == default_size and rng.integers(0, 2) else tuple(in_size)
    kwargs = {"indices": indices, "kernel_size": kernel, "stride": stride,
              "padding": padding, "output_size": output_size}
    return kwargs, rng.standard_normal(indices.shape)


def _adaptive_config(rng, ndim):
    """Adaptive pooling to any size from 1 to two more than the input (windows that share
    or repeat cells included), one entry sometimes ``None`` (keep the input's size)."""
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    in_size = [int(n) for n in rng.integers(1, 6 if ndim < 3 else 4, size=ndim)]
    output_size = [int(rng.integers(1, n + 3)) for n in in_size]
    if rng.integers(0, 3) == 0:
        output_size[int(rng.integers(0, ndim))] = None
    return {"output_size": tuple(output_size)}, rng.standard_normal((N, C, *in_size))


_POWERS = (1.0, 2.0, 3.0, 1.5, float("inf"), float("-inf"))


def _lp_pool_config(rng, ndim):
    """Power-average pooling, ``ceil_mode`` either way, a power among :data:`_POWERS`.

    The input holds positive cells for a power other than 1, 2 and infinity: a negative
    cell to a non-integer power, or a negative sum under a cube root, is NaN, as in
    PyTorch, and has no derivative to check.
    """
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    kernel = tuple(int(k) for k in rng.integers(1, 4 if ndim < 3 else 3, size=ndim))
    stride = tuple(int(s) for s in rng.integers(1, 3, size=ndim))
    in_size = [k + int(e) for k, e in zip(kernel, rng.integers(0, 3 if ndim < 3 else 2,
                                                               size=ndim))]
    norm_type = _POWERS[int(rng.integers(0, len(_POWERS)))]
    if norm_type in (1.0, 2.0) or abs(norm_type) == float("inf"):
        x = rng.standard_normal((N, C, *in_size))
    else:
        x = rng.uniform(0.5, 2.0, size=(N, C, *in_size))
    kwargs = {"norm_type": norm_type, "kernel_size": kernel, "stride": stride,
              "ceil_mode": bool(rng.integers(0, 2))}
    return kwargs, x


def _windows(rng, ndim):
    """Unfold's and fold's hyperparameters, and per dimension the smallest size that holds
    a window: kernel 1-3, dilation 1-2, stride 1-3 (above the span: cells no window
    reads), padding 0-1 per side, symmetric or as (before, after) pairs."""
    kernel = tuple(int(k) for k in rng.integers(1, 4 if ndim < 3 else 3, size=ndim))
    dilation = tuple(int(d) for d in rng.integers(1, 3, size=ndim))
    stride = tuple(int(s) for s in rng.integers(1, 4, size=ndim))
    pairs = [tuple(int(p) for p in rng.integers(0, 2, size=2)) for _ in range(ndim)]
    symmetric = bool(rng.integers(0, 2))
    padding = tuple(before for before, _ in pairs) if symmetric else tuple(pairs)
    pairs = [(before, before) for before, _ in pairs] if symmetric else pairs
    smallest = [max(effective_kernel_size(k, d) - before - after, 1)
                for k, d, (before, after) in zip(kernel, dilation, pairs)]
    kwargs = {"kernel_size": kernel, "dilation": dilation, "padding": padding,
              "stride": stride}
    return kwargs, smallest, pairs


def _unfold_config(rng, ndim):
    """Unfold of an input at least one window long per dimension (and up to two cells
    more, one in 3-D)."""
    kwargs, smallest, _ = _windows(rng, ndim)
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    in_size = [n + int(rng.integers(0, 3 if ndim < 3 else 2)) for n in smallest]
    return kwargs, rng.standard_normal((N, C, *in_size))


def _fold_config(rng, ndim):
    """Fold onto an ``output_size`` at least one window long per dimension; the columns
    are ``(N, C * K, L)`` with ``L`` its window count, from the convolution formula."""
    kwargs, smallest, pairs = _windows(rng, ndim)
    N, C = int(rng.integers(1, 3)), int(rng.integers(1, 3))
    output_size = tuple(n + int(rng.integers(0, 3 if ndim < 3 else 2)) for n in smallest)
    windows = math.prod(conv_output_size(n, k, s, pair, d) for n, k, s, pair, d in zip(
        output_size, kwargs["kernel_size"], kwargs["stride"], pairs, kwargs["dilation"]))
    x = rng.standard_normal((N, C * math.prod(kwargs["kernel_size"]), windows))
    return {"output_size": output_size, **kwargs}, x


_FAMILY_CONFIGS = {"max_unpool": _max_unpool_config, "adaptive_avg_pool": _adaptive_config,
                   "adaptive_max_pool": _adaptive_config, "lp_pool": _lp_pool_config,
                   "unfold": _unfold_config, "fold": _fold_config}
"""How :func:`random_config` draws each op of the pooling family and unfold and fold:
``(kwargs, x)``."""


def run_checks(seed=0, trials=3, ops=OPS, methods=METHODS):
    """Finite-difference checks of ``trials`` random configurations per op and method.

    Each (op, method) pair draws from its own generator, seeded with ``(seed, op's index in
    OPS, method's index in METHODS)``, so checking one op alone draws the same configurations
    as checking them all.  Every drawn configuration is valid, so any exception raised by a
    forward, a backward or NumPy is a real failure and propagates to the caller.

    Returns
    -------
    list of CheckResult

    Examples
    --------
    >>> results = run_checks(seed=0, trials=1)
    >>> len(results), all(r.passed for r in results)
    (20, True)
    """
    results = []
    for op in ops:
        for method in methods:
            rng = np.random.default_rng((seed, OPS.index(op), METHODS.index(method)))
            for trial in range(trials):
                kwargs, x, weight, bias = random_config(op, rng, ndim=trial % 3 + 1)
                results.append(check(op, kwargs, x, weight, bias, method, rng))
    return results


def worst_errors(results):
    """One row per (op, method): checks run, worst error, its configuration, all passed.

    Returns
    -------
    list of dict
        Keys ``op``, ``method``, ``checks``, ``worst_error``, ``worst_config``, ``passed``.

    Examples
    --------
    >>> rows = worst_errors(run_checks(seed=1, trials=1, ops=("max_pool",)))
    >>> [(row["op"], row["method"], row["checks"], row["passed"]) for row in rows]
    [('max_pool', 'loops', 1, True), ('max_pool', 'im2col', 1, True)]
    """
    rows = {}
    for result in results:
        key = (result.op, result.method)
        row = rows.setdefault(key, {"op": result.op, "method": result.method, "checks": 0,
                                    "worst_error": -1.0, "worst_config": "", "passed": True})
        row["checks"] += 1
        row["passed"] = row["passed"] and result.passed
        if result.error > row["worst_error"]:
            row["worst_error"], row["worst_config"] = result.error, result.config
    return list(rows.values())
