"""PyTorch parity and speed of whole networks: the training networks of ``npconv train``.

Two measurements (``npconv bench --training``), both needing PyTorch, which stays optional:

- :func:`parity_checks`: an npconv model's ``state_dict`` is loaded into the same
  architecture built in PyTorch (:func:`torch_twin`); in float64 the two must give the same
  logits, input gradient and parameter gradients, and the same parameters after 20 steps
  of SGD with momentum and 20 steps of Adam on the same batches of digits (relative error
  ``max|npconv - torch| / max|torch|`` at most 1e-10);
- :func:`time_training_step`: one training step (forward, loss, backward, optimiser step)
  of a network at batch 64 in float32, npconv and PyTorch interleaved, medians.

No test asserts a timing; the tables are for reading.

Examples
--------
The arguments of PyTorch's constructor for a layer's twin are read from the layer:

>>> twin_arguments(nn.Conv2d(1, 16, 3, padding=1))
{'in_channels': 1, 'out_channels': 16, 'kernel_size': (3, 3), 'stride': (1, 1),
 'padding': (1, 1), 'dilation': (1, 1), 'groups': 1, 'bias': True, 'padding_mode': 'zeros'}
>>> twin_arguments(nn.MaxPool2d(2))
{'kernel_size': 2, 'stride': 2, 'padding': 0, 'dilation': 1, 'return_indices': False,
 'ceil_mode': False}
>>> twin_arguments(nn.MaxUnpool2d(2)), twin_arguments(nn.LPPool1d(2, 3))
({'kernel_size': (2, 2), 'stride': (2, 2), 'padding': (0, 0)},
 {'norm_type': 2, 'kernel_size': 3, 'stride': None, 'ceil_mode': False})
"""

import statistics
import time

import numpy as np

from .. import nn, optim
from .digits import load_split
from .train import digits_autoencoder, digits_cnn

__all__ = ["TOLERANCE", "STEP_TARGET", "STEPS", "twin_arguments", "twin_layer", "torch_twin",
           "relative_error", "parity_checks", "time_training_step", "format_parity",
           "format_timing"]

TOLERANCE = 1e-10
"""Largest relative error accepted between npconv and PyTorch in float64."""
STEP_TARGET = 2.5
"""npconv's training step of the digits CNN may take at most this many times PyTorch's."""
STEPS = 20
"""Optimiser steps compared."""

_CONV_ARGUMENTS = ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                   "dilation", "groups")
_ARGUMENTS = {
    "Conv": _CONV_ARGUMENTS + ("bias", "padding_mode"),
    "ConvTranspose": _CONV_ARGUMENTS + ("output_padding", "bias"),
    "MaxPool": ("kernel_size", "stride", "padding", "dilation", "return_indices",
                "ceil_mode"),
    "AvgPool": ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "LPPool": ("norm_type", "kernel_size", "stride", "ceil_mode"),
    "AdaptiveAvgPool": ("output_size",),
    "AdaptiveMaxPool": ("output_size", "return_indices"),
    "MaxUnpool": ("kernel_size", "stride", "padding"),
    "Unfold": ("kernel_size", "dilation", "padding", "stride"),
    "Fold": ("output_size", "kernel_size", "dilation", "padding", "stride"),
    "Linear": ("in_features", "out_features", "bias"),
    "LeakyReLU": ("negative_slope",),
    "Flatten": ("start_dim", "end_dim"),
}


def twin_arguments(layer):
    """The keyword arguments of PyTorch's constructor for the same layer, from its attributes."""
    name = type(layer).__name__
    kind = name[:-2] if name[-2:] in ("1d", "2d", "3d") else name
    arguments = {}
    for name in _ARGUMENTS.get(kind, ()):
        value = getattr(layer, name)
        if name == "bias":
            value = value is not None
        arguments[name] = value
    if kind == "AvgPool" and layer.divisor_override is not None:
        arguments["divisor_override"] = layer.divisor_override
    return arguments


