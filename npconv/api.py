"""The public functions: check and normalise the arguments, then run one of the two variants.

Each function here validates its arguments (raising ``ValueError`` or ``TypeError`` whose
message names the parameter, the value and what was expected), turns every geometry
argument into one int or one ``(before, after)`` pair per spatial dimension, casts the arrays
to one floating dtype, and hands them to ``npconv.loops`` or ``npconv.im2col``, chosen by
``method``.  Semantics are PyTorch's (``torch.nn.functional``), layout channels-first:
``(N, C, *spatial)`` with any number of spatial dimensions.

Arguments take PyTorch's forms: a geometry argument is an int, one int per spatial dimension,
or a sequence of one int that stands for all of them (``padding=(1,)`` on a 2-D input); a
sequence may be a tuple, list, range or 1-D integer array, and padding may also give one
``(before, after)`` pair per dimension.  A pooling ``stride`` of ``None`` or ``()`` means
``kernel_size``.  Every int argument fits in 64 bits, as in PyTorch
(:data:`npconv.shapes.INT64_MAX`).

dtypes: float32 in gives float32 out and float64 gives float64; integer and boolean arrays
count as float64; mixed arrays compute in their common type; complex, object and string
arrays, ragged nested lists and ``None`` (except for ``bias``) are refused with a
``TypeError``/``ValueError``, and so are masked arrays, whose mask the ops could not honour.
No argument is ever modified.

Memory: no op returns an array (output, gradient or max-pool indices) larger than
:data:`npconv.shapes.MAX_ARRAY_BYTES` (16 GiB); one that would refuses before allocating,
with a ``ValueError`` naming the parameters and the bytes.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Literal, NamedTuple, Optional, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import im2col, loops
from .padding import PaddingMode
from .shapes import (check_array_bytes, check_divisor_override, check_groups, check_int64,
                     check_padding_mode, check_window_cells, conv_geometry,
                     conv_transpose_geometry, dimension_names, is_int, is_sequence,
                     pool_geometry, short_repr)

__all__ = [
    "Gradients",
    "conv", "conv_backward", "conv_transpose", "conv_transpose_backward",
    "max_pool", "max_pool_backward", "avg_pool", "avg_pool_backward",
    "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "max_pool1d", "max_pool2d", "max_pool3d",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
]

METHODS = ("loops", "im2col")

Size = Union[int, Sequence[int]]
"""A geometry argument: one int for every spatial dimension, or a sequence of them."""
Padding = Union[int, Sequence[Union[int, Sequence[int]]]]
"""An int, or per spatial dimension an int or a ``(before, after)`` pair."""
ConvPadding = Union[Padding, Literal["valid", "same"]]
Method = Literal["im2col", "loops"]
FloatArray = NDArray[np.floating]


class Gradients(NamedTuple):
    """Gradients of a convolution, in the order of its arguments."""

    grad_input: FloatArray
    """Gradient with respect to the input, shape of the input."""
    grad_weight: FloatArray
    """Gradient with respect to the weight, shape of the weight."""
    grad_bias: FloatArray
    """Gradient with respect to the bias, shape ``(C_out,)``; returned even without a bias."""


# --------------------------------------------------------------------------------------------
# Convolution
# --------------------------------------------------------------------------------------------

def _ieee_quietly(op):
    """``op`` with NumPy's floating-point warnings off while it runs, as PyTorch's ops give none.

    NaN and infinity follow IEEE arithmetic on purpose (``0 * inf`` is NaN, as in PyTorch),
    and NumPy would warn of each: in a test suite that runs with warnings as errors, an
    oracle that warns on valid input fails.  The fast variant's threads take the caller's
    setting (:func:`npconv.im2col._on_all_cores`).
    """
    @functools.wraps(op)
    def quietly(*args, **kwargs):
        with np.errstate(all="ignore"):
            return op(*args, **kwargs)
    return quietly


@_ieee_quietly
def conv(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None, stride: Size = 1,
         padding: ConvPadding = 0, dilation: Size = 1, groups: int = 1, *,
         padding_mode: PaddingMode = "zeros", method: Method = "im2col",
         workspace_bytes: Optional[int] = None) -> FloatArray:
    """N-d convolution (cross-correlation), as ``torch.nn.functional.conv{1,2,3}d``.

    Cheat sheet: "Convolution operation", "Padding" (valid and same), "Dilated Convolution"
    and "Calculate output's dimension".

    Parameters
    ----------
    input : array_like, shape (N, C_in, *in_size)
    weight : array_like, shape (C_out, C_in // groups, *kernel_size)
    bias : array_like, shape (C_out,), optional
    stride : int or sequence of int, default 1
        Step between neighbouring windows, >= 1: one for every spatial dimension, or one
        per dimension.
    padding : int, sequence of int or of (before, after) pairs, "valid" or "same"
        Cells added around each spatial dimension.  ``"valid"`` adds none.  ``"same"`` pads
        so that the output size is ``ceil(in / stride)``, putting an odd cell at the end
        (equal to PyTorch's ``"same"`` for stride 1; PyTorch refuses other strides).
    dilation : int or sequence of int, default 1
        Spacing between kernel taps; 1 means an ordinary kernel.
    groups : int, default 1
        Split the channels into this many independent convolutions.
    padding_mode : {"zeros", "reflect", "replicate", "circular"}
        What the padded cells hold, as in PyTorch's ``Conv`` layers.
    method : {"im2col", "loops"}
        Which implementation to run; both give the same numbers.
    workspace_bytes : int, optional
        Upper bound on the im2col column buffer, which is filled a few images at a time and
        reused (default 8 MiB).  An image too large for it is unfolded a range of output
        rows at a time; one row's columns are always allowed, up to
        ``shapes.MAX_ARRAY_BYTES``.  Only ``method="im2col"`` uses it.

    Returns
    -------
    ndarray, shape (N, C_out, *out_size)
        Per spatial dimension,
        ``out = floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``.

    Raises
    ------
    ValueError
        If a shape, channel count or hyperparameter does not fit, or if the output would
        exceed :data:`npconv.shapes.MAX_ARRAY_BYTES` (16 GiB); the message names it.
    TypeError
        If an argument has the wrong type (a float stride, a complex or masked array, ...).

    See Also
    --------
    conv_backward, conv_transpose, npconv.loops.conv, npconv.im2col.conv

    Notes
    -----
    What deep learning calls convolution is cross-correlation: the kernel is not flipped.
    ``out[n, o, i] = bias[o] + sum_{c, t} x_padded[n, c, i * stride + t * dilation] * w[o, c, t]``
    with ``c`` running over the channels of ``o``'s group.

    Examples
    --------
    A 3x3 kernel of ones sums each 3x3 window of a 4x4 image:

    >>> import numpy as np
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 3, 3))
    >>> conv(x, w)
    array([[[[45., 54.],
             [81., 90.]]]])
    >>> conv(x, w, padding="same").shape
    (1, 1, 4, 4)
    >>> conv(x, w, padding=1, stride=2, method="loops")
    array([[[[10., 24.],
             [51., 90.]]]])
    """
    x, weight, bias = _floating(input=input, weight=weight, bias=bias)
    geometry, groups = _conv_geometry(x, weight, bias, stride, padding, dilation, groups,
                                      padding_mode)
    _check_results(x.dtype, _conv_cause(x, weight, geometry),
                   output=(x.shape[0], weight.shape[0], *geometry.out_size))
    return _variant(method).conv(x, weight, bias, geometry.stride, geometry.padding,
                                 geometry.dilation, groups, padding_mode,
                                 **_workspace(method, workspace_bytes))


@_ieee_quietly
def conv_backward(grad_output: ArrayLike, input: ArrayLike, weight: ArrayLike, stride: Size = 1,
                  padding: ConvPadding = 0, dilation: Size = 1, groups: int = 1, *,
                  padding_mode: PaddingMode = "zeros", method: Method = "im2col",
                  workspace_bytes: Optional[int] = None) -> Gradients:
    """Gradients of :func:`conv` with respect to its input, weight and bias.

    Parameters
    ----------
    grad_output : array_like, shape (N, C_out, *out_size)
        Gradient of the loss with respect to ``conv``'s output.
    input, weight, stride, padding, dilation, groups, padding_mode, method, workspace_bytes
        As given to :func:`conv`.

    Returns
    -------
    Gradients
        ``(grad_input, grad_weight, grad_bias)`` with the shapes of input, weight and
        ``(C_out,)``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as :func:`conv`.
    TypeError
        As :func:`conv`.

    See Also
    --------
    conv, conv_transpose, npconv.loops.conv_backward, npconv.im2col.conv_backward

    Notes
    -----
    Cheat sheet: "Convolution operation", run backwards.  The input gradient is a transposed
    convolution of ``grad_output`` with the same weight; the weight gradient correlates the
    padded input with ``grad_output``; the bias gradient sums ``grad_output`` over everything
    but the channel.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(9.).reshape(1, 1, 3, 3)
    >>> w = np.ones((1, 1, 2, 2))
    >>> grads = conv_backward(np.ones((1, 1, 2, 2)), x, w)
    >>> grads.grad_input
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    >>> grads.grad_weight
    array([[[[ 8., 12.],
             [20., 24.]]]])
    >>> grads.grad_bias
    array([4.])
    """
    grad_output, x, weight = _floating(grad_output=grad_output, input=input, weight=weight)
    geometry, groups = _conv_geometry(x, weight, None, stride, padding, dilation, groups,
                                      padding_mode)
    _check_grad_output(grad_output, (x.shape[0], weight.shape[0], *geometry.out_size))
    _check_results(x.dtype, _conv_cause(x, weight, geometry), grad_input=x.shape,
                   grad_weight=weight.shape)
    grads = _variant(method).conv_backward(grad_output, x, weight, geometry.stride,
                                           geometry.padding, geometry.dilation, groups,
                                           padding_mode, **_workspace(method, workspace_bytes))
    return Gradients(*grads)


def _conv_geometry(x, weight, bias, stride, padding, dilation, groups, padding_mode):
    """Check a convolution's arrays and arguments; return its normalised geometry and groups."""
    _check_input_and_weight(x, weight)
    N, C_in, *in_size = x.shape
    C_out, C_in_per_group, *kernel_size = weight.shape
    groups = check_groups(groups, C_in, C_out)
    if C_in_per_group * groups != C_in:
        raise ValueError(
            f"input has C_in={C_in} channels but weight of shape {weight.shape} with "
            f"groups={groups} expects C_in = weight.shape[1] * groups = "
            f"{C_in_per_group * groups}")
    _check_bias(bias, C_out)
    geometry = conv_geometry(in_size, kernel_size, stride, padding, dilation)
    check_padding_mode(padding_mode, geometry.padding, in_size)
    return geometry, groups


