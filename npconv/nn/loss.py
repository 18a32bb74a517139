"""Losses: ``CrossEntropyLoss`` and ``MSELoss``, averaged over the batch as PyTorch's default.

``loss(prediction, target)`` returns the value as a Python float and keeps what the
gradient needs; ``loss.backward()`` returns the gradient with respect to ``prediction``,
which starts a network's backward: ``model.backward(loss.backward())``.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> loss = nn.CrossEntropyLoss()
>>> round(loss(np.zeros((2, 4)), np.array([0, 3])), 6)     # uniform guess: log(4)
1.386294
>>> loss.backward()
array([[-0.375,  0.125,  0.125,  0.125],
       [ 0.125,  0.125,  0.125, -0.375]])
"""

import numpy as np

from .module import Module, keep, real_array

__all__ = ["CrossEntropyLoss", "MSELoss"]


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits against class indices, as ``torch.nn.CrossEntropyLoss()``.

    ``loss = mean_n( log(sum_c exp(z[n, c])) - z[n, target[n]] )``.

    Only PyTorch's default form: logits ``(N, classes)``, integer targets ``(N,)``, mean over
    the batch (no class weights, no label smoothing, no probabilities as targets).

    Notes
    -----
    Numerically stable: the row's largest logit is subtracted before ``exp``, which changes
    nothing mathematically and keeps ``exp`` from overflowing.  The gradient is
    ``(softmax(z) - one_hot(target)) / N``.

    Examples
    --------
    >>> loss = CrossEntropyLoss()
    >>> loss(np.array([[1000., 0.]]), np.array([0]))          # no overflow
    0.0
    """

    def forward(self, prediction, target):
        logits = real_array(prediction, "prediction")
        target = real_array(target, "target")
        if logits.ndim != 2 or logits.shape[1] == 0:
            raise ValueError(f"CrossEntropyLoss expects logits of shape (N, classes) with "
                             f"classes >= 1, got shape {logits.shape}")
        N, classes = logits.shape
        if target.shape != (N,) or target.dtype.kind not in "iu":
            raise ValueError(f"CrossEntropyLoss expects integer targets of shape ({N},), got "
                             f"shape {target.shape} and dtype {target.dtype}")
        if N and (target.min() < 0 or target.max() >= classes):
            raise ValueError(f"CrossEntropyLoss: targets must lie in [0, {classes}), got values "
                             f"from {target.min()} to {target.max()}")
        shifted = logits - logits.max(axis=1, keepdims=True)          # (N, classes), max 0
        log_sum_exp = np.log(np.exp(shifted).sum(axis=1))             # (N,)
        picked = shifted[np.arange(N), target]                        # (N,)
        self.probabilities = np.exp(shifted - log_sum_exp[:, None])   # softmax, (N, classes)
        self.target = keep(target)
        return float(np.mean(log_sum_exp - picked))

    def backward(self, grad_output=1.0):
        """Gradient of the loss with respect to the logits, times ``grad_output``."""
        N = len(self.target)
        grad = self.probabilities.copy()
        grad[np.arange(N), self.target] -= 1
        return grad * (grad_output / N)


class MSELoss(Module):
    """Mean squared error ``mean((prediction - target) ** 2)``, as ``torch.nn.MSELoss()``.

    The two arrays must have the same shape (PyTorch would broadcast, with a warning).
    The gradient is ``2 * (prediction - target) / prediction.size``.

    Examples
    --------
    >>> loss = MSELoss()
    >>> loss(np.array([1., 2.]), np.array([0., 0.]))
    2.5
    >>> loss.backward()
    array([1., 2.])
    """

    def forward(self, prediction, target):
        prediction = real_array(prediction, "prediction")
        target = real_array(target, "target")
        if prediction.shape != target.shape:
            raise ValueError(f"MSELoss: prediction has shape {prediction.shape} but target has "
                             f"shape {target.shape}; they must be equal")
        self.difference = prediction - target
        return float(np.mean(self.difference ** 2))

    def backward(self, grad_output=1.0):
        """Gradient of the loss with respect to the prediction, times ``grad_output``."""
        return self.difference * (2 * grad_output / self.difference.size)
