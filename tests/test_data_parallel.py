"""Data-parallel training on a Dask LocalCluster of 2 worker processes (issue 35, first part).

Two ranks, each training on its share of every global batch and summing the
gradients with ``torch.distributed`` (gloo), end an epoch with the weights a
single process reaches on the whole batches: the trainer is the same, only
its training data (``ShardedData``) and its gradient step
(``RankGroup``) know there are two.
"""

import contextlib
import pickle
import socket
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from sknn.training import EarlyStopping, History, Trainer, TrainingData
from sknn.training.data import weighted_mean
from sknn.training.data_parallel import RankGroup, RankStream, ShardedData, process_group
from sknn.training.optim import make_optimizer

distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
cloudpickle = pytest.importorskip("cloudpickle")
# the workers cannot import this test module: send its functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

RNG = np.random.default_rng(0)
N = 1001  # batches of 75 rows (37 + 38 a rank), then 26
X = RNG.normal(size=(N, 6)).astype(np.float32)
Y = (np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * RNG.normal(size=N)).astype(np.float32)
WEIGHT = RNG.uniform(0.2, 3.0, size=N).astype(np.float32)


def squared_error(out, y, weight):
    return weighted_mean((out.squeeze(-1) - y) ** 2, weight)


def train(rank: int, world: int, address: str | None, weighted: bool, epochs: int) -> dict:
    """The same network, data and seeds on every rank; the weights after ``epochs``."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1))
    optimizer = make_optimizer("adamw", net.parameters(), 1e-2, 1e-4, torch.device("cpu"))
    weight = torch.as_tensor(WEIGHT / WEIGHT.mean()) if weighted else None
    data = TrainingData(torch.as_tensor(X), torch.as_tensor(Y), weight)
    shards = None if world == 1 else ShardedData(data, rank, world)
    group = contextlib.nullcontext() if world == 1 else process_group(address, rank, world)
    with group:
        trainer = Trainer(
            net,
            squared_error,
            optimizer,
            batch_size=75,
            max_epochs=epochs,
            stopper=EarlyStopping(None, 0.0, monitor="train_loss"),
            generator=torch.Generator().manual_seed(7),
            ranks=None if shards is None else RankGroup(shards),
        )
        trainer.fit(data if shards is None else shards, None, History())
    return {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}


def train_own_rows(rank: int, world: int, address: str) -> dict:
    """Rank 0 holds 600 rows, rank 1 holds 150: they step together all the same."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = make_optimizer("adamw", net.parameters(), 1e-2, 1e-4, torch.device("cpu"))
    rows = slice(0, 600) if rank == 0 else slice(600, 750)
    own = TrainingData(torch.as_tensor(X[rows]), torch.as_tensor(Y[rows]))
    head = TrainingData(torch.as_tensor(X[:50]), torch.as_tensor(Y[:50]))
    stream = RankStream(own, 750, head, rank, world)
    steps = []
    with process_group(address, rank, world):
        group = RankGroup(stream)
        trainer = Trainer(
            net, squared_error, optimizer, batch_size=100, max_epochs=3,
            stopper=EarlyStopping(None, 0.0, monitor="train_loss"),
            generator=torch.Generator().manual_seed(rank), ranks=group,
        )  # fmt: skip
        original = group.gradients

        def counted(grads, params):
            steps.append(stream.rows)
            return original(grads, params)

        trainer.stepper.reduce_gradients = counted
        history = History()
        trainer.fit(stream, None, history)
    weights = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    return {"weights": weights, "steps": steps, "loss": history.column("train_loss")}


def free_address() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


