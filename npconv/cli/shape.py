r"""The calculator: a layer's output shape, with the formula and the numbers substituted.

Prints the output shape, the output-size formula per dimension, the effective (dilated)
kernel, the parameter count and, for a convolution, the padding "same" would need.  For a
transposed convolution, --target gives the output_padding that reaches a wanted size, and
--output-size the one PyTorch's ConvTranspose forward(input, output_size) would choose, with
its legal range (narrower than --target's when the dilation exceeds the stride); for
pooling with --ceil-mode, which extra windows are kept, and the average-pool divisors at
the border.  The rest of the pooling family: max_unpool (the default size, the legal
--output-size range, and whether the one asked for is in it), adaptive_avg_pool and
adaptive_max_pool (--output-size: each dimension's windows, the widest, and whether they
are ordinary pooling's), lp_pool (--norm-type p; with --ceil-mode, how PyTorch rescales a
window cut short).  unfold gives (N, C*K, L) and the windows per dimension; fold takes
those columns (--input NxC*KxL) and --output-size, whose length is its rank, and checks L
and C*K against them.  A configuration with no valid output says why (exit status 2).

Sizes and hyperparameters: one number for every dimension, or one per dimension joined by
"x" (--kernel 3x5); padding may also be "same", "valid" or before:after pairs (0:1x1:1).

Example:
  npconv shape conv2d --input 1x3x32x32 --out-channels 16 --kernel 3 --stride 2 \
      --padding 1 --dilation 2
  npconv shape conv_transpose2d --input 1x64x16x16 --out-channels 3 --kernel 3 \
      --stride 2 --padding 1 --target 32
  npconv shape avg_pool1d --input 1x1x5 --kernel 2 --ceil-mode
  npconv shape max_unpool2d --input 1x64x56x56 --kernel 2 --output-size 113
  npconv shape adaptive_avg_pool2d --input 1x512x7x7 --output-size 1
  npconv shape lp_pool2d --input 1x64x112x112 --norm-type 2 --kernel 3 --stride 2
  npconv shape unfold --input 1x3x32x32 --kernel 3 --padding 1
  npconv shape fold --input 1x27x1024 --output-size 32x32 --kernel 3 --padding 1
  npconv shape conv_transpose1d --input 1x1x4 --out-channels 1 --kernel 3 --stride 2 \
      --dilation 3 --output-size 14
"""

import argparse
import re
import sys

from ..tools.calculator import (adaptive_pool_report, conv_report, conv_transpose_report,
                                fold_report, lp_pool_report, max_unpool_report, pool_report,
                                unfold_report)
from ..shapes import conv_output_size, taps_text
from .arguments import (add_geometry_arguments, integer, ints_arg, positive_int, shape_arg,
                        shorten)

NAME = "shape"
HELP = "the calculator: output shape, formula, parameters and 'same' padding of one layer"
NAMES_PARAMETERS = True


def add_arguments(parser):
    """The layer kind and its hyperparameters."""
    parser.add_argument("op", help=f"{', '.join(_KINDS)}, optionally with 1d/2d/3d "
                                   f"(conv2d, max_pool1d, ...)")
    parser.add_argument("--input", type=shape_arg, required=True, metavar="NxCx...",
                        help="input shape (N, C, *spatial), e.g. 1x3x32x32; fold's is the "
                             "columns (N, C*K, L)")
    parser.add_argument("--out-channels", type=positive_int, metavar="C_OUT",
                        help="output channels (conv and conv_transpose; required)")
    parser.add_argument("--kernel", type=ints_arg, metavar="K",
                        help="kernel size, e.g. 3 or 3x5 (every op but adaptive pooling; "
                             "required)")
    add_geometry_arguments(parser)
    parser.add_argument("--groups", type=integer, default=1, help="conv: default 1")
    parser.add_argument("--no-bias", dest="bias", action="store_false",
                        help="conv: count no bias parameters")
    parser.add_argument("--target", type=ints_arg, metavar="SIZE",
                        help="conv_transpose: wanted output size; prints the output_padding "
                             "that reaches it")
    parser.add_argument("--output-size", type=ints_arg, metavar="SIZE",
                        help="adaptive pooling and fold (required): the output size (fold: "
                             "its length is the rank, one number a square image); "
                             "max_unpool: the size to restore, conv_transpose: the size "
                             "PyTorch's forward(input, output_size) asks for, spatial or "
                             "NxCx...")
    parser.add_argument("--norm-type", type=norm_type_arg, metavar="P",
                        help="lp_pool (required): the power p, e.g. 2, 1.5 or inf "
                             "(--norm-type=-inf for minus infinity)")


