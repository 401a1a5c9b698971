"""``data_parallel="dask"``: one fit trained on the workers of a running Dask client.

The client prepares everything as for a fit in one process (the encoder, the
validation split, the network and its optimizer), then ships the estimator and
the encoded training and validation rows to each of the cluster's ``k``
workers. Worker ``r`` joins a ``torch.distributed`` (gloo) group of ``k`` ranks
and runs the usual training on its share of every global batch
(:mod:`sknn.training.data_parallel`): the batch size and the learning rate are
the global batch's, the row order is the one-process fit's, and the weights
stay identical on every rank. Every rank evaluates the whole validation set,
so early stopping, the best-epoch restore and the calibration decide alike;
rank 0's fitted estimator comes back and replaces the client's: an ordinary
fitted model. A Dask DataFrame is never gathered: ``_streamed.py``'s pass fits
the encoder and picks the validation rows, then each rank streams its own
partitions (:class:`~sknn.training.data_parallel.RankStream`); partitions of a
collection persisted on the cluster (``.persist()``) come to each rank with its
task, from the cluster's memory, as only the scheduler can compute them.

Dask is the engine because sknn already reads and predicts Dask collections,
and its workers are where an analyst's cluster already runs; Ray Train would
bring its own trainer loop around ours.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import socket
import warnings
from typing import Any
from urllib.parse import urlsplit

import torch

from sknn.neural_net._inputs import input_path
from sknn.training import TrainingData
from sknn.training.data_parallel import RankGroup, ShardedData, process_group


def dask_workers(est) -> tuple[Any, list[str]]:
    """The running Dask client and its workers' addresses, or a clear error."""
    name = type(est).__name__
    try:
        from distributed import get_client, get_worker
    except ImportError as error:
        raise ImportError(
            f'{name}(data_parallel="dask") trains on the workers of a Dask cluster; '
            "install the dask extra: pip install 'sknn[dask]'."
        ) from error
    try:
        client = get_client()
    except ValueError as error:
        if multiprocessing.parent_process() is not None:  # a joblib (loky) worker process
            raise ValueError(
                f'{name}(data_parallel="dask") runs in a worker process of a parallel job '
                "(a search or cross-validation with n_jobs), which cannot reach the Dask "
                "client of the process that started it. Fit data-parallel outside the "
                "search, or search with data_parallel=None."
            ) from error
        raise ValueError(
            f'{name}(data_parallel="dask") trains on the workers of a running Dask client, '
            "and there is none: start one first, e.g. Client(LocalCluster(n_workers=2, "
            "threads_per_worker=1)) or Client('tcp://scheduler:8786')."
        ) from error
    try:
        get_worker()
    except ValueError:
        pass
    else:
        raise ValueError(
            f'{name}(data_parallel="dask") cannot run inside a Dask task (such as a grid '
            "search on the dask backend): its ranks would wait for the workers running "
            "it. Search with data_parallel=None, or fit data-parallel outside the search."
        )
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        raise ValueError("The Dask client has no workers yet; wait for them to join and refit.")
    try:
        processes = client.run(_process, workers=workers)
    except ImportError as error:
        raise _missing_packages(error) from error
    if len(set(processes.values())) < len(workers):
        raise ValueError(
            f'{name}(data_parallel="dask") needs each Dask worker in a process of its own '
            "(one torch.distributed rank a process), and some of these workers share one: "
            "start the cluster with processes, e.g. LocalCluster(n_workers=2, "
            "threads_per_worker=1, processes=True), or dask worker processes on each machine."
        )
    return client, workers


def _missing_packages(error: ImportError) -> ImportError:
    return ImportError(
        f"A Dask worker cannot import what the fit needs ({error}); install the same "
        "sknn (with its dask extra) and torch on every worker machine, then fit again."
    )


def _free_port() -> int:
    """A TCP port free on this machine (run on rank 0's worker)."""
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


_WATCH_SECONDS = 2.0  # how often the client checks that rank 0's worker is still there


class RankFailed(RuntimeError):
    """A rank other than 0 failed after joining the group: rank 0 ends the fit as for a
    lost rank (its next gradient sum fails), keeping what was trained."""


def _process() -> tuple[str, int]:
    """The machine and process a worker runs in."""
    return socket.gethostname(), os.getpid()


def _train_rank(est, rank_data, valid, seed, incremental, rank, world, address, parts=None):
    """One rank's training; rank 0 returns the fitted estimator and its warnings.

    ``parts``: the rank's partitions of a collection persisted on the cluster, which
    the scheduler sent with the task (they are not computed on the worker).
    """
    if est.dropout > 0:  # its dropout masks; other fits seed in blocks of their own
        torch.manual_seed(seed + rank)  # (a lock held across the group's steps could deadlock)
    shards = rank_data(rank, world) if parts is None else rank_data(rank, world, parts)
    with warnings.catch_warnings(record=True) as caught, process_group(address, rank, world):
        warnings.simplefilter("always")
        group = est._ranks = RankGroup(shards)
        try:
            device, raw = torch.device("cpu"), (None, None, None)
            est._train(input_path(est), shards, valid, device, seed, incremental, raw)
        except Exception as error:
            if rank == 0:
                raise
            raise RankFailed(f"{type(error).__name__}: {error}") from error
        finally:
            del est._ranks
    if rank != 0:
        return None
    return est, [(str(w.message), w.category) for w in caught], group.lost


