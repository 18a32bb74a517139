"""The base class of the optimisers: a list of parameters, ``zero_grad`` and ``step``."""

import numbers

import numpy as np

from ..nn.module import Parameter

__all__ = ["Optimizer"]


class Optimizer:
    """Holds the parameters to update and one state dict per parameter.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``model.parameters()``; consumed once, kept as a list in that order.
    weight_decay : float, default 0
        L2 penalty added to every gradient (see :meth:`gradients`).

    Attributes
    ----------
    params : list of Parameter
    state : list of dict
        ``state[i]`` belongs to ``params[i]`` (momentum buffers, moment estimates, step
        counts), empty until the first step that updates it.
    """

    def __init__(self, params, weight_decay=0):
        self.weight_decay = check_hyperparameter("weight_decay", weight_decay)
        self.params = list(params)
        if not self.params:
            raise ValueError("the optimiser got an empty parameter list")
        for index, parameter in enumerate(self.params):
            if not isinstance(parameter, Parameter):
                raise TypeError(f"params[{index}] is a {type(parameter).__name__}, not an "
                                f"npconv.nn.Parameter (pass model.parameters())")
        self.state = [{} for _ in self.params]

    def gradients(self):
        """``(parameter, state, gradient)`` for every parameter that has a gradient.

        The gradient includes the L2 penalty: ``grad + weight_decay * parameter``, as in
        PyTorch's SGD and Adam (a new array; ``.grad`` is left as it is).
        """
        for parameter, state in zip(self.params, self.state):
            if parameter.grad is None:
                continue
            grad = parameter.grad
            if self.weight_decay:
                grad = grad + self.weight_decay * parameter.data
            yield parameter, state, grad

    def zero_grad(self):
        """Reset every parameter's gradient to ``None`` (PyTorch's default)."""
        for parameter in self.params:
            parameter.grad = None

    def step(self):
        """Update every parameter that has a gradient.  Defined by each optimiser."""
        raise NotImplementedError(f"{type(self).__name__} defines no step")


def check_hyperparameter(name, value, low=0.0, high=None):
    """``value`` as a float with ``low <= value`` (and ``value < high`` when given).

    A real number, Python's or NumPy's; a string such as ``"0.1"`` or a bool is refused
    rather than converted, as PyTorch's optimisers refuse them.
    """
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={value!r} must be a real number, not {type(value).__name__}")
    number = float(value)
    if not number >= low or (high is not None and not number < high):
        bounds = f">= {low:g}" + ("" if high is None else f" and < {high:g}")
        raise ValueError(f"{name}={value!r} must be {bounds}")
    return number
