"""``Unfold`` and ``Fold``: im2col and col2im as layers, PyTorch's signatures.

Cheat sheet: "Convolution operation" as one matrix multiply.  ``Unfold`` copies every
window a kernel would slide over into one column (:func:`npconv.unfold`); ``Fold`` adds
columns back onto their windows (:func:`npconv.fold`).  Neither has parameters: a
convolution is ``Unfold``, then the weight as a ``(C_out, C_in * K)`` matrix times the
columns, then a reshape.

PyTorch's ``Unfold`` and ``Fold`` work on images only; npconv's take any number of
spatial dimensions, one per entry of ``kernel_size`` (``Unfold``) or ``output_size``
(``Fold``), an int meaning 2-D as in PyTorch.

Examples
--------
>>> import numpy as np
>>> from npconv import nn
>>> unfold, fold = nn.Unfold(2), nn.Fold(3, 2)
>>> columns = unfold(np.ones((1, 1, 3, 3)))            # four 2x2 windows, one per column
>>> columns.shape
(1, 4, 4)
>>> fold(columns)                                      # each cell times the windows over it
array([[[[1., 2., 1.],
         [2., 4., 2.],
         [1., 2., 1.]]]])
"""

from ..family.api import fold, fold_backward, unfold, unfold_backward
from ..shapes import unfold_spatial_dims
from .module import Module, check_input_rank, check_method, keep, method_repr

__all__ = ["Unfold", "Fold"]


class Unfold(Module):
    """Every window as one column, as ``torch.nn.Unfold``, running :func:`npconv.unfold`.

    Parameters
    ----------
    kernel_size : int or tuple of int
        The window; its length says how many spatial dimensions the input has (an int is
        a square 2-D window, as in PyTorch).
    dilation, padding, stride : int or tuple of int, default 1, 0, 1
        As for :func:`npconv.unfold` (``padding`` may also hold ``(before, after)`` pairs).
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    Input (N, C, *in_size), output (N, C * K, L) with ``K = prod(kernel_size)`` taps and
    ``L`` window positions, per dimension
    ``floor((in + 2 * padding - dilation * (k - 1) - 1) / stride) + 1`` (the convolution's
    output size).  ``backward`` is :func:`npconv.unfold_backward`: each input cell
    collects the gradients of every column cell that copied it.

    Examples
    --------
    >>> import numpy as np
    >>> Unfold(2)(np.arange(9.).reshape(1, 1, 3, 3))      # row = tap, column = window
    array([[[0., 1., 3., 4.],
            [1., 2., 4., 5.],
            [3., 4., 6., 7.],
            [4., 5., 7., 8.]]])
    >>> Unfold((3,), stride=2)(np.arange(5.).reshape(1, 1, 5))     # 1-D: windows 0-2, 2-4
    array([[[0., 2.],
            [1., 3.],
            [2., 4.]]])
    >>> Unfold(2)
    Unfold(kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1, *, method="im2col"):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride
        self.method = check_method(method)
        self.spatial_dims = unfold_spatial_dims(kernel_size, "kernel_size")

    def forward(self, input):
        x = check_input_rank(self, input, self.spatial_dims)
        out = unfold(x, self.kernel_size, self.dilation, self.padding, self.stride,
                     method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return unfold_backward(grad_output, self.input, self.kernel_size, self.dilation,
                               self.padding, self.stride, method=self.method)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}" + method_repr(self.method))


class Fold(Module):
    """Columns added back onto their windows, as ``torch.nn.Fold``, running :func:`npconv.fold`.

    Parameters
    ----------
    output_size : int or tuple of int
        The output's spatial size; its length says how many spatial dimensions (an int is
        a square 2-D size, as in PyTorch).
    kernel_size : int or tuple of int
    dilation, padding, stride : int or tuple of int, default 1, 0, 1
        As for :class:`Unfold`.
    method : {"im2col", "loops"}, keyword only

    Notes
    -----
    Input (N, C * K, L), columns in :class:`Unfold`'s layout; output (N, C, *output_size).
    ``L`` must be the number of window positions in ``output_size``.  Fold is the adjoint
    of unfold, so its ``backward`` (:func:`npconv.fold_backward`) unfolds ``grad_output``.

    Examples
    --------
    >>> import numpy as np
    >>> Fold((5,), (3,), stride=2)(np.ones((1, 3, 2)))    # windows 0-2 and 2-4 meet at 2
    array([[[1., 1., 2., 1., 1.]]])
    >>> Fold(4, 2)
    Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1, *,
                 method="im2col"):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride
        self.method = check_method(method)

    def forward(self, input):
        x = check_input_rank(self, input, 1, "N, C * K, L")
        out = fold(x, self.output_size, self.kernel_size, self.dilation, self.padding,
                   self.stride, method=self.method)
        self.input = keep(x)                    # once the op has accepted it
        return out

    def backward(self, grad_output):
        return fold_backward(grad_output, self.input, self.output_size, self.kernel_size,
                             self.dilation, self.padding, self.stride, method=self.method)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
                + method_repr(self.method))
