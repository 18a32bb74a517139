"""Confirm an install: finite-difference checks of every op, both methods.

Draws seeded random configurations of conv, conv_transpose, max_pool and avg_pool (1-, 2-
and 3-D; stride, padding, dilation, groups, ceil_mode and count_include_pad varied),
compares each backward with central differences of its own forward, and checks that loops
and im2col agree on the forward.  Prints the worst relative error per op and method; the
exit status is 1 if any check fails.

Example:
  npconv gradcheck
  npconv gradcheck --seed 7 --trials 10
"""

from ..gradcheck import OPS, TOLERANCE, run_checks, worst_errors
from .arguments import positive_int

NAME = "gradcheck"
HELP = "finite-difference checks of every op and method on random configurations"


def add_arguments(parser):
    """``--seed``, ``--trials``, ``--op`` and ``--verbose``."""
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--trials", type=positive_int, default=20,
                        help="configurations per op and method (default 20)")
    parser.add_argument("--op", action="append", choices=OPS,
                        help="check only this op (repeatable)")
    parser.add_argument("--verbose", action="store_true",
                        help="also print each worst case's configuration")


def run(args):
    """Print one row per op and method; 1 if any check fails."""
    ops = tuple(args.op) if args.op else OPS
    results = run_checks(seed=args.seed, trials=args.trials, ops=ops)
    rows = worst_errors(results)
    print(f"{'op':<16}{'method':<8}{'checks':>7}  {'worst rel. error':>16}  result")
    for row in rows:
        verdict = "ok" if row["passed"] else "FAIL"
        print(f"{row['op']:<16}{row['method']:<8}{row['checks']:>7}  "
              f"{row['worst_error']:>16.1e}  {verdict}")
        if args.verbose or not row["passed"]:
            print(f"    worst case: {row['worst_config']}")
    failed = sum(not result.passed for result in results)
    print(f"{len(results) - failed} of {len(results)} checks passed "
          f"(tolerance {TOLERANCE:g}, seed {args.seed})")
    return 1 if failed else 0