def _conv_cause(x, weight, geometry):
    """The arguments that make a convolution's results as large as they are, as text."""
    return (f"input of shape {x.shape} and weight of shape {weight.shape} with "
            + ", ".join(f"{name}={value}" for name, value in geometry._asdict().items()
                        if name != "out_size"))


# --------------------------------------------------------------------------------------------
# Transposed convolution
# --------------------------------------------------------------------------------------------

@_ieee_quietly
def conv_transpose(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
                   stride: Size = 1, padding: Padding = 0, output_padding: Size = 0,
                   groups: int = 1, dilation: Size = 1, *,
                   output_size: Optional[Sequence[int]] = None, method: Method = "im2col",
                   workspace_bytes: Optional[int] = None) -> FloatArray:
    """N-d transposed convolution, as ``torch.nn.functional.conv_transpose{1,2,3}d``.

    Cheat sheet: "Transposed Convolution".  It maps a convolution's output shape back to its
    input shape, and is the adjoint of :func:`conv`: ``<conv(x, w), y> == <x,
    conv_transpose(y, w)>`` for the same hyperparameters.

    Parameters
    ----------
    input : array_like, shape (N, C_in, *in_size)
    weight : array_like, shape (C_in, C_out // groups, *kernel_size)
        PyTorch's ConvTranspose layout: input channels first.
    bias : array_like, shape (C_out,), optional
    stride : int or sequence of int, default 1
    padding : int, sequence of int or of (before, after) pairs, default 0
        Cells cropped from each end of the output (the padding of the matching conv).
    output_padding : int or sequence of int, default 0
        Cells added at the end of each output dimension; must be smaller than stride or
        dilation.  It picks one of the several output sizes that a strided conv maps to the
        same input size.
    groups : int, default 1
    dilation : int or sequence of int, default 1
    output_size : sequence of int, optional
        The output's spatial size, or ``(N, C_out, *spatial)``, as PyTorch's
        ``ConvTranspose*d.forward(input, output_size)`` takes it: the ``output_padding``
        that reaches it is chosen.  Per dimension from the size with ``output_padding=0``
        to ``stride - 1`` more (:func:`npconv.shapes.conv_transpose_size_range`).
    method : {"im2col", "loops"}
    workspace_bytes : int, optional
        Upper bound on the im2col column buffer, as for :func:`conv`.

    Returns
    -------
    ndarray, shape (N, C_out, *out_size)
        ``out = (in - 1) * stride - before - after + dilation * (kernel_size - 1)
        + output_padding + 1``, or ``output_size``.

    Raises
    ------
    ValueError
        If a shape, channel count or hyperparameter does not fit (``output_padding`` must be
        below ``max(stride, dilation)``), ``output_size`` is out of reach (the message
        names the legal range) or disagrees with a non-zero ``output_padding``, or if the
        output would exceed :data:`npconv.shapes.MAX_ARRAY_BYTES` (16 GiB); the message
        names it.
    TypeError
        If an argument has the wrong type.

    See Also
    --------
    conv, conv_transpose_backward, npconv.loops.conv_transpose, npconv.im2col.conv_transpose

    Notes
    -----
    Each input cell adds a copy of the kernel, scaled by its value, to the output window that
    the matching convolution would have read.  Equivalently: insert ``stride - 1`` zeros
    between the input cells, pad by ``dilation * (kernel_size - 1) - before`` (and ``- after``
    plus ``output_padding``), and run an ordinary convolution with the flipped kernel.

    ``output_size`` follows PyTorch's layers, quirk included: the sizes it may ask for run
    up to ``stride - 1`` cells past the smallest, whereas ``output_padding`` itself may go
    up to ``max(stride, dilation) - 1``; with a dilation above the stride some sizes are
    reachable by ``output_padding`` only.  npconv differs in two points: ``N`` and ``C_out``
    in front of ``output_size`` must be the output's (PyTorch ignores them), and a non-zero
    ``output_padding`` given with ``output_size`` must be the one it asks for (PyTorch's
    layers ignore their ``output_padding`` then, and so do :mod:`npconv.nn`'s).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[[1., 2.], [3., 4.]]]])
    >>> conv_transpose(x, np.ones((1, 1, 2, 2)), stride=2)
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.],
             [3., 3., 4., 4.],
             [3., 3., 4., 4.]]]])
    >>> conv_transpose(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2, padding=1,
    ...                output_padding=1).shape
    (1, 1, 6, 6)

    Or ask for the size: stride 2 makes 5 and 6 reachable, and ``output_size`` picks.

    >>> conv_transpose(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), stride=2, padding=1,
    ...                output_size=(6, 5)).shape
    (1, 1, 6, 5)
    """
    x, weight, bias = _floating(input=input, weight=weight, bias=bias)
    geometry, groups = _conv_transpose_geometry(x, weight, bias, stride, padding,
                                                output_padding, groups, dilation, output_size)
    _check_results(x.dtype, _conv_cause(x, weight, geometry),
                   output=(x.shape[0], weight.shape[1] * groups, *geometry.out_size))
    return _variant(method).conv_transpose(x, weight, bias, geometry.stride, geometry.padding,
                                           geometry.output_padding, groups, geometry.dilation,
                                           **_workspace(method, workspace_bytes))


