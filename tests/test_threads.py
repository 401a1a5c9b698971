"""The thread policy: measured, never above the caller's limit, never changing the model."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from sklearn.model_selection import cross_val_predict
from threadpoolctl import threadpool_limits

from sknn import NeuralNetClassifier
from sknn.training.thread_tuner import ThreadTuner


class FakeClock:
    """Batch times that depend on the thread count in use: a machine model."""

    def __init__(self, seconds_per_batch):
        self.seconds_per_batch = seconds_per_batch  # n_threads -> seconds
        self.now = 0.0

    def __call__(self):
        return self.now

    def run_batches(self, tuner, n):
        for i in range(n):
            tuner.on_batch_begin({"epoch": 1, "batch": i + 1})
            self.now += self.seconds_per_batch[torch.get_num_threads()]
            tuner.on_batch_end({"epoch": 1, "batch": i + 1})


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(
    ("times", "chosen"),
    [
        ({1: 1.0, 2: 0.7}, 2),  # quiet machine, large network: two threads win
        ({1: 1.0, 2: 5.0}, 1),  # a busy core: the second thread stalls
        ({1: 1.0, 2: 0.95}, 1),  # within the margin: one thread cannot stall
    ],
)
def test_tuner_keeps_the_faster_count(restore_threads, times, chosen):
    clock = FakeClock(times)
    tuner = ThreadTuner(2, clock=clock)
    tuner.on_train_begin({})
    while not tuner.trials:
        clock.run_batches(tuner, 1)
    assert tuner.trials[0]["chosen"] == chosen
    assert tuner.n_threads == chosen == torch.get_num_threads()


def test_tuner_follows_the_load_as_it_changes(restore_threads):
    clock = FakeClock({1: 1.0, 2: 0.7})
    tuner = ThreadTuner(2, recheck_seconds=50.0, clock=clock)
    tuner.on_train_begin({})
    while not tuner.trials:
        clock.run_batches(tuner, 1)
    assert tuner.n_threads == 2
    clock.seconds_per_batch = {1: 1.0, 2: 6.0}  # another process starts
    clock.run_batches(tuner, 200)
    assert tuner.n_threads == 1
    assert tuner.trials[0]["chosen"] == 2 and tuner.trials[-1]["chosen"] == 1
    # a lopsided trial ends after one round: little time spent on the slow count
    lopsided = [t for t in tuner.trials if t["many"] > 2 * t["one"]]
    assert lopsided


def test_a_single_thread_ceiling_needs_no_trial(restore_threads):
    clock = FakeClock({1: 1.0})
    tuner = ThreadTuner(1, clock=clock)
    tuner.on_train_begin({})
    clock.run_batches(tuner, 30)
    assert tuner.trials == [] and tuner.n_threads == 1


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=1500, n_features=20, random_state=0)
    return X, y


def _large(**kwargs):
    # big enough per step for the tuner to run (3 x batch x multiply-adds > 20M)
    params = {"hidden_layer_sizes": (256, 256), "max_iter": 3, "random_state": 0}
    return NeuralNetClassifier(**{**params, **kwargs})


def test_pinned_and_measured_counts_give_the_same_model(data, restore_threads):
    X, y = data
    one = _large(n_threads=1).fit(X, y)
    assert one.n_threads_ == 1
    two = _large(n_threads=2).fit(X, y)
    assert two.n_threads_ == 2
    measured = _large().fit(X, y)
    assert measured.n_threads_ in (1, torch.get_num_threads())
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
    np.testing.assert_array_equal(one.predict_proba(X), measured.predict_proba(X))


def test_the_same_model_beside_a_busy_process(data):
    X, y = data
    quiet = _large().fit(X, y).predict_proba(X)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = _large().fit(X, y).predict_proba(X)
    finally:
        spinner.kill()
        spinner.wait()
    np.testing.assert_array_equal(busy, quiet)


def test_never_more_threads_than_the_caller_allows(data):
    X, y = data
    with threadpool_limits(limits=1):
        clf = _large().fit(X, y)
    assert clf.n_threads_ == 1


def test_the_same_predictions_with_parallel_workers(data):
    X, y = data
    params = {"hidden_layer_sizes": (32,), "max_iter": 3, "random_state": 0}
    serial = cross_val_predict(NeuralNetClassifier(**params), X, y, cv=2, n_jobs=1)
    parallel = cross_val_predict(NeuralNetClassifier(**params), X, y, cv=2, n_jobs=2)
    np.testing.assert_array_equal(serial, parallel)


def test_the_callers_thread_count_comes_back_whatever_the_block_set(restore_threads):
    # when the count asked equalled the caller's, a tuner that settled on one thread
    # inside the block left torch on one thread after the fit: later fits (the next grid
    # search candidate) saw a ceiling of one and trained another model
    from sknn.training import torch_threads

    torch.set_num_threads(2)
    with torch_threads(2):
        torch.set_num_threads(1)  # what ThreadTuner does on a busy machine
    assert torch.get_num_threads() == 2
    with torch_threads(1):
        pass
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_fits_in_threads_give_the_models_they_give_one_after_another(data, dropout):
    # fits in threads of one process (joblib's threading backend, a Dask worker with two
    # threads) reseeded torch's global generator under each other: up to 0.19 apart
    from concurrent.futures import ThreadPoolExecutor

    X, y = data
    params = {"hidden_layer_sizes": (64, 64), "max_iter": 4, "n_threads": 1}

    def fitted(seed):
        est = NeuralNetClassifier(dropout=dropout, random_state=seed, **params)
        return est.fit(X, y).predict_proba(X)

    alone = [fitted(seed) for seed in range(4)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(fitted, range(4)))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)
