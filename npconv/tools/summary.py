"""A whole network's shapes: output shape, parameters, jump and receptive field per layer.

Cheat sheet: the output-size formula and the parameter count, applied layer after layer,
and the receptive field that dilation widens.  A network is written as a compact text
spec, one token per layer, separated by spaces or newlines (``#`` starts a comment)::

    input(1x3x32x32) conv(64,k=3,p=1) relu maxpool(2) conv(128,k=3,p=1) flatten linear(10)

- ``input(NxCxHxW)``: the input shape (or pass ``input_shape=``);
- ``conv(C_out, k=, s=1, p=0, d=1, g=1, bias=1)``: convolution; ``conv1d``, ``conv2d`` and
  ``conv3d`` check the rank, plain ``conv`` takes the input's; ``p`` may be ``same``;
- ``convT(C_out, k=, s=1, p=0, op=0, d=1, g=1, bias=1, size=)``: transposed convolution
  (also ``conv_transpose``, ``deconv``); ``size`` is the ``output_size`` its PyTorch layer's
  forward may take (one int for every dimension, or the sizes), which picks the
  ``output_padding``;
- ``maxpool(k, s=k, p=0, d=1, ceil=0)`` and ``avgpool(k, s=k, p=0, ceil=0)``: pooling;
- ``adaptiveavgpool(size)`` and ``adaptivemaxpool(size)``: PyTorch's AdaptiveAvgPool and
  AdaptiveMaxPool to ``size``;
- ``lppool(norm, k, s=k, ceil=0)``: PyTorch's LPPool, the power ``norm`` (``2``, ``1.5``,
  ``inf``) of windows of ``k``;
- ``maxunpool(k, s=k, p=0, size=)``: PyTorch's MaxUnpool, undoing a ``maxpool(k, s, p)``
  (the indices are the pooling's); ``size`` is the ``output_size`` to restore, default
  ``(in - 1) * s - 2 * p + k``;
- ``unfold(k, d=1, p=0, s=1)``: PyTorch's Unfold, ``(N, C, *spatial) -> (N, C * K, L)``
  with ``K`` the kernel's taps and ``L`` its window positions; like ``flatten``, it ends
  the spatial dimensions (the table's jump and receptive field stop there);
- ``fold(size, k, d=1, p=0, s=1)``: PyTorch's Fold, ``(N, C * K, L) -> (N, C, *size)``:
  ``size`` one int (a square image, as in PyTorch) or the sizes joined by ``x``; ``L``
  must be the number of windows in ``size``;
- ``relu``, ``lrelu``, ``tanh``, ``sigmoid``, ``gelu``, ``softmax``, ``dropout``: same
  shape, no parameters;
- ``bn``: batch norm, same shape, ``2 * C`` parameters (scale and shift);
- ``flatten``: ``(N, C, *spatial) -> (N, C * prod(spatial))``;
- ``linear(out_features, bias=1)``: acts on the last axis (also ``fc``).

Sizes with several values are joined by ``x`` (``k=3x5``), a padding may be
``before:after`` pairs (``p=0:1x1:1``), flags (``bias``, ``ceil``) are ``0``, ``1``,
``true`` or ``false``, and a power may be a decimal number.  The long PyTorch names work
as keys too (``kernel_size``, ``stride``, ``padding``, ``dilation``, ``groups``,
``output_padding``, ``ceil_mode``, ``norm_type``, ``output_size``).
Integers are at most ``2**63 - 1``, an input shape has at most :data:`MAX_SIZES` sizes, and
a spec at most :data:`MAX_SPEC_CHARS` characters.

The *jump* of a layer is the distance, in input cells, between two neighbouring cells of
its output (the product of the strides so far); its *receptive field* is how many input
cells one of its output cells sees (:func:`npconv.shapes.receptive_field`).  A transposed
convolution with stride ``s`` divides the jump by ``s`` (it is zero insertion, a layer of
stride ``1/s``, followed by a stride-1 convolution), so in a generator both can be
fractions; max unpooling with stride ``s`` does the same.  An adaptive pooling moves
``in / out`` cells from window to window and sees its widest window.  After ``flatten``
every cell sees the whole input.

Examples
--------
>>> result = summarize("input(1x3x32x32) conv(64,k=3,p=1) relu maxpool(2) "
...                    "conv(128,k=3,p=1)")
>>> result.output_shape, result.total_parameters
((1, 128, 16, 16), 75648)
>>> [(row.jump, row.receptive_field) for row in result.rows]
[('1', '3'), ('1', '3'), ('2', '4'), ('2', '8')]
"""

