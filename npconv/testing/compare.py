"""``assert_matches``: run npconv and a candidate on a case, and say where and why they differ.

The candidate protocol
----------------------
A candidate is one of:

- a function, called as ``candidate(**case.arguments)``: only the forward is compared;
- a pair ``(forward, backward)`` of functions, or an object with ``forward`` and
  ``backward`` methods.  ``backward(grad_output, **case.backward_arguments)`` gets the
  forward's arguments but ``bias`` and ``return_indices`` (npconv's own backward
  signatures, so ``(npconv.conv, npconv.conv_backward)`` is a candidate) and returns the
  gradients as one array or tensor (``grad_input``), a tuple or list in the order
  ``grad_input, grad_weight, grad_bias`` (npconv's ``Gradients``), or a dict keyed by
  those names (or by the argument names ``input``, ``weight``, ``bias``; any other key
  fails).  A gradient given as ``None`` or left out is not compared.

An autograd framework fits the second form: its ``backward`` runs the forward on tensors
that require gradients and backpropagates ``grad_output`` (the docs page has a PyTorch
example).  The forward returns the output, one array or tensor, or the pair ``(output,
indices)`` (a tuple or a list) when the case asks for ``return_indices=True``; a tuple or
list where one array is due, or one array where the pair is, fails.

Every result must be an array of real numbers of npconv's dtype (the floating results in
the dtype of the case's arrays, indices int64) unless ``check_dtype=False``; a tensor is
detached and moved to the CPU first.  A result that is ``None``, a generator, complex, or
not numbers at all fails with an ``AssertionError`` that names it, and so does a candidate
that writes into the arrays it is given (the case's arguments, or ``grad_output``).
"""

import math
import numbers

import numpy as np

from .case import Case, _copies, default_tolerance, value_text

__all__ = ["assert_matches"]

METHODS = ("im2col", "loops")
"""npconv's variants, either of which is the reference."""


def assert_matches(candidate, case, *, rtol=None, atol=None, gradients=True, method="im2col",
                   check_dtype=True):
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
    check_dtype : bool
        Also require every result's dtype to be npconv's: a float32 case gives float32
        results (a candidate that computes in float64 fails), indices are int64.  With
        ``False`` only the values are compared (still never complex ones).

    Returns
    -------
    list of str
        The results compared (``"output"``, ``"output_indices"``, ``"grad_input"``, ...).

    Raises
    ------
    AssertionError
        At the first result that differs: the case as a call, the first differing position,
        both values and the error, and which rule of the op decides that cell.  Also if the
        candidate raises on the case, modifies its inputs, or returns a result of the wrong
        form, shape or dtype.
    TypeError, ValueError
        If ``case`` is not a :class:`~npconv.testing.Case`, ``rtol`` or ``atol`` not a
        finite real number >= 0, ``gradients`` or ``check_dtype`` not a bool, or
        ``method`` unknown.

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
    _check_arguments(case, rtol, atol, gradients, method, check_dtype)
    forward, backward = _parts(candidate)
    default_rtol, default_atol = default_tolerance(case.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    compare_gradients = gradients and backward is not None
    expected = case.expected(method, gradients=compare_gradients)
    given = _copies(case.arguments)
    raw = _run(forward, case, "forward", **given)
    _check_unchanged(case, "forward", case.arguments, given)
    got = _forward_results(case, raw, "output_indices" in expected)
    compared = []
    for name in ("output", "output_indices"):
        if name in expected:
            _compare(case, name, got[name], expected[name], rtol, atol, method, check_dtype)
            compared.append(name)
    if compare_gradients:
        given = {"grad_output": case.grad_output.copy(), **_copies(case.backward_arguments)}
        raw = _run(backward, case, "backward", given["grad_output"],
                   **{key: value for key, value in given.items() if key != "grad_output"})
        _check_unchanged(case, "backward", {"grad_output": case.grad_output,
                                            **case.backward_arguments}, given)
        for name, array in _gradients(case, raw).items():
            if array is not None:
                _compare(case, name, array, expected[name], rtol, atol, method, check_dtype)
                compared.append(name)
    return compared


def _check_arguments(case, rtol, atol, gradients, method, check_dtype):
    """``assert_matches``'s own arguments: a TypeError or ValueError naming the bad one."""
    if not isinstance(case, Case):
        raise TypeError(f"case={case!r} must be an npconv.testing.Case, e.g. "
                        f"Case('conv', {{'input': ..., 'weight': ...}}), not a "
                        f"{type(case).__name__}")
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value is None:
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real)):
            raise TypeError(f"{name}={value!r} must be a real number >= 0 (or None for the "
                            f"dtype's default), not a {type(value).__name__}")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name}={value!r} must be a finite number >= 0")
    for name, value in (("gradients", gradients), ("check_dtype", check_dtype)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name}={value!r} must be True or False, not a "
                            f"{type(value).__name__}")
    if method not in METHODS:
        raise ValueError(f"method={method!r} must be one of {METHODS}")


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