@_ieee_quietly
def conv_transpose_backward(grad_output: ArrayLike, input: ArrayLike, weight: ArrayLike,
                            stride: Size = 1, padding: Padding = 0, output_padding: Size = 0,
                            groups: int = 1, dilation: Size = 1, *,
                            output_size: Optional[Sequence[int]] = None,
                            method: Method = "im2col",
                            workspace_bytes: Optional[int] = None) -> Gradients:
    """Gradients of :func:`conv_transpose` with respect to its input, weight and bias.

    Cheat sheet: "Transposed Convolution", run backwards.

    Parameters
    ----------
    grad_output : array_like, shape (N, C_out, *out_size)
        Gradient of the loss with respect to ``conv_transpose``'s output.
    input, weight, stride, padding, output_padding, groups, dilation, output_size
        As given to :func:`conv_transpose`.
    method, workspace_bytes
        As given to :func:`conv_transpose`.

    Returns
    -------
    Gradients
        ``(grad_input, grad_weight, grad_bias)`` with the shapes of input, weight
        ``(C_in, C_out // groups, *kernel_size)`` and ``(C_out,)``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as
        :func:`conv_transpose`.
    TypeError
        As :func:`conv_transpose`.

    See Also
    --------
    conv_transpose, conv, npconv.loops.conv_transpose_backward,
    npconv.im2col.conv_transpose_backward

    Notes
    -----
    The input gradient of a transposed convolution is an ordinary convolution of
    ``grad_output`` with the same weight.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1., 2.]]])
    >>> grads = conv_transpose_backward(np.ones((1, 1, 4)), x, np.ones((1, 1, 2)), stride=2)
    >>> grads.grad_input, grads.grad_weight, grads.grad_bias
    (array([[[2., 2.]]]), array([[[3., 3.]]]), array([4.]))
    """
    grad_output, x, weight = _floating(grad_output=grad_output, input=input, weight=weight)
    geometry, groups = _conv_transpose_geometry(x, weight, None, stride, padding,
                                                output_padding, groups, dilation, output_size)
    _check_grad_output(grad_output, (x.shape[0], weight.shape[1] * groups, *geometry.out_size))
    _check_results(x.dtype, _conv_cause(x, weight, geometry), grad_input=x.shape,
                   grad_weight=weight.shape)
    grads = _variant(method).conv_transpose_backward(
        grad_output, x, weight, geometry.stride, geometry.padding, geometry.output_padding,
        groups, geometry.dilation, **_workspace(method, workspace_bytes))
    return Gradients(*grads)


def _conv_transpose_geometry(x, weight, bias, stride, padding, output_padding, groups,
                             dilation, output_size):
    """Check a transposed convolution's arrays and arguments; return geometry and groups."""
    _check_input_and_weight(x, weight)
    N, C_in, *in_size = x.shape
    weight_in, C_out_per_group, *kernel_size = weight.shape
    groups = check_groups(groups, C_in)
    if weight_in != C_in:
        raise ValueError(
            f"input has C_in={C_in} channels but weight of shape {weight.shape} expects "
            f"weight.shape[0] = {weight_in} (conv_transpose weights are "
            f"(C_in, C_out // groups, *kernel_size))")
    _check_bias(bias, C_out_per_group * groups)
    geometry = conv_transpose_geometry(in_size, kernel_size, stride, padding, output_padding,
                                       dilation, output_size, (N, C_out_per_group * groups))
    return geometry, groups


# --------------------------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------------------------

