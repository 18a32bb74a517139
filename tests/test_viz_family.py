"""The pooling family's pictures and text frames: max pooling then max unpooling, and
adaptive pooling.

Every number a story shows is checked against the op it draws (called here on the same
values) and, window by window, against the rules of :mod:`tests.oracles`: a max pooling's
window ``i * stride - before ... + kernel_size - 1`` and its first maximum, adaptive
pooling's ``floor(i * in / out) ... ceil((i + 1) * in / out)`` and the mean or the max of
those cells.  Image files are checked for their frame count, never pixel by pixel.
"""

import itertools
import math

import numpy as np
import pytest
from PIL import Image

import npconv
from npconv import viz
from npconv.cli import main
from npconv.tools.show import frames, render
from npconv.viz.stories import unpool_arithmetic
from tests import oracles
from tests.oracles import per_dimension

UNPOOL_CONFIGS = [
    dict(input_size=(4, 4), kernel_size=2),
    dict(input_size=(5, 5), kernel_size=3, stride=2, padding=1),
    dict(input_size=(5, 6), kernel_size=(2, 3), stride=(2, 3), padding=((1, 0), (0, 1))),
    dict(input_size=(7,), kernel_size=3, stride=2),
]
ADAPTIVE_CONFIGS = [
    dict(input_size=(5,), output_size=3),
    dict(input_size=(5, 7), output_size=(3, 4)),
    dict(input_size=(2, 6), output_size=(5, 4)),        # more cells than the input: repeats
    dict(input_size=(6,), output_size=2),               # 6 / 2: ordinary windows
]


def lifted(index, ndim):
    """A 1-D position as the picture draws it: row 0 of a grid one row high."""
    return (0,) * (2 - ndim) + tuple(index)


def max_pool_windows(config):
    """Each max-pooling window's input cells, row-major, by PyTorch's rule: window i starts
    at i * stride - before and holds kernel_size positions, of which those inside the input
    count (:func:`tests.oracles.pool_window_cells`); the windows, in row-major order of the
    pooled output."""
    size = config["input_size"]
    ndim = len(size)
    kernel = per_dimension(config["kernel_size"], ndim)
    stride = per_dimension(config.get("stride", kernel), ndim)
    pairs = oracles.padding_pairs(config.get("padding", 0), ndim)
    dilation = (1,) * ndim
    counts = [oracles.pool_output_size(n, k, s, before, after, 1, ceil_mode=False)
              for n, k, s, (before, after) in zip(size, kernel, stride, pairs)]
    for pooled in itertools.product(*(range(c) for c in counts)):
        yield pooled, oracles.pool_window_cells(pooled, kernel, stride, pairs, dilation, size)


def adaptive_windows(n, out):
    """Adaptive pooling's windows along an axis, ``(start, end)`` each
    (:func:`tests.oracles.adaptive_window`)."""
    return [oracles.adaptive_window(i, n, out) for i in range(out)]


# --------------------------------------------------------------------------------------------
# Max pooling, then max unpooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", UNPOOL_CONFIGS)
def test_unpool_story_puts_each_winner_back_and_zeros_elsewhere(config):
    story, = viz.stories_for("max_unpool", **config)
    size = config["input_size"]
    ndim = len(size)
    x = viz.sample_values(size, 0, high=10)
    expected = np.zeros(size)
    windows = list(max_pool_windows(config))
    assert len(story.steps) == len(windows)
    for number, (pooled, cells) in enumerate(windows):
        values = [x[cell] for cell in cells]
        winner = cells[values.index(max(values))]           # PyTorch: the first maximum
        step = story.steps[number]
        assert step.index == lifted(pooled, ndim)
        assert story.pooled[step.index] == step.value == max(values)
        assert story.indices[step.index] == np.ravel_multi_index(winner, size)
        assert story.landings[number] == lifted(winner, ndim)
        assert unpool_arithmetic(story, number).endswith(
            f"-> unpooled[{', '.join(map(str, winner))}] = {max(values):g}")
        expected[winner] = max(values)                      # a later one overwrites
    assert np.array_equal(story.output.reshape(size), expected)
    assert np.array_equal(story.output_after(len(windows) - 1), story.output)
    # ... and it is the ops' own result, pooled then unpooled to the input's size
    pooled, indices = npconv.max_pool(x[None, None], config["kernel_size"], return_indices=True,
                                      **{k: config[k] for k in ("stride", "padding")
                                         if k in config})
    unpooled = npconv.max_unpool(pooled, indices, config["kernel_size"], output_size=size,
                                 **{k: config[k] for k in ("stride", "padding") if k in config})
    assert np.array_equal(story.output.reshape(size), unpooled[0, 0])


