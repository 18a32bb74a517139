"""Train two small networks on the handwritten digits with npconv's layers (``npconv train``).

From the cheat sheet to a trained network: the layers of :mod:`npconv.nn` (each a call of
an op the cheat sheet describes), a loss, an optimiser of :mod:`npconv.optim`, and a loop
of forward, backward and step over shuffled mini-batches.

- :func:`train_digits`: a small CNN (two convolutions with max pooling, then a linear
  classifier) that learns to tell the ten digits apart;
- :func:`train_autoencoder`: strided convolutions squeeze each digit to a code of 16
  numbers, and transposed convolutions (the cheat sheet's use of them: recovering a
  feature map's original shape) draw the digit again from the code.

Both train on the fixed split of :mod:`npconv.tools.digits` and report on its test set,
which nothing here uses for training or for choosing anything: the progress of each epoch
is measured on the validation set, and the number of epochs is fixed in advance (no early
stopping).  Everything random (initialisation and batch order) comes from one
``numpy.random.default_rng(seed)``, so a run is reproducible bit for bit on one machine.

Examples
--------
Two epochs on a tiny subset (the defaults train on everything):

>>> result = train_digits(epochs=2, limit=64, validation_limit=20, test_limit=40)
>>> [record.epoch for record in result.history], result.test_total
([1, 2], 40)
>>> accuracy_line(result).startswith("test accuracy: ")
True
"""

import contextlib
import math
import numbers
import time
from typing import NamedTuple

import numpy as np

from .. import nn, optim
from ..nn.module import check_positive_int
from .digits import load_split

__all__ = [
    "DIGITS_DEFAULTS", "AUTOENCODER_DEFAULTS", "LOOPS_DEFAULTS", "CODE_SIZE",
    "digits_cnn", "digits_autoencoder", "encoder", "decoder",
    "EpochRecord", "DigitsResult", "AutoencoderResult",
    "training_settings", "limit_blas_threads", "cosine_learning_rate", "batches",
    "train_epoch", "predict",
    "train_digits", "train_autoencoder", "accuracy_line", "reconstruction_line",
    "confusion_matrix", "feature_maps", "code_walk",
]

DIGITS_DEFAULTS = {"epochs": 30, "batch_size": 32, "lr": 3e-3}
"""Settings of ``npconv train digits``, chosen on the validation set."""
AUTOENCODER_DEFAULTS = {"epochs": 40, "batch_size": 32, "lr": 3e-3}
"""Settings of ``npconv train autoencoder``, chosen on the validation set."""
LOOPS_DEFAULTS = {"epochs": 2, "batch_size": 16, "limit": 32, "validation_limit": 20,
                  "test_limit": 40}
"""What ``method="loops"`` changes unless given: the readable loops take a few seconds per
batch of 16, so they train on 32 images and measure on 20 validation and 40 test images."""
CODE_SIZE = 16
"""Numbers in the autoencoder's code: 16 channels of 1x1."""
ENCODER_LAYERS = 5
"""The autoencoder's first five layers are the encoder, the rest the decoder."""


# --------------------------------------------------------------------------------------------
# The two networks
# --------------------------------------------------------------------------------------------

