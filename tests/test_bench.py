"""The benchmark machinery on tiny cases: structure of the rows, the table and the JSON.

No timing is asserted (the machine is shared and noisy); PyTorch is never required.
"""

import json
import math

import numpy as np
import pytest

from npconv.tools import bench
from npconv.cli import main

TINY = [
    bench.Case("tiny conv", "conv", (2, 4, 6, 6), (4, 2, 3, 3), {"padding": 1, "groups": 2}),
    bench.Case("tiny depthwise", "conv", (1, 3, 5, 5), (3, 1, 3, 3), {"groups": 3}),
    bench.Case("tiny convT", "conv_transpose", (1, 2, 3, 3), (2, 3, 2, 2), {"stride": 2}),
    bench.Case("tiny max", "max_pool", (1, 2, 5, 5), None,
               {"kernel_size": 3, "stride": 2, "padding": 1}, targets=(0.8, 2.0)),
    bench.Case("tiny avg", "avg_pool", (1, 2, 5, 5), None, {"kernel_size": 2},
               dtype="float64"),
    bench.Case("tiny loops", "conv", (1, 1, 4, 4), (1, 1, 3, 3), method="loops"),
]

ROW_KEYS = {"case", "op", "direction", "method", "dtype", "input_shape", "weight_shape",
            "params", "repeats", "numpy_ms", "torch_ms", "ratio", "target", "gflops",
            "percent_of_gemm_peak", "numpy_extra_mib", "torch_extra_mib"}


@pytest.fixture(scope="module")
def report():
    return bench.run_benchmark(TINY, repeats=2, warmup=1, use_torch=False, gemm_size=32)


def test_every_case_gives_a_forward_and_a_backward_row(report):
    names = [(row["case"], row["direction"]) for row in report["results"]]
    assert names == [(case.name, direction) for case in TINY
                     for direction in ("forward", "backward")]
    for row in report["results"]:
        assert set(row) == ROW_KEYS
        assert row["numpy_ms"] > 0
        assert row["torch_ms"] is None and row["ratio"] is None   # torch not used
        assert row["numpy_extra_mib"] >= 0


def test_flops_only_for_convolutions(report):
    for row in report["results"]:
        if row["op"] in ("conv", "conv_transpose"):
            assert row["gflops"] > 0 and row["percent_of_gemm_peak"] > 0
        else:
            assert row["gflops"] is None and row["percent_of_gemm_peak"] is None


def test_flop_count_is_the_multiply_add_formula():
    case = TINY[0]          # groups 2: each output cell sums 2 channels x 9 taps
    assert bench._flops(case, (2, 4, 6, 6)) == 2 * (2 * 4 * 6 * 6) * 2 * 9


def test_report_has_machine_and_a_peak_per_dtype(report):
    assert set(report["gemm_peak_gflops"]) == {"float32", "float64"}
    assert all(peak > 0 for peak in report["gemm_peak_gflops"].values())
    assert {"cpu", "cores", "numpy", "blas", "numpy_threads", "torch"} <= set(report["machine"])


def test_table_has_a_line_per_row(report):
    table = bench.format_table(report)
    lines = table.splitlines()
    assert lines[2] == bench.TABLE_HEADER
    assert len(lines) == 3 + len(report["results"]) + 1
    assert "tiny loops [loops]" in table
    assert "<=0.8" in table


def test_json_round_trips(report, tmp_path):
    path = tmp_path / "bench.json"
    bench.write_json(report, path)
    loaded = json.loads(path.read_text())
    assert len(loaded["results"]) == len(report["results"])
    assert loaded["results"][0]["case"] == "tiny conv"


def test_numpy_memory_counts_temporaries_not_the_result():
    size = 2 ** 20

    def temporary_then_small():
        scratch = np.ones(size)                         # 8 MiB, freed before returning
        return scratch[:10].copy()

    extra = bench.numpy_peak_extra_bytes(temporary_then_small)
    assert 8 * size <= extra < 9 * size
    assert bench.numpy_peak_extra_bytes(lambda: np.ones(size)) < size


def test_default_cases_cover_every_op_and_the_loops_variant():
    cases = bench.default_cases()
    assert {case.op for case in cases} == {"conv", "conv_transpose", "max_pool", "avg_pool",
                                           "max_unpool", "adaptive_avg_pool",
                                           "adaptive_max_pool", "lp_pool", "unfold", "fold"}
    assert any(case.method == "loops" for case in cases)
    loops_cells = [np.prod(case.input_shape) for case in cases if case.method == "loops"]
    assert max(loops_cells) <= 4096                     # the reference stays small


