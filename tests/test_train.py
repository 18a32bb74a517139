"""Training on the digits: the fixed split, reproducibility, loops = im2col, the reports.

Every training here is tiny (a few batches); the full runs and their accuracy are measured
by hand and reported, never asserted (no timing, no accuracy thresholds of long runs).
"""

from typing import NamedTuple

import numpy as np
import pytest

from npconv import nn, optim
from npconv.tools import digits, train


@pytest.fixture(scope="module")
def split():
    return digits.load_split()


def test_split_is_fixed_stratified_disjoint_and_complete(split):
    assert {name: len(part.labels) for name, part in split.items()} == {
        "train": 1257, "validation": 180, "test": 360}
    assert list(np.bincount(split["test"].labels)) == [36] * 10
    assert list(np.bincount(split["validation"].labels)) == [18] * 10
    indices = digits.split_indices(digits.load_digits().labels)
    together = np.concatenate(list(indices.values()))
    assert sorted(together) == list(range(1797))                 # each image exactly once
    again = digits.split_indices(digits.load_digits().labels)
    assert all(np.array_equal(indices[name], again[name]) for name in indices)


def test_images_are_scaled_to_unit_range_with_one_channel(split):
    images = split["train"].images
    assert images.shape[1:] == (1, 8, 8) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0            # 0..16 divided by 16
    assert set(np.unique(images * 16)) <= set(range(17))


