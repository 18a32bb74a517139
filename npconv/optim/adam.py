"""Adam: adaptive moment estimation (Kingma and Ba, 2015), PyTorch's update rule."""

import math

import numpy as np

from .optimizer import Optimizer, check_hyperparameter

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (without ``amsgrad``).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator.
    weight_decay : float, default 0
        L2 penalty added to the gradient (not AdamW's decoupled decay).

    Notes
    -----
    For each parameter ``p`` with gradient ``g``, at its step ``t = 1, 2, ...``:

    - ``g = g + weight_decay * p``
    - ``m = beta1 * m + (1 - beta1) * g`` and ``v = beta2 * v + (1 - beta2) * g**2``
      (both start at zero)
    - ``p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``

    Examples
    --------
    >>> from npconv import nn
    >>> p = nn.Parameter([1.0, -1.0])
    >>> optimizer = Adam([p], lr=0.1)
    >>> p.grad = np.array([3.0, -0.5])
    >>> optimizer.step()            # the first step moves each entry by about lr
    >>> np.round(p.data, 6)
    array([ 0.9, -0.9])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        super().__init__(params, weight_decay)
        self.lr = check_hyperparameter("lr", lr)
        if not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas={betas!r} must be a pair (beta1, beta2), a tuple or list")
        if len(betas) != 2:
            raise ValueError(f"betas={betas!r} must be a pair (beta1, beta2)")
        self.betas = (check_hyperparameter("betas[0]", betas[0], high=1.0),
                      check_hyperparameter("betas[1]", betas[1], high=1.0))
        self.eps = check_hyperparameter("eps", eps)

    def step(self):
        """One update of every parameter that has a gradient."""
        beta1, beta2 = self.betas
        for parameter, state, grad in self.gradients():
            if not state:
                state["step"] = 0
                state["exp_avg"] = np.zeros_like(parameter.data)       # m
                state["exp_avg_sq"] = np.zeros_like(parameter.data)    # v
            state["step"] += 1
            t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            step_size = self.lr / (1 - beta1 ** t)
            denominator = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + self.eps
            parameter.data -= step_size * m / denominator
