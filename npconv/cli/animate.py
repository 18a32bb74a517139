"""Draw an op on any configuration: an animated GIF, or a PNG still.

Each frame shows the input with its padding, the current window, the kernel and the output
filling in cell by cell, with the numbers in the cells (small grids only) and the output-size
formula with this configuration's numbers.  The numbers are the op's real output.
Needs the optional extra viz (matplotlib): pip install -e ".[viz]" in the clone.

op is conv, conv_transpose, max_pool, avg_pool, max_unpool (a max pooling, then the
unpooling of its output with its indices: the winners back in place, zeros elsewhere),
adaptive_avg_pool or adaptive_max_pool (with --output-size: windows of several sizes,
the cells they share hatched).  --input is the input's size, W (1-D) or
HxW (2-D), or its whole shape as npconv shape takes it, 1x1xW or 1x1xHxW (one image, one
channel); every grid has at most 32 cells per side.  Sizes and hyperparameters are one
number for every dimension or one per dimension joined by "x"; padding may also be
"same", "valid" (conv) or before:after pairs (0:1x1:0).  A transposed
convolution is drawn both ways, one above the other: each input cell scattering a scaled
kernel, and zero insertion + padding + a convolution with the flipped kernel (--view picks
one).  With -o name.png: the last frame, --frame N, or --grid for a sheet of frames.

Example:
  npconv animate conv --input 5x5 --kernel 3 --stride 2 --padding 1 --dilation 2 -o conv.gif
  npconv animate max_pool --input 5x5 --kernel 2 --ceil-mode -o pool.png --grid
  npconv animate conv_transpose --input 2x2 --kernel 3 --stride 2 -o up.gif
  npconv animate max_unpool --input 4x4 --kernel 2 -o unpool.gif
  npconv animate adaptive_avg_pool --input 5 --output-size 3 -o adaptive.gif
"""

import argparse
from pathlib import Path

from ..viz import OPS
from .arguments import (add_geometry_arguments, integer, ints_arg, non_negative_int,
                        picture_input_arg, positive_int)

NAME = "animate"
HELP = "draw an op as an animated GIF or a PNG still (needs npconv[viz])"
NAMES_PARAMETERS = True


def add_arguments(parser):
    """The op, its configuration, and where and how to draw it."""
    parser.add_argument("op", choices=OPS, help="the op to draw")
    parser.add_argument("--input", type=picture_input_arg, required=True, metavar="HxW",
                        help="input size W (1-D) or HxW (2-D), or shape 1x1xHxW")
    parser.add_argument("--kernel", type=ints_arg, default=3, metavar="K",
                        help="kernel (or pooling window) size, e.g. 3 or 3x2; default 3")
    add_geometry_arguments(parser)
    parser.add_argument("--output-size", type=ints_arg, metavar="SIZE",
                        help="adaptive pooling (required): the output size, e.g. 3 or 2x3")
    parser.add_argument("--view", choices=["both", "scatter", "conv"], default="both",
                        help="conv_transpose: which way to draw it; default both")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seed of the small integer input and kernel; default 0")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="FILE.gif (animation) or FILE.png (still)")
    parser.add_argument("--frame", type=integer, metavar="N",
                        help="PNG: which frame (negative counts from the end); default last")
    parser.add_argument("--grid", action="store_true", help="PNG: a sheet of frames")
    parser.add_argument("--numbers", dest="numbers", action="store_true", default=None,
                        help="always write the numbers in the cells")
    parser.add_argument("--no-numbers", dest="numbers", action="store_false",
                        help="never write them (default: only on small grids)")
    parser.add_argument("--fps", type=positive_int, default=2,
                        help="GIF frames per second; default 2")
    parser.add_argument("--max-frames", type=frames_arg, default=100, metavar="N",
                        help="GIF: at most N frames (up to 300), evenly spread over the "
                             "steps (the output then fills in several cells per frame); "
                             "default 100")


def frames_arg(text):
    """A GIF's most frames: 1 to 300 (300 frames of a 32x32 picture take half a minute)."""
    frames = positive_int(text)
    if frames > 300:
        raise argparse.ArgumentTypeError(f"{frames} is more than the 300 frames a GIF has "
                                         f"at most")
    return frames


def check_output_path(path):
    """Refuse an ``-o`` that cannot be written, before anything is drawn.

    >>> check_output_path("/no/such/folder/x.gif")
    Traceback (most recent call last):
    ...
    ValueError: -o /no/such/folder/x.gif: the folder /no/such/folder does not exist
    """
    if not path.lower().endswith((".gif", ".png")):
        raise ValueError(f"-o {path!r} must end in .gif (animation) or .png (still)")
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ValueError(f"-o {path}: is a folder; give a file name ending in .gif or .png")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ValueError(f"-o {path}: the folder {folder} {what}")
    existed = target.exists()
    try:                                      # the one sure test: open it for writing
        with open(target, "ab"):
            pass
    except OSError as error:
        raise ValueError(f"-o {path}: cannot be written ({error.strerror})") from None
    if not existed:
        target.unlink()


def run(args):
    """Draw the picture and say where it went and how many frames it has."""
    check_output_path(args.output)
    if (args.frame is not None or args.grid) and not args.output.lower().endswith(".png"):
        raise ValueError("--frame and --grid choose a still: give -o a .png file")
    try:
        from ..viz import draw  # noqa: F401   matplotlib, imported only when drawing
    except ImportError:                        # pragma: no cover - depends on the install
        raise ValueError('drawing needs matplotlib: pip install -e ".[viz]"') from None
    from .. import viz
    config = {"stride": args.stride, "padding": args.padding, "seed": args.seed}
    for name, default in (("dilation", 1), ("output_padding", 0), ("ceil_mode", False),
                          ("count_include_pad", True), ("view", "both"),
                          ("output_size", None)):
        if getattr(args, name) != default:
            config[name] = getattr(args, name)
    try:
        frames = viz.animate(args.op, args.input, args.output, args.kernel, frame=args.frame,
                             grid=args.grid, numbers=args.numbers, fps=args.fps,
                             max_frames=args.max_frames, **config)
    except OSError as error:                   # e.g. the disk is full
        raise ValueError(f"-o {args.output}: {error.strerror or error}") from None
    print(f"wrote {args.output} ({frames} frame{'s' if frames != 1 else ''})")
    return 0
