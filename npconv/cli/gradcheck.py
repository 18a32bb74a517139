"""Confirm an install: finite-difference checks of every op, both methods.

Draws seeded random configurations of conv, conv_transpose, max_pool and avg_pool (1-, 2-
and 3-D; stride, padding, dilation, groups, ceil_mode and count_include_pad varied) and of
the rest of the pooling family, max_unpool (of a real max_pool's indices),
adaptive_avg_pool, adaptive_max_pool and lp_pool (powers 1, 1.5, 2, 3 and +-inf), and of
unfold and fold (stride up to 3, padding as pairs too), compares
each backward with central differences of its own forward, and checks that loops and
im2col agree on the forward.  Prints the worst relative error per op and method; the
exit status is 1 if any check fails, or raises (the row says what it raised).

Example:
  npconv gradcheck
  npconv gradcheck --seed 7 --trials 10
  npconv gradcheck --op lp_pool --op max_unpool --verbose
  npconv gradcheck --op unfold --op fold
"""

import argparse

from ..tools.gradcheck import METHODS, OPS, TOLERANCE, run_checks, worst_errors
from .arguments import non_negative_int, positive_int

NAME = "gradcheck"
HELP = "finite-difference checks of every op and method on random configurations"

MAX_TRIALS = 1000
"""The most configurations per op and method (1000 take about a minute)."""


def trials_arg(text):
    """A number of trials from 1 to :data:`MAX_TRIALS`."""
    trials = positive_int(text)
    if trials > MAX_TRIALS:
        raise argparse.ArgumentTypeError(f"{trials} is more than the {MAX_TRIALS} trials "
                                         f"checked at most (1000 take about a minute)")
    return trials


def add_arguments(parser):
    """``--seed``, ``--trials``, ``--op`` and ``--verbose``."""
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="random seed, >= 0 (default 0)")
    parser.add_argument("--trials", type=trials_arg, default=20,
                        help=f"configurations per op and method, at most {MAX_TRIALS} "
                             f"(default 20)")
    parser.add_argument("--op", action="append", choices=OPS,
                        help="check only this op (repeatable)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print each worst case's configuration")


def run(args):
    """Print one row per op and method; 1 if any check fails or raises."""
    ops = tuple(args.op) if args.op else OPS
    width = max(len(op) for op in OPS) + 2
    print(f"{'op':<{width}}{'method':<8}{'checks':>7}  {'worst rel. error':>16}  result")
    passed = total = 0
    crashed = []
    for op in ops:
        for method in METHODS:
            try:
                results = run_checks(seed=args.seed, trials=args.trials, ops=(op,),
                                     methods=(method,))
            except Exception as error:          # noqa: BLE001 - a crash is a failed check
                crashed.append(f"{op} {method}")
                print(f"{op:<{width}}{method:<8}{'-':>7}  {'-':>16}  FAIL")
                print(f"    raised {type(error).__name__}: {error}")
                print(f"    for the traceback: python -c \"from npconv.tools.gradcheck import "
                      f"run_checks; run_checks(seed={args.seed}, trials={args.trials}, "
                      f"ops=({op!r},), methods=({method!r},))\"")
                continue
            row, = worst_errors(results)
            verdict = "ok" if row["passed"] else "FAIL"
            print(f"{row['op']:<{width}}{row['method']:<8}{row['checks']:>7}  "
                  f"{row['worst_error']:>16.1e}  {verdict}")
            if args.verbose or not row["passed"]:
                print(f"    worst case: {row['worst_config']}")
            total += len(results)
            passed += sum(result.passed for result in results)
    summary = f"{passed} of {total} checks passed"
    if crashed:
        summary += f"; raised instead of finishing: {', '.join(crashed)}"
    print(f"{summary} (tolerance {TOLERANCE:g}, seed {args.seed})")
    return 0 if passed == total and not crashed else 1
