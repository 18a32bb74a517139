"""Benchmark: time every op of npconv forward and backward, beside PyTorch when it is installed.

The cases are real layer sizes (ResNet-18's 3x3 layers and stem, depthwise, a DCGAN-like
transposed convolution, ResNet's max pool, its global average pool, the rest of the
pooling family: SegNet-like max unpooling, adaptive pooling with and without shared cells,
power-average pooling; and unfold and fold on ResNet's 3x3 layer and stem) plus one small
case of the readable ``loops`` variant.  Per case and direction (forward, backward)
:func:`run_benchmark` records

- the median time of npconv, and of PyTorch measured side by side (the two are interleaved,
  repeat by repeat, so a noisy shared machine slows both alike), and their ratio;
- the achieved GFLOP/s and its share of NumPy's own matrix-multiply peak, measured in the
  same run (a GEMM-bound NumPy convolution cannot beat that peak);
- the peak extra memory of one call beyond its input and output.

How memory is measured: NumPy reports its array allocations to :mod:`tracemalloc`, so the
npconv figure is ``tracemalloc`` peak minus the memory traced before the call minus the bytes
of the returned arrays.  PyTorch's CPU allocator does not report to ``tracemalloc``, so its
figure is the growth of the process's peak resident set (``VmHWM``, reset through
``/proc/self/clear_refs`` after ``malloc_trim``) minus the returned bytes; it is ``None``
where ``/proc`` does not allow that.

Threads: PyTorch's count is set with ``torch.set_num_threads``; NumPy's BLAS reads
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` when NumPy is first imported, so the count
must be chosen before the process starts (``npconv bench --threads N`` re-runs itself with
those variables set) or, when ``threadpoolctl`` happens to be installed, it is used instead.

PyTorch is optional: without it the torch columns are empty.  Nothing here is a timed
assertion; the table is for reading.

Examples
--------
>>> cases = [Case("tiny conv", "conv", (1, 2, 6, 6), (3, 2, 3, 3), {"padding": 1})]
>>> report = run_benchmark(cases, repeats=1, warmup=0, use_torch=False, gemm_size=64)
>>> [(row["case"], row["direction"]) for row in report["results"]]
[('tiny conv', 'forward'), ('tiny conv', 'backward')]
"""

import gc
import json
import math
import os
import platform
import statistics
import time
import tracemalloc
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import api
from ..family import api as family
from ..shapes import max_unpool_output_size

__all__ = [
    "Case",
    "default_cases",
    "format_table",
    "gemm_peak",
    "run_benchmark",
    "write_json",
]


@dataclass
class Case:
    """One benchmark case: an op, its input and weight shapes and its keyword arguments.

    ``op`` is one of ``"conv"``, ``"conv_transpose"``, ``"max_pool"``, ``"avg_pool"``, or
    of the family's :data:`FAMILY_OPS`; ``weight_shape`` is ``None`` for the ops without
    weights.  A fold case's input is the columns ``(N, C * K, L)``.  A max
    unpooling case unpools the indices of a max pooling of random values whose output is
    the case's input (:func:`unpool_indices`).  ``params`` are the keyword arguments of the
    npconv function, which have PyTorch's names.  ``targets`` are the ratio targets we set
    (forward, backward) against PyTorch, for the table only.
    """

    name: str
    op: str
    input_shape: tuple
    weight_shape: tuple = None
    params: dict = field(default_factory=dict)
    dtype: str = "float32"
    method: str = "im2col"
    targets: tuple = (None, None)


