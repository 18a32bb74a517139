"""Malformed command lines, typed as a hostile user would, through the entry point.

Each must end in exactly one line on stderr, ``npconv <subcommand>: error: ...``, that
names the flag or the spec token at fault, with exit status 2, and never a traceback.
Each runs under the liveness guard of :mod:`tests.guards` (a call still running after ten
seconds is a hang: these are questions about a few cells) and a memory ceiling
(tracemalloc's peak), the only limits on time or memory here.  The expected words are the
flag or token and what is wrong with it, written here from the command line, not copied
from the code's output.

``{tmp}`` in a command line stands for a folder of prepared files: ``latin1.txt`` (a spec
saved in Latin-1), ``binary.bin`` (bytes with NULs), ``huge.txt`` (more than the 4,000,000
bytes a spec may take), ``net.txt`` (a valid spec), ``folder.gif/`` (a folder whose name
ends in .gif) and ``file.txt`` (a file, used as if it were a folder).
"""

import contextlib
import io

import pytest
from hypothesis import given, strategies as st

from npconv.cli import main
from tests.guards import liveness_guard, run_bounded

PEAK_BYTES = 256 * 2 ** 20
"""Memory ceiling of one command line: far below the gigabytes a runaway size would take."""

HUGE = "9" * 5000                         # longer than Python parses into an int by default
SUBCOMMANDS = ("tour", "shape", "summary", "show", "gradcheck", "animate", "bench")


@pytest.fixture
def files(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("input(1x3x8x8) conv(4,k=3) # café\n".encode("latin-1"))
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "huge.txt").write_bytes(b"relu " * 800_001)
    (tmp_path / "net.txt").write_text("input(1x3x8x8) conv(4,k=3)\n", encoding="utf-8")
    (tmp_path / "folder.gif").mkdir()
    (tmp_path / "file.txt").write_text("relu", encoding="utf-8")
    return tmp_path


def run(argv, capsys, memory=True):
    """Run ``argv`` through the entry point under the guards: status, stdout, stderr.

    ``memory=False`` leaves out the memory ceiling, whose tracing slows Python's own
    allocations several times over (for the long specs, which are about time).
    """
    if memory:
        status, peak = run_bounded(lambda: main(argv))
        assert peak < PEAK_BYTES, f"{peak / 2 ** 20:.0f} MiB for {argv}"
    else:
        with liveness_guard():
            status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_clear_line(argv, status, out, err, expected, expected_status=2):
    assert status == expected_status, (argv, status, err)
    assert "Traceback" not in out + err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    prefix = f"npconv {command}: error: " if command else "npconv: error: "
    if command and "unrecognized arguments" in err:
        prefix = "npconv: error: "                 # argparse reports these at the top
    assert lines[0].startswith(prefix), lines[0]
    for words in expected if isinstance(expected, tuple) else (expected,):
        assert words in lines[0], (words, lines[0])


