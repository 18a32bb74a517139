"""The layers of npconv.nn: gradients, wiring to the ops, state_dict, initialisation, errors.

Expected values come from central finite differences, from the public ops called directly,
from formulas written out here (fan-in, softmax, the derivatives), never from the layer
code under test.
"""

import inspect
import math

import numpy as np
import pytest
from scipy.special import expit, logsumexp

import npconv
from npconv import nn
from npconv.tools.gradcheck import numerical_gradient as central_difference


class Reshape(nn.Module):
    """A test-only layer that reshapes each sample, so one network can go 3-D -> 2-D -> 1-D."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, input):
        self.input_shape = input.shape
        return input.reshape(input.shape[0], *self.shape)

    def backward(self, grad_output):
        return grad_output.reshape(self.input_shape)


class PoolThenUnpool(nn.Module):
    """A test-only layer: max pooling with its indices, then max unpooling back to the input's
    size, the way a module passes indices from one layer to the next."""

    def __init__(self, spatial_dims, method):
        super().__init__()
        self.pool = getattr(nn, f"MaxPool{spatial_dims}d")(2, return_indices=True,
                                                           method=method)
        self.unpool = getattr(nn, f"MaxUnpool{spatial_dims}d")(2, method=method)

    def forward(self, input):
        output, indices = self.pool(input)
        return self.unpool(output, indices, output_size=input.shape[2:])

    def backward(self, grad_output):
        return self.pool.backward(self.unpool.backward(grad_output))


def every_layer_network(method="im2col"):
    """A float64 network with every layer type of npconv.nn, in 3-D, then 2-D, then 1-D."""
    m = {"method": method}
    return nn.Sequential(
        # 3-D: (2, 1, 4, 4, 4)
        nn.Conv3d(1, 2, 2, padding=1, **m),                          # (2, 2, 5, 5, 5)
        nn.LeakyReLU(0.1),
        nn.MaxPool3d(2, stride=1, **m),                              # (2, 2, 4, 4, 4)
        PoolThenUnpool(3, method),                                   # (2, 2, 4, 4, 4)
        nn.AvgPool3d(2, **m),                                        # (2, 2, 2, 2, 2)
        nn.ConvTranspose3d(2, 1, 2, stride=2, **m),                  # (2, 1, 4, 4, 4)
        nn.Tanh(),
        nn.LPPool3d(2, 2, stride=1, **m),                            # (2, 1, 3, 3, 3)
        nn.AdaptiveMaxPool3d((3, 2, 3), **m),                        # (2, 1, 3, 2, 3)
        nn.AdaptiveAvgPool3d(4, **m),                                # (2, 1, 4, 4, 4)
        Reshape(4, 4, 4),
        # 2-D: (2, 4, 4, 4)
        nn.Conv2d(4, 2, 3, padding=1, groups=2, padding_mode="circular", **m),  # (2, 2, 4, 4)
        nn.ReLU(),
        nn.MaxPool2d(2, stride=1, **m),                              # (2, 2, 3, 3)
        nn.ConvTranspose2d(2, 2, 2, dilation=1, **m),                # (2, 2, 4, 4)
        PoolThenUnpool(2, method),                                   # (2, 2, 4, 4)
        nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False, **m),  # (2, 2, 4, 4)
        nn.Sigmoid(),
        nn.Unfold(3, padding=1, **m),                                # (2, 2 * 9, 4 * 4)
        nn.Fold(6, 3, **m),                                          # (2, 2, 6, 6)
        nn.LPPool2d(3, 2, **m),                                      # (2, 2, 3, 3)
        nn.AdaptiveMaxPool2d((3, 2), **m),                           # (2, 2, 3, 2)
        nn.AdaptiveAvgPool2d(4, **m),                                # (2, 2, 4, 4)
        Reshape(8, 4),
        # 1-D: (2, 8, 4)
        nn.Conv1d(8, 2, 2, padding=1, dilation=2, **m),              # (2, 2, 4)
        nn.MaxPool1d(2, stride=1, **m),                              # (2, 2, 3)
        nn.ConvTranspose1d(2, 2, 2, stride=2, padding=1, output_padding=1, **m),  # (2, 2, 5)
        nn.LPPool1d(2, 2, stride=1, **m),                            # (2, 2, 4)
        PoolThenUnpool(1, method),                                   # (2, 2, 4)
        nn.AdaptiveMaxPool1d(3, **m),                                # (2, 2, 3)
        nn.AdaptiveAvgPool1d(4, **m),                                # (2, 2, 4)
        nn.AvgPool1d(2, **m),                                        # (2, 2, 2)
        nn.Flatten(),                                                # (2, 4)
        nn.Linear(4, 3),                                             # (2, 3)
    )


def relative_error(analytic, numeric):
    scale = max(np.abs(analytic).max(), np.abs(numeric).max(), 1e-3)
    return float(np.abs(analytic - numeric).max() / scale)


def directional_difference(loss, arrays, directions, eps=1e-6):
    """d/dt loss(arrays + t * directions) at t = 0, by central differences."""
    def shifted(t):
        saved = [array.copy() for array in arrays]
        for array, direction in zip(arrays, directions):
            array += t * direction
        value = loss()
        for array, original in zip(arrays, saved):
            array[...] = original
        return value
    return (shifted(eps) - shifted(-eps)) / (2 * eps)


def test_whole_network_gradients_match_central_differences():
    """Cross-entropy on a network of every layer type: each parameter cell by central
    differences, the input along random directions."""
    rng = np.random.default_rng(1)
    model = every_layer_network().reset_parameters(rng).double()
    x = rng.standard_normal((2, 1, 4, 4, 4))
    loss, target = nn.CrossEntropyLoss(), np.array([2, 0])

    def loss_value():
        return loss(model(x), target)

    loss_value()
    model.zero_grad()
    grad_input = model.backward(loss.backward())
    for _ in range(3):
        direction = rng.standard_normal(x.shape)
        numeric = directional_difference(loss_value, [x], [direction])
        assert float(np.sum(grad_input * direction)) == pytest.approx(numeric, rel=1e-6)
    checked = 0
    for name, parameter in model.named_parameters():
        numeric = central_difference(loss_value, parameter.data)
        assert relative_error(parameter.grad, numeric) < 1e-6, name
        checked += 1
    layer_types = {type(layer).__name__ for layer in model.modules()}
    assert checked == 2 * 7                       # 6 convolutions and a Linear, weight + bias
    assert {f"{kind}{d}d" for kind in ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "LPPool",
                                       "AdaptiveAvgPool", "AdaptiveMaxPool", "MaxUnpool")
            for d in (1, 2, 3)} <= layer_types
    assert {"ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Flatten", "Linear", "Unfold",
            "Fold"} <= layer_types


def test_whole_network_gradients_under_mse_along_random_directions():
    rng = np.random.default_rng(13)
    model = every_layer_network().reset_parameters(rng).double()
    x = rng.standard_normal((2, 1, 4, 4, 4))
    loss, target = nn.MSELoss(), rng.standard_normal((2, 3))

    def loss_value():
        return loss(model(x), target)

    loss_value()
    model.zero_grad()
    grad_input = model.backward(loss.backward())
    arrays = [x] + [parameter.data for parameter in model.parameters()]
    grads = [grad_input] + [parameter.grad for parameter in model.parameters()]
    for _ in range(4):
        directions = [rng.standard_normal(array.shape) for array in arrays]
        analytic = sum(float(np.sum(g * d)) for g, d in zip(grads, directions))
        numeric = directional_difference(loss_value, arrays, directions)
        assert analytic == pytest.approx(numeric, rel=1e-6)


def test_whole_network_runs_the_loops_with_the_same_numbers():
    rng = np.random.default_rng(2)
    fast = every_layer_network("im2col").reset_parameters(rng).double()
    slow = every_layer_network("loops").double()
    slow.load_state_dict(fast.state_dict())
    x = rng.standard_normal((2, 1, 4, 4, 4))
    np.testing.assert_allclose(slow(x), fast(x), rtol=1e-12, atol=1e-12)
    grad = rng.standard_normal((2, 3))
    np.testing.assert_allclose(slow.backward(grad), fast.backward(grad), rtol=1e-10,
                               atol=1e-12)
    for (name, p_slow), (_, p_fast) in zip(slow.named_parameters(), fast.named_parameters()):
        np.testing.assert_allclose(p_slow.grad, p_fast.grad, rtol=1e-10, atol=1e-12,
                                   err_msg=name)


# --------------------------------------------------------------------------------------------
# Each layer is its op: forward equals the op, backward equals the op's *_backward
# --------------------------------------------------------------------------------------------

CONV_LAYERS = [
    (nn.Conv1d, dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=2,
                     dilation=2, groups=2, padding_mode="reflect"), (2, 4, 9)),
    (nn.Conv2d, dict(in_channels=2, out_channels=4, kernel_size=(3, 2), stride=(2, 1),
                     padding=((1, 0), (0, 1)), dilation=(1, 2)), (2, 2, 7, 6)),
    (nn.Conv2d, dict(in_channels=3, out_channels=3, kernel_size=3, padding="same",
                     groups=3, bias=False, padding_mode="replicate"), (1, 3, 5, 5)),
    (nn.Conv3d, dict(in_channels=2, out_channels=2, kernel_size=2, stride=2, padding=1),
     (1, 2, 4, 3, 5)),
]
TRANSPOSED_LAYERS = [
    (nn.ConvTranspose1d, dict(in_channels=4, out_channels=2, kernel_size=3, stride=2,
                              padding=1, output_padding=1, groups=2), (2, 4, 5)),
    (nn.ConvTranspose2d, dict(in_channels=2, out_channels=3, kernel_size=(2, 3), stride=2,
                              dilation=(2, 1), output_padding=(1, 0)), (2, 2, 3, 4)),
    (nn.ConvTranspose3d, dict(in_channels=1, out_channels=2, kernel_size=2, stride=(1, 2, 2),
                              padding=1, bias=False), (1, 1, 3, 3, 3)),
]


LAYER_ONLY_ARGUMENTS = ("in_channels", "out_channels", "kernel_size", "bias")


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("layer_class, arguments, input_shape",
                         CONV_LAYERS + TRANSPOSED_LAYERS)
def test_convolution_layer_is_its_op(layer_class, arguments, input_shape, method):
    rng = np.random.default_rng(3)
    layer = layer_class(**arguments, method=method).reset_parameters(rng).double()
    x = rng.standard_normal(input_shape)
    if layer_class.__name__.startswith("ConvTranspose"):
        op, op_backward = npconv.conv_transpose, npconv.conv_transpose_backward
    else:
        op, op_backward = npconv.conv, npconv.conv_backward
    op_args = {name: value for name, value in arguments.items()
               if name not in LAYER_ONLY_ARGUMENTS}
    bias = None if layer.bias is None else layer.bias.data
    out = layer(x)
    np.testing.assert_array_equal(out, op(x, layer.weight.data, bias, **op_args,
                                          method=method))
    grad_output = rng.standard_normal(out.shape)
    grad_input = layer.backward(grad_output)
    expected = op_backward(grad_output, x, layer.weight.data, **op_args, method=method)
    np.testing.assert_array_equal(grad_input, expected.grad_input)
    np.testing.assert_array_equal(layer.weight.grad, expected.grad_weight)
    if layer.bias is not None:
        np.testing.assert_array_equal(layer.bias.grad, expected.grad_bias)


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("output_size", [(7, 9), (1, 3, 7, 9)])
def test_transposed_layer_output_size_sets_its_output_padding_aside(output_size, method):
    # Input 4x5, kernel 3, stride 2, padding 1: (in - 1) * 2 - 2 + 3 = 7 and 9 with
    # output_padding 0, one more with 1.  The layer's output_padding=1 asks for 8x10; given
    # output_size=(7, 9) PyTorch's forward reaches it with output_padding 0 and sets the
    # layer's aside (torch 2.13 gives (1, 3, 7, 9) for both forms).
    rng = np.random.default_rng(11)
    layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1,
                               method=method).reset_parameters(rng).double()
    x = rng.standard_normal((1, 2, 4, 5))
    assert layer(x).shape == (1, 3, 8, 10)
    out = layer(x, output_size=output_size)
    assert out.shape == (1, 3, 7, 9)
    op_args = dict(stride=2, padding=1, output_padding=0, method=method)
    np.testing.assert_array_equal(
        out, npconv.conv_transpose(x, layer.weight.data, layer.bias.data, **op_args))
    grad_output = rng.standard_normal(out.shape)
    expected = npconv.conv_transpose_backward(grad_output, x, layer.weight.data, **op_args)
    np.testing.assert_array_equal(layer.backward(grad_output), expected.grad_input)
    np.testing.assert_array_equal(layer.weight.grad, expected.grad_weight)
    # the next call without output_size is back to the layer's own output_padding
    assert layer(x).shape == (1, 3, 8, 10)
    assert layer.backward(np.ones((1, 3, 8, 10))).shape == x.shape


def test_transposed_and_unpooling_layers_keep_what_the_accepted_call_asked_for():
    # A list changed after the call, or a later call that the op refuses, leaves the
    # backward of the accepted call as it was: stride 2 from length 4 reaches 7 (with
    # padding 1) and the gradient has the output's length.
    layer = nn.ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1)
    x, size = np.ones((1, 1, 4)), [7]
    out = layer(x, output_size=size)
    size[0] = 8
    with pytest.raises(ValueError, match=r"output_size=\[99\]"):
        layer(x, output_size=[99])
    assert out.shape == (1, 1, 7)
    assert layer.backward(np.ones(out.shape)).shape == x.shape

    pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
    pooled, indices = pool(np.arange(5.)[None, None])           # windows [0, 1], [2, 3]
    size = [5]
    unpool(pooled, indices, output_size=size)
    size[0], indices[...] = 4, 0
    np.testing.assert_array_equal(unpool.backward(np.arange(5.)[None, None]),
                                  [[[1., 3.]]])                 # read at the winners 1 and 3


def test_transposed_layer_refuses_an_output_size_out_of_reach():
    layer = nn.ConvTranspose1d(1, 1, 3, stride=2)     # length 4 -> 9 or 10
    with pytest.raises(ValueError, match=r"output_size=\(11,\).*from 9 to 10"):
        layer(np.zeros((1, 1, 4)), output_size=(11,))


def test_transposed_layer_forward_takes_pytorchs_arguments():
    parameters = inspect.signature(nn.ConvTranspose3d(1, 1, 1).forward).parameters
    assert list(parameters) == ["input", "output_size"]
    assert parameters["output_size"].default is None


POOL_LAYERS = [
    (nn.MaxPool1d, dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
     (2, 2, 9)),
    (nn.MaxPool2d, dict(kernel_size=(2, 3), padding=(1, 0), ceil_mode=True), (1, 3, 5, 7)),
    (nn.MaxPool3d, dict(kernel_size=2, stride=1, dilation=(1, 2, 1)), (1, 2, 3, 4, 3)),
    (nn.AvgPool1d, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False), (2, 2, 8)),
    (nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1, divisor_override=5),
     (1, 2, 6, 5)),
    (nn.AvgPool3d, dict(kernel_size=(1, 2, 2), ceil_mode=True), (1, 1, 3, 5, 5)),
]


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("layer_class, arguments, input_shape", POOL_LAYERS)
def test_pool_layer_is_the_pool_op(layer_class, arguments, input_shape, method):
    rng = np.random.default_rng(5)
    layer = layer_class(**arguments, method=method)
    x = rng.standard_normal(input_shape)
    if layer_class.__name__.startswith("Max"):
        op, op_backward = npconv.max_pool, npconv.max_pool_backward
    else:
        op, op_backward = npconv.avg_pool, npconv.avg_pool_backward
    out = layer(x)
    np.testing.assert_array_equal(out, op(x, **arguments, method=method))
    grad_output = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(layer.backward(grad_output),
                                  op_backward(grad_output, x, **arguments, method=method))
    assert list(layer.parameters()) == []


def test_max_pool_layer_can_return_indices_as_pytorch_does():
    x = np.array([[[1., 5., 2., 7., 3.]]])
    out, indices = nn.MaxPool1d(2, return_indices=True)(x)
    np.testing.assert_array_equal(out, [[[5., 7.]]])
    np.testing.assert_array_equal(indices, [[[1, 3]]])


def test_pool_stride_defaults_to_the_kernel_size():
    assert nn.MaxPool2d(3).stride == 3 and nn.AvgPool3d((1, 2, 2)).stride == (1, 2, 2)
    assert nn.MaxPool2d(3, stride=1).stride == 1


def test_linear_forward_and_backward_are_the_matrix_formulas():
    rng = np.random.default_rng(6)
    layer = nn.Linear(4, 3).reset_parameters(rng).double()
    x = rng.standard_normal((2, 5, 4))                       # extra leading axis, as PyTorch
    W, b = layer.weight.data, layer.bias.data
    out = layer(x)
    expected = np.einsum("nli,oi->nlo", x, W) + b
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(layer.backward(g), np.einsum("nlo,oi->nli", g, W), rtol=1e-13)
    np.testing.assert_allclose(layer.weight.grad, np.einsum("nlo,nli->oi", g, x), rtol=1e-13)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=(0, 1)), rtol=1e-13)


@pytest.mark.parametrize("layer, function, derivative", [
    (nn.ReLU(), lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1, 0.01)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x), lambda x: np.where(x > 0, 1, 0.2)),
    (nn.Sigmoid(), expit, lambda x: expit(x) * (1 - expit(x))),
    (nn.Tanh(), np.tanh, lambda x: 1 / np.cosh(x) ** 2),
], ids=["relu", "leaky_relu", "leaky_relu_0.2", "sigmoid", "tanh"])
def test_activation_and_its_derivative(layer, function, derivative):
    x = np.array([[-3.0, -0.5, 0.0, 0.25, 4.0]])
    g = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    np.testing.assert_allclose(layer(x), function(x), rtol=1e-14)
    np.testing.assert_allclose(layer.backward(g), g * derivative(x), rtol=1e-12)


def test_flatten_joins_the_chosen_axes_and_backward_restores_the_shape():
    x = np.arange(2 * 3 * 4 * 5.).reshape(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    layer = nn.Flatten(1, 2)
    assert layer(x).shape == (2, 12, 5)
    np.testing.assert_array_equal(layer.backward(layer(x)), x)
    assert nn.Flatten(-2, -1)(x).shape == (2, 3, 20)
    with pytest.raises(ValueError, match="start_dim=4 is out of range"):
        nn.Flatten(4)(x)


# --------------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------------

def test_cross_entropy_is_the_mean_negative_log_softmax_and_its_gradient():
    rng = np.random.default_rng(7)
    logits = rng.standard_normal((5, 4))
    target = np.array([0, 3, 1, 1, 2])
    loss = nn.CrossEntropyLoss()
    expected = np.mean(logsumexp(logits, axis=1) - logits[np.arange(5), target])
    assert loss(logits, target) == pytest.approx(expected, rel=1e-13)
    numeric = central_difference(lambda: nn.CrossEntropyLoss()(logits, target), logits)
    np.testing.assert_allclose(loss.backward(), numeric, rtol=1e-6, atol=1e-9)


def test_cross_entropy_does_not_overflow():
    loss = nn.CrossEntropyLoss()
    value = loss(np.array([[1e4, -1e4, 0.0]]), np.array([1]))
    assert value == pytest.approx(2e4)
    np.testing.assert_allclose(loss.backward(), [[1.0, -1.0, 0.0]])


@pytest.mark.parametrize("logits, target, message", [
    (np.zeros((2, 3, 4)), np.array([0, 1]), "logits of shape"),
    (np.zeros((2, 3)), np.array([0.0, 1.0]), "integer targets"),
    (np.zeros((2, 3)), np.array([0, 1, 2]), "integer targets of shape \\(2,\\)"),
    (np.zeros((2, 3)), np.array([0, 3]), "targets must lie in \\[0, 3\\)"),
])
def test_cross_entropy_refuses_bad_targets(logits, target, message):
    with pytest.raises(ValueError, match=message):
        nn.CrossEntropyLoss()(logits, target)


def test_mse_is_the_mean_squared_error_and_its_gradient():
    prediction = np.array([[1.0, 2.0], [3.0, 5.0]])
    target = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = nn.MSELoss()
    assert loss(prediction, target) == (1 + 0 + 4 + 16) / 4
    np.testing.assert_allclose(loss.backward(), 2 * (prediction - target) / 4)
    with pytest.raises(ValueError, match="must be equal"):
        loss(prediction, target[0])


# --------------------------------------------------------------------------------------------
# Parameters, state_dict, modes
# --------------------------------------------------------------------------------------------

def digits_like_network():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.ConvTranspose2d(4, 2, 2, stride=2, bias=False), nn.Flatten(),
                         nn.Linear(2 * 8 * 8, 10))


def test_state_dict_has_pytorchs_keys_layouts_and_order():
    state = digits_like_network().state_dict()
    assert list(state) == ["0.weight", "0.bias", "3.weight", "5.weight", "5.bias"]
    assert [state[key].shape for key in state] == [(4, 1, 3, 3), (4,), (4, 2, 2, 2),
                                                   (10, 128), (10,)]
    assert all(value.dtype == np.float32 for value in state.values())   # PyTorch's default


def test_state_dict_round_trip_gives_the_same_network():
    rng = np.random.default_rng(8)
    source = digits_like_network().reset_parameters(rng)
    copy = digits_like_network().reset_parameters(np.random.default_rng(9))
    x = rng.random((3, 1, 8, 8), dtype=np.float32)
    assert not np.array_equal(copy(x), source(x))
    copy.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(copy(x), source(x))
    for key, value in copy.state_dict().items():
        np.testing.assert_array_equal(value, source.state_dict()[key])


def test_state_dict_holds_copies_and_loading_copies_too():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    state["weight"][...] = 7.0                            # does not reach the model
    assert not np.any(model.weight.data == 7.0)
    values = {"weight": np.ones((2, 2)), "bias": np.zeros(2)}
    model.load_state_dict(values)
    values["weight"][...] = 5.0                           # nor does this
    np.testing.assert_array_equal(model.weight.data, np.ones((2, 2)))
    assert model.weight.data.dtype == np.float32          # the parameter keeps its dtype


@pytest.mark.parametrize("change, message", [
    (lambda s: s.pop("0.bias"), r"missing keys \['0.bias'\]"),
    (lambda s: s.update({"9.weight": np.zeros(1)}), r"unexpected keys \['9.weight'\]"),
    (lambda s: s.update({"0.weight": np.zeros((4, 1, 2, 2))}),
     r"'0.weight' has shape \(4, 1, 2, 2\), but the parameter has shape \(4, 1, 3, 3\)"),
])
def test_load_state_dict_names_what_does_not_fit(change, message):
    model = digits_like_network()
    state = model.state_dict()
    change(state)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():         # nothing was loaded
        np.testing.assert_array_equal(value, before[key])


def test_parameters_in_registration_order_and_zero_grad():
    model = digits_like_network()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "3.weight", "5.weight", "5.bias"]
    assert [p.shape for p in model.parameters()] == [model.state_dict()[n].shape for n in names]
    x = np.ones((2, 1, 8, 8), dtype=np.float32)
    model.backward(np.ones_like(model(x)))
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_backward_accumulates_until_zero_grad():
    layer = nn.Linear(3, 2)
    x = np.ones((1, 3))
    layer(x)
    layer.backward(np.ones((1, 2)))
    once = layer.weight.grad.copy()
    layer(x)
    layer.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(layer.weight.grad, 2 * once)


def test_sequential_indexing_slicing_and_length():
    model = digits_like_network()
    assert len(model) == 6
    assert isinstance(model[0], nn.Conv2d) and isinstance(model[-1], nn.Linear)
    tail = model[3:]
    assert len(tail) == 3 and tail[0] is model[3]
    assert list(tail.state_dict()) == ["3.weight", "5.weight", "5.bias"]   # keys kept
    assert [type(layer) for layer in model] == [type(model[i]) for i in range(6)]


def test_train_and_eval_set_the_flag_everywhere():
    model = digits_like_network()
    assert model.training and model[0].training
    assert model.eval() is model
    assert not any(layer.training for layer in model)
    model.train()
    assert all(layer.training for layer in model)


def test_double_and_float_convert_parameters_and_gradients():
    model = nn.Sequential(nn.Linear(2, 2))
    model(np.ones((1, 2)))
    model.backward(np.ones((1, 2)))
    model.double()
    assert {p.data.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    model.float()
    assert {p.data.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    with pytest.raises(TypeError, match="floating type"):
        model.to(np.int32)


def test_repr_reads_like_pytorchs():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU())
    assert repr(model) == ("Sequential(\n"
                           "  (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), "
                           "padding=(1, 1))\n"
                           "  (1): ReLU()\n"
                           ")")


# --------------------------------------------------------------------------------------------
# Initialisation: PyTorch's bounds, from the fan-in worked by hand
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("layer, fan_in", [
    (nn.Conv1d(3, 40, 5), 3 * 5),                          # C_in * k
    (nn.Conv2d(3, 64, 5), 3 * 5 * 5),                      # C_in * kH * kW
    (nn.Conv2d(8, 64, 3, groups=4), (8 // 4) * 3 * 3),    # C_in / groups * kH * kW
    (nn.Conv3d(2, 40, (1, 2, 3)), 2 * 1 * 2 * 3),
    (nn.ConvTranspose2d(64, 16, 3), 16 * 3 * 3),          # weight (C_in, C_out, k, k): C_out * k * k
    (nn.ConvTranspose2d(64, 16, 3, groups=4), (16 // 4) * 3 * 3),
    (nn.ConvTranspose3d(50, 2, 2), 2 * 2 * 2 * 2),
    (nn.Linear(128, 30), 128),                            # in_features
], ids=lambda value: value if isinstance(value, int) else type(value).__name__)
def test_initial_weights_and_bias_are_uniform_within_one_over_root_fan_in(layer, fan_in):
    # kaiming_uniform(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in)
    weight_bound = math.sqrt(2 / (1 + 5)) * math.sqrt(3 / fan_in)
    assert weight_bound == pytest.approx(1 / math.sqrt(fan_in))
    bias_bound = 1 / math.sqrt(fan_in)
    layer.reset_parameters(np.random.default_rng(0))
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= weight_bound and np.abs(b).max() <= bias_bound
    assert np.abs(w).max() > 0.9 * weight_bound           # spread over the whole interval
    # a uniform distribution on (-c, c) has variance c**2 / 3
    assert w.var() == pytest.approx(weight_bound ** 2 / 3, rel=0.15)
    assert abs(w.mean()) < 0.1 * weight_bound


def test_manual_seed_makes_construction_reproducible():
    nn.manual_seed(123)
    first = digits_like_network().state_dict()
    nn.manual_seed(123)
    second = digits_like_network().state_dict()
    third = digits_like_network().state_dict()              # the generator moved on
    assert all(np.array_equal(first[key], second[key]) for key in first)
    assert not np.array_equal(first["0.weight"], third["0.weight"])
    generator = nn.manual_seed(5)
    assert nn.init.default_generator() is generator


def test_reset_parameters_with_a_generator_draws_layer_by_layer_in_order():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 4, bias=False))
    model.reset_parameters(np.random.default_rng(11))
    reference = np.random.default_rng(11)             # the draws written out: w0, b0, w1
    w0 = reference.uniform(-1 / math.sqrt(3), 1 / math.sqrt(3), size=(2, 3))
    b0 = reference.uniform(-1 / math.sqrt(3), 1 / math.sqrt(3), size=2)
    w1 = reference.uniform(-1 / math.sqrt(2), 1 / math.sqrt(2), size=(4, 2))
    np.testing.assert_allclose(model[0].weight.data, w0, rtol=1e-6)
    np.testing.assert_allclose(model[0].bias.data, b0, rtol=1e-6)
    np.testing.assert_allclose(model[1].weight.data, w1, rtol=1e-6)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "groups=2 must divide the input"),
    (lambda: nn.Conv2d(0, 4, 3), ValueError, "in_channels=0 must be an int >= 1"),
    (lambda: nn.Conv2d(1, 4, (3, 3, 3)), ValueError, "kernel_size=\\(3, 3, 3\\) must be an int"),
    (lambda: nn.Conv1d(1, 4, 3, stride=0), ValueError, "stride=0 must be >= 1"),
    (lambda: nn.Conv2d(1, 4, 3, method="fast"), ValueError, "method='fast' is not one of"),
    (lambda: nn.MaxPool2d(2, method="fast"), ValueError, "method='fast' is not one of"),
    (lambda: nn.ConvTranspose2d(1, 4, 3, output_padding=-1), ValueError,
     "output_padding=-1 must be >= 0"),
    (lambda: nn.Linear(3, 0), ValueError, "out_features=0 must be an int >= 1"),
    (lambda: nn.Conv2d(1, 4, 3, padding=-1), ValueError, "padding"),
])
def test_bad_constructor_arguments_are_refused_when_the_layer_is_built(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_wrong_input_rank_names_the_layer_and_the_expected_shape():
    with pytest.raises(ValueError, match=r"Conv2d expects input of shape \(N, C, H, W\), got "
                                         r"shape \(1, 8, 8\)"):
        nn.Conv2d(1, 2, 3)(np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match=r"Linear\(3, 2\) expects input of shape \(\*, 3\)"):
        nn.Linear(3, 2)(np.zeros((4, 2)))


def test_a_bad_geometry_is_the_ops_error():
    with pytest.raises(ValueError, match="kernel"):
        nn.Conv2d(1, 1, 5)(np.zeros((1, 1, 3, 3)))


def test_module_registration_errors():
    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match="must call super\\(\\).__init__\\(\\)"):
        Forgetful()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign ndarray to parameter 'weight'"):
        layer.weight = np.zeros((2, 2))
    with pytest.raises(ValueError, match="cannot be added to a parameter of shape"):
        layer.weight.accumulate_grad(np.zeros(3))


def test_layers_never_modify_their_input():
    rng = np.random.default_rng(12)
    model = every_layer_network().reset_parameters(rng).double()
    x = rng.standard_normal((2, 1, 4, 4, 4))
    saved = x.copy()
    out = model(x)
    grad = np.ones_like(out)
    model.backward(grad)
    np.testing.assert_array_equal(x, saved)
    np.testing.assert_array_equal(grad, np.ones_like(out))


# --------------------------------------------------------------------------------------------
# The family's layers: Unfold, Fold, LPPool*, AdaptiveAvgPool*, AdaptiveMaxPool*, MaxUnpool*
# --------------------------------------------------------------------------------------------

FAMILY_OPS = {
    "Unfold": (npconv.unfold, npconv.unfold_backward),
    "Fold": (npconv.fold, npconv.fold_backward),
    "LPPool": (npconv.lp_pool, npconv.lp_pool_backward),
    "AdaptiveAvgPool": (npconv.adaptive_avg_pool, npconv.adaptive_avg_pool_backward),
    "AdaptiveMaxPool": (npconv.adaptive_max_pool, npconv.adaptive_max_pool_backward),
}

FAMILY_LAYERS = [
    (nn.LPPool1d, dict(norm_type=2, kernel_size=3, stride=2, ceil_mode=True), (2, 2, 8)),
    (nn.LPPool2d, dict(norm_type=1.5, kernel_size=(2, 3)), (1, 2, 5, 7)),
    (nn.LPPool3d, dict(norm_type=float("inf"), kernel_size=2, stride=1), (1, 1, 3, 3, 3)),
    (nn.AdaptiveAvgPool1d, dict(output_size=3), (2, 2, 5)),
    (nn.AdaptiveAvgPool2d, dict(output_size=(3, None)), (1, 2, 5, 4)),
    (nn.AdaptiveAvgPool3d, dict(output_size=(2, 1, 3)), (1, 1, 3, 4, 5)),
    (nn.AdaptiveMaxPool1d, dict(output_size=4), (2, 2, 7)),
    (nn.AdaptiveMaxPool2d, dict(output_size=(2, 3), return_indices=True), (1, 2, 5, 4)),
    (nn.AdaptiveMaxPool3d, dict(output_size=2), (1, 1, 3, 4, 5)),
    (nn.Unfold, dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     (2, 2, 5, 6)),
    (nn.Unfold, dict(kernel_size=(3,), stride=2), (1, 3, 7)),
    (nn.Unfold, dict(kernel_size=(2, 2, 2), padding=((0, 1), 0, 1)), (1, 1, 3, 3, 3)),
    # output (4, 5), kernel 2, stride (2, 1), padding (1, 0): 3 * 4 = 12 windows of 4 taps
    (nn.Fold, dict(output_size=(4, 5), kernel_size=2, stride=(2, 1), padding=(1, 0)),
     (2, 2 * 4, 12)),
    # 1-D: 7 - 2 * (3 - 1) - 1 + 1 = 3 windows of 3 taps
    (nn.Fold, dict(output_size=(7,), kernel_size=(3,), dilation=(2,)), (1, 2 * 3, 3)),
]


def _kind(layer_class):
    """The class name without its rank: ``"LPPool"`` for ``LPPool2d``."""
    name = layer_class.__name__
    return name[:-2] if name[-2:] in ("1d", "2d", "3d") else name


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("layer_class, arguments, input_shape", FAMILY_LAYERS,
                         ids=[f"{c.__name__}-{len(s) - 2}d" for c, _, s in FAMILY_LAYERS])
def test_family_layer_is_its_op(layer_class, arguments, input_shape, method):
    rng = np.random.default_rng(21)
    layer = layer_class(**arguments, method=method)
    x = rng.random(input_shape) + 0.1                # positive: every power is defined
    op, op_backward = FAMILY_OPS[_kind(layer_class)]
    out = layer(x)
    expected = op(x, **arguments, method=method)
    if arguments.get("return_indices"):
        np.testing.assert_array_equal(out[0], expected[0])
        np.testing.assert_array_equal(out[1], expected[1])
        out = out[0]
    else:
        np.testing.assert_array_equal(out, expected)
    backward_arguments = {name: value for name, value in arguments.items()
                          if name != "return_indices"}    # the backward finds the winners
    grad_output = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(
        layer.backward(grad_output),
        op_backward(grad_output, x, **backward_arguments, method=method))
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


UNPOOL_LAYERS = [
    # pool output floor((9 + 2 - 3) / 2) + 1 = 5; unpooled (5 - 1) * 2 - 2 + 3 = 9
    (nn.MaxUnpool1d, dict(kernel_size=3, stride=2, padding=1), (2, 2, 9), None),
    # pool output (2, 4); the default unpooled size is (4, 6), and H may be 3 to 5
    (nn.MaxUnpool2d, dict(kernel_size=(2, 3), stride=(2, 1)), (1, 2, 5, 6), (5, 6)),
    (nn.MaxUnpool3d, dict(kernel_size=2, padding=(0, 1, 0)), (1, 1, 4, 4, 4), (1, 1, 4, 4, 4)),
]


@pytest.mark.parametrize("method", ["im2col", "loops"])
@pytest.mark.parametrize("layer_class, arguments, input_shape, output_size", UNPOOL_LAYERS)
def test_max_unpool_layer_is_the_op_and_takes_pytorchs_arguments(layer_class, arguments,
                                                                   input_shape, output_size,
                                                                   method):
    rng = np.random.default_rng(22)
    pooled, indices = npconv.max_pool(rng.standard_normal(input_shape), **arguments,
                                      return_indices=True)
    layer = layer_class(**arguments, method=method)
    out = layer(pooled, indices, output_size=output_size)
    np.testing.assert_array_equal(out, npconv.max_unpool(pooled, indices, **arguments,
                                                         output_size=output_size,
                                                         method=method))
    grad_output = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(
        layer.backward(grad_output),
        npconv.max_unpool_backward(grad_output, pooled, indices, **arguments,
                                   output_size=output_size, method=method))
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


def _ranked(stem, required, defaults):
    return [(getattr(nn, f"{stem}{d}d"), required, defaults) for d in (1, 2, 3)]


# PyTorch's constructor signatures (torch 2.13), then npconv's keyword-only method="im2col"
FAMILY_SIGNATURES = [
    (nn.Unfold, ["kernel_size"], {"dilation": 1, "padding": 0, "stride": 1}),
    (nn.Fold, ["output_size", "kernel_size"], {"dilation": 1, "padding": 0, "stride": 1}),
    *_ranked("MaxUnpool", ["kernel_size"], {"stride": None, "padding": 0}),
    *_ranked("AdaptiveAvgPool", ["output_size"], {}),
    *_ranked("AdaptiveMaxPool", ["output_size"], {"return_indices": False}),
    *_ranked("LPPool", ["norm_type", "kernel_size"], {"stride": None, "ceil_mode": False}),
]


@pytest.mark.parametrize("layer_class, required, defaults", FAMILY_SIGNATURES,
                         ids=[c.__name__ for c, _, _ in FAMILY_SIGNATURES])
def test_family_layer_constructor_has_pytorchs_signature_and_defaults(layer_class, required,
                                                                       defaults):
    parameters = list(inspect.signature(layer_class).parameters.values())
    assert [p.name for p in parameters] == required + list(defaults) + ["method"]
    assert all(p.default is inspect.Parameter.empty for p in parameters[:len(required)])
    assert {p.name: p.default for p in parameters[len(required):-1]} == defaults
    assert parameters[-1].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters[-1].default == "im2col"


def test_family_layers_built_with_defaults_hold_pytorchs_attributes():
    unpool = nn.MaxUnpool2d(3)
    assert (unpool.kernel_size, unpool.stride, unpool.padding) == ((3, 3), (3, 3), (0, 0))
    assert nn.MaxUnpool3d(2, stride=1).stride == (1, 1, 1)
    lp = nn.LPPool1d(2, 3)
    assert (lp.norm_type, lp.kernel_size, lp.stride, lp.ceil_mode) == (2, 3, None, False)
    assert nn.AdaptiveMaxPool2d(3).return_indices is False
    unfold = nn.Unfold(2)
    assert (unfold.dilation, unfold.padding, unfold.stride) == (1, 0, 1)
    fold = nn.Fold(4, 2)
    assert (fold.output_size, fold.kernel_size, fold.dilation, fold.padding, fold.stride) == (
        4, 2, 1, 0, 1)
    assert all(layer.method == "im2col" for layer in (unpool, lp, unfold, fold))


def test_max_unpool_forward_takes_pytorchs_arguments():
    parameters = inspect.signature(nn.MaxUnpool2d(2).forward).parameters
    assert list(parameters) == ["input", "indices", "output_size"]
    assert parameters["output_size"].default is None


@pytest.mark.parametrize("layer, text", [
    # each text is what torch 2.13 prints for the same constructor call
    (nn.Unfold(2), "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"),
    (nn.Unfold((2, 3), dilation=2, padding=1, stride=(1, 2)),
     "Unfold(kernel_size=(2, 3), dilation=2, padding=1, stride=(1, 2))"),
    (nn.Fold(4, 2), "Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)"),
    (nn.MaxUnpool1d(2), "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))"),
    (nn.MaxUnpool2d((2, 3), stride=1, padding=(1, 0)),
     "MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(1, 0))"),
    (nn.MaxUnpool3d(2), "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))"),
    (nn.AdaptiveAvgPool2d((3, None)), "AdaptiveAvgPool2d(output_size=(3, None))"),
    (nn.AdaptiveMaxPool1d(3, return_indices=True), "AdaptiveMaxPool1d(output_size=3)"),
    (nn.LPPool2d(2, 3), "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"),
    (nn.LPPool3d(1.5, (2, 3, 1), stride=1, ceil_mode=True),
     "LPPool3d(norm_type=1.5, kernel_size=(2, 3, 1), stride=1, ceil_mode=True)"),
    # npconv's one keyword shows only when it is not the default
    (nn.LPPool1d(2, 3, method="loops"),
     "LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False, method='loops')"),
    (nn.MaxPool1d(2, method="loops"),
     "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False, "
     "method='loops')"),
], ids=lambda value: value if isinstance(value, str) else type(value).__name__)
def test_family_layer_repr_is_pytorchs(layer, text):
    assert repr(layer) == text


def test_state_dict_keys_skip_the_parameter_free_layers_as_pytorchs_do():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.LPPool2d(2, 2),
                          nn.Unfold(2), nn.Fold(4, 2), nn.AdaptiveMaxPool2d(2),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "7.weight", "7.bias"]
    # (1, 2, 8, 8) -> (1, 2, 4, 4) -> (1, 8, 9) -> (1, 2, 4, 4) -> (1, 2, 2, 2) -> ... -> (1, 3)
    assert model(np.ones((1, 1, 8, 8), dtype=np.float32)).shape == (1, 3)


def test_sequential_chains_the_single_input_family_layers():
    rng = np.random.default_rng(23)
    x = rng.random((2, 1, 4, 4)) + 0.1
    model = nn.Sequential(nn.Unfold(2), nn.Fold(3, 2, padding=1, dilation=2),
                          nn.LPPool2d(2, 2, stride=1), nn.AdaptiveAvgPool2d(3))
    # the ops composed by hand: unfold -> fold -> lp_pool -> adaptive_avg_pool
    columns = npconv.unfold(x, 2)                                     # (2, 4, 3 * 3)
    image = npconv.fold(columns, 3, 2, padding=1, dilation=2)        # (2, 1, 3, 3)
    pooled = npconv.lp_pool(image, 2, 2, stride=1)                   # (2, 1, 2, 2)
    np.testing.assert_array_equal(model(x), npconv.adaptive_avg_pool(pooled, 3))
    grad_output = rng.standard_normal((2, 1, 3, 3))
    grad = npconv.adaptive_avg_pool_backward(grad_output, pooled, 3)
    grad = npconv.lp_pool_backward(grad, image, 2, 2, stride=1)
    grad = npconv.fold_backward(grad, columns, 3, 2, padding=1, dilation=2)
    grad = npconv.unfold_backward(grad, x, 2)
    np.testing.assert_array_equal(model.backward(grad_output), grad)


def test_sequential_refuses_a_tuple_between_layers_and_returns_one_at_the_end():
    x = np.array([[[1., 5., 2., 7.]]])
    with pytest.raises(TypeError, match=r"layer 0 \(MaxPool1d\(kernel_size=2.*\) returns a "
                                        r"tuple, but Sequential hands one array"):
        nn.Sequential(nn.MaxPool1d(2, return_indices=True), nn.ReLU())(x)
    out, indices = nn.Sequential(nn.ReLU(), nn.AdaptiveMaxPool1d(2, return_indices=True))(x)
    np.testing.assert_array_equal(out, [[[5., 7.]]])
    np.testing.assert_array_equal(indices, [[[1, 3]]])


def test_modules_lists_a_module_and_everything_inside_it_parents_first():
    layer = PoolThenUnpool(2, "im2col")
    model = nn.Sequential(nn.ReLU(), layer)
    assert list(model.modules()) == [model, model[0], layer, layer.pool, layer.unpool]


@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.MaxUnpool2d(0), ValueError, r"kernel_size=0 must be >= 1"),
    (lambda: nn.MaxUnpool3d((2, 2)), ValueError, r"kernel_size=\(2, 2\) must be an int or 3"),
    (lambda: nn.MaxUnpool1d(2, stride=0), ValueError, r"stride=0 must be >= 1"),
    (lambda: nn.MaxUnpool2d(2, padding=-1), ValueError, r"padding=-1 must not be negative"),
    (lambda: nn.Unfold("3"), TypeError, r"kernel_size='3' must be an int"),
    (lambda: nn.Unfold(()), ValueError, r"kernel_size=\(\) must have at least one entry"),
    (lambda: nn.Fold(4, 2, method="fast"), ValueError, r"method='fast' is not one of"),
    (lambda: nn.LPPool2d(2, 2, method="fast"), ValueError, r"method='fast' is not one of"),
    (lambda: nn.AdaptiveAvgPool1d(2, method=None), ValueError, r"method=None is not one of"),
])
def test_family_layers_refuse_bad_constructor_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Fold(4, 2)(np.zeros((4, 9))), ValueError,
     r"Fold expects input of shape \(N, C \* K, L\), got shape \(4, 9\); for one sample add "
     r"the batch axis"),
    (lambda: nn.Unfold((3,))(np.zeros((2, 5))), ValueError,
     r"Unfold expects input of shape \(N, C, L\), got shape \(2, 5\)"),
    (lambda: nn.Unfold(3)(np.zeros((1, 5, 5))), ValueError,
     r"Unfold expects input of shape \(N, C, H, W\)"),
    (lambda: nn.AdaptiveMaxPool3d(2)(np.zeros((1, 2, 2, 2))), ValueError,
     r"AdaptiveMaxPool3d expects input of shape \(N, C, D, H, W\)"),
    (lambda: nn.MaxUnpool2d(2)(np.zeros((1, 1, 2, 2)), np.zeros((1, 1, 2, 2))), TypeError,
     r"indices must be an array of integers"),
    (lambda: nn.LPPool1d(0, 2)(np.zeros((1, 1, 4))), ValueError, r"norm_type"),
    (lambda: nn.Fold(4, 2)(np.zeros((1, 4, 5))), ValueError, r"L = 5 columns"),
])
def test_family_layers_refuse_bad_input_with_the_layers_or_the_ops_message(call, error,
                                                                          message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("layer_class, required, defaults", FAMILY_SIGNATURES,
                         ids=[c.__name__ for c, _, _ in FAMILY_SIGNATURES])
def test_parity_table_gives_pytorch_every_constructor_argument(layer_class, required,
                                                               defaults):
    from npconv.tools.parity import twin_arguments
    values = {"kernel_size": 2, "output_size": 4, "norm_type": 2}
    layer = layer_class(*(values[name] for name in required))
    names = [name for name in inspect.signature(layer_class).parameters if name != "method"]
    assert twin_arguments(layer) == {name: getattr(layer, name) for name in names}


# --------------------------------------------------------------------------------------------
# What a layer keeps: checked arrays, copies, and only from calls the op accepted
# --------------------------------------------------------------------------------------------

KEEPING_LAYERS = {
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5)),
    "Conv2d depthwise": (lambda: nn.Conv2d(2, 4, 3, groups=2), (2, 2, 5, 5)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2), (2, 2, 3, 3)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    "AvgPool2d": (lambda: nn.AvgPool2d(2, padding=1), (2, 2, 4, 4)),
    "LPPool2d": (lambda: nn.LPPool2d(2, 2), (2, 2, 4, 4)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(3), (2, 2, 5, 5)),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d(3), (2, 2, 5, 5)),
    "Unfold": (lambda: nn.Unfold(2), (2, 2, 4, 4)),
    "Fold": (lambda: nn.Fold(3, 2), (2, 8, 4)),
    "Linear": (lambda: nn.Linear(4, 3), (2, 4)),
    "ReLU": (lambda: nn.ReLU(), (2, 4)),
    "LeakyReLU": (lambda: nn.LeakyReLU(), (2, 4)),
    "Sigmoid": (lambda: nn.Sigmoid(), (2, 4)),
    "Tanh": (lambda: nn.Tanh(), (2, 4)),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 2)),
}


def _float64_layer(name, seed):
    layer = KEEPING_LAYERS[name][0]()
    if layer.parameters():
        layer.reset_parameters(np.random.default_rng(seed)).double()
    return layer


@pytest.mark.parametrize("name", KEEPING_LAYERS)
def test_layers_refuse_masked_ragged_and_missing_input_by_name(name):
    """As the ops do: a masked array's mask would be lost, a ragged list has no shape."""
    layer, shape = KEEPING_LAYERS[name][0](), KEEPING_LAYERS[name][1]
    x = np.ones(shape)
    with pytest.raises(TypeError, match="input is a masked array"):
        layer(np.ma.masked_array(x, mask=x > 0))
    with pytest.raises(ValueError, match="input=.* is ragged"):
        layer([x.tolist(), [1.0]])
    with pytest.raises(TypeError, match="input=None"):
        layer(None)