def digits_cnn(method="im2col"):
    """The classifier: (N, 1, 8, 8) digits to (N, 10) logits.

    ======================================  ==============  ==========
    layer                                   output          parameters
    ======================================  ==============  ==========
    Conv2d(1, 16, 3, padding=1), ReLU       (N, 16, 8, 8)   160
    MaxPool2d(2)                            (N, 16, 4, 4)   0
    Conv2d(16, 32, 3, padding=1), ReLU      (N, 32, 4, 4)   4,640
    MaxPool2d(2)                            (N, 32, 2, 2)   0
    Flatten(), Linear(128, 10)              (N, 10)         1,290
    ======================================  ==============  ==========

    Examples
    --------
    >>> model = digits_cnn()
    >>> sum(p.data.size for p in model.parameters())
    6090
    """
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, method=method), nn.ReLU(),
        nn.MaxPool2d(2, method=method),
        nn.Conv2d(16, 32, 3, padding=1, method=method), nn.ReLU(),
        nn.MaxPool2d(2, method=method),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def digits_autoencoder(method="im2col"):
    """The autoencoder: (N, 1, 8, 8) digits to a (N, 16, 1, 1) code and back.

    ====================================================  ==============
    layer                                                 output
    ====================================================  ==============
    Conv2d(1, 32, 3, stride=2, padding=1), ReLU           (N, 32, 4, 4)
    Conv2d(32, 64, 3, stride=2, padding=1), ReLU          (N, 64, 2, 2)
    Conv2d(64, 16, 2)                                     (N, 16, 1, 1)   the code
    ConvTranspose2d(16, 64, 2), ReLU                      (N, 64, 2, 2)
    ConvTranspose2d(64, 32, 3, 2, 1, output_padding=1),   (N, 32, 4, 4)
    ReLU
    ConvTranspose2d(32, 1, 3, 2, 1, output_padding=1),    (N, 1, 8, 8)
    Sigmoid
    ====================================================  ==============

    The decoder mirrors the encoder: each transposed convolution maps the output size of
    the matching convolution back to its input size (``output_padding=1`` picks 8 rather
    than 7 from 4, as the cheat sheet's transposed-convolution section explains).  On the
    validation set, these widths reconstruct markedly better than half of them (MSE about
    0.008 against 0.012).

    Examples
    --------
    >>> model = digits_autoencoder()
    >>> encoder(model)(np.zeros((2, 1, 8, 8))).shape
    (2, 16, 1, 1)
    >>> model(np.zeros((2, 1, 8, 8))).shape
    (2, 1, 8, 8)
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1, method=method), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1, method=method), nn.ReLU(),
        nn.Conv2d(64, CODE_SIZE, 2, method=method),
        nn.ConvTranspose2d(CODE_SIZE, 64, 2, method=method), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1, method=method),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1, method=method),
        nn.Sigmoid())


def encoder(autoencoder):
    """The encoding layers of :func:`digits_autoencoder` (the same layer objects)."""
    return autoencoder[:ENCODER_LAYERS]


def decoder(autoencoder):
    """The decoding layers of :func:`digits_autoencoder` (the same layer objects)."""
    return autoencoder[ENCODER_LAYERS:]


# --------------------------------------------------------------------------------------------
# The training loop
# --------------------------------------------------------------------------------------------

class EpochRecord(NamedTuple):
    """What one epoch did, as the progress line and the loss curve show it."""

    epoch: int
    """1, 2, ..."""
    lr: float
    """The learning rate of this epoch."""
    loss: float
    """Mean training loss over the epoch's batches."""
    train_metric: float
    """Training accuracy (classifier) or training MSE (autoencoder), over the epoch."""
    validation_metric: float
    """The same on the validation set, after the epoch."""
    seconds: float
    """Wall time of the epoch, validation included."""


def cosine_learning_rate(lr, epoch, epochs):
    """The learning rate of ``epoch`` (0-based): ``lr`` falling to 0 along half a cosine.

    ``lr * (1 + cos(pi * epoch / epochs)) / 2``: large steps first, small ones at the end.

    Examples
    --------
    >>> [round(cosine_learning_rate(1.0, epoch, 4), 3) for epoch in range(4)]
    [1.0, 0.854, 0.5, 0.146]
    """
    return lr * (1 + math.cos(math.pi * epoch / epochs)) / 2


def batches(count, batch_size, generator):
    """Index arrays of a shuffled pass over ``count`` items, ``batch_size`` at a time.

    Examples
    --------
    >>> [len(b) for b in batches(10, 4, np.random.default_rng(0))]
    [4, 4, 2]
    """
    batch_size = check_positive_int("batch_size", batch_size)
    order = generator.permutation(count)
    return [order[start:start + batch_size] for start in range(0, count, batch_size)]


def train_epoch(model, loss, optimizer, inputs, targets, batch_size, generator,
                on_batch=None):
    """One pass over the training data: per batch, forward, loss, backward and step.

    Parameters
    ----------
    model : nn.Module
    loss : nn.CrossEntropyLoss or nn.MSELoss
    optimizer : optim.Optimizer
    inputs, targets : ndarray
        Targets are class labels for cross-entropy, images for MSE.
    batch_size : int
    generator : numpy.random.Generator
        Shuffles the order.
    on_batch : callable, optional
        Called after each step as ``on_batch(done, total, mean_loss, train_metric)``.

    Returns
    -------
    (mean_loss, train_metric)
        The metric is the fraction classified correctly (cross-entropy) or the mean loss.
    """
    if len(inputs) == 0:
        raise ValueError("train_epoch needs at least one training example; inputs is empty")
    classifying = isinstance(loss, nn.CrossEntropyLoss)
    order = batches(len(inputs), batch_size, generator)
    loss_sum = correct = seen = 0
    for done, indices in enumerate(order, start=1):
        x, target = inputs[indices], targets[indices]
        optimizer.zero_grad()
        output = model(x)
        value = loss(output, target)
        model.backward(loss.backward())
        optimizer.step()
        loss_sum += value * len(indices)
        seen += len(indices)
        if classifying:
            correct += int(np.sum(output.argmax(axis=1) == target))
        mean_loss = loss_sum / seen
        metric = correct / seen if classifying else mean_loss
        if on_batch is not None:
            on_batch(done, len(order), mean_loss, metric)
    return mean_loss, metric


