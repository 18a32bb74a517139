"""Golden vectors: every file round-trips (written, read back, equal to a fresh npconv run),
the manifest says what each holds, the command writes the same, and the seed repeats."""

import json

import numpy as np
import pytest

from npconv.cli import main
from npconv.testing import OPS, default_tolerance, read_vectors, write_vectors
from npconv.testing.catalogue import CATALOGUE
from tests import oracles


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_vector_file_round_trips(tmp_path, dtype):
    manifest = write_vectors(tmp_path, dtype=dtype, seed=3, count=1)
    assert len(manifest["cases"]) == len(CATALOGUE) + len(OPS)
    loaded = read_vectors(tmp_path)
    assert len(loaded) == len(manifest["cases"])
    for (case, stored), entry in zip(loaded, manifest["cases"]):
        fresh = case.expected("loops")              # the other method, run again now
        assert sorted(stored) == sorted(fresh) == sorted(entry["results"])
        rtol, atol = default_tolerance(dtype)
        assert entry["tolerance"] == {"rtol": rtol, "atol": atol}
        for name, value in stored.items():
            assert value.dtype == fresh[name].dtype
            if name == "output_indices":
                np.testing.assert_array_equal(value, fresh[name])
            else:
                assert value.dtype == np.dtype(dtype)
                np.testing.assert_allclose(value, fresh[name], rtol=rtol, atol=atol,
                                           err_msg=f"{entry['file']}: {name}")
        assert repr(case) == entry["call"]


def test_the_manifest_describes_each_file(tmp_path):
    manifest = write_vectors(tmp_path, ops=["lp_pool", "conv"], count=2, seed=1)
    text = json.loads((tmp_path / "manifest.json").read_text())
    assert text == manifest and text["format"] == "npconv golden vectors 1"
    for entry in text["cases"]:
        with np.load(tmp_path / entry["file"]) as data:
            assert sorted(data.files) == sorted(entry["arrays"] + ["grad_output"]
                                                + entry["results"])
            assert data["grad_output"].shape == data["output"].shape
        assert set(entry["arguments"]) == set(entry["arrays"]) | set(entry["parameters"])
        assert entry["op"] in ("lp_pool", "conv") and entry["why"] is not None
    inf_power = [e for e in text["cases"] if e["parameters"].get("norm_type") in ("inf", "-inf")]
    for entry in inf_power:                        # JSON has no infinity: a string stands in
        assert entry["call"].count("float('") == 1


def test_the_seed_repeats_and_the_command_writes_the_same(tmp_path, capsys):
    first = write_vectors(tmp_path / "a", seed=5, count=2, ops=["max_unpool"], dtype="float32")
    assert main(["vectors", str(tmp_path / "b"), "--seed", "5", "--count", "2",
                 "--ops", "max_unpool", "--dtype", "float32"]) == 0
    assert "wrote 5 cases" in capsys.readouterr().out
    second = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert [e["call"] for e in first["cases"]] == [e["call"] for e in second["cases"]]
    assert main(["vectors", str(tmp_path / "c"), "--ops", "nope"]) == 2
    # an op named twice is written once: its 3 catalogue cases and 2 drawn ones
    assert main(["vectors", str(tmp_path / "e"), "--count", "2",
                 "--ops", "max_unpool,max_unpool"]) == 0
    assert "wrote 5 cases" in capsys.readouterr().out
    with pytest.raises(ValueError, match="dtype='float16' must be one of"):
        write_vectors(tmp_path / "d", dtype="float16")


def test_a_default_folder_stays_small(tmp_path):
    write_vectors(tmp_path)
    size = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert size < 400_000


