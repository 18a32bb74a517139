"""Pooling layers: ``MaxPool1d/2d/3d`` and ``AvgPool1d/2d/3d``, PyTorch's signatures.

Cheat sheet: "Pooling operation".  A pooling layer has no parameters; ``forward`` calls
:func:`npconv.max_pool` (or :func:`npconv.avg_pool`) and keeps its input, ``backward``
calls the op's ``*_backward`` with it.

Adding a layer for another parameter-free op takes the same few lines: store the op's
arguments in ``__init__``, call the op in ``forward`` (keeping the input), call its
``*_backward`` in ``backward``, and fix ``spatial_dims`` in one subclass per rank.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> pool = nn.MaxPool2d(2)
>>> x = np.arange(16.).reshape(1, 1, 4, 4)
>>> pool(x)
array([[[[ 5.,  7.],
         [13., 15.]]]])
>>> pool.backward(np.ones((1, 1, 2, 2)))[0, 0]
array([[0., 0., 0., 0.],
       [0., 1., 0., 1.],
       [0., 0., 0., 0.],
       [0., 1., 0., 1.]])
"""

from ..api import avg_pool, avg_pool_backward, max_pool, max_pool_backward
from .module import Module, check_input_rank, check_method

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"]


class _MaxPoolNd(Module):
    """N-d max pooling layer; the concrete classes fix N.  See :class:`MaxPool2d`."""

    spatial_dims = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False, *, method="im2col"):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride      # PyTorch's default
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        self.method = check_method(method)

    def forward(self, input):
        self.input = check_input_rank(self, input, self.spatial_dims)
        return max_pool(self.input, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.ceil_mode, self.return_indices, method=self.method)

    def backward(self, grad_output):
        return max_pool_backward(grad_output, self.input, self.kernel_size, self.stride,
                                 self.padding, self.dilation, self.ceil_mode,
                                 method=self.method)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class _AvgPoolNd(Module):
    """N-d average pooling layer; the concrete classes fix N.  See :class:`AvgPool2d`."""

    spatial_dims = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, *, method="im2col"):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        self.method = check_method(method)

    def forward(self, input):
        self.input = check_input_rank(self, input, self.spatial_dims)
        return avg_pool(self.input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                        self.count_include_pad, self.divisor_override, method=self.method)

    def backward(self, grad_output):
        return avg_pool_backward(grad_output, self.input, self.kernel_size, self.stride,
                                 self.padding, self.ceil_mode, self.count_include_pad,
                                 self.divisor_override, method=self.method)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling layer, as ``torch.nn.MaxPool1d``: input (N, C, L).  Arguments as
    :class:`MaxPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> MaxPool1d(2)(np.array([[[1., 5., 2., 7., 3.]]]))
    array([[[5., 7.]]])
    """

    spatial_dims = 1


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling layer, as ``torch.nn.MaxPool2d``, running :func:`npconv.max_pool`.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Default ``kernel_size``.
    padding, dilation, ceil_mode
        As for :func:`npconv.max_pool`.
    return_indices : bool, default False
        ``forward`` then returns ``(output, indices)``, as PyTorch's layer does.
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    Input (N, C, H, W), output (N, C, H_out, W_out) with
    ``H_out = floor((H + 2 * padding - dilation * (kH - 1) - 1) / stride) + 1`` (ceil with
    ``ceil_mode``).  ``backward`` sends each output cell's gradient to the cell that won its
    window.

    Examples
    --------
    >>> import numpy as np
    >>> MaxPool2d(2)
    MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)
    >>> MaxPool2d(3, stride=2, padding=1)(np.zeros((1, 1, 7, 7))).shape
    (1, 1, 4, 4)
    """

    spatial_dims = 2


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling layer, as ``torch.nn.MaxPool3d``: input (N, C, D, H, W).  Arguments as
    :class:`MaxPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> MaxPool3d(2)(np.zeros((1, 1, 4, 4, 4))).shape
    (1, 1, 2, 2, 2)
    """

    spatial_dims = 3


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling layer, as ``torch.nn.AvgPool1d``: input (N, C, L).  Like
    PyTorch's, it has no ``divisor_override``; the other arguments are :class:`AvgPool2d`'s.

    Examples
    --------
    >>> import numpy as np
    >>> AvgPool1d(2)(np.array([[[1., 5., 2., 7.]]]))
    array([[[3. , 4.5]]])
    """

    spatial_dims = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, *, method="im2col"):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                         method=method)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling layer, as ``torch.nn.AvgPool2d``, running :func:`npconv.avg_pool`.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Default ``kernel_size``.
    padding, ceil_mode, count_include_pad, divisor_override
        As for :func:`npconv.avg_pool`.
    method : {"im2col", "loops"}, keyword only

    Examples
    --------
    >>> import numpy as np
    >>> AvgPool2d(2)(np.arange(16.).reshape(1, 1, 4, 4))
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """

    spatial_dims = 2


class AvgPool3d(_AvgPoolNd):
    """3-D average pooling layer, as ``torch.nn.AvgPool3d``: input (N, C, D, H, W).
    Arguments as :class:`AvgPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> AvgPool3d(2)(np.ones((1, 1, 2, 2, 2)))
    array([[[[[1.]]]]])
    """

    spatial_dims = 3
