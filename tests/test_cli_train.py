"""``npconv train`` end to end through the entry point, on small settings (no timing)."""

import re
import subprocess
import sys

import pytest

from npconv.cli import main

SMALL = ["--epochs", "2", "--limit", "64", "--test-limit", "40"]
ACCURACY = re.compile(r"^test accuracy: (\d+\.\d)% \((\d+)/40\)$")
RECONSTRUCTION = re.compile(
    r"^test reconstruction MSE: (\d\.\d{4}) \((\d+)% of the mean-image baseline (\d\.\d{4})\)$")


def last_line(text):
    return text.strip().splitlines()[-1]


def test_digits_trains_and_ends_with_the_accuracy_line(capsys):
    assert main(["train", "digits", *SMALL]) == 0
    captured = capsys.readouterr()
    match = ACCURACY.match(last_line(captured.out))
    assert match, captured.out
    percent, correct = float(match.group(1)), int(match.group(2))
    assert percent == round(100 * correct / 40, 1)
    assert "epoch   1" in captured.err and "epoch   2" in captured.err   # tqdm's bars


def test_without_tqdm_each_epoch_is_one_plain_line(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)           # import tqdm now fails
    assert main(["train", "autoencoder", *SMALL]) == 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 2
    for epoch, line in enumerate(lines, start=1):
        assert re.match(rf"^epoch +{epoch}  loss \d\.\d{{4}}  validation MSE \d\.\d{{4}}  "
                        rf"\(\d+\.\d s\)$", line), line
    match = RECONSTRUCTION.match(last_line(captured.out))
    assert match, captured.out
    mse, percent, baseline = float(match.group(1)), int(match.group(2)), float(match.group(3))
    assert abs(percent - 100 * mse / baseline) <= 1          # rounded figures


def test_plots_are_written_for_both_networks(tmp_path, capsys):
    assert main(["train", "digits", *SMALL, "--plots", str(tmp_path / "digits")]) == 0
    assert main(["train", "autoencoder", *SMALL, "--plots", str(tmp_path / "ae")]) == 0
    out = capsys.readouterr().out
    expected = {"digits": ["history", "confusion", "misclassified", "kernels", "feature-maps"],
                "ae": ["history", "reconstructions", "code-walk"]}
    for folder, names in expected.items():
        for name in names:
            path = tmp_path / folder / f"{name}.png"
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f"wrote {path}" in out


def test_method_loops_runs_the_reference_loops_on_a_small_subset(capsys):
    argv = ["train", "digits", "--method", "loops", "--epochs", "1", "--limit", "8",
            "--batch-size", "8", "--test-limit", "4"]
    assert main(argv) == 0
    assert re.match(r"^test accuracy: \d+\.\d% \(\d/4\)$", last_line(capsys.readouterr().out))


@pytest.mark.parametrize("argv, message", [
    (["train", "cats"], "argument network: invalid choice: 'cats'"),
    (["train", "digits", "--epochs", "0"], "argument --epochs"),
    (["train", "digits", "--lr", "-1"], "argument --lr: value '-1' must be > 0"),
    (["train", "digits", "--method", "fast"], "argument --method: invalid choice"),
    (["train", "digits", "--blas-threads", "0"], "argument --blas-threads"),
])
def test_bad_arguments_give_one_line_and_status_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_shows_the_examples(capsys):
    assert main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "Example:" in out and "  npconv train digits" in out


def test_training_without_plots_never_imports_matplotlib():
    code = ("import sys; from npconv.cli import main; "
            "status = main(['train', 'digits', '--epochs', '1', '--limit', '32', "
            "'--test-limit', '10']); "
            "assert status == 0; assert 'matplotlib' not in sys.modules, 'imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
