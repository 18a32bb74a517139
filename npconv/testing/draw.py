"""The drawing interface the case builders are written against, and its NumPy backend.

A case builder (:mod:`npconv.testing.builders`) makes every random choice through four
methods of a ``draw`` object:

``draw.integers(low, high)``
    An int from ``low`` to ``high``, both included.
``draw.sampled_from(options)``
    One of a non-empty sequence.
``draw.booleans()``
    ``True`` or ``False``.
``draw.seed()``
    An int from 0 to ``2**32 - 1``, from which the builder makes an array with NumPy.

Two objects provide them: :class:`RandomDraw` here, over a seeded
``numpy.random.Generator`` (reproducible, no hypothesis needed: the vectors sweep uses it),
and the hypothesis backend in :mod:`npconv.testing.strategies`, over hypothesis's ``draw``
(whose choices shrink to small, readable counterexamples).  One builder, two sources of
randomness: a case drawn either way is valid by the same construction.

Arrays come from a drawn seed rather than cell by cell: drawing one seed is fast, and a
shrunk counterexample still prints every value (:class:`npconv.testing.Case` writes the
arrays out).

Examples
--------
>>> draw = RandomDraw(0)
>>> draw.integers(1, 3), draw.sampled_from(["zeros", "reflect"]), draw.booleans()
(3, 'reflect', True)
"""

import numpy as np

__all__ = ["RandomDraw", "SEED_HIGH"]

SEED_HIGH = 2 ** 32 - 1
"""The largest array seed a draw returns."""


class RandomDraw:
    """The drawing interface over a seeded ``numpy.random.Generator``.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        A seed for ``numpy.random.default_rng``, or a generator to draw from.
    """

    def __init__(self, seed):
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def integers(self, low, high):
        """An int from ``low`` to ``high``, both included."""
        return int(self.rng.integers(low, high, endpoint=True))

    def sampled_from(self, options):
        """One element of the sequence ``options``."""
        options = list(options)
        return options[int(self.rng.integers(len(options)))]

    def booleans(self):
        """``True`` or ``False``, each half the time."""
        return bool(self.rng.integers(2))

    def seed(self):
        """A seed for an array: an int from 0 to :data:`SEED_HIGH`."""
        return self.integers(0, SEED_HIGH)