@pytest.mark.parametrize("name", KEEPING_LAYERS)
def test_a_changed_input_or_output_leaves_the_backward_of_the_call(name):
    """The backward is the gradient of the call as it was made: changing the input (or the
    output the caller received) in place afterwards gives the same gradients as a fresh
    layer that saw nothing change."""
    shape = KEEPING_LAYERS[name][1]
    rng = np.random.default_rng(21)
    x = rng.standard_normal(shape)
    reference = _float64_layer(name, 5)
    out = reference(x.copy())
    grad_output = rng.standard_normal(out.shape)
    expected = reference.backward(grad_output)

    layer = _float64_layer(name, 5)
    given = x.copy()
    received = layer(given)
    given[...], received[...] = 7.0, -3.0
    np.testing.assert_array_equal(layer.backward(grad_output), expected)
    for (_, got), (_, want) in zip(layer.named_parameters(), reference.named_parameters()):
        np.testing.assert_array_equal(got.grad, want.grad)


def test_a_refused_call_leaves_the_backward_of_the_accepted_one():
    layer = nn.Conv2d(2, 1, 3)
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4))
    out = layer(x)
    with pytest.raises(ValueError, match="C_in"):
        layer(np.zeros((1, 3, 4, 4)))
    assert layer.backward(np.ones(out.shape)).shape == x.shape
    pool = nn.AvgPool2d(2)
    out = pool(x)
    with pytest.raises(TypeError, match="complex"):
        pool(x.astype(complex))
    np.testing.assert_array_equal(pool.backward(np.ones(out.shape)), np.full(x.shape, 0.25))