# argv (split on spaces unless given as a list), and the words the error line must hold:
# the flag or token, and what is wrong.  Every one exits with status 2.
MALFORMED = [
    # ---- the entry point itself
    ("nonsense", "argument <subcommand>: invalid choice: 'nonsense'"),
    ("--version", "unrecognized arguments: --version"),
    ("bench --no-such-flag", "unrecognized arguments: --no-such-flag"),
    # ---- animate: where the picture goes
    ("animate conv --input 5x5 -o /nonexistent/dir/x.gif",
     "-o /nonexistent/dir/x.gif: the folder /nonexistent/dir does not exist"),
    ("animate conv --input 5x5 -o {tmp}/folder.gif", ("-o {tmp}/folder.gif: is a folder")),
    ("animate conv --input 5x5 -o {tmp}/file.txt/x.gif",
     "-o {tmp}/file.txt/x.gif: the folder {tmp}/file.txt is not a folder"),
    ("animate conv --input 5x5 -o /proc/npconv-cannot-be-here.gif",
     "-o /proc/npconv-cannot-be-here.gif: cannot be written"),
    ("animate conv --input 5x5 -o {tmp}", "must end in .gif (animation) or .png (still)"),
    (["animate", "conv", "--input", "5x5", "-o", ""], "-o '' must end in .gif"),
    ("animate conv --input 5x5 -o {tmp}/x.jpg", "-o '{tmp}/x.jpg' must end in .gif"),
    ("animate conv --input 5x5 --grid -o {tmp}/x.gif", "--frame and --grid choose a still"),
    # ---- animate and show: sizes checked before anything is built
    ("animate conv --input 100000x100000 -o {tmp}/x.gif",
     "--input 100000x100000: more than the 32 cells per side a picture draws"),
    ("animate conv --input 5 --kernel 100000 -o {tmp}/x.gif",
     "--kernel 100000: more than the 32 cells per side"),
    ("animate conv --input 5 --padding 1000000000 -o {tmp}/x.gif",
     "the padded input would be 2000000005 cells, more than the 32 per side"),
    ("animate conv_transpose --input 3 --stride 1000000000 -o {tmp}/x.gif",
     "the uncropped output would be 2000000003 cells, more than the 32 per side"),
    ("show conv --input 100000x100000", "--input 100000x100000: more than the 24 cells"),
    ("show conv --size 40x40", "--size 40x40: more than the 24 cells per side"),
    ("show conv --input 1x1x100000x100000", "--input 100000x100000: more than the 24 cells"),
    ("show conv --kernel 1000000000 --padding 1000000000", "--kernel 1000000000x1000000000"),
    ("show max_pool --kernel 1000000000 --padding 500000000", "--kernel 1000000000x1000000000"),
    ("show conv --input 5 --padding 1000000000",
     "the padded input would be 2000000005 cells, more than the 24 per side"),
    ("show conv_transpose --input 2 --kernel 1 --stride 1000000000",
     "the zero-inserted, padded input would be 1000000001 cells"),
    ("show conv --padding 9223372036854775807", "the padded input would be"),
    # ---- animate and show: what an option holds
    ("animate conv --input 5 --fps 0 -o {tmp}/x.gif", "argument --fps: '0' must be an integer"),
    ("animate conv --input 5 --max-frames 100000 -o {tmp}/x.gif",
     "argument --max-frames: 100000 is more than the 300 frames"),
    ("animate conv --input 5 --seed -1 -o {tmp}/x.gif", "argument --seed: '-1' must be"),
    ("animate conv --input 5 --frame -100 -o {tmp}/x.png", "--frame -100 is out of range"),
    ("animate conv --input 5 --view scatter -o {tmp}/x.png", "conv takes no view"),
    ("animate conv --input 4x4x4 -o {tmp}/x.gif",
     "argument --input: '4x4x4': pictures draw one 1-D or 2-D image of one channel"),
    ("animate spin --input 3 -o {tmp}/x.gif", "argument op: invalid choice: 'spin'"),
    ("show conv --kernel 0", "--kernel 0 must be one positive int"),
    ("show conv --kernel 3x3x3", "--kernel (3, 3, 3) must have 2 entries"),
    ("show conv --input 5 --kernel 2x2", "--kernel (2, 2) must have 1 entry"),
    ("show conv --stride 0", "--stride 0 must be >= 1"),
    ("show conv --dilation -1", "--dilation -1 must be >= 1"),
    ("show conv --padding -1", "--padding -1 must not be negative"),
    ("show conv --padding 1:2:3", "argument --padding: padding '1:2:3' is not a before:after"),
    ("show conv --padding foo", "argument --padding: value 'foo' is not an integer"),
    ("show conv --padding 1x2x3", "--padding (1, 2, 3) must be an int or have 2 entries"),
    ("show conv --output-padding 1", ("conv takes no output_padding", "--output-padding 1")),
    ("show conv --ceil-mode", "conv takes no ceil_mode"),
    ("show avg_pool --dilation 2", ("avg_pool takes no dilation", "--dilation 2")),
    ("show max_pool --padding same", "--padding 'same': max_pool takes no padding strings"),
    ("show conv_transpose --padding same", "--padding 'same': conv_transpose takes no padding"),
    ("show max_pool --kernel 2 --padding 2", "--padding (2, 2) in spatial dimension 0 must"),
    ("show conv_transpose --output-padding 5 --stride 2",
     "--output-padding 5 in spatial dimension 0 must be smaller than stride (2)"),
    ("show conv --input 2x2 --kernel 3", "output size along spatial dimension 0 would be 0"),
    ("show conv --dilation 9223372036854775807", "output size along spatial dimension 0"),
    ("show conv --frame 0", "argument --frame: '0' must be an integer >= 1"),
    ("show conv --frame 99", "--frame 99: this configuration has 9 frames"),
    ("show conv --frame " + HUGE, "argument --frame: value '99999999"),
    ("show conv --delay nan", "argument --delay: 'nan' must be from 0 to 10 seconds"),
    ("show conv --delay inf", "argument --delay: 'inf' must be from 0 to 10 seconds"),
    ("show conv --delay -1", "argument --delay: '-1' must be from 0 to 10 seconds"),
    ("show conv --delay soon", "argument --delay: 'soon' is not a number"),
    ("show conv --input 1x2x5x5", "'1x2x5x5': pictures draw one 1-D or 2-D image of one"),
    ("show conv --input 0x5", "argument --input/--size: shape '0x5' must hold sizes >= 1"),
    (["show", "conv", "--input", ""], "argument --input/--size: size '' is not an integer"),
    ("show conv --input ５x５", "argument --input/--size: size '５' is not an integer"),
    ("show conv --input 5x" + HUGE, ("argument --input/--size: size '9999", "is too large")),
    ("show conv --stride 9223372036854775808", "argument --stride: value '9223372036854775808' "
                                                "is too large: at most 2**63 - 1"),
    # ---- shape
    ("shape conv2d --input 1x3x32x32 --out-channels -5 --kernel 3",
     "argument --out-channels: '-5' must be an integer >= 1"),
    ("shape conv2d --input 1x3x32x32 --out-channels 0 --kernel 3",
     "argument --out-channels: '0' must be an integer >= 1"),
    ("shape conv2d --input 1x3x32x32 --kernel 3", "conv needs --out-channels"),
    ("shape conv2d --input 1x3x32x32 --out-channels 4 --kernel 3 --target 5",
     "--target is not an option of conv"),
    ("shape max_pool2d --input 1x3x8x8 --kernel 2 --out-channels 3",
     "--out-channels is not an option of max_pool"),
    ("shape avg_pool2d --input 1x3x8x8 --kernel 2 --dilation 2",
     "--dilation is not an option of avg_pool"),
    ("shape conv_transpose2d --input 1x3x8x8 --out-channels 2 --kernel 2 --padding same",
     "--padding same is only for conv"),
    ("shape conv --input 1x3 --kernel 3 --out-channels 1",
     "--input 1x3 needs (N, C, *spatial): at least 3 sizes"),
    ("shape conv3d --input 1x3x32x32 --out-channels 4 --kernel 3",
     "conv3d needs an input of 5 sizes (N, C and 3 spatial), got --input 1x3x32x32"),
    ("shape conv9d --input 1x3x32x32 --out-channels 4 --kernel 3", "op 'conv9d' is not one of"),
    ("shape conv2d --input 1x3x32x32 --out-channels 4 --kernel 3 --stride 0",
     "--stride 0 must be >= 1"),
    ("shape conv2d --input 1x3x32x32 --out-channels 4 --kernel 3 --padding 1x2x3",
     "--padding (1, 2, 3) must be an int or have 2 entries"),
    ("shape conv2d --input 1x3x4x4 --out-channels 1 --kernel 9",
     ("H: output size -4 < 1", "; W: output size -4 < 1")),
    ("shape conv2d --input 1x3x8x8 --out-channels 4 --kernel 3 --groups 2",
     "groups=2 must divide the input channels C_in=3"),
    ("shape max_pool2d --input 1x0x4x4 --kernel 2",
     "argument --input: shape '1x0x4x4' must hold sizes >= 1"),
    ("shape max_pool2d --input 1x1x4x4 --kernel three", "argument --kernel: value 'three'"),
    ("shape max_pool2d --input 1x1x4x4 --kernel " + HUGE, "argument --kernel: value '9999"),
    # ---- summary: the spec and the file
    ("summary", "give either a spec (or network name) or --file"),
    ("summary relu --file {tmp}/net.txt", "give either a spec (or network name) or --file"),
    ("summary resnet18", ("unknown layer 'resnet18'", "shipped networks: vgg16")),
    ("summary --file /nonexistent/net.txt",
     "--file /nonexistent/net.txt: No such file or directory"),
    ("summary --file {tmp}", "--file {tmp}: Is a directory"),
    ("summary --file {tmp}/latin1.txt",
     ("--file {tmp}/latin1.txt: not UTF-8 text: byte 0xe9 on line 1", "save the spec as UTF-8")),
    ("summary --file {tmp}/binary.bin", "--file {tmp}/binary.bin: not a text file"),
    ("summary --file {tmp}/huge.txt",
     "--file {tmp}/huge.txt: larger than 4,000,000 bytes; a spec has at most 1,000,000"),
    ("summary --file /dev/zero", "--file /dev/zero: larger than 4,000,000 bytes"),
    (["summary", "relu " * 200_001], "the spec has 1,000,005 characters; at most 1,000,000"),
    (["summary", "input(1x3x32x32) conv(-5,k=3)"],
     "'conv(-5,k=3)': the number of output channels must be a positive integer, got -5"),
    (["summary", "input(1x3x32x32) conv(same,k=3)"],
     "'conv(same,k=3)': the number of output channels must be a positive integer"),
    (["summary", "input(1x3x32x32) flatten linear(-5)"],
     "'linear(-5)': the number of output features must be a positive integer, got -5"),
    (["summary", "input(1x3x32x32) adaptiveavgpool(0)"],
     "'adaptiveavgpool(0)': the output size must be one integer >= 1"),
    (["summary", "input(1x3x32x32) adaptiveavgpool(2x2x2)"],
     "'adaptiveavgpool(2x2x2)': the output size must be one integer >= 1 or 2 of them"),
    (["summary", "input(1x3) relu conv(4,k=1)"], "'conv(4,k=1)' (layer 2) needs (N, C"),
    (["summary", "input(same) relu"], "'input(same)': the input shape must be 2 to 32 sizes"),
    (["summary", "input() relu"], "'input()': the input shape must be 2 to 32 sizes"),
    (["summary", "conv(4,k=3) relu"], "no input shape"),
    (["summary", "input(1x3x8x8)"], "the spec has no layers"),
    (["summary", "input(1x3x8x8) input(1x3x8x8) relu"], "gives the input shape twice"),
    (["summary", "input(1x3x8x8) conv(4,k=3) pool(2)"], "unknown layer 'pool(2)' (token 3)"),
    (["summary", "input(1x3x8x8) conv(4,k=3"], "cannot read the spec at '(4,k=3' (token 3)"),
    (["summary", "input(1x3x8x8) conv(4,k=3)) relu"], "cannot read the spec at ')'"),
    (["summary", "input(1x3x8x8) conv(4,k=(3))"], "cannot read the spec at '(4,k=(3))'"),
    (["summary", "input(1x3x8x8)\0 relu"], "cannot read the spec at '\\x00'"),
    (["summary", "input(1x3x8x8) ｃｏｎｖ(4,k=3)"], "cannot read the spec at 'ｃｏｎｖ(4,k=3)'"),
    (["summary", "input(1x3x8x8) conv(4,k=0)"], "'conv(4,k=0)' (layer 1): kernel_size=0"),
    (["summary", "input(1x3x8x8) conv(4,k=3,bias=5)"], "bias=5 must be 0, 1, true or false"),
    (["summary", "input(1x3x8x8) conv(4,3,1,0,9)"], "5 positional arguments; it takes at"),
    (["summary", "input(1x3x8x8) conv(4,3,k=3)"], "k is given twice"),
    (["summary", "input(1x3x8x8) relu(3)"], "'relu(3)': 1 positional argument; it takes none"),
    (["summary", "input(1x3x8x8) conv(4,k=3,zz=1)"], "'conv(4,k=3,zz=1)': unknown option(s)"),
    (["summary", "input(1x3x8x8) maxpool(2,p=same)"], "'maxpool(2,p=same)' (layer 1): padding"),
    (["summary", "input(1x3x8x8) conv(4,k=3,p=0:1x0:1x0:1)"],
     "'conv(4,k=3,p=0:1x0:1x0:1)' (layer 1): paddin"),
    (["summary", "input(1x3x8x8) conv(4,k=9)"], "'conv(4,k=9)' on input (1, 3, 8, 8): H:"),
    (["summary", f"input(1x3x8x8) conv(4,k={HUGE})"], "is too large: at most 2**63 - 1"),
    (["summary", f"input(1x{HUGE}) relu"], "is too large: at most 2**63 - 1"),
    (["summary", "input(" + "x".join(["1"] * 33) + ") relu"], "must be 2 to 32 sizes"),
    ("summary relu --input 1", "input shape (1,) must be (N, C, *spatial)"),
    ("summary vgg16 --input 1x3x10x10", "'maxpool(2)' on input (1, 512, 1, 1): H: output"),
    # ---- tour and gradcheck
    ("tour --section", "argument --section: expected one argument"),
    ("tour --section nonsense", "argument --section: invalid choice: 'nonsense'"),
    ("gradcheck --op foo", "argument --op: invalid choice: 'foo'"),
    ("gradcheck --trials 0", "argument --trials: '0' must be an integer >= 1"),
    ("gradcheck --trials 1001", "argument --trials: 1001 is more than the 1000 trials"),
    ("gradcheck --seed 1e3", "argument --seed: value '1e3' is not an integer"),
    ("gradcheck --seed -1", "argument --seed: '-1' must be an integer >= 0"),
]


