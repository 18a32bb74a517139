"""The cheat sheet, section by section, on small concrete arrays: what ``npconv tour`` shows.

Each section function returns a :class:`Section`: prose lines and named matrices to print,
the module and function to open to step through it, and live proofs run on the section's
own arrays (the loop and im2col variants agree; the gradients match finite differences;
and the section's own identity, e.g. that a transposed convolution is zero insertion plus
an ordinary convolution with the flipped kernel).

The sections follow the cheat sheet: :func:`convolution`, :func:`padding`,
:func:`pooling`, :func:`output_size`, :func:`parameters`, :func:`dilation`,
:func:`transposed`; then :func:`matrix_multiply`, the convolution again as the fast variant
computes it (unfold, one matrix product, fold).  :data:`SECTIONS` maps their names to them;
:func:`tour` runs them.

Examples
--------
>>> section = dilation()
>>> section.title
'Dilated convolution: a 3x3 kernel with dilation 2 sees 5x5 with 9 weights'
>>> [proof.passed for proof in section.proofs]
[True, True, True]
>>> section.read[0]
'npconv/loops.py: conv'
"""

from typing import NamedTuple

import numpy as np

from .. import api, family
from .calculator import conv_report, conv_transpose_report
from .gradcheck import check, numerical_gradient, relative_error
from ..padding import insert_zeros, pad
from ..shapes import (
    conv_output_size,
    conv_parameter_count,
    conv_transpose_output_size,
    effective_kernel_size,
    same_padding,
    transposed_conv_as_conv_padding,
)

__all__ = [
    "SECTIONS",
    "Matrices",
    "Proof",
    "Section",
    "convolution",
    "dilation",
    "matrix_multiply",
    "output_size",
    "padding",
    "parameters",
    "pooling",
    "tour",
    "transposed",
]


class Matrices(NamedTuple):
    """Matrices to print side by side, each under its label."""

    arrays: tuple
    """``(label, 2-D ndarray)`` pairs."""


class Proof(NamedTuple):
    """A claim checked live on the section's arrays."""

    claim: str
    passed: bool
    detail: str
    """The measured quantity behind the verdict (a difference, an error, two shapes)."""


class Section(NamedTuple):
    """One section of the tour."""

    name: str
    """What ``--section`` takes."""
    title: str
    body: tuple
    """Lines of text (str) and :class:`Matrices`, in order."""
    read: tuple
    """Where to step through it: ``"module path: function"`` strings."""
    proofs: tuple
    """:class:`Proof` s, all of which should pass."""

    def matrices(self):
        """Every matrix the section prints, by label."""
        return {label: array for item in self.body if isinstance(item, Matrices)
                for label, array in item.arrays}


def _plane(array):
    """The (H, W) plane of an ``(N, C, H, W)`` array with N = C = 1."""
    return array[0, 0]


def _image(rows):
    """A list of rows as a ``(1, 1, H, W)`` float array."""
    return np.array(rows, dtype=np.float64)[None, None]


def _cheat_sheet_example():
    """The cheat sheet's convolution example (UFLDL's): a 5x5 binary image, a 3x3 kernel."""
    x = _image([[1, 1, 1, 0, 0],
                [0, 1, 1, 1, 0],
                [0, 0, 1, 1, 1],
                [0, 0, 1, 1, 0],
                [0, 1, 1, 0, 0]])
    w = _image([[1, 0, 1],
                [0, 1, 0],
                [1, 0, 1]])
    return x, w


def _live_proofs(op, kwargs, x, weight=None, bias=None):
    """Loops agree with im2col, and both backwards match finite differences."""
    rng = np.random.default_rng(0)
    results = [check(op, kwargs, x, weight, bias, method=method, rng=rng)
               for method in ("loops", "im2col")]
    forward = getattr(api, op)
    params = () if weight is None else (weight,)
    difference = np.max(np.abs(forward(x, *params, **kwargs, method="loops")
                               - forward(x, *params, **kwargs, method="im2col")))
    errors = ", ".join(f"{r.method} {r.error:.1e}" for r in results)
    return [Proof(f"{op}: loops and im2col give the same output",
                  all(r.methods_agree for r in results),
                  f"max |loops - im2col| = {difference:.1e}"),
            Proof(f"{op}_backward matches finite differences", all(r.passed for r in results),
                  f"worst relative error: {errors}")]


