"""Convolution layers: ``Conv1d/2d/3d`` and ``ConvTranspose1d/2d/3d``, PyTorch's signatures.

Cheat sheet: "Convolution operation", "Dilated Convolution", "Transposed Convolution", and
the parameter count ``H * W * C + 1`` per kernel.  Each layer owns a weight and a bias
:class:`~npconv.nn.Parameter` in PyTorch's layout; ``forward`` calls :func:`npconv.conv`
(or :func:`npconv.conv_transpose`) and ``backward`` calls its ``*_backward``, so stepping
into a layer lands in the op.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> layer = nn.Conv2d(1, 4, kernel_size=3, padding=1)
>>> layer.weight.shape, layer.bias.shape
((4, 1, 3, 3), (4,))
>>> layer(np.zeros((2, 1, 8, 8))).shape
(2, 4, 8, 8)
>>> nn.ConvTranspose2d(4, 1, kernel_size=2, stride=2).weight.shape   # (C_in, C_out, kH, kW)
(4, 1, 2, 2)
"""

import numpy as np

from ..api import conv, conv_backward, conv_transpose, conv_transpose_backward
from ..shapes import check_groups, int_tuple
from .init import reset_weight_and_bias
from .module import (Module, check_input_rank, check_method, check_positive_int,
                     empty_parameter, keep, padding_per_dimension)

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]