def _argv(case, tmp):
    words = case.split() if isinstance(case, str) else case
    return [word.replace("{tmp}", str(tmp)) for word in words]


@pytest.mark.parametrize("case, expected", MALFORMED,
                         ids=[(c if isinstance(c, str) else " ".join(c))[:60]
                              for c, _ in MALFORMED])
def test_a_malformed_command_line_ends_in_one_clear_line(case, expected, files, capsys):
    argv = _argv(case, files)
    expected = tuple(words.replace("{tmp}", str(files))
                     for words in (expected if isinstance(expected, tuple) else (expected,)))
    status, out, err = run(argv, capsys)
    assert_one_clear_line(argv, status, out, err, expected)
    if argv[0] == "animate":
        assert out == ""
        assert not any(path.suffix in (".gif", ".png") and path.is_file()
                       for path in files.iterdir())


# The other half of the same bullets: command lines that were refused, hung or crashed
# and now give a right answer, fast.
def test_the_pooling_stride_that_hung_draws_its_one_window(capsys):
    status, out, err = run(["show", "max_pool", "--stride", "1000000000"], capsys)
    assert status == 0 and err == ""
    # 3x3 window at the corner of 1..25, the only one: max(1, 2, 3, 6, 7, 8, 11, 12, 13)
    assert "out[0, 0] = max(1, 2, 3, 6, 7, 8, 11, 12, 13) = 13" in out
    assert "frame 1 of 1" in out


