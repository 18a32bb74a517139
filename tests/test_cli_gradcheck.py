"""``npconv gradcheck`` through its entry point; and that it does catch a wrong gradient."""

import numpy as np
import pytest

from npconv.tools import gradcheck
from npconv.cli import main
from tests import oracles


def test_passes_on_a_correct_install(capsys):
    assert main(["gradcheck", "--seed", "3", "--trials", "4"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["op", "method", "checks", "worst", "rel.", "error", "result"]
    rows = [line.split() for line in lines[1:21]]
    assert [(row[0], row[1]) for row in rows] == [
        (op, method) for op in ("conv", "conv_transpose", "max_pool", "avg_pool",
                                "max_unpool", "adaptive_avg_pool", "adaptive_max_pool",
                                "lp_pool", "unfold", "fold")
        for method in ("loops", "im2col")]
    assert all(row[2] == "4" and row[-1] == "ok" and float(row[3]) < 1e-6 for row in rows)
    assert "80 of 80 checks passed" in out


def test_fails_with_status_1_when_a_backward_is_wrong(monkeypatch, capsys):
    correct = gradcheck._BACKWARD["avg_pool"]

    def off_by_a_bit(*args, **kwargs):
        return correct(*args, **kwargs) * 1.01

    monkeypatch.setitem(gradcheck._BACKWARD, "avg_pool", off_by_a_bit)
    assert main(["gradcheck", "--trials", "2", "--op", "avg_pool"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert "worst case: input" in out


def test_fails_with_status_1_when_a_backward_raises(monkeypatch, capsys):
    correct = gradcheck._BACKWARD["conv"]

    def raises_for_two_groups(*args, **kwargs):
        if kwargs.get("groups") == 2:
            raise ValueError("deliberately broken for groups=2")
        return correct(*args, **kwargs)

    monkeypatch.setitem(gradcheck._BACKWARD, "conv", raises_for_two_groups)
    # 20 draws of groups in {1, 2} per method: with any seed, groups=2 is all but certain;
    # seed 0 draws it, and the ValueError must not pass as a redrawn configuration.
    assert main(["gradcheck", "--op", "conv", "--op", "max_pool"]) == 1
    out = capsys.readouterr().out
    rows = {tuple(line.split()[:2]): line.split()[-1] for line in out.splitlines()
            if line.split()[:1] in (["conv"], ["max_pool"])}
    assert rows == {("conv", "loops"): "FAIL", ("conv", "im2col"): "FAIL",
                    ("max_pool", "loops"): "ok", ("max_pool", "im2col"): "ok"}
    assert out.count("raised ValueError: deliberately broken for groups=2") == 2
    assert "raised instead of finishing: conv loops, conv im2col" in out


def test_a_crash_in_the_library_propagates(monkeypatch):
    def raises(*args, **kwargs):
        raise ValueError("deliberately broken")

    monkeypatch.setitem(gradcheck._BACKWARD, "avg_pool", raises)
    with pytest.raises(ValueError, match="deliberately broken"):
        gradcheck.run_checks(trials=1, ops=("avg_pool",))


def test_every_drawn_configuration_is_accepted():
    """The draws never need redrawing: every pooling window holds an input cell (padding at
    most kernel // 2 and at least `dilation` input cells), by tests.oracles' window rule."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        for op in ("max_pool", "avg_pool"):
            kwargs, x, _, _ = gradcheck.random_config(op, rng, ndim=trial % 3 + 1)
            dilation = kwargs.get("dilation", (1,) * (x.ndim - 2))
            for n, k, s, p, d in zip(x.shape[2:], kwargs["kernel_size"], kwargs["stride"],
                                     kwargs["padding"], dilation):
                assert p <= k // 2
                assert oracles.windows_hold_input(n, k, s, p, p, d, kwargs["ceil_mode"]), (
                    n, k, s, p, d)
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


def test_fails_with_status_1_when_a_family_backward_is_wrong(monkeypatch, capsys):
    correct = gradcheck._BACKWARD["lp_pool"]

    def off_by_a_bit(*args, **kwargs):
        return correct(*args, **kwargs) * 1.01

    monkeypatch.setitem(gradcheck._BACKWARD, "lp_pool", off_by_a_bit)
    assert main(["gradcheck", "--trials", "2", "--op", "lp_pool", "--op", "max_unpool"]) == 1
    rows = {tuple(line.split()[:2]): line.split()[-1]
            for line in capsys.readouterr().out.splitlines()
            if line.split()[:1] in (["lp_pool"], ["max_unpool"])}
    assert rows == {("lp_pool", "loops"): "FAIL", ("lp_pool", "im2col"): "FAIL",
                    ("max_unpool", "loops"): "ok", ("max_unpool", "im2col"): "ok"}


def test_every_drawn_family_configuration_is_accepted():
    """Unpooling: distinct indices within an output plane of a size less than one stride
    from (in - 1) * stride - 2 * padding + kernel_size (PyTorch's rule); adaptive pooling:
    sizes of at least 1 or None; power averages: no negative cell under a power whose
    result would be NaN (non-integer p, or a cube root of a negative sum)."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        ndim = trial % 3 + 1
        kwargs, x, weight, bias = gradcheck.random_config("max_unpool", rng, ndim=ndim)
        assert weight is None and bias is None
        indices = kwargs["indices"]
        assert indices.shape == x.shape
        out = kwargs["output_size"]
        sizes = []
        for dim, (n, k, s, p) in enumerate(zip(x.shape[2:], kwargs["kernel_size"],
                                               kwargs["stride"], kwargs["padding"])):
            default = (n - 1) * s - 2 * p + k
            size = default if out is None else out[dim]
            assert default - s < size < default + s and size >= 1
            sizes.append(size)
        planes = indices.reshape(-1, int(np.prod(x.shape[2:])))
        assert all(len(set(plane.tolist())) == plane.size for plane in planes)
        assert 0 <= indices.min() and indices.max() < np.prod(sizes)

        for op in ("adaptive_avg_pool", "adaptive_max_pool"):
            kwargs, x, _, _ = gradcheck.random_config(op, rng, ndim=ndim)
            assert len(kwargs["output_size"]) == ndim
            assert all(o is None or o >= 1 for o in kwargs["output_size"])

        kwargs, x, _, _ = gradcheck.random_config("lp_pool", rng, ndim=ndim)
        p = kwargs["norm_type"]
        assert all(n >= k for n, k in zip(x.shape[2:], kwargs["kernel_size"]))
        if p not in (1.0, 2.0, float("inf"), float("-inf")):
            assert x.min() > 0


def test_fails_with_status_1_when_fold_backward_is_wrong(monkeypatch, capsys):
    correct = gradcheck._BACKWARD["fold"]

    def transposed_the_wrong_way(grad_output, input, *args, **kwargs):
        grad = correct(grad_output, input, *args, **kwargs)
        return grad[..., ::-1]                          # the columns in reverse order

    monkeypatch.setitem(gradcheck._BACKWARD, "fold", transposed_the_wrong_way)
    assert main(["gradcheck", "--trials", "3", "--op", "fold", "--op", "unfold"]) == 1
    rows = {tuple(line.split()[:2]): line.split()[-1]
            for line in capsys.readouterr().out.splitlines()
            if line.split()[:1] in (["fold"], ["unfold"])}
    assert rows == {("fold", "loops"): "FAIL", ("fold", "im2col"): "FAIL",
                    ("unfold", "loops"): "ok", ("unfold", "im2col"): "ok"}


def test_every_drawn_unfold_and_fold_configuration_is_accepted():
    """Every dimension holds at least one window, floor((n + before + after - dilation *
    (kernel - 1) - 1) / stride) + 1 >= 1, and fold's columns are C * prod(kernel) rows by
    the product of those counts (PyTorch's F.fold rule)."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        ndim = trial % 3 + 1
        for op in ("unfold", "fold"):
            kwargs, x, weight, bias = gradcheck.random_config(op, rng, ndim=ndim)
            assert weight is None and bias is None
            padding = kwargs["padding"]
            pairs = [p if isinstance(p, tuple) else (p, p) for p in padding]
            sizes = x.shape[2:] if op == "unfold" else kwargs["output_size"]
            counts = [oracles.conv_output_size(n, k, s, b, a, d) for n, k, s, (b, a), d in zip(
                sizes, kwargs["kernel_size"], kwargs["stride"], pairs, kwargs["dilation"])]
            assert len(counts) == ndim and min(counts) >= 1
            assert max(kwargs["stride"]) <= 3 and max(kwargs["dilation"]) <= 2
            if op == "fold":
                assert x.shape[1] % int(np.prod(kwargs["kernel_size"])) == 0
                assert x.shape[2] == int(np.prod(counts))