def norm_type_arg(text):
    """The power of ``lp_pool``: any number Python reads as a float (``inf`` included); the
    op's own rule then refuses 0 and NaN.

    >>> norm_type_arg("2"), norm_type_arg("inf")
    (2.0, inf)
    """
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shorten(text)!r} is not a number") from None


_OPTIONS = {                                   # option -> (dest, the value meaning "not given")
    "--out-channels": ("out_channels", None), "--kernel": ("kernel", None),
    "--stride": ("stride", None), "--padding": ("padding", 0), "--groups": ("groups", 1),
    "--no-bias": ("bias", True), "--dilation": ("dilation", 1),
    "--output-padding": ("output_padding", 0), "--target": ("target", None),
    "--ceil-mode": ("ceil_mode", False), "--no-count-include-pad": ("count_include_pad", True),
    "--output-size": ("output_size", None), "--norm-type": ("norm_type", None),
}


def _per_dimension(value, ndim):
    """A size given as one number stands for every dimension (``--output-size 7``)."""
    return (value,) * ndim if isinstance(value, int) else value


def _conv(args, ndim):
    return conv_report(args.input, args.out_channels, args.kernel,
                       1 if args.stride is None else args.stride, args.padding,
                       args.dilation, args.groups, args.bias)


def _conv_transpose(args, ndim):
    output_size = None if args.output_size is None else _per_dimension(args.output_size, ndim)
    return conv_transpose_report(args.input, args.out_channels, args.kernel,
                                 1 if args.stride is None else args.stride, args.padding,
                                 args.output_padding, args.dilation, args.groups, args.bias,
                                 args.target, output_size)


def _pool(kind):
    def report(args, ndim):
        return pool_report(kind, args.input, args.kernel, args.stride, args.padding,
                           args.dilation, args.ceil_mode, args.count_include_pad)
    return report


def _max_unpool(args, ndim):
    output_size = None if args.output_size is None else _per_dimension(args.output_size, ndim)
    return max_unpool_report(args.input, args.kernel, args.stride, args.padding, output_size)


def _adaptive_pool(kind):
    def report(args, ndim):
        return adaptive_pool_report(kind, args.input, _per_dimension(args.output_size, ndim))
    return report


def _unfold(args, ndim):
    return unfold_report(args.input, args.kernel, args.dilation, args.padding,
                         1 if args.stride is None else args.stride)


def _fold(args, ndim):
    return fold_report(args.input, args.output_size, args.kernel, args.dilation, args.padding,
                       1 if args.stride is None else args.stride)


def _lp_pool(args, ndim):
    return lp_pool_report(args.input, args.norm_type, args.kernel, args.stride,
                          args.ceil_mode)


_GEOMETRY = {"--kernel", "--stride", "--padding"}
_KINDS = {
    # kind: (the options it takes, those it needs, its report from the parsed arguments)
    "conv": (_GEOMETRY | {"--out-channels", "--groups", "--no-bias", "--dilation"},
             ("--out-channels", "--kernel"), _conv),
    "conv_transpose": (_GEOMETRY | {"--out-channels", "--groups", "--no-bias", "--dilation",
                                    "--output-padding", "--target", "--output-size"},
                       ("--out-channels", "--kernel"), _conv_transpose),
    "max_pool": (_GEOMETRY | {"--dilation", "--ceil-mode"}, ("--kernel",), _pool("max")),
    "avg_pool": (_GEOMETRY | {"--ceil-mode", "--no-count-include-pad"}, ("--kernel",),
                 _pool("avg")),
    "max_unpool": (_GEOMETRY | {"--output-size"}, ("--kernel",), _max_unpool),
    "adaptive_avg_pool": ({"--output-size"}, ("--output-size",), _adaptive_pool("avg")),
    "adaptive_max_pool": ({"--output-size"}, ("--output-size",), _adaptive_pool("max")),
    "lp_pool": ({"--kernel", "--stride", "--norm-type", "--ceil-mode"},
                ("--norm-type", "--kernel"), _lp_pool),
    "unfold": (_GEOMETRY | {"--dilation"}, ("--kernel",), _unfold),
    "fold": (_GEOMETRY | {"--dilation", "--output-size"}, ("--output-size", "--kernel"), _fold),
}
"""Every op the calculator knows.  A new op is one entry here and, in
:mod:`npconv.tools.calculator`, the function that reports it."""
_OP = re.compile(rf"^({'|'.join(_KINDS)})([123]d)?$")
_NO_RANK_SUFFIX = {"unfold", "fold"}
"""Kinds PyTorch names without 1d/2d/3d (its F.unfold and F.fold)."""


