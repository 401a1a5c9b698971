"""Input paths: how ``X`` reaches the network, one object per kind of input.

The estimator picks its path once (:func:`input_path`); nothing else asks
whether the network is sknn's own or the user's. Each path checks ``X``,
encodes it at fit and at predict, builds its network, turns rows into
tensors and runs the fitted network for predictions.

- :class:`TabularInput`: tables (numpy, pandas, pyarrow, sparse) through a
  :class:`~sknn.preprocessing.TabularEncoder` into sknn's
  :class:`~sknn.nn.TabularMLP`.
- :class:`ModuleInput`: numeric arrays of any shape (images, token ids) or
  dicts of them, fed as given to the user's ``module``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp
import torch
from sklearn._config import config_context
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import (
    _check_feature_names,
    _check_y,
    _num_samples,
    check_consistent_length,
    validate_data,
)

from sknn.neural_net._custom import (
    build_module,
    check_inputs,
    conform,
    freeze,
    input_layout,
    layout_change,
    to_tensors,
)
from sknn.neural_net._outputs import check_rows
from sknn.neural_net._routed import nested
from sknn.neural_net._shape import fitted_sparse
from sknn.neural_net._targets import plain_labels
from sknn.nn import TabularMLP, quantile_edges
from sknn.nn.inference import inference_copy
from sknn.nn.sparse import SparseRows
from sknn.preprocessing import TabularEncoder
from sknn.preprocessing._frame import refuse_lazy
from sknn.preprocessing._user_warnings import warn_user
from sknn.sklearn_glue.targets import check_labels, check_numeric_targets
from sknn.training.data import CPU_EVAL_CHUNK, n_rows, predict_in_chunks
from sknn.training.threads import recommended_threads, torch_threads

# RealMLP's learning-rate factors for the input layers of sknn's network: the
# feature scale learns fast, the periodic embedding's frequencies slowly
INPUT_LR_FACTORS = {"scale": 6.0, "periodic": 0.1}
# below this many multiply-adds a prediction runs with the caller's thread setting
TINY_MACS = 1_000_000
# a sparse X of more columns stays sparse (text features), a narrower one is made
# dense for the dense defaults (numeric embeddings). One-hot blocks beside numbers
# from a ColumnTransformer (26-300 columns: credit_data, ames, wage) scored
# +0.005, +0.0015 and +0.000 higher dense (3 splits each); at 3,000 words of
# tweets the dense fit took 22x the time and 4.7x the memory of the sparse one
SPARSE_MIN_COLUMNS = 1_000
# predictions on at most this many CPU rows are computed in float64: a float32
# matrix product rounds a row differently depending on which rows share the call
EXACT_ROWS = 4096
# a CPU prediction's chunk holds at most this many multiply-adds (4,096 rows of
# networks up to ~500,000 a row: the default on tables of a few hundred columns)
CHUNK_MACS = 2**31
# a category embedding of at least this many rows trains by its batches' rows only
# (sknn.training.lazy_rows): at 65,536 categories in 300,000 rows an epoch took as
# long either way, at 300,000 in 1,000,000 rows 2.9x less (benchmarks/many_categories.py)
SPARSE_TABLE_ROWS = 65_536


def run_network(module, X, macs: int, device: torch.device) -> torch.Tensor:
    """Run a fitted network (or its numpy copy) on prepared inputs; the output on the CPU."""
    if not isinstance(module, torch.nn.Module):  # the numpy copy (CPU), in chunks of its own
        return torch.from_numpy(module(X))
    # rows a CPU call runs at a time; an accelerator's default
    chunk = _chunk_rows(macs // max(n_rows(X), 1)) if device.type == "cpu" else None
    if macs < TINY_MACS:
        # too small for torch to parallelise; changing the thread count
        # would cost more (~45 us) than the whole forward pass
        out = predict_in_chunks(module, X, chunk)
    else:
        # mid-size inputs run on one thread: a spare thread only adds a
        # spin-wait, which stalls badly when another process holds a core
        with torch_threads(recommended_threads(macs, device)):
            out = predict_in_chunks(module, X, chunk)
    return out.cpu() if out.device.type != "cpu" else out


Method = TypeVar("Method", bound=Callable[..., Any])


def few_rows_on_one_thread(method: Method) -> Method:
    """Run a prediction method on one torch thread when ``X`` takes the float64 path.

    The numpy copy computes those rows; what torch does after (the members'
    combination, softmax, the link) is on tensors of a few thousand values,
    where a parallel kernel only wakes torch's second thread. Beside a process
    holding a core, that wake-up stalled one call in ten for 7 ms (1 row) to
    27 ms (100 rows) instead of 0.15 and 1 ms (``benchmarks/predict_latency.py``).
    """

    @functools.wraps(method)
    def predict(self, X, *args, **kwargs):
        # in the main thread only: torch's count is also the default a thread reads at its
        # first torch call, and a worker starting while the count was 1 kept 1 for good
        main = threading.current_thread() is threading.main_thread()
        if not main or not input_path(self).in_float64(X):
            return method(self, X, *args, **kwargs)
        with torch_threads(1):
            return method(self, X, *args, **kwargs)

    return predict  # type: ignore[return-value]


def _chunk_rows(macs_per_row: int) -> int:
    """Rows a CPU prediction runs at a time: 4,096, fewer for wide networks, whose
    activations (members x width a row) grew with the rows (5,000 columns: 1,000 rows
    took 2 GB, more than the fit; 4,096 of 1,000 columns 8 s against 1.5 s for 4,097)."""
    return int(min(CPU_EVAL_CHUNK, max(16, CHUNK_MACS // max(macs_per_row, 1))))


def checked_targets(estimator, y):
    """``y`` checked as scikit-learn checks it, after sknn's own clearer refusals."""
    if estimator._y_numeric:
        check_numeric_targets(y, type(estimator).__name__)
    else:
        check_labels(y)
        y = plain_labels(y)
    return _check_y(y, multi_output=True, y_numeric=estimator._y_numeric, estimator=estimator)


