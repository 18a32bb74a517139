"""The ``npconv`` entry point itself: help, bad arguments, ``python -m npconv``.

Every subcommand must answer ``--help`` with an example, and every bad argument with one
line on stderr and exit status 2, never a traceback.
"""

import os
import subprocess
import sys

import pytest

from npconv.cli import SUBCOMMANDS, main

OURS = ["tour", "shape", "summary", "show", "gradcheck"]


def test_protocol_of_every_subcommand_module():
    for module in SUBCOMMANDS:
        assert isinstance(module.NAME, str) and isinstance(module.HELP, str)
        assert callable(module.add_arguments) and callable(module.run)
    assert OURS == [module.NAME for module in SUBCOMMANDS][:5]


def test_top_level_help_lists_every_subcommand(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for module in SUBCOMMANDS:
        assert module.NAME in out
    assert "npconv tour" in out


def test_no_subcommand_prints_help(capsys):
    assert main([]) == 0
    assert "tour" in capsys.readouterr().out


@pytest.mark.parametrize("name", OURS)
def test_subcommand_help_shows_an_example(name, capsys):
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"usage: npconv {name}" in out
    assert "Example:" in out
    assert f"  npconv {name}" in out


@pytest.mark.parametrize("argv, message", [
    (["nonsense"], "argument <subcommand>: invalid choice: 'nonsense'"),
    (["tour", "--section", "nonsense"], "argument --section: invalid choice: 'nonsense'"),
    (["shape", "conv2d", "--input", "1x3x32x32", "--kernel", "three", "--out-channels", "4"],
     "argument --kernel: value 'three' is not an integer"),
    (["shape", "conv2d", "--input", "1x3x32x32", "--kernel", "3"],
     "needs --out-channels"),
    (["shape", "conv3d", "--input", "1x3x32x32", "--out-channels", "4", "--kernel", "3"],
     "conv3d needs an input of 5 sizes"),
    (["shape", "conv9d", "--input", "1x3x32x32", "--out-channels", "4", "--kernel", "3"],
     "op 'conv9d' is not one of"),
    (["shape", "max_pool2d", "--input", "1x0x4x4", "--kernel", "2"],
     "argument --input: shape '1x0x4x4' must hold sizes >= 1"),
    (["summary"], "give either a spec (or network name) or --file"),
    (["summary", "conv(4,k=3) relu"], "no input shape"),
    (["summary", "input(1x3x8x8) conv(4,k=3) pool(2)"], "unknown layer 'pool(2)'"),
    (["summary", "input(1x3x8x8) conv(4,k=3", ], "cannot read the spec at '(4,k=3'"),
    (["summary", "--file", "/nonexistent/net.txt"],
     "--file /nonexistent/net.txt: No such file or directory"),
    (["show", "conv", "--size", "40x40"], "--size 40x40: more than the 24 cells per side"),
    (["show", "conv", "--size", "5x5", "--frame", "0"],
     "argument --frame: '0' must be an integer >= 1"),
    # a 3x3 kernel on 5x5: floor((5 - 2 - 1) / 1) + 1 = 3 per side, 9 output cells
    (["show", "conv", "--size", "5x5", "--frame", "99"],
     "--frame 99: this configuration has 9 frames"),
    # floor((2 - 1*(3 - 1) - 1) / 1) + 1 = 0
    (["show", "conv", "--size", "2x2", "--kernel", "3"],
     "output size along spatial dimension 0 would be 0"),
    (["gradcheck", "--trials", "0"], "argument --trials: '0' must be an integer >= 1"),
    (["gradcheck", "--seed", "x"], "argument --seed: value 'x' is not an integer"),
    (["gradcheck", "--seed", "-1"], "argument --seed: '-1' must be an integer >= 0"),
])
def test_bad_arguments_give_one_line_and_status_2(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"npconv{' ' + argv[0] if argv[0] in OURS else ''}: error: ")
    assert message in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_python_dash_m_npconv_runs_the_command():
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run([sys.executable, "-m", "npconv", "shape", "conv2d", "--input",
                           "1x3x32x32", "--out-channels", "16", "--kernel", "3"],
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    # PyTorch's documented formula: floor((32 + 2*0 - 1*(3-1) - 1) / 1) + 1 = 30
    assert "-> output 1x16x30x30" in done.stdout


def test_python_dash_m_npconv_bad_argument_has_no_traceback():
    done = subprocess.run([sys.executable, "-m", "npconv", "shape", "conv2d", "--input",
                           "1x3x4x4", "--out-channels", "1", "--kernel", "9"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    # floor((4 - 1*(9 - 1) - 1) / 1) + 1 = -4; the kernel spans 9 cells, the input has 4
    assert "npconv shape: error: H: output size -4 < 1" in done.stderr


def test_tour_needs_no_optional_dependency():
    code = ("import sys, contextlib, io\n"
            "from npconv.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    status = main(['tour'])\n"
            "print(status, sorted(m for m in ('matplotlib', 'torch', 'scipy') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    status, imported = done.stdout.split(" ", 1)
    assert status == "0"
    assert "matplotlib" not in imported and "torch" not in imported
