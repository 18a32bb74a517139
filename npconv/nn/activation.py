"""Elementwise activations: ``ReLU``, ``LeakyReLU``, ``Sigmoid``, ``Tanh``.

Each keeps what its derivative needs (the input's sign, or the output) and multiplies the
incoming gradient by that derivative in ``backward``.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> relu = nn.ReLU()
>>> relu(np.array([-1., 0., 2.]))
array([0., 0., 2.])
>>> relu.backward(np.array([5., 5., 5.]))           # the slope at 0 is taken as 0
array([0., 0., 5.])
"""

import numpy as np
from scipy.special import expit

from .module import Module, check_grad_output, keep, real_array

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh"]


class ReLU(Module):
    """``max(x, 0)``, as ``torch.nn.ReLU``; its gradient is 1 where ``x > 0``, else 0."""

    def forward(self, input):
        x = real_array(input, "input")
        self.positive = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_output):
        grad = check_grad_output(grad_output, self.positive.shape)
        return grad * self.positive


class LeakyReLU(Module):
    """``x`` where ``x > 0``, else ``negative_slope * x``, as ``torch.nn.LeakyReLU``.

    Examples
    --------
    >>> LeakyReLU(0.1)(np.array([-2., 3.]))
    array([-0.2,  3. ])
    """

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        x = real_array(input, "input")
        self.positive = x > 0
        dtype = x.dtype if x.dtype.kind == "f" else np.float64     # integers count as float64
        return np.where(self.positive, x, self.negative_slope * x).astype(dtype, copy=False)

    def backward(self, grad_output):
        grad = check_grad_output(grad_output, self.positive.shape)
        return np.where(self.positive, grad, self.negative_slope * grad)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, as ``torch.nn.Sigmoid``; gradient ``y * (1 - y)``.

    Computed with :func:`scipy.special.expit`, which does not overflow for large ``|x|``.

    Examples
    --------
    >>> Sigmoid()(np.array([0., 1000., -1000.]))
    array([0.5, 1. , 0. ])
    """

    def forward(self, input):
        output = expit(real_array(input, "input"))
        self.output = keep(output)              # the caller may change the one it receives
        return output

    def backward(self, grad_output):
        y = self.output
        grad = check_grad_output(grad_output, y.shape)
        return grad * y * (1 - y)


class Tanh(Module):
    """``tanh(x)``, as ``torch.nn.Tanh``; gradient ``1 - y**2``."""

    def forward(self, input):
        output = np.tanh(real_array(input, "input"))
        self.output = keep(output)              # the caller may change the one it receives
        return output

    def backward(self, grad_output):
        y = self.output
        grad = check_grad_output(grad_output, y.shape)
        return grad * (1 - y ** 2)
