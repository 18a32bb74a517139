"""Time every op forward and backward on real layer sizes, beside PyTorch if installed.

Prints, per case and direction, npconv's median time, PyTorch's (measured in the same run,
interleaved), their ratio against the target, the achieved GFLOP/s and its share of NumPy's
own matrix-multiply peak, and the peak extra memory of one call.  PyTorch is optional.

--training instead measures whole networks, the two of npconv train: their parity with
the same architecture built in PyTorch (float64: outputs, gradients, parameters after 20
SGD-momentum and 20 Adam steps, relative error <= 1e-10) and the time of one training step
at batch 64 against PyTorch's (target for the digits CNN: at most 2.5x).  It needs PyTorch
and scikit-learn's digits.

Threads: --threads N sets PyTorch's count and re-runs the command with
OPENBLAS_NUM_THREADS=N and OMP_NUM_THREADS=N, because NumPy's BLAS reads them at start-up
(equivalently, set those variables yourself before running).

Example:
  npconv bench --quick
  npconv bench --threads 2 --json bench.json
  npconv bench --case "3x3 128ch" --repeats 21
  npconv bench --training --threads 2
"""

import os
import subprocess
import sys

from ..tools import bench, parity
from .arguments import positive_int

NAME = "bench"
HELP = "time every op (forward, backward) on real layer sizes, beside PyTorch if installed"

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def add_arguments(parser):
    """``--quick``, ``--repeats``, ``--threads``, ``--case``, ``--json``, ``--no-torch``."""
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats, smaller GEMM probe, no memory pass (under a minute)")
    parser.add_argument("--repeats", type=positive_int, default=None,
                        help="timed repeats per case (default 9, quick 3)")
    parser.add_argument("--threads", type=positive_int, default=None,
                        help="threads for NumPy's BLAS and PyTorch (default: as started)")
    parser.add_argument("--case", action="append", default=None,
                        help="run only cases whose name contains this text (repeatable)")
    parser.add_argument("--json", metavar="PATH", default=None,
                        help="also write the results as JSON to PATH")
    parser.add_argument("--no-torch", action="store_true",
                        help="do not compare with PyTorch even if it is installed")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the peak-memory pass")
    parser.add_argument("--training", action="store_true",
                        help="whole networks instead: parity with PyTorch and one training "
                             "step's time (needs torch and npconv[train])")


def _child_argv(args):
    """The command line that repeats ``args`` in a fresh process."""
    argv = [sys.executable, "-m", "npconv", NAME, "--threads", str(args.threads)]
    if args.quick:
        argv.append("--quick")
    if args.repeats:
        argv += ["--repeats", str(args.repeats)]
    for name in args.case or []:
        argv += ["--case", name]
    if args.json:
        argv += ["--json", args.json]
    if args.no_torch:
        argv.append("--no-torch")
    if args.no_memory:
        argv.append("--no-memory")
    if args.training:
        argv.append("--training")
    return argv


def _needs_restart(threads):
    """True when NumPy's BLAS was started with another thread count than asked."""
    if threads is None:
        return False
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(threads)
        return False
    except ImportError:
        return os.environ.get("OPENBLAS_NUM_THREADS") != str(threads)


def run(args):
    """Print the table row by row; write JSON if asked.  Always 0: no timing is a check."""
    if _needs_restart(args.threads):
        env = dict(os.environ, **{variable: str(args.threads)
                                  for variable in _THREAD_VARIABLES})
        return subprocess.call(_child_argv(args), env=env)
    if args.training:
        return _run_training(args)
    cases = bench.default_cases(quick=args.quick)
    if args.case:
        cases = [case for case in cases if any(text in case.name for text in args.case)]
        if not cases:
            raise ValueError(f"--case {args.case} matches none of the cases")
    repeats = args.repeats or (3 if args.quick else 9)
    torch = None if args.no_torch else bench._import_torch()
    if torch is not None and args.threads is not None:
        torch.set_num_threads(args.threads)
    print(bench.format_header({"machine": bench.machine_info(torch)}), flush=True)
    print(bench.TABLE_HEADER, flush=True)
    # Rows print as measured, against the GEMM peak probed first; the summary at the end
    # (and the JSON) use the best of the probes before and after.
    report = bench.run_benchmark(
        cases, repeats=repeats, warmup=1, use_torch=not args.no_torch, threads=args.threads,
        measure_memory=not (args.quick or args.no_memory),
        gemm_size=512 if args.quick else 1024,
        progress=lambda row: print(bench.format_row(row), flush=True))
    peaks = ", ".join(f"{dtype} {gflops:.0f} GFLOP/s"
                      for dtype, gflops in report["gemm_peak_gflops"].items())
    print(f"numpy matmul peak: {peaks}; medians of {repeats} repeats after 1 warm-up")
    first = report["gemm_peak_first_probe_gflops"]
    if any(report["gemm_peak_gflops"][dtype] > 1.05 * first[dtype] for dtype in first):
        # A busy neighbour slowed the first probe, so the rows above overstate %peak.
        print("the first GEMM probe was slower ("
              + ", ".join(f"{dtype} {gflops:.0f}" for dtype, gflops in first.items())
              + " GFLOP/s) than the fastest matrix product seen since; the rows again, "
                "against that:")
        print(bench.TABLE_HEADER)
        for row in report["results"]:
            print(bench.format_row(row))
    print("ratio = npconv / torch time; max pool and adaptive max bwd vs torch fwd+bwd; "
          "mem = peak extra memory of one call beyond input and output (npconv: tracemalloc, "
          "torch: RSS)")
    if args.json:
        bench.write_json(report, args.json)
        print(f"wrote {args.json}")
    return 0


def _run_training(args):
    """The parity table (with PyTorch) and the training-step table; 1 if a parity check fails."""
    torch = None if args.no_torch else bench._import_torch()
    if torch is not None and args.threads is not None:
        torch.set_num_threads(args.threads)
    print(bench.format_header({"machine": bench.machine_info(torch)}), flush=True)
    failed = False
    if torch is None:
        print("parity: PyTorch is not installed (or --no-torch); only npconv's step is timed")
    else:
        rows = parity.parity_checks(torch)
        print(parity.format_parity(rows), flush=True)
        failed = not all(row["passed"] for row in rows)
    repeats = args.repeats or (10 if args.quick else 50)
    print(parity.format_timing(parity.time_training_step(torch, repeats=repeats)))
    order = "npconv alone" if torch is None else "npconv and torch alternating"
    print(f"medians of {repeats} steps after 5 warm-up steps, {order}")
    return 1 if failed else 0