def report_for(args):
    """The :class:`~npconv.tools.calculator.ShapeReport` the arguments ask for."""
    match = _OP.match(args.op)
    if match is None:
        raise ValueError(f"op {args.op!r} is not one of {', '.join(_KINDS)} (optionally "
                         f"followed by 1d, 2d or 3d)")
    kind, rank = match.groups()
    if kind in _NO_RANK_SUFFIX and rank is not None:
        source = "the input's" if kind == "unfold" else "the length of --output-size"
        raise ValueError(f"op {args.op!r}: {kind} takes no 1d/2d/3d (PyTorch's F.{kind} has "
                         f"none); the spatial rank is {source}")
    takes, needs, report = _KINDS[kind]
    for option, (dest, unset) in _OPTIONS.items():
        if getattr(args, dest) != unset and option not in takes:
            raise ValueError(f"{option} is not an option of {kind}; it takes "
                             f"{', '.join(sorted(takes))}")
    ndim = len(args.input) - 2
    if kind == "fold" and ndim != 1:
        raise ValueError(f"--input {_shape_text(args.input)}: fold's input is the columns "
                         f"(N, C*K, L), 3 sizes; the output's rank is --output-size's")
    if ndim < 1:
        raise ValueError(f"--input {_shape_text(args.input)} needs (N, C, *spatial): at least "
                         f"3 sizes")
    if rank is not None and int(rank[0]) != ndim:
        raise ValueError(f"{args.op} needs an input of {int(rank[0]) + 2} sizes (N, C and "
                         f"{rank[0]} spatial), got --input {_shape_text(args.input)}")
    for option in needs:
        if getattr(args, _OPTIONS[option][0]) is None:
            raise ValueError(f"{kind} needs {option}")
    if kind != "conv" and isinstance(args.padding, str):
        raise TypeError(f"--padding {args.padding} is only for conv; give a number")
    return report(args, ndim)


def run(args):
    """Print the report; exit status 2 (and one line on stderr) if the layer has no valid
    output."""
    report = report_for(args)
    for line in format_report(report):
        print(line)
    if report.problems:                        # one line on stderr, however many
        print(f"npconv shape: error: {'; '.join(report.problems)}", file=sys.stderr)
        return 2
    return 0


def _shape_text(shape):
    return "x".join(str(size) for size in shape)


def format_report(report):
    """The report as lines of text."""
    dims = report.dimensions
    names = "x".join(dim.name for dim in dims)
    if report.output_shape is None and all(dim.output_size >= 1 for dim in dims):
        head = (f"{report.op}: input {_shape_text(report.input_shape)} does not fit this "
                f"layer: {'; '.join(report.problems)}")
    elif report.output_shape is None:
        head = f"{report.op}: input {_shape_text(report.input_shape)} has no valid output"
    else:
        head = (f"{report.op}: input {_shape_text(report.input_shape)} -> output "
                f"{_shape_text(report.output_shape)}")
    lines = [head]
    adaptive = dims[0].widest_window is not None
    what = ("windows" if adaptive else "window positions" if dims[0].window_count is not None
            else "output size")
    lines.append(f"{what} per dimension: {report.size_formula}")
    for dim in dims:
        lines.append(f"  {dim.name}: {dim.formula}")
    if adaptive:
        lines.extend(_adaptive_lines(dims))
    transposed = report.op.startswith("conv_transpose")
    if dims[0].size_range is not None:
        lines.extend(_transposed_size_lines(dims) if transposed else _unpool_lines(dims))
    if dims[0].effective_kernel is not None:
        spans = "x".join(str(dim.effective_kernel) for dim in dims)
        kernels = "x".join(str(dim.kernel_size) for dim in dims)
        if any(dim.dilation > 1 for dim in dims):
            how = ", ".join(f"{dim.name} {dim.dilation}*({dim.kernel_size}-1) + 1 = "
                            f"{dim.effective_kernel}" for dim in dims)
            lines.append(f"effective kernel: {kernels} taps span {spans} cells ({how})")
        else:
            lines.append(f"effective kernel: {spans} (no dilation)")
    lines.append(f"parameters: {report.parameter_formula}")
    if dims[0].same_padding is not None:
        pads = ", ".join(f"{dim.name} {dim.same_padding}" for dim in dims)
        same_out = "x".join(str(conv_output_size(dim.in_size, dim.kernel_size, dim.stride,
                                                 dim.same_padding, dim.dilation))
                            for dim in dims)
        lines.append(f"'same' padding (before, after): {pads} -> {names} {same_out}")
    if any(dim.output_padding is not None for dim in dims) and dims[0].size_range is None:
        pads = ", ".join(f"{dim.name} {dim.output_padding}" for dim in dims)
        lines.append(f"output_padding reaching --target: {pads}")
    for dim in dims if not adaptive else ():
        for window in dim.windows:
            verdict = "kept" if window.kept else "dropped: it would start past the input " \
                                                 "and its left padding"
            lines.append(f"ceil_mode window {dim.name}[{window.index}]: taps at "
                         f"{taps_text(window.taps)}, {window.in_input} on the input, "
                         f"{window.in_padding} on padding -> {verdict}")
    held = "cells held (PyTorch's mean divides by them)" if report.op.startswith("lp_pool") \
        else "average divisors"
    for dim in dims:
        if dim.divisors:
            lines.append(f"{held} along {dim.name}: {' '.join(str(d) for d in dim.divisors)}")
    lines.extend(f"note: {note}" for note in report.notes)
    return lines


