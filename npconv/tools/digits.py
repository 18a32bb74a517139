"""The handwritten digits that ``npconv train`` learns from, and their fixed split.

The data is scikit-learn's bundled copy of the UCI "Optical Recognition of Handwritten
Digits" test set (:func:`sklearn.datasets.load_digits`): 1,797 grey images of 8x8 pixels
with values 0 to 16, each labelled 0 to 9, shipped inside the package (no download).
scikit-learn is an optional extra (``pip install -e ".[train]"`` in the clone) and is imported only
when the data is loaded.

The split
---------
Fixed once, the same on every machine and for every training seed: within each digit
class, the images are shuffled by ``numpy.random.default_rng(SPLIT_SEED)`` and the first
36 go to the test set, the next 18 to the validation set, the rest to training.  That gives

============  ======  ================================================================
part          images  used for
============  ======  ================================================================
train         1,257   the gradient steps
validation    180     the progress line of each epoch, and choosing the default settings
test          360     the final line only: never for training or choosing anything
============  ======  ================================================================

Pixels are scaled to [0, 1] (divided by 16) and shaped ``(N, 1, 8, 8)``, one channel, as
the convolutions expect.

Examples
--------
>>> split = load_split()
>>> {name: part.images.shape for name, part in split.items()}
{'train': (1257, 1, 8, 8), 'validation': (180, 1, 8, 8), 'test': (360, 1, 8, 8)}
>>> [int(count) for count in np.bincount(split["test"].labels)]
[36, 36, 36, 36, 36, 36, 36, 36, 36, 36]
"""

from typing import NamedTuple

import numpy as np

__all__ = ["SPLIT_SEED", "TEST_PER_CLASS", "VALIDATION_PER_CLASS", "Digits", "load_digits",
           "split_indices", "load_split"]

SPLIT_SEED = 20_240_611
"""Seeds the shuffle that makes the split; fixed, and independent of the training seed."""
TEST_PER_CLASS = 36
VALIDATION_PER_CLASS = 18


class Digits(NamedTuple):
    """Images and their labels."""

    images: np.ndarray
    """float32, shape (N, 1, 8, 8), values in [0, 1]."""
    labels: np.ndarray
    """int64, shape (N,), values 0 to 9."""


def load_digits(dtype=np.float32):
    """All 1,797 digits as :class:`Digits`, pixels scaled to [0, 1].

    Raises
    ------
    ImportError
        If scikit-learn is not installed; the message says how to install it.
    """
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as error:
        raise ImportError('the digits come with scikit-learn: pip install scikit-learn, or in the '
                          'clone pip install -e ".[train]"'
                          ) from error
    bunch = sklearn_load_digits()
    images = (bunch.images / 16.0).astype(dtype)[:, np.newaxis]      # (1797, 1, 8, 8)
    return Digits(images, bunch.target.astype(np.int64))


def split_indices(labels, seed=SPLIT_SEED, test_per_class=TEST_PER_CLASS,
                  validation_per_class=VALIDATION_PER_CLASS):
    """Indices of the train, validation and test parts, stratified by class.

    Returns a dict ``{"train": ..., "validation": ..., "test": ...}`` of sorted int arrays
    that together hold every index once.

    Examples
    --------
    >>> labels = np.array([0, 0, 0, 1, 1, 1])
    >>> split_indices(labels, seed=0, test_per_class=1, validation_per_class=1)
    {'train': array([1, 3]), 'validation': array([0, 4]), 'test': array([2, 5])}
    """
    rng = np.random.default_rng(seed)
    parts = {"train": [], "validation": [], "test": []}
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) <= test_per_class + validation_per_class:
            raise ValueError(f"class {label} has {len(members)} images, too few for "
                             f"{test_per_class} test and {validation_per_class} validation")
        parts["test"].append(members[:test_per_class])
        parts["validation"].append(members[test_per_class:test_per_class + validation_per_class])
        parts["train"].append(members[test_per_class + validation_per_class:])
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


def load_split(dtype=np.float32):
    """The digits split as documented above: ``{"train", "validation", "test"}`` -> Digits."""
    digits = load_digits(dtype)
    return {name: Digits(digits.images[indices], digits.labels[indices])
            for name, indices in split_indices(digits.labels).items()}