def predict(model, inputs, batch_size=256):
    """The model's outputs for ``inputs``, computed a batch at a time in evaluation mode
    (the model is left in the mode it was in)."""
    was_training = model.training
    model.eval()
    outputs = [model(inputs[start:start + batch_size])
               for start in range(0, len(inputs), batch_size)]
    model.train(was_training)
    return np.concatenate(outputs)


def training_settings(defaults, method="im2col", **given):
    """The settings of one run: ``defaults``, then :data:`LOOPS_DEFAULTS` for the loops, then
    every setting ``given`` that is not ``None``; checked.

    Examples
    --------
    >>> training_settings(DIGITS_DEFAULTS, "loops", epochs=1)["epochs"]
    1
    >>> training_settings(DIGITS_DEFAULTS, "loops")["limit"] == LOOPS_DEFAULTS["limit"]
    True
    """
    settings = dict(defaults, limit=None, validation_limit=None, test_limit=None)
    if method == "loops":
        settings.update(LOOPS_DEFAULTS)
    settings.update({name: value for name, value in given.items() if value is not None})
    for name in ("epochs", "batch_size", "limit", "validation_limit", "test_limit"):
        if settings[name] is not None:
            settings[name] = check_positive_int(name, settings[name])
    lr = settings["lr"]
    if not isinstance(lr, numbers.Real) or isinstance(lr, (bool, np.bool_)):
        raise TypeError(f"lr={lr!r} must be a real number, not {type(lr).__name__}")
    if not lr > 0:
        raise ValueError(f"lr={lr!r} must be > 0")
    return settings


def limit_blas_threads(count):
    """A context in which NumPy's BLAS runs on at most ``count`` threads (``None``: as is).

    Why: these networks multiply small matrices (at most 64 x 576 by 576 x 4,096), and
    OpenBLAS still splits each product over every core.  When other programs keep the cores
    busy, the two halves wait for each other: a run of 9 seconds took 40.  On one thread it
    stays at 9.  Uses ``threadpoolctl``, which scikit-learn brings along; without it, or
    with ``count=None``, nothing changes.
    """
    if count is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:                         # pragma: no cover - depends on the install
        return contextlib.nullcontext()
    return threadpool_limits(count, user_api="blas")


def _data(settings, seed):
    """The generator of the run (seeded) and the train, validation and test parts.

    A training limit takes a seeded choice of training images; the validation and test
    limits take the first images of their part, the same for every seed.
    """
    generator = np.random.default_rng(seed)
    split = load_split()
    train = _first(split["train"], settings["limit"], generator.permutation)
    validation = _first(split["validation"], settings["validation_limit"])
    test = _first(split["test"], settings["test_limit"])
    return generator, train, validation, test


def _first(part, limit, order=np.arange):
    """The items ``order(len)[:limit]`` of a split part, kept in their original order."""
    if limit is None:
        return part
    chosen = np.sort(order(len(part.labels))[:limit])
    return type(part)(part.images[chosen], part.labels[chosen])


def _fit(model, loss, evaluate, train_inputs, train_targets, settings, generator, on_batch,
         on_epoch):
    """Adam with a cosine learning rate for the settings' epochs; returns the history."""
    epochs, lr = settings["epochs"], settings["lr"]
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        start = time.perf_counter()
        optimizer.lr = cosine_learning_rate(lr, epoch, epochs)
        batch_callback = None if on_batch is None else (
            lambda done, total, mean_loss, metric, epoch=epoch:
            on_batch(epoch + 1, done, total, mean_loss, metric))
        mean_loss, train_metric = train_epoch(model, loss, optimizer, train_inputs,
                                              train_targets, settings["batch_size"],
                                              generator, batch_callback)
        record = EpochRecord(epoch + 1, optimizer.lr, mean_loss, train_metric, evaluate(),
                             time.perf_counter() - start)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history