def new_encoder(estimator) -> TabularEncoder:
    """The estimator's unfitted encoder, its ``encoder__*`` values checked and named as such.

    The estimator's fit skips nested validation, so a bad value would otherwise
    reach the encoder unchecked (``clip_numeric="no"`` read as true).
    """
    encoder = TabularEncoder(
        categorical_features=estimator.categorical_features, **nested(estimator, "encoder__")
    )
    try:
        encoder._validate_params()
    except InvalidParameterError as exc:
        message = str(exc).replace("The '", "The 'encoder__", 1)
        raise InvalidParameterError(
            message.replace("of TabularEncoder", f"of {type(estimator).__name__}", 1)
        ) from None
    return encoder


def input_path(estimator) -> TabularInput | ModuleInput:
    """The estimator's input path: its own network for tables, or the user's module."""
    return TabularInput(estimator) if estimator.module is None else ModuleInput(estimator)


class _InputPath:
    """What both paths share: the estimator they serve, and running the fitted network."""

    def __init__(self, estimator):
        self.estimator = estimator

    def prediction_inputs(self, X, fit_count: int | None):
        raise NotImplementedError

    def predict(self, X, fit_count: int | None, macs: int) -> torch.Tensor:
        """The network's raw output for encoded ``X``, on the CPU."""
        module, Xt = self.prediction_inputs(X, fit_count)
        out = run_network(module, Xt, macs, self.estimator.device_)
        check_rows(tuple(out.shape), n_rows(Xt))
        return out

    def sparse_tables(self, module: torch.nn.Module) -> list[torch.nn.Embedding]:
        """Embedding tables trained by their batches' rows only (none by default)."""
        return []

    def in_float64(self, X) -> bool:
        """Whether a prediction on ``X`` runs a float64 copy of the network (no by default)."""
        return False