import math
import re
from fractions import Fraction
from typing import NamedTuple

from .calculator import (adaptive_pool_report, conv_report, conv_transpose_report,
                         fold_report, input_sizes, lp_pool_report, max_unpool_report,
                         pool_report, unfold_report)
from ..shapes import INT64_MAX, is_int, receptive_field

__all__ = ["MAX_SIZES", "MAX_SPEC_CHARS", "Layer", "Row", "Summary", "format_summary",
           "parse_spec", "summarize"]

MAX_SPEC_CHARS = 1_000_000
"""The longest spec read: a million characters, some 100,000 layers."""
MAX_SIZES = 32
"""The most sizes an input shape may have: N, C and 30 spatial dimensions."""


class Layer(NamedTuple):
    """One parsed token of a spec."""

    kind: str
    """Canonical kind: ``conv``, ``conv_transpose``, ``max_pool``, ``avg_pool``,
    ``adaptive_avg_pool``, ``adaptive_max_pool``, ``lp_pool``, ``max_unpool``, ``unfold``,
    ``fold``, ``activation``, ``batch_norm``, ``flatten``, ``linear``."""
    text: str
    """The token as written, for the table."""
    rank: object
    """1, 2 or 3 if the token named it (``conv2d``), else ``None``."""
    args: tuple
    """Positional arguments."""
    options: dict
    """Keyword arguments, under their short names (``k``, ``s``, ``p``, ...)."""


class Row(NamedTuple):
    """One line of the table."""

    index: int
    layer: str
    output_shape: tuple
    parameters: int
    jump: str
    """Distance between neighbouring output cells, in input cells (e.g. ``"4"``, ``"1/2"``);
    one value per dimension joined by ``x`` when they differ; ``"-"`` after flatten or
    unfold."""
    receptive_field: str
    """Input cells one output cell sees, formatted like ``jump``; ``"all"`` after flatten or
    unfold."""


class Summary(NamedTuple):
    """The table of a whole network, and its totals."""

    input_shape: tuple
    rows: tuple
    total_parameters: int
    output_shape: tuple


_KINDS = {
    "conv": "conv", "conv_transpose": "conv_transpose", "convt": "conv_transpose",
    "deconv": "conv_transpose", "maxpool": "max_pool", "max_pool": "max_pool",
    "avgpool": "avg_pool", "avg_pool": "avg_pool", "adaptiveavgpool": "adaptive_avg_pool",
    "adaptive_avg_pool": "adaptive_avg_pool", "adaptivemaxpool": "adaptive_max_pool",
    "adaptive_max_pool": "adaptive_max_pool", "lppool": "lp_pool", "lp_pool": "lp_pool",
    "maxunpool": "max_unpool", "max_unpool": "max_unpool", "unfold": "unfold", "fold": "fold",
    "relu": "activation", "lrelu": "activation",
    "leakyrelu": "activation", "tanh": "activation", "sigmoid": "activation",
    "gelu": "activation", "softmax": "activation", "dropout": "activation",
    "bn": "batch_norm", "batchnorm": "batch_norm", "flatten": "flatten", "linear": "linear",
    "fc": "linear", "input": "input",
}
_LONG_NAMES = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d",
               "groups": "g", "output_padding": "op", "ceil_mode": "ceil",
               "norm_type": "norm", "output_size": "size"}