@_ieee_quietly
def max_pool(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
             padding: Padding = 0, dilation: Size = 1, ceil_mode: bool = False,
             return_indices: bool = False, *, method: Method = "im2col",
             ) -> Union[FloatArray, tuple[FloatArray, NDArray[np.int64]]]:
    """N-d max pooling, as ``torch.nn.functional.max_pool{1,2,3}d``.

    Cheat sheet: "Pooling operation" (max pooling).  A pooling layer has no parameters.

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size)
    kernel_size : int or sequence of int
    stride : int or sequence of int, optional
        Defaults to ``kernel_size`` (also when ``()``, as in PyTorch).
    padding : int, sequence of int or of (before, after) pairs, default 0
        Each at most ``kernel_size // 2`` (PyTorch's rule).  Padded cells never win.
    dilation : int or sequence of int, default 1
    ceil_mode : bool, default False
        Round the output size up, keeping a last partial window as long as it starts
        inside the input or its left padding.
    return_indices : bool, default False
        Also return, for every output cell, the flat index of the winning cell within its
        ``(n, c)`` plane of the unpadded input (int64), as PyTorch does.
    method : {"im2col", "loops"}

    Returns
    -------
    out : ndarray, shape (N, C, *out_size)
        ``out = floor_or_ceil((in + before + after - dilation * (kernel_size - 1) - 1)
        / stride) + 1``.
    indices : ndarray of int64, shape (N, C, *out_size)
        Only if ``return_indices``.

    Raises
    ------
    ValueError
        If a hyperparameter does not fit (padding wider than half the kernel, a window that
        holds no input cell), or if the output would exceed
        :data:`npconv.shapes.MAX_ARRAY_BYTES` (16 GiB); the message names it.
    TypeError
        If an argument has the wrong type (flags must be bools).

    See Also
    --------
    max_pool_backward, avg_pool, npconv.loops.max_pool, npconv.im2col.max_pool

    Notes
    -----
    Ties go to the first maximum in row-major window order.  A NaN in a window makes the
    output NaN, and the index points at the window's last NaN (PyTorch's CPU rule).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> max_pool(x, 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    >>> out, indices = max_pool(x, 3, stride=2, ceil_mode=True, return_indices=True)
    >>> indices
    array([[[[10, 11],
             [14, 15]]]])
    """
    x, = _floating(input=input)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    return_indices = _flag(return_indices, "return_indices")
    geometry = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool")
    out_shape = (*x.shape[:2], *geometry.out_size)
    cause = _pool_cause(x, geometry, ceil_mode)
    _check_results(x.dtype, cause, output=out_shape)
    _check_results(np.int64, cause, indices=out_shape)
    out, indices = _variant(method).max_pool(x, *geometry[:4], ceil_mode)
    return (out, indices) if return_indices else out


