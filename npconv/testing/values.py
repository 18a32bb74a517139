"""What the arrays of a case hold: a few kinds of values, each made from drawn seeds.

Every maker takes the drawing interface of :mod:`npconv.testing.draw`, a shape and a dtype,
and returns a new array.  A builder's ``values=`` keyword names one of :data:`VALUES`, or is
such a function.

Examples
--------
>>> from npconv.testing.draw import RandomDraw
>>> distinct(RandomDraw(1), (5,))
array([-2. , -1.5, -1. , -2.5, -3. ])
"""

import numpy as np

__all__ = ["normal", "distinct", "ties", "signed_distinct", "positive_distinct", "VALUES",
           "values_maker"]


def normal(draw, shape, dtype=np.float64):
    """Standard-normal values: the default, smooth almost everywhere."""
    return np.random.default_rng(draw.seed()).standard_normal(shape).astype(dtype)


def distinct(draw, shape, dtype=np.float64):
    """A shuffled ``arange`` from -3 in steps of 0.5: every value distinct, 0.5 apart.

    Max pooling is smooth at such a point (no ties, no kinks within ``+-0.25``), so central
    finite differences with a small step give its exact gradient.
    """
    values = np.random.default_rng(draw.seed()).permutation(int(np.prod(shape))) * 0.5 - 3.0
    return values.reshape(shape).astype(dtype)


def ties(draw, shape, dtype=np.float64):
    """Values -1, 0 and 1 (so windows tie), some cells -inf or NaN, or every cell -inf."""
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"values='ties' needs a floating dtype (it holds NaN and -inf), not "
                         f"dtype={np.dtype(dtype).name}")
    seed = draw.seed()
    share_of_neg_inf = draw.sampled_from([0.0, 0.0, 0.3, 1.0])
    share_of_nan = draw.sampled_from([0.0, 0.0, 0.15])
    rng = np.random.default_rng(seed)
    values = rng.integers(-1, 2, size=shape).astype(dtype)
    values[rng.random(shape) < share_of_neg_inf] = -np.inf
    values[rng.random(shape) < share_of_nan] = np.nan
    return values


def signed_distinct(draw, shape, dtype=np.float64):
    """A shuffled ``arange`` from -3.25 in steps of 0.5: signed, distinct, and never 0.

    Even powers of such cells are smooth and no window of them sums to 0, so central finite
    differences give the power average's gradient.
    """
    values = np.random.default_rng(draw.seed()).permutation(int(np.prod(shape))) * 0.5 - 3.25
    return values.reshape(shape).astype(dtype)


def positive_distinct(draw, shape, dtype=np.float64):
    """A shuffled ``arange`` from 0.5 in steps of 0.25: positive, and no two cells alike."""
    values = np.random.default_rng(draw.seed()).permutation(int(np.prod(shape))) * 0.25 + 0.5
    return values.reshape(shape).astype(dtype)


VALUES = {"normal": normal, "distinct": distinct, "ties": ties,
          "signed_distinct": signed_distinct, "positive_distinct": positive_distinct}
"""The value kinds by name."""


def values_maker(values):
    """The maker named ``values`` (a key of :data:`VALUES`), or ``values`` if it is callable."""
    if callable(values):
        return values
    if not isinstance(values, str) or values not in VALUES:
        raise ValueError(f"values={values!r} is not one of {sorted(VALUES)} or a function "
                         f"(draw, shape, dtype) -> array")
    return VALUES[values]