def twin_layer(torch, layer):
    """The same layer built in PyTorch: ``torch.nn.<same name>(**twin_arguments(layer))``.

    Asymmetric ``(before, after)`` paddings have no PyTorch layer and raise ``ValueError``.
    A layer that is not a ``Sequential`` of PyTorch's layers (one whose ``forward`` passes
    max pooling's indices to ``MaxUnpool2d``, say) is twinned layer by layer with this.
    """
    arguments = twin_arguments(layer)
    padding = arguments.get("padding")
    if isinstance(padding, tuple) and any(isinstance(p, tuple) for p in padding):
        raise ValueError(f"{layer!r}: PyTorch's layers take no (before, after) padding")
    return getattr(torch.nn, type(layer).__name__)(**arguments)


def torch_twin(torch, model):
    """The same architecture as the npconv ``Sequential`` ``model``, built in PyTorch.

    Every layer becomes its :func:`twin_layer`, so the twin loads ``model.state_dict()`` as
    it is.
    """
    return torch.nn.Sequential(*(twin_layer(torch, layer) for layer in model))


def relative_error(ours, theirs):
    """``max|ours - theirs| / max|theirs|`` (0 when both are all zeros)."""
    theirs = np.asarray(theirs)
    scale = np.abs(theirs).max()
    difference = np.abs(np.asarray(ours) - theirs).max()
    return float(difference / scale) if scale else float(difference)


def _networks():
    """(name, build, loss class name, targets from a batch) of the two training networks."""
    return [("digits CNN", digits_cnn, "CrossEntropyLoss", lambda images, labels: labels),
            ("autoencoder", digits_autoencoder, "MSELoss", lambda images, labels: images)]


def _batches(count, batch_size, seed=0):
    """``count`` batches of training digits (float64), the same for both libraries."""
    train = load_split(np.float64)["train"]
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(len(train.labels), batch_size, replace=False) for _ in range(count)]
    return [(train.images[i], train.labels[i]) for i in chosen]


def parity_checks(torch, steps=STEPS, batch_size=64, seed=0):
    """Compare the two training networks with their PyTorch twins in float64.

    Returns a list of rows ``{"network", "check", "error", "passed"}``: logits (or
    reconstructions), the input gradient, the worst parameter gradient, and the worst
    parameter after ``steps`` steps of SGD (lr 0.05, momentum 0.9) and of Adam (lr 1e-3).
    """
    rows = []
    batches = _batches(steps, batch_size, seed)
    for name, build, loss_name, targets in _networks():
        model = build().reset_parameters(np.random.default_rng(seed)).double()
        twin = torch_twin(torch, model).double()
        twin.load_state_dict({key: torch.from_numpy(value)
                              for key, value in model.state_dict().items()})
        images, labels = batches[0]
        loss, twin_loss = getattr(nn, loss_name)(), getattr(torch.nn, loss_name)()
        output = model(images)
        loss(output, targets(images, labels))
        grad_input = model.backward(loss.backward())
        x = torch.from_numpy(images).requires_grad_(True)
        twin_output = twin(x)
        twin_loss(twin_output, torch.from_numpy(targets(images, labels))).backward()
        parameter_errors = [relative_error(p.grad, q.grad.numpy()) for p, q in
                            zip(model.parameters(), twin.parameters())]
        rows += [_row(name, "output (logits or image)", relative_error(
                     output, twin_output.detach().numpy())),
                 _row(name, "input gradient", relative_error(grad_input, x.grad.numpy())),
                 _row(name, f"parameter gradients (worst of {len(parameter_errors)})",
                      max(parameter_errors))]
        for label, ours, theirs, settings in (
                ("SGD momentum 0.9", optim.SGD, torch.optim.SGD,
                 dict(lr=0.05, momentum=0.9)),
                ("Adam", optim.Adam, torch.optim.Adam, dict(lr=1e-3))):
            error = _after_steps(torch, model, twin, loss_name, targets, batches, ours, theirs,
                                 settings)
            rows.append(_row(name, f"parameters after {steps} {label} steps", error))
    return rows


def _row(network, check, error):
    return {"network": network, "check": check, "error": error, "passed": error <= TOLERANCE}


