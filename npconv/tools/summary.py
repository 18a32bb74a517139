"""A whole network's shapes: output shape, parameters, jump and receptive field per layer.

Cheat sheet: the output-size formula and the parameter count, applied layer after layer,
and the receptive field that dilation widens.  A network is written as a compact text
spec, one token per layer, separated by spaces or newlines (``#`` starts a comment)::

    input(1x3x32x32) conv(64,k=3,p=1) relu maxpool(2) conv(128,k=3,p=1) flatten linear(10)

- ``input(NxCxHxW)``: the input shape (or pass ``input_shape=``);
- ``conv(C_out, k=, s=1, p=0, d=1, g=1, bias=1)``: convolution; ``conv1d``, ``conv2d`` and
  ``conv3d`` check the rank, plain ``conv`` takes the input's; ``p`` may be ``same``;
- ``convT(C_out, k=, s=1, p=0, op=0, d=1, g=1, bias=1)``: transposed convolution (also
  ``conv_transpose``, ``deconv``);
- ``maxpool(k, s=k, p=0, d=1, ceil=0)`` and ``avgpool(k, s=k, p=0, ceil=0)``: pooling;
- ``adaptiveavgpool(size)``: PyTorch's AdaptiveAvgPool to ``size``;
- ``relu``, ``lrelu``, ``tanh``, ``sigmoid``, ``gelu``, ``softmax``, ``dropout``: same
  shape, no parameters;
- ``bn``: batch norm, same shape, ``2 * C`` parameters (scale and shift);
- ``flatten``: ``(N, C, *spatial) -> (N, C * prod(spatial))``;
- ``linear(out_features, bias=1)``: acts on the last axis (also ``fc``).

Sizes with several values are joined by ``x`` (``k=3x5``).  The long PyTorch names work as
keys too (``kernel_size``, ``stride``, ``padding``, ``dilation``, ``groups``,
``output_padding``).

The *jump* of a layer is the distance, in input cells, between two neighbouring cells of
its output (the product of the strides so far); its *receptive field* is how many input
cells one of its output cells sees (:func:`npconv.shapes.receptive_field`).  A transposed
convolution with stride ``s`` divides the jump by ``s`` (it is zero insertion, a layer of
stride ``1/s``, followed by a stride-1 convolution), so in a generator both can be
fractions.  After ``flatten`` every cell sees the whole input.

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

from .calculator import conv_report, conv_transpose_report, pool_report
from ..shapes import adaptive_pool_widest_window, receptive_field

__all__ = ["Layer", "Row", "Summary", "format_summary", "parse_spec", "summarize"]


class Layer(NamedTuple):
    """One parsed token of a spec."""

    kind: str
    """Canonical kind: ``conv``, ``conv_transpose``, ``max_pool``, ``avg_pool``,
    ``adaptive_avg_pool``, ``activation``, ``batch_norm``, ``flatten``, ``linear``."""
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
    one value per dimension joined by ``x`` when they differ; ``"-"`` after flatten."""
    receptive_field: str
    """Input cells one output cell sees, formatted like ``jump``; ``"all"`` after flatten."""


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
    "adaptive_avg_pool": "adaptive_avg_pool", "relu": "activation", "lrelu": "activation",
    "leakyrelu": "activation", "tanh": "activation", "sigmoid": "activation",
    "gelu": "activation", "softmax": "activation", "dropout": "activation",
    "bn": "batch_norm", "batchnorm": "batch_norm", "flatten": "flatten", "linear": "linear",
    "fc": "linear", "input": "input",
}
_LONG_NAMES = {"kernel_size": "k", "stride": "s", "padding": "p", "dilation": "d",
               "groups": "g", "output_padding": "op", "ceil_mode": "ceil"}
_TOKEN = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\(([^()]*)\))?")
_RANK = re.compile(r"^(.*?)([123])d$")


