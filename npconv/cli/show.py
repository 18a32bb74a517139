"""The window, in the terminal: the input grid with the current window marked, frame by frame.

For conv (with --dilation for a dilated kernel), max_pool, avg_pool and conv_transpose
(drawn as the convolution it equals: zeros inserted between the input cells, a border
added, the kernel flipped); max_unpool (each max-pooling window, and its winner put back in
the unpooled grid, zeros elsewhere); adaptive_avg_pool and adaptive_max_pool (with
--output-size: windows of several sizes that may share cells).  The input holds 1, 2, 3,
... row by row; the conv kernel is a checkerboard of ones and zeros.  Each frame shows the
output so far and the arithmetic of the current cell.  Plain text marks the window with [ ]; colour is used only on a
terminal, and never when NO_COLOR is set.

--input is the input's size, HxW (2-D) or W (1-D), or its whole shape as npconv shape
takes it, 1x1xHxW or 1x1xW (one image, one channel); --size is another name for it.
Padding may be a number, per-dimension numbers, before:after pairs (0:1x1:0) or, for
conv, 'same' or 'valid'.  Every grid has at most 24 cells per side.

Example:
  npconv show conv --input 5x5 --kernel 3 --stride 2 --padding 1
  npconv show conv --input 7x7 --kernel 3 --dilation 2 --frame 1
  npconv show conv --input 6 --kernel 4 --padding same
  npconv show conv_transpose --input 2x2 --kernel 3 --stride 2
  npconv show max_pool --input 5 --kernel 2 --ceil-mode
  npconv show max_unpool --input 4x4 --kernel 2
  npconv show adaptive_avg_pool --input 5 --output-size 3
"""

import argparse
import os
import sys
import time

from ..tools.show import OPS, frames, render
from .arguments import (add_geometry_arguments, ints_arg, picture_input_arg, positive_int,
                        shorten)

NAME = "show"
HELP = "draw the sliding window in the terminal, frame by frame"
NAMES_PARAMETERS = True


def add_arguments(parser):
    """The op, the input size, the geometry, and which frames to draw."""
    parser.add_argument("op", choices=OPS, help="which op to draw")
    parser.add_argument("--input", "--size", dest="size", type=picture_input_arg,
                        default=(5, 5), metavar="HxW",
                        help="input size HxW or W, or shape 1x1xHxW (default 5x5)")
    parser.add_argument("--kernel", type=ints_arg, default=3, metavar="K",
                        help="kernel (or pooling window) size, e.g. 3 or 3x2; default 3")
    add_geometry_arguments(parser)
    parser.add_argument("--output-size", type=ints_arg, metavar="SIZE",
                        help="adaptive pooling (required): the output size, e.g. 3 or 2x3")
    parser.add_argument("--frame", type=positive_int, metavar="N",
                        help="draw only frame N (from 1); default: all of them")
    parser.add_argument("--delay", type=delay_arg, default=0.0, metavar="SECONDS",
                        help="on a terminal, redraw in place every SECONDS (an animation, "
                             "0 to 10)")


def delay_arg(text):
    """Seconds between frames: a number from 0 to 10.

    >>> delay_arg("0.5")
    0.5
    """
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{shorten(text)!r} is not a number") from None
    if not 0 <= seconds <= 10:                  # also refuses nan
        raise argparse.ArgumentTypeError(f"{shorten(text)!r} must be from 0 to 10 seconds")
    return seconds


def use_color(stream=None, environ=None):
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org).

    >>> use_color(environ={"NO_COLOR": "1"})
    False
    """
    stream = sys.stdout if stream is None else stream
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def run(args):
    """Print the frames."""
    movie = frames(args.op, args.size, args.kernel, args.stride, args.padding, args.dilation,
                   args.output_padding, args.ceil_mode, args.count_include_pad,
                   args.output_size)
    if args.frame is not None:
        if args.frame > len(movie):
            raise ValueError(f"--frame {args.frame}: this configuration has {len(movie)} "
                             f"frames (one per output cell)")
        movie = [movie[args.frame - 1]]
    color = use_color()
    animate = color and args.delay > 0
    for number, frame in enumerate(movie):
        if animate:
            print("\x1b[H\x1b[2J", end="")
        elif number:
            print()
        print(render(frame, color=color))
        if animate:
            sys.stdout.flush()
            time.sleep(args.delay)
    return 0