def _refuse(est) -> None:
    """What a data-parallel fit cannot do yet, refused by name before training."""
    name = type(est).__name__
    if est.module is not None:
        raise ValueError(
            f'{name}(data_parallel="dask") trains sknn\'s own network; a module of your '
            "own trains in one process (data_parallel=None)."
        )
    if est.callbacks or getattr(est, "_skl_callbacks", None):
        raise ValueError(
            f'{name}(data_parallel="dask") runs the epochs on the workers, where callbacks '
            "would act on copies; drop callbacks (history_ holds every epoch) or fit with "
            "data_parallel=None."
        )


def _await_rank_0(client, futures: list, worker: str) -> None:
    """Wait for rank 0's task (or the port it listens on): raise a failure of another rank
    that never joined the group (rank 0 would wait for it in vain), and a ``RuntimeError``
    when rank 0's worker leaves the cluster (its task, bound to that worker, would wait for
    it for ever: under load the worker of a test left before the port was found)."""
    from distributed import wait
    from distributed.scheduler import KilledWorker

    others = set(futures[1:])
    while futures[0].status == "pending":
        try:
            wait([futures[0], *others], timeout=_WATCH_SECONDS, return_when="FIRST_COMPLETED")
        except TimeoutError:
            if worker not in client.scheduler_info()["workers"]:
                raise RuntimeError(
                    f"rank 0's worker {worker} left the cluster during the fit"
                ) from None
        for done in [f for f in others if f.status != "pending"]:
            others.discard(done)
            failure = done.exception() if done.status == "error" else None
            if failure is not None and not isinstance(failure, (RankFailed, KilledWorker)):
                raise failure


def train_on_dask(
    est, train, valid, seed: int, incremental: bool, persisted: list | None = None
) -> None:
    """Train ``est`` (network and optimizer built) on the Dask client's workers.

    ``train``: the training rows in memory (every rank takes its share of each
    global batch), or ``rank_data(rank, world)`` building a rank's own rows on
    its worker (a :class:`~sknn.training.data_parallel.RankStream` of its
    partitions). ``persisted``: the delayed partitions of a collection persisted
    on the cluster (only its scheduler can compute them): rank ``r`` of ``k``
    receives partitions ``r``, ``r + k``, ... with its task, from the cluster's
    memory, and ``rank_data(rank, world, parts)`` streams them.

    Rank 0's result is the fit: a rank lost mid-fit ends it on rank 0 as Ctrl-C
    does (the best epoch so far, or the last step all ranks made, with a
    warning); losing rank 0's worker loses the fit, and says so.
    """
    _refuse(est)
    client, workers = dask_workers(est)  # a clear ImportError without distributed
    from distributed import wait

    est.device_ = torch.device("cpu")  # where the shipped network lives
    # rank 0 listens on its worker's host, which every worker already reaches
    port = client.submit(_free_port, workers=[workers[0]], pure=False)
    _await_rank_0(client, [port], workers[0])  # bound to that worker too: it may leave
    port = port.result()
    address = f"{urlsplit(workers[0]).hostname}:{port}"
    rank_data = functools.partial(ShardedData, train) if isinstance(train, TrainingData) else train
    shipped = client.scatter([est, rank_data, valid], broadcast=True)
    held = None if persisted is None else client.compute(persisted)
    world = len(workers)
    futures = [
        client.submit(
            _train_rank, *shipped, seed, incremental, rank, world, address,
            None if held is None else held[rank::world],
            workers=[worker], allow_other_workers=False, pure=False, retries=0,
        )
        for rank, worker in enumerate(workers)
    ]  # fmt: skip
    try:
        _await_rank_0(client, futures, workers[0])
        fitted, caught, lost = futures[0].result()
        if lost:  # let the lost rank's own error reach the client, to say why
            with contextlib.suppress(TimeoutError):
                wait(futures[1:], timeout=10)
        failures = [
            (rank, workers[rank], future.exception())
            for rank, future in enumerate(futures)
            if rank > 0 and future.status == "error"
        ]
    except Exception as error:
        client.cancel(futures[:1])
        if isinstance(error, ImportError):  # a worker without sknn, torch or their extras
            raise _missing_packages(error) from error
        if isinstance(error, (ValueError, TypeError)):
            raise
        failed = [w for w, f in zip(workers, futures, strict=True) if f.status == "error"]
        raise RuntimeError(
            f"The data-parallel fit failed on the Dask worker {(failed or workers)[0]}: "
            f"{type(error).__name__}: {error}. Nothing it trained was kept; the model is as "
            "it was before this fit. Check that worker (memory, its log) and that every "
            f"worker can open a TCP connection to {address} (a firewall between the "
            "machines times the group out), then fit again."
        ) from error
    finally:
        client.cancel(futures[1:])  # a rank lost and restarted would wait for a group gone
    est.__dict__.update(fitted.__dict__)
    for message, category in caught:
        warnings.warn(message, category, stacklevel=4)
    for rank, worker, failure in failures:  # why the group lost it (rank 0 says when)
        warnings.warn(
            f"Rank {rank} of the data-parallel fit (worker {worker}) failed: {failure}",
            RuntimeWarning,
            stacklevel=4,
        )
