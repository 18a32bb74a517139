"""The catalogue of known traps: small named cases, each with why and a public source.

Every entry is a :class:`~npconv.testing.Case` small enough to check by hand, with a
``grad_output`` chosen so that the backward's routing shows (most are ``1, 2, 4, ...`` or
ones).  The sources are the public threads (PyTorch, ONNX, or a downstream project) where
the trap was reported or its rule pinned down.

Examples
--------
>>> from npconv.testing import edge_cases
>>> case = edge_cases(names=["avg_pool_ceil_overhang_not_counted"])[0]
>>> print(case)
# avg_pool_ceil_overhang_not_counted: under ceil_mode the last window hangs past the input; PyTorch divides by the cells inside, never by the full kernel
npconv.avg_pool(input=np.array([[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]]), kernel_size=2, stride=3, ceil_mode=True)
>>> case.expected()["output"]
array([[[0.5, 3.5, 6. ]]])
"""

import numpy as np

from .case import Case

__all__ = ["edge_cases", "CATALOGUE"]

nan, inf = np.nan, np.inf


def _a(values):
    return np.array(values, dtype=np.float64)


def _entry(name, op, why, source, *, grad_output=None, unbatched=False, torch_compatible=True,
           **arguments):
    """One trap; ``torch_compatible=False`` where PyTorch's functional op refuses the
    arguments as they are (npconv's extensions, or an argument only the layers take)."""
    return {"name": name, "op": op, "why": why, "source": source, "grad_output": grad_output,
            "unbatched": unbatched, "torch_compatible": torch_compatible,
            "arguments": arguments}


_CEIL_OVERHANG = dict(input=_a([[[1, 2, 3, 4, 5, 6]]]), kernel_size=3, stride=2, padding=1,
                      ceil_mode=True, grad_output=_a([[[1, 2, 4, 8]]]))
"""One ceil_mode average pool whose last window overhangs, for both count_include_pad
traps: windows at -1, 1, 3 and 5, the first on the left padding, the last on the right
padding and past it (``edge_cases`` copies the arrays, so the two cases never share them)."""