def _adaptive_lines(dims):
    """Per dimension the first windows and the last, the widest, and whether ordinary
    pooling has the same windows."""
    lines = []
    for dim in dims:
        if not dim.windows:
            continue
        shown = [f"[{window.taps.start}, {window.taps.stop})" for window in dim.windows]
        if dim.windows[-1].index > len(dim.windows) - 1:
            shown.insert(-1, "...")
        lines.append(f"  {dim.name} windows: {', '.join(shown)}; widest "
                     f"{dim.widest_window} cell{'s' if dim.widest_window != 1 else ''}")
    verdicts = []
    for dim in dims:
        n, out = dim.in_size, dim.output_size
        if dim.pooling_kernel is not None:
            verdicts.append(f"{dim.name} yes, kernel = stride = {n}/{out} = "
                            f"{dim.pooling_kernel}")
        elif out == 0:
            verdicts.append(f"{dim.name} has no windows")
        else:
            shared = "repeat cells" if out > n else "share cells"
            verdicts.append(f"{dim.name} no: {n}/{out} is not whole, neighbouring windows "
                            f"{shared}")
    lines.append(f"ordinary pooling with kernel = stride = in/out: {'; '.join(verdicts)}")
    return lines


def _unpool_lines(dims):
    """The output sizes max unpooling accepts, and whether the one asked for is one."""
    ranges = ", ".join(f"{dim.name} {dim.size_range[0]}..{dim.size_range[1]}" for dim in dims)
    lines = [f"--output-size may be, per dimension, less than one stride from that "
             f"(PyTorch's rule): {ranges}"]
    if any(dim.requested_size is not None for dim in dims):
        verdicts = []
        for dim in dims:
            low, high = dim.size_range
            inside = low <= dim.requested_size <= high
            verdicts.append(f"{dim.name} {dim.requested_size} "
                            f"{'reachable' if inside else f'out of reach ({low}..{high})'}")
        lines.append(f"--output-size asked for: {', '.join(verdicts)}")
    return lines


def _transposed_size_lines(dims):
    """The sizes a transposed convolution's --output-size may ask for (PyTorch's rule),
    those an explicit --output-padding reaches where they differ, and the one asked for."""
    def sizes(low, high):
        return f"{max(low, 1)}..{high}" if high >= 1 else "none"

    ranges = ", ".join(f"{dim.name} {sizes(*dim.size_range)}" for dim in dims)
    lines = [f"--output-size may be, per dimension, from the size with output_padding 0 up to "
             f"stride - 1 more (PyTorch's rule): {ranges}"]
    wider = [dim for dim in dims if dim.output_padding_sizes != dim.size_range]
    if wider:
        reach = ", ".join(f"{dim.name} {sizes(*dim.output_padding_sizes)}" for dim in wider)
        lines.append(f"an explicit --output-padding reaches further, up to max(stride, "
                     f"dilation) - 1 more: {reach}")
    if any(dim.requested_size is not None for dim in dims):
        verdicts = []
        for dim in dims:
            if dim.output_padding is not None:
                verdicts.append(f"{dim.name} {dim.requested_size} reachable with "
                                f"output_padding {dim.output_padding}")
            else:
                verdicts.append(f"{dim.name} {dim.requested_size} out of reach "
                                f"({sizes(*dim.size_range)})")
        lines.append(f"--output-size asked for: {', '.join(verdicts)}")
    return lines
