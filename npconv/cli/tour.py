"""The cheat sheet, runnable: every section on small concrete arrays, with live proofs.

Sections, in the cheat sheet's order: convolution (a kernel sliding over the image),
padding (valid vs same), pooling (max and average), output-size (the formula with numbers),
parameters (conv layer vs pooling layer), dilation, transposed (transposed convolution);
then matrix-multiply (the convolution as unfold, one matrix product, and fold).
Each ends with the module and function to open to step through it, and with proofs run
live on its arrays: loops and im2col agree, and the gradients match finite differences.
The exit status is 1 if a proof fails.

Example:
  npconv tour
  npconv tour --section dilation
"""

import numpy as np

from ..tools.tour import SECTIONS, Matrices, tour

NAME = "tour"
HELP = "walk the cheat sheet section by section on small arrays, with live proofs"


def add_arguments(parser):
    """``--section NAME`` (repeatable) and ``--list``."""
    parser.add_argument("--section", action="append", choices=list(SECTIONS), metavar="NAME",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--list", action="store_true", help="list the sections and exit")


def run(args):
    """Print the chosen sections; 1 if any proof fails."""
    if args.list:
        for section in SECTIONS:
            print(section)
        return 0
    failed = total = 0
    for number, name in enumerate(args.section or SECTIONS, start=1):
        if number > 1:
            print()
        try:
            section, = tour([name])
        except Exception as error:   # a crash in the ops is a failed proof, not a bad argument
            failed += 1
            total += 1
            print(f"== [{name}] ==")
            print(f"  [FAIL] the section raised {type(error).__name__}: {error}")
            continue
        total += len(section.proofs)
        print(f"== {section.title} [{section.name}] ==")
        for item in section.body:
            lines = format_matrices(item) if isinstance(item, Matrices) else [item]
            for line in lines:
                print(line)
        for position, where in enumerate(section.read):
            print(("step through it: " if position == 0 else " " * 17) + where)
        for proof in section.proofs:
            mark = "ok  " if proof.passed else "FAIL"
            failed += not proof.passed
            print(f"  [{mark}] {proof.claim} ({proof.detail})")
    print()
    print(f"{total - failed} of {total} live proofs passed")
    return 1 if failed else 0


def _number(value):
    if np.isfinite(value) and value == round(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def format_matrix(array):
    """A 2-D array as right-aligned rows of text (integers without a decimal point).

    >>> format_matrix(np.array([[1., 2.5], [10., 0.]]))
    ['   1  2.5', '  10    0']
    """
    cells = [[_number(v) for v in row] for row in np.atleast_2d(array)]
    width = max(len(cell) for row in cells for cell in row)
    return ["".join(f" {cell:>{width + 1}}" for cell in row) for row in cells]


def format_matrices(matrices):
    """Labelled matrices side by side, labels above, blocks separated by three spaces."""
    blocks = []
    for label, array in matrices.arrays:
        rows = format_matrix(array)
        width = max(len(label), *(len(row) for row in rows))
        blocks.append([f"  {label}".ljust(width + 2)] + [row.ljust(width + 2) for row in rows])
    height = max(len(block) for block in blocks)
    lines = []
    for i in range(height):
        parts = [block[i] if i < len(block) else " " * len(block[0]) for block in blocks]
        lines.append(" ".join(parts).rstrip())
    return lines
