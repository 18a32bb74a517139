"""``Flatten``: join axes ``start_dim`` to ``end_dim`` into one, as ``torch.nn.Flatten``.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> nn.Flatten()(np.zeros((2, 3, 4, 5))).shape
(2, 60)
>>> nn.Flatten(0, 1)(np.zeros((2, 3, 4))).shape
(6, 4)
"""

import math

from .module import Module, check_grad_output, real_array

__all__ = ["Flatten"]


class Flatten(Module):
    """Reshape ``(N, C, H, W)`` to ``(N, C*H*W)`` (by default); backward reshapes back.

    Parameters
    ----------
    start_dim : int, default 1
    end_dim : int, default -1
        First and last axis joined (negative counts from the end, as in PyTorch).
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        x = real_array(input, "input")
        start, end = (_axis(dim, x.ndim, name) for dim, name in
                      ((self.start_dim, "start_dim"), (self.end_dim, "end_dim")))
        if start > end:
            raise ValueError(f"Flatten: start_dim={self.start_dim} comes after "
                             f"end_dim={self.end_dim} for an input of {x.ndim} dimensions")
        joined = math.prod(x.shape[start:end + 1])
        self.input_shape = x.shape                       # once the call is accepted
        self.output_shape = (*x.shape[:start], joined, *x.shape[end + 1:])
        return x.reshape(self.output_shape)

    def backward(self, grad_output):
        grad = check_grad_output(grad_output, self.output_shape)
        return grad.reshape(self.input_shape)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


def _axis(dim, ndim, name):
    """``dim`` as an axis in ``range(ndim)``; negative counts from the end."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"Flatten: {name}={dim} is out of range for an input of {ndim} "
                         f"dimensions")
    return dim % max(ndim, 1)
