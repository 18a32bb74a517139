"""The fully connected layer ``Linear``, PyTorch's signature and layout.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> layer = nn.Linear(3, 2)
>>> layer.weight.shape, layer.bias.shape          # (out_features, in_features), (out,)
((2, 3), (2,))
>>> layer(np.zeros((5, 3))).shape
(5, 2)
"""

import numpy as np

from .init import reset_weight_and_bias
from .module import (Module, check_grad_output, check_positive_int, empty_parameter, keep,
                     real_array)

__all__ = ["Linear"]


class Linear(Module):
    """``output = input @ weight.T + bias``, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool, default True

    Attributes
    ----------
    weight : Parameter, shape (out_features, in_features)
    bias : Parameter, shape (out_features,), or None

    Notes
    -----
    Input (*, in_features), any number of leading axes; output (*, out_features).  The
    gradients are ``grad_input = grad_output @ weight``, ``grad_weight = grad_output.T @
    input`` and ``grad_bias = grad_output`` summed over the leading axes.  Parameters:
    ``out_features * in_features + out_features``.

    Examples
    --------
    >>> layer = Linear(2, 1)
    >>> layer.load_state_dict({"weight": [[1., 2.]], "bias": [0.5]})
    >>> layer(np.array([[1., 1.], [0., 1.]]))
    array([[3.5],
           [2.5]])
    >>> layer.backward(np.array([[1.], [1.]]))
    array([[1., 2.],
           [1., 2.]])
    >>> layer.weight.grad, layer.bias.grad
    (array([[1., 2.]], dtype=float32), array([2.], dtype=float32))
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.out_features = check_positive_int("out_features", out_features)
        cause = f"in_features={in_features}, out_features={out_features}"
        self.weight = empty_parameter((out_features, in_features), "the weight", cause)
        self.bias = empty_parameter((out_features,), "the bias", cause) if bias else None
        self.reset_parameters()

    def reset_parameters(self, generator=None):
        """Draw weight and bias from PyTorch's defaults (:mod:`npconv.nn.init`)."""
        reset_weight_and_bias(self.weight.data,
                              None if self.bias is None else self.bias.data, generator)
        return self

    def forward(self, input):
        x = real_array(input, "input")
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}) expects input of "
                             f"shape (*, {self.in_features}), got shape {x.shape}")
        self.input = keep(x)
        output = x @ self.weight.data.T
        if self.bias is not None:
            output = output + self.bias.data
        return output

    def backward(self, grad_output):
        x = self.input
        grad_output = check_grad_output(grad_output, (*x.shape[:-1], self.out_features))
        grad_rows = grad_output.reshape(-1, self.out_features)       # (rows, out)
        input_rows = x.reshape(-1, self.in_features)                 # (rows, in)
        self.weight.accumulate_grad(grad_rows.T @ input_rows)        # (out, in)
        if self.bias is not None:
            self.bias.accumulate_grad(grad_rows.sum(axis=0))
        return grad_output @ self.weight.data                         # (*, in)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