def convolution():
    """Convolution as a sliding kernel: the cheat sheet's 5x5 image and 3x3 kernel.

    Examples
    --------
    >>> convolution().matrices()["feature map 3x3"]
    array([[4., 3., 4.],
           [2., 4., 3.],
           [2., 3., 4.]])
    """
    x, w = _cheat_sheet_example()
    out = api.conv(x, w, method="loops")
    patch = _plane(x)[0:3, 1:4]
    terms = " + ".join(f"{a:g}*{b:g}" for a, b in zip(patch.ravel(), _plane(w).ravel()))
    body = (
        "The kernel slides over the image; at each stop it multiplies the cells it covers",
        "by its weights and sums them into one cell of the feature map (no flip: deep",
        "learning's 'convolution' is cross-correlation).",
        Matrices((("input 5x5", _plane(x)), ("kernel 3x3", _plane(w)),
                  ("feature map 3x3", _plane(out)))),
        "The window at row 0, column 1 (rows 0-2, columns 1-3):",
        f"  out[0, 1] = {terms} = {_plane(out)[0, 1]:g}",
    )
    return Section("convolution", "Convolution: a kernel sliding over the image", body,
                   ("npconv/loops.py: conv", "npconv/im2col.py: conv"),
                   tuple(_live_proofs("conv", {}, x, w)))


def padding():
    """Valid vs same padding on the same 5x5 input and 3x3 kernel.

    Examples
    --------
    >>> [[label for label, _ in m.arrays] for m in padding().body if isinstance(m, Matrices)]
    ... # doctest: +NORMALIZE_WHITESPACE
    [['input 5x5', 'kernel 3x3', 'valid output 3x3'], ['padded input 7x7', 'same output 5x5'],
     ['input padded by (0, 0), (1, 2) for a 1x4 kernel']]
    """
    x = _image(np.arange(1, 26).reshape(5, 5))
    w = _image(np.ones((3, 3)))
    valid = api.conv(x, w, padding="valid")
    pairs = tuple(same_padding(n, 3) for n in x.shape[2:])
    same = api.conv(x, w, padding="same")
    x_padded = pad(x, pairs)
    even = _image(np.ones((1, 4)))
    even_pairs = tuple(same_padding(n, k) for n, k in zip(x.shape[2:], even.shape[2:]))
    body = (
        "A 3x3 kernel of ones: each output cell is the sum of the 3x3 window under it.",
        "'Valid' adds nothing: the kernel must fit inside, so the output shrinks by",
        f"kernel - 1: 5x5 -> {valid.shape[2]}x{valid.shape[3]}.",
        Matrices((("input 5x5", _plane(x)), ("kernel 3x3", _plane(w)),
                  (f"valid output {valid.shape[2]}x{valid.shape[3]}", _plane(valid)))),
        (f"'Same' adds a zero border so the output keeps the input's size: (before, after) "
        f"= {pairs[0]}"),
        f"along each dimension, 5x5 -> {same.shape[2]}x{same.shape[3]}.  The zeros went here:",
        Matrices((("padded input 7x7", _plane(x_padded)),
                  (f"same output {same.shape[2]}x{same.shape[3]}", _plane(same)))),
        (f"An even kernel (1x4) needs an odd total of 3 zeros per row: padding "
        f"{even_pairs[1]},"),
        "the extra zero after (TensorFlow's SAME_UPPER, PyTorch's padding='same').",
        Matrices((("input padded by (0, 0), (1, 2) for a 1x4 kernel",
                   _plane(pad(x, even_pairs))),)),
    )
    proofs = _live_proofs("conv", {"padding": "same"}, x, w)
    proofs.append(Proof("'same' keeps the size; 'valid' shrinks it by kernel - 1",
                        same.shape == x.shape and valid.shape[2:] == (3, 3),
                        f"same {same.shape[2:]}, valid {valid.shape[2:]}"))
    return Section("padding", "Padding: valid vs same", body,
                   ("npconv/shapes.py: same_padding", "npconv/padding.py: pad"), tuple(proofs))


