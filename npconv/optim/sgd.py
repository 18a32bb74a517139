"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay."""

from .optimizer import Optimizer, check_hyperparameter

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule (``torch.optim.SGD``).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate, >= 0.
    momentum : float, default 0
    weight_decay : float, default 0
        L2 penalty: ``weight_decay * p`` is added to the gradient.
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0``.

    Notes
    -----
    For each parameter ``p`` with gradient ``g``, step ``t = 1, 2, ...``:

    - ``g = g + weight_decay * p``
    - with momentum: ``buf = g`` at the first step, then ``buf = momentum * buf + g``; the
      step direction is ``g + momentum * buf`` with Nesterov, else ``buf``
    - ``p = p - lr * direction``

    PyTorch's ``dampening`` is not offered (it is 0 here, its default); its positional
    order differs from PyTorch's for that reason, so pass everything after ``lr`` by name.
    Parameters without a gradient are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from npconv import nn
    >>> p = nn.Parameter([1.0])
    >>> optimizer = SGD([p], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     p.grad = np.array([1.0])
    ...     optimizer.step()
    >>> p.data                       # 1 - 0.1 * 1 - 0.1 * (0.9 * 1 + 1)
    array([0.71])
    """

    def __init__(self, params, lr, momentum=0, weight_decay=0, nesterov=False):
        super().__init__(params, weight_decay)
        self.lr = check_hyperparameter("lr", lr)
        self.momentum = check_hyperparameter("momentum", momentum)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov={nesterov!r} must be True or False")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = nesterov

    def step(self):
        """One update of every parameter that has a gradient."""
        for parameter, state, grad in self.gradients():
            direction = grad
            if self.momentum:
                buffer = state.get("momentum_buffer")
                if buffer is None:                       # first step: buf = g
                    buffer = state["momentum_buffer"] = grad.copy()
                else:                                    # buf = momentum * buf + g
                    buffer *= self.momentum
                    buffer += grad
                direction = grad + self.momentum * buffer if self.nesterov else buffer
            parameter.data -= self.lr * direction