_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(\(([^()]*)\))?")
_SPACE = re.compile(r"\s*")
_WORD = re.compile(r"\S*")
_RANK = re.compile(r"^(.*?)([123])d$")
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_REAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?inf",
                   re.IGNORECASE)
_POSITIONAL = {"conv": ("out_channels", "k", "s", "p"), "conv_transpose": ("out_channels", "k",
               "s", "p"), "max_pool": ("k", "s", "p"), "avg_pool": ("k", "s", "p"),
               "adaptive_avg_pool": ("size",), "adaptive_max_pool": ("size",),
               "lp_pool": ("norm", "k", "s"), "max_unpool": ("k", "s", "p"),
               "unfold": ("k", "d", "p", "s"), "fold": ("size", "k", "d", "p", "s"),
               "linear": ("out_features",), "activation": (), "batch_norm": (), "flatten": ()}
"""Per kind, what its positional arguments are, in order (``input`` takes its sizes)."""


def _short(text, limit=60):
    return text if len(text) <= limit else f"{text[:limit * 2 // 3]}...{text[-limit // 3:]}"


def _value(text, token):
    """One argument of a token: a flag, a padding string, an int, sizes, or padding pairs."""
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text in ("same", "valid"):
        return text
    if not _DECIMAL.fullmatch(text) and _REAL.fullmatch(text):
        return float(text)                      # a power: lppool(1.5, k=2), lppool(inf, k=2)
    parts = [part.split(":") for part in text.split("x")]
    if not all(1 <= len(part) <= 2 and all(_DECIMAL.fullmatch(side.strip()) for side in part)
               for part in parts):
        raise ValueError(f"{_short(token)!r}: {_short(text)!r} is not a number, sizes like "
                         f"3x5, pairs like 0:1, a flag (0, 1, true, false), 'same' or 'valid'"
                         f" (or a power such as 1.5 or inf)")
    digits = len(str(INT64_MAX))                # a longer number is too large: never parsed
    if any(len(side.strip().lstrip("+-").lstrip("0")) > digits or abs(int(side)) > INT64_MAX
           for part in parts for side in part):
        raise ValueError(f"{_short(token)!r}: {_short(text)!r} is too large: at most "
                         f"2**63 - 1")
    numbers = [[int(side) for side in part] for part in parts]
    if ":" in text:                             # before:after pairs, one per dimension
        return tuple(tuple(part * (3 - len(part))) for part in numbers)
    values = tuple(part[0] for part in numbers)
    return values[0] if len(values) == 1 else values