def pooling():
    """Max and average pooling, 2x2 windows with stride 2, on the same 4x4 input.

    Examples
    --------
    >>> pooling().matrices()["max pool 2x2"]
    array([[6., 8.],
           [3., 4.]])
    """
    x = _image([[1, 1, 2, 4],
                [5, 6, 7, 8],
                [3, 2, 1, 0],
                [1, 2, 3, 4]])
    kwargs = {"kernel_size": 2, "stride": 2}
    biggest = api.max_pool(x, **kwargs)
    mean = api.avg_pool(x, **kwargs)
    body = (
        "A 2x2 window steps by 2; max pooling keeps each window's largest value, average",
        "pooling its mean.  Same input, same windows, two different summaries:",
        Matrices((("input 4x4", _plane(x)), ("max pool 2x2", _plane(biggest)),
                  ("average pool 2x2", _plane(mean)))),
        "  top-left window [1 1; 5 6]: max 6, mean (1 + 1 + 5 + 6) / 4 = 3.25",
        "Pooling has no weights: it only shrinks the map (4x4 -> 2x2).",
    )
    proofs = (_live_proofs("max_pool", kwargs, x) + _live_proofs("avg_pool", kwargs, x))
    return Section("pooling", "Pooling: max and average", body,
                   ("npconv/loops.py: max_pool", "npconv/loops.py: avg_pool"), tuple(proofs))


def output_size():
    """The output-size formula with this example's numbers: 7x9 input, kernel 3, stride 2.

    Examples
    --------
    >>> output_size().proofs[-1].passed
    True
    """
    x = np.random.default_rng(7).standard_normal((1, 2, 7, 9))
    w = np.random.default_rng(8).standard_normal((3, 2, 3, 3))
    kwargs = {"stride": 2, "padding": 1}
    report = conv_report(x.shape, 3, 3, **kwargs)
    out = api.conv(x, w, **kwargs)
    body = (
        "H_out = floor((H_in + 2*padding - dilation*(kernel_size - 1) - 1) / stride) + 1,",
        "and the same for W.  Input (N, C_in, H, W) = 1x2x7x9, 3 kernels of 3x3, stride 2,",
        "padding 1, dilation 1:",
        *(f"  {dim.name}_out = {dim.formula}" for dim in report.dimensions),
        (f"so the output is (N, C_out, H, W) = {'x'.join(map(str, report.output_shape))}; "
        f"npconv.conv returns {'x'.join(map(str, out.shape))}."),
        "Channels: C_out is the number of kernels, whatever C_in is.",
    )
    # Worked by hand, not by shapes.py: H_out = floor((7 + 2 - 2 - 1) / 2) + 1 = 4,
    # W_out = floor((9 + 2 - 2 - 1) / 2) + 1 = 5; N = 1 and C_out = 3 kernels.
    by_hand = (1, 3, 4, 5)
    proofs = _live_proofs("conv", kwargs, x, w)
    proofs.append(Proof("conv and the calculator return the shape the formula gives by hand",
                        out.shape == report.output_shape == by_hand,
                        f"by hand {by_hand}, conv {out.shape}, "
                        f"calculator {report.output_shape}"))
    return Section("output-size", "The output size formula, with numbers", body,
                   ("npconv/shapes.py: conv_output_size", "npconv/tools/calculator.py: conv_report"),
                   tuple(proofs))


