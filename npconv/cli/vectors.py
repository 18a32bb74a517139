"""Write portable golden vectors: every trap of the catalogue and a seeded sweep of random
cases, as one .npz per case (the arrays, a fixed grad_output, npconv's outputs, indices and
gradients) and a manifest.json (op, parameters, dtype, tolerance, why, source), for checking
an implementation in any language.  The format: npconv.testing.vectors.

Example:
  npconv vectors golden/
  npconv vectors golden32/ --dtype float32 --seed 7 --count 10 --ops conv,avg_pool
"""

import argparse

from ..testing.ops import OPS
from ..testing.vectors import DTYPES, write_vectors
from .arguments import non_negative_int

NAME = "vectors"
HELP = "write golden vectors (.npz and manifest.json) to check another implementation"

MAX_COUNT = 1000
"""The most random cases per op."""


def ops_arg(text):
    """A comma-separated list of ops, each one of :data:`npconv.testing.ops.OPS`, each once
    (``write_vectors`` writes an op named twice once, and the summary counts what it wrote)."""
    ops = list(dict.fromkeys(op.strip() for op in text.split(",") if op.strip()))
    unknown = [op for op in ops if op not in OPS]
    if unknown or not ops:
        raise argparse.ArgumentTypeError(f"{text!r}: expected ops from {', '.join(OPS)}, "
                                         f"separated by commas")
    return ops


def count_arg(text):
    """A number of random cases per op, from 0 to :data:`MAX_COUNT`."""
    count = non_negative_int(text)
    if count > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{count} is more than {MAX_COUNT} cases per op")
    return count


def add_arguments(parser):
    """``DIR``, ``--dtype``, ``--seed``, ``--count`` and ``--ops``."""
    parser.add_argument("directory", metavar="DIR", help="the folder to write (created if "
                                                         "missing)")
    parser.add_argument("--dtype", choices=DTYPES, default="float64",
                        help="dtype of the arrays and results (default float64)")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the random sweep, >= 0 (default 0)")
    parser.add_argument("--count", type=count_arg, default=4,
                        help=f"random cases per op, 0 to {MAX_COUNT} (default 4)")
    parser.add_argument("--ops", type=ops_arg, default=None,
                        help="only these ops, comma-separated (default: all)")


def run(args):
    """Write the folder and print what it holds."""
    manifest = write_vectors(args.directory, dtype=args.dtype, seed=args.seed,
                             count=args.count, ops=args.ops)
    cases = manifest["cases"]
    drawn = args.count * len(args.ops or OPS)
    print(f"wrote {len(cases)} cases to {args.directory}: {len(cases) - drawn} from the "
          f"catalogue, {drawn} drawn with seed {args.seed} ({args.dtype})")
    print(f"manifest: {args.directory.rstrip('/')}/manifest.json")
    return 0