def _check_unchanged(case, which, originals, given):
    """Fail if the candidate wrote into one of the arrays it was given (its own copies)."""
    for name, original in originals.items():
        copy = given.get(name)
        if isinstance(original, np.ndarray) and isinstance(copy, np.ndarray) and (
                copy.shape != original.shape or copy.tobytes() != original.tobytes()):
            _fail(case, f"the candidate's {which} modified `{name}` in place: an "
                        f"implementation must leave its inputs as it got them", (),
                  "output" if which == "forward" else "grad_input")


def _forward_results(case, raw, with_indices):
    """The forward's result as ``{"output": ...}`` (and ``"output_indices"``), checked for
    the form the case asks for: one array, or the pair ``(output, indices)``."""
    if with_indices:
        if not isinstance(raw, (tuple, list)) or len(raw) != 2:
            form = (f"a {type(raw).__name__} of {len(raw)} items"
                    if isinstance(raw, (tuple, list)) else
                    "one array" if hasattr(raw, "shape") else _kind(raw))
            _fail(case, f"the case asks for return_indices=True, but the candidate returned "
                        f"{form}, not (output, indices)")
        return {"output": raw[0], "output_indices": raw[1]}
    if isinstance(raw, (tuple, list)):
        _fail(case, f"the candidate's forward returned a {type(raw).__name__} of {len(raw)} "
                    f"items, but the case does not ask for return_indices: npconv returns "
                    f"one array")
    return {"output": raw}


def _gradients(case, raw):
    """The candidate's gradients as a dict from result name to array (or None)."""
    names = case.spec.gradients
    protocol = ("one array (grad_input), a sequence in the order " + ", ".join(names)
                + ", or a dict keyed by those names")
    if raw is None or isinstance(raw, (str, bytes)) or (
            hasattr(raw, "__next__") and not hasattr(raw, "shape")):
        _fail(case, f"the candidate's backward returned {_kind(raw)}; expected {protocol}",
              (), "grad_input")
    if isinstance(raw, dict):
        gradients = {}
        for key, value in raw.items():
            name = key if isinstance(key, str) and key.startswith("grad_") else f"grad_{key}"
            if name not in names or name in gradients:
                _fail(case, f"the candidate's backward returned a dict with the key {key!r}; "
                            f"{case.op}'s gradients are {', '.join(names)} (or "
                            f"{', '.join(n[len('grad_'):] for n in names)}), each once",
                      (), "grad_input")
            gradients[name] = value
        return gradients
    if not isinstance(raw, (tuple, list)):
        return {"grad_input": raw}                # one array, or one tensor: grad_input
    if len(raw) > len(names):
        _fail(case, f"the candidate's backward returned {len(raw)} gradients; {case.op} has "
                    f"{len(names)}: {', '.join(names)}", (), "grad_input")
    return dict(zip(names, raw))


def _kind(value):
    """What a malformed result is, in a few words."""
    return "None" if value is None else f"a {type(value).__name__}"


def _as_array(case, name, value):
    """A result as a NumPy array of real numbers; an AssertionError naming it otherwise.

    A tensor (anything with ``detach``, as PyTorch's) is detached and moved to the CPU.
    """
    where = f"the candidate's {name}"
    if value is None or hasattr(value, "__next__"):
        _fail(case, f"{where} is {_kind(value)}, not an array", (), name)
    try:
        if hasattr(value, "detach"):
            value = value.detach()
            value = value.cpu() if hasattr(value, "cpu") else value
        array = np.asarray(value)
    except Exception as error:                   # noqa: BLE001 - reported with the case
        _fail(case, f"{where} ({_kind(value)}) cannot be read as a NumPy array: "
                    f"{type(error).__name__}: {error}", (), name)
    if array.dtype.kind == "c":
        _fail(case, f"{where} is complex ({array.dtype}); npconv's results are real", (), name)
    if array.dtype.kind not in "biuf":
        _fail(case, f"{where} is {_kind(value)} of dtype {array.dtype}, not an array of "
                    f"numbers", (), name)
    return array


def _compare(case, name, got, expected, rtol, atol, method, check_dtype):
    got = _as_array(case, name, got)
    where = f"the candidate's {name}"
    if got.shape != expected.shape:
        _fail(case, f"{where} has shape {got.shape}, npconv's {expected.shape}",
              case.spec.explain(case, name, None), name)
    if check_dtype and got.dtype != expected.dtype:
        rule = ("indices are int64, as PyTorch's" if name == "output_indices" else
                f"npconv computes in the dtype of the case's arrays, {case.dtype}")
        _fail(case, f"{where} has dtype {got.dtype}, npconv's {expected.dtype} ({rule}); "
                    f"pass check_dtype=False to compare the values only", (), name)
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