def test_a_transposed_stride_cropped_by_padding_builds_only_the_grid(capsys):
    # out = (2 - 1) * 10**9 - 2 * 499999999 + 1 = 3 cells; both input cells are cropped away
    status, out, err = run(["show", "conv_transpose", "--input", "2", "--kernel", "1",
                            "--stride", "1000000000", "--padding", "499999999"], capsys)
    assert status == 0 and err == ""
    assert "frame 3 of 3" in out and "out[2] = 0*1 = 0" in out


def test_same_padding_is_drawn(capsys):
    # 'same' for a 4-wide kernel on 6 cells: total 3, (1, 2); out[0] reads 0 1 2 3
    status, out, err = run(["show", "conv", "--input", "6", "--kernel", "4", "--padding",
                            "same", "--frame", "1"], capsys)
    assert status == 0 and err == ""
    assert out.splitlines()[0].startswith("input 6 padded to 9")
    assert "out[0] = 0*1 + 1*0 + 2*1 + 3*0 = 2" in out


def test_show_takes_the_shape_form_of_input(capsys):
    status, whole, _ = run(["show", "conv", "--input", "1x1x5x5", "--frame", "2"], capsys)
    assert status == 0
    status, spatial, _ = run(["show", "conv", "--input", "5x5", "--frame", "2"], capsys)
    assert status == 0 and whole == spatial