def parse_spec(text):
    """Parse a spec into its input shape (or ``None``) and its :class:`Layer` s.

    The work is linear in the spec's length, which is at most :data:`MAX_SPEC_CHARS`.

    Raises
    ------
    ValueError
        Naming the token that could not be read.

    Examples
    --------
    >>> shape, layers = parse_spec("input(1x1x8x8) conv2d(4, k=3, s=2) relu")
    >>> shape, [(layer.kind, layer.rank, layer.args, layer.options) for layer in layers]
    ((1, 1, 8, 8), [('conv', 2, (4,), {'k': 3, 's': 2}), ('activation', None, (), {})])
    >>> parse_spec("conv(4, k=3) pool(2)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown layer 'pool(2)' (token 2); expected one of conv, conv_transpose, ...
    """
    if len(text) > MAX_SPEC_CHARS:
        raise ValueError(f"the spec has {len(text):,} characters; at most {MAX_SPEC_CHARS:,} "
                         f"are read")
    text = re.sub(r"#[^\n]*", " ", text)
    input_shape, layers = None, []
    position = _SPACE.match(text).end()
    number = 0
    while position < len(text):
        number += 1
        match = _TOKEN.match(text, position)
        if match is None:
            rest = _WORD.match(text, position).group(0)
            raise ValueError(f"cannot read the spec at {_short(rest)!r} (token {number}): "
                             f"expected a layer like conv(64,k=3,p=1), relu or maxpool(2)")
        position = _SPACE.match(text, match.end()).end()
        name, arguments = match.group(1), match.group(3)
        token = match.group(0).strip()
        rank_match = _RANK.match(name.lower())
        base, rank = (rank_match.group(1), int(rank_match.group(2))) if rank_match \
            else (name.lower(), None)
        kind = _KINDS.get(base)
        if kind is None:
            known = ("conv, conv_transpose, convT, deconv, maxpool, avgpool, adaptiveavgpool, "
                     "adaptivemaxpool, lppool, maxunpool, unfold, fold, relu, lrelu, tanh, "
                     "sigmoid, gelu, softmax, dropout, bn, flatten, linear, fc, input")
            raise ValueError(f"unknown layer {_short(token)!r} (token {number}); expected "
                             f"one of {known}")
        if kind in ("unfold", "fold") and rank is not None:
            raise ValueError(f"{_short(token)!r} (token {number}): {kind} takes no 1d/2d/3d "
                             f"(PyTorch's Unfold and Fold have none)")
        args, options = _arguments(arguments, token, kind)
        if kind == "input":
            if input_shape is not None:
                raise ValueError(f"{_short(token)!r} (token {number}): the spec gives the "
                                 f"input shape twice")
            input_shape = _input_shape(args, token)
            continue
        layers.append(Layer(kind, token, rank, tuple(args), options))
    return input_shape, layers


def _arguments(arguments, token, kind):
    """A token's positional arguments and keyword options, checked against its kind."""
    args, options = [], {}
    for part in (arguments or "").split(","):
        if not part.strip():
            continue
        if "=" in part:
            key, value = part.split("=", 1)
            key = _LONG_NAMES.get(key.strip(), key.strip())
            if key in options:
                raise ValueError(f"{_short(token)!r}: {key}= is given twice")
            options[key] = _value(value, token)
        else:
            if options:
                raise ValueError(f"{_short(token)!r}: positional argument "
                                 f"{_short(part.strip())!r} after a keyword argument")
            args.append(_value(part, token))
    names = _POSITIONAL.get(kind, ())
    if kind != "input" and len(args) > len(names):
        takes = f"at most {len(names)} ({', '.join(names)})" if names else "none"
        raise ValueError(f"{_short(token)!r}: {len(args)} positional argument"
                         f"{'s' if len(args) > 1 else ''}; it takes {takes}")
    for name in names[:len(args)]:
        if name in options:
            raise ValueError(f"{_short(token)!r}: {name} is given twice, by position and as "
                             f"{name}=")
    return args, options


def _input_shape(args, token):
    """The sizes of an ``input(...)`` token: N, C (or features) and any spatial sizes."""
    shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else tuple(args)
    if (not 2 <= len(shape) <= MAX_SIZES
            or not all(is_int(n) and n >= 1 for n in shape)):
        raise ValueError(f"{_short(token)!r}: the input shape must be 2 to {MAX_SIZES} sizes "
                         f">= 1 joined by x, like 1x3x32x32 (N, C, *spatial) or 1x784")
    return shape


def _option(layer, key, position, default, required=False):
    if key in layer.options:
        return layer.options[key]
    if position is not None and len(layer.args) > position:
        return layer.args[position]
    if required:
        raise ValueError(f"{_short(layer.text)!r} needs {key}= (or it as argument "
                         f"{position + 1})")
    return default


def _count(layer, key, position, what):
    """A count the layer needs (output channels, features): a positive int."""
    value = _option(layer, key, position, None, required=True)
    if not is_int(value) or value < 1:
        raise ValueError(f"{_short(layer.text)!r}: {what} must be a positive integer, got "
                         f"{value!r}")
    return value


def _flag(layer, key, default):
    """A yes/no option: 0, 1, true or false."""
    value = _option(layer, key, None, default)
    if value not in (0, 1):                       # True and False are 1 and 0
        raise ValueError(f"{_short(layer.text)!r}: {key}={value!r} must be 0, 1, true or "
                         f"false")
    return bool(value)


