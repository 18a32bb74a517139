"""Initialisation: PyTorch's default distributions, drawn from a NumPy ``Generator``.

Every ``Conv*``, ``ConvTranspose*`` and ``Linear`` layer starts as PyTorch's does:

- weight ~ Uniform(-bound, bound) with ``bound = gain * sqrt(3 / fan_in)``, the
  "Kaiming uniform" rule with ``a = sqrt(5)``, i.e. ``gain = sqrt(2 / (1 + a**2)) =
  sqrt(1/3)``, which makes ``bound = 1 / sqrt(fan_in)``;
- bias ~ Uniform(-1 / sqrt(fan_in), 1 / sqrt(fan_in)).

``fan_in`` is computed from the weight's shape as PyTorch computes it: ``weight.shape[1]``
times the kernel's cells.  For a convolution that is ``C_in / groups * prod(kernel_size)``;
for a transposed convolution, whose weight is ``(C_in, C_out / groups, *kernel_size)``, it is
``C_out / groups * prod(kernel_size)``; for ``Linear`` it is ``in_features``.

Where the random numbers come from
----------------------------------
One generator, visible here and nowhere else hidden: :func:`default_generator` returns it,
:func:`manual_seed` replaces it with ``numpy.random.default_rng(seed)`` (as
``torch.manual_seed`` does for PyTorch).  Layers draw from it when constructed, so

>>> from npconv import nn
>>> _ = nn.manual_seed(0)
>>> a = nn.Linear(3, 2)
>>> _ = nn.manual_seed(0)
>>> b = nn.Linear(3, 2)
>>> bool((a.weight.data == b.weight.data).all())
True

To pass a generator explicitly instead, redraw a built network from it: every layer's
``reset_parameters(generator)`` draws its weight and then its bias, in registration order.

>>> import numpy as np
>>> model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
>>> first = model.reset_parameters(np.random.default_rng(7)).state_dict()
>>> again = model.reset_parameters(np.random.default_rng(7)).state_dict()
>>> all((first[key] == again[key]).all() for key in first)
True

The numbers differ from PyTorch's for the same seed (another generator); the
distributions are the same.  Until :func:`manual_seed` is called the generator is seeded
from the operating system, like ``numpy.random.default_rng()``.
"""

import math

import numpy as np

__all__ = ["manual_seed", "default_generator", "fan_in", "kaiming_uniform_", "uniform_",
           "reset_weight_and_bias"]

_generator = np.random.default_rng()


def manual_seed(seed):
    """Replace the default generator by ``numpy.random.default_rng(seed)``; return it.

    Examples
    --------
    >>> manual_seed(0).integers(10, size=3)
    array([8, 6, 5])
    """
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator():
    """The generator that layers draw from when none is given (see :func:`manual_seed`)."""
    return _generator


def fan_in(weight_shape):
    """The fan-in of a weight of shape ``(fan_out_ish, fan_in_ish, *kernel_size)``.

    ``weight_shape[1] * prod(weight_shape[2:])``, as PyTorch counts it.

    Examples
    --------
    >>> fan_in((16, 3, 5, 5))       # Conv2d(3, 16, 5): 3 channels x 25 taps
    75
    >>> fan_in((10, 128))           # Linear(128, 10)
    128
    """
    if len(weight_shape) < 2:
        raise ValueError(f"fan_in needs a weight of at least 2 dimensions, got shape "
                         f"{tuple(weight_shape)}")
    return int(weight_shape[1] * math.prod(weight_shape[2:]))


def uniform_(array, low, high, generator=None):
    """Fill ``array`` in place with Uniform(low, high) numbers; return it."""
    generator = default_generator() if generator is None else generator
    array[...] = generator.uniform(low, high, size=array.shape)
    return array


def kaiming_uniform_(array, a=0.0, generator=None):
    """Fill a weight in place from Kaiming He's uniform distribution for leaky ReLU slope ``a``.

    ``bound = sqrt(2 / (1 + a**2)) * sqrt(3 / fan_in)``; PyTorch's layers use ``a = sqrt(5)``.

    Examples
    --------
    >>> w = kaiming_uniform_(np.empty((4, 9)), a=math.sqrt(5), generator=np.random.default_rng(0))
    >>> bool(np.abs(w).max() <= 1 / 3)         # fan_in 9: bound 1 / sqrt(9)
    True
    """
    gain = math.sqrt(2.0 / (1 + a ** 2))
    bound = gain * math.sqrt(3.0 / fan_in(array.shape))
    return uniform_(array, -bound, bound, generator)


def reset_weight_and_bias(weight, bias=None, generator=None):
    """PyTorch's default initialisation of a layer's weight and bias arrays, in place.

    The weight from :func:`kaiming_uniform_` with ``a = sqrt(5)``, then the bias from
    Uniform(-1 / sqrt(fan_in), 1 / sqrt(fan_in)), both from the same generator.  Used by
    ``Conv*``, ``ConvTranspose*`` and ``Linear``.
    """
    generator = default_generator() if generator is None else generator
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:
        bound = 1 / math.sqrt(fan_in(weight.shape))
        uniform_(bias, -bound, bound, generator)