def test_unpool_fills_in_one_winner_per_step_on_zeros():
    story, = viz.stories_for("max_unpool", input_size=(4, 4), kernel_size=2)
    for number in range(len(story.steps)):
        partial = story.output_after(number)
        placed = set(story.landings[:number + 1])
        for cell in np.ndindex(*partial.shape):
            assert partial[cell] == (story.output[cell] if cell in placed else 0)


# --------------------------------------------------------------------------------------------
# Adaptive pooling
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", ADAPTIVE_CONFIGS)
@pytest.mark.parametrize("mode", ["avg", "max"])
def test_adaptive_story_windows_are_the_formulas_and_values_the_ops(config, mode):
    story, = viz.stories_for(f"adaptive_{mode}_pool", **config)
    size = config["input_size"]
    ndim = len(size)
    out = per_dimension(config["output_size"], ndim)
    x = viz.sample_values(size, 0, high=10 if mode == "max" else 4)
    grid = x.reshape((1,) * (2 - ndim) + size)
    per_axis = [adaptive_windows(n, o) for n, o in zip(size, out)]
    held = np.zeros(size, dtype=int)
    for step, bounds in zip(story.steps, itertools.product(*per_axis)):
        ranges = [range(start, end) for start, end in bounds]
        cells = list(itertools.product(*ranges))
        for cell in cells:
            held[cell] += 1
        drawn = [(0,)] * (2 - ndim) + [tuple(r) for r in ranges]
        assert [step.rows, step.cols] == drawn
        values = [x[cell] for cell in cells]
        if mode == "avg":
            assert step.divisor == len(cells)
            assert step.value == pytest.approx(sum(values) / len(cells))
        else:
            winner = cells[values.index(max(values))]       # the first maximum
            assert step.value == max(values) == grid[step.winner]
            assert step.winner == lifted(winner, ndim)
    assert len(story.steps) == math.prod(out)
    assert np.array_equal(story.in_windows.reshape(size), held)
    op = npconv.adaptive_avg_pool if mode == "avg" else npconv.adaptive_max_pool
    assert np.allclose(story.output.ravel(), op(x[None, None], config["output_size"]).ravel())


def test_the_five_to_three_strip_shares_cells_one_and_three():
    story, = viz.stories_for("adaptive_avg_pool", input=(1., 5., 2., 7., 3.), output_size=3)
    # floor(i*5/3) .. ceil((i+1)*5/3): [0, 2) [1, 4) [3, 5)
    assert [step.cols for step in story.steps] == [(0, 1), (1, 2, 3), (3, 4)]
    assert story.in_windows.tolist() == [[1, 2, 1, 2, 1]]
    assert np.allclose(story.output, [[(1 + 5) / 2, (5 + 2 + 7) / 3, (7 + 3) / 2]])


# --------------------------------------------------------------------------------------------
# Refusals: the ops' own, and the picture's sizes, before anything is built
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op, config, message", [
    ("adaptive_avg_pool", dict(input_size=5), "adaptive_avg_pool needs output_size="),
    ("adaptive_avg_pool", dict(input_size=5, output_size=3, kernel_size=2),
     "adaptive_avg_pool takes no kernel_size"),
    ("adaptive_max_pool", dict(input_size=5, output_size=3, padding=1),
     "adaptive_max_pool takes no padding"),
    ("adaptive_avg_pool", dict(input_size=5, output_size=0), "at least one output cell"),
    ("adaptive_avg_pool", dict(input_size=5, output_size=-1), "must not be negative"),
    ("adaptive_avg_pool", dict(input_size=5, output_size=10 ** 12),
     "the output would be 1000000000000 cells, more than the 32 per side"),
    ("max_unpool", dict(input_size=(4, 4), kernel_size=2, dilation=2),
     "max_unpool takes no dilation"),
    ("max_unpool", dict(input_size=(4, 4), kernel_size=2, output_size=4),
     "max_unpool takes no output_size"),
    ("max_unpool", dict(input_size=(4, 4), kernel_size=2, padding=2),
     "must be at most half the kernel size"),
    ("max_pool", dict(input_size=(4, 4), kernel_size=2, output_size=2),
     "max_pool takes no output_size"),
])
def test_refusals_name_the_argument(op, config, message):
    with pytest.raises(ValueError) as error:
        viz.stories_for(op, **config)
    assert message in str(error.value)


