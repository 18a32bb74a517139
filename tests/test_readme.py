"""The README's command examples are the commands' real output, so they cannot drift.

Each ```console block in README.md starts with a ``$ npconv ...`` line; the test runs that
command through the entry point and compares what it prints with the rest of the block.
``gradcheck``'s error column depends on the machine's floating point (BLAS, numpy version),
so there only the op, method, check count and verdict columns, and the summary, must match.
"""

import re
import shlex
from pathlib import Path

import pytest

from npconv.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```console\n\$ (npconv [^\n]*)\n(.*?)```", README.read_text(), re.S)


def test_readme_shows_every_subcommand():
    """One example per subcommand, each the command's real output."""
    shown = {shlex.split(command)[1] for command, _ in BLOCKS}
    assert {"tour", "shape", "summary", "show", "gradcheck"} <= shown


def _stable_columns(text):
    """gradcheck's table without the error column, which varies with the machine."""
    rows = []
    for line in text.strip().splitlines():
        words = line.split()
        rows.append(" ".join(words[:3] + words[4:]) if len(words) == 5 else line)
    return rows


@pytest.mark.parametrize("command, expected", BLOCKS, ids=[c for c, _ in BLOCKS])
def test_readme_example_is_the_real_output(command, expected, capsys):
    args = shlex.split(command)[1:]
    assert main(args) == 0
    printed = capsys.readouterr().out
    if args[0] == "gradcheck":
        assert _stable_columns(printed) == _stable_columns(expected)
    else:
        assert printed.strip() == expected.strip()
