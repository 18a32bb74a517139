"""A whole network's shapes: per layer the output shape, parameters, jump and receptive field.

Give the layers as a compact spec (quote it), a file holding one (--file), or the name of
a shipped network: vgg16, alexnet, lenet5, dcgan-generator, dilated.  Layer tokens:

  input(1x3x32x32)                          the input shape (or --input)
  conv(C_out,k=3,s=1,p=0,d=1,g=1,bias=1)    also conv1d/conv2d/conv3d; p may be same
  convT(C_out,k=4,s=2,p=1,op=0)             transposed convolution
  maxpool(k,s=k,p=0,d=1,ceil=0)             avgpool(k,s=k,p=0,ceil=0)
  maxunpool(k,s=k,p=0,size=)                undoes a maxpool; size: the output_size
  lppool(norm,k,s=k,ceil=0)                 power average, norm 2, 1.5, inf, ...
  adaptiveavgpool(7)  adaptivemaxpool(7)
  relu tanh sigmoid lrelu gelu softmax dropout  bn  flatten  linear(10)

The jump is the distance, in input cells, between neighbouring output cells (the product
of the strides; a transposed conv divides it); the receptive field is how many input cells
one output cell sees.  The same table in Python: npconv.tools.summary.summarize(spec).

Example:
  npconv summary "input(1x3x32x32) conv(64,k=3,p=1) relu maxpool(2) conv(128,k=3,p=1)"
  npconv summary vgg16
  npconv summary --file mynet.txt --input 1x3x64x64
"""

from ..tools.networks import NETWORKS
from ..tools.summary import MAX_SPEC_CHARS, format_summary, summarize
from .arguments import input_errors, shape_arg

NAME = "summary"
HELP = "a whole network's table: output shape, parameters, jump and receptive field"


def add_arguments(parser):
    """A spec or a network name, or ``--file``; ``--input``; ``--list``."""
    parser.add_argument("spec", nargs="?",
                        help=f"layers, e.g. \"conv(64,k=3,p=1) relu maxpool(2)\", or one of: "
                             f"{', '.join(NETWORKS)}")
    parser.add_argument("--file", help="read the spec from this file (# starts a comment)")
    parser.add_argument("--input", type=shape_arg, metavar="NxCx...",
                        help="input shape, e.g. 1x3x224x224 (overrides input(...))")
    parser.add_argument("--list", action="store_true",
                        help="list the shipped networks and exit")


def run(args):
    """Print the table."""
    if args.list:
        for name in NETWORKS:
            print(name)
        return 0
    if (args.spec is None) == (args.file is None):
        raise ValueError("give either a spec (or network name) or --file, not both or neither")
    if args.file is not None:
        spec = read_spec_file(args.file)
    else:
        spec = NETWORKS.get(args.spec, args.spec)
    try:
        with input_errors("the spec"):         # the spec is all input: no traceback for it
            summary = summarize(spec, args.input)
    except ValueError as error:
        if args.file is None and args.spec not in NETWORKS and " " not in args.spec.strip():
            # One bare word that is no layer: most likely a network name we do not ship.
            raise ValueError(f"{error}; shipped networks: {', '.join(NETWORKS)}") from None
        raise
    print(format_summary(summary))
    return 0


def read_spec_file(path):
    """The spec in the file at ``path``: UTF-8 text of at most ``MAX_SPEC_CHARS`` characters.

    Reads at most that many characters' worth of bytes, so a huge file (or ``/dev/zero``)
    costs nothing; a binary or Latin-1 file gets a message naming the file and the problem.
    """
    limit = 4 * MAX_SPEC_CHARS                  # UTF-8 spends at most 4 bytes on a character
    with input_errors(f"--file {path}"):
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"--file {path}: larger than {limit:,} bytes; a spec has at most "
                         f"{MAX_SPEC_CHARS:,} characters")
    nul = data.find(b"\0")
    if nul >= 0:
        raise ValueError(f"--file {path}: not a text file (byte {nul} is a NUL)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ValueError(f"--file {path}: not UTF-8 text: byte 0x{data[error.start]:02x} on "
                         f"line {line} ({error.reason}); save the spec as UTF-8") from None