def test_tens_of_thousands_of_layers_on_the_command_line(capsys):
    spec = "input(1x3x8x8) " + "conv(3,k=1) relu " * 10_000
    status, out, err = run(["summary", spec], capsys, memory=False)
    assert status == 0 and err == ""
    assert f"total parameters: {10_000 * (3 * 3 + 3):,}" in out


def test_huge_sizes_in_a_summary_are_arithmetic_not_arrays(capsys):
    status, out, err = run(["summary", "input(1x3x100000000000x100000000000) flatten "
                                       "linear(10) adaptiveavgpool(1000000000)"], capsys)
    # linear keeps (1, 10); adaptive pooling then has no spatial dimension to pool
    assert status == 2 and "needs (N, C, *spatial)" in err
    status, out, err = run(["summary", "input(1x3x100000000000x100000000000) flatten "
                                       "linear(10)"], capsys)
    assert status == 0 and err == ""
    params = 3 * 10 ** 22 * 10 + 10
    assert f"total parameters: {params:,}" in out


def test_an_unexpected_input_error_inside_a_subcommand_is_one_line(monkeypatch, capsys):
    def overflowing(*args, **kwargs):
        raise OverflowError("Python int too large to convert to C ssize_t")

    monkeypatch.setattr("npconv.cli.show.frames", overflowing)
    status, out, err = run(["show", "conv"], capsys)
    assert_one_clear_line(["show"], status, out, err, "Python int too large")


def test_a_lookup_error_while_reading_a_spec_is_one_line_naming_it(monkeypatch, capsys):
    def lookup_fails(*args, **kwargs):
        return ()[1]

    monkeypatch.setattr("npconv.cli.summary.summarize", lookup_fails)
    status, out, err = run(["summary", "input(1x3x8x8) relu"], capsys)
    assert_one_clear_line(["summary"], status, out, err, "the spec: IndexError")


def test_a_bug_still_shows_its_traceback(monkeypatch):
    def buggy(*args, **kwargs):
        return {}["missing"]

    monkeypatch.setattr("npconv.cli.show.frames", buggy)
    with pytest.raises(KeyError):
        main(["show", "conv"])


# --------------------------------------------------------------------------------------------
# Fuzz: arbitrary words for every option of shape, show, summary and animate
# --------------------------------------------------------------------------------------------

HOSTILE_WORDS = ["", " ", "0", "-1", "-5", "1", "2", "3", "x", "3x", "x3", "1x1", "1x1x1",
                 "1x1x5x5", "2x3x5x5", "5x5x5x5x5", "0:1", "1:2:3", "-1:1", "0:1x1:0", "3,3",
                 "1e9", "nan", "inf", "-inf", "same", "valid", "１", "1000000000",
                 "99999999999999999999", str(2 ** 63 - 1), str(2 ** 63), HUGE[:40],
                 "conv(4,k=3)", "input(1x3x8x8) conv(-1,k=3)", "relu(", ")("]
# Free text without "/" (no absolute path is ever written) or "-" (no stray option).
WORD = st.sampled_from(HOSTILE_WORDS) | st.text(
    alphabet=st.characters(blacklist_characters="/-\0", blacklist_categories=("Cs",)),
    max_size=12)
