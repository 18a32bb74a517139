"""Pictures of a training run of ``npconv train`` (``--plots DIR``): what a learner looks at.

For the digits classifier (:func:`save_digits_pictures`):

- ``history.png``: the training loss, and the training and validation accuracy, per epoch;
- ``confusion.png``: the test confusion matrix (true digit down, predicted across);
- ``misclassified.png``: the test digits the network got wrong, with what it answered;
- ``kernels.png``: the first convolution's learned 3x3 kernels;
- ``feature-maps.png``: one test digit through every layer, channel by channel (the
  cheat sheet's "feature map"), shrinking as the pooling halves it.

For the autoencoder (:func:`save_autoencoder_pictures`):

- ``history.png``: the training loss and the validation MSE per epoch;
- ``reconstructions.png``: test digits above their reconstructions from 16 numbers;
- ``code-walk.png``: the decoder's drawings along a straight line between two digits' codes.

The arrays come from the result of :func:`npconv.tools.train.train_digits` or
:func:`~npconv.tools.train.train_autoencoder`; nothing is computed here but the drawing.
matplotlib is imported when a picture is drawn (never by ``import npconv.viz.training``),
through its object interface on the Agg canvas, without ``pyplot``'s global state.
"""

from pathlib import Path

import numpy as np

__all__ = ["save_digits_pictures", "save_autoencoder_pictures", "history_figure",
           "confusion_figure", "digits_figure", "kernels_figure", "feature_maps_figure"]

DPI = 80
GREYS = "gray_r"              # ink dark on white, as the digits were written


