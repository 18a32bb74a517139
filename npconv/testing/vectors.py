"""Portable golden vectors: the catalogue and a seeded sweep, as ``.npz`` files and a manifest.

For implementations that cannot run Python (C++, Rust, WebGPU, a microcontroller), a folder
of files holds every case's arrays and npconv's results:

``manifest.json``
    ``{"format", "npconv", "dtype", "seed", "count", "method", "torch_compatible",
    "sweep_torch_compatible", "cases": [...]}``: ``torch_compatible`` is true only when
    PyTorch's functional ops take every case as it is, ``sweep_torch_compatible`` whether
    the sweep was drawn within PyTorch's limits.  Each case has ``file``, ``name``, ``op``,
    ``function`` (the npconv and PyTorch name, e.g. ``conv2d`` for an unbatched case, else
    the op), ``torch_compatible`` (true, false, or null where nobody checked), ``unbatched``,
    ``arguments`` (every argument's name, in order), ``arrays`` (those stored in the file),
    ``parameters`` (the rest, as JSON: tuples as lists, ``None`` as null, infinite floats as
    the strings ``"inf"`` and ``"-inf"``), ``results``, ``dtype``, ``tolerance`` (``rtol``
    and ``atol``), ``why``, ``source`` and ``call`` (the case as a Python call).
``NNN_<name>.npz``
    An uncompressed NumPy ``.npz`` (a zip of ``.npy`` files): the array arguments under
    their names (``input``, ``weight``, ``bias``, ``indices``), ``grad_output``, and the
    results ``output``, ``output_indices`` (max pooling with ``return_indices``),
    ``grad_input``, ``grad_weight``, ``grad_bias``.

The ``.npy`` format is a short text header (dtype, shape, order) and the raw little-endian
data; readers exist for C++ (cnpy), Rust (the npyz and ndarray-npy crates) and JavaScript
(npyjs).

Examples
--------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> manifest = write_vectors(folder, ops=["max_pool"], count=2)
>>> len(manifest["cases"]), manifest["cases"][0]["file"]
(8, '000_max_pool_ceil_window_in_right_padding.npz')
>>> case, expected = read_vectors(folder)[0]
>>> expected["output_indices"]
array([[[0, 2, 4]]])
"""

import json
import math
from pathlib import Path

import numpy as np

import npconv

from .case import RESULTS, Case, default_tolerance, draw_case
from .catalogue import edge_cases
from .draw import RandomDraw
from .ops import OPS

__all__ = ["write_vectors", "read_vectors", "FORMAT"]

FORMAT = "npconv golden vectors 1"
"""The manifest's ``format``: changes if the layout ever does."""

DTYPES = ("float32", "float64")


def write_vectors(directory, *, dtype="float64", seed=0, count=4, ops=None, method="im2col",
                  torch_compatible=True):
    """Write the catalogue and ``count`` drawn cases per op to ``directory``.

    Parameters
    ----------
    directory : str or path
        Created if missing; files of the same names are replaced.
    dtype : {"float64", "float32"}
        The arrays' and results' dtype.
    seed : int
        The seed of the sweep: the same seed writes the same cases.
    count : int
        Random cases per op, drawn by the op's builder (0 for the catalogue alone).
    ops : sequence of str, optional
        Only these ops (default: every op of :data:`npconv.testing.ops.OPS`).
    method : {"im2col", "loops"}
        The npconv variant that computes the results.
    torch_compatible : bool
        Draw the sweep within what PyTorch's functional ops accept.  The catalogue also
        has npconv's extensions (asymmetric padding, padding modes in ``conv``,
        ``output_size`` in ``conv_transpose``); each case's ``torch_compatible`` in the
        manifest says whether PyTorch's ``F.*`` takes it as it is.

    Returns
    -------
    dict
        The manifest, as written to ``manifest.json``.
    """
    dtype = _dtype(dtype)
    ops = _ops(ops)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"count={count!r} must be an int >= 0")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed={seed!r} must be an int >= 0")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    draw = RandomDraw(seed)
    cases = edge_cases(ops=ops, dtype=dtype)
    for op in ops:
        for i in range(count):
            case = draw_case(op, draw, dtype=dtype, torch_compatible=torch_compatible)
            case.name = f"{op}_sweep_{i}"
            cases.append(case)
    entries = [_write_case(directory, number, case, method) for number, case in
               enumerate(cases)]
    manifest = {"format": FORMAT, "npconv": npconv.__version__, "dtype": dtype.name,
                "seed": seed, "count": count, "method": method,
                "torch_compatible": all(entry["torch_compatible"] is True
                                        for entry in entries),
                "sweep_torch_compatible": torch_compatible, "cases": entries}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def _write_case(directory, number, case, method):
    expected = case.expected(method)
    arrays = {name: value for name, value in case.arguments.items()
              if name in case.spec.arrays and value is not None}
    file = f"{number:03d}_{case.name}.npz"
    np.savez(directory / file, **arrays, grad_output=case.grad_output, **expected)
    rtol, atol = default_tolerance(case.dtype)
    return {"file": file, "name": case.name, "op": case.op, "function": case.function_name,
            "torch_compatible": case.torch_compatible, "unbatched": case.unbatched,
            "arguments": list(case.arguments), "arrays": list(arrays),
            "parameters": {name: _to_json(value) for name, value in case.arguments.items()
                           if name not in arrays},
            "results": [name for name in RESULTS if name in expected],
            "dtype": case.dtype.name, "tolerance": {"rtol": rtol, "atol": atol},
            "why": case.why, "source": case.source, "call": repr(case)}


def read_vectors(directory):
    """The cases of a vectors folder, and npconv's results stored with them.

    Returns
    -------
    list of (Case, dict)
        Each case (its ``grad_output`` the stored one) and its results by name.
    """
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{directory / 'manifest.json'} has format "
                         f"{manifest.get('format')!r}; expected {FORMAT!r}")
    loaded = []
    for entry in manifest["cases"]:
        with np.load(directory / entry["file"]) as data:
            stored = {name: data[name] for name in data.files}
        arguments = {name: stored[name] if name in entry["arrays"]
                     else _from_json(entry["parameters"][name]) for name in entry["arguments"]}
        case = Case(entry["op"], arguments, grad_output=stored["grad_output"],
                    name=entry["name"], why=entry["why"], source=entry["source"],
                    unbatched=entry["unbatched"],
                    torch_compatible=entry.get("torch_compatible"))
        loaded.append((case, {name: stored[name] for name in entry["results"]}))
    return loaded


def _to_json(value):
    """A parameter as JSON: tuples as lists, non-finite floats as strings."""
    if isinstance(value, (tuple, list)):
        return [_to_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _from_json(value):
    """The inverse of :func:`_to_json` (lists back to tuples)."""
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    if value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def _dtype(dtype):
    name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if name not in DTYPES:
        raise ValueError(f"dtype={dtype!r} must be one of {DTYPES}")
    return np.dtype(name)


def _ops(ops):
    """The ops to write, each once, in the order given (all of them for None)."""
    if ops is None:
        return tuple(OPS)
    if isinstance(ops, str):
        raise TypeError(f"ops={ops!r} must be a sequence of op names, e.g. [{ops!r}]")
    ops = tuple(ops)
    unknown = [op for op in ops if op not in OPS]
    if unknown or not ops:
        raise ValueError(f"ops={list(ops)!r}: expected one or more of {list(OPS)}")
    return tuple(dict.fromkeys(ops))                  # an op named twice is written once
