"""Optimisers with PyTorch's names and update rules: :class:`SGD` and :class:`Adam`.

An optimiser takes ``model.parameters()``; after ``model.backward(...)`` has filled every
``.grad``, ``step()`` updates ``.data`` in place and ``zero_grad()`` clears the gradients
for the next batch.

Examples
--------
>>> import numpy as np
>>> from npconv import nn, optim
>>> model = nn.Linear(2, 1)
>>> model.load_state_dict({"weight": [[0., 0.]], "bias": [0.]})
>>> optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
>>> loss = nn.MSELoss()
>>> for _ in range(50):
...     optimizer.zero_grad()
...     value = loss(model(np.array([[1., 2.]])), np.array([[3.]]))
...     _ = model.backward(loss.backward())
...     optimizer.step()
>>> round(float(model(np.array([[1., 2.]]))[0, 0]), 4)
3.0
"""

from .adam import Adam
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam"]
