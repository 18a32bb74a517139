"""Pictures of every op, drawn from the real computation (``pip install -e ".[viz]"``).

:func:`stories_for` computes what a picture shows, with NumPy alone and from the public ops:
the windows, the values that fill the output, the scatter steps of a transposed convolution
(see :mod:`npconv.viz.stories`).  :func:`animate` draws them into an animated GIF or a PNG
still; only then is matplotlib imported (in :mod:`npconv.viz.draw`), so ``import npconv``
and ``import npconv.viz`` never need it.

Examples
--------
>>> stories = stories_for("conv", input_size=(4, 4), kernel_size=3)
>>> [story.op for story in stories], stories[0].output.shape
(['conv'], (2, 2))
>>> [story.op for story in stories_for("conv_transpose", input_size=(2, 2), kernel_size=3)]
['conv_transpose', 'conv_transpose as conv']
>>> story, = stories_for("adaptive_avg_pool", input_size=5, output_size=3)
>>> [step.cols for step in story.steps]                  # windows that share cells 1 and 3
[(0, 1), (1, 2, 3), (3, 4)]
"""

import numpy as np

from .stories import (MAX_SIDE, AdaptivePoolStory, ConvStory, PoolStory, ScatterStory, Step,
                      UnpoolStory, adaptive_pool_story, check_size, conv_story, pool_story,
                      refuse_foreign, sample_values, scatter_story, size_tuple,
                      transposed_as_conv_story, unpool_story)

__all__ = [
    "OPS", "VIEWS", "MAX_SIDE", "stories_for", "animate",
    "Step", "ConvStory", "PoolStory", "ScatterStory", "UnpoolStory", "AdaptivePoolStory",
    "conv_story", "pool_story", "scatter_story", "transposed_as_conv_story", "unpool_story",
    "adaptive_pool_story", "sample_values",
]

OPS = ("conv", "conv_transpose", "max_pool", "avg_pool", "max_unpool", "adaptive_avg_pool",
       "adaptive_max_pool")
VIEWS = ("both", "scatter", "conv")


def stories_for(op, input_size=None, kernel_size=3, stride=None, padding=0, dilation=1,
                output_padding=0, ceil_mode=False, count_include_pad=True, view="both",
                seed=0, input=None, kernel=None, output_size=None):
    """The stories (data behind the picture) of one op and configuration.

    Parameters
    ----------
    op : one of :data:`OPS`
        ``max_unpool`` draws a max pooling and the unpooling of its output with its
        indices, back to the input's size; the adaptive pools take ``output_size`` and no
        kernel, stride or padding.
    input_size : int or tuple of int
        ``(W,)`` or ``(H, W)``: a 1-D or 2-D single-channel input.  Not needed when
        ``input`` is given.
    kernel_size : int or tuple of int
    stride : int or tuple of int, optional
        Default 1 for the convolutions and ``kernel_size`` for pooling, as in the ops.
    padding, dilation, output_padding, ceil_mode, count_include_pad
        As for the op; each op takes only its own (a non-default value given to an op that
        has no such argument is an error).
    view : {"both", "scatter", "conv"}
        conv_transpose only: the scatter, the equivalent convolution, or both one above the
        other.
    seed : int
        Seeds the small integer values of the input and kernel.
    input, kernel : array_like, optional
        Explicit values instead of random ones (their shapes then set the sizes).
    output_size : int or tuple of int, optional
        Adaptive pooling only (required there).

    Returns
    -------
    list of stories, one per row of the picture

    Raises
    ------
    ValueError
        The op's own message for a configuration it refuses, or a grid (the input, the
        kernel, the padded or zero-inserted input, the uncropped output) with more than
        :data:`MAX_SIDE` cells on a side; both are checked before any such array is made.
    """
    if op not in OPS:
        raise ValueError(f"op={op!r} is not one of {OPS}")
    if view not in VIEWS:
        raise ValueError(f"view={view!r} is not one of {VIEWS}")
    refuse_foreign(op, dilation=(dilation, 1), output_padding=(output_padding, 0),
                   ceil_mode=(ceil_mode, False), count_include_pad=(count_include_pad, True),
                   view=(view, "both"), kernel_size=(kernel_size, 3), stride=(stride, None),
                   padding=(padding, 0), output_size=(output_size, None))
    if input is not None:
        input_size = tuple(int(n) for n in np.shape(input))
    elif input_size is None:
        raise ValueError("give input_size, or the input values themselves as input=")
    if kernel is not None:
        kernel_size = tuple(int(n) for n in np.shape(kernel))
    input_size = size_tuple(input_size, "input_size")
    kernel_size = size_tuple(kernel_size, "kernel_size", len(input_size))
    # Before any array of these sizes is made: each story checks its grids the same way.
    check_size(input_size, "input_size=")
    check_size(kernel_size, "kernel_size=")
    if input is None:
        input = sample_values(input_size, seed, high=10 if "max" in op else 4)
    if op.startswith("adaptive"):
        if output_size is None:
            raise ValueError(f"{op} needs output_size=... (the size of its output)")
        return [adaptive_pool_story(op.split("_")[1], input, output_size)]
    if op == "max_unpool":
        return [unpool_story(input, kernel_size, stride, padding)]
    if op in ("max_pool", "avg_pool"):
        mode = op.split("_")[0]
        return [pool_story(mode, input, kernel_size, stride, padding, dilation, ceil_mode,
                           count_include_pad)]
    if kernel is None:
        kernel = sample_values(kernel_size, seed + 1, high=3)
    stride = 1 if stride is None else stride
    if op == "conv":
        return [conv_story(input, kernel, stride, padding, dilation)]
    stories = []
    if view in ("both", "scatter"):
        stories.append(scatter_story(input, kernel, stride, padding, output_padding, dilation))
    if view in ("both", "conv"):
        stories.append(transposed_as_conv_story(input, kernel, stride, padding, output_padding,
                                                dilation))
    return stories


def animate(op, input_size, output, kernel_size=3, *, frame=None, grid=False, numbers=None,
            fps=1.5, max_frames=100, **config):
    """Draw ``op`` on one configuration into ``output`` (``.gif`` or ``.png``).

    ``config`` holds the op's hyperparameters and ``seed``, ``view``, ``input``, ``kernel``
    as for :func:`stories_for`; ``frame``, ``grid``, ``numbers``, ``fps`` and ``max_frames``
    are as for :func:`npconv.viz.draw.save`.  Returns the number of frames written.  Raises the op's own
    ``ValueError`` for a configuration the op refuses.
    """
    stories = stories_for(op, input_size, kernel_size, **config)
    from . import draw                # matplotlib is imported here, and only here
    return draw.save(stories, output, frame=frame, grid=grid, numbers=numbers, fps=fps,
                     max_frames=max_frames)

