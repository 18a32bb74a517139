"""``npconv animate``: files written, one clear line and status 2 for anything wrong."""

import pytest
from PIL import Image

from npconv.cli import main


def animate(*words):
    return main(["animate", *map(str, words)])


def test_a_strided_dilated_conv_writes_one_gif_frame_per_output_cell(tmp_path, capsys):
    path = tmp_path / "conv.gif"
    status = animate("conv", "--input", "5x5", "--kernel", 3, "--stride", 2, "--padding", 1,
                     "--dilation", 2, "-o", path)
    assert status == 0
    # One frame per output cell: the kernel spans 2*(3-1) + 1 = 5, so each side has
    # floor((5 + 2*1 - 5) / 2) + 1 = 2 cells, 2 x 2 = 4 frames.
    expected_frames = 4
    with Image.open(path) as image:
        assert (image.format, image.n_frames) == ("GIF", expected_frames)
    assert capsys.readouterr().out == f"wrote {path} ({expected_frames} frames)\n"


@pytest.mark.parametrize("words, frames", [
    (["max_pool", "--input", "5x5", "--kernel", 2, "--ceil-mode", "--grid"], 9),
    (["avg_pool", "--input", "6", "--kernel", 3, "--stride", 2, "--padding", "1",
      "--ceil-mode", "--no-count-include-pad", "--frame", -2], 1),
    (["conv", "--input", "4x5", "--kernel", "2x3", "--padding", "0:1x1:0"], 1),
    (["conv_transpose", "--input", 2, "--kernel", 3, "--stride", 2, "--view", "conv",
      "--no-numbers"], 1),
])
def test_stills(tmp_path, capsys, words, frames):
    path = tmp_path / "still.png"
    assert animate(*words, "-o", path) == 0
    with Image.open(path) as image:
        assert image.format == "PNG"
    plural = "s" if frames != 1 else ""
    assert capsys.readouterr().out.endswith(f"({frames} frame{plural})\n")


@pytest.mark.parametrize("words, message", [
    (["conv", "--input", "3x3", "--kernel", 5],
     "output size along spatial dimension 0 would be -1"),
    (["conv", "--input", "3xa"], "argument --input: size 'a' is not an integer"),
    (["spin", "--input", "3"], "argument op: invalid choice: 'spin'"),
    (["avg_pool", "--input", "5", "--kernel", 2, "--dilation", 2],
     "avg_pool takes no dilation"),
    (["conv", "--input", "4x4x4"], "pictures draw one 1-D or 2-D image of one channel"),
    (["max_pool", "--input", "4x4", "--kernel", 2, "--frame", 9],
     "--frame and --grid choose a still"),
    (["conv", "--input", "4x4", "--frame", 9, "-o-png"], "--frame 9 is out of range"),
    (["conv_transpose", "--input", "3", "--stride", 2, "--output-padding", 2],
     "--output-padding 2 in spatial dimension 0 must be smaller than stride (2)"),
])
def test_bad_arguments_give_one_line_and_status_2(tmp_path, capsys, words, message):
    words = [tmp_path / "x.png" if word == "-o-png" else word for word in words]
    if "-o" not in words and tmp_path / "x.png" not in words:
        words += ["-o", tmp_path / "x.gif"]
    elif tmp_path / "x.png" in words:
        words.insert(words.index(tmp_path / "x.png"), "-o")
    assert animate(*words) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("npconv animate: error: ")
    assert message in lines[0]
    assert not (tmp_path / "x.gif").exists() and not (tmp_path / "x.png").exists()
