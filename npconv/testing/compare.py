"""``assert_matches``: run npconv and a candidate on a case, and say where and why they differ.

The candidate protocol
----------------------
A candidate is one of:

- a function, called as ``candidate(**case.arguments)``: only the forward is compared;
- a pair ``(forward, backward)`` of functions, or an object with ``forward`` and
  ``backward`` methods.  ``backward(grad_output, **case.backward_arguments)`` gets the
  forward's arguments but ``bias`` and ``return_indices`` (npconv's own backward
  signatures, so ``(npconv.conv, npconv.conv_backward)`` is a candidate) and returns the
  gradients as one array (``grad_input``), a sequence in the order ``grad_input,
  grad_weight, grad_bias`` (npconv's ``Gradients``), or a dict keyed by those names (or by
  the argument names ``input``, ``weight``, ``bias``).  A gradient given as ``None`` or
  left out is not compared.

An autograd framework fits the second form: its ``backward`` runs the forward on tensors
that require gradients and backpropagates ``grad_output`` (the docs page has a PyTorch
example).  The forward returns the output, or ``(output, indices)`` when the case asks for
``return_indices=True``.
"""

import numpy as np

from .case import _copies, _split_forward, default_tolerance, value_text

__all__ = ["assert_matches"]


def assert_matches(candidate, case, *, rtol=None, atol=None, gradients=True, method="im2col"):
    """Check a candidate implementation against npconv on one case.

    Parameters
    ----------
    candidate : function, (forward, backward) pair, or object with forward and backward
        See the module docstring for the protocol.
    case : npconv.testing.Case
    rtol, atol : float, optional
        Tolerances for the floating results, as in ``numpy.isclose``; by default 1e-7 and
        1e-10 for float64 and 1e-4 and 1e-5 for float32.  NaN must meet NaN and infinities
        their equals; indices must be equal.
    gradients : bool
        Also compare every gradient the candidate's backward returns.
    method : {"im2col", "loops"}
        Which npconv variant is the reference.

    Returns
    -------
    list of str
        The results compared (``"output"``, ``"output_indices"``, ``"grad_input"``, ...).

    Raises
    ------
    AssertionError
        At the first result that differs: the case as a call, the first differing position,
        both values and the error, and which rule of the op decides that cell.  Also if the
        candidate raises on the case, or returns the wrong shape.

    Examples
    --------
    An average pool that divides by the full window, whatever the ceil_mode overhang:

    >>> import numpy as np
    >>> import npconv
    >>> from npconv.testing import Case, assert_matches
    >>> def naive_avg_pool(input, kernel_size, ceil_mode=False):
    ...     sums = npconv.avg_pool(input, kernel_size, ceil_mode=ceil_mode, divisor_override=1)
    ...     return sums / kernel_size
    >>> case = Case("avg_pool", {"input": np.array([[[1., 2., 3., 4., 5.]]]), "kernel_size": 2,
    ...                          "ceil_mode": True})
    >>> assert_matches(naive_avg_pool, case)
    Traceback (most recent call last):
    ...
    AssertionError: avg_pool: the candidate's output differs from npconv's (method='im2col') at [0, 0, 2]
      candidate 2.5, npconv 5.0, error 2.5 (rtol 1e-07, atol 1e-10); 1 of 3 cells differ
    the case, as a call:
      npconv.avg_pool(input=np.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]]), kernel_size=2, ceil_mode=True)
    what decides this cell (npconv's rules):
      along spatial dimension 0, window 2 has taps at positions [4, 5]: 4 on the input, 5 past the padding (the ceil_mode overhang)
      this output window overhangs the input and its padding by 1 cell(s) along spatial dimension 0: ceil_mode kept it because it starts inside
      the divisor counts the window's input cells and the padding it covers (count_include_pad=True) but never the ceil_mode overhang: 1 = 1
    """
    forward, backward = _parts(candidate)
    default_rtol, default_atol = default_tolerance(case.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    compare_gradients = gradients and backward is not None
    expected = case.expected(method, gradients=compare_gradients)
    got = _split_forward(_run(forward, case, "forward", **_copies(case.arguments)))
    compared = []
    for name in ("output", "output_indices"):
        if name in expected:
            if name not in got:
                _fail(case, "the case asks for return_indices=True, but the candidate "
                            "returned one array, not (output, indices)")
            _compare(case, name, got[name], expected[name], rtol, atol, method)
            compared.append(name)
    if compare_gradients:
        raw = _run(backward, case, "backward", case.grad_output.copy(),
                   **_copies(case.backward_arguments))
        for name, array in _gradients(case, raw).items():
            if array is not None:
                _compare(case, name, array, expected[name], rtol, atol, method)
                compared.append(name)
    return compared


def _parts(candidate):
    """``(forward, backward)`` of a candidate; ``backward`` is ``None`` for a bare function."""
    if isinstance(candidate, (tuple, list)):
        if len(candidate) != 2 or not all(callable(part) for part in candidate):
            raise TypeError("a candidate given as a sequence must be a pair of functions "
                            "(forward, backward)")
        return tuple(candidate)
    if hasattr(candidate, "forward"):
        return candidate.forward, getattr(candidate, "backward", None)
    if callable(candidate):
        return candidate, None
    raise TypeError(f"candidate={candidate!r} must be a function, a (forward, backward) pair "
                    f"or an object with forward and backward methods")


def _run(function, case, which, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as error:                   # noqa: BLE001 - reported with the case
        raise AssertionError(f"{case.op}: the candidate's {which} raised "
                             f"{type(error).__name__}: {error}\n"
                             f"on a case npconv accepts:\n  {case!r}") from error


def _gradients(case, raw):
    """The candidate's gradients as a dict from result name to array (or None)."""
    names = case.spec.gradients
    if isinstance(raw, dict):
        return {name if name.startswith("grad_") else f"grad_{name}": value
                for name, value in raw.items()}
    if isinstance(raw, np.ndarray) or np.isscalar(raw):
        return {"grad_input": raw}
    if len(raw) > len(names):
        _fail(case, f"the candidate's backward returned {len(raw)} gradients; {case.op} has "
                    f"{len(names)}: {', '.join(names)}")
    return dict(zip(names, raw))


def _compare(case, name, got, expected, rtol, atol, method):
    got = np.asarray(got)
    where = f"the candidate's {name}"
    if got.shape != expected.shape:
        _fail(case, f"{where} has shape {got.shape}, npconv's {expected.shape}",
              case.spec.explain(case, name, None), name)
    if name == "output_indices":
        differ = got != expected
        tolerance = "indices must be equal"
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.isclose(got, expected, rtol=rtol, atol=atol)
        differ = ~(close | (np.isnan(got) & np.isnan(expected)))
        tolerance = f"rtol {rtol:g}, atol {atol:g}"
    if not differ.any():
        return
    position = tuple(int(i) for i in np.argwhere(differ)[0])
    a, b = got[position], expected[position]
    with np.errstate(invalid="ignore", over="ignore"):
        error = abs(float(a) - float(b))
    summary = (f"{where} differs from npconv's (method={method!r}) at {list(position)}\n"
               f"  candidate {a.item()!r}, npconv {b.item()!r}, error {error:.3g} "
               f"({tolerance}); {int(differ.sum())} of {differ.size} cells differ")
    try:
        explanation = case.spec.explain(case, name, position)
    except Exception as failure:                 # noqa: BLE001 - the mismatch matters more
        explanation = [f"(no explanation: {type(failure).__name__}: {failure})"]
    _fail(case, summary, explanation, name)


def _fail(case, summary, explanation=(), name="output"):
    lines = [f"{case.op}{f' [{case.name}]' if case.name else ''}: {summary}",
             "the case, as a call:", f"  {case!r}"]
    if name.startswith("grad_"):
        lines.append(f"  grad_output = {value_text(case.grad_output)}")
    if explanation:
        lines.append("what decides this cell (npconv's rules):")
        lines += [f"  {line}" for line in explanation]
    if case.why:
        lines.append(f"the trap: {case.why} ({case.source})")
    raise AssertionError("\n".join(lines))
