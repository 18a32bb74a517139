"""SGD and Adam against their update rules, written out here step by step.

The reference loops below are the textbook formulas (Sutskever et al. for momentum, the
Nesterov form PyTorch uses, Kingma and Ba for Adam with its bias corrections), not the
optimisers' code.
"""

import math

import numpy as np
import pytest

from npconv import nn, optim

STEPS = 6


def gradients(seed, shape=(3, 2), steps=STEPS):
    """A fixed sequence of gradients, one per step."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for _ in range(steps)]


def run(optimizer_class, start, grads, **settings):
    """Apply ``optimizer_class`` to one parameter with the given gradients; the values seen."""
    parameter = nn.Parameter(start.copy())
    optimizer = optimizer_class([parameter], **settings)
    values = []
    for grad in grads:
        optimizer.zero_grad()
        parameter.grad = grad.copy()
        optimizer.step()
        values.append(parameter.data.copy())
    return values


@pytest.mark.parametrize("momentum, nesterov, weight_decay", [
    (0.0, False, 0.0),
    (0.9, False, 0.0),
    (0.9, True, 0.0),
    (0.0, False, 0.1),
    (0.5, True, 0.01),
    (0.8, False, 0.05),
])
def test_sgd_follows_the_momentum_formulas(momentum, nesterov, weight_decay):
    start = np.random.default_rng(0).standard_normal((3, 2))
    grads = gradients(1)
    lr = 0.1
    got = run(optim.SGD, start, grads, lr=lr, momentum=momentum, weight_decay=weight_decay,
              nesterov=nesterov)
    p, velocity = start.copy(), None
    for step, grad in enumerate(grads):
        d = grad + weight_decay * p                        # L2 penalty in the gradient
        if momentum:
            velocity = d if velocity is None else momentum * velocity + d
            d = d + momentum * velocity if nesterov else velocity
        p = p - lr * d
        np.testing.assert_allclose(got[step], p, rtol=1e-13, atol=1e-15)


def test_sgd_momentum_by_hand_on_a_scalar():
    # g = 1 every step, lr 0.1, momentum 0.9: v = 1, 1.9, 2.71; p = 1 - 0.1 * (1 + 1.9 + 2.71)
    values = run(optim.SGD, np.array([1.0]), [np.array([1.0])] * 3, lr=0.1, momentum=0.9)
    assert values[-1][0] == pytest.approx(1 - 0.1 * (1 + 1.9 + 2.71), rel=1e-14)


@pytest.mark.parametrize("lr, betas, eps, weight_decay", [
    (1e-3, (0.9, 0.999), 1e-8, 0.0),
    (0.05, (0.8, 0.99), 1e-6, 0.0),
    (0.01, (0.9, 0.999), 1e-8, 0.1),
    (0.1, (0.0, 0.5), 1e-3, 0.0),
])
def test_adam_follows_kingma_and_bas_update(lr, betas, eps, weight_decay):
    start = np.random.default_rng(2).standard_normal((3, 2))
    grads = gradients(3)
    got = run(optim.Adam, start, grads, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    beta1, beta2 = betas
    p, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for t, grad in enumerate(grads, start=1):
        g = grad + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        v_hat = v / (1 - beta2 ** t)
        # PyTorch adds eps to sqrt(v) / sqrt(1 - beta2**t), which is sqrt(v_hat)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(got[t - 1], p, rtol=1e-12, atol=1e-15)


def test_adams_first_step_moves_each_entry_by_lr():
    # m_hat = g and v_hat = g**2 at step 1, so the step is lr * g / (|g| + eps)
    values = run(optim.Adam, np.zeros(3), [np.array([3.0, -0.5, 1e-3])], lr=0.01, eps=0.0)
    np.testing.assert_allclose(values[0], [-0.01, 0.01, -0.01], rtol=1e-14)


def test_parameters_without_a_gradient_are_left_alone():
    moving, resting = nn.Parameter(np.ones(2)), nn.Parameter(np.ones(2))
    for optimizer in (optim.SGD([moving, resting], lr=0.1, momentum=0.9),
                      optim.Adam([moving, resting])):
        moving.grad, resting.grad = np.ones(2), None
        optimizer.step()
        np.testing.assert_array_equal(resting.data, np.ones(2))
        assert not np.array_equal(moving.data, np.ones(2))
        assert optimizer.state[1] == {}


def test_zero_grad_clears_every_gradient_and_steps_update_in_place():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    arrays = [p.data for p in model.parameters()]
    model.backward(np.ones_like(model(np.ones((4, 2), dtype=np.float32))))
    optimizer.step()
    assert all(p.data is array for p, array in zip(model.parameters(), arrays))
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_float32_parameters_stay_float32():
    parameter = nn.Parameter(np.ones(2, dtype=np.float32))
    for optimizer in (optim.SGD([parameter], lr=0.1, momentum=0.9), optim.Adam([parameter])):
        parameter.grad = np.ones(2, dtype=np.float32)
        optimizer.step()
        assert parameter.data.dtype == np.float32


def test_training_a_line_fit_converges():
    # least squares y = 2 x - 1 by SGD with Nesterov momentum: the exact answer is known
    x = np.linspace(-1, 1, 20).reshape(-1, 1)
    y = 2 * x - 1
    model = nn.Linear(1, 1).double()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    loss = nn.MSELoss()
    for _ in range(200):
        optimizer.zero_grad()
        loss(model(x), y)
        model.backward(loss.backward())
        optimizer.step()
    assert model.weight.data[0, 0] == pytest.approx(2, abs=1e-6)
    assert model.bias.data[0] == pytest.approx(-1, abs=1e-6)


@pytest.mark.parametrize("build, error, message", [
    (lambda p: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda p: optim.SGD([np.zeros(2)], lr=0.1), TypeError, "not an npconv.nn.Parameter"),
    (lambda p: optim.SGD(p, lr=-1), ValueError, "lr=-1 must be >= 0"),
    (lambda p: optim.SGD(p, lr="fast"), TypeError, "lr='fast' must be a real number"),
    # a string that reads as a number, or a bool, is the wrong kind too, as in PyTorch
    (lambda p: optim.SGD(p, lr="0.1"), TypeError, "lr='0.1' must be a real number, not str"),
    (lambda p: optim.Adam(p, betas=(b"0.9", 0.5)), TypeError, r"betas\[0\]=b'0.9' must be"),
    (lambda p: optim.Adam(p, betas=(False, 0.5)), TypeError, r"betas\[0\]=False .*not bool"),
    (lambda p: optim.Adam(p, eps=np.bool_(True)), TypeError, "eps=.*must be a real number"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov=True needs momentum"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=1), TypeError, "True or False"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=-0.1), ValueError, "weight_decay=-0.1"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\]=1.0 must be >= 0 and < 1"),
    (lambda p: optim.Adam(p, betas=0.9), TypeError, "betas=0.9 must be a pair"),
    (lambda p: optim.Adam(p, betas=(0.9,)), ValueError, r"betas=\(0.9,\) must be a pair"),
    (lambda p: optim.Adam(p, eps=math.nan), ValueError, "eps=nan"),
])
def test_bad_settings_are_refused(build, error, message):
    with pytest.raises(error, match=message):
        build([nn.Parameter(np.zeros(2))])