def test_command_runs_without_torch(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "default_cases", lambda quick=False: TINY[:2])
    path = tmp_path / "out.json"
    status = main(["bench", "--quick", "--no-torch", "--json", str(path)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "tiny depthwise" in out
    assert json.loads(path.read_text())["results"][0]["case"] == "tiny conv"


def test_command_rejects_an_unknown_case(capsys):
    assert main(["bench", "--no-torch", "--case", "no such case"]) == 2
    assert "matches none" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# npconv bench --training: whole networks (parity with PyTorch, one training step's time)
# --------------------------------------------------------------------------------------------

def test_twin_arguments_are_pytorchs_constructor_arguments():
    from npconv import nn
    from npconv.tools import parity

    assert parity.twin_arguments(nn.ConvTranspose2d(4, 2, 3, stride=2, bias=False)) == {
        "in_channels": 4, "out_channels": 2, "kernel_size": (3, 3), "stride": (2, 2),
        "padding": (0, 0), "dilation": (1, 1), "groups": 1, "output_padding": (0, 0),
        "bias": False}
    assert parity.twin_arguments(nn.AvgPool1d(3, padding=1)) == {
        "kernel_size": 3, "stride": 3, "padding": 1, "ceil_mode": False,
        "count_include_pad": True}
    assert parity.twin_arguments(nn.AvgPool2d(2, divisor_override=3))["divisor_override"] == 3
    assert parity.twin_arguments(nn.Linear(3, 4)) == {"in_features": 3, "out_features": 4,
                                                      "bias": True}
    assert parity.twin_arguments(nn.LeakyReLU(0.2)) == {"negative_slope": 0.2}
    assert parity.twin_arguments(nn.Sigmoid()) == {}


def test_torch_twin_builds_the_same_layers_by_name():
    import types

    from npconv import nn
    from npconv.tools import parity

    def recorder(name):
        return lambda **arguments: (name, arguments)

    names = ["Conv1d", "MaxPool1d", "Flatten", "Linear", "Tanh", "Sequential"]
    fake_nn = types.SimpleNamespace(**{name: recorder(name) for name in names})
    fake_nn.Sequential = lambda *layers: list(layers)
    fake_torch = types.SimpleNamespace(nn=fake_nn)
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(4, 1),
                          nn.Tanh())
    twin = parity.torch_twin(fake_torch, model)
    assert [name for name, _ in twin] == ["Conv1d", "MaxPool1d", "Flatten", "Linear", "Tanh"]
    assert twin[3][1] == {"in_features": 4, "out_features": 1, "bias": True}
    with pytest.raises(ValueError, match="no \\(before, after\\) padding"):
        parity.torch_twin(fake_torch, nn.Sequential(nn.Conv1d(1, 1, 3, padding=((0, 1),))))


def test_relative_error_is_the_largest_difference_over_the_largest_value():
    from npconv.tools import parity

    assert parity.relative_error(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == 0.5
    assert parity.relative_error(np.zeros(2), np.zeros(2)) == 0.0


def test_training_step_timing_without_torch():
    from npconv.tools import parity

    rows = parity.time_training_step(None, batch_size=8, repeats=2, warmup=1)
    assert [row["network"] for row in rows] == ["digits CNN", "autoencoder"]
    assert all(row["npconv_ms"] > 0 and row["torch_ms"] is None for row in rows)
    table = parity.format_timing(rows, batch_size=8)
    assert "<=2.5" in table and "batch 8" in table


def test_parity_table_marks_each_check():
    from npconv.tools import parity

    rows = [{"network": "digits CNN", "check": "input gradient", "error": 3e-16,
             "passed": True},
            {"network": "autoencoder", "check": "output", "error": 1e-9, "passed": False}]
    lines = parity.format_parity(rows).splitlines()
    assert lines[1].endswith("ok") and lines[2].endswith("FAIL")
    assert "3.0e-16" in lines[1]


def test_command_times_the_training_step_without_torch(capsys):
    assert main(["bench", "--training", "--no-torch", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "PyTorch is not installed (or --no-torch)" in out
    assert "digits CNN" in out and "autoencoder" in out


# --------------------------------------------------------------------------------------------
# The rest of the pooling family
# --------------------------------------------------------------------------------------------

TINY_FAMILY = [
    bench.Case("tiny unpool", "max_unpool", (2, 3, 3, 2), None,
               {"kernel_size": 2, "stride": (2, 3), "padding": (1, 0)}),
    bench.Case("tiny unpool sized", "max_unpool", (1, 2, 3), None,
               {"kernel_size": 3, "stride": 2, "output_size": (8,)}, dtype="float64"),
    bench.Case("tiny adaptive avg", "adaptive_avg_pool", (2, 3, 5, 5), None,
               {"output_size": 3}),
    bench.Case("tiny adaptive max", "adaptive_max_pool", (2, 3, 5, 7), None,
               {"output_size": (2, 3)}),
    bench.Case("tiny lp", "lp_pool", (2, 3, 6, 6), None,
               {"norm_type": 2.0, "kernel_size": 3, "stride": 2}),
]


def test_family_cases_give_a_forward_and_a_backward_row_without_torch():
    report = bench.run_benchmark(TINY_FAMILY, repeats=1, warmup=0, use_torch=False,
                                 gemm_size=16)
    assert [(row["case"], row["direction"]) for row in report["results"]] == [
        (case.name, direction) for case in TINY_FAMILY for direction in ("forward", "backward")]
    for row in report["results"]:
        assert set(row) == ROW_KEYS and row["numpy_ms"] > 0 and row["gflops"] is None


def test_unpool_indices_name_a_cell_of_their_own_window():
    """Pooled cell i of a max pooling (kernel k, stride s, padding p) won a cell of the
    window i*s - p ... i*s - p + k - 1 of the unpooled plane, whose size is the default
    (in - 1)*s - 2p + k, or the case's output_size."""
    for case in TINY_FAMILY[:2]:
        indices = bench.unpool_indices(case)
        assert indices.shape == case.input_shape and indices.dtype == np.int64
        ndim = len(case.input_shape) - 2
        p = case.params
        kernel = bench._per_dimension(p["kernel_size"], ndim)
        stride = bench._per_dimension(p["stride"], ndim)
        padding = bench._per_dimension(p.get("padding", 0), ndim)
        out = p.get("output_size") or [(n - 1) * s - 2 * q + k for n, k, s, q in
                                       zip(case.input_shape[2:], kernel, stride, padding)]
        for index in np.ndindex(*case.input_shape):
            cell = np.unravel_index(indices[index], out)
            for i, c, k, s, q in zip(index[2:], cell, kernel, stride, padding):
                assert i * s - q <= c < i * s - q + k


TINY_UNFOLD = [
    bench.Case("tiny unfold", "unfold", (2, 3, 6, 6), None, {"kernel_size": 3, "padding": 1}),
    bench.Case("tiny fold", "fold", (2, 3 * 4, 3 * 3), None,
               {"output_size": (6, 6), "kernel_size": 2, "stride": 2}, dtype="float64"),
]


def test_unfold_and_fold_cases_give_a_forward_and_a_backward_row_without_torch():
    report = bench.run_benchmark(TINY_UNFOLD, repeats=1, warmup=0, use_torch=False,
                                 gemm_size=16)
    assert [(row["case"], row["direction"]) for row in report["results"]] == [
        (case.name, direction) for case in TINY_UNFOLD for direction in ("forward", "backward")]
    for row in report["results"]:
        assert set(row) == ROW_KEYS and row["numpy_ms"] > 0 and row["gflops"] is None


def test_fold_cases_hold_the_columns_of_their_unfold_twin():
    """Each default fold case folds what the unfold case of the same layer makes: C * K rows
    and L = prod(floor((size + 2 * padding - kernel) / stride) + 1) columns."""
    cases = {case.name: case for case in bench.default_cases()}
    for layer in ("3x3 p1 64ch 56x56", "stem 7x7 s2 p3 3ch 224"):
        unfold, fold = cases[f"unfold {layer}"], cases[f"fold {layer}"]
        N, C, *size = unfold.input_shape
        k, s, p = (unfold.params.get(key, default) for key, default in
                   (("kernel_size", None), ("stride", 1), ("padding", 0)))
        windows = math.prod((n + 2 * p - k) // s + 1 for n in size)
        assert fold.input_shape == (N, C * k * k, windows)
        assert fold.params == {"output_size": tuple(size), **unfold.params}
