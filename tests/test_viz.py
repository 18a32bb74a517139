"""The pictures: the data behind every figure is the op's real output, and the files are valid.

The stories of :mod:`npconv.viz.stories` are compared with the public ops, called here on
the same values; each drawn window is checked independently by redoing its multiply-and-sum
(or max, or sum-over-divisor) from the grid the picture shows.  The image files are opened
with Pillow and checked for their frame count and size, never compared pixel by pixel.
"""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import npconv
from npconv import viz
from npconv.viz.draw import spread_frames
from npconv.viz.stories import INPUT, INSERTED, OVERHANG, PADDING
from tests import oracles
from tests.guards import finishes_quickly

CONV_CONFIGS = [
    dict(input_size=(5, 5), kernel_size=3, stride=2, padding=1, dilation=2),
    dict(input_size=(4, 6), kernel_size=(2, 3), stride=(1, 2), padding=((0, 1), (2, 0))),
    dict(input_size=(5, 5), kernel_size=4, padding="same"),
    dict(input_size=(6, 5), kernel_size=3, stride=2, padding="same", dilation=(1, 2)),
    dict(input_size=(7,), kernel_size=3, stride=2, padding=((0, 1),)),
]
POOL_CONFIGS = [
    dict(input_size=(5, 5), kernel_size=2, ceil_mode=True),
    dict(input_size=(5, 5), kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(input_size=(6, 5), kernel_size=(3, 2), stride=(2, 1), padding=((1, 0), (1, 1))),
    dict(input_size=(8,), kernel_size=3, stride=3, padding=1, ceil_mode=True),
]
TRANSPOSED_CONFIGS = [
    dict(input_size=(2, 2), kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(input_size=(3, 2), kernel_size=(2, 3), stride=(3, 1), padding=((0, 1), (1, 2))),
    dict(input_size=(2, 3), kernel_size=3, stride=2, dilation=2, padding=2, output_padding=1),
    dict(input_size=(3,), kernel_size=1, stride=2, padding=1),      # padding crops beyond
    dict(input_size=(4,), kernel_size=3, stride=1, padding=2),      # full-padding transpose
]


def batched(array):
    """A single-channel 1-D or 2-D grid as the (N, C, *spatial) array the ops take."""
    return np.asarray(array)[None, None]


def values_of(config):
    """The input and kernel a picture draws by default (seed 0 and seed 1)."""
    size = config["input_size"]
    kernel_size = oracles.per_dimension(config["kernel_size"], len(size))
    return viz.sample_values(size, 0), viz.sample_values(kernel_size, 1, high=3)


def op_kwargs(config, *names):
    return {name: config[name] for name in names if name in config}


def taps(grid, step):
    return grid[np.ix_(step.rows, step.cols)]


# --------------------------------------------------------------------------------------------
# The data behind the figures
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", CONV_CONFIGS)
def test_conv_story_shows_the_ops_output_and_its_windows(config):
    story, = viz.stories_for("conv", **config)
    x, w = values_of(config)
    expected = npconv.conv(batched(x), batched(w),
                           **op_kwargs(config, "stride", "padding", "dilation"))[0, 0]
    assert np.array_equal(story.output.reshape(expected.shape), expected)
    # The real input sits inside the drawn grid, surrounded by the padding it claims.
    assert np.array_equal(story.grid[story.kinds == INPUT], x.ravel())
    assert np.all(story.grid[story.kinds == PADDING] == 0)
    # Each window, redone from the picture's own grid, gives the value drawn for it.
    assert len(story.steps) == expected.size
    for step in story.steps:
        assert np.sum(taps(story.grid, step) * story.kernel) == pytest.approx(step.value)


def test_conv_output_fills_in_one_cell_per_step():
    story, = viz.stories_for("conv", input_size=(4, 4), kernel_size=2, stride=2)
    for number, step in enumerate(story.steps):
        drawn = story.output_after(number)
        assert np.count_nonzero(~np.isnan(drawn)) == number + 1
        assert drawn[step.index] == story.output[step.index]


@pytest.mark.parametrize("config", POOL_CONFIGS)
def test_max_pool_story_marks_the_ops_winners(config):
    story, = viz.stories_for("max_pool", **config)
    x = viz.sample_values(config["input_size"], 0, high=10)
    expected, indices = npconv.max_pool(
        batched(x), config["kernel_size"], return_indices=True,
        **op_kwargs(config, "stride", "padding", "ceil_mode"))
    assert np.array_equal(story.output.ravel(), expected.ravel())
    before = [pair[0] for pair in story.padding]
    for step, index in zip(story.steps, indices.ravel()):
        unpadded = [position - offset for position, offset in zip(step.winner, before)]
        assert np.ravel_multi_index(unpadded, story.in_size) == index
        window_cells = {(r, c) for r in step.rows for c in step.cols}
        assert step.winner in window_cells
        assert story.kinds[step.winner] == INPUT       # padding never wins
        assert story.grid[step.winner] == step.value
        real = taps(story.grid, step)[taps(story.kinds, step) == INPUT]
        assert step.value == real.max()


@pytest.mark.parametrize("config", POOL_CONFIGS)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_story_shows_the_ops_output_and_divisors(config, count_include_pad):
    story, = viz.stories_for("avg_pool", count_include_pad=count_include_pad, **config)
    x = viz.sample_values(config["input_size"], 0)
    expected = npconv.avg_pool(batched(x), config["kernel_size"],
                               count_include_pad=count_include_pad,
                               **op_kwargs(config, "stride", "padding", "ceil_mode"))
    assert np.allclose(story.output.ravel(), expected.ravel())
    for step in story.steps:
        kinds = taps(story.kinds, step)
        # PyTorch's divisor, counted here from the drawn window: padding counts only if
        # asked, the ceil_mode overhang never does.
        counted = (kinds == INPUT) | ((kinds == PADDING) & count_include_pad)
        assert step.divisor == np.count_nonzero(counted)
        assert step.value == pytest.approx(taps(story.grid, step)[kinds == INPUT].sum()
                                           / step.divisor)


def test_ceil_mode_windows_are_the_extra_ones():
    story, = viz.stories_for("max_pool", input_size=(5, 5), kernel_size=2, ceil_mode=True)
    extra = [step.index for step in story.steps if step.ceil_only]
    assert extra == [(0, 2), (1, 2), (2, 0), (2, 1), (2, 2)]       # 3x3 kept, 2x2 by floor
    assert np.count_nonzero(story.kinds == OVERHANG) == 6 + 5       # a column and a row


@pytest.mark.parametrize("config", TRANSPOSED_CONFIGS)
def test_scatter_story_adds_up_to_the_ops_output(config):
    scatter, _ = viz.stories_for("conv_transpose", **config)
    x, w = values_of(config)
    expected = npconv.conv_transpose(batched(x), batched(w), **op_kwargs(
        config, "stride", "padding", "output_padding", "dilation"))[0, 0]
    assert np.array_equal(scatter.output.reshape(expected.shape), expected)
    assert np.array_equal(scatter.partials[-1][scatter.crop].reshape(expected.shape),
                          expected)
    # Each step adds exactly value * kernel at the drawn taps, and nothing elsewhere.
    before = np.zeros_like(scatter.partials[0])
    for step, after in zip(scatter.steps, scatter.partials):
        added = np.zeros_like(before)
        added[np.ix_(step.rows, step.cols)] = step.value * scatter.kernel
        assert np.array_equal(after - before, added)
        before = after


@pytest.mark.parametrize("config", TRANSPOSED_CONFIGS)
def test_transposed_as_conv_story_equals_the_op(config):
    scatter, as_conv = viz.stories_for("conv_transpose", **config)
    expected = scatter.output                 # checked against the op just above
    assert np.array_equal(as_conv.output, expected)
    assert np.array_equal(as_conv.kernel, scatter.kernel[::-1, ::-1])
    if all(before >= 0 and after >= 0 for before, after in as_conv.padding):
        # Every input cell is in the grid, in order (a negative padding crops some away).
        assert np.array_equal(as_conv.grid[as_conv.kinds == INPUT], scatter.input.ravel())
    assert np.all(as_conv.grid[as_conv.kinds == INSERTED] == 0)
    for step in as_conv.steps:
        assert np.sum(taps(as_conv.grid, step) * as_conv.kernel) == pytest.approx(step.value)


def test_explicit_values_are_drawn_as_given():
    x = np.arange(16.).reshape(4, 4)
    story, = viz.stories_for("conv", input=x, kernel=np.ones((3, 3)))
    assert story.output.tolist() == [[45., 54.], [81., 90.]]      # the README's numbers


@pytest.mark.parametrize("op, config", [
    ("conv", dict(input_size=(3, 3), kernel_size=5)),
    ("conv", dict(input_size=(5, 5), kernel_size=3, padding="full")),
    ("max_pool", dict(input_size=(5, 5), kernel_size=2, padding=2)),
    ("conv_transpose", dict(input_size=(2, 2), kernel_size=3, stride=2, output_padding=2)),
    ("avg_pool", dict(input_size=(4,), kernel_size=3, stride=0)),
])
def test_a_configuration_the_op_refuses_gives_the_ops_error(op, config):
    size, kernel_size = config.pop("input_size"), config.pop("kernel_size")
    x = np.zeros((1, 1) + size)
    with pytest.raises(ValueError) as from_op:
        if op == "conv":
            npconv.conv(x, np.zeros((1, 1) + (kernel_size,) * len(size)), **config)
        elif op == "conv_transpose":
            npconv.conv_transpose(x, np.zeros((1, 1) + (kernel_size,) * len(size)), **config)
        else:
            getattr(npconv, op)(x, kernel_size, **config)
    with pytest.raises(ValueError) as from_picture:
        viz.stories_for(op, size, kernel_size, **config)
    assert str(from_picture.value) == str(from_op.value)


def test_3d_and_foreign_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="1-D and 2-D"):
        viz.stories_for("conv", (3, 3, 3))
    with pytest.raises(ValueError, match="avg_pool takes no dilation"):
        viz.stories_for("avg_pool", (5, 5), 2, dilation=2)
    with pytest.raises(ValueError, match="conv takes no ceil_mode"):
        viz.stories_for("conv", (5, 5), 2, ceil_mode=True)


# --------------------------------------------------------------------------------------------
# The files
# --------------------------------------------------------------------------------------------

def test_gif_has_one_frame_per_output_cell(tmp_path):
    path = tmp_path / "conv.gif"
    written = viz.animate("conv", (5, 5), path, 3, stride=2, padding=1, dilation=2)
    with Image.open(path) as image:
        assert image.format == "GIF"
        assert image.n_frames == written == 4           # output 2x2
        size = image.size
        for number in range(image.n_frames):
            image.seek(number)
            assert image.size == size
    assert path.stat().st_size < 200_000


def test_transposed_gif_draws_both_ways_for_the_longer_story(tmp_path):
    path = tmp_path / "up.gif"
    written = viz.animate("conv_transpose", (2,), path, 3, stride=2)
    with Image.open(path) as image:
        assert image.n_frames == written == 5           # output 5 cells > input 2 cells
        _, height = image.size
    single = tmp_path / "scatter.png"
    viz.animate("conv_transpose", (2,), single, 3, stride=2, view="scatter")
    with Image.open(single) as image:
        assert image.size[1] < height                   # one row of grids instead of two


def test_a_large_gif_is_spread_over_max_frames_and_ends_complete(tmp_path):
    path = tmp_path / "large.gif"
    written = viz.animate("conv", (12, 12), path, 3, max_frames=5, numbers=False)
    with Image.open(path) as image:
        assert image.n_frames == written == 5
    story, = viz.stories_for("conv", (12, 12), 3)
    shown = spread_frames(len(story.steps), 5)
    assert shown[0] == 0 and shown[-1] == len(story.steps) - 1       # the full output last
    assert np.array_equal(story.output_after(shown[-1]), story.output)


def test_png_still_and_sheet(tmp_path):
    still, sheet = tmp_path / "still.png", tmp_path / "sheet.png"
    assert viz.animate("max_pool", (4, 4), still, 2, frame=0) == 1
    assert viz.animate("max_pool", (4, 4), sheet, 2, grid=True) == 4
    animation = tmp_path / "animation.gif"
    viz.animate("max_pool", (4, 4), animation, 2)
    with Image.open(still) as one, Image.open(sheet) as many, Image.open(animation) as gif:
        assert one.format == many.format == "PNG"
        assert many.size == (2 * one.size[0], 2 * one.size[1])   # 4 frames, 2 by 2
        assert gif.size == one.size                              # a still is one GIF frame


def test_bad_file_name_and_frame_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.gif .* or \.png"):
        viz.animate("conv", (4, 4), tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="frame=7 is out of range"):
        viz.animate("conv", (4, 4), tmp_path / "x.png", frame=7)


def test_the_core_never_imports_matplotlib():
    code = ("import sys, npconv, npconv.viz, npconv.cli; "
            "npconv.viz.stories_for('conv', (4, 4)); "
            "print('matplotlib' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("config", TRANSPOSED_CONFIGS)
def test_zero_inserted_grid_is_the_recipe_built_at_its_final_size(config):
    """The grid is built directly at its final size; it must equal the cheat sheet's recipe,
    done here step by step with :mod:`tests.oracles` (not npconv's padding module): insert
    stride - 1 zeros, then pad each end by dilation * (kernel - 1) - padding (plus
    output_padding at the end), cropping if negative."""
    _, story = viz.stories_for("conv_transpose", **config)
    x, w = values_of(config)
    ndim = x.ndim
    stride, output_padding, dilation = (oracles.per_dimension(config.get(name, default), ndim)
                                        for name, default in (("stride", 1),
                                                              ("output_padding", 0),
                                                              ("dilation", 1)))
    pairs = oracles.padding_pairs(config.get("padding", 0), ndim)
    expected = oracles.zero_inserted_input(x, w.shape, stride, pairs, output_padding, dilation)
    assert np.array_equal(story.grid.reshape(expected.shape), expected)


def test_a_huge_picture_is_refused_before_anything_is_built():
    with finishes_quickly(peak_bytes=2 ** 20):                 # not one large array made
        with pytest.raises(ValueError, match="input_size=100000x100000: more than the 32"):
            viz.stories_for("conv", (100_000, 100_000))
        with pytest.raises(ValueError, match="the padded input would be 2000000005 cells"):
            viz.stories_for("conv", (5,), padding=10 ** 9)
        with pytest.raises(ValueError, match="the uncropped output would be 2000000003"):
            viz.stories_for("conv_transpose", (3,), stride=10 ** 9)