OPTIONS = {
    "shape": ["--input", "--out-channels", "--kernel", "--stride", "--padding", "--dilation",
              "--output-padding", "--groups", "--target"],
    "show": ["--input", "--size", "--kernel", "--stride", "--padding", "--dilation",
             "--output-padding", "--frame", "--delay"],
    "animate": ["--input", "--kernel", "--stride", "--padding", "--dilation",
                "--output-padding", "--view", "--seed", "--frame", "--fps", "--max-frames"],
    "summary": ["--input", "--file"],
}
FLAGS = ["--ceil-mode", "--no-count-include-pad", "--no-bias", "--grid", "--numbers", "--list"]
OPS = ["conv", "conv2d", "conv_transpose", "max_pool", "max_pool1d", "avg_pool", "x", ""]
# animate never gets a path it can write: the fuzz is about refusing, not drawing
UNWRITABLE = ["", "x.jpg", "/nonexistent/x.gif", "/nonexistent/x.png", "x.gif/"]


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [command]
    if command == "summary":
        spec = " ".join(draw(st.lists(WORD, max_size=4)))
        argv.append(draw(st.sampled_from([spec, "vgg16", "lenet5"])))
    else:
        argv.append(draw(st.sampled_from(OPS)))
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            argv += [draw(st.sampled_from(OPTIONS[command])), draw(WORD)]
        else:
            argv.append(draw(st.sampled_from(FLAGS)))
    if command == "animate":
        argv += ["-o", draw(st.sampled_from(UNWRITABLE))]
    if command == "show":
        argv += ["--frame", "1"]                       # one frame is enough to print
    return argv