def parameters():
    """Parameters of a conv layer (3 -> 16 channels, 3x3) and of a pooling layer (zero).

    Examples
    --------
    >>> [proof.passed for proof in parameters().proofs]
    [True, True, True]
    """
    C_in, C_out, k = 3, 16, 3
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, C_in, 5, 5))
    w = rng.standard_normal((C_out, C_in, k, k))
    b = rng.standard_normal(C_out)
    per_kernel = conv_parameter_count(C_in, 1, (k, k))
    layer = conv_parameter_count(C_in, C_out, (k, k))
    grads = api.conv_backward(np.ones((1, C_out, 3, 3)), x, w)
    body = (
        "One kernel sees all input channels: k * k * C_in weights plus 1 bias.",
        f"  one 3x3 kernel on {C_in} channels: 3 * 3 * {C_in} + 1 = {per_kernel}",
        f"  a layer of {C_out} kernels: {C_out} * ({per_kernel - 1} + 1) = {layer}",
        (f"  the arrays: weight {w.shape} has {w.size}, bias {b.shape} has {b.size}: "
        f"{w.size + b.size} in all"),
        "  a pooling layer: 0 (nothing to learn, whatever its window)",
        f"The parameter count does not depend on the image size: the same {layer} numbers",
        "slide over a 5x5 or a 500x500 input.",
    )
    proofs = _live_proofs("conv", {}, x, w, b)
    proofs.append(Proof("one gradient per parameter",
                        grads.grad_weight.size + grads.grad_bias.size == layer,
                        f"{grads.grad_weight.size} + {grads.grad_bias.size} gradients, "
                        f"{layer} parameters"))
    return Section("parameters", "Parameter count: conv layer vs pooling layer", body,
                   ("npconv/shapes.py: conv_parameter_count",), tuple(proofs))


def dilation():
    """A 3x3 kernel with dilation 2: a 5x5 field with 9 weights, on a 7x7 input.

    Examples
    --------
    >>> dilation().matrices()["as seen by the input: 5x5"]
    array([[1., 0., 2., 0., 3.],
           [0., 0., 0., 0., 0.],
           [4., 0., 5., 0., 6.],
           [0., 0., 0., 0., 0.],
           [7., 0., 8., 0., 9.]])
    """
    x = _image(np.arange(49).reshape(7, 7))
    w = _image(np.arange(1, 10).reshape(3, 3))
    holes = insert_zeros(w, gaps=(2, 2), axes=(2, 3))
    dilated = api.conv(x, w, dilation=2)
    spread = api.conv(x, holes)
    span = effective_kernel_size(3, 2)
    body = (
        "Dilation spaces the kernel's taps apart: with dilation 2 a 3x3 kernel touches",
        (f"every other cell, spanning 2*(3-1) + 1 = {span} cells per side while keeping its "
        f"{w.size} weights."),
        Matrices((("kernel 3x3", _plane(w)), ("as seen by the input: 5x5", _plane(holes)))),
        (f"On a 7x7 input: floor((7 - {span}) / 1) + 1 = {dilated.shape[2]} per side, as a "
        f"5x5 kernel would give."),
        Matrices((("input 7x7", _plane(x)), ("dilated conv 3x3", _plane(dilated)))),
        "Dilation 1 is the ordinary convolution.",
    )
    proofs = _live_proofs("conv", {"dilation": 2}, x, w)
    proofs.append(Proof("dilation 2 = the 5x5 kernel with zeros inserted",
                        bool(np.allclose(dilated, spread)),
                        f"max difference {np.max(np.abs(dilated - spread)):.1e}, "
                        f"{np.count_nonzero(holes)} of {holes.size} taps non-zero"))
    return Section("dilation", "Dilated convolution: a 3x3 kernel with dilation 2 sees 5x5 "
                   "with 9 weights", body,
                   ("npconv/loops.py: conv", "npconv/shapes.py: effective_kernel_size",
                    "npconv/padding.py: insert_zeros"), tuple(proofs))