# --------------------------------------------------------------------------------------------
# The classifier
# --------------------------------------------------------------------------------------------

class DigitsResult(NamedTuple):
    """What :func:`train_digits` returns."""

    model: nn.Sequential
    history: list
    """One :class:`EpochRecord` per epoch (metrics: accuracies)."""
    test_correct: int
    test_total: int
    test_images: np.ndarray
    test_labels: np.ndarray
    test_predictions: np.ndarray
    confusion: np.ndarray
    """(10, 10) counts of test digits by true (row) and predicted (column) class."""
    feature_maps: list
    """The first test digit's way through the trained model (see :func:`feature_maps`)."""
    seconds: float
    """Wall time of the whole run, data loading included."""

    @property
    def test_accuracy(self):
        return self.test_correct / self.test_total


def train_digits(epochs=None, batch_size=None, lr=None, seed=0, method="im2col", limit=None,
                 validation_limit=None, test_limit=None, on_batch=None, on_epoch=None,
                 blas_threads=1):
    """Train :func:`digits_cnn` on the digits; return the model, history and test result.

    Parameters
    ----------
    epochs, batch_size, lr : int, int, float, optional
        Default :data:`DIGITS_DEFAULTS`.  Adam's learning rate falls from ``lr`` along a
        cosine to 0 over the epochs.
    seed : int
        Seeds the initialisation and the batch order (not the split, which is fixed).
    method : {"im2col", "loops"}
        The ops' variant every layer runs.  ``"loops"`` changes the defaults to
        :data:`LOOPS_DEFAULTS`: a few epochs on a small subset.
    limit : int, optional
        Train on this many training images only (a seeded choice).
    validation_limit, test_limit : int, optional
        Measure on the first this many validation or test images only.
    on_batch : callable, optional
        ``on_batch(epoch, done, total, mean_loss, train_accuracy)`` after every step.
    on_epoch : callable, optional
        ``on_epoch(record)`` with the :class:`EpochRecord` of every epoch.
    blas_threads : int or None, default 1
        NumPy's BLAS threads while training (see :func:`limit_blas_threads`); ``None``
        leaves them as they are.

    Returns
    -------
    DigitsResult
    """
    start = time.perf_counter()
    settings = training_settings(DIGITS_DEFAULTS, method, epochs=epochs, batch_size=batch_size,
                                 lr=lr, limit=limit, validation_limit=validation_limit,
                                 test_limit=test_limit)
    generator, train, validation, test = _data(settings, seed)
    model = digits_cnn(method).reset_parameters(generator)

    def validation_accuracy():
        return float(np.mean(predict(model, validation.images).argmax(axis=1)
                             == validation.labels))

    with limit_blas_threads(blas_threads):
        history = _fit(model, nn.CrossEntropyLoss(), validation_accuracy, train.images,
                       train.labels, settings, generator, on_batch, on_epoch)
    predictions = predict(model, test.images).argmax(axis=1)
    correct = int(np.sum(predictions == test.labels))
    return DigitsResult(model, history, correct, len(test.labels), test.images, test.labels,
                        predictions, confusion_matrix(test.labels, predictions),
                        feature_maps(model, test.images[0]), time.perf_counter() - start)


def accuracy_line(result):
    """The final line of ``npconv train digits``: ``test accuracy: 98.6% (355/360)``."""
    return (f"test accuracy: {100 * result.test_accuracy:.1f}% "
            f"({result.test_correct}/{result.test_total})")


def confusion_matrix(labels, predictions, classes=10):
    """``matrix[true, predicted]``: how often each digit was taken for each other.

    Examples
    --------
    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), classes=2)
    array([[1, 0],
           [1, 1]])
    """
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


# --------------------------------------------------------------------------------------------
# The autoencoder
# --------------------------------------------------------------------------------------------

class AutoencoderResult(NamedTuple):
    """What :func:`train_autoencoder` returns."""

    model: nn.Sequential
    history: list
    """One :class:`EpochRecord` per epoch (metrics: MSE)."""
    test_mse: float
    baseline_mse: float
    """Test MSE of always answering the mean training image."""
    test_images: np.ndarray
    reconstructions: np.ndarray
    walk: np.ndarray
    """(8, 1, 8, 8): decoded codes on the way from the first test digit's code to that of
    the first test digit of another class (see :func:`code_walk`)."""
    seconds: float

    @property
    def relative_error(self):
        return self.test_mse / self.baseline_mse