class _ConvNd(Module):
    """What the convolution and transposed-convolution layers share: checks and parameters.

    ``weight_shape`` is the layout: ``(C_out, C_in / groups, *kernel_size)`` for a
    convolution, ``(C_in, C_out / groups, *kernel_size)`` for a transposed one.
    """

    spatial_dims = None          # 1, 2 or 3, set by each concrete class

    def _setup(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
               bias, method, weight_shape):
        d = self.spatial_dims
        self.in_channels = check_positive_int("in_channels", in_channels)
        self.out_channels = check_positive_int("out_channels", out_channels)
        self.kernel_size = int_tuple(kernel_size, d, "kernel_size", minimum=1)
        self.stride = int_tuple(stride, d, "stride", minimum=1)
        self.dilation = int_tuple(dilation, d, "dilation", minimum=1)
        self.groups = check_groups(groups, in_channels, out_channels)
        self.padding = padding if isinstance(padding, str) else padding_per_dimension(padding, d)
        self.method = check_method(method)
        cause = (f"in_channels={in_channels}, out_channels={out_channels}, "
                 f"kernel_size={self.kernel_size}")
        self.weight = empty_parameter(weight_shape(self.kernel_size), "the weight", cause)
        self.bias = empty_parameter((out_channels,), "the bias", cause) if bias else None
        self.reset_parameters()

    def reset_parameters(self, generator=None):
        """Draw weight and bias from PyTorch's defaults (:mod:`npconv.nn.init`)."""
        reset_weight_and_bias(self.weight.data,
                              None if self.bias is None else self.bias.data, generator)
        return self

    def _accumulate(self, grads):
        """Add the op's weight and bias gradients into the parameters' ``.grad``."""
        self.weight.accumulate_grad(grads.grad_weight)
        if self.bias is not None:
            self.bias.accumulate_grad(grads.grad_bias)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        defaults = {"padding": (0,) * self.spatial_dims, "output_padding": (0,) * self.spatial_dims,
                    "dilation": (1,) * self.spatial_dims, "groups": 1,
                    "padding_mode": "zeros", "method": "im2col"}
        for name, default in defaults.items():
            value = getattr(self, name, default)
            if value != default:
                text += f", {name}={value!r}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Conv(_ConvNd):
    """N-d convolution layer; the concrete classes fix N.  See :class:`Conv2d`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", *,
                 method="im2col"):
        super().__init__()
        self.padding_mode = padding_mode
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, method,
                    lambda kernel: (out_channels, in_channels // groups, *kernel))

    def forward(self, input):
        x = check_input_rank(self, input, self.spatial_dims)
        bias = None if self.bias is None else self.bias.data
        out = conv(x, self.weight.data, bias, self.stride, self.padding, self.dilation,
                   self.groups, padding_mode=self.padding_mode, method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        grads = conv_backward(grad_output, self.input, self.weight.data, self.stride,
                              self.padding, self.dilation, self.groups,
                              padding_mode=self.padding_mode, method=self.method)
        self._accumulate(grads)
        return grads.grad_input


class _ConvTranspose(_ConvNd):
    """N-d transposed convolution layer; the concrete classes fix N.  See :class:`ConvTranspose2d`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, *, method="im2col"):
        super().__init__()
        self.output_padding = int_tuple(output_padding, self.spatial_dims, "output_padding",
                                        minimum=0)
        self._setup(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                    bias, method,
                    lambda kernel: (in_channels, out_channels // groups, *kernel))

    def forward(self, input, output_size=None):
        """Run :func:`npconv.conv_transpose`; an ``output_size`` (spatial, or with N and C in
        front) picks the output_padding that reaches it, as PyTorch's
        ``forward(input, output_size)`` does, and the layer's own ``output_padding`` is then
        set aside, as PyTorch sets it aside."""
        x = check_input_rank(self, input, self.spatial_dims)
        bias = None if self.bias is None else self.bias.data
        out = conv_transpose(x, self.weight.data, bias, self.stride, self.padding,
                             self._output_padding(output_size), self.groups, self.dilation,
                             output_size=output_size, method=self.method)
        # What the backward must repeat, kept once the op has accepted it: the input, and the
        # size asked for (copies, so that changing the caller's arrays afterwards changes
        # nothing).
        self.input = keep(x)
        self.size_asked = None if output_size is None else tuple(output_size)
        return out

    def backward(self, grad_output):
        grads = conv_transpose_backward(grad_output, self.input, self.weight.data, self.stride,
                                        self.padding, self._output_padding(self.size_asked),
                                        self.groups, self.dilation,
                                        output_size=self.size_asked, method=self.method)
        self._accumulate(grads)
        return grads.grad_input

    def _output_padding(self, output_size):
        """The layer's ``output_padding``, or 0 when the call asks for an ``output_size``."""
        return self.output_padding if output_size is None else 0


class Conv1d(_Conv):
    """1-D convolution layer, as ``torch.nn.Conv1d``: input (N, C_in, L), weight
    (C_out, C_in / groups, k).  The arguments are those of :class:`Conv2d`.

    Examples
    --------
    >>> Conv1d(2, 3, 5, padding=2)(np.zeros((1, 2, 10))).shape
    (1, 3, 10)
    """

    spatial_dims = 1


class Conv2d(_Conv):
    """2-D convolution layer, as ``torch.nn.Conv2d``, running :func:`npconv.conv`.

    Parameters
    ----------
    in_channels, out_channels : int
        ``C_in`` and ``C_out``; ``groups`` must divide both.
    kernel_size : int or tuple of int
    stride, padding, dilation, groups, padding_mode
        As for :func:`npconv.conv`: ``padding`` may be an int, one per dimension,
        ``(before, after)`` pairs, ``"valid"`` or ``"same"``.
    bias : bool, default True
        Whether the layer has a bias (the "+ 1" of the cheat sheet's parameter count).
    method : {"im2col", "loops"}, keyword only
        Which variant of the op the layer runs.

    Attributes
    ----------
    weight : Parameter, shape (C_out, C_in / groups, kH, kW)
    bias : Parameter, shape (C_out,), or None

    Notes
    -----
    ``forward`` takes (N, C_in, H, W) and returns (N, C_out, H_out, W_out) with
    ``H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1`` (the cheat
    sheet's formula); it keeps its input for ``backward``.  ``backward(grad_output)``
    returns the input's gradient and adds the weight's and bias's into their ``.grad``.
    Unlike PyTorch, an unbatched input (C_in, H, W) is refused: add the batch axis.

    Examples
    --------
    >>> layer = Conv2d(1, 2, 3, stride=2, padding=1)
    >>> layer
    Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    >>> out = layer(np.ones((1, 1, 5, 5)))
    >>> out.shape
    (1, 2, 3, 3)
    >>> layer.backward(np.ones_like(out)).shape, layer.weight.grad.shape
    ((1, 1, 5, 5), (2, 1, 3, 3))
    """

    spatial_dims = 2


class Conv3d(_Conv):
    """3-D convolution layer, as ``torch.nn.Conv3d``: input (N, C_in, D, H, W), weight
    (C_out, C_in / groups, kD, kH, kW).  The arguments are those of :class:`Conv2d`.

    Examples
    --------
    >>> Conv3d(1, 2, 3)(np.zeros((1, 1, 4, 4, 4))).shape
    (1, 2, 2, 2, 2)
    """

    spatial_dims = 3


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution layer, as ``torch.nn.ConvTranspose1d``: input
    (N, C_in, L), weight (C_in, C_out / groups, k).  Arguments as :class:`ConvTranspose2d`.

    Examples
    --------
    >>> ConvTranspose1d(2, 1, 4, stride=2, padding=1)(np.zeros((1, 2, 5))).shape
    (1, 1, 10)
    """

    spatial_dims = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution layer, as ``torch.nn.ConvTranspose2d``.

    Runs :func:`npconv.conv_transpose`, which maps a convolution's output shape back to its
    input shape (the cheat sheet's "Transposed Convolution", e.g. a GAN's generator or an
    autoencoder's decoder).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or tuple of int
    stride, padding, output_padding, groups, dilation
        As for :func:`npconv.conv_transpose`.
    bias : bool, default True
    method : {"im2col", "loops"}, keyword only

    Attributes
    ----------
    weight : Parameter, shape (C_in, C_out / groups, kH, kW)
        PyTorch's layout: input channels first.
    bias : Parameter, shape (C_out,), or None

    Notes
    -----
    ``H_out = (H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1``.

    Examples
    --------
    >>> layer = ConvTranspose2d(2, 1, 3, stride=2, padding=1, output_padding=1)
    >>> layer(np.zeros((1, 2, 4, 4))).shape
    (1, 1, 8, 8)

    Stride 2 leaves the size open (7 or 8 here); ``output_size`` picks one, and the
    layer's ``output_padding`` is set aside for that call, as in PyTorch:

    >>> layer(np.zeros((1, 2, 4, 4)), output_size=(7, 8)).shape
    (1, 1, 7, 8)
    """

    spatial_dims = 2


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution layer, as ``torch.nn.ConvTranspose3d``: input
    (N, C_in, D, H, W), weight (C_in, C_out / groups, kD, kH, kW).  Arguments as
    :class:`ConvTranspose2d`.

    Examples
    --------
    >>> ConvTranspose3d(1, 1, 2, stride=2)(np.zeros((1, 1, 2, 2, 2))).shape
    (1, 1, 4, 4, 4)
    """

    spatial_dims = 3
