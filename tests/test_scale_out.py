"""Grid search spread over an existing engine's worker processes gives the serial results."""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV

from sknn import NeuralNetClassifier

GRID = {"learning_rate": [1e-3, 3e-3], "n_ensemble": [1, 2]}


def small_search():
    X, y = load_breast_cancer(return_X_y=True)
    est = NeuralNetClassifier(max_iter=3, hidden_layer_sizes=(32,), random_state=0)
    return GridSearchCV(est, GRID, cv=2, scoring="neg_log_loss"), X, y


def assert_same_search(parallel, serial):
    assert parallel.best_params_ == serial.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_allclose(parallel.cv_results_[key], serial.cv_results_[key], atol=1e-6)


@pytest.fixture(scope="module")
def serial_search():
    search, X, y = small_search()
    return search.fit(X, y)


def test_dask_cluster_of_processes_gives_the_serial_results(serial_search):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        import torch  # noqa: F401 - imported here so workers' answer is torch's own

        threads = client.run(lambda: __import__("torch").get_num_threads())
        assert set(threads.values()) == {1}  # each worker within its one-thread share
        search, X, y = small_search()
        with parallel_config(backend="dask"):
            search.fit(X, y)
    assert_same_search(search, serial_search)


def test_ray_workers_give_the_serial_results(serial_search):
    ray = pytest.importorskip("ray", reason="ray is not installed")
    from ray.util.joblib import register_ray

    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as error:  # a sandbox that forbids Ray's processes or ports
        pytest.skip(f"Ray cannot start on this machine: {error}")
    try:
        register_ray()
        threads = ray.get(ray.remote(lambda: __import__("torch").get_num_threads()).remote())
        assert threads == 1  # Ray sets OMP_NUM_THREADS to the task's CPU share
        search, X, y = small_search()
        with parallel_config(backend="ray"):
            search.fit(X, y)
    finally:
        ray.shutdown()
    assert_same_search(search, serial_search)


def test_optuna_search_prunes_through_partial_fit():
    optuna = pytest.importorskip("optuna", reason="optuna is not installed")
    integration = pytest.importorskip("optuna_integration", reason="optuna-integration missing")
    import warnings

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    X, y = load_breast_cancer(return_X_y=True)
    study = optuna.create_study(
        direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2),
        sampler=optuna.samplers.TPESampler(seed=0),
    )
    search = integration.OptunaSearchCV(
        NeuralNetClassifier(hidden_layer_sizes=(64,), random_state=0),
        {"learning_rate": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True)},
        cv=2,
        n_trials=6,
        max_iter=8,  # partial_fit calls (epochs) per trial, each reported to the pruner
        enable_pruning=True,
        study=study,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna's experimental and deprecation notices
        search.fit(X, y)
    states = [trial.state.name for trial in study.trials]
    assert "PRUNED" in states and "COMPLETE" in states
    pruned = [len(t.intermediate_values) for t in study.trials if t.state.name == "PRUNED"]
    assert max(pruned) < 8  # stopped before its last epoch
    assert search.best_estimator_.score(X, y) > 0.9