@contextlib.contextmanager
def two_workers():
    """A client of a LocalCluster of 2 worker processes, 1 thread each, closed after."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def client():
    with two_workers() as client:
        yield client


def on_two_workers(client, weighted: bool, epochs: int) -> list[dict]:
    workers = sorted(client.scheduler_info()["workers"])
    address = free_address()
    futures = [
        client.submit(
            train, rank, 2, address, weighted, epochs, workers=[w], pure=False,
            allow_other_workers=False,
        )
        for rank, w in enumerate(workers)
    ]  # fmt: skip
    return client.gather(futures)


def test_data_parallel_without_a_dask_client_names_the_fix():
    # before any test starts the module's cluster
    from sknn import NeuralNetRegressor

    with pytest.raises(ValueError, match="no workers|Client"):
        NeuralNetRegressor(data_parallel="dask", max_iter=1).fit(X, Y)
    # what it cannot do yet, named before any training
    from sknn.training import Callback

    with pytest.raises(ValueError, match="callbacks"):
        NeuralNetRegressor(data_parallel="dask", callbacks=[Callback()]).fit(X, Y)
    with pytest.raises(ValueError, match="module of your own"):
        NeuralNetRegressor(
            data_parallel="dask", module=nn.Linear, module__in_features=6, module__out_features=1
        ).fit(X, Y)


@pytest.mark.parametrize("weighted", [False, True])
def test_two_ranks_reach_the_weights_of_one_process(client, weighted):
    one = train(0, 1, None, weighted, epochs=1)
    ranks = on_two_workers(client, weighted, epochs=1)
    for name, value in one.items():
        # the ranks hold the same network, bit for bit
        np.testing.assert_array_equal(ranks[0][name], ranks[1][name])
        # and the single process's, up to the order of float additions
        np.testing.assert_allclose(ranks[0][name], value, rtol=1e-5, atol=1e-6)
    # several epochs (a fresh row order each) stay together too
    three = train(0, 1, None, weighted, epochs=3)
    again = on_two_workers(client, weighted, epochs=3)
    for name, value in three.items():
        np.testing.assert_allclose(again[0][name], value, rtol=1e-4, atol=1e-5)


def test_a_rank_gets_its_contiguous_share_and_a_weightless_stand_in():
    data = TrainingData(torch.arange(10.0).reshape(5, 2), torch.arange(5.0))
    shares, rows = [], []
    for rank in range(2):
        shards = ShardedData(data, rank, 2)
        for _, y, _ in shards.batches(3, None, shuffle=False):
            rows.append((rank, y.tolist()))
            shares.append((rank, shards.share))
    # batches [0, 1, 2] and [3, 4]: rank 0 takes [0] and [3], rank 1 [1, 2] and [4]
    assert rows == [(0, [0.0]), (0, [3.0]), (1, [1.0, 2.0]), (1, [4.0])]
    assert shares == [(0, 1.0), (0, 1.0), (1, 2.0), (1, 1.0)]  # their rows, unweighted
    one_row = TrainingData(torch.zeros(1, 2), torch.zeros(1))
    stand_in = ShardedData(one_row, 0, 2)
    [(_, y, w)] = stand_in.batches(4, None, shuffle=False)
    assert len(y) == 1 and w.tolist() == [0.0] and stand_in.share == 0.0
    # a rank whose slice weighs nothing counts for nothing (no 0 / 0)
    weighted = TrainingData(torch.zeros(4, 2), torch.zeros(4), torch.tensor([0.0, 0, 1, 1]))
    first = ShardedData(weighted, 0, 2)
    [(_, _, w)] = first.batches(4, None, shuffle=False)
    assert first.share == 0.0 and weighted_mean(torch.ones(2), w).item() == 0.0
    with pytest.raises(ValueError, match="rank"):
        ShardedData(data, 2, 2)


def test_an_estimator_fitted_on_two_workers_is_the_one_process_fit(client):
    """data_parallel="dask": one estimator, the same model as a one-process fit."""
    from sklearn.datasets import make_classification

    from sknn import NeuralNetClassifier, NeuralNetRegressor

    X_clf, y_clf = make_classification(n_samples=1200, n_features=8, random_state=0)
    frame = pd.DataFrame(X_clf, columns=[f"x{i}" for i in range(8)])
    frame["city"] = pd.Categorical(RNG.choice(["Oslo", "Lima", "Pune"], size=len(frame)))
    # one held-out split: a data-parallel fit does not cross-fit (one process
    # would on these 1,200 rows)
    params = {"max_iter": 4, "random_state": 0, "n_threads": 1, "early_stopping": True}
    one = NeuralNetClassifier(**params).fit(frame, y_clf)
    two = NeuralNetClassifier(data_parallel="dask", **params).fit(frame, y_clf)
    assert type(two) is NeuralNetClassifier and two.n_iter_ == one.n_iter_
    np.testing.assert_allclose(two.predict_proba(frame), one.predict_proba(frame), atol=1e-4)
    assert two.history_.column("valid_loss") == pytest.approx(
        one.history_.column("valid_loss"), rel=1e-4
    )
    assert two.temperature_ == pytest.approx(one.temperature_, rel=1e-3)
    # reproducible, and an ordinary fitted model: pickles and predicts without the cluster
    again = NeuralNetClassifier(data_parallel="dask", **params).fit(frame, y_clf)
    np.testing.assert_array_equal(again.predict_proba(frame), two.predict_proba(frame))
    loaded = pickle.loads(pickle.dumps(two))
    np.testing.assert_array_equal(loaded.predict_proba(frame), two.predict_proba(frame))
    reg_one = NeuralNetRegressor(**params).fit(frame, X_clf[:, 0] * 2 + y_clf)
    reg_two = NeuralNetRegressor(data_parallel="dask", **params).fit(frame, X_clf[:, 0] * 2 + y_clf)
    np.testing.assert_allclose(reg_two.predict(frame), reg_one.predict(frame), atol=1e-4)


def test_a_lost_rank_ends_training_as_ctrl_c_does():
    """The gradient sum failing mid-epoch stops the trainer with the weights so far."""
    from sknn.training.data_parallel import RankLost

    calls = []

    class FailingGroup:
        def gradients(self, grads, params):
            calls.append(1)
            if len(calls) == 20:  # in the second epoch (14 steps an epoch)
                raise RankLost("a rank of the data-parallel group was lost (test)")
            return grads

        def rows(self):
            return 75.0

        def epoch_sums(self, total, reported, rows):
            return total, reported, rows

    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = make_optimizer("adamw", net.parameters(), 1e-2, 0.0, torch.device("cpu"))
    trainer = Trainer(
        net, squared_error, optimizer, batch_size=75, max_epochs=5,
        stopper=EarlyStopping(None, 0.0, monitor="train_loss"), ranks=FailingGroup(),
    )  # fmt: skip
    history = History()
    trainer.fit(TrainingData(torch.as_tensor(X), torch.as_tensor(Y)), None, history)
    assert isinstance(trainer.interrupted, RankLost) and trainer.epoch == 2
    assert len(history) == 1 and "interrupted in epoch 2" in trainer.stop_reason()
    assert all(torch.isfinite(p).all() for p in net.parameters())


@contextlib.contextmanager
def losing_a_worker(rank: int, after: float = 8.0):
    """Two workers, the one of ``rank`` (sorted addresses: the fit's ranks) killed ``after``
    seconds in; yields the rows and targets to fit and an estimator of 1,000 epochs."""
    import os
    import threading
    import time

    from sknn import NeuralNetRegressor

    rows = np.random.default_rng(1).normal(size=(20_000, 6)).astype(np.float32)
    target = np.sin(rows[:, 0]) + rows[:, 1]
    with two_workers() as own:
        gone = sorted(own.scheduler_info()["workers"])[rank]

        def kill():
            time.sleep(after)  # training is under way
            with contextlib.suppress(Exception):
                own.run(os._exit, 1, workers=[gone])

        threading.Thread(target=kill, daemon=True).start()
        est = NeuralNetRegressor(
            data_parallel="dask", max_iter=1000, n_iter_no_change=1000, random_state=0
        )
        yield rows, target, est


def test_a_worker_lost_mid_fit_leaves_a_usable_model_and_says_so():
    # 15 s: an epoch must have finished first, which took over 8 s on a loaded machine
    with (
        losing_a_worker(1, after=15.0) as (rows, target, est),
        pytest.warns(RuntimeWarning, match="lost"),
    ):
        est.fit(rows, target)
    assert 1 <= est.n_iter_ < 1000 and est.best_epoch_ is not None
    assert est.score(rows, target) > 0.5  # the best epoch before the loss, restored


def test_a_rank_group_sums_gradients_and_epoch_losses_and_keeps_unused_parameters_unused():
    """One rank's group (world 1): what each rank sends and gets back."""
    data = TrainingData(torch.zeros(3, 2), torch.zeros(3))
    shards = ShardedData(data, 0, 1)
    with process_group(free_address(), 0, 1):
        group = RankGroup(shards)
        used, unused = torch.ones(2, 2), torch.ones(3)
        shards.share, shards.rows, shards.more = 2.5, 4, False  # 4 rows weighing 2.5
        summed = group.gradients([torch.full((2, 2), 2.0), None], [used, unused])
        # the one rank's gradient is the whole batch's; a parameter without one stays None
        assert summed[0].tolist() == [[2.0, 2.0], [2.0, 2.0]] and summed[1] is None
        assert group.rows() == 4.0 and shards.any_more is False
        shards.share, shards.rows = 0.0, 0  # a stand-in: even a NaN gradient sends nothing
        summed = group.gradients([torch.full((2, 2), float("nan")), None], [used, unused])
        assert summed[0].tolist() == [[0.0, 0.0], [0.0, 0.0]] and group.rows() == 0.0
        total, reported, rows = group.epoch_sums(torch.tensor(6.0), None, 3.0)
        assert (total.item(), reported, rows) == (6.0, None, 3.0)


def test_ranks_decide_alike_without_validation_data_and_with_weightless_rows(client):
    """No validation split: every rank stops, schedules and records on the whole epoch's
    training loss; rows of zero weight (a whole rank's slice of them) change nothing."""
    from sknn import NeuralNetRegressor

    weight = WEIGHT.copy()
    weight[:300] = 0.0  # whole slices and batches of zero weight
    params = {
        "max_iter": 30, "early_stopping": False, "lr_schedule": "plateau", "n_iter_no_change": 2,
        "batch_size": 64, "random_state": 0, "n_threads": 1,
    }  # fmt: skip
    one = NeuralNetRegressor(**params).fit(X, Y, sample_weight=weight)
    two = NeuralNetRegressor(data_parallel="dask", **params).fit(X, Y, sample_weight=weight)
    # the same curve up to float drift, which may flip a borderline stop by an epoch
    assert abs(two.n_iter_ - one.n_iter_) <= 1 and two.n_iter_ > 10
    n = min(two.n_iter_, one.n_iter_)
    # rounding of the summed gradients grows over the epochs: on the CI machine
    # of 2026-12-05 (at this commit's parent too) the curves parted by 1.01e-3
    # relative by epoch 28 and the predictions by 3.6e-3 (targets of scale 1)
    np.testing.assert_allclose(two.loss_curve_[:n], one.loss_curve_[:n], rtol=2e-3)
    lr = two.history_.column("lr")[:n]
    assert lr == pytest.approx(one.history_.column("lr")[:n], rel=1e-6) and len(set(lr)) > 1
    np.testing.assert_allclose(two.predict(X), one.predict(X), atol=5e-3)


def test_workers_sharing_a_process_and_fits_inside_a_dask_task_are_refused(client):
    from sknn import NeuralNetRegressor

    est = NeuralNetRegressor(data_parallel="dask", max_iter=1)
    with pytest.raises(ValueError, match="inside a Dask task"):
        client.submit(est.fit, X, Y, pure=False).result()
    with (
        distributed.LocalCluster(n_workers=2, processes=False, dashboard_address=None) as threads,
        distributed.Client(threads, set_as_default=False) as in_one_process,
        in_one_process.as_current(),
        pytest.raises(ValueError, match="process of its own"),
    ):
        est.fit(X, Y)


def fail_in_training(after_steps: int) -> None:
    """Make this worker's rank raise MemoryError at its ``after_steps``-th gradient step."""
    from sknn.training.data_parallel import RankGroup

    original = RankGroup.gradients
    steps = []

    def failing(self, grads, params):
        steps.append(1)
        if len(steps) == after_steps:
            raise MemoryError("test: out of memory on this worker")
        return original(self, grads, params)

    RankGroup.gradients = failing


def fail_before_joining() -> None:
    """Make this worker's rank fail before it joins the process group."""
    from sknn.neural_net import _data_parallel

    def refused(*args, **kwargs):
        raise OSError("test: connection refused")

    _data_parallel.process_group = refused


def test_a_rank_failing_mid_fit_or_before_joining_is_reported_without_a_wait():
    import time

    from sknn import NeuralNetRegressor

    with two_workers() as own:
        second = sorted(own.scheduler_info()["workers"])[1]
        own.run(fail_in_training, 60, workers=[second])
        est = NeuralNetRegressor(data_parallel="dask", max_iter=20, random_state=0)
        with pytest.warns(RuntimeWarning) as caught:
            est.fit(X, Y)
        messages = " ".join(str(w.message) for w in caught)
        assert "lost" in messages and "MemoryError: test: out of memory" in messages
        assert 1 <= est.n_iter_ < 20 and np.isfinite(est.predict(X)).all()
        # a rank that never joins: the fit fails at once (rank 0 would wait 300 s for it)
        own.restart()
        second = sorted(own.scheduler_info()["workers"])[1]
        own.run(fail_before_joining, workers=[second])
        tic = time.perf_counter()
        with pytest.raises(RuntimeError, match=f"worker {second}.*connection refused"):
            NeuralNetRegressor(data_parallel="dask", max_iter=20).fit(X, Y)
        assert time.perf_counter() - tic < 60


def test_a_dask_dataframe_trains_on_the_workers_each_streaming_its_own_partitions(client):
    """Each rank reads its own partitions (0 and 2 on one, 1 on the other: unequal), the
    encoder comes from the one pass; the row order differs from one process's stream, so
    the held-out score is compared over 3 seeds, within 2 standard errors."""
    from sklearn.datasets import make_classification

    from sknn import NeuralNetClassifier

    dd = pytest.importorskip("dask.dataframe")
    X_all, y_all = make_classification(
        n_samples=4000, n_features=8, n_informative=5, random_state=0
    )
    frame = pd.DataFrame(X_all, columns=[f"x{i}" for i in range(8)])
    frame["city"] = pd.Categorical(RNG.choice(["Oslo", "Lima", "Pune"], size=len(frame)))
    test, y_test = frame.iloc[3000:], y_all[3000:]
    lazy_X = dd.from_pandas(frame.iloc[:3000], npartitions=3)
    lazy_y = dd.from_pandas(pd.Series(y_all[:3000]), npartitions=3)
    one, two = [], []
    for seed in range(3):
        params = {"max_iter": 8, "random_state": seed, "n_threads": 1}
        streamed = NeuralNetClassifier(**params).fit(lazy_X, lazy_y)
        shared = NeuralNetClassifier(data_parallel="dask", **params).fit(lazy_X, lazy_y)
        one.append(streamed.score(test, y_test))
        two.append(shared.score(test, y_test))
        assert shared.encoder_.categories_ == streamed.encoder_.categories_
    p = np.mean(one)
    standard_error = np.sqrt(p * (1 - p) / len(test))  # of a held-out accuracy
    assert abs(np.mean(two) - p) <= 2 * standard_error and p > 0.85
    # reproducible for a fixed seed, and an ordinary fitted model
    again = NeuralNetClassifier(data_parallel="dask", **params).fit(lazy_X, lazy_y)
    np.testing.assert_array_equal(again.predict_proba(test), shared.predict_proba(test))
    loaded = pickle.loads(pickle.dumps(shared))
    np.testing.assert_array_equal(loaded.predict_proba(test), shared.predict_proba(test))


def test_ranks_holding_unequal_rows_step_together_and_end_each_epoch_together(client):
    workers = sorted(client.scheduler_info()["workers"])
    address = free_address()
    futures = [
        client.submit(train_own_rows, rank, 2, address, workers=[w], pure=False)
        for rank, w in enumerate(workers)
    ]
    first, second = client.gather(futures)
    # 50 rows a step each: rank 0 takes 12 steps an epoch, rank 1 has rows for 3 and
    # stands in (0 rows) for the other 9; the same weights and losses on both
    assert first["steps"] == [50] * 36
    assert second["steps"] == ([50] * 3 + [0] * 9) * 3
    for name, value in first["weights"].items():
        np.testing.assert_array_equal(second["weights"][name], value)
    assert first["loss"] == second["loss"] and len(first["loss"]) == 3


def test_a_frame_persisted_on_the_cluster_fits_as_it_would_unpersisted(client):
    # the stream computed each partition with dask's synchronous scheduler, which cannot
    # read what .persist() keeps on the cluster: dask's raw "Missing dependency" ValueError
    import dask.dataframe as dd

    from sknn import NeuralNetClassifier

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=600), "b": rng.normal(size=600)})
    label = pd.Series(np.where(frame["a"] + frame["b"] > 0, "yes", "no"), name="label")
    lazy_X, lazy_y = dd.from_pandas(frame, npartitions=3), dd.from_pandas(label, npartitions=3)
    params = {"max_iter": 3, "random_state": 0, "early_stopping": True}
    kept = NeuralNetClassifier(**params).fit(lazy_X.persist(), lazy_y.persist())
    plain = NeuralNetClassifier(**params).fit(lazy_X, lazy_y)
    np.testing.assert_array_equal(kept.predict_proba(frame), plain.predict_proba(frame))
    # a data-parallel fit's ranks computed their partitions on their workers, which cannot
    # read them (dask's raw "Missing dependency" from inside a rank): the ranks receive them
    spread = NeuralNetClassifier(data_parallel="dask", **params)
    spread.fit(lazy_X.persist(), lazy_y)
    spread_plain = NeuralNetClassifier(data_parallel="dask", **params).fit(lazy_X, lazy_y)
    np.testing.assert_array_equal(spread.predict_proba(frame), spread_plain.predict_proba(frame))
    assert spread.history_.column("train_loss") == spread_plain.history_.column("train_loss")


def test_losing_rank_0s_worker_fails_the_fit_instead_of_hanging():
    # rank 0's task is bound to its worker: a worker restarted under a new address left
    # it waiting for ever, and fit never returned
    with losing_a_worker(0) as (rows, target, est):
        with pytest.raises(RuntimeError, match="rank 0's worker .* left the cluster"):
            est.fit(rows, target)
    assert not hasattr(est, "module_")  # nothing half-trained kept


def test_a_data_parallel_fit_in_a_searchs_worker_process_says_why_it_has_no_client():
    # the parent's client is not visible in joblib's worker processes: the message said
    # "there is none: start one first", though one was running
    from sklearn.model_selection import cross_val_score

    from sknn import NeuralNetClassifier

    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    est = NeuralNetClassifier(data_parallel="dask", max_iter=1)
    with pytest.raises(ValueError, match="worker process of a parallel job"):
        cross_val_score(est, X, y, cv=2, n_jobs=2, error_score="raise")