def _after_steps(torch, model, twin, loss_name, targets, batches, ours, theirs, settings):
    """Worst relative parameter error after training copies of both on ``batches``."""
    state = model.state_dict()
    twin.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})
    optimizer, twin_optimizer = ours(model.parameters(), **settings), theirs(
        twin.parameters(), **settings)
    loss, twin_loss = getattr(nn, loss_name)(), getattr(torch.nn, loss_name)()
    for images, labels in batches:
        optimizer.zero_grad()
        loss(model(images), targets(images, labels))
        model.backward(loss.backward())
        optimizer.step()
        twin_optimizer.zero_grad()
        twin_loss(twin(torch.from_numpy(images)),
                  torch.from_numpy(targets(images, labels))).backward()
        twin_optimizer.step()
    errors = [relative_error(value, twin.state_dict()[key].numpy())
              for key, value in model.state_dict().items()]
    model.load_state_dict(state)
    return max(errors)


def time_training_step(torch=None, batch_size=64, repeats=50, warmup=5, seed=0):
    """Median seconds of one float32 training step (forward, loss, backward, Adam).

    Returns rows ``{"network", "npconv_ms", "torch_ms", "ratio", "target"}`` for the two
    training networks; the torch columns are ``None`` without PyTorch.  The two libraries
    alternate step by step, so a busy machine slows both alike.
    """
    images, labels = _batches(1, batch_size, seed)[0]
    images = images.astype(np.float32)
    rows = []
    for name, build, loss_name, targets in _networks():
        model = build().reset_parameters(np.random.default_rng(seed))
        calls = [_npconv_step(model, loss_name, images, targets(images, labels))]
        if torch is not None:
            twin = torch_twin(torch, model)
            twin.load_state_dict({key: torch.from_numpy(value)
                                  for key, value in model.state_dict().items()})
            calls.append(_torch_step(torch, twin, loss_name, images,
                                     targets(images, labels)))
        times = [[] for _ in calls]
        for repeat in range(warmup + repeats):
            order = range(len(calls)) if repeat % 2 == 0 else reversed(range(len(calls)))
            for index in order:
                start = time.perf_counter()
                calls[index]()
                if repeat >= warmup:
                    times[index].append(time.perf_counter() - start)
        ours = statistics.median(times[0]) * 1e3
        theirs = statistics.median(times[1]) * 1e3 if torch is not None else None
        rows.append({"network": name, "npconv_ms": ours, "torch_ms": theirs,
                     "ratio": ours / theirs if theirs else None,
                     "target": STEP_TARGET if name == "digits CNN" else None})
    return rows


def _npconv_step(model, loss_name, images, target):
    optimizer = optim.Adam(model.parameters())
    loss = getattr(nn, loss_name)()

    def step():
        optimizer.zero_grad()
        loss(model(images), target)
        model.backward(loss.backward())
        optimizer.step()
    return step


def _torch_step(torch, twin, loss_name, images, target):
    optimizer = torch.optim.Adam(twin.parameters())
    loss = getattr(torch.nn, loss_name)()
    x, y = torch.from_numpy(images), torch.from_numpy(target)

    def step():
        optimizer.zero_grad()
        loss(twin(x), y).backward()
        optimizer.step()
    return step


def format_parity(rows):
    """The parity table as text."""
    lines = [f"{'network':<13}{'check':<42}{'rel. error':>11}  {'target':>7}  result"]
    for row in rows:
        lines.append(f"{row['network']:<13}{row['check']:<42}{row['error']:>11.1e}  "
                     f"{TOLERANCE:>7.0e}  {'ok' if row['passed'] else 'FAIL'}")
    return "\n".join(lines)


def format_timing(rows, batch_size=64):
    """The training-step table as text."""
    lines = [f"{'network':<13}{'npconv ms':>10}{'torch ms':>10}{'ratio':>7}{'target':>8}"]
    for row in rows:
        torch_ms = "-" if row["torch_ms"] is None else f"{row['torch_ms']:.2f}"
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}"
        target = "-" if row["target"] is None else f"<={row['target']:g}"
        verdict = ""
        if row["ratio"] is not None and row["target"] is not None:
            verdict = " ok" if row["ratio"] <= row["target"] else " MISS"
        lines.append(f"{row['network']:<13}{row['npconv_ms']:>10.2f}{torch_ms:>10}{ratio:>7}"
                     f"{target:>8}{verdict}")
    lines.append(f"one float32 training step at batch {batch_size}: forward, loss, backward, "
                 f"Adam; medians")
    return "\n".join(lines)