def test_unfold_fold_and_output_size_vectors_run_from_the_manifest_alone(tmp_path):
    """As another language would read them: the arrays from the file and the parameters
    from JSON (lists where Python had tuples) give, through the independent oracle of the
    entry's op, the stored output, and the manifest names a real function; unfold and fold keep their names when unbatched (PyTorch's have no
    rank), and the catalogue's output_size cases carry their output_size."""
    import npconv
    manifest = write_vectors(tmp_path, ops=["unfold", "fold", "conv_transpose"], count=6,
                             seed=2)
    entries = manifest["cases"]
    assert {entry["function"] for entry in entries if entry["op"] in ("unfold", "fold")} <= {
        "unfold", "fold"}
    sized = [entry for entry in entries if "output_size" in entry["parameters"]
             and entry["op"] == "conv_transpose"]
    assert {entry["name"] for entry in sized} >= {"conv_transpose_output_size_largest_dilated",
                                                 "conv_transpose_output_size_with_n_and_c"}
    for entry in entries:
        with np.load(tmp_path / entry["file"]) as data:
            arguments = {name: data[name] if name in entry["arrays"]
                         else entry["parameters"][name] for name in entry["arguments"]}
            # the stored output is the independent oracle's for the same call
            output = getattr(oracles, entry["op"])(**arguments)
            np.testing.assert_allclose(output, data["output"], rtol=1e-12, atol=1e-12,
                                       err_msg=entry["file"])
            assert getattr(npconv, entry["function"])   # the manifest names a real function


def test_the_manifest_says_per_case_whether_pytorch_takes_it(tmp_path):
    """Each case records torch_compatible (the catalogue's flag, True for the torch-compatible
    sweep); the folder's flag claims no more than every case does."""
    manifest = write_vectors(tmp_path / "conv", ops=["conv"], count=2)
    flags = {entry["name"]: entry["torch_compatible"] for entry in manifest["cases"]}
    refused = {"conv_asymmetric_padding", "conv_reflect_at_limit",
               "conv_replicate_wider_than_input", "conv_circular_at_limit"}
    assert {name for name, flag in flags.items() if flag is not True} == refused
    assert flags["conv_sweep_0"] is True and flags["conv_sweep_1"] is True
    assert manifest["torch_compatible"] is False and manifest["sweep_torch_compatible"] is True
    assert json.loads((tmp_path / "conv" / "manifest.json").read_text()) == manifest
    for case, _ in read_vectors(tmp_path / "conv"):
        assert case.torch_compatible is flags[case.name]

    pooling = write_vectors(tmp_path / "max_pool", ops=["max_pool"], count=1)
    assert all(entry["torch_compatible"] is True for entry in pooling["cases"])
    assert pooling["torch_compatible"] is True

    drawn_freely = write_vectors(tmp_path / "free", ops=["max_pool"], count=1,
                                 torch_compatible=False)
    assert drawn_freely["cases"][-1]["torch_compatible"] is None     # nobody checked it
    assert drawn_freely["torch_compatible"] is False


def test_the_default_folder_has_no_adaptive_output_size_of_zero(tmp_path):
    """PyTorch's adaptive pooling backward refuses a size of 0 (the default folder's case 065
    held one): every drawn adaptive case has sizes of at least 1."""
    manifest = write_vectors(tmp_path, ops=["adaptive_avg_pool", "adaptive_max_pool"])
    for entry in manifest["cases"]:
        size = entry["parameters"]["output_size"]
        for entry_size in ([size] if isinstance(size, int) else size):
            assert entry_size is None or entry_size >= 1, entry["name"]


def test_an_op_named_twice_is_counted_once(tmp_path, capsys):
    # max_pool has 6 traps in the catalogue; --count 2 draws 2 more, once for max_pool
    assert main(["vectors", str(tmp_path), "--ops", "max_pool,max_pool", "--count", "2"]) == 0
    assert sum(entry["op"] == "max_pool" for entry in CATALOGUE) == 6
    out = capsys.readouterr().out
    assert "wrote 8 cases" in out and "6 from the catalogue, 2 drawn" in out
    names = [entry["name"] for entry in json.loads((tmp_path / "manifest.json").read_text())[
        "cases"]]
    assert len(names) == 8 and sum("_sweep_" in name for name in names) == 2


def test_ops_as_a_bare_string_is_refused_by_name(tmp_path):
    with pytest.raises(TypeError, match=r"^ops='conv' must be a sequence of op names"):
        write_vectors(tmp_path, ops="conv")