@given(command_lines())
def test_fuzzed_command_lines_answer_or_refuse_in_one_line(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status, peak = run_bounded(lambda: main(argv))
    assert peak < PEAK_BYTES, f"{peak / 2 ** 20:.0f} MiB for {argv}"
    text = err.getvalue()
    assert "Traceback" not in out.getvalue() + text
    if status == 0:
        assert text == ""
    else:
        assert status == 2, (argv, status, text)
        assert len(text.splitlines()) == 1 and text.startswith("npconv"), (argv, text)


# --------------------------------------------------------------------------------------------
# The rest of the pooling family in the calculator: max_unpool, adaptive pooling, lp_pool
# --------------------------------------------------------------------------------------------

MALFORMED_FAMILY = [
    ("shape adaptive_avg_pool2d --input 1x3x8x8", "adaptive_avg_pool needs --output-size"),
    ("shape adaptive_max_pool2d --input 1x3x8x8 --output-size 2 --kernel 3",
     "--kernel is not an option of adaptive_max_pool"),
    ("shape adaptive_avg_pool2d --input 1x3x8x8 --output-size 2 --stride 2",
     "--stride is not an option of adaptive_avg_pool"),
    ("shape adaptive_max_pool2d --input 1x3x8x8 --output-size -1",
     "--output-size (-1, -1) must not be negative"),
    ("shape adaptive_avg_pool2d --input 1x3x8x8 --output-size 2x2x2",
     "--output-size (2, 2, 2) has 3 entries"),
    ("shape adaptive_avg_pool2d --input 1x3x8x8 --output-size x",
     "argument --output-size: value '' is not an integer"),
    ("shape adaptive_avg_pool2d --input 1x3x8x8 --output-size " + HUGE,
     ("argument --output-size: value '9999", "is too large")),
    ("shape adaptive_avg_pool9d --input 1x3x8x8 --output-size 2",
     "op 'adaptive_avg_pool9d' is not one of"),
    ("shape adaptive_avg_pool3d --input 1x3x8x8 --output-size 2",
     "adaptive_avg_pool3d needs an input of 5 sizes"),
    ("shape max_unpool2d --input 1x3x8x8", "max_unpool needs --kernel"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 2 --output-size 100",
     "output_size=(100, 100): spatial dimension 0 must be from 15 to 17"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 2 --output-size 1x1x1",
     "output_size=(1, 1, 1) has 3 entries"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 2 --output-size 2x3x16x16",
     "starts with N, C = (2, 3), but the output has N, C = (1, 3)"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 2 --dilation 2",
     "--dilation is not an option of max_unpool"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 2 --target 16",
     "--target is not an option of max_unpool"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 2 --padding same",
     "--padding same is only for conv"),
    ("shape max_unpool2d --input 1x3x8x8 --kernel 0", "--kernel 0 must be >= 1"),
    ("shape lp_pool2d --input 1x3x8x8 --kernel 2", "lp_pool needs --norm-type"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type 2", "lp_pool needs --kernel"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type two --kernel 2",
     "argument --norm-type: 'two' is not a number"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type nan --kernel 2",
     "norm_type=nan must be a non-zero number"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type 0 --kernel 2",
     "norm_type=0.0 must be a non-zero number"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type 2 --kernel 2 --padding 1",
     "--padding is not an option of lp_pool"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type 2 --kernel 2 --dilation 2",
     "--dilation is not an option of lp_pool"),
    ("shape lp_pool2d --input 1x3x8x8 --norm-type 2 --kernel 9",
     "output size along spatial dimension 0 would be 0"),
    ("shape max_pool2d --input 1x3x8x8 --kernel 2 --norm-type 2",
     "--norm-type is not an option of max_pool"),
    ("shape conv2d --input 1x3x8x8 --out-channels 2 --kernel 3 --output-size 6",
     "--output-size is not an option of conv"),
    (["summary", "input(1x3x8x8) lppool(0,k=2)"],
     "'lppool(0,k=2)' on input (1, 3, 8, 8): norm_type=0 must be a non-zero number"),
    (["summary", "input(1x3x8x8) lppool(nan,k=2)"], "'lppool(nan,k=2)': 'nan' is not a number"),
    (["summary", "input(1x3x8x8) lppool(2)"], "'lppool(2)' needs k="),
    (["summary", "input(1x3x8x8) lppool(2,k=2,p=1)"], "unknown option(s) p"),
    (["summary", "input(1x3x8x8) maxunpool(2,size=100)"],
     "'maxunpool(2,size=100)' on input (1, 3, 8, 8): output_size=(100, 100): spatial"),
    (["summary", "input(1x3x8x8) maxunpool(2,size=same)"], "output_size='same'"),
    (["summary", "input(1x3x8x8) adaptivemaxpool(-1)"],
     "'adaptivemaxpool(-1)': the output size must be one integer >= 1"),
    (["summary", "input(1x3x8x8) flatten maxunpool(2)"], "needs (N, C, *spatial)"),
]


@pytest.mark.parametrize("case, expected", MALFORMED_FAMILY,
                         ids=[(c if isinstance(c, str) else " ".join(c))[:60]
                              for c, _ in MALFORMED_FAMILY])
def test_a_malformed_family_command_line_ends_in_one_clear_line(case, expected, files,
                                                                capsys):
    argv = _argv(case, files)
    status, out, err = run(argv, capsys)
    assert_one_clear_line(argv, status, out, err, expected)


def test_family_layers_of_astronomical_size_are_arithmetic(capsys):
    largest = str(2 ** 63 - 1)
    for argv in (["shape", "adaptive_avg_pool1d", "--input", f"1x1x{largest}",
                  "--output-size", "3"],
                 ["shape", "adaptive_max_pool2d", "--input", f"1x1x{largest}x7",
                  "--output-size", f"{largest}x5"],
                 ["shape", "max_unpool1d", "--input", f"1x1x{largest}", "--kernel", largest],
                 ["shape", "lp_pool1d", "--input", f"1x1x{largest}", "--norm-type", "2",
                  "--kernel", "1", "--ceil-mode"]):
        status, out, err = run(argv, capsys)
        assert status == 0 and err == "", (argv, err)
        assert len(out) < 3000


FAMILY_OPS = ["max_unpool", "max_unpool1d", "adaptive_avg_pool", "adaptive_max_pool2d",
              "lp_pool", "lp_pool1d"]


@st.composite
def family_command_lines(draw):
    argv = ["shape", draw(st.sampled_from(FAMILY_OPS))]
    options = OPTIONS["shape"] + ["--output-size", "--norm-type"]
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            argv += [draw(st.sampled_from(options)), draw(WORD)]
        else:
            argv.append(draw(st.sampled_from(FLAGS[:2])))
    return argv


@given(family_command_lines())
def test_fuzzed_family_command_lines_answer_or_refuse_in_one_line(argv):
    test_fuzzed_command_lines_answer_or_refuse_in_one_line.hypothesis.inner_test(argv)


# --------------------------------------------------------------------------------------------
# Unfold and fold in the calculator, and conv_transpose's --output-size
# --------------------------------------------------------------------------------------------

MALFORMED_UNFOLD = [
    ("shape unfold --input 1x3x8x8", "unfold needs --kernel"),
    ("shape unfold2d --input 1x3x8x8 --kernel 3", ("op 'unfold2d'", "takes no 1d/2d/3d")),
    ("shape unfold --input 1x3x8x8 --kernel 3 --output-size 6",
     "--output-size is not an option of unfold"),
    ("shape unfold --input 1x3x8x8 --kernel 3 --padding same", "--padding same is only for conv"),
    ("shape unfold --input 1x3x8x8 --kernel 9",
     "window positions along spatial dimension 0 would be 0"),
    ("shape unfold --input 1x3x8x8 --kernel 3x3x3", "--kernel (3, 3, 3) must be an int or 2"),
    ("shape unfold --input 1x3x8x8 --kernel 0", "--kernel 0 must be >= 1"),
    ("shape fold --input 1x27x64 --kernel 3", "fold needs --output-size"),
    ("shape fold --input 1x27x64 --output-size 8", "fold needs --kernel"),
    ("shape fold1d --input 1x27x64 --output-size 8 --kernel 3",
     ("op 'fold1d'", "the length of --output-size")),
    ("shape fold --input 1x27x8x8 --output-size 8 --kernel 3",
     ("--input 1x27x8x8", "(N, C*K, L), 3 sizes")),
    ("shape fold --input 1x27x64 --output-size 8 --kernel 3",
     "input has L = 64 columns (its last axis), but output_size=(8, 8) holds 6 * 6 = 36"),
    ("shape fold --input 1x28x36 --output-size 8 --kernel 3",
     "input has 28 rows (the axis before its last), which must be divisible by"),
    ("shape fold --input 1x27x36 --output-size 8x8x8 --kernel 3x3",
     "--kernel (3, 3) must be an int or 3 ints"),
    ("shape fold --input 1x27x36 --output-size -1 --kernel 3",
     "--output-size -1 must be >= 0"),
    ("shape fold --input 1x27x36 --output-size 8 --kernel 3 --out-channels 4",
     "--out-channels is not an option of fold"),
    ("shape conv_transpose1d --input 1x1x4 --out-channels 1 --kernel 3 --stride 2 "
     "--dilation 3 --output-size 15",
     ("output_size=(15,): spatial dimension 0 must be from 13 to 14",
      "output_size rule counts the stride only")),
    ("shape conv_transpose2d --input 1x4x8x8 --out-channels 2 --kernel 3 --output-size 2x2x10x10",
     "starts with N, C = (2, 2), but the output has N, C = (1, 2)"),
    ("shape conv_transpose2d --input 1x4x8x8 --out-channels 2 --kernel 3 --output-size 10x10x10",
     "output_size=(10, 10, 10) has 3 entries"),
    ("shape conv_transpose2d --input 1x4x8x8 --out-channels 2 --kernel 3 --stride 2 "
     "--output-size 17 --target 17", "give one"),
    ("shape conv_transpose2d --input 1x4x8x8 --out-channels 2 --kernel 3 --stride 2 "
     "--output-size 17 --output-padding 1", "output_padding=(1, 1) and output_size=(17, 17) "
                                            "disagree"),
    (["summary", "input(1x3x8x8) unfold(9)"], "window positions along spatial dimension 0"),
    (["summary", "input(1x3x8x8) unfold(3) fold(8,k=2)"], "which must be divisible by"),
    (["summary", "input(1x27x64) fold(8,k=3)"], "input has L = 64 columns"),
    (["summary", "input(1x27x36) fold(k=3)"], "'fold(k=3)' needs size="),
    (["summary", "input(1x3x8x8) convT(2,k=3,s=2,size=30)"],
     "output_size=(30, 30): spatial dimension 0 must be from 17 to 18"),
]


@pytest.mark.parametrize("case, expected", MALFORMED_UNFOLD,
                         ids=[(c if isinstance(c, str) else " ".join(c))[:60]
                              for c, _ in MALFORMED_UNFOLD])
def test_a_malformed_unfold_or_fold_command_line_ends_in_one_clear_line(case, expected, files,
                                                                        capsys):
    argv = _argv(case, files)
    status, out, err = run(argv, capsys)
    assert_one_clear_line(argv, status, out, err, expected)


def test_unfold_and_fold_of_astronomical_size_are_arithmetic(capsys):
    largest = str(2 ** 63 - 1)
    for argv in (["shape", "unfold", "--input", f"1x1x{largest}", "--kernel", "3"],
                 ["shape", "unfold", "--input", f"1x1x{largest}x{largest}", "--kernel",
                  largest, "--stride", largest],
                 ["shape", "fold", "--input", f"1x1x{largest}", "--output-size", largest,
                  "--kernel", "1", "--stride", largest + "x1"],
                 ["shape", "conv_transpose1d", "--input", f"1x1x{largest}",
                  "--out-channels", "1", "--kernel", "1", "--output-size", largest]):
        status, out, err = run(argv, capsys)
        assert "Traceback" not in out + err and len(out) < 3000, (argv, err)
        assert status in (0, 2) and len(err.splitlines()) == (0 if status == 0 else 1)


@st.composite
def unfold_command_lines(draw):
    argv = ["shape", draw(st.sampled_from(["unfold", "fold", "conv_transpose", "unfold1d"]))]
    options = OPTIONS["shape"] + ["--output-size"]
    for _ in range(draw(st.integers(0, 5))):
        argv += [draw(st.sampled_from(options)), draw(WORD)]
    return argv


@given(unfold_command_lines())
def test_fuzzed_unfold_command_lines_answer_or_refuse_in_one_line(argv):
    test_fuzzed_command_lines_answer_or_refuse_in_one_line.hypothesis.inner_test(argv)
