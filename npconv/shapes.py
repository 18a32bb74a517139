"""Shape arithmetic: every formula of the cheat sheet, written once.

Cheat sheet sections: "Calculate output's dimension" (the output-size formula), "Padding"
(valid and same), "Dilated Convolution" (the effective kernel), "Transposed Convolution"
(its output size) and the parameter count.  The validation helpers that turn bad arguments
into clear errors live here too, so that every message states the formula it checked.

Every size function works on one spatial dimension and plain Python ints; the ``*_shape``
helpers apply it to each dimension in turn.  A padding here is always a ``(before, after)``
pair: the symmetric ``padding`` of the cheat sheet is the pair ``(p, p)``.

Examples
--------
The cheat sheet's formula for a 32-wide input, a 3-wide kernel, stride 2 and padding 1:

>>> conv_output_size(32, kernel_size=3, stride=2, padding=(1, 1))
16
>>> effective_kernel_size(3, dilation=2)
5
>>> same_padding(7, kernel_size=3, stride=2)
(1, 1)
"""

import math
import numbers
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from .padding import PADDING_MODES, is_int, is_sequence, taps_on_input

__all__ = [
    "ceil_div",
    "effective_kernel_size",
    "conv_output_size",
    "conv_transpose_output_size",
    "pool_output_size",
    "same_padding",
    "output_padding_for",
    "conv_transpose_size_range",
    "conv_parameter_count",
    "receptive_field",
    "pool_window_counts",
    "avg_pool_divisors",
    "window",
    "window_taps",
    "clipped_window",
    "window_cells",
    "ceil_mode_window_counts",
    "output_padding_limit",
    "pool_padding_limit",
    "window_argmax",
    "window_reach",
    "transposed_conv_as_conv_padding",
    "ConvGeometry",
    "ConvTransposeGeometry",
    "PoolGeometry",
    "conv_geometry",
    "conv_transpose_geometry",
    "pool_geometry",
    "pool_stride",
    "check_groups",
    "check_padding_mode",
    "conv_padding",
    "check_output_padding",
    "check_pool_padding",
    "first_empty_window",
    "check_window_holds_input",
    "check_divisor_override",
    "check_window_cells",
    "taps_text",
    "INT64_MAX",
    "MAX_ARRAY_BYTES",
    "check_array_bytes",
]


# --------------------------------------------------------------------------------------------
# The formulas, one spatial dimension at a time
# --------------------------------------------------------------------------------------------