@_ieee_quietly
def max_pool_backward(grad_output: ArrayLike, input: ArrayLike, kernel_size: Size,
                      stride: Optional[Size] = None, padding: Padding = 0, dilation: Size = 1,
                      ceil_mode: bool = False, *, method: Method = "im2col") -> FloatArray:
    """Gradient of :func:`max_pool` with respect to its input.

    Cheat sheet: "Pooling operation" (max pooling), run backwards.  Each output cell's
    gradient goes to the cell that won its window (the first maximum, as the forward's
    ``indices`` say); cells that won several windows collect several gradients, all
    others get zero.

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *out_size)
        Gradient of the loss with respect to ``max_pool``'s output.
    input, kernel_size, stride, padding, dilation, ceil_mode, method
        As given to :func:`max_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as :func:`max_pool`.
    TypeError
        As :func:`max_pool`.

    See Also
    --------
    max_pool, npconv.loops.max_pool_backward, npconv.im2col.max_pool_backward

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[1., 5., 2., 7., 3.]]])
    >>> max_pool_backward(np.ones((1, 1, 2)), x, 2)
    array([[[0., 1., 0., 1., 0.]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    geometry = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool")
    _check_grad_output(grad_output, (*x.shape[:2], *geometry.out_size))
    _check_results(x.dtype, _pool_cause(x, geometry, ceil_mode), grad_input=x.shape)
    return _variant(method).max_pool_backward(grad_output, x, *geometry[:4], ceil_mode)


@_ieee_quietly
def avg_pool(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
             padding: Padding = 0, ceil_mode: bool = False, count_include_pad: bool = True,
             divisor_override: Optional[int] = None, *, method: Method = "im2col",
             ) -> FloatArray:
    """N-d average pooling, as ``torch.nn.functional.avg_pool{1,2,3}d``.

    Cheat sheet: "Pooling operation" (average pooling).

    Parameters
    ----------
    input : array_like, shape (N, C, *in_size)
    kernel_size : int or sequence of int
        A window holds at most 2**63 - 1 cells (its divisor is an int64).
    stride : int or sequence of int, optional
        Defaults to ``kernel_size`` (also when ``()``, as in PyTorch).
    padding : int, sequence of int or of (before, after) pairs, default 0
        Zero padding, each at most ``kernel_size // 2``.
    ceil_mode : bool, default False
        As in :func:`max_pool`.
    count_include_pad : bool, default True
        Whether the divisor counts the zero padding a window overlaps.  It never counts the
        part of a ``ceil_mode`` window that hangs beyond the right padding.
    divisor_override : int, optional
        If given, every window is divided by this instead: a non-zero int64, as in PyTorch
        (negative values are allowed).
    method : {"im2col", "loops"}

    Returns
    -------
    ndarray, shape (N, C, *out_size)
        Same output-size formula as :func:`max_pool` with dilation 1.

    Raises
    ------
    ValueError
        If a hyperparameter does not fit (padding wider than half the kernel,
        ``divisor_override=0``), or if the output would exceed
        :data:`npconv.shapes.MAX_ARRAY_BYTES` (16 GiB); the message names it.
    TypeError
        If an argument has the wrong type (flags must be bools).

    See Also
    --------
    avg_pool_backward, max_pool, npconv.loops.avg_pool, npconv.im2col.avg_pool

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(16.).reshape(1, 1, 4, 4)
    >>> avg_pool(x, 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    >>> avg_pool(np.ones((1, 1, 3)), 3, stride=1, padding=1)        # padding counted
    array([[[0.66666667, 1.        , 0.66666667]]])
    >>> avg_pool(np.ones((1, 1, 3)), 3, stride=1, padding=1, count_include_pad=False)
    array([[[1., 1., 1.]]])
    """
    x, = _floating(input=input)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    count_include_pad = _flag(count_include_pad, "count_include_pad")
    geometry = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool")
    kernel_size, stride, padding, _, out_size = geometry
    divisor_override = check_divisor_override(divisor_override)
    _check_results(x.dtype, _pool_cause(x, geometry, ceil_mode),
                   output=(*x.shape[:2], *out_size))
    return _variant(method).avg_pool(x, kernel_size, stride, padding, ceil_mode,
                                     count_include_pad, divisor_override)


@_ieee_quietly
def avg_pool_backward(grad_output: ArrayLike, input: ArrayLike, kernel_size: Size,
                      stride: Optional[Size] = None, padding: Padding = 0,
                      ceil_mode: bool = False, count_include_pad: bool = True,
                      divisor_override: Optional[int] = None, *, method: Method = "im2col",
                      ) -> FloatArray:
    """Gradient of :func:`avg_pool` with respect to its input.

    Cheat sheet: "Pooling operation" (average pooling), run backwards.  Each output cell's
    gradient, divided by its window's divisor, is added to every input cell of the window.

    Parameters
    ----------
    grad_output : array_like, shape (N, C, *out_size)
        Gradient of the loss with respect to ``avg_pool``'s output.
    input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, method
        As given to :func:`avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, *in_size)
        The gradient with respect to ``input``.

    Raises
    ------
    ValueError
        If ``grad_output``'s shape is not the forward's output shape, or as :func:`avg_pool`.
    TypeError
        As :func:`avg_pool`.

    See Also
    --------
    avg_pool, npconv.loops.avg_pool_backward, npconv.im2col.avg_pool_backward

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool_backward(np.ones((1, 1, 2)), np.zeros((1, 1, 4)), 2)
    array([[[0.5, 0.5, 0.5, 0.5]]])
    """
    grad_output, x = _floating(grad_output=grad_output, input=input)
    ceil_mode = _flag(ceil_mode, "ceil_mode")
    count_include_pad = _flag(count_include_pad, "count_include_pad")
    geometry = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool")
    kernel_size, stride, padding, _, out_size = geometry
    divisor_override = check_divisor_override(divisor_override)
    _check_grad_output(grad_output, (*x.shape[:2], *out_size))
    _check_results(x.dtype, _pool_cause(x, geometry, ceil_mode), grad_input=x.shape)
    return _variant(method).avg_pool_backward(grad_output, x, kernel_size, stride, padding,
                                              ceil_mode, count_include_pad, divisor_override)


def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode, op_name):
    """Check a pooling's input and arguments; return its normalised :class:`PoolGeometry`."""
    if x.ndim < 3:
        raise ValueError(f"input must have shape (N, C, *spatial) with at least one spatial "
                         f"dimension, got shape {x.shape}")
    geometry = pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode,
                             op_name)
    if op_name == "avg_pool":
        check_window_cells(geometry.kernel_size)
    return geometry


def _pool_cause(x, geometry, ceil_mode):
    """The arguments that make a pooling's results as large as they are, as text."""
    return (f"input of shape {x.shape} with "
            + ", ".join(f"{name}={value}" for name, value in geometry._asdict().items()
                        if name != "out_size")
            + f", ceil_mode={ceil_mode}")


def _flag(value, name):
    """``value`` as a bool; anything but a bool (a string such as "no" is truthy) is refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}={short_repr(value)} must be True or False")
    return bool(value)


# --------------------------------------------------------------------------------------------
# Shared checks
# --------------------------------------------------------------------------------------------

def _variant(method):
    """The module that implements ``method``."""
    if isinstance(method, str) and method in METHODS:
        return loops if method == "loops" else im2col
    raise ValueError(f"method={short_repr(method)} is not one of {METHODS}")


def _workspace(method, workspace_bytes):
    """The ``workspace_bytes`` option for the im2col variant, as a Python int; loops take none."""
    if workspace_bytes is not None:
        if not is_int(workspace_bytes):
            raise TypeError(f"workspace_bytes={short_repr(workspace_bytes)} must be an int or "
                            f"None")
        workspace_bytes = int(workspace_bytes)      # np.uint8(2) would overflow later
        if workspace_bytes < 1:
            raise ValueError(f"workspace_bytes={workspace_bytes} must be >= 1")
        check_int64([workspace_bytes], "workspace_bytes", workspace_bytes)
    return {"workspace_bytes": workspace_bytes} if method == "im2col" else {}


def _floating(**arrays):
    """The arrays as ndarrays of one floating dtype; only ``bias`` may be ``None``.

    Integer and boolean arrays count as float64; the rest keep their floating type and all
    are cast to the common one (a cast that would exceed the memory bound is refused).
    Returns a list in the order given.
    """
    converted = {name: None if name == "bias" and value is None else _as_array(value, name)
                 for name, value in arrays.items()}
    present = [a for a in converted.values() if a is not None]
    dtype = np.result_type(*(np.float64 if a.dtype.kind in "biu" else a.dtype for a in present))
    cast = []
    for name, array in converted.items():
        if array is not None and array.dtype != dtype:
            check_array_bytes(array.shape, dtype.itemsize, f"{name} as {dtype}",
                              f"{name} of shape {array.shape} and dtype {array.dtype}")
            array = array.astype(dtype)
        cast.append(array)
    return cast


def _is_masked(value):
    """True for a NumPy masked array.

    Asked without importing ``numpy.ma`` (NumPy loads it lazily, a megabyte of module): if
    nothing has imported it yet, no masked array can exist.
    """
    masked_module = sys.modules.get("numpy.ma")
    return masked_module is not None and isinstance(value, masked_module.MaskedArray)


def _as_array(value, name):
    """``value`` as an ndarray of real numbers (bool, int or float), or an error naming it."""
    if value is None:
        raise TypeError(f"{name}=None: expected an array of real numbers")
    if _is_masked(value):
        raise TypeError(f"{name} is a masked array, whose mask npconv would ignore; pass "
                        f"{name}.filled(fill_value) to choose what the masked cells hold")
    try:
        array = np.asarray(value)
    except ValueError as error:
        if "inhomogeneous" not in str(error):
            raise ValueError(f"{name}={short_repr(value)} cannot be read as an array: "
                             f"{error}") from None
        raise ValueError(f"{name}={short_repr(value)} is ragged: its nested sequences differ "
                         f"in length, so it has no array shape") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {array.dtype} "
                        f"(shape {array.shape})")
    return array


def _check_results(dtype, cause, **shapes):
    """Refuse, before anything is allocated, a result larger than the memory bound.

    ``shapes`` maps each result's name (``output``, ``indices``, ``grad_input``, ...) to its
    shape.
    """
    for name, shape in shapes.items():
        what = name if name.startswith("grad_") else f"the {name}"
        check_array_bytes(shape, np.dtype(dtype).itemsize, what, cause)


def _check_input_and_weight(x, weight):
    """Check that input is (N, C, *spatial) and weight has the same rank; return the rank."""
    if x.ndim < 3:
        raise ValueError(f"input must have shape (N, C, *spatial) with at least one spatial "
                         f"dimension, got shape {x.shape}")
    if weight.ndim != x.ndim:
        hint = ""
        if weight.ndim == x.ndim + 1:
            hint = (f"; the input looks unbatched: give it a batch axis (N, C, *spatial), or "
                    f"use the rank-checked alias (conv{x.ndim - 1}d or "
                    f"conv_transpose{x.ndim - 1}d), which accepts (C, *spatial)")
        raise ValueError(f"weight must have {x.ndim} dimensions to match input of shape "
                         f"{x.shape}, got shape {weight.shape}{hint}")
    if min(weight.shape[2:]) < 1:
        raise ValueError(f"kernel_size={weight.shape[2:]} (weight.shape[2:]) must be >= 1 in "
                         f"every dimension")
    return x.ndim - 2


def _check_bias(bias, C_out):
    if bias is not None and bias.shape != (C_out,):
        raise ValueError(f"bias must have shape (C_out,) = ({C_out},), got {bias.shape}")


def _check_grad_output(grad_output, expected_shape):
    if grad_output.shape != tuple(expected_shape):
        raise ValueError(f"grad_output has shape {grad_output.shape}, but the forward's output "
                         f"shape is {tuple(expected_shape)}")


# --------------------------------------------------------------------------------------------
# PyTorch's names, with a fixed number of spatial dimensions
# --------------------------------------------------------------------------------------------

def _with_rank(op, spatial_dims, name, input, *args, **kwargs):
    """Run ``op`` on an input of exactly ``spatial_dims`` spatial dimensions, batched or not.

    Like PyTorch, an unbatched input ``(C, *spatial)`` gives an unbatched output.
    """
    x = _as_array(input, "input")
    if x.ndim == spatial_dims + 2:
        return op(x, *args, **kwargs)
    if x.ndim == spatial_dims + 1:
        result = op(x[np.newaxis], *args, **kwargs)
        if isinstance(result, tuple):
            return tuple(r[0] for r in result)
        return result[0]
    letters = ", ".join(dimension_names(spatial_dims))
    raise ValueError(f"{name} expects input of shape (N, C, {letters}) or (C, {letters}), got "
                     f"shape {x.shape}")


def _conv_transpose_with_rank(spatial_dims, name, input, *args, output_size, **kwargs):
    """:func:`conv_transpose` through :func:`_with_rank`, with PyTorch's unbatched
    ``output_size``.

    For an unbatched input ``(C_in, *spatial)`` PyTorch's ``ConvTranspose*d`` takes an
    ``output_size`` of the spatial sizes or of ``(C_out, *spatial)`` (not ``(N, C_out,
    ...)``): the ``C_out`` is taken off here and checked against the output.
    """
    x = _as_array(input, "input")
    channels = None
    if x.ndim == spatial_dims + 1 and is_sequence(output_size):
        given = output_size
        if len(given) not in (spatial_dims, spatial_dims + 1):
            raise ValueError(f"output_size={short_repr(given)} has {len(given)} entries; "
                             f"for an unbatched input {name} takes {spatial_dims} (the spatial "
                             f"size) or {spatial_dims + 1} (C_out and the spatial size)")
        if len(given) == spatial_dims + 1:
            sizes = tuple(given)                      # a list, tuple, range or integer array
            if not all(is_int(size) for size in sizes):
                raise TypeError(f"output_size={short_repr(given)} must hold ints")
            channels, output_size = int(sizes[0]), sizes[1:]
    out = _with_rank(conv_transpose, spatial_dims, name, x, *args, output_size=output_size,
                     **kwargs)
    if channels is not None and channels != out.shape[0]:
        raise ValueError(f"output_size={short_repr(given)} starts with C = "
                         f"{channels}, but the output has C = {out.shape[0]}; give the "
                         f"spatial size only, or the output's C")
    return out


def conv1d(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
           stride: Size = 1, padding: ConvPadding = 0, dilation: Size = 1, groups: int = 1, *,
           padding_mode: PaddingMode = "zeros", method: Method = "im2col",
           workspace_bytes: Optional[int] = None) -> FloatArray:
    """1-D convolution, as ``torch.nn.functional.conv1d``: :func:`conv` on one spatial axis.

    Parameters
    ----------
    input : array_like, shape (N, C_in, L) or unbatched (C_in, L)
    weight : array_like, shape (C_out, C_in // groups, kernel_size)
    bias, stride, padding, dilation, groups, padding_mode, method, workspace_bytes
        As for :func:`conv`.

    Returns
    -------
    ndarray, shape (N, C_out, L_out), or (C_out, L_out) for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`conv`.
    TypeError
        As :func:`conv`.

    See Also
    --------
    conv, conv2d, conv3d, conv_transpose1d

    Examples
    --------
    >>> import numpy as np
    >>> conv1d(np.arange(5.).reshape(1, 1, 5), np.ones((1, 1, 3)))
    array([[[3., 6., 9.]]])
    >>> conv1d(np.arange(5.).reshape(1, 5), np.ones((1, 1, 3)), padding="same")   # unbatched
    array([[1., 3., 6., 9., 7.]])
    """
    return _with_rank(conv, 1, "conv1d", input, weight, bias, stride, padding, dilation, groups,
                      padding_mode=padding_mode, method=method, workspace_bytes=workspace_bytes)


def conv2d(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
           stride: Size = 1, padding: ConvPadding = 0, dilation: Size = 1, groups: int = 1, *,
           padding_mode: PaddingMode = "zeros", method: Method = "im2col",
           workspace_bytes: Optional[int] = None) -> FloatArray:
    """2-D convolution, as ``torch.nn.functional.conv2d``: :func:`conv` on images.

    Parameters
    ----------
    input : array_like, shape (N, C_in, H, W) or unbatched (C_in, H, W)
    weight : array_like, shape (C_out, C_in // groups, kH, kW)
    bias, stride, padding, dilation, groups, padding_mode, method, workspace_bytes
        As for :func:`conv`.

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out), or (C_out, H_out, W_out) for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`conv`.
    TypeError
        As :func:`conv`.

    See Also
    --------
    conv, conv1d, conv3d, conv_transpose2d

    Examples
    --------
    An unbatched 1-channel 4x4 image, a 2x2 kernel of ones, stride 2:

    >>> import numpy as np
    >>> conv2d(np.arange(16.).reshape(1, 4, 4), np.ones((1, 1, 2, 2)), stride=2)
    array([[[10., 18.],
            [42., 50.]]])
    """
    return _with_rank(conv, 2, "conv2d", input, weight, bias, stride, padding, dilation, groups,
                      padding_mode=padding_mode, method=method, workspace_bytes=workspace_bytes)


def conv3d(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
           stride: Size = 1, padding: ConvPadding = 0, dilation: Size = 1, groups: int = 1, *,
           padding_mode: PaddingMode = "zeros", method: Method = "im2col",
           workspace_bytes: Optional[int] = None) -> FloatArray:
    """3-D convolution, as ``torch.nn.functional.conv3d``: :func:`conv` on volumes.

    Parameters
    ----------
    input : array_like, shape (N, C_in, D, H, W) or unbatched (C_in, D, H, W)
    weight : array_like, shape (C_out, C_in // groups, kD, kH, kW)
    bias, stride, padding, dilation, groups, padding_mode, method, workspace_bytes
        As for :func:`conv`.

    Returns
    -------
    ndarray, shape (N, C_out, D_out, H_out, W_out), or without N for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`conv`.
    TypeError
        As :func:`conv`.

    See Also
    --------
    conv, conv1d, conv2d, conv_transpose3d

    Examples
    --------
    >>> import numpy as np
    >>> out = conv3d(np.ones((2, 4, 4, 4)), np.ones((3, 2, 2, 2, 2)), padding=(1, 0, 0))
    >>> out.shape, float(out[0, 0, 0, 0])         # 2 channels * 2*2*2 taps, half on padding
    ((3, 5, 3, 3), 8.0)
    """
    return _with_rank(conv, 3, "conv3d", input, weight, bias, stride, padding, dilation, groups,
                      padding_mode=padding_mode, method=method, workspace_bytes=workspace_bytes)


def conv_transpose1d(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
                     stride: Size = 1, padding: Padding = 0, output_padding: Size = 0,
                     groups: int = 1, dilation: Size = 1, *,
                     output_size: Optional[Sequence[int]] = None, method: Method = "im2col",
                     workspace_bytes: Optional[int] = None) -> FloatArray:
    """1-D transposed convolution, as ``torch.nn.functional.conv_transpose1d``.

    :func:`conv_transpose` on one spatial axis.

    Parameters
    ----------
    input : array_like, shape (N, C_in, L) or unbatched (C_in, L)
    weight : array_like, shape (C_in, C_out // groups, kernel_size)
    bias, stride, padding, output_padding, groups, dilation
        As for :func:`conv_transpose`.
    output_size : sequence of int, optional
        As for :func:`conv_transpose`; for an unbatched input also ``(C_out, *spatial)``,
        as PyTorch's ``ConvTranspose1d`` takes it.
    method, workspace_bytes
        As for :func:`conv_transpose`.

    Returns
    -------
    ndarray, shape (N, C_out, L_out), or (C_out, L_out) for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`conv_transpose`.
    TypeError
        As :func:`conv_transpose`.

    See Also
    --------
    conv_transpose, conv1d

    Examples
    --------
    Each input cell stamps a copy of the kernel, ``stride`` cells after the previous one:

    >>> import numpy as np
    >>> conv_transpose1d(np.array([[1., 2.]]), np.array([[[1., 10.]]]), stride=3)
    array([[ 1., 10.,  0.,  2., 20.]])
    """
    return _conv_transpose_with_rank(1, "conv_transpose1d", input, weight, bias, stride,
                                     padding, output_padding, groups, dilation,
                                     output_size=output_size, method=method,
                                     workspace_bytes=workspace_bytes)


def conv_transpose2d(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
                     stride: Size = 1, padding: Padding = 0, output_padding: Size = 0,
                     groups: int = 1, dilation: Size = 1, *,
                     output_size: Optional[Sequence[int]] = None, method: Method = "im2col",
                     workspace_bytes: Optional[int] = None) -> FloatArray:
    """2-D transposed convolution, as ``torch.nn.functional.conv_transpose2d``.

    :func:`conv_transpose` on images: the upsampling layer of a decoder or a GAN generator.

    Parameters
    ----------
    input : array_like, shape (N, C_in, H, W) or unbatched (C_in, H, W)
    weight : array_like, shape (C_in, C_out // groups, kH, kW)
    bias, stride, padding, output_padding, groups, dilation
        As for :func:`conv_transpose`.
    output_size : sequence of int, optional
        As for :func:`conv_transpose`; for an unbatched input also ``(C_out, *spatial)``,
        as PyTorch's ``ConvTranspose2d`` takes it.
    method, workspace_bytes
        As for :func:`conv_transpose`.

    Returns
    -------
    ndarray, shape (N, C_out, H_out, W_out), or (C_out, H_out, W_out) for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`conv_transpose`.
    TypeError
        As :func:`conv_transpose`.

    See Also
    --------
    conv_transpose, conv2d

    Examples
    --------
    DCGAN's doubling layer, kernel 4, stride 2, padding 1: 4x4 becomes 8x8.

    >>> import numpy as np
    >>> conv_transpose2d(np.ones((1, 8, 4, 4)), np.ones((8, 3, 4, 4)), stride=2,
    ...                  padding=1).shape
    (1, 3, 8, 8)
    """
    return _conv_transpose_with_rank(2, "conv_transpose2d", input, weight, bias, stride,
                                     padding, output_padding, groups, dilation,
                                     output_size=output_size, method=method,
                                     workspace_bytes=workspace_bytes)


def conv_transpose3d(input: ArrayLike, weight: ArrayLike, bias: Optional[ArrayLike] = None,
                     stride: Size = 1, padding: Padding = 0, output_padding: Size = 0,
                     groups: int = 1, dilation: Size = 1, *,
                     output_size: Optional[Sequence[int]] = None, method: Method = "im2col",
                     workspace_bytes: Optional[int] = None) -> FloatArray:
    """3-D transposed convolution, as ``torch.nn.functional.conv_transpose3d``.

    :func:`conv_transpose` on volumes.

    Parameters
    ----------
    input : array_like, shape (N, C_in, D, H, W) or unbatched (C_in, D, H, W)
    weight : array_like, shape (C_in, C_out // groups, kD, kH, kW)
    bias, stride, padding, output_padding, groups, dilation
        As for :func:`conv_transpose`.
    output_size : sequence of int, optional
        As for :func:`conv_transpose`; for an unbatched input also ``(C_out, *spatial)``,
        as PyTorch's ``ConvTranspose3d`` takes it.
    method, workspace_bytes
        As for :func:`conv_transpose`.

    Returns
    -------
    ndarray, shape (N, C_out, D_out, H_out, W_out), or without N for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`conv_transpose`.
    TypeError
        As :func:`conv_transpose`.

    See Also
    --------
    conv_transpose, conv3d

    Examples
    --------
    ``output_padding`` picks the odd size: (3 - 1) * 2 - 2 + 3 + 1 = 6 instead of 5.

    >>> import numpy as np
    >>> conv_transpose3d(np.ones((2, 3, 3, 3)), np.ones((2, 1, 3, 3, 3)), stride=2, padding=1,
    ...                  output_padding=(1, 0, 1)).shape
    (1, 6, 5, 6)
    """
    return _conv_transpose_with_rank(3, "conv_transpose3d", input, weight, bias, stride,
                                     padding, output_padding, groups, dilation,
                                     output_size=output_size, method=method,
                                     workspace_bytes=workspace_bytes)


def max_pool1d(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
               padding: Padding = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False, *, method: Method = "im2col",
               ) -> Union[FloatArray, tuple[FloatArray, NDArray[np.int64]]]:
    """1-D max pooling, as ``torch.nn.functional.max_pool1d``: :func:`max_pool` on one axis.

    Parameters
    ----------
    input : array_like, shape (N, C, L) or unbatched (C, L)
    kernel_size, stride, padding, dilation, ceil_mode, return_indices, method
        As for :func:`max_pool`.

    Returns
    -------
    out : ndarray, shape (N, C, L_out), or (C, L_out) for an unbatched input
    indices : ndarray of int64, the same shape
        Only if ``return_indices``.

    Raises
    ------
    ValueError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`max_pool`.
    TypeError
        As :func:`max_pool`.

    See Also
    --------
    max_pool, avg_pool1d

    Examples
    --------
    >>> import numpy as np
    >>> max_pool1d(np.array([[1., 5., 2., 7., 3.]]), 2, ceil_mode=True, return_indices=True)
    (array([[5., 7., 3.]]), array([[1, 3, 4]]))
    """
    return _with_rank(max_pool, 1, "max_pool1d", input, kernel_size, stride, padding, dilation,
                      ceil_mode, return_indices, method=method)


def max_pool2d(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
               padding: Padding = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False, *, method: Method = "im2col",
               ) -> Union[FloatArray, tuple[FloatArray, NDArray[np.int64]]]:
    """2-D max pooling, as ``torch.nn.functional.max_pool2d``: :func:`max_pool` on images.

    Parameters
    ----------
    input : array_like, shape (N, C, H, W) or unbatched (C, H, W)
    kernel_size, stride, padding, dilation, ceil_mode, return_indices, method
        As for :func:`max_pool`.

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out), or (C, H_out, W_out) for an unbatched input
    indices : ndarray of int64, the same shape
        Only if ``return_indices``.

    Raises
    ------
    ValueError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`max_pool`.
    TypeError
        As :func:`max_pool`.

    See Also
    --------
    max_pool, avg_pool2d

    Examples
    --------
    PyTorch's forms work: ``stride=()`` is the kernel size, ``padding=(1,)`` pads both axes.

    >>> import numpy as np
    >>> max_pool2d(np.arange(16.).reshape(1, 4, 4), 3, stride=(), padding=(1,))
    array([[[ 5.,  7.],
            [13., 15.]]])
    """
    return _with_rank(max_pool, 2, "max_pool2d", input, kernel_size, stride, padding, dilation,
                      ceil_mode, return_indices, method=method)


def max_pool3d(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
               padding: Padding = 0, dilation: Size = 1, ceil_mode: bool = False,
               return_indices: bool = False, *, method: Method = "im2col",
               ) -> Union[FloatArray, tuple[FloatArray, NDArray[np.int64]]]:
    """3-D max pooling, as ``torch.nn.functional.max_pool3d``: :func:`max_pool` on volumes.

    Parameters
    ----------
    input : array_like, shape (N, C, D, H, W) or unbatched (C, D, H, W)
    kernel_size, stride, padding, dilation, ceil_mode, return_indices, method
        As for :func:`max_pool`.

    Returns
    -------
    out : ndarray, shape (N, C, D_out, H_out, W_out), or without N for an unbatched input
    indices : ndarray of int64, the same shape
        Only if ``return_indices``.

    Raises
    ------
    ValueError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`max_pool`.
    TypeError
        As :func:`max_pool`.

    See Also
    --------
    max_pool, avg_pool3d

    Examples
    --------
    >>> import numpy as np
    >>> out, indices = max_pool3d(np.arange(8.).reshape(1, 2, 2, 2), 2, return_indices=True)
    >>> out, indices                    # the last cell of the cube is its maximum
    (array([[[[7.]]]]), array([[[[7]]]]))
    """
    return _with_rank(max_pool, 3, "max_pool3d", input, kernel_size, stride, padding, dilation,
                      ceil_mode, return_indices, method=method)


def avg_pool1d(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
               padding: Padding = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None, *, method: Method = "im2col",
               ) -> FloatArray:
    """1-D average pooling, as ``torch.nn.functional.avg_pool1d``: :func:`avg_pool` on one axis.

    ``divisor_override`` is accepted here too (PyTorch's 1-D function has none).

    Parameters
    ----------
    input : array_like, shape (N, C, L) or unbatched (C, L)
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, method
        As for :func:`avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, L_out), or (C, L_out) for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 2 nor 3 dimensions, or as :func:`avg_pool`.
    TypeError
        As :func:`avg_pool`.

    See Also
    --------
    avg_pool, max_pool1d

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool1d(np.array([[2., 4., 6.]]), 2, stride=1, padding=1)     # padding counted
    array([[1., 3., 5., 3.]])
    """
    return _with_rank(avg_pool, 1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override, method=method)


def avg_pool2d(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
               padding: Padding = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None, *, method: Method = "im2col",
               ) -> FloatArray:
    """2-D average pooling, as ``torch.nn.functional.avg_pool2d``: :func:`avg_pool` on images.

    Parameters
    ----------
    input : array_like, shape (N, C, H, W) or unbatched (C, H, W)
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, method
        As for :func:`avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, H_out, W_out), or (C, H_out, W_out) for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 3 nor 4 dimensions, or as :func:`avg_pool`.
    TypeError
        As :func:`avg_pool`.

    See Also
    --------
    avg_pool, max_pool2d

    Examples
    --------
    >>> import numpy as np
    >>> avg_pool2d(np.arange(16.).reshape(1, 1, 4, 4), 2, divisor_override=1)   # window sums
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    return _with_rank(avg_pool, 2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override, method=method)


def avg_pool3d(input: ArrayLike, kernel_size: Size, stride: Optional[Size] = None,
               padding: Padding = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Optional[int] = None, *, method: Method = "im2col",
               ) -> FloatArray:
    """3-D average pooling, as ``torch.nn.functional.avg_pool3d``: :func:`avg_pool` on volumes.

    Parameters
    ----------
    input : array_like, shape (N, C, D, H, W) or unbatched (C, D, H, W)
    kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, method
        As for :func:`avg_pool`.

    Returns
    -------
    ndarray, shape (N, C, D_out, H_out, W_out), or without N for an unbatched input

    Raises
    ------
    ValueError
        If ``input`` has neither 4 nor 5 dimensions, or as :func:`avg_pool`.
    TypeError
        As :func:`avg_pool`.

    See Also
    --------
    avg_pool, max_pool3d

    Examples
    --------
    A corner window with padding 1 holds 1 of its 8 cells: 1/8 counting the padding, 1 not.

    >>> import numpy as np
    >>> x = np.ones((1, 2, 2, 2))
    >>> float(avg_pool3d(x, 2, padding=1)[0, 0, 0, 0])
    0.125
    >>> float(avg_pool3d(x, 2, padding=1, count_include_pad=False)[0, 0, 0, 0])
    1.0
    """
    return _with_rank(avg_pool, 3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                      count_include_pad, divisor_override, method=method)