class TabularInput(_InputPath):
    """Tables through the fitted :class:`~sknn.preprocessing.TabularEncoder` (``encoder_``)."""

    def check(self, X, y=None, *, reset: bool):
        """Check feature names and counts, ``y`` and their lengths; ``X`` stays raw."""
        est = self.estimator
        refuse_lazy(X)
        if sp.issparse(X):  # wide ones stay sparse; a network fitted on dense rows reads them so
            keep = X.shape[1] > SPARSE_MIN_COLUMNS if reset else fitted_sparse(est)
            X = X.tocsr() if keep else X.toarray()
        if getattr(X, "ndim", 2) == 2:
            # feature names and counts, with this estimator's own messages
            validate_data(est, X, reset=reset, skip_check_array=True)
        if y is not None:
            y = checked_targets(est, y)
            check_consistent_length(X, y)
        return X, y

    def encode(self, X, *, reset: bool, sample_weight=None) -> np.ndarray:
        """The network's float32 input; ``reset`` fits a new encoder (with the final weights)."""
        est = self.estimator
        if not reset:  # a partial fit or warm start: the fitted encoder and network
            encoded, unseen = est.encoder_._transform_noting_unseen(X, owner=est)
            _warn_unseen(unseen)
            return encoded
        est.encoder_ = new_encoder(est)
        # the network's own input: an array, whatever set_output a user set globally
        with config_context(transform_output="default"):
            return est.encoder_.fit_transform(X, sample_weight=sample_weight)

    def encode_new(self, X) -> np.ndarray:
        """Check and encode ``X`` at prediction time (one validation pass)."""
        if sp.issparse(X) and not fitted_sparse(self.estimator):
            X = X.toarray()  # a network fitted on dense rows
        return self.estimator.encoder_._transform(X, owner=self.estimator)

    def build(self, X_train, n_outputs: int, sample_weight=None) -> torch.nn.Module:
        """Embeddings for the encoder's codes and the MLP (or implicit ensemble).

        Its shape is the fitted choices of :func:`sknn.neural_net._shape.network_choices`.

        ``sample_weight`` (of the training rows) weights the quantiles of
        piecewise-linear embeddings.
        """
        est, encoder = self.estimator, self.estimator.encoder_
        n_continuous = encoder.n_continuous_out_ if est.numeric_embedding_ else 0
        edges, width = None, est.numeric_embedding_width_
        if est.numeric_embedding_ == "piecewise" and n_continuous:
            # quantiles of the encoded training features (a placeholder when
            # rebuilding a saved model: its saved edges replace them)
            edges = quantile_edges(X_train[:, :n_continuous], sample_weight=sample_weight)
        module = TabularMLP(
            encoder.n_numeric_out_,
            encoder.cardinalities_,
            n_outputs,
            est.hidden_layer_sizes_,
            est.activation,
            est.dropout,
            n_periodic=n_continuous,
            feature_scale=est.feature_scale,
            n_ensemble=est.n_ensemble_,
            n_groups=getattr(est, "n_groups_", 1),  # 1 in models saved before cross-fitting
            bin_edges=edges,
            **({} if width is None else {"embedding_width": width}),
        )
        freeze(module, est.frozen or ())
        return module

    def sparse_tables(self, module: torch.nn.Module) -> list[torch.nn.Embedding]:
        """The category embeddings of :data:`SPARSE_TABLE_ROWS` rows or more, on the CPU
        (an accelerator steps a whole table in microseconds, and the rows' bookkeeping
        waits on it a few times a step: unmeasured there, so left dense)."""
        tables = getattr(module, "embeddings", ())
        return [
            t
            for t in tables
            if getattr(t, "num_embeddings", 0) >= SPARSE_TABLE_ROWS
            and t.weight.device.type == "cpu"
        ]

    def lr_multipliers(self, module: torch.nn.Module) -> dict[str, float]:
        """RealMLP's learning-rate factors for the input layers the network has."""
        return {
            f"{name}.*": factor
            for name, factor in INPUT_LR_FACTORS.items()
            if getattr(module, name, None) is not None
        }

    def tensors(self, X, rows, device: torch.device) -> torch.Tensor | SparseRows:
        if sp.issparse(X):  # rows of a sparse encoding stay sparse
            return SparseRows.from_scipy(X[rows], device=device)
        return torch.as_tensor(X[rows], device=device)

    def in_float64(self, X) -> bool:
        """Whether a prediction on ``X`` runs a float64 copy: a few CPU rows, after a fit."""
        est = self.estimator
        device = getattr(est, "device_", None)  # None: not fitted, the method says so
        if device is None or device.type != "cpu" or est.__dict__.get("_training"):
            return False
        if sp.issparse(X) and fitted_sparse(est):  # run by torch, its threads its own
            return False
        try:
            return _num_samples(X) <= EXACT_ROWS
        except TypeError:  # not a table: the method refuses it
            return False

    def prediction_inputs(self, X, fit_count: int | None):
        """The module to run and its input: a float64 copy for a few CPU rows."""
        est = self.estimator
        copied = None
        if fit_count is not None and est.device_.type == "cpu" and X.shape[0] <= EXACT_ROWS:
            copied = inference_copy(est.module_, fit_count)
        if sp.issparse(X):  # sparse rows meet the network's first layer as they are
            if copied is not None:  # a few rows: in float64, as dense rows are
                return copied.torch, SparseRows.from_scipy(X, dtype=torch.float64)
            return est.module_, SparseRows.from_scipy(X, device=est.device_)
        if copied is not None:
            X64 = (X.cpu().numpy() if isinstance(X, torch.Tensor) else X).astype(np.float64)
            if copied.numpy is not None:
                return copied.numpy, X64
            return copied.torch, torch.from_numpy(X64)
        # a tensor (encoded where the caller's data lives) moves only if the network is elsewhere
        return est.module_, torch.as_tensor(X).to(est.device_)