def ceil_div(a, b):
    """``ceil(a / b)`` for ints, exactly (no float rounding, however large ``a`` is).

    Examples
    --------
    >>> ceil_div(7, 2), ceil_div(8, 2), ceil_div(-3, 2)
    (4, 4, -1)
    """
    return -(-a // b)


_SMALLEST = {
    "in_size": (0, "it is a length, and an empty axis has length 0"),
    "target_size": (1, "a transposed convolution gives at least one cell"),
    "kernel_size": (1, "a kernel has at least one tap"),
    "stride": (1, "each window starts at least one cell after the one before"),
    "dilation": (1, "1 puts the taps side by side"),
    "output_padding": (0, "it adds cells at the end"),
    "in_channels": (0, "it is a count"),
    "out_channels": (0, "it is a count"),
    "groups": (1, "the channels split into at least one group"),
}
"""The public size helpers' int parameters: the smallest value each takes, and why."""


def _size_argument(name, value, where=""):
    """``value`` as a Python int, or an error naming ``name``, ``value`` and the smallest value
    :data:`_SMALLEST` allows (so that a helper never computes with a float, a bool, a zero
    stride or a negative length); ``where`` starts the message (which layer, which entry)."""
    smallest, why = _SMALLEST[name]
    if not is_int(value):
        raise TypeError(f"{where}{name}={short_repr(value)} must be an int, not "
                        f"{type(value).__name__}")
    if value < smallest:
        raise ValueError(f"{where}{name}={value} must be at least {smallest}: {why}")
    return int(value)


def _padding_pair(padding, crop=False):
    """``padding`` as a ``(before, after)`` pair of Python ints, or an error naming it; a
    negative entry (a crop) is an error unless ``crop``."""
    if not (is_sequence(padding) and len(padding) == 2 and all(is_int(v) for v in padding)):
        example = (f" (for padding {padding} on both sides, write ({padding}, {padding}))"
                   if is_int(padding) else "")
        raise TypeError(f"padding={short_repr(padding)} must be a (before, after) pair of "
                        f"ints{example}")
    before, after = (int(v) for v in padding)
    if not crop and (before < 0 or after < 0):
        raise ValueError(f"padding={(before, after)} must not be negative: it counts the "
                         f"cells added before and after")
    return before, after


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``dilation * (kernel_size - 1) + 1`` cells.

    Cheat sheet: "Dilated Convolution".  A 3-tap kernel with dilation 2 touches cells
    0, 2 and 4, so it spans 5 cells while keeping 3 weights.

    Parameters
    ----------
    kernel_size : int
        Taps of the kernel along one dimension, at least 1.
    dilation : int, default 1
        Distance between neighbouring taps, at least 1 (1: no holes).

    Returns
    -------
    int
        Cells from the first tap to the last, both included.

    Raises
    ------
    TypeError
        If ``kernel_size`` or ``dilation`` is not an int.
    ValueError
        If ``kernel_size`` or ``dilation`` is below 1.

    See Also
    --------
    receptive_field, conv_output_size, npconv.conv

    Notes
    -----
    The number of weights stays ``kernel_size``; only the span grows.  Every output-size
    formula uses the span where the cheat sheet, without dilation, writes ``kernel_size``.

    Examples
    --------
    >>> effective_kernel_size(3, dilation=1), effective_kernel_size(3, dilation=2)
    (3, 5)
    >>> effective_kernel_size(3, dilation=0)
    Traceback (most recent call last):
    ...
    ValueError: dilation=0 must be at least 1: 1 puts the taps side by side
    """
    kernel_size = _size_argument("kernel_size", kernel_size)
    dilation = _size_argument("dilation", dilation)
    return dilation * (kernel_size - 1) + 1


def conv_output_size(in_size: int, kernel_size: int, stride: int = 1,
                     padding: tuple[int, int] = (0, 0), dilation: int = 1) -> int:
    """Output length of a convolution along one dimension.

    ``floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1``

    This is the cheat sheet's formula ("Calculate output's dimension") with the symmetric
    ``2 * padding`` generalised to a ``(before, after)`` pair.

    Parameters
    ----------
    in_size : int
        Length of the input along the dimension, at least 0.
    kernel_size : int
        Taps of the kernel, at least 1.
    stride : int, default 1
        Step between neighbouring windows, at least 1.
    padding : (int, int), default (0, 0)
        Cells added ``(before, after)`` the input: the cheat sheet's symmetric padding ``p``
        is ``(p, p)``.  A negative entry crops that many cells instead (the fast
        transposed convolution convolves a cropped input).
    dilation : int, default 1
        Distance between neighbouring taps, at least 1.

    Returns
    -------
    int
        The number of windows that fit.  Zero or negative when the dilated kernel is wider
        than the padded input: the ops refuse that, with this formula in the message.

    Raises
    ------
    TypeError
        If an argument is not an int, or ``padding`` is not a pair of ints (an int such as
        ``1`` must be written ``(1, 1)``).
    ValueError
        If ``in_size`` is negative, or ``kernel_size``, ``stride`` or ``dilation`` is below
        1.

    See Also
    --------
    pool_output_size, conv_transpose_output_size, same_padding, effective_kernel_size,
    npconv.conv

    Notes
    -----
    The floor drops a last window that would overhang the padded input: with stride 2,
    inputs of 6 and 7 cells give the same output, which is why a transposed convolution
    needs ``output_padding`` to tell them apart (:func:`output_padding_for`).

    Examples
    --------
    >>> conv_output_size(5, kernel_size=3)            # valid padding shrinks
    3
    >>> conv_output_size(5, kernel_size=3, padding=(1, 1))   # same padding keeps the size
    5
    >>> conv_output_size(32, kernel_size=3, stride=2, padding=(1, 1))   # the cheat sheet's
    16
    >>> conv_output_size(5, kernel_size=3, stride=0)
    Traceback (most recent call last):
    ...
    ValueError: stride=0 must be at least 1: each window starts at least one cell after the one before
    """
    in_size = _size_argument("in_size", in_size)
    stride = _size_argument("stride", stride)
    before, after = _padding_pair(padding, crop=True)
    span = effective_kernel_size(kernel_size, dilation)
    return (in_size + before + after - span) // stride + 1


def conv_transpose_output_size(in_size: int, kernel_size: int, stride: int = 1,
                               padding: tuple[int, int] = (0, 0), output_padding: int = 0,
                               dilation: int = 1) -> int:
    """Output length of a transposed convolution along one dimension.

    ``(in - 1) * stride - before - after + dilation * (kernel_size - 1) + output_padding + 1``

    Cheat sheet: "Transposed Convolution".  It inverts :func:`conv_output_size`: a convolution
    with the same hyperparameters maps this length back to ``in_size``.  Because the forward
    formula floors, up to ``stride`` lengths map to the same ``in_size``; ``output_padding``
    picks one of them.

    Parameters
    ----------
    in_size : int
        Length of the transposed convolution's input, at least 0.
    kernel_size : int
        Taps of the kernel, at least 1.
    stride : int, default 1
        Distance between the places two neighbouring input cells are spread to, at least 1.
    padding : (int, int), default (0, 0)
        Cells cropped ``(before, after)`` from the output, each at least 0.
    output_padding : int, default 0
        Cells added at the end of the output, at least 0.
    dilation : int, default 1
        Distance between neighbouring taps, at least 1.

    Returns
    -------
    int
        The output length.  Zero or negative when the padding crops more than the kernel
        spreads the input over: the op refuses that.

    Raises
    ------
    TypeError
        If an argument is not an int, or ``padding`` is not a pair of ints.
    ValueError
        If ``in_size``, ``padding`` or ``output_padding`` is negative, or ``kernel_size``,
        ``stride`` or ``dilation`` is below 1.

    See Also
    --------
    conv_output_size, output_padding_for, npconv.conv_transpose

    Notes
    -----
    This is the formula for any ``output_padding``; the op, as PyTorch, also requires
    ``output_padding < max(stride, dilation)`` (:func:`output_padding_limit`), and
    :func:`output_padding_for` finds the one that gives a length asked for.

    Examples
    --------
    >>> conv_transpose_output_size(3, kernel_size=3, stride=2, padding=(1, 1))
    5
    >>> conv_transpose_output_size(3, kernel_size=3, stride=2, padding=(1, 1), output_padding=1)
    6
    """
    in_size = _size_argument("in_size", in_size)
    stride = _size_argument("stride", stride)
    before, after = _padding_pair(padding)
    output_padding = _size_argument("output_padding", output_padding)
    return ((in_size - 1) * stride - before - after
            + effective_kernel_size(kernel_size, dilation) + output_padding)


def pool_output_size(in_size: int, kernel_size: int, stride: int,
                     padding: tuple[int, int] = (0, 0), dilation: int = 1,
                     ceil_mode: bool = False) -> int:
    """Output length of max or average pooling along one dimension.

    The convolution formula, rounded up instead of down when ``ceil_mode`` is true; see
    :func:`ceil_mode_window_counts` for the last window that PyTorch then drops.

    Cheat sheet: "Pooling operation" and "Calculate output's dimension".

    Parameters
    ----------
    in_size : int
        Length of the input along the dimension, at least 0.
    kernel_size : int
        Taps of the pooling window, at least 1.
    stride : int
        Step between neighbouring windows, at least 1.  No default: the ops' ``None``
        means ``kernel_size``, which is to be passed here.
    padding : (int, int), default (0, 0)
        Cells added ``(before, after)`` the input, each at least 0.
    dilation : int, default 1
        Distance between neighbouring taps, at least 1.
    ceil_mode : bool, default False
        Round the number of steps up, as PyTorch's ``ceil_mode=True``.

    Returns
    -------
    int
        The number of windows.  Zero or negative when the window is wider than the padded
        input: the ops refuse that.

    Raises
    ------
    TypeError
        If a size is not an int, ``padding`` is not a pair of ints, or ``ceil_mode`` is not
        a bool.
    ValueError
        If ``in_size`` or ``padding`` is negative, or ``kernel_size``, ``stride`` or
        ``dilation`` is below 1.

    See Also
    --------
    conv_output_size, ceil_mode_window_counts, npconv.max_pool, npconv.avg_pool

    Notes
    -----
    With ``ceil_mode`` a last, partial window is kept only if it starts on the input or on
    the padding before it, ``(out - 1) * stride < in + before``; one that would start on
    the padding after the input is dropped.  This formula does not check PyTorch's rule
    that pooling pads at most ``kernel_size // 2`` per side (:func:`pool_padding_limit`);
    the ops do.

    Examples
    --------
    >>> pool_output_size(5, kernel_size=2, stride=2)
    2
    >>> pool_output_size(5, kernel_size=2, stride=2, ceil_mode=True)   # keeps a half window
    3
    >>> pool_output_size(4, kernel_size=2, stride=2, padding=(1, 1), ceil_mode=True)
    3
    """
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"ceil_mode={short_repr(ceil_mode)} must be a bool, not "
                        f"{type(ceil_mode).__name__}")
    padding = _padding_pair(padding)             # pooling pads, it never crops
    if ceil_mode:
        in_size = _size_argument("in_size", in_size)
        stride = _size_argument("stride", stride)
        _, kept = ceil_mode_window_counts(in_size, kernel_size, stride, padding, dilation)
        return kept
    return conv_output_size(in_size, kernel_size, stride, padding, dilation)


def ceil_mode_window_counts(in_size, kernel_size, stride, padding=(0, 0), dilation=1):
    """Windows along one dimension with ``ceil_mode``: the rounded-up count, and those kept.

    Rounding up may add a window that starts beyond the input and its left padding, on
    the right padding alone; PyTorch drops it, keeping a window only if
    ``(out - 1) * stride < in + before``: every window must start on a real or a
    left-padding cell.

    Returns
    -------
    rounded_up, kept : int

    Examples
    --------
    Input 5, kernel 2, stride 2, padding 1: ``ceil((5 + 2 - 2) / 2) + 1 = 4`` windows, but
    the fourth would start at padded cell 6, which is input position 5: right padding only.

    >>> ceil_mode_window_counts(5, kernel_size=2, stride=2, padding=(1, 1))
    (4, 3)
    """
    before, after = padding
    room = in_size + before + after - effective_kernel_size(kernel_size, dilation)
    rounded_up = ceil_div(room, stride) + 1
    kept = rounded_up - 1 if (rounded_up - 1) * stride >= in_size + before else rounded_up
    return rounded_up, kept


def same_padding(in_size: int, kernel_size: int, stride: int = 1,
                 dilation: int = 1) -> tuple[int, int]:
    """The ``(before, after)`` padding that makes the output length ``ceil(in / stride)``.

    Cheat sheet: "Padding" (same padding keeps the size).  The total is
    ``max((out - 1) * stride + dilation * (kernel_size - 1) + 1 - in, 0)``.  When it is odd
    the extra cell goes at the end (TensorFlow's and ONNX's SAME_UPPER); with stride 1 this
    is exactly PyTorch's ``padding="same"``.

    Parameters
    ----------
    in_size, kernel_size, stride, dilation : int
        As for :func:`conv_output_size`.

    Returns
    -------
    before, after : int
        Cells to add before and after the input; ``after - before`` is 0 or 1.

    Raises
    ------
    TypeError
        If an argument is not an int.
    ValueError
        If ``in_size`` is negative, or ``kernel_size``, ``stride`` or ``dilation`` is below 1.

    See Also
    --------
    conv_output_size, npconv.conv

    Notes
    -----
    An even kernel (or an even dilated span) cannot be centred: the padding is then one cell
    wider after the input than before it.  PyTorch accepts ``padding="same"`` only with
    stride 1; ``npconv.conv`` takes it with any stride and pads as this function says.

    Examples
    --------
    >>> same_padding(5, kernel_size=3)
    (1, 1)
    >>> same_padding(5, kernel_size=4)     # odd total: the extra cell goes after
    (1, 2)
    >>> same_padding(5, kernel_size=3, dilation=2)
    (2, 2)
    >>> same_padding(7, kernel_size=3, stride=2)     # 4 = ceil(7 / 2) output cells
    (1, 1)
    """
    in_size = _size_argument("in_size", in_size)
    stride = _size_argument("stride", stride)
    out = ceil_div(in_size, stride)
    total = max((out - 1) * stride + effective_kernel_size(kernel_size, dilation) - in_size, 0)
    before = total // 2
    return (before, total - before)


def output_padding_for(target_size: int, in_size: int, kernel_size: int, stride: int = 1,
                       padding: tuple[int, int] = (0, 0), dilation: int = 1) -> int:
    """The ``output_padding`` that makes a transposed convolution produce ``target_size``.

    Cheat sheet: "Transposed Convolution".  A convolution with stride ``s`` maps up to ``s``
    input lengths to the same output length; a transposed convolution of that output picks
    one of them with ``output_padding``, and this finds which.

    Parameters
    ----------
    target_size : int
        The output length wanted, at least 1.
    in_size : int
        Length of the transposed convolution's input, at least 0.
    kernel_size, stride, padding, dilation
        As for :func:`conv_transpose_output_size`.

    Returns
    -------
    int
        ``target_size - conv_transpose_output_size(..., output_padding=0)``, from 0 to
        ``max(stride, dilation) - 1``.

    Raises
    ------
    TypeError
        If an argument is not an int, or ``padding`` is not a pair of ints.
    ValueError
        If no allowed ``output_padding`` (``0 <= op < max(stride, dilation)``) reaches
        ``target_size``, if ``target_size`` is below 1, or as
        :func:`conv_transpose_output_size`.

    See Also
    --------
    conv_transpose_output_size, conv_output_size, npconv.conv_transpose

    Notes
    -----
    PyTorch's ``ConvTranspose*d`` layers do this when given ``output_size``, but count the
    stride only: with a dilation above the stride they refuse sizes that an explicit
    ``output_padding`` below the dilation reaches (:func:`conv_transpose_size_range`).

    Examples
    --------
    A convolution with kernel 3, stride 2 and padding 1 maps 5 and 6 cells to 3; going back,
    ``output_padding`` 1 gives the 6:

    >>> output_padding_for(6, in_size=3, kernel_size=3, stride=2, padding=(1, 1))
    1
    >>> output_padding_for(7, in_size=3, kernel_size=3, stride=2, padding=(1, 1))
    Traceback (most recent call last):
    ...
    ValueError: target_size=7 is out of reach: with output_padding from 0 to 1 a transposed convolution of this input gives sizes 5 to 6
    """
    target_size = _size_argument("target_size", target_size)
    smallest = conv_transpose_output_size(in_size, kernel_size, stride, padding, 0, dilation)
    output_padding = target_size - smallest
    limit = output_padding_limit(stride, dilation)
    if not 0 <= output_padding < limit:
        raise ValueError(
            f"target_size={target_size} is out of reach: with output_padding from 0 to "
            f"{limit - 1} a transposed convolution of this input gives sizes "
            f"{smallest} to {smallest + limit - 1}")
    return output_padding


def conv_transpose_size_range(in_size, kernel_size, stride=1, padding=(0, 0), dilation=1):
    """The sizes PyTorch's ``ConvTranspose*d.forward(input, output_size)`` accepts: ``(low, high)``.

    ``low`` is the size with ``output_padding=0`` (:func:`conv_transpose_output_size`) and
    ``high = low + stride - 1``, both included: PyTorch counts the stride only, so with a
    dilation larger than the stride an explicit ``output_padding`` reaches sizes (up to
    ``low + max(stride, dilation) - 1``, :func:`output_padding_limit`) that ``output_size``
    may not ask for.  Sizes below 1 are in the range but no transposed convolution gives
    them; the validator (:func:`conv_transpose_geometry`) refuses them.

    Examples
    --------
    Input 4, kernel 3, stride 2, dilation 3 (PyTorch: "valid sizes range from [13] to
    [14]", though ``output_padding=2`` gives 15):

    >>> conv_transpose_size_range(4, kernel_size=3, stride=2, dilation=3)
    (13, 14)
    """
    low = conv_transpose_output_size(in_size, kernel_size, stride, padding, 0, dilation)
    return low, low + stride - 1


def output_padding_limit(stride, dilation):
    """``output_padding`` must be below this: ``max(stride, dilation)`` (PyTorch's rule).

    With stride ``s``, ``s`` consecutive conv input sizes give the same output size, so
    ``output_padding`` from 0 to ``s - 1`` tells them apart; PyTorch also allows values
    below the dilation.

    Examples
    --------
    >>> output_padding_limit(stride=2, dilation=1), output_padding_limit(stride=1, dilation=3)
    (2, 3)
    """
    return max(stride, dilation)


def pool_padding_limit(kernel_size):
    """The widest padding pooling allows on either side: ``kernel_size // 2`` (PyTorch's rule).

    The kernel size counts taps, not the dilated span: PyTorch checks the undilated kernel.

    Examples
    --------
    >>> pool_padding_limit(3), pool_padding_limit(2)
    (1, 1)
    """
    return kernel_size // 2


def conv_parameter_count(in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                         groups: int = 1, bias: bool = True) -> int:
    """Number of learnable parameters of a convolution layer.

    ``out_channels * (in_channels / groups) * prod(kernel_size) + (out_channels if bias)``

    Cheat sheet: the parameter count ``k * k * C + 1`` is the case of one output channel, no
    groups and a bias.  The same count holds for a transposed convolution.  A pooling layer
    has no parameters at all.

    Parameters
    ----------
    in_channels, out_channels : int
        Channels of the layer's input and output, at least 0.
    kernel_size : int or sequence of int
        Taps along each spatial dimension, each at least 1 (an int is one dimension).
    groups : int, default 1
        How many groups the channels split into, at least 1; it must divide
        ``in_channels``.
    bias : bool, default True
        Whether the layer has one bias per output channel.

    Returns
    -------
    int
        The cells of the weight, ``(out_channels, in_channels // groups, *kernel_size)``,
        plus ``out_channels`` biases if ``bias``.

    Raises
    ------
    TypeError
        If a count or a kernel size is not an int, ``kernel_size`` is neither an int nor a
        sequence, or ``bias`` is not a bool.
    ValueError
        If a channel count is negative, ``groups`` or a kernel size is below 1,
        ``kernel_size`` is empty, or ``groups`` does not divide ``in_channels``.

    See Also
    --------
    receptive_field, npconv.conv, npconv.conv_transpose

    Notes
    -----
    Each output channel sees only its group's ``in_channels / groups`` input channels, so
    grouping divides the weights by ``groups``: a depthwise convolution (``groups`` equal to
    the channels) has one ``k x k`` kernel per channel.  A transposed convolution's weight
    is ``(in_channels, out_channels // groups, *kernel_size)``: the same number of cells.
    The ops also need ``groups`` to divide ``out_channels``; this count does not.

    Examples
    --------
    >>> conv_parameter_count(3, 1, (3, 3))         # the cheat sheet's 3*3*3 + 1
    28
    >>> conv_parameter_count(64, 128, (3, 3), bias=False)
    73728
    >>> conv_parameter_count(32, 32, (3, 3), groups=32)   # depthwise
    320
    >>> conv_parameter_count(3, 4, (3, 3), groups=2)
    Traceback (most recent call last):
    ...
    ValueError: groups=2 must divide in_channels=3: each group takes in_channels / groups input channels
    """
    in_channels = _size_argument("in_channels", in_channels)
    out_channels = _size_argument("out_channels", out_channels)
    groups = _size_argument("groups", groups)
    if in_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels}: each group "
                         f"takes in_channels / groups input channels")
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias={short_repr(bias)} must be a bool, not {type(bias).__name__}")
    if is_sequence(kernel_size):
        sizes = list(kernel_size)
    elif is_int(kernel_size):
        sizes = [kernel_size]
    else:
        raise TypeError(f"kernel_size={short_repr(kernel_size)} must be an int or a sequence "
                        f"of ints, not {type(kernel_size).__name__}")
    if not sizes:
        raise ValueError(f"kernel_size={kernel_size!r} is empty: a kernel has at least one "
                         f"spatial dimension")
    for size in sizes:
        _size_argument("kernel_size", size, where=f"kernel_size={short_repr(kernel_size)}: ")
    kernel_cells = math.prod(int(size) for size in sizes)
    weights = out_channels * (in_channels // groups) * kernel_cells
    return weights + (out_channels if bias else 0)


def receptive_field(layers: Iterable[tuple[int, int | Fraction, int]]
                    ) -> tuple[int | Fraction, int | Fraction]:
    """Receptive field and jump of a stack of layers along one dimension.

    Cheat sheet: "Dilated Convolution" (a dilated kernel sees further with as many weights).

    Parameters
    ----------
    layers : iterable of (kernel_size, stride, dilation)
        One triple per layer, input side first: ``kernel_size`` and ``dilation`` ints of at
        least 1, ``stride`` a positive int or :class:`fractions.Fraction` (a transposed
        convolution with stride ``s`` moves ``Fraction(1, s)`` input cells per output cell).
        No layers at all is a field of one cell.

    Returns
    -------
    field : int or Fraction
        How many input cells one output cell of the last layer sees.
    jump : int or Fraction
        How far apart, in input cells, two neighbouring output cells are (the product of
        the strides).  Both are ints when every stride is.

    Raises
    ------
    TypeError
        If ``layers`` is not an iterable, a layer is not a triple, or one of its entries has
        the wrong type.
    ValueError
        If a ``kernel_size`` or ``dilation`` is below 1, or a stride is not positive.

    See Also
    --------
    effective_kernel_size, conv_parameter_count, npconv.conv

    Notes
    -----
    Each layer widens the field by ``dilation * (kernel_size - 1) * jump``, where ``jump``
    is the product of the strides of the layers below it.  Padding does not change the
    field: it decides where the field sits, not how wide it is.

    Examples
    --------
    Two 3x3 convolutions see as far as one 5x5; a dilation-2 layer on top adds 4 more:

    >>> receptive_field([(3, 1, 1), (3, 1, 1)])
    (5, 1)
    >>> receptive_field([(3, 1, 1), (3, 1, 1), (3, 1, 2)])
    (9, 1)
    >>> receptive_field([(7, 2, 1), (3, 2, 1)])   # ResNet's stem and its max pool
    (11, 4)
    >>> receptive_field([(3, 1, 1), (3, 0, 1)])
    Traceback (most recent call last):
    ...
    ValueError: layers[1]=(3, 0, 1): stride=0 must be positive: each window starts after the one before
    """
    if not isinstance(layers, Iterable) or isinstance(layers, (str, bytes)):
        raise TypeError(f"layers={short_repr(layers)} must be an iterable of (kernel_size, "
                        f"stride, dilation) triples, one per layer")
    field, jump = 1, 1
    for index, layer in enumerate(layers):
        where = f"layers[{index}]={short_repr(layer)}: "
        if not (is_sequence(layer) and len(layer) == 3):
            raise TypeError(f"{where}each layer must be a (kernel_size, stride, dilation) "
                            f"triple")
        kernel_size, stride, dilation = layer
        kernel_size = _size_argument("kernel_size", kernel_size, where)
        dilation = _size_argument("dilation", dilation, where)
        if not isinstance(stride, numbers.Rational) or isinstance(stride, (bool, np.bool_)):
            raise TypeError(f"{where}stride={short_repr(stride)} must be an int or a "
                            f"Fraction, not {type(stride).__name__}")
        if stride <= 0:
            raise ValueError(f"{where}stride={stride} must be positive: each window starts "
                             f"after the one before")
        field += dilation * (kernel_size - 1) * jump
        jump *= int(stride) if is_int(stride) else stride
    return field, jump


# --------------------------------------------------------------------------------------------
# Windows: where each output cell looks
# --------------------------------------------------------------------------------------------

def window(out_index, kernel_size, stride, dilation):
    """The slices that cut the window of output cell ``out_index`` from a padded array.

    Along each dimension the window starts at ``out_index * stride`` and takes
    ``kernel_size`` cells, ``dilation`` apart.  This is for an array padded for real, as the
    pictures draw it; the loop reference never builds one and reads the same cells with
    :func:`npconv.padding.gather_window` (or :func:`window_cells` for pooling).

    Examples
    --------
    >>> window((1, 2), kernel_size=(3, 3), stride=(2, 1), dilation=(1, 2))
    (slice(2, 5, 1), slice(2, 7, 2))
    """
    slices = []
    for i, k, s, d in zip(out_index, kernel_size, stride, dilation):
        start = i * s
        slices.append(slice(start, start + effective_kernel_size(k, d), d))
    return tuple(slices)


def window_taps(i, kernel_size, stride, before, dilation):
    """Input positions that the taps of window ``i`` land on, along one dimension.

    The window starts at ``i * stride - before`` (negative positions are left padding,
    positions from the input's length on are right padding) and its taps are ``dilation``
    apart.

    Examples
    --------
    >>> list(window_taps(0, kernel_size=3, stride=2, before=1, dilation=2))
    [-1, 1, 3]
    """
    first = i * stride - before
    return range(first, first + effective_kernel_size(kernel_size, dilation), dilation)


def window_cells(start, kernel_size, dilation, in_size):
    """The slices of the input that hold a window's taps, the taps on padding left out.

    A pooling window is placed on the padded input as a convolution's is, but only real
    input cells take part.  Along each dimension the window's taps sit at
    ``start + t * dilation``; the taps in ``0 .. in_size - 1`` are consecutive, so one slice
    with step ``dilation`` holds them (:func:`npconv.padding.taps_on_input`): a few integer
    operations per dimension, however wide the kernel or the padding.

    Parameters
    ----------
    start : tuple of int
        The window's first tap per dimension, in input coordinates: ``i * stride - before``
        for output cell ``i``, negative when the window starts on the padding.
    kernel_size, dilation, in_size : tuple of int

    Returns
    -------
    tuple of slice
        An empty slice, ``slice(0, 0)``, along a dimension where no tap lands on the input.

    Examples
    --------
    A 3x3 window starting one row above a 5x5 input and at column 2, with column dilation 2:
    rows 0-1 and columns 2 and 4 are real.

    >>> window_cells((-1, 2), kernel_size=(3, 3), dilation=(1, 2), in_size=(5, 5))
    (slice(0, 2, 1), slice(2, 5, 2))
    """
    return tuple(taps_on_input(s, k, d, n)[1]
                 for s, k, d, n in zip(start, kernel_size, dilation, in_size))


def clipped_window(out_index, kernel_size, stride, padding, dilation, in_size):
    """The slices of the *unpadded* input that the pooling window of ``out_index`` covers.

    :func:`window_cells` for the window that starts at ``out_index * stride - before``.
    Taps on padding (or beyond it, with ``ceil_mode``) are dropped.  Returns ``None`` if no
    tap lands on the input.

    Examples
    --------
    A 3-wide window with padding 1 at output 0 covers input cells 0 and 1:

    >>> clipped_window((0,), kernel_size=(3,), stride=(2,), padding=((1, 1),), dilation=(1,),
    ...                in_size=(5,))
    (slice(0, 2, 1),)

    Taps at -1 and 2 around a 1-cell input: none is on it.

    >>> clipped_window((0,), kernel_size=(2,), stride=(1,), padding=((1, 1),), dilation=(3,),
    ...                in_size=(1,)) is None
    True
    """
    start = tuple(i * s - before for i, s, (before, _) in zip(out_index, stride, padding))
    cells = window_cells(start, kernel_size, dilation, in_size)
    if any(cell.stop <= cell.start for cell in cells):
        return None
    return cells


def window_argmax(values, axis=-1):
    """Which cell of a window max pooling picks: PyTorch's CPU rule.

    The first maximum in row-major window order wins ties.  A NaN beats every number, and
    among several NaNs the *last* one wins (PyTorch's kernel updates on ``val > best or
    isnan(val)``).

    Examples
    --------
    >>> int(window_argmax(np.array([1., 3., 3., 0.])))
    1
    >>> int(window_argmax(np.array([1., np.nan, 3., np.nan, 0.])))
    3
    """
    first_max = np.argmax(values, axis=axis)           # NaN counts as a maximum here
    is_nan = np.isnan(values)
    length = values.shape[axis]
    last_nan = length - 1 - np.argmax(np.flip(is_nan, axis=axis), axis=axis)
    return np.where(is_nan.any(axis=axis), last_nan, first_max)[()]


def pool_window_counts(in_size, kernel_size, stride, padding, out_size):
    """Per output cell along one dimension: cells counted with and without padding.

    The average-pool divisor follows PyTorch: a window counts the zero padding it overlaps
    when ``count_include_pad`` is true, but never the ``ceil_mode`` overhang beyond the right
    padding.  The divisor of an N-d window is the product of its per-dimension counts.

    Returns
    -------
    with_padding, without_padding : ndarray of int64, shape (out_size,)

    Examples
    --------
    Input 6, kernel 3, stride 2, padding 1, ceil_mode output 4: the last window starts at
    cell 5, the input's last, and covers cell 6 (the right padding) and cell 7 (the
    overhang), so it counts 2 cells with padding and 1 without:

    >>> pool_window_counts(6, 3, 2, (1, 1), 4)
    (array([3, 3, 3, 2]), array([2, 3, 3, 1]))
    """
    before, after = padding
    starts = np.arange(out_size) * stride - before
    ends_in_padding = np.minimum(starts + kernel_size, in_size + after)
    with_padding = ends_in_padding - starts
    without_padding = np.minimum(ends_in_padding, in_size) - np.maximum(starts, 0)
    return with_padding.astype(np.int64), without_padding.astype(np.int64)


def avg_pool_divisors(in_size, kernel_size, stride, padding, out_size, count_include_pad,
                      divisor_override=None):
    """The average-pool divisor of every output cell, an array of shape ``out_size``.

    ``divisor_override`` if given; otherwise the window's cell count, the product of the
    per-dimension counts of :func:`pool_window_counts` (with or without padding).

    Examples
    --------
    A 3x3 window with padding 1 at the corner of a 4x4 input holds 4 real cells:

    >>> avg_pool_divisors((4, 4), (3, 3), (3, 3), ((1, 1), (1, 1)), (2, 2), False)
    array([[4, 4],
           [4, 4]])
    >>> avg_pool_divisors((4, 4), (3, 3), (3, 3), ((1, 1), (1, 1)), (2, 2), True)
    array([[9, 9],
           [9, 9]])
    """
    if divisor_override is not None:
        return np.full(out_size, divisor_override)
    divisors = np.ones((), dtype=np.int64)
    for n, k, s, pad_pair, o in zip(in_size, kernel_size, stride, padding, out_size):
        with_padding, without_padding = pool_window_counts(n, k, s, pad_pair, o)
        counts = with_padding if count_include_pad else without_padding
        divisors = np.multiply.outer(divisors, counts)
    return divisors


# --------------------------------------------------------------------------------------------
# Whole shapes, and the validation that explains what went wrong
# --------------------------------------------------------------------------------------------

def conv_output_shape(in_size, kernel_size, stride, padding, dilation, quantity="output size",
                      padded="input"):
    """:func:`conv_output_size` for each spatial dimension, checked to be at least 1.

    ``quantity`` and ``padded`` name, in the error message, what is counted and what is
    padded: for :func:`unfold_geometry` the windows, and for fold its ``output_size``.
    """
    out = []
    for dim, (n, k, s, pad, d) in enumerate(zip(in_size, kernel_size, stride, padding,
                                                dilation)):
        size = conv_output_size(n, k, s, pad, d)
        check_output_size(size, dim, (
            f"floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = "
            f"floor(({n} + {pad[0]} + {pad[1]} - {d}*({k}-1) - 1) / {s}) + 1 = {size}; "
            f"the dilated kernel spans {effective_kernel_size(k, d)} cells but the padded "
            f"{padded} has {n + pad[0] + pad[1]}"), quantity)
        out.append(size)
    return tuple(out)


def conv_transpose_output_shape(in_size, kernel_size, stride, padding, output_padding,
                                dilation):
    """:func:`conv_transpose_output_size` for each dimension, checked to be at least 1."""
    out = []
    for dim, (n, k, s, pad, op, d) in enumerate(zip(in_size, kernel_size, stride, padding,
                                                    output_padding, dilation)):
        size = conv_transpose_output_size(n, k, s, pad, op, d)
        check_output_size(size, dim, (
            f"(in - 1)*stride - before - after + dilation*(kernel_size-1) + output_padding + 1"
            f" = ({n} - 1)*{s} - {pad[0]} - {pad[1]} + {d}*({k}-1) + {op} + 1 = {size}"))
        out.append(size)
    return tuple(out)


def pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode):
    """:func:`pool_output_size` for each dimension, checked to be at least 1."""
    rounding = "ceil" if ceil_mode else "floor"
    out = []
    for dim, (n, k, s, pad, d) in enumerate(zip(in_size, kernel_size, stride, padding,
                                                dilation)):
        size = pool_output_size(n, k, s, pad, d, ceil_mode)
        check_output_size(size, dim, (
            f"{rounding}((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1"
            f" = {rounding}(({n} + {pad[0]} + {pad[1]} - {d}*({k}-1) - 1) / {s}) + 1"
            f" -> {size}"))
        out.append(size)
    return tuple(out)


def check_output_size(size, dim, formula, quantity="output size"):
    """Raise ``ValueError`` naming the dimension and the formula if ``size < 1``."""
    if size < 1:
        raise ValueError(
            f"{quantity} along spatial dimension {dim} would be {size}, but must be at "
            f"least 1: {formula}")


INT64_MAX = 2 ** 63 - 1
"""The largest int argument npconv takes: 2**63 - 1, as PyTorch, which reads them as int64.

It holds for every hyperparameter (kernel_size, stride, padding, dilation, output_padding,
groups) and for ``divisor_override``, so that each fits the int64 arithmetic of the variants;
geometry derived from several of them (``before + in + after``) is Python-int arithmetic here.
"""


def check_int64(values, name, value):
    """Raise ``ValueError`` naming ``name`` and ``value`` if any of ``values`` is not an int64."""
    if any(not -INT64_MAX - 1 <= v <= INT64_MAX for v in values):
        raise ValueError(f"{name}={short_repr(value)} is too large: npconv, like PyTorch, takes "
                         f"ints that fit in 64 bits, from -2**63 to 2**63 - 1 = {INT64_MAX}")


def short_repr(value, width=60):
    """``repr(value)``, shortened for an error message if it is longer than ``width``.

    >>> short_repr(10 ** 400)
    '1000...000 (401 digits)'
    """
    text = repr(value)
    if len(text) <= width:
        return text
    if is_int(value):
        return f"{text[:4]}...{text[-3:]} ({len(text.lstrip('-'))} digits)"
    return f"{text[:width - 20]}... ({len(text)} characters)"


def _per_dimension(value, ndim, name, expected):
    """The entries of the sequence ``value``, repeated if it has one; ``ValueError`` unless it
    has one or ``ndim`` (checked before the entries are read, so a huge range costs nothing)."""
    if len(value) == ndim:
        return list(value)
    if len(value) == 1:
        return list(value) * ndim
    raise ValueError(f"{name}={short_repr(value)} must be an int or {expected}, one per spatial "
                     f"dimension (or one for all of them)")


def int_tuple(value, ndim, name, minimum):
    """``value`` as one Python int per spatial dimension, each at least ``minimum``.

    Accepts an int (repeated), or a sequence (tuple, list, range, 1-D integer array) of
    ``ndim`` ints or of one int that stands for every dimension, as PyTorch does.

    >>> int_tuple(2, 3, "stride", minimum=1)
    (2, 2, 2)
    >>> int_tuple([2], 2, "stride", minimum=1), int_tuple(np.arange(1, 3), 2, "stride", minimum=1)
    ((2, 2), (1, 2))
    >>> int_tuple((1, 2), 3, "stride", minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: stride=(1, 2) must be an int or 3 ints, one per spatial dimension (or one for all of them)
    """
    if is_int(value):
        values = (int(value),) * ndim
    elif is_sequence(value):
        entries = _per_dimension(value, ndim, name, f"{ndim} ints")
        if not all(is_int(v) for v in entries):
            raise TypeError(f"{name}={short_repr(value)} must be an int or a sequence of "
                            f"{ndim} ints")
        values = tuple(int(v) for v in entries)
    else:
        raise TypeError(f"{name}={short_repr(value)} must be an int or a sequence of {ndim} ints")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}={short_repr(value)} must be >= {minimum} in every dimension")
    check_int64(values, name, value)
    return values


def padding_pairs(padding, ndim, name="padding"):
    """``padding`` as one ``(before, after)`` pair of non-negative Python ints per dimension.

    Accepts an int, a sequence of one entry per dimension (or of one entry for all of them),
    each entry an int or a ``(before, after)`` pair.

    >>> padding_pairs(1, 2)
    ((1, 1), (1, 1))
    >>> padding_pairs([(0, 1), 2], 2)
    ((0, 1), (2, 2))
    >>> padding_pairs((1,), 2)
    ((1, 1), (1, 1))
    """
    if is_int(padding):
        pairs = ((int(padding), int(padding)),) * ndim
    elif is_sequence(padding):
        pairs = []
        for entry in _per_dimension(padding, ndim, name, f"have {ndim} entries"):
            if is_int(entry):
                pairs.append((int(entry), int(entry)))
            elif is_sequence(entry) and len(entry) == 2 and all(is_int(v) for v in entry):
                pairs.append((int(entry[0]), int(entry[1])))
            else:
                raise TypeError(f"{name}={short_repr(padding)}: each entry must be an int or a "
                                f"(before, after) pair of ints, got {short_repr(entry)}")
        pairs = tuple(pairs)
    else:
        raise TypeError(f"{name}={short_repr(padding)} must be an int, a sequence of {ndim} "
                        f"ints, or {ndim} (before, after) pairs")
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{name}={short_repr(padding)} must not be negative")
    check_int64([v for pair in pairs for v in pair], name, padding)
    return pairs


# --------------------------------------------------------------------------------------------
# Geometry shared by the pictures and the tour
# --------------------------------------------------------------------------------------------

def window_reach(count, kernel_size, stride=1, dilation=1):
    """Cells that ``count`` windows span together along one dimension, from the first tap.

    ``(count - 1) * stride + dilation * (kernel_size - 1) + 1``: the last window starts at
    ``(count - 1) * stride`` and spans :func:`effective_kernel_size` cells.  For a pooling
    output this is how far its windows reach into the padded input (beyond its right padding
    with ``ceil_mode``); for a transposed convolution's input it is the length of the
    uncropped output the kernel copies are scattered onto.

    Examples
    --------
    >>> window_reach(3, kernel_size=2, stride=2)        # windows at 0-1, 2-3, 4-5
    6
    >>> window_reach(2, kernel_size=3, stride=2, dilation=2)
    7
    """
    return (count - 1) * stride + effective_kernel_size(kernel_size, dilation)


def transposed_conv_as_conv_padding(kernel_size, padding=(0, 0), output_padding=0,
                                    dilation=1):
    """The ``(start, end)`` border that makes a transposed convolution an ordinary one.

    Cheat sheet: "Transposed Convolution".  Insert ``stride - 1`` zeros between the input
    cells, add ``dilation * (kernel_size - 1) - before`` cells at the start and
    ``dilation * (kernel_size - 1) - after + output_padding`` at the end, and convolve with
    the flipped kernel, stride 1, same dilation.  An entry is negative when the padding is
    wider than the kernel's reach: that many cells are cropped instead
    (:func:`npconv.padding.pad_or_crop`).

    Parameters
    ----------
    kernel_size, output_padding, dilation : int
    padding : (int, int)
        The transposed convolution's ``(before, after)`` padding.

    Returns
    -------
    start, end : int

    Examples
    --------
    >>> transposed_conv_as_conv_padding(3)
    (2, 2)
    >>> transposed_conv_as_conv_padding(3, padding=(1, 1), output_padding=1, dilation=2)
    (3, 4)
    >>> transposed_conv_as_conv_padding(2, padding=(2, 1))      # crops one cell at the start
    (-1, 0)
    """
    before, after = padding
    reach = effective_kernel_size(kernel_size, dilation) - 1
    return (reach - before, reach - after + output_padding)


# --------------------------------------------------------------------------------------------
# One validator per op: every tool that describes a layer (the API, the calculator, the
# pictures) normalises and checks its geometry here, so a rule is written once, in one wording
# --------------------------------------------------------------------------------------------

class ConvGeometry(NamedTuple):
    """A convolution's geometry, normalised: one entry per spatial dimension."""

    stride: tuple
    padding: tuple
    """``(before, after)`` pairs, with ``"same"`` and ``"valid"`` resolved."""
    dilation: tuple
    out_size: tuple


class ConvTransposeGeometry(NamedTuple):
    """A transposed convolution's geometry, normalised: one entry per spatial dimension."""

    stride: tuple
    padding: tuple
    """``(before, after)`` pairs: the cells cropped from each end of the output."""
    output_padding: tuple
    dilation: tuple
    out_size: tuple


class PoolGeometry(NamedTuple):
    """A pooling's geometry, normalised: one entry per spatial dimension."""

    kernel_size: tuple
    stride: tuple
    """``kernel_size`` when the caller gave ``None`` or ``()`` (:func:`pool_stride`)."""
    padding: tuple
    dilation: tuple
    out_size: tuple


def conv_geometry(in_size, kernel_size, stride=1, padding=0, dilation=1):
    """Check and normalise a convolution's hyperparameters for an input of ``in_size``.

    Parameters
    ----------
    in_size, kernel_size : tuple of int
        The spatial sizes of the input and of the kernel.
    stride, dilation : int or sequence of int
        One per spatial dimension, or one for all of them.
    padding : int, sequence of int or of (before, after) pairs, "valid" or "same"

    Returns
    -------
    ConvGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected; or the dimension whose
        output would be empty, with the formula.

    Examples
    --------
    >>> conv_geometry((5, 5), (3, 3), stride=2, padding="same")
    ConvGeometry(stride=(2, 2), padding=((1, 1), (1, 1)), dilation=(1, 1), out_size=(3, 3))
    """
    ndim = len(in_size)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    padding = conv_padding(padding, in_size, kernel_size, stride, dilation)
    out_size = conv_output_shape(in_size, kernel_size, stride, padding, dilation)
    return ConvGeometry(stride, padding, dilation, out_size)


def conv_padding(padding, in_size, kernel_size, stride, dilation):
    """A convolution's padding as ``(before, after)`` pairs, with "valid" and "same" resolved.

    ``stride`` and ``dilation`` are already one int per dimension.  ``"same"`` is
    :func:`same_padding` in every dimension.

    Examples
    --------
    >>> conv_padding("same", (5,), (4,), stride=(1,), dilation=(1,))
    ((1, 2),)
    >>> conv_padding("valid", (5, 5), (3, 3), stride=(1, 1), dilation=(1, 1))
    ((0, 0), (0, 0))
    """
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            padding = tuple(same_padding(n, k, s, d)
                            for n, k, s, d in zip(in_size, kernel_size, stride, dilation))
        else:
            raise ValueError(f"padding={short_repr(padding)} is not a known padding string; "
                             f"expected 'valid', 'same', an int or per-dimension ints or pairs")
    return padding_pairs(padding, len(in_size))


def conv_transpose_geometry(in_size, kernel_size, stride=1, padding=0, output_padding=0,
                            dilation=1, output_size=None, batch_and_channels=None):
    """Check and normalise a transposed convolution's hyperparameters.

    ``output_padding`` must be below ``max(stride, dilation)`` in every dimension
    (:func:`check_output_padding`).  An ``output_size`` picks the ``output_padding`` that
    reaches it instead, as PyTorch's ``ConvTranspose*d.forward(input, output_size)`` does:
    each spatial entry within :func:`conv_transpose_size_range` (and at least 1).

    Parameters
    ----------
    in_size, kernel_size : tuple of int
    stride, padding, output_padding, dilation
        As for :func:`npconv.conv_transpose`.
    output_size : sequence of int, optional
        The output's spatial size, or ``(N, C, *spatial)``.  With it, ``output_padding``
        must be 0 (the default) or the one ``output_size`` asks for.
    batch_and_channels : (int, int), optional
        The output's ``N`` and ``C``; an ``output_size`` that starts with other values is
        refused (PyTorch ignores them).

    Returns
    -------
    ConvTransposeGeometry
        With the ``output_padding`` that ``output_size`` asked for, if given.

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> conv_transpose_geometry((3,), (3,), stride=2, padding=1, output_padding=1)
    ConvTransposeGeometry(stride=(2,), padding=((1, 1),), output_padding=(1,), dilation=(1,), out_size=(6,))
    >>> conv_transpose_geometry((3,), (3,), stride=2, padding=1, output_size=(1, 8, 6))
    ConvTransposeGeometry(stride=(2,), padding=((1, 1),), output_padding=(1,), dilation=(1,), out_size=(6,))
    >>> conv_transpose_geometry((4,), (3,), stride=2, dilation=3, output_size=(15,))
    Traceback (most recent call last):
    ...
    ValueError: output_size=(15,): spatial dimension 0 must be from 13 to 14: PyTorch takes
    from the size with output_padding 0, (in - 1)*stride - before - after
    + dilation*(kernel_size-1) + 1 = (4 - 1)*2 - 0 - 0 + 3*(3-1) + 1 = 13, up to stride - 1
    = 1 more; an explicit output_padding reaches 15 (it need only be below max(stride,
    dilation) = 3), but PyTorch's output_size rule counts the stride only
    """
    ndim = len(in_size)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    _reject_padding_string(padding, "conv_transpose")
    padding = padding_pairs(padding, ndim)
    output_padding = int_tuple(output_padding, ndim, "output_padding", minimum=0)
    for dim, (extra, s, d) in enumerate(zip(output_padding, stride, dilation)):
        check_output_padding(extra, s, d, dim)
    if output_size is not None:
        output_padding = _output_padding_from_output_size(
            output_size, in_size, kernel_size, stride, padding, dilation, output_padding,
            batch_and_channels)
    out_size = conv_transpose_output_shape(in_size, kernel_size, stride, padding,
                                           output_padding, dilation)
    return ConvTransposeGeometry(stride, padding, output_padding, dilation, out_size)


def _output_padding_from_output_size(output_size, in_size, kernel_size, stride, padding,
                                     dilation, output_padding, batch_and_channels):
    """The ``output_padding`` that reaches ``output_size``, per dimension (PyTorch's rule).

    Each spatial entry lies in :func:`conv_transpose_size_range` and is at least 1; the
    ``output_padding`` is then :func:`output_padding_for` it.  A non-zero ``output_padding``
    given as well must be the same (PyTorch's layers would silently ignore it).
    """
    sizes = _output_size_entries(output_size, len(in_size), batch_and_channels)
    chosen = []
    for dim, (size, n, k, s, (before, after), d) in enumerate(zip(
            sizes, in_size, kernel_size, stride, padding, dilation)):
        low, high = conv_transpose_size_range(n, k, s, (before, after), d)
        lowest = max(low, 1)
        if lowest <= size <= high:
            chosen.append(output_padding_for(size, n, k, s, (before, after), d))
            continue
        formula = (f"(in - 1)*stride - before - after + dilation*(kernel_size-1) + 1 = "
                   f"({n} - 1)*{s} - {before} - {after} + {d}*({k}-1) + 1 = {low}")
        if high < 1:
            raise ValueError(
                f"output_size={output_size!r}: spatial dimension {dim} has no reachable size: "
                f"PyTorch takes from the size with output_padding 0, {formula}, up to stride "
                f"- 1 = {s - 1} more, and all of them are below 1 (the padding crops too "
                f"much)")
        below = " (sizes below 1 excepted)" if low < 1 else ""
        explicit = ""
        if d > s:
            explicit = (f"; an explicit output_padding reaches {low + max(s, d) - 1} (it need "
                        f"only be below max(stride, dilation) = {max(s, d)}), but PyTorch's "
                        f"output_size rule counts the stride only")
        raise ValueError(
            f"output_size={output_size!r}: spatial dimension {dim} must be from {lowest} to "
            f"{high}: PyTorch takes from the size with output_padding 0, {formula}, up to "
            f"stride - 1 = {s - 1} more{below}{explicit}")
    chosen = tuple(chosen)
    if any(output_padding) and chosen != tuple(output_padding):
        raise ValueError(
            f"output_padding={tuple(output_padding)} and output_size={output_size!r} disagree: "
            f"output_size asks for output_padding={chosen}; give only one of them (PyTorch's "
            f"ConvTranspose layers ignore their output_padding when given an output_size)")
    return chosen


def pool_stride(stride, kernel_size):
    """A pooling's ``stride``, one int per dimension: ``kernel_size`` when it is ``None`` or an
    empty sequence (PyTorch's functional pooling ops read ``stride=()`` as the default).

    >>> pool_stride(None, (2, 3)), pool_stride((), (2, 3)), pool_stride(1, (2, 3))
    ((2, 3), (2, 3), (1, 1))
    """
    if stride is None or (is_sequence(stride) and len(stride) == 0):
        return kernel_size
    return int_tuple(stride, len(kernel_size), "stride", minimum=1)


def pool_geometry(in_size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                  op_name="pooling"):
    """Check and normalise a pooling's hyperparameters for an input of ``in_size``.

    ``stride`` is ``kernel_size`` when it is ``None`` or an empty sequence (PyTorch's
    "omitted").  Padding is at most ``kernel_size // 2`` (:func:`check_pool_padding`), and
    every window must hold at least one input cell (:func:`check_window_holds_input`).  The
    checks cost a few operations per dimension, however many windows there are.

    Returns
    -------
    PoolGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> pool_geometry((5,), 2, ceil_mode=True)
    PoolGeometry(kernel_size=(2,), stride=(2,), padding=((0, 0),), dilation=(1,), out_size=(3,))
    >>> pool_geometry((5, 5), (3,), stride=(), padding=(1,)).out_size
    (2, 2)
    """
    ndim = len(in_size)
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = pool_stride(stride, kernel_size)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    _reject_padding_string(padding, op_name)
    padding = padding_pairs(padding, ndim)
    for dim, (pair, k) in enumerate(zip(padding, kernel_size)):
        check_pool_padding(pair, k, dim)
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    for dim, geometry in enumerate(zip(in_size, kernel_size, stride, padding, dilation,
                                       out_size)):
        check_window_holds_input(*geometry, dim=dim)
    return PoolGeometry(kernel_size, stride, padding, dilation, out_size)


# The rules, one dimension at a time: the validators above call them in turn and stop at the
# first problem; the calculator calls each one and collects every problem of a layer.

def check_output_padding(output_padding, stride, dilation, dim):
    """Raise ``ValueError`` unless ``output_padding < max(stride, dilation)`` (PyTorch's rule).

    >>> check_output_padding(2, stride=2, dilation=1, dim=0)
    Traceback (most recent call last):
    ...
    ValueError: output_padding=2 in spatial dimension 0 must be smaller than stride (2) or dilation (1)
    """
    if output_padding >= output_padding_limit(stride, dilation):
        raise ValueError(
            f"output_padding={output_padding} in spatial dimension {dim} must be smaller than "
            f"stride ({stride}) or dilation ({dilation})")


def check_pool_padding(padding, kernel_size, dim):
    """Raise ``ValueError`` unless both sides of ``padding`` are at most ``kernel_size // 2``.

    >>> check_pool_padding((0, 2), kernel_size=3, dim=1)
    Traceback (most recent call last):
    ...
    ValueError: padding=(0, 2) in spatial dimension 1 must be at most half the kernel size, kernel_size // 2 = 1 (PyTorch's rule)
    """
    if max(padding) > pool_padding_limit(kernel_size):
        raise ValueError(
            f"padding={tuple(padding)} in spatial dimension {dim} must be at most half the "
            f"kernel size, kernel_size // 2 = {pool_padding_limit(kernel_size)} (PyTorch's rule)")


def first_empty_window(in_size, kernel_size, stride, padding, dilation, out_size):
    """The first of ``out_size`` pooling windows along one dimension that holds no input cell.

    Returns its index, or ``None`` if every window holds one.  A window that starts on the
    input holds its first tap; one that starts past the input holds none; one that starts in
    the left padding holds a cell if :func:`npconv.padding.taps_on_input` finds one of its
    taps on the input, the rule by which the loop reference reads the window: its first tap
    at or after position 0 (position ``start mod dilation``) must come before ``in_size``
    and be one of its ``kernel_size`` taps.

    Cost: the windows starting in the left padding are looked at one by one, but only up to
    one period of ``start mod dilation``, and only if ``in_size < dilation`` (else that
    position is always on the input).  With PyTorch's padding limit and a non-empty output
    that is at most the first window, so the rule costs a few operations per dimension.

    Examples
    --------
    Input 2, kernel 2, dilation 3, padding 1: window 0 reads positions -1 and 2, both outside.

    >>> first_empty_window(2, kernel_size=2, stride=1, padding=(1, 1), dilation=3, out_size=1)
    0
    >>> first_empty_window(5, kernel_size=3, stride=2, padding=(1, 1), dilation=2, out_size=2)
    """
    before, _ = padding
    starting_left = min(out_size, ceil_div(before, stride))
    if in_size >= dilation:
        look_at = min(starting_left, 1)            # only the taps' count can fall short
    else:
        look_at = min(starting_left, dilation // math.gcd(stride, dilation))
    for i in range(look_at):
        taps, _ = taps_on_input(i * stride - before, kernel_size, dilation, in_size)
        if taps.stop == taps.start:                # no tap lands on the input
            return i
    first_past_the_input = ceil_div(in_size + before, stride)
    return first_past_the_input if first_past_the_input < out_size else None


def check_window_holds_input(in_size, kernel_size, stride, padding, dilation, out_size, dim):
    """Raise ``ValueError`` if a pooling window along dimension ``dim`` holds no input cell.

    PyTorch returns ``-inf`` (max) for such a window; npconv refuses it
    (:func:`first_empty_window` finds it).

    >>> check_window_holds_input(2, 2, 1, (1, 1), 3, 1, dim=0)
    Traceback (most recent call last):
    ...
    ValueError: window 0 along spatial dimension 0 holds no input cell: its taps fall on positions [-1, 2], all outside the input's 0..1 (kernel_size=2, dilation=3, padding=(1, 1))
    """
    i = first_empty_window(in_size, kernel_size, stride, padding, dilation, out_size)
    if i is not None:
        taps = window_taps(i, kernel_size, stride, padding[0], dilation)
        raise ValueError(
            f"window {i} along spatial dimension {dim} holds no input cell: its taps fall on "
            f"positions {taps_text(taps)}, all outside the input's 0..{in_size - 1} "
            f"(kernel_size={kernel_size}, dilation={dilation}, padding={tuple(padding)})")


def dimension_names(ndim):
    """The letters that name the spatial dimensions in shapes and messages, as PyTorch's docs
    write them: L in 1-D, H and W in 2-D, D, H and W in 3-D; ``dim0``, ``dim1``, ... beyond.

    Examples
    --------
    >>> dimension_names(1), dimension_names(3)
    (('L',), ('D', 'H', 'W'))
    """
    if ndim == 1:
        return ("L",)
    if ndim in (2, 3):
        return ("D", "H", "W")[3 - ndim:]
    return tuple(f"dim{i}" for i in range(ndim))


def taps_text(taps):
    """A range of tap positions as a short list, however many taps there are.

    >>> taps_text(range(-1, 3, 3)), taps_text(range(-5, 15, 2))
    ('[-1, 2]', '[-5, -3, ..., 13]')
    """
    if len(taps) <= 4:
        return str(list(taps))
    return f"[{taps[0]}, {taps[1]}, ..., {taps[-1]}]"


def check_groups(groups, C_in, C_out=None):
    """``groups`` as a Python int that divides ``C_in`` (and ``C_out`` when given).

    Examples
    --------
    >>> check_groups(2, C_in=4, C_out=6)
    2
    >>> check_groups(3, C_in=4)
    Traceback (most recent call last):
    ...
    ValueError: groups=3 must divide the input channels C_in=4
    >>> check_groups(3, C_in=4, C_out=5)
    Traceback (most recent call last):
    ...
    ValueError: groups=3 must divide the input channels C_in=4 and the output channels C_out=5
    """
    if not is_int(groups):
        raise TypeError(f"groups={short_repr(groups)} must be an int")
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"groups={groups} must be >= 1")
    check_int64([groups], "groups", groups)
    missed = [f"the {side} channels {count_name}={count}"
              for side, count_name, count in (("input", "C_in", C_in), ("output", "C_out", C_out))
              if count is not None and count % groups]
    if missed:
        raise ValueError(f"groups={groups} must divide {' and '.join(missed)}")
    return groups


def check_padding_mode(padding_mode, padding, in_size):
    """Check that ``padding_mode`` is known and that its padding fits the input (PyTorch's rules).

    ``replicate`` and ``reflect`` need a non-empty input along every spatial dimension,
    ``reflect`` padding smaller than the input, ``circular`` at most the input.

    >>> check_padding_mode("replicate", ((1, 1),), (0,))
    Traceback (most recent call last):
    ...
    ValueError: padding_mode='replicate' needs a non-empty input along every spatial dimension, but spatial dimension 0 has size 0
    """
    if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode={short_repr(padding_mode)} is not one of {PADDING_MODES}")
    for dim, ((before, after), n) in enumerate(zip(padding, in_size)):
        widest = max(before, after)
        if padding_mode in ("replicate", "reflect") and n == 0:
            raise ValueError(
                f"padding_mode={padding_mode!r} needs a non-empty input along every spatial "
                f"dimension, but spatial dimension {dim} has size 0")
        if padding_mode == "reflect" and widest >= n:
            raise ValueError(
                f"padding_mode='reflect' needs padding < input size, but spatial dimension "
                f"{dim} has size {n} and padding {(before, after)}")
        if padding_mode == "circular" and widest > n:
            raise ValueError(
                f"padding_mode='circular' needs padding <= input size, but spatial "
                f"dimension {dim} has size {n} and padding {(before, after)}")


def check_divisor_override(divisor_override):
    """``divisor_override`` as a Python int or ``None``: a non-zero int64, as PyTorch's.

    >>> check_divisor_override(np.int16(-3))
    -3
    >>> check_divisor_override(10 ** 400)
    Traceback (most recent call last):
    ...
    ValueError: divisor_override=1000...000 (401 digits) is too large: npconv, like PyTorch, takes ints that fit in 64 bits, from -2**63 to 2**63 - 1 = 9223372036854775807
    """
    if divisor_override is None:
        return None
    if not is_int(divisor_override):
        raise TypeError(f"divisor_override={short_repr(divisor_override)} must be an int or None")
    divisor_override = int(divisor_override)
    if divisor_override == 0:
        raise ValueError("divisor_override=0 must not be zero")
    check_int64([divisor_override], "divisor_override", divisor_override)
    return divisor_override


def check_window_cells(kernel_size):
    """Raise ``ValueError`` if an average-pool window has more cells than an int64 holds.

    A window's divisor counts its cells, at most ``prod(kernel_size)``; the variants keep it
    in an int64.

    >>> check_window_cells((2 ** 22, 2 ** 22, 2 ** 22))
    Traceback (most recent call last):
    ...
    ValueError: kernel_size=(4194304, 4194304, 4194304) has 73786976294838206464 cells per window; average pooling divides by a window's cell count, which must be at most 2**63 - 1 = 9223372036854775807
    """
    cells = math.prod(kernel_size)
    if cells > INT64_MAX:
        raise ValueError(
            f"kernel_size={tuple(kernel_size)} has {cells} cells per window; average pooling "
            f"divides by a window's cell count, which must be at most 2**63 - 1 = {INT64_MAX}")


def _reject_padding_string(padding, op_name):
    if isinstance(padding, str):
        raise ValueError(f"padding={short_repr(padding)}: {op_name} takes no padding strings; "
                         f"give an int, one int per spatial dimension, or (before, after) pairs")


# --------------------------------------------------------------------------------------------
# The memory bound: no op allocates one array larger than this
# --------------------------------------------------------------------------------------------

MAX_ARRAY_BYTES = 2 ** 34
"""The largest single array (output, gradient or workspace) an op will allocate: 16 GiB.

An op whose output, or whose smallest workspace, would be larger refuses before allocating,
with a ``ValueError`` that names the parameters responsible and the bytes needed, instead of
NumPy's ``MemoryError`` (or "array is too big") deep inside the computation.
"""


def _gibibytes(nbytes):
    """``nbytes`` in GiB with one decimal, in integer arithmetic (a float would overflow for
    the sizes a hostile argument can ask for).

    >>> _gibibytes(3 * 2 ** 29), _gibibytes(10 ** 400 * 2 ** 30)[:6]
    ('1.5', '100000')
    """
    tenths = (nbytes * 10 + 2 ** 29) // 2 ** 30                # rounded to the nearest tenth
    return f"{tenths // 10}.{tenths % 10}"


def check_array_bytes(shape, itemsize, what, cause):
    """Raise ``ValueError`` if an array of ``shape`` would exceed :data:`MAX_ARRAY_BYTES`.

    Parameters
    ----------
    shape : tuple of int
    itemsize : int
        Bytes per element.
    what : str
        The array, e.g. ``"the output"``.
    cause : str
        The parameters that make it this large, e.g. ``"input (1, 1, 5), stride=10**9"``.

    Examples
    --------
    >>> check_array_bytes((2, 3), 8, "the output", "input (2, 3)")     # 48 bytes: fine
    >>> check_array_bytes((2 ** 20, 2 ** 20), 8, "the output", "kernel_size=1, input (1, 1)")
    Traceback (most recent call last):
    ...
    ValueError: the output would have shape (1048576, 1048576): 8796093022208 bytes (8192.0 GiB), more than the 17179869184 bytes (16 GiB) npconv allocates for one array; it comes from kernel_size=1, input (1, 1)
    """
    nbytes = math.prod(shape) * itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise ValueError(
            f"{what} would have shape {tuple(shape)}: {nbytes} bytes "
            f"({_gibibytes(nbytes)} GiB), more than the {MAX_ARRAY_BYTES} bytes "
            f"({MAX_ARRAY_BYTES // 2 ** 30} GiB) npconv allocates for one array; it comes "
            f"from {cause}")


# --------------------------------------------------------------------------------------------
# The rest of PyTorch's pooling family: max unpooling, adaptive pooling, power-average pooling.
# Their formulas, the arithmetic both variants share, and one validator per op.
# --------------------------------------------------------------------------------------------

__all__ += [
    "max_unpool_output_size",
    "max_unpool_size_range",
    "adaptive_pool_window",
    "adaptive_pool_cells",
    "adaptive_pool_widest_window",
    "lp_pool_power",
    "lp_pool_sign",
    "lp_pool_mean_gradient",
    "MaxUnpoolGeometry",
    "AdaptivePoolGeometry",
    "LpPoolGeometry",
    "max_unpool_geometry",
    "adaptive_pool_geometry",
    "lp_pool_geometry",
]


def max_unpool_output_size(in_size, kernel_size, stride, padding=(0, 0)):
    """Default output length of max unpooling along one dimension.

    ``(in - 1) * stride - before - after + kernel_size``: the smallest input of the max
    pooling with the same hyperparameters that gives ``in`` windows (the transposed
    convolution's formula with dilation 1 and no output padding).

    Examples
    --------
    >>> max_unpool_output_size(2, kernel_size=2, stride=2)
    4
    >>> max_unpool_output_size(3, kernel_size=3, stride=2, padding=(1, 1))
    5
    """
    before, after = padding
    return (in_size - 1) * stride - before - after + kernel_size


def max_unpool_size_range(in_size, kernel_size, stride, padding=(0, 0)):
    """The ``output_size`` values max unpooling accepts along one dimension: ``(low, high)``.

    PyTorch accepts a size strictly between ``default - stride`` and ``default + stride``
    (``default`` from :func:`max_unpool_output_size`), and never a negative one: so from
    ``max(default - stride + 1, 0)`` to ``default + stride - 1``, both included.  The
    sizes above the default are the other inputs that max pooling (rounding down) maps to
    ``in`` windows; those below are inputs that ``ceil_mode`` maps to ``in`` windows.

    Examples
    --------
    A 2x2 input, kernel 2: the default is 4; PyTorch's message says "between 2 and 6":

    >>> max_unpool_size_range(2, kernel_size=2, stride=2)
    (3, 5)
    """
    default = max_unpool_output_size(in_size, kernel_size, stride, padding)
    return max(default - stride + 1, 0), default + stride - 1


def adaptive_pool_window(i, in_size, out_size):
    """Where adaptive pooling's window ``i`` lies along one dimension: ``(start, end)``.

    ``start = floor(i * in / out)``, ``end = ceil((i + 1) * in / out)``, end excluded.  The
    windows cover the input from end to end; windows ``i`` and ``i + 1`` share a cell where
    ``(i + 1) * in / out`` is not a whole number, and repeat cells when ``out > in``.  ``i`` may be an int or an
    integer array.

    Read backwards, the same formula says which windows hold input cell ``p``: those from
    ``adaptive_pool_window(p, out, in)``, i.e. with ``in`` and ``out`` swapped (the backward
    of adaptive average pooling gathers over them).

    Examples
    --------
    Five cells pooled to three: windows 0-1, 1-3 and 3-4.

    >>> [adaptive_pool_window(i, 5, 3) for i in range(3)]
    [(0, 2), (1, 4), (3, 5)]
    >>> adaptive_pool_window(3, in_size=3, out_size=5)    # cell 3 of 5 is in windows 1 and 2
    (1, 3)
    """
    start = (i * in_size) // out_size
    end = ceil_div((i + 1) * in_size, out_size)
    return start, end


def adaptive_pool_cells(out_index, in_size, out_size):
    """The slices of the input that adaptive pooling's output cell ``out_index`` covers.

    One :func:`adaptive_pool_window` per spatial dimension.

    Examples
    --------
    >>> adaptive_pool_cells((1, 0), in_size=(5, 4), out_size=(3, 2))
    (slice(1, 4, None), slice(0, 2, None))
    """
    return tuple(slice(*adaptive_pool_window(i, n, o))
                 for i, n, o in zip(out_index, in_size, out_size))


def adaptive_pool_widest_window(in_size, out_size):
    """The most cells one adaptive pooling window holds along one dimension.

    With ``g = gcd(in, out)``, ``in' = in / g`` and ``out' = out / g`` the window starts
    fall on every fraction ``k / out'`` of a cell, so the widest window holds
    ``ceil((in' + out' - 1) / out')`` cells: ``in / out`` exactly when ``out`` divides
    ``in``, otherwise one or two more than ``floor(in / out)``.  Zero when ``out`` is 0.

    Examples
    --------
    >>> adaptive_pool_widest_window(5, 3), adaptive_pool_widest_window(6, 3)
    (3, 2)
    >>> adaptive_pool_widest_window(7, 1)        # global pooling: the whole input
    7
    """
    if out_size == 0:
        return 0
    common = math.gcd(in_size, out_size)
    in_part, out_part = in_size // common, out_size // common
    return ceil_div(in_part + out_part - 1, out_part)


def lp_pool_power(base, exponent):
    """``base ** exponent`` as PyTorch's ``pow`` with a number exponent computes it.

    PyTorch takes a square root for ``1/2`` and one over it for ``-1/2``, where C's
    ``pow`` differs at ``-inf`` (``sqrt(-inf)`` is NaN where ``pow(-inf, 0.5)`` is
    ``inf``) and at ``-0.0``; every other exponent is ``np.power``.  A negative base with a
    non-integer exponent gives NaN.

    Examples
    --------
    >>> lp_pool_power(np.array([4., -4., -np.inf]), 0.5)
    array([ 2., nan, nan])
    >>> lp_pool_power(np.array([-0.0, 4.]), -0.5)
    array([-inf,  0.5])
    """
    with np.errstate(invalid="ignore", divide="ignore"):    # NaN and inf are the answer
        if exponent == 0.5:
            return np.sqrt(base)
        if exponent == -0.5:
            return 1 / np.sqrt(base)
        return np.power(base, exponent)


def lp_pool_sign(values):
    """``torch.sign``: -1, 0 or 1, and 0 (not NaN, as ``np.sign`` gives) for NaN.

    Examples
    --------
    >>> lp_pool_sign(np.array([-2., 0., 3., np.nan]))
    array([-1.,  0.,  1.,  0.])
    """
    return np.where(np.isnan(values), 0, np.sign(values))


def lp_pool_mean_gradient(grad_output, mean_power, norm_type, kernel_cells):
    """The gradient that reaches a window's mean of powers, as PyTorch's autograd finds it.

    PyTorch's power average of a window is
    ``(sign(a) * relu(abs(a)) * kernel_cells) ** (1 / norm_type)`` with ``a`` the mean of
    the window's ``x ** norm_type``.  The ``sign * relu(abs)`` leaves every value as it is,
    but its derivative does not: the chain rule through it gives 0 where ``a`` is 0 or NaN
    (``torch.sign`` is 0 there, and ReLU passes no gradient at 0), even where the outer
    power's derivative is infinite.  This follows the backward formulas step by step (the
    power's ``grad * (e * base ** (e - 1))``, the product's, ReLU's ``where(result <= 0, 0,
    grad)``, abs's ``grad * sign``), so that NaN and infinity come out where PyTorch's do.

    Parameters
    ----------
    grad_output : float or ndarray
        The gradient with respect to the output cells.
    mean_power : float or ndarray
        ``a``, of the same shape.
    norm_type : float
        The power ``p``, finite and non-zero.
    kernel_cells : int
        ``prod(kernel_size)``: PyTorch multiplies by the full kernel, also for a
        ``ceil_mode`` window cut short.

    Examples
    --------
    Window ``[3, 4]``, ``p = 2``: the output is ``sqrt(2 * 12.5) = 5`` and its derivative
    with respect to the mean of squares is ``2 / (2 * 5) = 0.2``; a window of zeros gets 0:

    >>> lp_pool_mean_gradient(1.0, np.array([12.5, 0.0]), 2.0, 2)
    array([0.2, 0. ])
    """
    inverse = 1.0 / norm_type
    with np.errstate(invalid="ignore", over="ignore"):    # 0 * inf is NaN here, as in PyTorch
        scaled = mean_power * kernel_cells
        grad_scaled = grad_output * (inverse * lp_pool_power(scaled, inverse - 1))
        grad_signed = grad_scaled * kernel_cells
        sign = lp_pool_sign(mean_power)
        magnitude = np.abs(mean_power)               # relu(abs(a)): abs(a) is never below 0
        grad_magnitude = np.where(magnitude <= 0, 0, grad_signed * sign)
        return grad_magnitude * sign


class MaxUnpoolGeometry(NamedTuple):
    """A max unpooling's geometry, normalised: one entry per spatial dimension."""

    kernel_size: tuple
    stride: tuple
    """``kernel_size`` when the caller gave ``None``."""
    padding: tuple
    """``(before, after)`` pairs."""
    default_size: tuple
    """:func:`max_unpool_output_size` per dimension."""
    out_size: tuple
    """``output_size`` if given (its spatial part), else ``default_size``."""


class AdaptivePoolGeometry(NamedTuple):
    """An adaptive pooling's geometry: one entry per spatial dimension."""

    out_size: tuple
    """The output's spatial size, ``None`` entries replaced by the input's size."""
    widest_window: tuple
    """:func:`adaptive_pool_widest_window` per dimension."""


class LpPoolGeometry(NamedTuple):
    """A power-average pooling's geometry, normalised: one entry per spatial dimension."""

    norm_type: float
    kernel_size: tuple
    stride: tuple
    """``kernel_size`` when the caller gave ``None`` or ``()`` (:func:`pool_stride`)."""
    padding: tuple
    """Always ``(0, 0)`` pairs: power-average pooling has no padding."""
    dilation: tuple
    """Always 1s: nor dilation."""
    out_size: tuple


def max_unpool_geometry(in_size, kernel_size, stride=None, padding=0, output_size=None,
                        batch_and_channels=None):
    """Check and normalise a max unpooling's hyperparameters for an input of ``in_size``.

    Parameters
    ----------
    in_size : tuple of int
        The input's (and the indices') spatial size, each at least 1.
    kernel_size, stride, padding
        As for max pooling; ``stride`` defaults to ``kernel_size``.  They only fix the
        default output size, :func:`max_unpool_output_size`.
    output_size : sequence of int, optional
        The spatial output size, or ``(N, C, *spatial)``; each spatial entry within
        :func:`max_unpool_size_range`.
    batch_and_channels : (int, int), optional
        The input's ``N`` and ``C``; an ``output_size`` that starts with other values is
        refused (PyTorch ignores them).

    Returns
    -------
    MaxUnpoolGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> max_unpool_geometry((2, 2), 2, output_size=(1, 1, 5, 5))
    MaxUnpoolGeometry(kernel_size=(2, 2), stride=(2, 2), padding=((0, 0), (0, 0)),
                      default_size=(4, 4), out_size=(5, 5))
    >>> max_unpool_geometry((2, 2), 2, output_size=(6, 6))
    Traceback (most recent call last):
    ...
    ValueError: output_size=(6, 6): spatial dimension 0 must be from 3 to 5, less than one
    stride (2) from the default size (in - 1)*stride - before - after + kernel_size
    = (2 - 1)*2 - 0 - 0 + 2 = 4 (PyTorch's rule)
    """
    ndim = len(in_size)
    _check_input_cells(in_size, "max_unpool")
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = kernel_size if stride is None else int_tuple(stride, ndim, "stride", minimum=1)
    _reject_padding_string(padding, "max_unpool")
    padding = padding_pairs(padding, ndim)
    default_size = tuple(max_unpool_output_size(n, k, s, pad)
                         for n, k, s, pad in zip(in_size, kernel_size, stride, padding))
    formulas = [f"(in - 1)*stride - before - after + kernel_size = ({n} - 1)*{s} - {pad[0]} - "
                f"{pad[1]} + {k} = {size}"
                for n, k, s, pad, size in zip(in_size, kernel_size, stride, padding,
                                              default_size)]
    if output_size is None:
        for dim, (size, formula) in enumerate(zip(default_size, formulas)):
            if size < 0:
                raise ValueError(f"output size along spatial dimension {dim} would be {size}, "
                                 f"but must be at least 0: {formula}")
        return MaxUnpoolGeometry(kernel_size, stride, padding, default_size, default_size)
    out_size = _output_size_entries(output_size, ndim, batch_and_channels)
    for dim, (size, n, k, s, pad, formula) in enumerate(zip(out_size, in_size, kernel_size,
                                                           stride, padding, formulas)):
        low, high = max_unpool_size_range(n, k, s, pad)
        if not low <= size <= high:
            raise ValueError(
                f"output_size={output_size!r}: spatial dimension {dim} must be from {low} to "
                f"{high}, less than one stride ({s}) from the default size {formula} "
                f"(PyTorch's rule)")
    return MaxUnpoolGeometry(kernel_size, stride, padding, default_size, out_size)


def _output_size_entries(output_size, ndim, batch_and_channels):
    """The spatial entries of an ``output_size`` (max unpooling's, the transposed
    convolution's), type- and length-checked; ``N`` and ``C`` in front must be the output's."""
    expected = (f"a sequence of {ndim} ints (the spatial size) or {ndim + 2} ints (N, C and "
                f"the spatial size)")
    if not is_sequence(output_size):
        raise TypeError(f"output_size={short_repr(output_size)} must be None or {expected}")
    if len(output_size) not in (ndim, ndim + 2):      # before the entries: range(10**12)
        raise ValueError(f"output_size={short_repr(output_size)} has {len(output_size)} "
                         f"entries; expected {expected}")
    if not all(is_int(v) for v in output_size):
        raise TypeError(f"output_size={short_repr(output_size)} must be None or {expected}")
    values = tuple(int(v) for v in output_size)
    check_int64(values, "output_size", output_size)
    if len(values) == ndim + 2:
        if batch_and_channels is not None and values[:2] != tuple(batch_and_channels):
            raise ValueError(
                f"output_size={output_size!r} starts with N, C = {values[:2]}, but the output "
                f"has N, C = {tuple(batch_and_channels)}; give the spatial size only, or the "
                f"output's N and C")
        values = values[2:]
    return values


def adaptive_pool_geometry(in_size, output_size):
    """Check and normalise an adaptive pooling's ``output_size`` for an input of ``in_size``.

    Parameters
    ----------
    in_size : tuple of int
        The input's spatial size, each at least 1.
    output_size : int, None, or sequence of int or None
        One size for every dimension, or one per dimension; ``None`` keeps the input's
        size.  0 is allowed (an empty output, as in PyTorch).

    Returns
    -------
    AdaptivePoolGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> adaptive_pool_geometry((5, 7), (3, None))
    AdaptivePoolGeometry(out_size=(3, 7), widest_window=(3, 1))
    """
    ndim = len(in_size)
    _check_input_cells(in_size, "adaptive pooling",
                       "as PyTorch's adaptive max pooling does; its average returns NaN, the "
                       "mean of no cells")
    expected = f"an int, None, or {ndim} entries that are ints or None"
    if output_size is None or is_int(output_size):
        entries = (output_size,) * ndim
    elif is_sequence(output_size):
        if len(output_size) != ndim:
            raise ValueError(f"output_size={short_repr(output_size)} has {len(output_size)} "
                             f"entries; expected {expected}, one per spatial dimension")
        entries = tuple(output_size)
    else:
        raise TypeError(f"output_size={short_repr(output_size)} must be {expected}")
    if not all(entry is None or is_int(entry) for entry in entries):
        raise TypeError(f"output_size={short_repr(output_size)} must be {expected}")
    out_size = tuple(n if entry is None else int(entry) for n, entry in zip(in_size, entries))
    check_int64(out_size, "output_size", output_size)
    if any(size < 0 for size in out_size):
        raise ValueError(f"output_size={output_size!r} must not be negative")
    widest = tuple(adaptive_pool_widest_window(n, o) for n, o in zip(in_size, out_size))
    return AdaptivePoolGeometry(out_size, widest)


def lp_pool_geometry(in_size, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Check and normalise a power-average pooling's hyperparameters.

    ``norm_type`` is a real number other than 0 and NaN (``inf`` and ``-inf`` included);
    the windows are max and average pooling's with no padding and no dilation.

    Returns
    -------
    LpPoolGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> lp_pool_geometry((5, 5), 2, 2, ceil_mode=True)
    LpPoolGeometry(norm_type=2.0, kernel_size=(2, 2), stride=(2, 2), padding=((0, 0), (0, 0)),
                   dilation=(1, 1), out_size=(3, 3))
    """
    ndim = len(in_size)
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, (bool, np.bool_)):
        raise TypeError(f"norm_type={short_repr(norm_type)} must be a real number (the power p)")
    try:
        power = float(norm_type)
    except OverflowError:
        raise ValueError(f"norm_type={short_repr(norm_type)} is too large for a float power; "
                         f"give a float (inf for the max of |x|)") from None
    if power == 0 or math.isnan(power):
        raise ValueError(f"norm_type={short_repr(norm_type)} must be a non-zero number: the "
                         f"output is the 1/norm_type power of a sum")
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    stride = pool_stride(stride, kernel_size)
    padding, dilation = ((0, 0),) * ndim, (1,) * ndim
    # No padding: every window PyTorch keeps starts on an input cell, none needs checking.
    out_size = pool_output_shape(in_size, kernel_size, stride, padding, dilation, ceil_mode)
    return LpPoolGeometry(power, kernel_size, stride, padding, dilation, out_size)


def _check_input_cells(in_size, op_name, pytorch="as PyTorch does"):
    """An op that needs at least one input cell per spatial dimension refuses an empty one;
    ``pytorch`` says what PyTorch does with it."""
    for dim, n in enumerate(in_size):
        if n < 1:
            raise ValueError(f"input has size {n} along spatial dimension {dim}; {op_name} "
                             f"needs at least one cell there ({pytorch})")


# --------------------------------------------------------------------------------------------
# Unfold and fold: the windows of a convolution as columns, and back.  The spatial rank they
# work in, the geometry both share, and one validator each.
# --------------------------------------------------------------------------------------------

__all__ += [
    "unfold_spatial_dims",
    "UnfoldGeometry",
    "unfold_geometry",
    "fold_geometry",
]


def unfold_spatial_dims(size, name):
    """How many spatial dimensions unfold and fold work in, read off ``size``.

    ``size`` is unfold's ``kernel_size`` or fold's ``output_size``: a sequence has one
    entry per spatial dimension (so ``(3,)`` means 1-D, not "3 in every dimension"), and an
    int means 2-D, as in PyTorch, whose ``F.unfold`` and ``F.fold`` work on images only.

    Examples
    --------
    >>> unfold_spatial_dims(3, "kernel_size"), unfold_spatial_dims((3,), "kernel_size")
    (2, 1)
    >>> unfold_spatial_dims((2, 3, 3), "kernel_size")
    3
    >>> unfold_spatial_dims((), "output_size")
    Traceback (most recent call last):
    ...
    ValueError: output_size=() must have at least one entry: one per spatial dimension
    """
    if is_int(size):
        return 2
    if not is_sequence(size):
        raise TypeError(f"{name}={short_repr(size)} must be an int (a 2-D size, as in "
                        f"PyTorch) or a sequence of ints, one per spatial dimension")
    if len(size) == 0:
        raise ValueError(f"{name}={size!r} must have at least one entry: one per spatial "
                         f"dimension")
    return len(size)


class UnfoldGeometry(NamedTuple):
    """Unfold's (and fold's) geometry, normalised: one entry per spatial dimension."""

    kernel_size: tuple
    dilation: tuple
    padding: tuple
    """``(before, after)`` pairs."""
    stride: tuple
    window_counts: tuple
    """Window positions per dimension, :func:`conv_output_size`; ``L`` is their product."""

    @property
    def taps(self):
        """``K = prod(kernel_size)``: the rows one channel takes in the column matrix."""
        return math.prod(self.kernel_size)

    @property
    def windows(self):
        """``L = prod(window_counts)``: the columns."""
        return math.prod(self.window_counts)


def unfold_geometry(in_size, kernel_size, dilation=1, padding=0, stride=1, padded="input"):
    """Check and normalise unfold's hyperparameters for an input of spatial size ``in_size``.

    The windows are a convolution's: per dimension
    ``floor((in + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1`` of
    them, which must be at least 1 (PyTorch's rule too: it refuses a padding that leaves no
    window, rather than unfolding nothing).  Padding is an int, one per dimension, or
    ``(before, after)`` pairs (PyTorch: symmetric only).

    Parameters
    ----------
    in_size : tuple of int
        The spatial size of the array unfolded (for fold, of its output).
    kernel_size, dilation, padding, stride
        PyTorch's argument order.  ``kernel_size`` has ``len(in_size)`` entries, or one
        for all of them, or is an int.
    padded : str
        What the error message calls the array whose padding the windows do not fit.

    Returns
    -------
    UnfoldGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> unfold_geometry((5, 6), (2, 3), padding=1, stride=(2, 1))
    UnfoldGeometry(kernel_size=(2, 3), dilation=(1, 1), padding=((1, 1), (1, 1)),
                   stride=(2, 1), window_counts=(3, 6))
    >>> unfold_geometry((5, 6), (6, 3))
    Traceback (most recent call last):
    ...
    ValueError: window positions along spatial dimension 0 would be 0, but must be at least
    1: floor((in + before + after - dilation*(kernel_size-1) - 1) / stride) + 1 = floor((5 + 0
    + 0 - 1*(6-1) - 1) / 1) + 1 = 0; the dilated kernel spans 6 cells but the padded input
    has 5
    """
    ndim = len(in_size)
    kernel_size = int_tuple(kernel_size, ndim, "kernel_size", minimum=1)
    dilation = int_tuple(dilation, ndim, "dilation", minimum=1)
    _reject_padding_string(padding, "unfold and fold")
    padding = padding_pairs(padding, ndim)
    stride = int_tuple(stride, ndim, "stride", minimum=1)
    window_counts = conv_output_shape(in_size, kernel_size, stride, padding, dilation,
                                      quantity="window positions", padded=padded)
    return UnfoldGeometry(kernel_size, dilation, padding, stride, window_counts)


def fold_geometry(columns_shape, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Check and normalise fold's arguments for columns of shape ``(C * K, L)``.

    The columns must be what :func:`npconv.unfold` makes of an array of spatial size
    ``output_size``: ``C * K`` rows, a whole number of channels of ``K = prod(kernel_size)``
    kernel taps each, and ``L`` columns, one per window position
    (:func:`unfold_geometry` of ``output_size``).

    Parameters
    ----------
    columns_shape : (int, int)
        ``(C * K, L)``: the shape of fold's input without its batch axis.
    output_size : int or sequence of int
        The spatial size of fold's output; its length fixes the spatial rank
        (:func:`unfold_spatial_dims`).  Sizes may be 0 if the padding leaves windows.
    kernel_size, dilation, padding, stride
        As for :func:`unfold_geometry`.

    Returns
    -------
    out_size : tuple of int
    geometry : UnfoldGeometry

    Raises
    ------
    ValueError, TypeError
        Naming the parameter, the value and what was expected.

    Examples
    --------
    >>> fold_geometry((12, 9), (4, 4), 2)
    ((4, 4), UnfoldGeometry(kernel_size=(2, 2), dilation=(1, 1), padding=((0, 0), (0, 0)),
                            stride=(1, 1), window_counts=(3, 3)))
    >>> fold_geometry((12, 8), (4, 4), 2)
    Traceback (most recent call last):
    ...
    ValueError: input has L = 8 columns (its last axis), but output_size=(4, 4) holds
    3 * 3 = 9 window positions of kernel_size=(2, 2) with dilation=(1, 1),
    padding=((0, 0), (0, 0)), stride=(1, 1): one column per window
    >>> fold_geometry((13, 9), (4, 4), 2)
    Traceback (most recent call last):
    ...
    ValueError: input has 13 rows (the axis before its last), which must be divisible by
    K = prod(kernel_size=(2, 2)) = 4: the rows are C channels of K kernel taps each (2-D, as
    output_size=(4, 4))
    """
    ndim = unfold_spatial_dims(output_size, "output_size")
    out_size = int_tuple(output_size, ndim, "output_size", minimum=0)
    geometry = unfold_geometry(out_size, kernel_size, dilation, padding, stride,
                               padded=f"output_size={out_size}")
    rows, columns = columns_shape
    if rows % geometry.taps:
        raise ValueError(
            f"input has {rows} rows (the axis before its last), which must be divisible by "
            f"K = prod(kernel_size={geometry.kernel_size}) = {geometry.taps}: the rows are C "
            f"channels of K kernel taps each ({ndim}-D, as output_size={out_size})")
    if columns != geometry.windows:
        counts = " * ".join(str(count) for count in geometry.window_counts)
        raise ValueError(
            f"input has L = {columns} columns (its last axis), but output_size={out_size} "
            f"holds {counts} = {geometry.windows} window positions of kernel_size="
            f"{geometry.kernel_size} with dilation={geometry.dilation}, padding="
            f"{geometry.padding}, stride={geometry.stride}: one column per window")
    return out_size, geometry