def _figure(width, height):
    """A matplotlib Figure on its own Agg canvas (no pyplot, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _save(figure, directory, name):
    path = Path(directory) / name
    figure.savefig(path, dpi=DPI)
    return path


def _digit(axes, image, caption=None, colour="black"):
    """One 8x8 digit, ink dark, without ticks."""
    axes.imshow(np.asarray(image).reshape(8, 8), cmap=GREYS, vmin=0, vmax=1)
    axes.set_xticks([])
    axes.set_yticks([])
    if caption is not None:
        axes.set_title(caption, fontsize=9, color=colour)


def history_figure(history, metric, percent=True):
    """Loss per epoch (left) and ``metric`` per epoch, training and validation (right)."""
    epochs = [record.epoch for record in history]
    scale = 100 if percent else 1
    figure = _figure(8, 3)
    loss_axes, metric_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, [record.loss for record in history], marker=".")
    loss_axes.set(xlabel="epoch", ylabel="training loss", title="loss")
    metric_axes.plot(epochs, [scale * record.train_metric for record in history], marker=".",
                     label="training (during the epoch)")
    metric_axes.plot(epochs, [scale * record.validation_metric for record in history],
                     marker=".", label="validation (after the epoch)")
    metric_axes.set(xlabel="epoch", ylabel=metric + (" (%)" if percent else ""), title=metric)
    metric_axes.legend(fontsize=8)
    figure.tight_layout()
    return figure


def confusion_figure(matrix):
    """The confusion matrix with its counts; the diagonal are the right answers."""
    classes = len(matrix)
    figure = _figure(4.6, 4.2)
    axes = figure.subplots()
    axes.imshow(matrix, cmap="Blues")
    for true in range(classes):
        for predicted in range(classes):
            count = matrix[true, predicted]
            if count:
                colour = "white" if count > matrix.max() / 2 else "black"
                axes.text(predicted, true, str(count), ha="center", va="center", fontsize=8,
                          color=colour)
    axes.set(xticks=range(classes), yticks=range(classes), xlabel="predicted digit",
             ylabel="true digit", title=f"test confusion matrix ({matrix.sum()} digits)")
    figure.tight_layout()
    return figure


def digits_figure(images, captions, title, columns=8, colours=None):
    """Digits in a grid, each with its caption."""
    count = max(len(images), 1)
    rows = -(-count // columns)
    figure = _figure(1.1 * columns, 1.25 * rows + 0.5)
    grid = np.atleast_2d(figure.subplots(rows, columns, squeeze=False))
    for index, axes in enumerate(grid.flat):
        if index < len(images):
            colour = "black" if colours is None else colours[index]
            _digit(axes, images[index], captions[index], colour)
        else:
            axes.axis("off")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def kernels_figure(weight):
    """The kernels of a convolution's weight (C_out, 1, kH, kW), each on its own scale."""
    kernels = np.asarray(weight)[:, 0]
    columns = min(len(kernels), 8)
    rows = -(-len(kernels) // columns)
    figure = _figure(1.1 * columns, 1.2 * rows + 0.5)
    for index, axes in enumerate(figure.subplots(rows, columns, squeeze=False).flat):
        axes.set_xticks([])
        axes.set_yticks([])
        if index < len(kernels):
            limit = np.abs(kernels[index]).max() or 1
            axes.imshow(kernels[index], cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes.set_title(f"kernel {index}", fontsize=8)
        else:
            axes.axis("off")
    figure.suptitle(f"the first layer's {len(kernels)} learned {kernels.shape[1]}x"
                    f"{kernels.shape[2]} kernels (red +, blue -)", fontsize=10)
    figure.tight_layout()
    return figure


def _mosaic(planes, gap=1):
    """2-D planes side by side, ``gap`` NaN columns between them (drawn blank)."""
    height = max(plane.shape[0] for plane in planes)
    pieces = []
    for plane in planes:
        padded = np.full((height, plane.shape[1] + gap), np.nan)
        padded[:plane.shape[0], :plane.shape[1]] = plane
        pieces.append(padded)
    return np.concatenate(pieces, axis=1)[:, :-gap]


def feature_maps_figure(maps, channels=8):
    """One row per layer: the first ``channels`` feature maps of its output, side by side.

    ``maps`` is :func:`npconv.tools.train.feature_maps`'s list.  Each row has its own
    colour scale; outputs that are not images (after ``Flatten``) are drawn as one strip.
    """
    from matplotlib import colormaps

    cmap = colormaps["viridis"].with_extremes(bad="white")
    figure = _figure(9, 0.9 * len(maps) + 0.5)
    rows = figure.subplots(len(maps), 1, squeeze=False)[:, 0]
    for (name, array), axes in zip(maps, rows):
        planes = list(array[:channels]) if array.ndim == 3 else [array.reshape(1, -1)]
        shown = "first " + str(len(planes)) + " of " if array.ndim == 3 else ""
        axes.imshow(_mosaic(planes), cmap=cmap, aspect="equal" if array.ndim == 3 else "auto")
        axes.set_xticks([])
        axes.set_yticks([])
        axes.set_ylabel(f"{name.split('(')[0]}\n{'x'.join(map(str, array.shape))}",
                        rotation=0, ha="right", va="center", fontsize=8)
        if array.ndim == 3 and len(array) > channels:
            axes.set_title(f"{shown}{len(array)} channels", fontsize=7, loc="left")
    figure.suptitle("one test digit through every layer (the feature maps)", fontsize=10)
    figure.tight_layout()
    return figure


def save_digits_pictures(result, directory):
    """Write the classifier's five pictures into ``directory``; return their paths."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    wrong = np.flatnonzero(result.test_predictions != result.test_labels)
    shown = wrong[:24]
    figures = {
        "history.png": history_figure(result.history, "accuracy"),
        "confusion.png": confusion_figure(result.confusion),
        "misclassified.png": digits_figure(
            result.test_images[shown],
            [f"{result.test_labels[i]} as {result.test_predictions[i]}" for i in shown],
            f"misclassified test digits ({len(wrong)} of {len(result.test_labels)}): "
            f"true as predicted", colours=["firebrick"] * len(shown)),
        "kernels.png": kernels_figure(result.model[0].weight.data),
        "feature-maps.png": feature_maps_figure(result.feature_maps),
    }
    return [_save(figure, directory, name) for name, figure in figures.items()]


def save_autoencoder_pictures(result, directory, count=10):
    """Write the autoencoder's three pictures into ``directory``; return their paths."""
    Path(directory).mkdir(parents=True, exist_ok=True)
    count = min(count, len(result.test_images))
    pairs = np.concatenate([result.test_images[:count], result.reconstructions[:count]])
    captions = ["original"] * count + ["from 16"] * count
    walk_captions = [f"{step / (len(result.walk) - 1):.2f}" for step in range(len(result.walk))]
    figures = {
        "history.png": history_figure(result.history, "MSE", percent=False),
        "reconstructions.png": digits_figure(
            pairs, captions, "test digits (top) and their reconstructions from a 16-number "
            "code (bottom)", columns=count),
        "code-walk.png": digits_figure(
            result.walk, walk_captions, "decoding the straight walk from one digit's code "
            "to another's", columns=len(result.walk)),
    }
    return [_save(figure, directory, name) for name, figure in figures.items()]