def default_cases(quick=False):
    """The cases: ResNet-18 layers, depthwise, transposed conv, pooling, float64.

    ``quick`` keeps every case (the point is to see them all) but the caller uses fewer
    repeats; see :func:`run_benchmark`.
    """
    same3 = {"padding": 1}
    cases = [
        Case("3x3 64ch 56x56", "conv", (8, 64, 56, 56), (64, 64, 3, 3), same3,
             targets=(3.0, 3.3)),
        Case("3x3 64ch 56x56 dil2", "conv", (8, 64, 56, 56), (64, 64, 3, 3),
             {"padding": 2, "dilation": 2}, targets=(3.0, 3.3)),
        Case("3x3 128ch 28x28", "conv", (8, 128, 28, 28), (128, 128, 3, 3), same3,
             targets=(2.5, 2.8)),
        Case("3x3 256ch 14x14", "conv", (8, 256, 14, 14), (256, 256, 3, 3), same3,
             targets=(2.5, 2.8)),
        Case("3x3 512ch 7x7", "conv", (8, 512, 7, 7), (512, 512, 3, 3), same3,
             targets=(2.5, 2.8)),
        Case("stem 7x7 s2 3->64 224", "conv", (8, 3, 224, 224), (64, 3, 7, 7),
             {"stride": 2, "padding": 3}, targets=(3.0, 1.5)),
        Case("depthwise 3x3 128ch 28x28", "conv", (8, 128, 28, 28), (128, 1, 3, 3),
             {"padding": 1, "groups": 128}, targets=(8.0, 10.0)),
        Case("convT 512->256 k4s2p1 8x8 b16", "conv_transpose", (16, 512, 8, 8),
             (512, 256, 4, 4), {"stride": 2, "padding": 1}, targets=(2.5, 2.5)),
        Case("max pool 3x3 s2 p1 64ch 112", "max_pool", (8, 64, 112, 112), None,
             {"kernel_size": 3, "stride": 2, "padding": 1}, targets=(0.8, 2.0)),
        Case("avg pool 3x3 s2 p1 64ch 112", "avg_pool", (8, 64, 112, 112), None,
             {"kernel_size": 3, "stride": 2, "padding": 1}, targets=(2.0, 2.0)),
        Case("max unpool 2x2 64ch 56->112", "max_unpool", (8, 64, 56, 56), None,
             {"kernel_size": 2}),
        Case("adaptive avg 512ch 7->1", "adaptive_avg_pool", (8, 512, 7, 7), None,
             {"output_size": 1}),
        Case("adaptive avg 64ch 56->7", "adaptive_avg_pool", (8, 64, 56, 56), None,
             {"output_size": 7}),
        Case("adaptive avg 64ch 56->5", "adaptive_avg_pool", (8, 64, 56, 56), None,
             {"output_size": 5}),
        Case("adaptive max 64ch 56->7", "adaptive_max_pool", (8, 64, 56, 56), None,
             {"output_size": 7}),
        Case("adaptive max 64ch 56->5", "adaptive_max_pool", (8, 64, 56, 56), None,
             {"output_size": 5}),
        Case("lp pool p2 3x3 s2 64ch 112", "lp_pool", (8, 64, 112, 112), None,
             {"norm_type": 2.0, "kernel_size": 3, "stride": 2}),
        Case("unfold 3x3 p1 64ch 56x56", "unfold", (8, 64, 56, 56), None,
             {"kernel_size": 3, "padding": 1}),
        Case("unfold stem 7x7 s2 p3 3ch 224", "unfold", (8, 3, 224, 224), None,
             {"kernel_size": 7, "stride": 2, "padding": 3}),
        Case("fold 3x3 p1 64ch 56x56", "fold", (8, 64 * 9, 56 * 56), None,
             {"output_size": (56, 56), "kernel_size": 3, "padding": 1}),
        Case("fold stem 7x7 s2 p3 3ch 224", "fold", (8, 3 * 49, 112 * 112), None,
             {"output_size": (224, 224), "kernel_size": 7, "stride": 2, "padding": 3}),
        Case("f64 3x3 64ch 56x56", "conv", (8, 64, 56, 56), (64, 64, 3, 3), same3,
             dtype="float64", targets=(1.0, 1.1)),
        Case("f64 3x3 256ch 14x14", "conv", (8, 256, 14, 14), (256, 256, 3, 3), same3,
             dtype="float64", targets=(1.0, 1.1)),
        Case("loops 3x3 4ch 8x8 b1", "conv", (1, 4, 8, 8), (4, 4, 3, 3), same3,
             method="loops"),
    ]
    return cases


# --------------------------------------------------------------------------------------------
# The callables: npconv and PyTorch, forward and backward
# --------------------------------------------------------------------------------------------