def test_split_indices_by_hand():
    labels = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    parts = digits.split_indices(labels, seed=3, test_per_class=1, validation_per_class=2)
    assert [len(parts[name]) for name in ("train", "validation", "test")] == [2, 4, 2]
    for indices in parts.values():
        assert np.bincount(labels[indices]).tolist() == [len(indices) // 2] * 2
    with pytest.raises(ValueError, match="class 0 has 4 images, too few"):
        digits.split_indices(labels, test_per_class=2, validation_per_class=2)


TINY = {"epochs": 2, "limit": 64, "batch_size": 32, "validation_limit": 20, "test_limit": 30}
TRAINERS = {"digits": train.train_digits, "autoencoder": train.train_autoencoder}


@pytest.fixture(scope="module", params=list(TRAINERS))
def reference(request):
    """The trainer and one tiny seeded run of it, shared by the tests that compare runs."""
    trainer = TRAINERS[request.param]
    return trainer, trainer(seed=0, **TINY)


def state_equal(first, second):
    return list(first) == list(second) and all(np.array_equal(first[k], second[k])
                                               for k in first)


def test_short_training_lowers_the_loss_and_is_bit_for_bit_reproducible(reference):
    trainer, first = reference
    second = trainer(seed=0, **TINY)
    other = trainer(seed=1, **TINY)
    losses = [record.loss for record in first.history]
    assert losses[-1] < losses[0]
    assert state_equal(first.model.state_dict(), second.model.state_dict())
    assert [r[:5] for r in first.history] == [r[:5] for r in second.history]   # all but time
    assert not state_equal(first.model.state_dict(), other.model.state_dict())


def test_the_test_set_is_never_used_for_training(reference, monkeypatch, split):
    """Scrambling the test images and labels changes nothing the training produced."""
    trainer, unchanged = reference
    rng = np.random.default_rng(0)
    scrambled = dict(split, test=digits.Digits(
        rng.random(split["test"].images.shape, dtype=np.float32),
        rng.permutation(split["test"].labels)))
    monkeypatch.setattr(train, "load_split", lambda: scrambled)
    blind = trainer(seed=0, **TINY)
    assert state_equal(unchanged.model.state_dict(), blind.model.state_dict())
    assert [r[:5] for r in unchanged.history] == [r[:5] for r in blind.history]


def one_step(build, method, state, x, target, loss):
    model = build(method).double()
    model.load_state_dict(state)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    loss(model(x), target)
    grad_input = model.backward(loss.backward())
    optimizer.step()
    return model, grad_input


@pytest.mark.parametrize("build", [train.digits_cnn, train.digits_autoencoder],
                         ids=["digits", "autoencoder"])
def test_loops_and_im2col_take_the_same_first_step(build, split):
    state = build().reset_parameters(np.random.default_rng(0)).double().state_dict()
    x = split["train"].images[:4].astype(np.float64)
    if build is train.digits_cnn:
        target, loss = split["train"].labels[:4], nn.CrossEntropyLoss()
    else:
        target, loss = x, nn.MSELoss()
    slow, slow_grad = one_step(build, "loops", state, x, target, loss)
    fast, fast_grad = one_step(build, "im2col", state, x, target, loss)
    np.testing.assert_allclose(slow_grad, fast_grad, rtol=1e-9, atol=1e-13)
    for (name, p_slow), (_, p_fast) in zip(slow.named_parameters(), fast.named_parameters()):
        np.testing.assert_allclose(p_slow.grad, p_fast.grad, rtol=1e-9, atol=1e-13,
                                   err_msg=name)
        np.testing.assert_allclose(p_slow.data, p_fast.data, rtol=1e-9, atol=1e-13,
                                   err_msg=name)
    assert {layer.method for layer in slow if hasattr(layer, "method")} == {"loops"}


def test_loops_settings_are_a_small_subset():
    settings = train.training_settings(train.DIGITS_DEFAULTS, "loops")
    assert settings["limit"] <= 64 and settings["test_limit"] <= 60
    assert train.training_settings(train.DIGITS_DEFAULTS, "im2col")["limit"] is None
    assert train.training_settings(train.DIGITS_DEFAULTS, "loops", limit=5)["limit"] == 5
    with pytest.raises(ValueError, match="epochs=0 must be an int >= 1"):
        train.training_settings(train.DIGITS_DEFAULTS, epochs=0)
    with pytest.raises(ValueError, match="lr=-1 must be > 0"):
        train.training_settings(train.DIGITS_DEFAULTS, lr=-1)


def test_the_two_networks_fit_the_shape_formulas():
    # classifier: 8 -> conv(3, p1) 8 -> pool 4 -> conv 4 -> pool 2; 32 channels * 2 * 2 = 128
    maps = train.feature_maps(train.digits_cnn(), np.zeros((1, 8, 8), dtype=np.float32))
    assert [array.shape for _, array in maps] == [
        (1, 8, 8), (16, 8, 8), (16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 4, 4), (32, 2, 2),
        (128,), (10,)]
    # autoencoder: floor((8 + 2 - 3) / 2) + 1 = 4, then 2, then 2 - 2 + 1 = 1; back up with
    # (1 - 1) * 1 + 2 = 2, (2 - 1) * 2 - 2 + 3 + 1 = 4, (4 - 1) * 2 - 2 + 3 + 1 = 8
    maps = train.feature_maps(train.digits_autoencoder(), np.zeros((1, 8, 8), np.float32))
    assert [array.shape[1:] for _, array in maps if array.ndim == 3] == [
        (8, 8), (4, 4), (4, 4), (2, 2), (2, 2), (1, 1), (2, 2), (2, 2), (4, 4), (4, 4),
        (8, 8), (8, 8)]
    code = train.encoder(train.digits_autoencoder())(np.zeros((3, 1, 8, 8)))
    assert code[0].size == train.CODE_SIZE == 16


def test_code_walk_runs_from_one_reconstruction_to_the_other(split):
    model = train.digits_autoencoder().reset_parameters(np.random.default_rng(0))
    first, second = split["test"].images[0], split["test"].images[1]
    codes, images = train.code_walk(model, first, second, steps=5)
    assert codes.shape == (5, 16, 1, 1) and images.shape == (5, 1, 8, 8)
    ends = model(np.stack([first, second]))
    np.testing.assert_allclose(images[[0, -1]], ends, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(codes[2], (codes[0] + codes[-1]) / 2, rtol=1e-5, atol=1e-6)


def test_cosine_learning_rate_and_batches():
    assert train.cosine_learning_rate(0.01, 0, 10) == 0.01
    assert train.cosine_learning_rate(0.01, 5, 10) == pytest.approx(0.005)
    assert train.cosine_learning_rate(0.01, 9, 10) == pytest.approx(
        0.01 * (1 + np.cos(np.pi * 0.9)) / 2)
    order = train.batches(10, 3, np.random.default_rng(0))
    assert [len(b) for b in order] == [3, 3, 3, 1]
    assert sorted(np.concatenate(order)) == list(range(10))


def test_confusion_matrix_counts_true_by_predicted():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predictions = np.array([0, 1, 1, 2, 0, 2])
    matrix = train.confusion_matrix(labels, predictions, classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]


class FakeDigits(NamedTuple):
    test_correct: int
    test_total: int

    @property
    def test_accuracy(self):
        return self.test_correct / self.test_total


class FakeAutoencoder(NamedTuple):
    test_mse: float
    baseline_mse: float

    @property
    def relative_error(self):
        return self.test_mse / self.baseline_mse


def test_final_lines_have_the_documented_form():
    assert train.accuracy_line(FakeDigits(355, 360)) == "test accuracy: 98.6% (355/360)"
    assert train.reconstruction_line(FakeAutoencoder(0.0093, 0.0727)) == (
        "test reconstruction MSE: 0.0093 (13% of the mean-image baseline 0.0727)")


def test_autoencoder_baseline_is_the_mean_training_image(split):
    result = train.train_autoencoder(seed=0, epochs=1, validation_limit=10, test_limit=30)
    mean_image = split["train"].images.mean(axis=0)              # all 1,257 training digits
    test = split["test"].images[:30]
    assert result.baseline_mse == pytest.approx(float(np.mean((test - mean_image) ** 2)))
    assert result.test_mse == pytest.approx(
        float(np.mean((result.reconstructions - test) ** 2)))


def test_training_page_shows_every_picture_its_script_draws_and_only_those():
    """docs/training.md's pictures (HTML img tags, which the docs link checker leaves to
    this test) exist, are small, and are exactly the ones make_training_pictures.py draws."""
    import importlib.util
    import re
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs"
    spec = importlib.util.spec_from_file_location("make_training_pictures",
                                                  docs / "make_training_pictures.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    drawn = {script.IMAGES / network / name
             for network, names in script.PICTURES.items() for name in names}
    shown = {(docs / source).resolve() for source in
             re.findall(r'<img src="([^"]+)"', (docs / "training.md").read_text())}
    assert shown == drawn
    for path in shown:
        assert path.stat().st_size < 200_000, path


def test_training_limits_blas_threads_only_while_it_runs():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    with train.limit_blas_threads(1):
        assert blas_threads() and set(blas_threads()) == {1}
    assert blas_threads() == before
    with train.limit_blas_threads(None):
        assert blas_threads() == before


@pytest.mark.parametrize("given, error, message", [
    ({"epochs": True}, TypeError, r"epochs=True must be an int >= 1, not bool"),
    ({"batch_size": 8.0}, TypeError, r"batch_size=8.0 must be an int >= 1, not float"),
    ({"lr": "0.1"}, TypeError, r"lr='0.1' must be a real number, not str"),
    ({"lr": float("nan")}, ValueError, r"lr=nan must be > 0"),
])
def test_training_settings_of_the_wrong_kind_are_refused_by_name(given, error, message):
    with pytest.raises(error, match=message):
        train.training_settings(train.DIGITS_DEFAULTS, **given)


def test_train_epoch_refuses_no_data_and_a_batch_size_of_zero():
    model = nn.Linear(2, 1)
    arguments = (nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="inputs is empty"):
        train.train_epoch(model, *arguments, np.zeros((0, 2)), np.zeros((0, 1)), 4,
                          np.random.default_rng(0))
    with pytest.raises(ValueError, match="batch_size=0 must be an int >= 1"):
        train.train_epoch(model, *arguments, np.zeros((3, 2)), np.zeros((3, 1)), 0,
                          np.random.default_rng(0))


def test_train_epoch_reports_the_mean_loss_and_accuracy_over_the_epoch():
    # lr 0: the model never changes, so the epoch's figures are those of one fixed model,
    # computed here over the whole set at once
    rng = np.random.default_rng(4)
    model = nn.Linear(3, 4).reset_parameters(rng).double()
    x, labels = rng.standard_normal((10, 3)), rng.integers(0, 4, size=10)
    logits = x @ model.weight.data.T + model.bias.data
    per_example = (np.log(np.exp(logits).sum(axis=1)) - logits[np.arange(10), labels])
    seen = []
    mean_loss, accuracy = train.train_epoch(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), x, labels, 4,
        np.random.default_rng(0), on_batch=lambda *figures: seen.append(figures))
    assert mean_loss == pytest.approx(per_example.mean(), rel=1e-12)
    assert accuracy == np.mean(logits.argmax(axis=1) == labels)
    assert [figures[:2] for figures in seen] == [(1, 3), (2, 3), (3, 3)]      # 4 + 4 + 2
    assert seen[-1][2:] == (mean_loss, accuracy)


def test_predict_leaves_the_model_in_the_mode_it_was_in():
    model = nn.Sequential(nn.Linear(2, 2))
    train.predict(model.eval(), np.zeros((3, 2)))
    assert not model.training
    train.predict(model.train(), np.zeros((3, 2)))
    assert model.training