def _warn_unseen(unseen: dict[str, list]) -> None:
    """Say which categories a continued fit cannot learn (they share the unseen code)."""
    if not unseen:
        return
    listed = "; ".join(
        f"{name!r}: {values[:3]}{' and more' if len(values) > 3 else ''} ({len(values)} new)"
        for name, values in unseen.items()
    )
    warn_user(
        f"Categories not seen when the network was built arrive in this partial fit or warm "
        f"start ({listed}). The fitted encoder and network cannot grow, so they are all "
        "encoded as one 'unseen' category. To learn them, start (fit or the first "
        "partial_fit) on data that holds every category."
    )


class ModuleInput(_InputPath):
    """Arrays (or dicts of arrays) fed as given to the user's ``module``."""

    def check(self, X, y=None, *, reset: bool):
        est = self.estimator
        _check_feature_names(est, X, reset=reset)  # a DataFrame's column names, as scikit-learn
        X = check_inputs(X)
        if reset:
            est._input_layout = input_layout(X)
            if isinstance(X, np.ndarray) and X.ndim == 2:
                est.n_features_in_ = X.shape[1]
            else:  # a refit on other inputs: no count left over from an earlier fit
                est.__dict__.pop("n_features_in_", None)
        else:
            X = conform(X, getattr(est, "_input_layout", None), type(est).__name__)
        if y is not None:
            y = checked_targets(est, y)
            if len(y) != n_rows(X):
                raise ValueError(f"X has {n_rows(X)} samples but y has {len(y)}; they must match.")
        return X, y

    def encode(self, X, *, reset: bool, sample_weight=None):
        return X  # the user's module takes its input as given

    def encode_new(self, X):
        return self.check(X, reset=False)[0]

    def build(self, X_train, n_outputs: int, sample_weight=None) -> torch.nn.Module:
        """The user's module, built with the sizes its constructor names (no weights needed)."""
        est = self.estimator
        inferred = {"n_outputs": n_outputs}
        if isinstance(X_train, np.ndarray) and X_train.ndim == 2:
            inferred["n_features_in"] = X_train.shape[1]
        if hasattr(est, "classes_"):
            inferred["n_classes"] = len(est.classes_)
        module = build_module(est.module, inferred, nested(est, "module__"))
        freeze(module, est.frozen or ())
        return module

    def lr_multipliers(self, module: torch.nn.Module) -> dict[str, float]:
        return {}

    def tensors(self, X, rows, device: torch.device):
        return to_tensors(X, rows, device)

    def predict(self, X, fit_count: int | None, macs: int) -> torch.Tensor:
        """The module's raw output; its error on samples shaped otherwise than at fit says so."""
        try:
            return super().predict(X, fit_count, macs)
        except torch.cuda.OutOfMemoryError:
            raise
        except RuntimeError as error:
            change = layout_change(X, getattr(self.estimator, "_input_layout", None))
            if change is None:
                raise
            raise ValueError(
                f"The module could not take X ({error}): {change}. Pass samples shaped as "
                "at fit (a single one as X[None]), or a module that takes both."
            ) from error

    def prediction_inputs(self, X, fit_count: int | None):
        """The fitted module as built, in float32."""
        est = self.estimator
        return est.module_, to_tensors(X, slice(None), est.device_)