def _npconv_calls(case, x, weight, grad_output):
    """``(forward, backward)``: argument-free callables running npconv on the case."""
    p, m = case.params, case.method
    if case.op == "conv":
        return (lambda: api.conv(x, weight, None, method=m, **p),
                lambda: api.conv_backward(grad_output, x, weight, method=m, **p))
    if case.op == "conv_transpose":
        return (lambda: api.conv_transpose(x, weight, None, method=m, **p),
                lambda: api.conv_transpose_backward(grad_output, x, weight, method=m, **p))
    if case.op == "max_pool":
        return (lambda: api.max_pool(x, return_indices=True, method=m, **p),
                lambda: api.max_pool_backward(grad_output, x, method=m, **p))
    if case.op == "avg_pool":
        return (lambda: api.avg_pool(x, method=m, **p),
                lambda: api.avg_pool_backward(grad_output, x, method=m, **p))
    if case.op in FAMILY_OPS:
        return _family_calls(case, x, grad_output)
    raise ValueError(f"op={case.op!r} is not one of conv, conv_transpose, max_pool, avg_pool, "
                     f"{', '.join(FAMILY_OPS)}")


FAMILY_OPS = ("max_unpool", "adaptive_avg_pool", "adaptive_max_pool", "lp_pool", "unfold",
              "fold")
"""The rest of the family (:mod:`npconv.family`), benchmarked beside PyTorch's functions of
the same names (with a rank suffix but for unfold and fold)."""


def _family_calls(case, x, grad_output):
    """``(forward, backward)`` of a family op; adaptive max pooling, like max pooling, also
    returns its indices, and its backward finds the winners again."""
    p, m = case.params, case.method
    if case.op == "max_unpool":
        indices = unpool_indices(case)
        return (lambda: family.max_unpool(x, indices, method=m, **p),
                lambda: family.max_unpool_backward(grad_output, x, indices, method=m, **p))
    if case.op == "adaptive_max_pool":
        return (lambda: family.adaptive_max_pool(x, return_indices=True, method=m, **p),
                lambda: family.adaptive_max_pool_backward(grad_output, x, method=m, **p))
    forward, backward = {"adaptive_avg_pool": (family.adaptive_avg_pool,
                                               family.adaptive_avg_pool_backward),
                         "lp_pool": (family.lp_pool, family.lp_pool_backward),
                         "unfold": (family.unfold, family.unfold_backward),
                         "fold": (family.fold, family.fold_backward)}[case.op]
    return (lambda: forward(x, method=m, **p),
            lambda: backward(grad_output, x, method=m, **p))


def unpool_indices(case):
    """The indices a max unpooling case unpools: those of a max pooling (of seeded random
    values, with the case's kernel_size, stride and padding) whose output has the case's
    input shape, so each lies in its own window of the unpooled plane."""
    p = case.params
    N, C, *in_size = case.input_shape
    ndim = len(in_size)
    kernel = _per_dimension(p["kernel_size"], ndim)
    stride = _per_dimension(p.get("stride") or p["kernel_size"], ndim)
    padding = _per_dimension(p.get("padding", 0), ndim)
    out_size = p.get("output_size") or [max_unpool_output_size(n, k, s, (pad, pad))
                                        for n, k, s, pad in zip(in_size, kernel, stride,
                                                                padding)]
    source = np.random.default_rng(1).standard_normal((N, C, *out_size[-ndim:]))
    _, indices = api.max_pool(source.astype(case.dtype), kernel, stride, padding,
                              return_indices=True)
    return indices


