"""``npconv show`` through its entry point, and its frames against sums done here."""

import numpy as np
import pytest

from npconv.tools import show
from npconv.cli import main
from npconv.cli.show import use_color


def test_one_frame_of_a_strided_padded_conv(capsys):
    assert main(["show", "conv", "--size", "5x5", "--kernel", "3", "--stride", "2",
                 "--padding", "1", "--frame", "2"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out                       # captured output is not a terminal
    # floor((5 + 2 - 3) / 2) + 1 = 3 -> 9 frames; frame 2 is out[0, 1], whose window
    # covers padded columns 2..4 = input columns 1..3, rows -1..1
    assert "frame 2 of 9" in out
    lines = out.splitlines()
    assert lines[0].startswith("input 5x5 padded to 7x7")
    assert lines[1].startswith("  0   0 [ 0][ 0][ 0]  0   0")       # the padding row
    assert lines[2].startswith("  0   1 [ 2][ 3][ 4]  5   0")
    # checkerboard kernel [[1,0,1],[0,1,0],[1,0,1]] on rows -1..1, columns 1..3 of 1..25;
    # taps with weight 1: (-1,1) (-1,3) (0,2) (1,1) (1,3) -> 0 + 0 + 3 + 7 + 9 = 19
    assert "out[0, 1] = " in out and out.split("out[0, 1] = ")[1].split("\n")[0].endswith("= 19")


def test_all_frames_by_default(capsys):
    assert main(["show", "max_pool", "--size", "4x4", "--kernel", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("frame ") == 4
    # max of each 2x2 block of 1..16, by hand
    for cell, value in [("out[0, 0]", 6), ("out[0, 1]", 8), ("out[1, 0]", 14),
                        ("out[1, 1]", 16)]:
        assert f"{cell} = max(" in out
        assert out.split(f"{cell} = max(")[1].split("\n")[0].endswith(f"= {value}")


def test_dilation(capsys):
    assert main(["show", "conv", "--size", "7x7", "--kernel", "3", "--dilation", "2",
                 "--frame", "1"]) == 0
    out = capsys.readouterr().out
    # 7 - (2*(3-1) + 1) + 1 = 3 per side; window taps at rows/cols 0, 2, 4
    assert "frame 1 of 9" in out
    assert "[ 1]  2 [ 3]  4 [ 5]" in out
    # checkerboard weights 1 at (0,0) (0,4) (2,2) (4,0) (4,4) of the 5x5 field:
    # 1 + 5 + 17 + 29 + 33 = 85
    assert out.split("out[0, 0] = ")[1].split("\n")[0].endswith("= 85")


def test_transposed_conv_is_drawn_as_zero_insertion(capsys):
    assert main(["show", "conv_transpose", "--size", "3", "--kernel", "3", "--stride", "2",
                 "--frame", "1"]) == 0
    out = capsys.readouterr().out
    # (3-1)*2 + 3 = 7 outputs; zeros inserted: 1 0 2 0 3, border of 2 each side -> 9
    assert "frame 1 of 7" in out
    assert out.splitlines()[0].startswith("input 3, zeros inserted, border added: 9")
    assert "flipped kernel [3 2 1]" in out             # the kernel 1 2 3, flipped


def test_avg_pool_divisor_without_padding(capsys):
    assert main(["show", "avg_pool", "--size", "5", "--kernel", "3", "--stride", "2",
                 "--padding", "1", "--no-count-include-pad", "--frame", "1"]) == 0
    out = capsys.readouterr().out
    assert "out[0] = (1 + 2) / 2 = 1.5" in out        # the window -1..1 holds cells 1, 2


def test_frames_agree_with_their_captions():
    # every conv caption's terms, summed here, give the value in the output grid
    for frame in show.frames("conv", (5, 6), kernel_size=(2, 3), stride=(2, 1), padding=1,
                             dilation=(1, 2)):
        terms = frame.caption.split(" = ")[1].split(" + ")
        total = sum(float(a) * float(b) for a, b in (term.split("*") for term in terms))
        assert total == frame.output[frame.out_index]
        assert frame.window.sum() == 6


def test_frames_of_a_transposed_conv_equal_the_scatter_definition():
    movie = show.frames("conv_transpose", (2, 2), kernel_size=2, stride=2)
    result = movie[-1].output
    x = np.array([[1., 2.], [3., 4.]])
    w = np.array([[1., 2.], [3., 4.]])
    expected = np.zeros((4, 4))
    for i in range(2):
        for j in range(2):
            expected[2 * i:2 * i + 2, 2 * j:2 * j + 2] += x[i, j] * w
    np.testing.assert_array_equal(result, expected)


def test_no_color_when_not_a_terminal_or_no_color_set():
    class Terminal:
        def isatty(self):
            return True

    assert use_color(Terminal(), {}) is True
    assert use_color(Terminal(), {"NO_COLOR": "1"}) is False
    assert use_color(object(), {}) is False


def test_color_render_highlights_instead_of_brackets():
    frame = show.frames("conv", (3, 3), kernel_size=2)[0]
    text = show.render(frame, color=True)
    assert "\x1b[" in text and "[1]" not in text


def test_forced_terminal_uses_color(capsys, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr("npconv.cli.show.use_color", lambda: True)
    assert main(["show", "conv", "--size", "3x3", "--kernel", "2", "--frame", "1"]) == 0
    assert "\x1b[" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["show", "conv", "--size", "3x3", "--kernel", "2", "--frame", "9"], "has 4 frames"),
    (["show", "max_pool", "--size", "3x3", "--padding", "same"],
     "--padding 'same': max_pool takes no padding strings"),
    (["show", "conv", "--size", "3x3", "--ceil-mode"], "conv takes no ceil_mode"),
    (["show", "avg_pool", "--size", "6", "--kernel", "2", "--dilation", "2"], "no dilation"),
])
def test_bad_arguments(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err
