"""Train a network on handwritten digits with npconv's own layers, and test it.

  digits       a small CNN (convolutions, max pooling, a linear classifier) learns to
               tell the ten digits apart; the last line is the test accuracy
  autoencoder  strided convolutions squeeze each digit to 16 numbers, transposed
               convolutions draw it again; the last line is the test reconstruction error
               beside that of answering every digit with the mean training image

The data are scikit-learn's bundled 8x8 digits (the train extra: pip install -e ".[train]"
in the clone), split once and for all into 1,257 training, 180 validation and 360 test
images; the test images are used for the last line only.  One progress line per epoch (a
tqdm bar when tqdm is installed) on stderr, with the training loss and the validation
figure.  --method loops runs the readable loops, on a small subset (under a second per
batch): a run to step through in a debugger, too short to learn much (expect an accuracy
near chance).  --plots DIR writes the pictures (needs the viz extra: pip install -e
".[viz]").

Example:
  npconv train digits
  npconv train autoencoder --seed 1
  npconv train digits --method loops
  npconv train digits --plots plots/
"""

import argparse
import sys

from ..tools import train
from .arguments import non_negative_int, positive_int

NAME = "train"
HELP = "train a CNN or an autoencoder on handwritten digits with npconv's layers"

_TRAINERS = {"digits": train.train_digits, "autoencoder": train.train_autoencoder}


def _positive_float(text):
    """A number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"value {text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"value {text!r} must be > 0")
    return value


def add_arguments(parser):
    """The network, its training settings, the method, and where to put pictures."""
    parser.add_argument("network", choices=list(_TRAINERS), help="which network to train")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help=f"passes over the training images (default "
                             f"{train.DIGITS_DEFAULTS['epochs']} for digits, "
                             f"{train.AUTOENCODER_DEFAULTS['epochs']} for the autoencoder, "
                             f"{train.LOOPS_DEFAULTS['epochs']} with --method loops)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help=f"images per step (default {train.DIGITS_DEFAULTS['batch_size']})")
    parser.add_argument("--lr", type=_positive_float, default=None,
                        help=f"Adam's starting learning rate, falling along a cosine "
                             f"(default {train.DIGITS_DEFAULTS['lr']:g})")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="seeds the initial weights and the batch order, not the split "
                             "(default 0)")
    parser.add_argument("--method", choices=["im2col", "loops"], default="im2col",
                        help="the ops' variant every layer runs (default im2col)")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help=f"train on N training images only (default all; "
                             f"{train.LOOPS_DEFAULTS['limit']} with --method loops)")
    parser.add_argument("--test-limit", type=positive_int, default=None, metavar="N",
                        help=f"test on the first N test images only (default all 360; "
                             f"{train.LOOPS_DEFAULTS['test_limit']} with --method loops)")
    parser.add_argument("--blas-threads", type=positive_int, default=1, metavar="N",
                        help="NumPy's BLAS threads while training (default 1: the matrices "
                             "are small, and two threads are slower on a busy machine)")
    parser.add_argument("--plots", metavar="DIR", default=None,
                        help="write the pictures (PNG) into DIR (needs npconv[viz])")


def run(args):
    """Train with a progress line per epoch; write pictures if asked; print the test line."""
    if args.plots is not None:
        try:
            from ..viz import training as pictures    # matplotlib, only when drawing
        except ImportError:                           # pragma: no cover - depends on install
            raise ValueError('--plots needs matplotlib: pip install matplotlib, or in the '
                             'clone pip install -e ".[viz]"') from None
    progress = _progress_reporter(args.network)
    try:
        result = _TRAINERS[args.network](
            epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
            method=args.method, limit=args.limit, test_limit=args.test_limit,
            on_batch=progress.batch, on_epoch=progress.epoch, blas_threads=args.blas_threads)
    except ImportError as error:                      # scikit-learn missing
        raise ValueError(str(error)) from None
    if args.plots is not None:
        save = pictures.save_digits_pictures if args.network == "digits" else \
            pictures.save_autoencoder_pictures
        for path in save(result, args.plots):
            print(f"wrote {path}")
    if args.method == "loops":
        print("note: the loops trained on a small subset for a few steps, to be stepped "
              "through,\n      not to learn: the test figure below is near chance")
    print(f"trained in {result.seconds:.1f} s")
    if args.network == "digits":
        print(train.accuracy_line(result))
    else:
        print(train.reconstruction_line(result))
    return 0


def _progress_reporter(network):
    """A tqdm bar per epoch if tqdm is installed, else one plain line per epoch."""
    try:
        import tqdm
    except ImportError:
        return _Lines(network)
    return _Bars(network, tqdm.tqdm)


def _epoch_figures(network, record):
    """The figures of one finished epoch, as ``name=value`` words."""
    if network == "digits":
        return {"loss": f"{record.loss:.4f}", "train": f"{100 * record.train_metric:.1f}%",
                "validation": f"{100 * record.validation_metric:.1f}%"}
    return {"loss": f"{record.loss:.4f}", "validation MSE": f"{record.validation_metric:.4f}"}


class _Lines:
    """Without tqdm: one line per epoch on stderr."""

    def __init__(self, network):
        self.network = network
        self.epochs = None

    def batch(self, epoch, done, total, mean_loss, metric):
        pass

    def epoch(self, record):
        figures = "  ".join(f"{name} {value}"
                            for name, value in _epoch_figures(self.network, record).items())
        print(f"epoch {record.epoch:>3}  {figures}  ({record.seconds:.1f} s)", file=sys.stderr,
              flush=True)


class _Bars:
    """With tqdm: a bar per epoch over its batches, left standing as that epoch's line."""

    def __init__(self, network, tqdm):
        self.network = network
        self.tqdm = tqdm
        self.bar = None

    def batch(self, epoch, done, total, mean_loss, metric):
        if self.bar is None:
            self.bar = self.tqdm(total=total, desc=f"epoch {epoch:>3}", unit="batch",
                                 leave=True, file=sys.stderr, dynamic_ncols=True)
        self.bar.update(1)
        shown = f"{100 * metric:.1f}%" if self.network == "digits" else f"{metric:.4f}"
        self.bar.set_postfix_str(f"loss {mean_loss:.4f}, train {shown}", refresh=False)

    def epoch(self, record):
        figures = ", ".join(f"{name} {value}"
                            for name, value in _epoch_figures(self.network, record).items())
        self.bar.set_postfix_str(figures)
        self.bar.close()
        self.bar = None