def _check_options(layer, allowed):
    unknown = set(layer.options) - set(allowed)
    if unknown:
        raise ValueError(f"{_short(layer.text)!r}: unknown option(s) "
                         f"{', '.join(sorted(unknown))}; this layer takes "
                         f"{', '.join(allowed) or 'none'}")


def _fraction_text(values):
    texts = [str(value) if not isinstance(value, Fraction) or value.denominator != 1
             else str(value.numerator) for value in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


def _layer_output(layer, shape):
    """Output shape, parameter count and per-dimension (kernel, stride, dilation) triples."""
    ndim = len(shape) - 2
    if layer.rank is not None and layer.rank != ndim:
        raise ValueError(f"{_short(layer.text)!r} needs a {layer.rank}-d input (N, C and "
                         f"{layer.rank} spatial sizes), got shape {shape}")
    if layer.kind in ("conv", "conv_transpose"):
        allowed = ["k", "s", "p", "d", "g", "bias"] + (["op", "size"] if layer.kind != "conv"
                                                        else [])
        _check_options(layer, allowed)
        out_channels = _count(layer, "out_channels", 0, "the number of output channels")
        kernel = _option(layer, "k", 1, None, required=True)
        common = {"kernel_size": kernel, "stride": _option(layer, "s", 2, 1),
                  "padding": _option(layer, "p", 3, 0), "dilation": _option(layer, "d", None, 1),
                  "groups": _option(layer, "g", None, 1), "bias": _flag(layer, "bias", True)}
        if not is_int(common["groups"]):
            raise ValueError(f"{_short(layer.text)!r}: g={common['groups']!r} must be an "
                             f"integer")
        if layer.kind == "conv":
            report = conv_report(shape, out_channels, **common)
        else:
            size = _option(layer, "size", None, None)
            report = conv_transpose_report(shape, out_channels,
                                           output_padding=_option(layer, "op", None, 0),
                                           output_size=(size,) * ndim if is_int(size)
                                           else size, **common)
    elif layer.kind in ("max_pool", "avg_pool"):
        allowed = ["k", "s", "p", "ceil"] + (["d"] if layer.kind == "max_pool" else
                                             ["count_include_pad"])
        _check_options(layer, allowed)
        extra = ({"dilation": _option(layer, "d", None, 1)} if layer.kind == "max_pool" else
                 {"count_include_pad": _flag(layer, "count_include_pad", True)})
        report = pool_report(layer.kind.split("_")[0], shape,
                             _option(layer, "k", 0, None, required=True),
                             _option(layer, "s", 1, None), _option(layer, "p", 2, 0),
                             ceil_mode=_flag(layer, "ceil", False), **extra)
    elif layer.kind == "lp_pool":
        _check_options(layer, ["norm", "k", "s", "ceil"])
        report = lp_pool_report(shape, _option(layer, "norm", 0, None, required=True),
                                _option(layer, "k", 1, None, required=True),
                                _option(layer, "s", 2, None), _flag(layer, "ceil", False))
    elif layer.kind == "max_unpool":
        _check_options(layer, ["k", "s", "p", "size"])
        size = _option(layer, "size", None, None)
        report = max_unpool_report(shape, _option(layer, "k", 0, None, required=True),
                                   _option(layer, "s", 1, None), _option(layer, "p", 2, 0),
                                   (size,) * ndim if is_int(size) else size)
    elif layer.kind == "unfold":
        _check_options(layer, ["k", "d", "p", "s"])
        report = unfold_report(shape, _option(layer, "k", 0, None, required=True),
                               _option(layer, "d", 1, 1), _option(layer, "p", 2, 0),
                               _option(layer, "s", 3, 1))
    elif layer.kind == "fold":
        _check_options(layer, ["size", "k", "d", "p", "s"])
        report = fold_report(shape, _option(layer, "size", 0, None, required=True),
                             _option(layer, "k", 1, None, required=True),
                             _option(layer, "d", 2, 1), _option(layer, "p", 3, 0),
                             _option(layer, "s", 4, 1))
    elif layer.kind in ("adaptive_avg_pool", "adaptive_max_pool"):
        _check_options(layer, ["size"])
        size = _option(layer, "size", 0, None, required=True)
        sizes = size if isinstance(size, tuple) else (size,) * ndim
        if len(sizes) != ndim or not all(is_int(out) and out >= 1 for out in sizes):
            raise ValueError(f"{_short(layer.text)!r}: the output size must be one integer "
                             f">= 1 or {ndim} of them joined by x, one per spatial dimension "
                             f"of the input {shape}")
        report = adaptive_pool_report(layer.kind.split("_")[1], shape, sizes)
    else:
        report = None
    if report is not None:
        if report.problems:
            raise ValueError(f"{_short(layer.text)!r} on input {shape}: "
                             + "; ".join(report.problems))
        if layer.kind in ("unfold", "fold"):
            # the columns have no spatial layout: as after flatten, jump and field stop
            triples = None
        elif layer.kind in ("conv_transpose", "max_unpool"):
            # zero insertion (stride 1/s), then a stride-1 window: unpooling puts each cell
            # where one of its pooling windows was, as a transposed convolution scatters
            triples = [[(1, Fraction(1, dim.stride), 1), (dim.kernel_size, 1, dim.dilation)]
                       for dim in report.dimensions]
        elif layer.kind in ("adaptive_avg_pool", "adaptive_max_pool"):
            # Each output cell pools a window of about n / out cells, moving n / out cells
            # at a time: a stride of n / out (a fraction), and the widest window as the kernel.
            triples = [[(dim.widest_window, Fraction(dim.in_size, dim.output_size), 1)]
                       for dim in report.dimensions]
        else:
            triples = [[(dim.kernel_size, dim.stride, dim.dilation)]
                       for dim in report.dimensions]
        return report.output_shape, report.parameters, triples
    if layer.kind in ("activation", "batch_norm", "flatten"):
        _check_options(layer, [])
    if layer.kind == "activation":
        return shape, 0, [[(1, 1, 1)]] * ndim
    if layer.kind == "batch_norm":
        return shape, 2 * shape[1], [[(1, 1, 1)]] * ndim
    if layer.kind == "flatten":
        return (shape[0], math.prod(shape[1:])), 0, None
    if layer.kind == "linear":
        _check_options(layer, ["out_features", "bias"])
        features = _count(layer, "out_features", 0, "the number of output features")
        bias = _flag(layer, "bias", True)
        return (*shape[:-1], features), shape[-1] * features + (features if bias else 0), None
    raise ValueError(f"{_short(layer.text)!r}: unknown layer kind {layer.kind!r}")


_SPATIAL_KINDS = {"conv", "conv_transpose", "max_pool", "avg_pool", "adaptive_avg_pool",
                  "adaptive_max_pool", "lp_pool", "max_unpool", "unfold"}
"""The layers that need spatial dimensions to slide over."""


def summarize(spec, input_shape=None):
    """Shapes, parameters, jump and receptive field of every layer of a network.

    Parameters
    ----------
    spec : str
        The layers, in the syntax of the module docstring.
    input_shape : tuple of int, optional
        ``(N, C, *spatial)``; overrides an ``input(...)`` token of the spec.

    Returns
    -------
    Summary

    Raises
    ------
    ValueError
        If the spec cannot be read, has no input shape, or a layer has no valid output
        (the message names the layer and the dimension).

    Examples
    --------
    >>> result = summarize("convT(8, k=4, s=2, p=1) convT(3, k=4, s=2, p=1)",
    ...                    input_shape=(1, 16, 4, 4))
    >>> [(row.output_shape, row.jump, row.receptive_field) for row in result.rows]
    [((1, 8, 8, 8), '1/2', '5/2'), ((1, 3, 16, 16), '1/4', '13/4')]
    """
    parsed_shape, layers = parse_spec(spec)
    shape = input_shape if input_shape is not None else parsed_shape
    if shape is None:
        raise ValueError("no input shape: start the spec with input(NxCxHxW) or give "
                         "input_shape (npconv summary --input)")
    shape = input_sizes(shape)
    if not 2 <= len(shape) <= MAX_SIZES:
        raise ValueError(f"input shape {shape} must be (N, C, *spatial) with sizes >= 1, "
                         f"2 to {MAX_SIZES} of them")
    if not layers:
        raise ValueError("the spec has no layers")
    # Per dimension, the receptive field and jump so far; each layer's own (field, jump)
    # composes onto them: field + jump * (its field - 1), jump * its jump.
    so_far = [(1, 1) for _ in shape[2:]]
    unseen = "-" if len(shape) < 3 else "all"   # after flatten every cell sees everything
    spatial = len(shape) > 2
    rows, total = [], 0
    for index, layer in enumerate(layers, start=1):
        if len(shape) < 3 and layer.kind in _SPATIAL_KINDS:
            raise ValueError(f"{_short(layer.text)!r} (layer {index}) needs (N, C, *spatial), "
                             f"got shape {shape}")
        try:
            shape, parameters, triples = _layer_output(layer, shape)
        except (ValueError, TypeError) as error:
            message = str(error)
            if not message.startswith(repr(_short(layer.text))):
                message = f"{_short(layer.text)!r} (layer {index}): {message}"
            raise ValueError(message) from None
        total += parameters
        if triples is None:
            spatial = False
        if spatial:
            for dim, extra in enumerate(triples):
                field, jump = so_far[dim]
                layer_field, layer_jump = receptive_field(extra)
                so_far[dim] = (field + jump * (layer_field - 1), jump * layer_jump)
            fields, jumps = zip(*so_far)
            rows.append(Row(index, layer.text, shape, parameters, _fraction_text(jumps),
                            _fraction_text(fields)))
        else:
            rows.append(Row(index, layer.text, shape, parameters, "-", unseen))
    return Summary(tuple(int(v) for v in (input_shape or parsed_shape)), tuple(rows), total,
                   shape)


def format_summary(summary):
    """The summary as a text table, like torchinfo's, with the totals at the bottom.

    Examples
    --------
    >>> print(format_summary(summarize("input(1x1x28x28) conv(8,k=3) maxpool(2) flatten "
    ...                                "linear(10)")))
    #  layer        output shape    params  jump  receptive field
    -  -----------  --------------  ------  ----  ---------------
       input        (1, 1, 28, 28)       -     1                1
    1  conv(8,k=3)  (1, 8, 26, 26)      80     1                3
    2  maxpool(2)   (1, 8, 13, 13)       0     2                4
    3  flatten      (1, 1352)            0     -              all
    4  linear(10)   (1, 10)         13,530     -              all
    -  -----------  --------------  ------  ----  ---------------
    total parameters: 13,610
    output shape: (1, 10)
    """
    header = ("#", "layer", "output shape", "params", "jump", "receptive field")
    table = [("", "input", str(summary.input_shape), "-", "1", "1")]
    table += [(str(row.index), row.layer, str(row.output_shape), f"{row.parameters:,}",
               row.jump, row.receptive_field) for row in summary.rows]
    widths = [max(len(line[i]) for line in [header] + table) for i in range(len(header))]
    left = (True, True, True, False, False, False)

    def line(cells):
        return "  ".join(cell.ljust(width) if is_left else cell.rjust(width)
                         for cell, width, is_left in zip(cells, widths, left)).rstrip()

    rule = line(tuple("-" * width for width in widths))
    lines = [line(header), rule, *(line(cells) for cells in table), rule,
             f"total parameters: {summary.total_parameters:,}",
             f"output shape: {summary.output_shape}"]
    return "\n".join(lines)
