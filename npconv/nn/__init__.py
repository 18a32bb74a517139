"""Layers, losses and initialisation with PyTorch's names, standing on npconv's ops.

``from npconv import nn`` gives PyTorch's API without autograd: each layer's ``forward``
calls a public op (:func:`npconv.conv`, :func:`npconv.max_pool`, ...) and keeps what the
gradient needs; its ``backward(grad_output)`` calls the op's ``*_backward`` and adds the
parameters' gradients into their ``.grad``.  A whole model runs either variant of the ops
with the one keyword that PyTorch's constructors do not have, ``method="loops"`` or
``method="im2col"`` (the default).

Calls follow PyTorch's: ``MaxUnpool2d`` is called with ``(input, indices, output_size=None)``
and ``ConvTranspose2d`` with ``(input, output_size=None)``,
and ``MaxPool*`` and ``AdaptiveMaxPool*`` built with ``return_indices=True`` return
``(output, indices)``; every ``backward`` takes the gradient with respect to the output and
returns the one with respect to ``input`` (see :mod:`npconv.nn.module`).

===================  =====================================================================
module               what it holds
===================  =====================================================================
``module``           :class:`Parameter`, :class:`Module`, :class:`Sequential`
``conv``             ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``
``pooling``          ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``, ``LPPool1d/2d/3d``,
                     ``AdaptiveAvgPool1d/2d/3d``, ``AdaptiveMaxPool1d/2d/3d``,
                     ``MaxUnpool1d/2d/3d``
``fold``             ``Unfold``, ``Fold``
``linear``           ``Linear``
``activation``       ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``
``flatten``          ``Flatten``
``loss``             ``CrossEntropyLoss``, ``MSELoss``
``init``             PyTorch's default initialisation from a NumPy Generator; ``manual_seed``
===================  =====================================================================

Parameters are float32 when built, as in PyTorch; ``model.double()`` makes them float64.
The ``state_dict`` has PyTorch's keys and layouts, so the same architecture in PyTorch
loads it.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> _ = nn.manual_seed(0)
>>> model = nn.Sequential(
...     nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
...     nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
>>> x = np.zeros((2, 1, 8, 8), dtype=np.float32)
>>> logits = model(x)
>>> loss = nn.CrossEntropyLoss()
>>> value = loss(logits, np.array([3, 7]))
>>> grad_input = model.backward(loss.backward())
>>> logits.shape, grad_input.shape, model[0].weight.grad.shape
((2, 10), (2, 1, 8, 8), (4, 1, 3, 3))
>>> list(model.state_dict())
['0.weight', '0.bias', '4.weight', '4.bias']
"""

from . import init
from .activation import LeakyReLU, ReLU, Sigmoid, Tanh
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .flatten import Flatten
from .fold import Fold, Unfold
from .init import manual_seed
from .linear import Linear
from .loss import CrossEntropyLoss, MSELoss
from .module import Module, Parameter, Sequential
from .pooling import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d,
                      AdaptiveMaxPool2d, AdaptiveMaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
                      LPPool1d, LPPool2d, LPPool3d, MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d,
                      MaxUnpool2d, MaxUnpool3d)

__all__ = [
    "Parameter", "Module", "Sequential",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "LPPool1d", "LPPool2d", "LPPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "Unfold", "Fold",
    "Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Flatten",
    "CrossEntropyLoss", "MSELoss",
    "init", "manual_seed",
]
