"""Pooling layers with PyTorch's signatures: max, average, power-average, adaptive, unpooling.

Cheat sheet: "Pooling operation".  A pooling layer has no parameters; ``forward`` calls the
public op (:func:`npconv.max_pool`, :func:`npconv.avg_pool`, :func:`npconv.lp_pool`,
:func:`npconv.adaptive_avg_pool`, :func:`npconv.adaptive_max_pool`,
:func:`npconv.max_unpool`) and keeps what the backward needs, ``backward`` calls the op's
``*_backward`` with it.

===========================  ===========================================  =================
layers                       forward takes / returns                      op
===========================  ===========================================  =================
``MaxPool1d/2d/3d``          ``input`` / ``output``, or ``(output,        max_pool
                             indices)`` with ``return_indices=True``
``AvgPool1d/2d/3d``          ``input`` / ``output``                       avg_pool
``LPPool1d/2d/3d``           ``input`` / ``output``                       lp_pool
``AdaptiveAvgPool1d/2d/3d``  ``input`` / ``output``                       adaptive_avg_pool
``AdaptiveMaxPool1d/2d/3d``  ``input`` / as ``MaxPool``                   adaptive_max_pool
``MaxUnpool1d/2d/3d``        ``input, indices, output_size=None`` /       max_unpool
                             ``output``
===========================  ===========================================  =================

Every ``backward(grad_output)`` takes the gradient with respect to the output (the first
element of a tuple) and returns the gradient with respect to ``input``; indices have none.

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
from ..family.api import (adaptive_avg_pool, adaptive_avg_pool_backward, adaptive_max_pool,
                          adaptive_max_pool_backward, lp_pool, lp_pool_backward, max_unpool,
                          max_unpool_backward)
from ..shapes import int_tuple
from .module import (Module, check_input_rank, check_method, keep, method_repr,
                     padding_per_dimension)

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "LPPool1d", "LPPool2d", "LPPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
           "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


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
        x = check_input_rank(self, input, self.spatial_dims)
        out = max_pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                       self.ceil_mode, self.return_indices, method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return max_pool_backward(grad_output, self.input, self.kernel_size, self.stride,
                                 self.padding, self.dilation, self.ceil_mode,
                                 method=self.method)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
                + method_repr(self.method))


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
        x = check_input_rank(self, input, self.spatial_dims)
        out = avg_pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                       self.count_include_pad, self.divisor_override, method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return avg_pool_backward(grad_output, self.input, self.kernel_size, self.stride,
                                 self.padding, self.ceil_mode, self.count_include_pad,
                                 self.divisor_override, method=self.method)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                + method_repr(self.method))



class _LPPoolNd(Module):
    """N-d power-average pooling layer; the concrete classes fix N.  See :class:`LPPool2d`."""

    spatial_dims = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False, *,
                 method="im2col"):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride              # kept as None, as PyTorch keeps it; the op reads it so
        self.ceil_mode = ceil_mode
        self.method = check_method(method)

    def forward(self, input):
        x = check_input_rank(self, input, self.spatial_dims)
        out = lp_pool(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode,
                      method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return lp_pool_backward(grad_output, self.input, self.norm_type, self.kernel_size,
                                self.stride, self.ceil_mode, method=self.method)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}" + method_repr(self.method))


class _AdaptiveAvgPoolNd(Module):
    """N-d adaptive average pooling layer; the concrete classes fix N.  See
    :class:`AdaptiveAvgPool2d`."""

    spatial_dims = None

    def __init__(self, output_size, *, method="im2col"):
        super().__init__()
        self.output_size = output_size
        self.method = check_method(method)

    def forward(self, input):
        x = check_input_rank(self, input, self.spatial_dims)
        out = adaptive_avg_pool(x, self.output_size, method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return adaptive_avg_pool_backward(grad_output, self.input, self.output_size,
                                          method=self.method)

    def extra_repr(self):
        return f"output_size={self.output_size}" + method_repr(self.method)


class _AdaptiveMaxPoolNd(Module):
    """N-d adaptive max pooling layer; the concrete classes fix N.  See
    :class:`AdaptiveMaxPool2d`."""

    spatial_dims = None

    def __init__(self, output_size, return_indices=False, *, method="im2col"):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices
        self.method = check_method(method)

    def forward(self, input):
        x = check_input_rank(self, input, self.spatial_dims)
        out = adaptive_max_pool(x, self.output_size, self.return_indices, method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return adaptive_max_pool_backward(grad_output, self.input, self.output_size,
                                          method=self.method)

    def extra_repr(self):
        return f"output_size={self.output_size}" + method_repr(self.method)


class _MaxUnpoolNd(Module):
    """N-d max unpooling layer; the concrete classes fix N.  See :class:`MaxUnpool2d`."""

    spatial_dims = None

    def __init__(self, kernel_size, stride=None, padding=0, *, method="im2col"):
        super().__init__()
        d = self.spatial_dims
        self.kernel_size = int_tuple(kernel_size, d, "kernel_size", minimum=1)
        self.stride = (self.kernel_size if stride is None         # PyTorch's default
                       else int_tuple(stride, d, "stride", minimum=1))
        self.padding = padding_per_dimension(padding, d)
        self.method = check_method(method)

    def forward(self, input, indices, output_size=None):
        x = check_input_rank(self, input, self.spatial_dims)
        out = max_unpool(x, indices, self.kernel_size, self.stride, self.padding, output_size,
                         method=self.method)
        # Kept for the backward once the op has accepted them, as copies, so that a refused
        # call or a caller's later change to its arrays or size list changes nothing here.
        self.input, self.indices = keep(x), keep(indices)
        self.forward_output_size = None if output_size is None else tuple(output_size)
        return out

    def backward(self, grad_output):
        return max_unpool_backward(grad_output, self.input, self.indices, self.kernel_size,
                                   self.stride, self.padding, self.forward_output_size,
                                   method=self.method)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                + method_repr(self.method))

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



class LPPool1d(_LPPoolNd):
    """1-D power-average pooling layer, as ``torch.nn.LPPool1d``: input (N, C, L).
    Arguments as :class:`LPPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> LPPool1d(2, 2)(np.array([[[3., 4., 6., 8.]]]))     # sqrt(9 + 16), sqrt(36 + 64)
    array([[[ 5., 10.]]])
    """

    spatial_dims = 1


class LPPool2d(_LPPoolNd):
    """2-D power-average pooling layer, as ``torch.nn.LPPool2d``, running
    :func:`npconv.lp_pool`.

    Parameters
    ----------
    norm_type : float
        The power ``p`` of ``(sum of x ** p) ** (1 / p)`` per window; 1 is the window's
        sum, ``inf`` its largest absolute value.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Default ``kernel_size``; the attribute stays ``None``, as in PyTorch.
    ceil_mode : bool, default False
        As for :func:`npconv.lp_pool`; there is no padding.
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    Input (N, C, H, W), output (N, C, H_out, W_out) with
    ``H_out = floor((H - kH) / stride) + 1`` (ceil with ``ceil_mode``).  A negative cell
    raised to a non-integer power is NaN, as in PyTorch.

    Examples
    --------
    With ``norm_type=1`` each window is summed:

    >>> import numpy as np
    >>> LPPool2d(1, 2)(np.arange(16.).reshape(1, 1, 4, 4))
    array([[[[10., 18.],
             [42., 50.]]]])
    >>> LPPool2d(2, 3)
    LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)
    """

    spatial_dims = 2


class LPPool3d(_LPPoolNd):
    """3-D power-average pooling layer, as ``torch.nn.LPPool3d``: input (N, C, D, H, W).
    Arguments as :class:`LPPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> LPPool3d(1, 2)(np.ones((1, 1, 2, 2, 2)))               # the sum of 8 ones
    array([[[[[8.]]]]])
    """

    spatial_dims = 3


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """1-D adaptive average pooling layer, as ``torch.nn.AdaptiveAvgPool1d``: input
    (N, C, L).  Arguments as :class:`AdaptiveAvgPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> AdaptiveAvgPool1d(3)(np.array([[[1., 2., 3., 4., 5.]]]))   # cells 0-1, 1-3, 3-4
    array([[[1.5, 3. , 4.5]]])
    """

    spatial_dims = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """2-D adaptive average pooling layer, as ``torch.nn.AdaptiveAvgPool2d``, running
    :func:`npconv.adaptive_avg_pool`.

    Parameters
    ----------
    output_size : int, None, or tuple of int or None
        The output's spatial size: one for both dimensions or one each; ``None`` keeps the
        input's size along that dimension.
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    Input (N, C, H, W), output (N, C, *output_size).  Output cell ``i`` averages input
    cells ``floor(i * H / H_out)`` to ``ceil((i + 1) * H / H_out)`` (end excluded), so
    the windows follow from the sizes; ``output_size=1`` is global average pooling.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> AdaptiveAvgPool2d(1)(x)
    array([[[[7.5]]]])
    >>> AdaptiveAvgPool2d((2, None))(x)                     # rows 0-1 and 2-3 averaged
    array([[[[ 2.,  3.,  4.,  5.],
             [10., 11., 12., 13.]]]])
    """

    spatial_dims = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """3-D adaptive average pooling layer, as ``torch.nn.AdaptiveAvgPool3d``: input
    (N, C, D, H, W).  Arguments as :class:`AdaptiveAvgPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> AdaptiveAvgPool3d(1)(np.arange(8.).reshape(1, 1, 2, 2, 2))   # (0 + ... + 7) / 8
    array([[[[[3.5]]]]])
    """

    spatial_dims = 3


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """1-D adaptive max pooling layer, as ``torch.nn.AdaptiveMaxPool1d``: input (N, C, L).
    Arguments as :class:`AdaptiveMaxPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> AdaptiveMaxPool1d(3, return_indices=True)(np.array([[[1., 5., 2., 7., 3.]]]))
    (array([[[5., 7., 7.]]]), array([[[1, 3, 3]]]))
    """

    spatial_dims = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """2-D adaptive max pooling layer, as ``torch.nn.AdaptiveMaxPool2d``, running
    :func:`npconv.adaptive_max_pool`.

    Parameters
    ----------
    output_size : int, None, or tuple of int or None
        As for :class:`AdaptiveAvgPool2d`.
    return_indices : bool, default False
        ``forward`` then returns ``(output, indices)``, as PyTorch's layer does;
        ``backward`` still takes the gradient with respect to ``output`` alone.
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    The windows of :class:`AdaptiveAvgPool2d`; ``backward`` sends each output cell's
    gradient to the cell that won its window.

    Examples
    --------
    >>> import numpy as np
    >>> layer = AdaptiveMaxPool2d(2)
    >>> layer(np.arange(16.).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> layer.backward(np.ones((1, 1, 2, 2)))[0, 0]
    array([[0., 0., 0., 0.],
           [0., 1., 0., 1.],
           [0., 0., 0., 0.],
           [0., 1., 0., 1.]])
    """

    spatial_dims = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """3-D adaptive max pooling layer, as ``torch.nn.AdaptiveMaxPool3d``: input
    (N, C, D, H, W).  Arguments as :class:`AdaptiveMaxPool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> AdaptiveMaxPool3d(1)(np.arange(8.).reshape(1, 1, 2, 2, 2))
    array([[[[[7.]]]]])
    """

    spatial_dims = 3


class MaxUnpool1d(_MaxUnpoolNd):
    """1-D max unpooling layer, as ``torch.nn.MaxUnpool1d``: input and indices (N, C, L).
    Arguments as :class:`MaxUnpool2d`.

    Examples
    --------
    >>> import numpy as np
    >>> out, indices = MaxPool1d(2, return_indices=True)(np.array([[[1., 5., 2., 7.]]]))
    >>> MaxUnpool1d(2)(out, indices)
    array([[[0., 5., 0., 7.]]])
    """

    spatial_dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """2-D max unpooling layer, as ``torch.nn.MaxUnpool2d``, running :func:`npconv.max_unpool`.

    Parameters
    ----------
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Default ``kernel_size``.
    padding : int, tuple of int, or tuple of (before, after) pairs, default 0
        The max pooling's; with ``kernel_size`` and ``stride`` it fixes the default output
        size.
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    ``forward(input, indices, output_size=None)``, as PyTorch's: ``input`` and ``indices``
    (N, C, H, W) as ``MaxPool2d(..., return_indices=True)`` returns them; the output is
    (N, C, H_out, W_out) with ``H_out = (H - 1) * stride - 2 * padding + kH`` unless
    ``output_size`` picks another size less than one stride away.  Each input cell goes
    to the cell its index names, every other cell is 0.  ``backward(grad_output)`` returns
    the gradient with respect to ``input``: for every cell, ``grad_output`` at its index.

    Because the forward takes the indices, the layer does not go in a
    :class:`~npconv.nn.Sequential` (nor does PyTorch's): write a module that passes them.

    Examples
    --------
    >>> import numpy as np
    >>> from npconv import nn
    >>> class PoolUnpool(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.pool = nn.MaxPool2d(2, return_indices=True)
    ...         self.unpool = nn.MaxUnpool2d(2)
    ...     def forward(self, input):
    ...         output, indices = self.pool(input)
    ...         return self.unpool(output, indices, output_size=input.shape[2:])
    ...     def backward(self, grad_output):                  # the chain rule, in reverse
    ...         return self.pool.backward(self.unpool.backward(grad_output))
    >>> model = PoolUnpool()
    >>> model(np.arange(9.).reshape(1, 1, 3, 3))              # 3x3: one window, kept 3x3
    array([[[[0., 0., 0.],
             [0., 4., 0.],
             [0., 0., 0.]]]])
    >>> model.backward(np.arange(9.).reshape(1, 1, 3, 3))     # the gradient at the winner
    array([[[[0., 0., 0.],
             [0., 4., 0.],
             [0., 0., 0.]]]])
    """

    spatial_dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    """3-D max unpooling layer, as ``torch.nn.MaxUnpool3d``: input and indices
    (N, C, D, H, W).  Arguments as :class:`MaxUnpool2d`.

    Examples
    --------
    Index 7 is the last cell, (1, 1, 1), of a 2x2x2 output:

    >>> import numpy as np
    >>> MaxUnpool3d(2)(np.array([[[[[9.]]]]]), np.array([[[[[7]]]]]))
    array([[[[[0., 0.],
              [0., 0.]],
    <BLANKLINE>
             [[0., 0.],
              [0., 9.]]]]])
    """

    spatial_dims = 3