def _per_dimension(value, ndim):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def _torch_calls(torch, case, x, weight, grad_output):
    """``(forward, backward)`` in PyTorch, or ``None`` for an op it cannot mirror.

    Backward is ``torch.autograd.grad`` of a recorded forward (input and weight gradients,
    as npconv's backward computes).  Max pooling's and adaptive max pooling's backward is
    timed as forward plus backward, because npconv's backward takes the input and finds the
    winners again rather than receiving PyTorch's saved indices.
    """
    F = torch.nn.functional
    nd = len(case.input_shape) - 2
    p = dict(case.params)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    gt = torch.from_numpy(np.ascontiguousarray(grad_output))
    if case.op in ("conv", "conv_transpose"):
        fn = getattr(F, f"{case.op}{nd}d")
        wt = torch.from_numpy(weight.copy()).requires_grad_(True)
        inputs = (xt, wt)

        def forward(x_in=xt, w_in=wt):
            return fn(x_in, w_in, None, **p)
    elif case.op == "max_pool":
        fn = getattr(F, f"max_pool{nd}d")
        inputs = (xt,)

        def forward(x_in=xt):
            return fn(x_in, return_indices=True, **p)[0]
    elif case.op == "max_unpool":
        fn = getattr(F, f"max_unpool{nd}d")
        indices = torch.from_numpy(unpool_indices(case))
        inputs = (xt,)

        def forward(x_in=xt):
            return fn(x_in, indices, **p)
    elif case.op == "adaptive_max_pool":
        fn = getattr(F, f"adaptive_max_pool{nd}d")
        inputs = (xt,)

        def forward(x_in=xt):
            return fn(x_in, return_indices=True, **p)[0]
    elif case.op in ("unfold", "fold"):         # F.unfold and F.fold: no rank in the name
        fn = getattr(F, case.op)
        inputs = (xt,)

        def forward(x_in=xt):
            return fn(x_in, **p)
    else:                       # avg_pool, adaptive_avg_pool, lp_pool: the same names
        fn = getattr(F, f"{case.op}{nd}d")
        inputs = (xt,)

        def forward(x_in=xt):
            return fn(x_in, **p)

    def forward_only():
        with torch.no_grad():
            xs = [t.detach() for t in inputs]
            return forward(*xs)

    recorded = forward()

    def backward():
        if case.op in ("max_pool", "adaptive_max_pool"):
            return torch.autograd.grad(forward(), inputs, gt)
        return torch.autograd.grad(recorded, inputs, gt, retain_graph=True)

    return forward_only, backward


def _flops(case, out_shape):
    """Multiply-adds counted as 2 flops, forward; backward is twice that.  ``None`` for pools."""
    if case.op == "conv":
        _, C_in_per_group, *kernel_size = case.weight_shape
        return 2 * math.prod(out_shape) * C_in_per_group * math.prod(kernel_size)
    if case.op == "conv_transpose":
        _, C_out_per_group, *kernel_size = case.weight_shape
        return 2 * math.prod(case.input_shape) * C_out_per_group * math.prod(kernel_size)
    return None


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------

def _seconds(fn):
    """Wall-clock seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _result_bytes(result):
    """Bytes of the arrays (or tensors) a call returns."""
    if isinstance(result, (tuple, list)):
        return sum(_result_bytes(r) for r in result)
    if result is None:
        return 0
    if hasattr(result, "nbytes"):
        return int(result.nbytes)
    return int(result.numel() * result.element_size())


def numpy_peak_extra_bytes(fn):
    """Peak bytes NumPy allocates during ``fn()``, beyond what it returns (via tracemalloc)."""
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    if not was_tracing:
        tracemalloc.stop()
    return max(peak - before - _result_bytes(result), 0)


def _proc_status_kib(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")


def rss_peak_extra_bytes(fn):
    """Growth of the peak resident set during ``fn()``, beyond what it returns; or ``None``.

    Used for PyTorch, whose allocations tracemalloc does not see.  ``malloc_trim`` first
    hands freed heap back to the system, so the growth counts fresh pages.
    """
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")                       # reset VmHWM to the current RSS
        before = _proc_status_kib("VmRSS")
        result = fn()
        peak = _proc_status_kib("VmHWM")
    except OSError:
        return None
    return max((peak - before) * 1024 - _result_bytes(result), 0)


def gemm_peak(dtype="float32", size=1024, repeats=15):
    """NumPy's matrix-multiply speed in GFLOP/s: the best of ``repeats`` square products."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    out = np.empty((size, size), dtype=dtype)
    np.matmul(a, b, out=out)                                    # warm-up
    best = min(_seconds(lambda: np.matmul(a, b, out=out)) for _ in range(repeats))
    return 2 * size ** 3 / best / 1e9


def _import_torch():
    """PyTorch if it is installed, else ``None`` (it is only ever a comparison)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def numpy_threads():
    """The BLAS thread count NumPy runs with, as far as can be told without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
        counts = [pool["num_threads"] for pool in threadpool_info()
                  if pool.get("user_api") == "blas"]
        if counts:
            return counts[0]
    except ImportError:
        pass
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if os.environ.get(variable, "").isdigit():
            return int(os.environ[variable])
    return os.cpu_count()