def _value(text, token):
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text in ("same", "valid"):
        return text
    try:
        parts = tuple(int(part) for part in re.split(r"[x:]", text))
    except ValueError:
        raise ValueError(f"{token!r}: {text!r} is not a number, sizes like 3x5, "
                         f"'same' or 'valid'") from None
    return parts[0] if len(parts) == 1 else parts


def parse_spec(text):
    """Parse a spec into its input shape (or ``None``) and its :class:`Layer` s.

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
    text = re.sub(r"#[^\n]*", " ", text)
    position, input_shape, layers = 0, None, []
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        if match is None:
            rest = text[position:].strip().split()[0]
            raise ValueError(f"cannot read the spec at {rest!r}: expected a layer like "
                             f"conv(64,k=3,p=1), relu or maxpool(2)")
        position = match.end()
        name, arguments = match.group(1), match.group(3)
        token = match.group(0).strip()
        rank_match = _RANK.match(name.lower())
        base, rank = (rank_match.group(1), int(rank_match.group(2))) if rank_match \
            else (name.lower(), None)
        kind = _KINDS.get(base)
        if kind is None:
            known = ("conv, conv_transpose, convT, deconv, maxpool, avgpool, adaptiveavgpool, "
                     "relu, lrelu, tanh, sigmoid, gelu, softmax, dropout, bn, flatten, linear, "
                     "fc, input")
            raise ValueError(f"unknown layer {token!r} (token {len(layers) + 1}); expected "
                             f"one of {known}")
        args, options = [], {}
        for part in (arguments or "").split(","):
            if not part.strip():
                continue
            if "=" in part:
                key, value = part.split("=", 1)
                key = key.strip()
                options[_LONG_NAMES.get(key, key)] = _value(value, token)
            else:
                if options:
                    raise ValueError(f"{token!r}: positional argument {part.strip()!r} "
                                     f"after a keyword argument")
                args.append(_value(part, token))
        if kind == "input":
            if len(args) == 1 and isinstance(args[0], tuple):
                input_shape = args[0]
            else:
                input_shape = tuple(args)
            continue
        layers.append(Layer(kind, token, rank, tuple(args), options))
    return input_shape, layers


def _option(layer, key, position, default, required=False):
    if key in layer.options:
        return layer.options[key]
    if position is not None and len(layer.args) > position:
        return layer.args[position]
    if required:
        raise ValueError(f"{layer.text!r} needs {key}= (or it as argument {position + 1})")
    return default


def _check_options(layer, allowed):
    unknown = set(layer.options) - set(allowed)
    if unknown:
        raise ValueError(f"{layer.text!r}: unknown option(s) {', '.join(sorted(unknown))}; "
                         f"this layer takes {', '.join(allowed) or 'none'}")


def _fraction_text(values):
    texts = [str(value) if not isinstance(value, Fraction) or value.denominator != 1
             else str(value.numerator) for value in values]
    return texts[0] if len(set(texts)) == 1 else "x".join(texts)


def _layer_output(layer, shape):
    """Output shape, parameter count and per-dimension (kernel, stride, dilation) triples."""
    ndim = len(shape) - 2
    if layer.rank is not None and layer.rank != ndim:
        raise ValueError(f"{layer.text!r} needs a {layer.rank}-d input (N, C and {layer.rank} "
                         f"spatial sizes), got shape {shape}")
    if layer.kind in ("conv", "conv_transpose"):
        allowed = ["k", "s", "p", "d", "g", "bias"] + (["op"] if layer.kind != "conv" else [])
        _check_options(layer, allowed)
        out_channels = _option(layer, "out_channels", 0, None, required=True)
        kernel = _option(layer, "k", 1, None, required=True)
        common = {"kernel_size": kernel, "stride": _option(layer, "s", 2, 1),
                  "padding": _option(layer, "p", 3, 0), "dilation": _option(layer, "d", None, 1),
                  "groups": _option(layer, "g", None, 1),
                  "bias": bool(_option(layer, "bias", None, True))}
        if layer.kind == "conv":
            report = conv_report(shape, out_channels, **common)
        else:
            report = conv_transpose_report(shape, out_channels,
                                           output_padding=_option(layer, "op", None, 0),
                                           **common)
    elif layer.kind in ("max_pool", "avg_pool"):
        allowed = ["k", "s", "p", "ceil"] + (["d"] if layer.kind == "max_pool" else
                                             ["count_include_pad"])
        _check_options(layer, allowed)
        extra = ({"dilation": _option(layer, "d", None, 1)} if layer.kind == "max_pool" else
                 {"count_include_pad": bool(_option(layer, "count_include_pad", None, True))})
        report = pool_report(layer.kind.split("_")[0], shape,
                             _option(layer, "k", 0, None, required=True),
                             _option(layer, "s", 1, None), _option(layer, "p", 2, 0),
                             ceil_mode=bool(_option(layer, "ceil", None, False)), **extra)
    else:
        report = None
    if report is not None:
        if report.problems:
            raise ValueError(f"{layer.text!r} on input {shape}: " + "; ".join(report.problems))
        if layer.kind == "conv_transpose":      # zero insertion (stride 1/s), then a conv
            triples = [[(1, Fraction(1, dim.stride), 1), (dim.kernel_size, 1, dim.dilation)]
                       for dim in report.dimensions]
        else:
            triples = [[(dim.kernel_size, dim.stride, dim.dilation)]
                       for dim in report.dimensions]
        return report.output_shape, report.parameters, triples
    if layer.kind == "adaptive_avg_pool":
        _check_options(layer, [])
        size = _option(layer, "size", 0, None, required=True)
        sizes = size if isinstance(size, tuple) else (size,) * ndim
        triples = []
        for n, out in zip(shape[2:], sizes):
            widest = adaptive_pool_widest_window(n, out)
            triples.append([(widest, Fraction(n, out), 1)])
        return (*shape[:2], *sizes), 0, triples
    if layer.kind == "activation":
        return shape, 0, [[(1, 1, 1)]] * ndim
    if layer.kind == "batch_norm":
        return shape, 2 * shape[1], [[(1, 1, 1)]] * ndim
    if layer.kind == "flatten":
        return (shape[0], math.prod(shape[1:])), 0, None
    if layer.kind == "linear":
        _check_options(layer, ["bias"])
        features = _option(layer, "out_features", 0, None, required=True)
        bias = bool(_option(layer, "bias", None, True))
        return (*shape[:-1], features), shape[-1] * features + (features if bias else 0), None
    raise ValueError(f"{layer.text!r}: unknown layer kind {layer.kind!r}")


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
    shape = tuple(int(v) for v in shape)
    if len(shape) < 2 or any(v < 1 for v in shape):
        raise ValueError(f"input shape {shape} must be (N, C, *spatial) with sizes >= 1")
    if not layers:
        raise ValueError("the spec has no layers")
    history = [[] for _ in shape[2:]]          # per dimension: (kernel, stride, dilation)
    spatial = True
    rows, total = [], 0
    for index, layer in enumerate(layers, start=1):
        if len(shape) < 3 and layer.kind in ("conv", "conv_transpose", "max_pool", "avg_pool",
                                             "adaptive_avg_pool"):
            raise ValueError(f"{layer.text!r} (layer {index}) needs (N, C, *spatial), got "
                             f"shape {shape}")
        shape, parameters, triples = _layer_output(layer, shape)
        total += parameters
        if triples is None:
            spatial = False
        if spatial:
            for dim, extra in enumerate(triples):
                history[dim].extend(extra)
            fields, jumps = zip(*(receptive_field(dim_history) for dim_history in history))
            rows.append(Row(index, layer.text, shape, parameters, _fraction_text(jumps),
                            _fraction_text(fields)))
        else:
            rows.append(Row(index, layer.text, shape, parameters, "-", "all"))
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