CATALOGUE = [
    # ---- ceil_mode and the average-pool divisor --------------------------------------------
    _entry("max_pool_ceil_window_in_right_padding", "max_pool",
           "ceil_mode rounds up to 4 windows, but the 4th would start in the right padding: "
           "PyTorch drops it (output 3, not 4 with a -inf cell)",
           "https://github.com/tracel-ai/burn/issues/5791",
           input=_a([[[1, 2, 3, 4, 5]]]), kernel_size=2, stride=2, padding=1, ceil_mode=True,
           return_indices=True, grad_output=_a([[[1, 2, 4]]])),
    _entry("avg_pool_ceil_overhang_not_counted", "avg_pool",
           "under ceil_mode the last window hangs past the input; PyTorch divides by the cells "
           "inside, never by the full kernel",
           "https://github.com/apple/coremltools/pull/2844",
           input=_a([[[0, 1, 2, 3, 4, 5, 6]]]), kernel_size=2, stride=3, ceil_mode=True),
    _entry("avg_pool_ceil_overhang_count_include_pad", "avg_pool",
           "count_include_pad=True counts the window's padding but not its ceil_mode overhang "
           "past the padding: the last window divides by 2, not 3",
           "https://github.com/microsoft/onnxruntime/issues/16203",
           **_CEIL_OVERHANG, count_include_pad=True),
    _entry("avg_pool_ceil_overhang_exclude_pad", "avg_pool",
           "count_include_pad=False under ceil_mode divides each window by its input cells "
           "only: the first and the last window differ from the middle ones",
           "https://github.com/root-project/root/issues/22523",
           **_CEIL_OVERHANG, count_include_pad=False),
    _entry("avg_pool_divisor_override", "avg_pool",
           "divisor_override replaces every window's count, also with count_include_pad=False "
           "and at the padded edge",
           "https://github.com/pytorch/executorch/pull/18616",
           input=_a([[[[1, 2, 3, 4]]]]), kernel_size=(1, 3), stride=(1, 2), padding=(0, 1),
           count_include_pad=False, divisor_override=2),
    _entry("avg_pool_asymmetric_padding", "avg_pool",
           "with (before, after) padding, count_include_pad counts the declared trailing "
           "padding; the window is not shrunk to the leading side's width",
           "https://github.com/ROCm/AMDMIGraphX/pull/5007",
           input=_a([[[1, 2, 3, 4]]]), kernel_size=3, stride=2, padding=((0, 1),),
           count_include_pad=True, torch_compatible=False),
    # ---- max pooling: ties, NaN, -inf, the index layout ------------------------------------
    _entry("max_pool_tie_first_wins", "max_pool",
           "a window's maximum tied between cells: the first (row-major) wins the value, the "
           "index and the whole gradient; a cell winning two windows collects both",
           "https://github.com/Theano/Theano/issues/5404",
           input=_a([[[1, 3, 3, 0]]]), kernel_size=2, stride=1, return_indices=True,
           grad_output=_a([[[1, 2, 4]]])),
    _entry("max_pool_nan_propagates", "max_pool",
           "a NaN in the window makes the output NaN, and the index (so the gradient) goes to "
           "the window's last NaN",
           "https://github.com/tracel-ai/burn/pull/5662",
           input=_a([[[1, nan, 3, nan, 0, 2]]]), kernel_size=3, stride=3, return_indices=True,
           grad_output=_a([[[1, 2]]])),
    _entry("max_pool_all_neg_inf", "max_pool",
           "a window of -inf (with padding): the output is -inf, padding never wins, and the "
           "index is the window's first input cell, never -1",
           "https://github.com/pytorch/pytorch/pull/1465",
           input=_a([[[-inf, -inf, -inf]]]), kernel_size=3, stride=2, padding=1,
           return_indices=True, grad_output=_a([[[1, 2]]])),
    _entry("max_pool_indices_layout", "max_pool",
           "indices are flat positions in each (n, c) plane of the unpadded input: no channel "
           "or batch offset, padding not counted",
           "https://github.com/pytorch/pytorch/pull/16455",
           input=np.arange(18.).reshape(1, 2, 3, 3)[:, :, ::-1, ::-1].copy(), kernel_size=2,
           stride=2, padding=1, return_indices=True),
    _entry("max_pool_unbatched_indices", "max_pool",
           "an unbatched (C, H, W) input gives unbatched values and indices of the same shape",
           "https://github.com/pytorch/pytorch/issues/39326",
           input=_a([[[1, 4], [3, 2]]]), kernel_size=2, return_indices=True, unbatched=True),
    # ---- convolution: 'same', asymmetric padding, padding modes, groups ---------------------
    _entry("conv_same_even_kernel", "conv",
           "'same' with an even kernel needs an odd total padding: the extra cell goes after "
           "(right/bottom), as in TensorFlow",
           "https://github.com/pytorch/pytorch/pull/45667",
           input=_a([[[1, 2, 3, 4, 5]]]), weight=_a([[[1, 10]]]), padding="same",
           grad_output=_a([[[1, 2, 4, 8, 16]]])),
    _entry("conv_same_even_kernel_dilated", "conv",
           "'same' with an even kernel and an odd dilation: total padding 3 splits as (1, 2)",
           "https://github.com/pytorch/pytorch/pull/45667",
           input=_a([[[1, 2, 3, 4, 5]]]), weight=_a([[[1, 10]]]), padding="same", dilation=3,
           grad_output=_a([[[1, 2, 4, 8, 16]]])),
    _entry("conv_asymmetric_padding", "conv",
           "(before, after) padding differs per side and per dimension; the output size uses "
           "before + after, the window starts at -before",
           "https://github.com/onnx/onnx/issues/7721",
           input=np.arange(16.).reshape(1, 1, 4, 4), weight=np.ones((1, 1, 2, 2)),
           stride=2, padding=((1, 0), (0, 1)), torch_compatible=False),
    _entry("conv_reflect_at_limit", "conv",
           "reflect padding may be as wide as the input minus one (here 2 on a 3-cell input), "
           "and its gradient folds back onto the reflected cells",
           "https://github.com/pytorch/pytorch/issues/52205",
           input=_a([[[1, 2, 3]]]), weight=_a([[[1, 10]]]), padding=2,
           padding_mode="reflect", grad_output=_a([[[1, 2, 4, 8, 16, 32]]]),
           torch_compatible=False),
    _entry("conv_replicate_wider_than_input", "conv",
           "replicate padding may be wider than the input (3 on 2 cells): the edge cells "
           "repeat, and collect the gradient of every copy",
           "https://github.com/pytorch/pytorch/pull/155618",
           input=_a([[[1, 2]]]), weight=_a([[[1, 10]]]), padding=3,
           padding_mode="replicate", grad_output=_a([[[1, 2, 4, 8, 16, 32, 64]]]),
           torch_compatible=False),
    _entry("conv_circular_at_limit", "conv",
           "circular padding may be as wide as the input itself (3 on 3 cells), wrapping a "
           "whole period around",
           "https://github.com/pytorch/pytorch/pull/155618",
           input=_a([[[1, 2, 3]]]), weight=_a([[[1, 10]]]), padding=3,
           padding_mode="circular", torch_compatible=False),
    _entry("conv_groups", "conv",
           "groups=2 with 4 input and 8 output channels: output channels 4-7 read input "
           "channels 2-3 only",
           "https://github.com/pytorch/pytorch/issues/19912",
           input=_a([[[0], [0], [0], [1]]]), weight=np.ones((8, 2, 1)), groups=2),
    _entry("conv_depthwise_multiplier", "conv",
           "depthwise with a channel multiplier (groups = C_in = 2, C_out = 4): output "
           "channels 0-1 read input channel 0, 2-3 input channel 1",
           "https://github.com/pytorch/pytorch/pull/60460",
           input=_a([[[1, 2, 3], [4, 5, 6]]]), weight=_a([[[1, 0]], [[0, 1]], [[1, 1]], [[2, 0]]]),
           groups=2, grad_output=_a([[[1, 2], [4, 8], [16, 32], [64, 128]]])),
    _entry("conv_unbatched", "conv",
           "an unbatched (C, L) input to conv1d gives an unbatched (C_out, L_out) output",
           "https://github.com/pytorch/pytorch/pull/70506",
           input=_a([[1, 2, 3]]), weight=_a([[[1, 1]]]), unbatched=True),
    _entry("conv_empty_batch", "conv",
           "a batch of 0 gives an output of 0 samples, and zero weight and bias gradients",
           "https://github.com/pytorch/pytorch/pull/32612",
           input=np.zeros((0, 2, 4)), weight=_a([[[1, 2], [3, 4]]]), bias=_a([0.5])),
    # ---- transposed convolution: output_padding ---------------------------------------------
    _entry("conv_transpose_output_padding_at_limit", "conv_transpose",
           "output_padding = stride - 1, its largest value: it keeps a cell the padding would "
           "crop, and the bias reaches it",
           "https://github.com/pytorch/pytorch/issues/56328",
           input=_a([[[1, 2]]]), weight=_a([[[1, 1, 1]]]), bias=_a([0.5]), stride=2,
           padding=1, output_padding=1, grad_output=_a([[[1, 2, 4, 8]]])),
    _entry("conv_transpose_output_padding_over_stride", "conv_transpose",
           "output_padding may exceed the stride when below the dilation (stride 1, dilation 3, "
           "output_padding 2): the added cells lie past every kernel copy and hold zeros",
           "https://github.com/apple/coreai-torch/pull/79",
           input=_a([[[1, 2]]]), weight=_a([[[1, 1]]]), stride=1, dilation=3,
           output_padding=2, grad_output=_a([[[1, 2, 4, 8, 16, 32, 64]]])),
    _entry("conv_transpose_output_size_largest_dilated", "conv_transpose",
           "output_size reaches from the smallest size, which counts the dilation ((2-1)*2 + "
           "3*(3-1) + 1 = 9), up to stride - 1 more: 10 picks output_padding 1; 11 is refused "
           "though output_padding=2 (below the dilation) gives it",
           "https://github.com/pytorch/pytorch/issues/14272",
           input=_a([[[1, 2]]]), weight=_a([[[1, 10, 100]]]), bias=_a([0.5]), stride=2,
           dilation=3, output_size=(10,), grad_output=_a([[[1, 2, 4, 8, 16, 32, 64, 128, 256,
                                                           512]]]), torch_compatible=False),
    _entry("conv_transpose_output_size_with_n_and_c", "conv_transpose",
           "an output_size of (N, C_out, L) holds the spatial size after the first two entries "
           "(in 1-D the last two are C_out and L, not the size)",
           "https://github.com/pytorch/pytorch/pull/904",
           input=_a([[[1, 2]]]), weight=_a([[[1, 1]]]), stride=2, output_size=(1, 1, 5),
           grad_output=_a([[[1, 2, 4, 8, 16]]]), torch_compatible=False),
    # ---- unfold and fold ------------------------------------------------------------------------
    _entry("unfold_layout_channel_major", "unfold",
           "rows are channel-major, then the kernel taps row-major (row c*K + kh*kW + kw), "
           "columns the window positions row-major: not the taps first",
           "https://github.com/pytorch/executorch/pull/20708",
           input=_a([[[[0, 1, 2], [3, 4, 5]], [[10, 11, 12], [13, 14, 15]]]]), kernel_size=2,
           grad_output=_a([[[1, 2], [4, 8], [16, 32], [64, 128], [256, 512], [1024, 2048],
                            [4096, 8192], [16384, 32768]]])),
    _entry("unfold_dilation_per_dimension", "unfold",
           "dilation (1, 2) spreads the taps along the width only: the 2x2 kernel reads columns "
           "0 and 2, and only 2 x 1 windows fit in 3x3",
           "https://github.com/deeplearning4j/nd4j/issues/2457",
           input=np.arange(1., 10.).reshape(1, 1, 3, 3), kernel_size=2, dilation=(1, 2),
           grad_output=_a([[[1, 2], [4, 8], [16, 32], [64, 128]]])),
    _entry("unfold_padding_per_dimension", "unfold",
           "padding (1, 0) pads the height only: 3 x 2 windows (L = 6); with the sides swapped "
           "(F.pad lists the last dimension first) it would be 1 x 4",
           "https://github.com/meta-pytorch/opacus/pull/443",
           input=_a([[[[1, 2, 3], [4, 5, 6]]]]), kernel_size=2, padding=(1, 0)),
    _entry("fold_overlapping_windows_add_up", "fold",
           "fold adds the values of overlapping windows, it does not average them: "
           "fold(unfold(x)) is x times the number of windows over each cell",
           "https://github.com/PaddlePaddle/Paddle/issues/44956",
           input=_a([[[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]]), output_size=3,
           kernel_size=2, grad_output=np.arange(1., 10.).reshape(1, 1, 3, 3)),
    _entry("fold_padding_dropped", "fold",
           "with padding, the column cells that land on the padding are dropped (here the first "
           "and the last), and their gradient is 0",
           "https://github.com/f-dangel/unfoldNd/issues/30",
           input=_a([[[1, 2, 4, 8], [16, 32, 64, 128]]]), output_size=(1, 3), kernel_size=(1, 2),
           padding=(0, 1), grad_output=_a([[[[1, 10, 100]]]])),
    _entry("fold_output_size_of_one", "fold",
           "a width of 1 with a kernel width of 1 holds one window: L = 3 * 1, and the height's "
           "windows (stride 2, padding 1) overlap by a cell",
           "https://github.com/PaddlePaddle/Paddle/issues/67985",
           input=_a([[[1, 2, 4], [8, 16, 32], [64, 128, 256]]]), output_size=(5, 1),
           kernel_size=(3, 1), padding=(1, 0), stride=(2, 1),
           grad_output=_a([[[[1], [10], [100], [1000], [10000]]]])),
    # ---- the rest of the family ---------------------------------------------------------------
    _entry("max_unpool_output_size_below_default", "max_unpool",
           "output_size may be smaller than the default, down to default - stride + 1 (the "
           "sizes ceil_mode pooling maps to the same output)",
           "https://github.com/pytorch/pytorch/issues/580",
           input=_a([[[5, 7]]]), indices=np.array([[[1, 2]]]), kernel_size=2,
           output_size=(3,), grad_output=_a([[[1, 2, 4]]])),
    _entry("max_unpool_output_size_above_default", "max_unpool",
           "output_size may be larger than the default, up to default + stride - 1",
           "https://github.com/pytorch/pytorch/pull/68936",
           input=_a([[[5, 7]]]), indices=np.array([[[1, 4]]]), kernel_size=2,
           output_size=(5,), grad_output=_a([[[1, 2, 4, 8, 16]]])),
    _entry("max_unpool_duplicate_indices", "max_unpool",
           "two cells carry the same index: the last in row-major order stays (PyTorch's CPU "
           "result on one thread), but both read the gradient there",
           "https://github.com/pytorch/pytorch/issues/80204",
           input=_a([[[1, 2, 3]]]), indices=np.array([[[2, 2, 0]]]), kernel_size=2,
           grad_output=_a([[[1, 2, 4, 8, 16, 32]]])),
    _entry("adaptive_avg_pool_overlapping_windows", "adaptive_avg_pool",
           "5 cells pooled to 3: windows floor(i*5/3) to ceil((i+1)*5/3) overlap (0-1, 1-3, "
           "3-4), so cells 1 and 3 feed two windows",
           "https://github.com/flagos-ai/FlagGems/issues/4915",
           input=_a([[[1, 2, 3, 4, 5]]]), output_size=3, grad_output=_a([[[1, 2, 4]]])),
    _entry("adaptive_max_pool_more_out_than_in", "adaptive_max_pool",
           "2 cells pooled to 3: the middle window covers both, so one cell wins two windows",
           "https://github.com/pytorch/pytorch/pull/196346",
           input=_a([[[1, 5]]]), output_size=3, return_indices=True,
           grad_output=_a([[[1, 2, 4]]])),
    _entry("lp_pool_ceil_mode_rescaled", "lp_pool",
           "PyTorch computes (K * mean(x**p))**(1/p) with the full kernel K: a ceil_mode window "
           "cut short has its sum of powers scaled by K / cells (sqrt(2 * 36), not 6)",
           "https://github.com/onnx/onnx/issues/5276",
           input=_a([[[3, 4, 6]]]), norm_type=2, kernel_size=2, ceil_mode=True,
           grad_output=_a([[[1, 2]]])),
    _entry("lp_pool_negative_fractional_power", "lp_pool",
           "no absolute value: a negative cell raised to a fractional power is NaN "
           "(norm_type=-0.5 gives [nan, 0.3431])",
           "https://github.com/onnx/onnx/issues/5459",
           input=_a([[[-1, 2, 1]]]), norm_type=-0.5, kernel_size=2, stride=1),
    _entry("lp_pool_odd_power_negative", "lp_pool",
           "p = 3 on negative cells: the sum of cubes is negative and its cube root NaN, while "
           "p = 1 would pass the negatives through",
           "https://github.com/FluxML/Flux.jl/pull/2166",
           input=_a([[[-1, -2, -3, 1, 2, 3]]]), norm_type=3, kernel_size=1),
]
"""The traps, as plain data: name, op, why, source, arguments, grad_output, unbatched and
torch_compatible."""


def edge_cases(ops=None, names=None, dtype=None, *, torch_compatible=False):
    """The catalogue as new :class:`~npconv.testing.Case` objects.

    Parameters
    ----------
    ops : sequence of str, optional
        Only the cases of these ops.
    names : sequence of str, optional
        Only the cases with these names.
    dtype : dtype, optional
        Cast the floating arrays (and ``grad_output``) to it, e.g. ``np.float32``.
    torch_compatible : bool
        Only the cases PyTorch's functional ops take as they are (each case's
        ``torch_compatible`` attribute says so).  By default every case, including
        npconv's extensions: asymmetric padding, ``padding_mode`` in ``conv``, and
        ``output_size`` in ``conv_transpose`` (PyTorch's layers take it, ``F.*`` does not).

    Returns
    -------
    list of Case

    Examples
    --------
    >>> len(edge_cases()) - len(edge_cases(torch_compatible=True))
    7
    >>> [case.name for case in edge_cases(ops=["conv"]) if not case.torch_compatible][:2]
    ['conv_asymmetric_padding', 'conv_reflect_at_limit']
    """
    cases = []
    for entry in CATALOGUE:
        if (ops is not None and entry["op"] not in ops) or (names is not None
                                                            and entry["name"] not in names):
            continue
        if torch_compatible and not entry["torch_compatible"]:
            continue
        arguments = {key: value.copy() if isinstance(value, np.ndarray) else value
                     for key, value in entry["arguments"].items()}
        grad_output = None if entry["grad_output"] is None else entry["grad_output"].copy()
        case = Case(entry["op"], arguments, grad_output=grad_output, name=entry["name"],
                    why=entry["why"], source=entry["source"], unbatched=entry["unbatched"],
                    torch_compatible=entry["torch_compatible"])
        cases.append(case if dtype is None else case.astype(dtype))
    return cases