def transposed():
    """Transposed convolution: back from 2x2 to 5x5, and the same via zero insertion.

    Examples
    --------
    >>> [proof.passed for proof in transposed().proofs]
    [True, True, True, True]
    """
    kwargs = {"stride": 2}
    small = conv_output_size(5, 3, 2)
    y = _image([[1, 2],
                [3, 4]])
    w = _image([[1, 0, 0],
                [1, 1, 0],
                [0, 0, 2]])
    up = api.conv_transpose(y, w, **kwargs)
    report = conv_transpose_report(y.shape, 1, 3, **kwargs)
    spaced = insert_zeros(y, gaps=(2, 2), axes=(2, 3))
    border = transposed_conv_as_conv_padding(3)          # (start, end) = (2, 2) per axis
    framed = pad(spaced, (border, border))
    flipped = w[:, :, ::-1, ::-1]
    emulated = api.conv(framed, flipped.transpose(1, 0, 2, 3))
    body = (
        (f"A 3x3 conv with stride 2 maps 5x5 to {small}x{small}; the transposed conv "
        f"with the same"),
        f"hyperparameters maps {small}x{small} back to 5x5 (the shape, not the values):",
        *(f"  {dim.name}_out = {dim.formula}" for dim in report.dimensions),
        "Each input cell stamps a copy of the kernel, scaled by its value:",
        Matrices((("input 2x2", _plane(y)), ("kernel 3x3", _plane(w)),
                  ("transposed conv 5x5", _plane(up)))),
        "The same with an ordinary convolution: insert stride - 1 = 1 zero between the",
        f"cells, add a border of kernel - 1 = {border[0]} zeros, and convolve with the kernel",
        "flipped in both axes:",
        Matrices((("zeros inserted and padded 7x7", _plane(framed)),
                  ("flipped kernel", _plane(flipped)), ("conv 5x5", _plane(emulated)))),
    )
    proofs = _live_proofs("conv_transpose", kwargs, y, w)
    proofs.append(Proof("the input's shape comes back",
                        up.shape[2:] == (5, 5) == (conv_transpose_output_size(small, 3, 2),) * 2,
                        f"5x5 -> conv -> {small}x{small} -> conv_transpose -> "
                        f"{up.shape[2]}x{up.shape[3]}"))
    proofs.append(Proof("zero insertion + conv with the flipped kernel = conv_transpose",
                        bool(np.allclose(up, emulated)),
                        f"max difference {np.max(np.abs(up - emulated)):.1e}"))
    return Section("transposed", "Transposed convolution: recovering the input's shape", body,
                   ("npconv/loops.py: conv_transpose", "npconv/padding.py: insert_zeros"),
                   tuple(proofs))


def _columns_proofs(x, cols_shape, kwargs):
    """unfold and fold: loops agree with im2col, and both backwards match finite differences.

    The checks of :func:`_live_proofs`, written for ops that have no weight: the loss is
    ``sum(op(a) * R)`` for a random ``R``, and its central differences
    (:func:`npconv.tools.gradcheck.numerical_gradient`) are held to the backward.
    """
    rng = np.random.default_rng(0)
    out_size = x.shape[2:]
    cols = rng.standard_normal(cols_shape)
    ops = {"unfold": (lambda a, method: family.unfold(a, **kwargs, method=method),
                      lambda g, method: family.unfold_backward(g, x, **kwargs, method=method),
                      x.copy()),
           "fold": (lambda a, method: family.fold(a, out_size, **kwargs, method=method),
                    lambda g, method: family.fold_backward(g, cols, out_size, **kwargs,
                                                           method=method),
                    cols.copy())}
    difference, proofs = 0.0, []
    for name, (forward, backward, a) in ops.items():
        difference = max(difference, float(np.max(np.abs(forward(a, "loops")
                                                          - forward(a, "im2col")))))
        probe = rng.standard_normal(forward(a, "loops").shape)
        errors = {}
        for method in ("loops", "im2col"):
            numeric = numerical_gradient(lambda: float(np.sum(forward(a, method) * probe)), a)
            errors[method] = relative_error(backward(probe, method), numeric)
        proofs.append(Proof(f"{name}_backward matches finite differences",
                            max(errors.values()) <= 1e-6,
                            "worst relative error: "
                            + ", ".join(f"{m} {e:.1e}" for m, e in errors.items())))
    agree = Proof("unfold and fold: loops and im2col give the same output", difference <= 1e-10,
                  f"max |loops - im2col| = {difference:.1e}")     # fold's sums, in two orders
    return [agree, *proofs]


