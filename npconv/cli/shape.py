r"""The calculator: a layer's output shape, with the formula and the numbers substituted.

Prints the output shape, the output-size formula per dimension, the effective (dilated)
kernel, the parameter count and, for a convolution, the padding "same" would need.  For a
transposed convolution, --target gives the output_padding that reaches a wanted size; for
pooling with --ceil-mode, which extra windows are kept, and the average-pool divisors at
the border.  A configuration with no valid output says why, per dimension (exit status 2).

Sizes and hyperparameters: one number for every dimension, or one per dimension joined by
"x" (--kernel 3x5); padding may also be "same", "valid" or before:after pairs (0:1x1:1).

Example:
  npconv shape conv2d --input 1x3x32x32 --out-channels 16 --kernel 3 --stride 2 \
      --padding 1 --dilation 2
  npconv shape conv_transpose2d --input 1x64x16x16 --out-channels 3 --kernel 3 \
      --stride 2 --padding 1 --target 32
  npconv shape avg_pool1d --input 1x1x5 --kernel 2 --ceil-mode
"""

import re
import sys

from ..tools.calculator import conv_report, conv_transpose_report, pool_report
from ..shapes import conv_output_size, taps_text
from .arguments import add_geometry_arguments, integer, ints_arg, positive_int, shape_arg

NAME = "shape"
HELP = "the calculator: output shape, formula, parameters and 'same' padding of one layer"
NAMES_PARAMETERS = True

_OP = re.compile(r"^(conv|conv_transpose|max_pool|avg_pool)([123]d)?$")


def add_arguments(parser):
    """The layer kind and its hyperparameters."""
    parser.add_argument("op", help="conv, conv_transpose, max_pool or avg_pool, optionally "
                                   "with 1d/2d/3d (conv2d, max_pool1d, ...)")
    parser.add_argument("--input", type=shape_arg, required=True, metavar="NxCx...",
                        help="input shape (N, C, *spatial), e.g. 1x3x32x32")
    parser.add_argument("--out-channels", type=positive_int, metavar="C_OUT",
                        help="output channels (conv and conv_transpose; required)")
    parser.add_argument("--kernel", type=ints_arg, required=True, metavar="K",
                        help="kernel size, e.g. 3 or 3x5")
    add_geometry_arguments(parser)
    parser.add_argument("--groups", type=integer, default=1, help="conv: default 1")
    parser.add_argument("--no-bias", dest="bias", action="store_false",
                        help="conv: count no bias parameters")
    parser.add_argument("--target", type=ints_arg, metavar="SIZE",
                        help="conv_transpose: wanted output size; prints the output_padding "
                             "that reaches it")


_OPTIONS = {                                   # option -> (dest, the value meaning "not given")
    "--out-channels": ("out_channels", None), "--groups": ("groups", 1),
    "--no-bias": ("bias", True), "--dilation": ("dilation", 1),
    "--output-padding": ("output_padding", 0), "--target": ("target", None),
    "--ceil-mode": ("ceil_mode", False), "--no-count-include-pad": ("count_include_pad", True),
}
_TAKES = {
    "conv": {"--out-channels", "--groups", "--no-bias", "--dilation"},
    "conv_transpose": {"--out-channels", "--groups", "--no-bias", "--dilation",
                       "--output-padding", "--target"},
    "max_pool": {"--dilation", "--ceil-mode"},
    "avg_pool": {"--ceil-mode", "--no-count-include-pad"},
}


def report_for(args):
    """The :class:`~npconv.tools.calculator.ShapeReport` the arguments ask for."""
    match = _OP.match(args.op)
    if match is None:
        raise ValueError(f"op {args.op!r} is not one of conv, conv_transpose, max_pool, "
                         f"avg_pool (optionally followed by 1d, 2d or 3d)")
    kind, rank = match.groups()
    for option, (dest, unset) in _OPTIONS.items():
        if getattr(args, dest) != unset and option not in _TAKES[kind]:
            raise ValueError(f"{option} is not an option of {kind}; it takes "
                             f"{', '.join(sorted(_TAKES[kind]))}")
    ndim = len(args.input) - 2
    if ndim < 1:
        raise ValueError(f"--input {_shape_text(args.input)} needs (N, C, *spatial): at least "
                         f"3 sizes")
    if rank is not None and int(rank[0]) != ndim:
        raise ValueError(f"{args.op} needs an input of {int(rank[0]) + 2} sizes (N, C and "
                         f"{rank[0]} spatial), got --input {_shape_text(args.input)}")
    if kind in ("conv", "conv_transpose") and args.out_channels is None:
        raise ValueError(f"{kind} needs --out-channels")
    if kind == "conv":
        return conv_report(args.input, args.out_channels, args.kernel,
                           1 if args.stride is None else args.stride, args.padding,
                           args.dilation, args.groups, args.bias)
    if isinstance(args.padding, str):
        raise TypeError(f"--padding {args.padding} is only for conv; give a number")
    if kind == "conv_transpose":
        return conv_transpose_report(args.input, args.out_channels, args.kernel,
                                     1 if args.stride is None else args.stride, args.padding,
                                     args.output_padding, args.dilation, args.groups,
                                     args.bias, args.target)
    return pool_report(kind.split("_")[0], args.input, args.kernel, args.stride,
                       args.padding, args.dilation, args.ceil_mode, args.count_include_pad)


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
    lines.append(f"output size per dimension: {report.size_formula}")
    for dim in dims:
        lines.append(f"  {dim.name}: {dim.formula}")
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
    if any(dim.output_padding is not None for dim in dims):
        pads = ", ".join(f"{dim.name} {dim.output_padding}" for dim in dims)
        lines.append(f"output_padding reaching --target: {pads}")
    for dim in dims:
        for window in dim.windows:
            verdict = "kept" if window.kept else "dropped: it would start past the input " \
                                                 "and its left padding"
            lines.append(f"ceil_mode window {dim.name}[{window.index}]: taps at "
                         f"{taps_text(window.taps)}, {window.in_input} on the input, "
                         f"{window.in_padding} on padding -> {verdict}")
    for dim in dims:
        if dim.divisors:
            lines.append(f"average divisors along {dim.name}: "
                         f"{' '.join(str(d) for d in dim.divisors)}")
    lines.extend(f"note: {note}" for note in report.notes)
    return lines