def train_autoencoder(epochs=None, batch_size=None, lr=None, seed=0, method="im2col",
                      limit=None, validation_limit=None, test_limit=None, on_batch=None,
                      on_epoch=None, blas_threads=1):
    """Train :func:`digits_autoencoder` to redraw each digit from 16 numbers.

    The loss is the mean squared error between image and reconstruction (pixels in
    [0, 1]); the baseline answers every test digit with the mean training image.  The
    parameters are those of :func:`train_digits` (defaults :data:`AUTOENCODER_DEFAULTS`);
    the metrics are MSEs.

    Returns
    -------
    AutoencoderResult
    """
    start = time.perf_counter()
    settings = training_settings(AUTOENCODER_DEFAULTS, method, epochs=epochs,
                                 batch_size=batch_size, lr=lr, limit=limit,
                                 validation_limit=validation_limit, test_limit=test_limit)
    generator, train, validation, test = _data(settings, seed)
    model = digits_autoencoder(method).reset_parameters(generator)

    def validation_mse():
        return float(np.mean((predict(model, validation.images) - validation.images) ** 2))

    with limit_blas_threads(blas_threads):
        history = _fit(model, nn.MSELoss(), validation_mse, train.images, train.images,
                       settings, generator, on_batch, on_epoch)
    reconstructions = predict(model, test.images)
    test_mse = float(np.mean((reconstructions - test.images) ** 2))
    mean_image = train.images.mean(axis=0)
    baseline_mse = float(np.mean((test.images - mean_image) ** 2))
    other = np.flatnonzero(test.labels != test.labels[0])
    end = test.images[other[0] if len(other) else -1]
    _, walk = code_walk(model, test.images[0], end)
    return AutoencoderResult(model, history, test_mse, baseline_mse, test.images,
                             reconstructions, walk, time.perf_counter() - start)


def reconstruction_line(result):
    """The final line of ``npconv train autoencoder``, e.g.
    ``test reconstruction MSE: 0.0093 (13% of the mean-image baseline 0.0727)``."""
    return (f"test reconstruction MSE: {result.test_mse:.4f} ({100 * result.relative_error:.0f}% "
            f"of the mean-image baseline {result.baseline_mse:.4f})")


# --------------------------------------------------------------------------------------------
# What the pictures show
# --------------------------------------------------------------------------------------------

def feature_maps(model, image):
    """One image's way through a :class:`~npconv.nn.Sequential`, layer by layer.

    Parameters
    ----------
    model : nn.Sequential
    image : ndarray, shape (C, H, W)

    Returns
    -------
    list of (str, ndarray)
        The layer's ``repr`` and its output for this image (batch axis removed), starting
        with ``("input", image)``.

    Examples
    --------
    >>> maps = feature_maps(digits_cnn(), np.zeros((1, 8, 8), dtype=np.float32))
    >>> [(name.split("(")[0], array.shape) for name, array in maps][:4]
    [('input', (1, 8, 8)), ('Conv2d', (16, 8, 8)), ('ReLU', (16, 8, 8)), ('MaxPool2d', (16, 4, 4))]
    """
    maps = [("input", image)]
    activation = image[np.newaxis]
    for layer in model:
        activation = layer(activation)
        maps.append((repr(layer), activation[0]))
    return maps


def code_walk(autoencoder, first, second, steps=8):
    """Decode the straight walk from one image's code to another's.

    Parameters
    ----------
    autoencoder : nn.Sequential
        A :func:`digits_autoencoder`.
    first, second : ndarray, shape (1, 8, 8)
    steps : int
        Images along the walk, both ends included.

    Returns
    -------
    (codes, images)
        ``codes`` (steps, 16, 1, 1) from ``first``'s code to ``second``'s in equal steps,
        ``images`` (steps, 1, 8, 8) the decoder's drawings of them.
    """
    codes_at_ends = encoder(autoencoder)(np.stack([first, second]))         # (2, 16, 1, 1)
    weights = np.linspace(0, 1, steps).reshape(-1, 1, 1, 1)
    codes = (1 - weights) * codes_at_ends[0] + weights * codes_at_ends[1]   # (steps, 16, 1, 1)
    return codes, decoder(autoencoder)(codes.astype(codes_at_ends.dtype))
