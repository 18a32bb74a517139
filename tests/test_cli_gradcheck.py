"""``npconv gradcheck`` through its entry point; and that it does catch a wrong gradient."""

import numpy as np

from npconv import gradcheck
from npconv.cli import main


def test_passes_on_a_correct_install(capsys):
    assert main(["gradcheck", "--seed", "3", "--trials", "4"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["op", "method", "checks", "worst", "rel.", "error", "result"]
    rows = [line.split() for line in lines[1:9]]
    assert [(row[0], row[1]) for row in rows] == [
        (op, method) for op in ("conv", "conv_transpose", "max_pool", "avg_pool")
        for method in ("loops", "im2col")]
    assert all(row[2] == "4" and row[-1] == "ok" and float(row[3]) < 1e-6 for row in rows)
    assert "32 of 32 checks passed" in out


def test_fails_with_status_1_when_a_backward_is_wrong(monkeypatch, capsys):
    correct = gradcheck._BACKWARD["avg_pool"]

    def off_by_a_bit(*args, **kwargs):
        return correct(*args, **kwargs) * 1.01

    monkeypatch.setitem(gradcheck._BACKWARD, "avg_pool", off_by_a_bit)
    assert main(["gradcheck", "--trials", "2", "--op", "avg_pool"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert "worst case: input" in out


def test_numerical_gradient_of_a_known_function():
    a = np.array([0.5, -1.0, 2.0])
    grad = gradcheck.numerical_gradient(lambda: float(np.sum(np.sin(a))), a)
    np.testing.assert_allclose(grad, np.cos(a), rtol=1e-8)


def test_seed_makes_it_reproducible():
    first = gradcheck.run_checks(seed=5, trials=2, ops=("conv",))
    second = gradcheck.run_checks(seed=5, trials=2, ops=("conv",))
    assert [r.config for r in first] == [r.config for r in second]
    different = gradcheck.run_checks(seed=6, trials=2, ops=("conv",))
    assert [r.config for r in first] != [r.config for r in different]