def test_leaky_relu_keeps_the_fraction_of_integer_input_and_gradients():
    # slope 0.5: -3 -> -1.5 (not truncated to -1), and the gradient there is 0.5 * 1
    layer = nn.LeakyReLU(0.5)
    np.testing.assert_array_equal(layer(np.array([[-3, 2]])), [[-1.5, 2.0]])
    np.testing.assert_array_equal(layer.backward(np.array([[1, 1]])), [[0.5, 1.0]])
    float32 = nn.LeakyReLU(np.float64(0.5))(np.array([[-3.0, 2.0]], dtype=np.float32))
    assert float32.dtype == np.float32                      # float input keeps its dtype


@pytest.mark.parametrize("layer, input_shape, wrong_shape", [
    (nn.ReLU(), (3, 5), (1, 5)),                  # would broadcast to (3, 5)
    (nn.LeakyReLU(), (3, 5), (5,)),
    (nn.Sigmoid(), (3, 5), (3, 1)),
    (nn.Tanh(), (3, 5), (1, 1)),
    (nn.Flatten(), (2, 3, 4), (12, 2)),           # the same size: would reshape silently
    (nn.Linear(4, 3), (2, 4), (3, 2)),            # the same size, transposed
], ids=["relu", "leaky_relu", "sigmoid", "tanh", "flatten", "linear"])
def test_layers_without_an_op_refuse_a_grad_output_of_another_shape(layer, input_shape,
                                                                   wrong_shape):
    import re

    out = layer(np.ones(input_shape))
    with pytest.raises(ValueError, match=rf"grad_output has shape {re.escape(str(wrong_shape))}, "
                                         rf"but the forward's output shape is "
                                         rf"{re.escape(str(out.shape))}"):
        layer.backward(np.ones(wrong_shape))
    assert all(parameter.grad is None for parameter in layer.parameters())   # nothing added
    assert layer.backward(np.ones(out.shape)).shape == input_shape


