"""npconv as an oracle for other implementations: cases, comparisons, traps and vectors.

Everything here needs NumPy only; :mod:`npconv.testing.strategies` (hypothesis strategies,
one per op) needs hypothesis, ``pip install hypothesis``, or ``pip install -e ".[testing]"`` in the clone.

- :class:`Case`: one call of an op, applicable to any implementation (``case(my_conv)``),
  printed as a call you can paste, with a ``grad_output`` for the backward;
- :func:`assert_matches`: run npconv and a candidate on a case and, on a mismatch, say
  where, by how much, and which rule of the op decides that cell;
- :func:`edge_cases`: the catalogue of known traps, each with why and a public source;
- :func:`write_vectors` / :func:`read_vectors`: portable golden vectors (``.npz`` files and
  a ``manifest.json``) for implementations that cannot run Python;
- :func:`draw_case`: one valid random case of an op, from a seed.

Layout: :mod:`~npconv.testing.ops` (the table of ops), :mod:`~npconv.testing.builders`
(one builder per op, written against :mod:`~npconv.testing.draw`),
:mod:`~npconv.testing.case`, :mod:`~npconv.testing.compare`, :mod:`~npconv.testing.rules`
(the explanations), :mod:`~npconv.testing.catalogue`, :mod:`~npconv.testing.vectors`.
"""

from .case import Case, Reference, default_tolerance, draw_case
from .catalogue import edge_cases
from .compare import assert_matches
from .ops import OPS
from .vectors import read_vectors, write_vectors

__all__ = ["Case", "Reference", "assert_matches", "draw_case", "default_tolerance", "OPS",
           "edge_cases", "write_vectors", "read_vectors"]