def matrix_multiply():
    """Convolution as one matrix multiply: unfold the image, multiply by the kernel's row,
    fold gradients back, on the convolution section's 5x5 image and 3x3 kernel.

    Examples
    --------
    >>> section = matrix_multiply()
    >>> section.matrices()["row @ columns, as 3x3"]
    array([[4., 3., 4.],
           [2., 4., 3.],
           [2., 3., 4.]])
    >>> [proof.passed for proof in section.proofs]
    [True, True, True, True, True, True]
    """
    x, w = _cheat_sheet_example()
    cols = family.unfold(x, 3)[0]                        # (C * K, L) = (9, 9)
    row = w.reshape(1, -1)                               # (C_out, C * K) = (1, 9)
    product = row @ cols                                 # (C_out, L) = (1, 9)
    feature_map = product.reshape(3, 3)
    grad = np.ones((1, 1, 3, 3))
    grad_cols = row.T @ grad.reshape(1, -1)              # (C * K, L): one kernel per window
    folded = family.fold(grad_cols, (5, 5), 3)[0]        # (C, 5, 5) -> the plane
    body = (
        "The fast variant turns the sliding window into one matrix product.  Unfold (im2col,",
        "PyTorch's F.unfold) copies every window the kernel visits into a column: the 5x5",
        "image of the convolution section has 3x3 = 9 windows of 3x3 = 9 cells.",
        Matrices((("input 5x5", _plane(x)), ("unfold(x): 9 taps x 9 windows", cols))),
        "Column 1 is the window at row 0, column 1; row 4 is the kernel's centre tap.  The",
        "kernel flattened to one row of 9 weights, times the columns, gives every window's",
        "sum at once: the feature map, in one product instead of nine.",
        Matrices((("kernel as a 1x9 row", row), ("row @ columns", product),
                  ("row @ columns, as 3x3", feature_map))),
        "A layer with C_out kernels on C_in channels is a (C_out, C_in*k*k) matrix; unfold",
        "makes the (C_in*k*k, windows) one.  Back the other way, fold adds each column onto",
        "its window, overlaps summing: kernel^T times an output gradient of ones, folded, is",
        "the input gradient (and a transposed convolution).",
        Matrices((("kernel^T @ gradient, folded", folded),)),
    )
    proofs = _columns_proofs(x, cols[np.newaxis].shape, {"kernel_size": 3})
    conv = api.conv(x, w)
    proofs.append(Proof("kernel row @ unfold(x), reshaped = conv(x, w)",
                        bool(np.array_equal(feature_map, _plane(conv))),
                        f"max difference {np.max(np.abs(feature_map - _plane(conv))):.1e}"))
    grad_input = _plane(api.conv_backward(grad, x, w).grad_input)
    transposed = _plane(api.conv_transpose(grad, w))
    proofs.append(Proof("fold(kernel^T @ gradient) = conv_backward's grad_input = "
                        "conv_transpose(gradient, w)",
                        bool(np.allclose(folded, grad_input) and np.allclose(folded, transposed)),
                        f"max difference {np.max(np.abs(folded - grad_input)):.1e} and "
                        f"{np.max(np.abs(folded - transposed)):.1e}"))
    y = np.random.default_rng(1).standard_normal(cols.shape)
    left, right = float(np.sum(cols * y)), float(np.sum(x * family.fold(y, (5, 5), 3)))
    proofs.append(Proof("fold is unfold's adjoint: <unfold(x), y> = <x, fold(y)>",
                        bool(np.isclose(left, right)), f"{left:.6f} and {right:.6f}"))
    return Section("matrix-multiply", "Convolution as one matrix multiply: unfold, multiply, "
                   "fold back", body,
                   ("npconv/family/loops.py: unfold", "npconv/family/loops.py: fold",
                    "npconv/im2col.py: im2col"), tuple(proofs))


SECTIONS = {"convolution": convolution, "padding": padding, "pooling": pooling,
            "output-size": output_size, "parameters": parameters, "dilation": dilation,
            "transposed": transposed, "matrix-multiply": matrix_multiply}
"""Section name -> the function that builds it, in the cheat sheet's order, and then the
convolution as the fast variant computes it."""


def tour(names=None):
    """Build the sections called ``names`` (default: all of them, in order).

    Raises
    ------
    ValueError
        If a name is not a key of :data:`SECTIONS`.

    Examples
    --------
    >>> [section.name for section in tour(["pooling", "dilation"])]
    ['pooling', 'dilation']
    """
    names = list(SECTIONS) if names is None else list(names)
    for name in names:
        if name not in SECTIONS:
            raise ValueError(f"section {name!r} is not one of {', '.join(SECTIONS)}")
    return [SECTIONS[name]() for name in names]