@pytest.mark.parametrize("build, error, message", [
    (lambda: nn.Conv2d(1.0, 4, 3), TypeError, r"in_channels=1.0 must be an int >= 1, not float"),
    (lambda: nn.ConvTranspose1d(2, True, 3), TypeError, r"out_channels=True .* not bool"),
    (lambda: nn.Linear("3", 2), TypeError, r"in_features='3' must be an int >= 1, not str"),
    (lambda: nn.Linear(3, -2), ValueError, r"out_features=-2 must be an int >= 1"),
])
def test_layer_sizes_of_the_wrong_kind_are_a_type_error(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("build, message", [
    # 10**6 * 10**6 float32 cells = 4 * 10**12 bytes, past the 16 GiB npconv allocates
    (lambda: nn.Linear(10 ** 6, 10 ** 6), r"the weight would have shape \(1000000, 1000000\): "
                                          r"4000000000000 bytes.*in_features=1000000"),
    (lambda: nn.Conv2d(1, 1, 10 ** 6), r"the weight would have shape \(1, 1, 1000000, 1000000\)"
                                       r".*kernel_size=\(1000000, 1000000\)"),
    (lambda: nn.ConvTranspose1d(1, 5 * 10 ** 9, 1),                # 20 GB: (C_in, C_out, k)
     r"the weight would have shape \(1, 5000000000, 1\).*out_channels=5000000000"),
])
def test_a_layer_too_large_to_allocate_is_refused_by_its_arguments(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("shape", [(0, 0), (2, 0)])
def test_cross_entropy_refuses_logits_without_classes(shape):
    # softmax over no classes is undefined (it was NumPy's "zero-size array" error for N = 0)
    with pytest.raises(ValueError, match=rf"logits of shape \(N, classes\) with classes >= 1, "
                                         rf"got shape \({shape[0]}, 0\)"):
        nn.CrossEntropyLoss()(np.zeros(shape), np.zeros(shape[0], dtype=np.int64))