def machine_info(torch=None):
    """CPU model, core count, NumPy and BLAS versions, PyTorch's version if present."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    blas = "unknown"
    try:
        config = np.show_config(mode="dicts")
        blas_info = config["Build Dependencies"]["blas"]
        blas = f"{blas_info.get('name')} {blas_info.get('version', '')}".strip()
    except (TypeError, KeyError, AttributeError):        # older NumPy: no dict mode
        blas = "unknown"
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": blas, "numpy_threads": numpy_threads(),
            "torch": torch.__version__ if torch is not None else None,
            "torch_threads": torch.get_num_threads() if torch is not None else None}


def run_case(case, repeats=7, warmup=1, torch=None, measure_memory=True, peaks=None):
    """Time one case forward and backward; return a list of two result dicts.

    npconv and PyTorch repeats alternate (and swap order every repeat), so both see the same
    machine load; the medians and their ratio are reported.
    """
    rng = np.random.default_rng(0)
    x = rng.standard_normal(case.input_shape).astype(case.dtype)
    weight = (None if case.weight_shape is None
              else rng.standard_normal(case.weight_shape).astype(case.dtype))
    forward, _ = _npconv_calls(case, x, weight, None)
    out = forward()
    out = out[0] if isinstance(out, tuple) else out
    grad_output = rng.standard_normal(out.shape).astype(case.dtype)
    calls = _npconv_calls(case, x, weight, grad_output)
    torch_calls = (None, None) if torch is None else _torch_calls(torch, case, x, weight,
                                                                   grad_output)
    flops = _flops(case, out.shape)
    peak = (peaks or {}).get(case.dtype)
    results = []
    for direction, np_fn, torch_fn, factor in zip(("forward", "backward"), calls,
                                                  torch_calls, (1, 2)):
        np_times, torch_times = [], []
        for r in range(warmup + repeats):
            pair = [(np_times, np_fn), (torch_times, torch_fn)]
            for times, fn in (pair if r % 2 == 0 else pair[::-1]):
                if fn is None:
                    continue
                seconds = _seconds(fn)
                if r >= warmup:
                    times.append(seconds)
        np_median = statistics.median(np_times)
        torch_median = statistics.median(torch_times) if torch_times else None
        gflops = flops * factor / np_median / 1e9 if flops else None
        row = {
            "case": case.name, "op": case.op, "direction": direction, "method": case.method,
            "dtype": case.dtype, "input_shape": list(case.input_shape),
            "weight_shape": list(case.weight_shape) if case.weight_shape else None,
            "params": case.params, "repeats": repeats,
            "numpy_ms": np_median * 1e3,
            "torch_ms": torch_median * 1e3 if torch_median else None,
            "ratio": np_median / torch_median if torch_median else None,
            "target": case.targets[0 if direction == "forward" else 1],
            "gflops": gflops,
            "percent_of_gemm_peak": 100 * gflops / peak if gflops and peak else None,
            "numpy_extra_mib": None, "torch_extra_mib": None,
        }
        if measure_memory:
            row["numpy_extra_mib"] = numpy_peak_extra_bytes(np_fn) / 2 ** 20
            if torch_fn is not None:
                extra = rss_peak_extra_bytes(torch_fn)
                row["torch_extra_mib"] = None if extra is None else extra / 2 ** 20
        results.append(row)
    return results


def run_benchmark(cases=None, repeats=7, warmup=1, use_torch=True, threads=None,
                  measure_memory=True, gemm_size=1024, progress=None):
    """Run every case; return a report dict (machine, GEMM peaks, results).

    Parameters
    ----------
    cases : list of Case, optional
        Default :func:`default_cases`.
    repeats, warmup : int
        Timed and untimed calls per case, direction and library.
    use_torch : bool
        Compare with PyTorch if it is importable.
    threads : int, optional
        PyTorch's thread count (NumPy's is fixed at process start; see the module notes).
    progress : callable, optional
        Called with each result row as it is measured (the command line prints them).
    """
    cases = default_cases() if cases is None else cases
    torch = _import_torch() if use_torch else None
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    dtypes = sorted({case.dtype for case in cases})
    peaks = {dtype: gemm_peak(dtype, size=gemm_size) for dtype in dtypes}
    first_peaks = dict(peaks)
    results = []
    for case in cases:
        for row in run_case(case, repeats, warmup, torch, measure_memory, peaks):
            results.append(row)
            if progress is not None:
                progress(row)
    # A neighbour's burst can spoil one probe: measure again at the end, keep the best,
    # and recompute the shares of the peak.  A convolution cannot beat the matrix product
    # it runs on, so a row faster than both probes shows that a busy neighbour slowed them
    # both: its own speed is then the best estimate of the peak (a share of at most 100%).
    for dtype in dtypes:
        fastest_row = max((row["gflops"] for row in results
                           if row["dtype"] == dtype and row["gflops"]), default=0)
        peaks[dtype] = max(peaks[dtype], gemm_peak(dtype, size=gemm_size), fastest_row)
    for row in results:
        if row["gflops"]:
            row["percent_of_gemm_peak"] = 100 * row["gflops"] / peaks[row["dtype"]]
    return {"machine": machine_info(torch), "gemm_peak_gflops": peaks,
            "gemm_peak_first_probe_gflops": first_peaks,
            "repeats": repeats, "warmup": warmup, "results": results}


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def _cell(value, spec, width):
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}"


TABLE_HEADER = (f"{'case':<32}{'dir':<5}{'npconv ms':>10}{'torch ms':>10}{'ratio':>7}"
                f"{'target':>8}{'GFLOP/s':>9}{'%peak':>7}{'mem MiB':>9}{'torch MiB':>10}")


def format_row(row):
    """One line of the table for a result row of :func:`run_case`."""
    target = row["target"]
    verdict = ""
    if target is not None and row["ratio"] is not None:
        verdict = " ok" if row["ratio"] <= target else " MISS"
    direction = "fwd" if row["direction"] == "forward" else "bwd"
    name = row["case"] if row["method"] == "im2col" else f"{row['case']} [{row['method']}]"
    return (f"{name:<32}{direction:<5}"
            f"{_cell(row['numpy_ms'], '.2f', 10)}{_cell(row['torch_ms'], '.2f', 10)}"
            f"{_cell(row['ratio'], '.2f', 7)}"
            f"{_cell(None if target is None else f'<={target:g}', '', 8)}"
            f"{_cell(row['gflops'], '.1f', 9)}{_cell(row['percent_of_gemm_peak'], '.0f', 7)}"
            f"{_cell(row['numpy_extra_mib'], '.1f', 9)}{_cell(row['torch_extra_mib'], '.1f', 10)}"
            f"{verdict}")


def format_header(report_or_machine):
    """The lines above the table: machine, threads, GEMM peak."""
    machine = report_or_machine.get("machine", report_or_machine)
    lines = [f"machine: {machine['cpu']}, {machine['cores']} cores; numpy {machine['numpy']}"
             f" ({machine['blas']}, {machine['numpy_threads']} threads); torch "
             f"{machine['torch'] or 'not installed'}"
             + (f" ({machine['torch_threads']} threads)" if machine['torch'] else "")]
    return "\n".join(lines)


def format_table(report):
    """The whole report as text: header, GEMM peaks, one row per case and direction."""
    peaks = ", ".join(f"{dtype} {gflops:.0f} GFLOP/s"
                      for dtype, gflops in report["gemm_peak_gflops"].items())
    summary = (f"numpy matmul peak: {peaks}; medians of {report['repeats']} repeats "
               f"after {report['warmup']} warm-up")
    lines = [format_header(report), summary, TABLE_HEADER]
    lines += [format_row(row) for row in report["results"]]
    lines.append("ratio = npconv time / torch time (lower is better); max pool and adaptive "
                 "max bwd are compared with torch forward+backward; mem = peak extra memory "
                 "of one call beyond input and output")
    return "\n".join(lines)


def write_json(report, path):
    """Write the report as JSON (the cases' parameters included)."""
    with open(path, "w") as out:
        json.dump(report, out, indent=1, default=lambda o: asdict(o) if hasattr(o, "__dataclass_fields__") else str(o))
        out.write("\n")