# --------------------------------------------------------------------------------------------
# The drawing and the text frames
# --------------------------------------------------------------------------------------------

def test_the_family_is_drawn_one_frame_per_window(tmp_path):
    path = tmp_path / "unpool.gif"
    assert viz.animate("max_unpool", (4, 4), path, 2) == 4            # (4 / 2) ** 2 windows
    assert Image.open(path).n_frames == 4
    path = tmp_path / "adaptive.gif"
    assert viz.animate("adaptive_max_pool", (3, 5), path, output_size=(2, 3)) == 6
    assert Image.open(path).n_frames == 6
    path = tmp_path / "still.png"
    assert viz.animate("adaptive_avg_pool", 5, path, output_size=3) == 1
    assert Image.open(path).size[0] > 100


def test_text_frames_of_max_unpool_follow_the_story():
    movie = frames("max_unpool", (4, 4), kernel_size=2)
    story, = viz.stories_for("max_unpool", input=np.arange(1., 17.).reshape(4, 4),
                             kernel_size=2)
    assert [frame.out_index for frame in movie] == story.landings
    assert np.array_equal(movie[-1].output, story.output)
    # input 1..16 row by row: window (0, 1) holds 3, 4, 7, 8; 8 is at row 1, column 3
    assert movie[1].caption == "pooled[0, 1] = max(3, 4, 7, 8) = 8 at index 7 -> unpooled[1, 3] = 8"
    assert "[ 8]" in render(movie[1]).splitlines()[2]


def test_text_frames_of_adaptive_pooling_recompute_from_their_window():
    for frame in frames("adaptive_avg_pool", (7,), output_size=3):
        window = frame.grid[frame.window]
        assert frame.output[(0, *frame.out_index)] == pytest.approx(window.mean())
    for frame in frames("adaptive_max_pool", (4, 5), output_size=(3, 2)):
        window = frame.grid[frame.window]
        assert frame.output[frame.out_index] == window.max()


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_show_and_animate_take_the_family(capsys, tmp_path):
    status, out, err = run(capsys, "show", "adaptive_avg_pool", "--input", "5",
                           "--output-size", "3", "--frame", "2")
    # input 1..5, window [1, 4): (2 + 3 + 4) / 3
    assert status == 0 and err == "" and "out[1] = (2 + 3 + 4) / 3 = 3" in out
    status, out, err = run(capsys, "show", "max_unpool", "--input", "1x1x4x4", "--kernel", "2",
                           "--frame", "4")
    # window (1, 1) holds 11, 12, 15, 16: 16 goes back to row 3, column 3
    assert status == 0 and "pooled[1, 1] = max(11, 12, 15, 16) = 16 at index 15" in out
    status, out, err = run(capsys, "animate", "max_unpool", "--input", "4x4", "--kernel", "2",
                           "-o", str(tmp_path / "u.gif"))
    assert status == 0 and "(4 frames)" in out
    status, out, err = run(capsys, "animate", "adaptive_max_pool", "--input", "5",
                           "--output-size", "3", "-o", str(tmp_path / "a.png"))
    assert status == 0 and "(1 frame)" in out


@pytest.mark.parametrize("argv, message", [
    (["show", "adaptive_avg_pool", "--input", "5"],
     "adaptive_avg_pool needs --output-size ..."),
    (["show", "adaptive_avg_pool", "--input", "5", "--output-size", "3", "--kernel", "2"],
     "adaptive_avg_pool takes no kernel_size (got --kernel 2)"),
    (["show", "max_pool", "--output-size", "3"], "max_pool takes no output_size"),
    (["show", "max_unpool", "--dilation", "2"], "max_unpool takes no dilation (got --dilation"),
    (["show", "adaptive_avg_pool", "--input", "5", "--output-size", "30"],
     "the output would be 30 cells, more than the 24 per side"),
    (["show", "adaptive_avg_pool", "--input", "5", "--output-size", "x"],
     "argument --output-size: value '' is not an integer"),
    (["animate", "adaptive_avg_pool", "--input", "5", "--output-size", "0", "-o", "{tmp}/a.gif"],
     "gives an empty output; a picture needs at least one output cell"),
])
def test_family_pictures_refuse_in_one_line(argv, message, capsys, tmp_path):
    argv = [word.replace("{tmp}", str(tmp_path)) for word in argv]
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err, err
    assert not list(tmp_path.iterdir())
