"""The wide accuracy benchmark: 38 real tables, a tuning and a report half, four models.

The tables and the rules that chose them and their halves are in
``benchmarks/wide_tables.py``. Every model gets the same splits of a table:

- under 1,000 rows: 5-fold cross-validation repeated twice (10 splits),
- 1,000 to 5,000 rows: 5 random 80/20 splits,
- 5,000 rows and more: 3 random 80/20 splits (training capped at 20,000 rows),

stratified for classification; split ``i`` seeds every model (``random_state=i``).
The models, defined exactly:

- ``sknn``: ``NeuralNetClassifier()`` / ``NeuralNetRegressor()`` at their defaults, raw DataFrame;
- ``sklearn MLP``: ``MLPClassifier``/``MLPRegressor(early_stopping=True, max_iter=300)``
  behind ``SimpleImputer(median)`` + ``StandardScaler`` for numbers and
  ``SimpleImputer(most_frequent)`` + ``OneHotEncoder(handle_unknown="ignore")``
  for categories (regression targets standardised);
- ``HGB``: ``HistGradientBoosting*(categorical_features="from_dtype")``;
- ``LightGBM``: defaults, pandas categories native.

One thread each (``OMP_NUM_THREADS=1``). Scores: accuracy and log-loss, or R^2
and RMSE, and fit seconds. Raw results accumulate in
``results/accuracy_wide_raw.json`` (resumable; the halves can run in two
processes); every run rewrites ``results/accuracy_wide.md`` and
``accuracy_wide.png``, and ``results/accuracy_wide_diagnosis.md`` (where the
trees win, on the tuning half).

    python benchmarks/accuracy.py --wide                       # everything
    python benchmarks/accuracy.py --wide --half report         # one half
    python benchmarks/accuracy.py --wide --models sknn HGB     # some models
    python benchmarks/accuracy.py --wide --report              # only the reports
    python benchmarks/accuracy.py --wide --half tuning --models "sknn n_ensemble=16"
                                                               # a lever (see LEVERS)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    RepeatedKFold,
    RepeatedStratifiedKFold,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import (  # noqa: E402
    PREVIOUS_NETWORK,
    Patched,
    evaluate,
    make_hgb,
    make_lightgbm,
    make_sknn,
    make_sknn_before_round8,
    scaled_target,
    standard_preprocessing,
)
from wide_report import (  # noqa: E402
    HELD_OUT,
    NOW,
    PREVIOUS,
    ROUND3,
    ROUND4,
    ROUND5,
    ROUND7,
    TWO_MEMBERS,
)
from wide_tables import MAX_TRAIN, TABLES  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
RAW = os.path.join(RESULTS, "accuracy_wide_raw.json")


def make_sklearn_mlp(task: str, seed: int, n_classes: int):
    params = {"early_stopping": True, "max_iter": 300, "random_state": seed}
    if task == "clf":
        return make_pipeline(standard_preprocessing(), MLPClassifier(**params))
    return scaled_target(make_pipeline(standard_preprocessing(), MLPRegressor(**params)))


def make_quantile_sknn(task: str, seed: int, n_classes: int):
    """sknn behind a quantile-to-normal transform of the numeric columns."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.preprocessing import QuantileTransformer

    numbers = QuantileTransformer(output_distribution="normal", random_state=seed)
    columns = make_column_transformer(
        (numbers, make_column_selector(dtype_include="number")),
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    return make_pipeline(columns, make_sknn(task, seed, n_classes))


def _lever(**params):
    """The previous network (before the lean fit) with ``params`` changed: every lever
    was measured against them, so they stay pinned for reruns."""
    params = {**PREVIOUS_NETWORK, **params}
    return lambda task, seed, n_classes: make_sknn(task, seed, n_classes, **params)


class _Adjusted:
    """sknn whose parameters are set from the training table just before each fit."""

    def __init__(self, model):
        self.model = model

    def adjust(self, X) -> dict:
        """The parameters to set for training on ``X``."""
        raise NotImplementedError

    def _n_train(self, X) -> float:
        return len(X) * (1 - self.model.validation_fraction)

    def _n_held_out_train(self, X) -> int:
        """The training rows of a fit that holds out ``validation_fraction``, exactly."""
        return len(X) - int(np.ceil(self.model.validation_fraction * len(X)))

    def fit(self, X, y):
        self.model.set_params(**self.adjust(X))
        self.model.fit(X, y)
        return self

    def __getattr__(self, name):
        return getattr(self.model, name)


class _RowsBatch(_Adjusted):
    """sknn whose batch size is a power of two near n / ``rows_per_batch`` (32 to 256)."""

    def __init__(self, model, rows_per_batch: int):
        super().__init__(model)
        self.rows_per_batch = rows_per_batch

    def adjust(self, X) -> dict:
        size = 2 ** round(np.log2(max(len(X), 1) / self.rows_per_batch))
        return {"batch_size": int(min(256, max(32, size)))}


class _ScaledBatch(_RowsBatch):
    """Batches of about n / ``rows_per_batch`` rows, the learning rate scaled with them.

    The rate grows as (batch / the default's batch) ** ``power``: 0.5 keeps the
    noise of a step about constant, 1 its expected move (the linear rule).
    """

    def __init__(self, model, rows_per_batch: int, power: float, cap: int = 256, base=None):
        super().__init__(model, rows_per_batch)
        self.power, self.cap, self.base = power, cap, base

    def adjust(self, X) -> dict:
        n = self._n_train(X)
        default = self.base or min(256, max(32, 2 ** round(np.log2(max(n, 1) / 100))))
        size = int(min(self.cap, max(32, 2 ** round(np.log2(max(n, 1) / self.rows_per_batch)))))
        rate = self.model.learning_rate * (size / default) ** self.power
        return {"batch_size": size, "learning_rate": rate}


def _scaled_batch(rows_per_batch: int, power: float, cap: int = 256, base=None):
    """``base``: the batch the default rate is for; by default the default's batch.

    The rate scaled is 1e-3, the fixed default these levers were measured with
    (before ``learning_rate="auto"``).
    """
    return lambda task, seed, n_classes: _ScaledBatch(
        make_sknn(task, seed, n_classes, learning_rate=1e-3), rows_per_batch, power, cap, base
    )


class _Round3(_Adjusted):
    """Round 3's candidates (issue 30), rejected: piecewise embeddings ``width`` wide
    and, with ``full_schedule``, no early cut under 100 validation rows.

    The width is a default no parameter sets (``_shape.EMBEDDING_WIDTHS``); a fit
    records it as ``numeric_embedding_width_``, so only ``fit`` needs it set.
    The full schedule is a patience no fit reaches where ``"auto"`` early
    stopping would hold out 10 to 99 rows (it still restores the best epoch).
    """

    def __init__(self, model, width: int, full_schedule: bool):
        super().__init__(model)
        self.width, self.full_schedule = width, full_schedule

    def adjust(self, X) -> dict:
        n_valid = int(np.ceil(self.model.validation_fraction * len(X)))
        few = self.full_schedule and 10 <= n_valid < 100
        return {"n_iter_no_change": 10**9 if few else 5}

    def fit(self, X, y):
        from sknn.neural_net import _shape

        saved = dict(_shape.EMBEDDING_WIDTHS)
        _shape.EMBEDDING_WIDTHS["piecewise"] = self.width
        try:
            return super().fit(X, y)
        finally:
            _shape.EMBEDDING_WIDTHS.update(saved)


def _round3(width: int, full_schedule: bool):
    return lambda task, seed, n_classes: _Round3(
        make_sknn(task, seed, n_classes), width, full_schedule
    )


def _now(**params):
    """Today's defaults with ``params`` changed."""
    return lambda task, seed, n_classes: make_sknn(task, seed, n_classes, **params)


class _BelowRows(_Adjusted):
    """sknn with ``params`` changed on tables under ``rows`` training rows only."""

    def __init__(self, model, rows: int, params: dict):
        super().__init__(model)
        self.rows, self.params = rows, params

    def adjust(self, X) -> dict:
        return self.params if self._n_train(X) < self.rows else {}


def _below_rows(rows: int, **params):
    return lambda task, seed, n_classes: _BelowRows(make_sknn(task, seed, n_classes), rows, params)


class _RateTimes(_Adjusted):
    """sknn at ``factor`` times the rate ``learning_rate="auto"`` picks for its batch."""

    def __init__(self, model, factor: float):
        super().__init__(model)
        self.factor = factor

    def adjust(self, X) -> dict:
        from sknn.neural_net import _plan

        n_train = self._n_held_out_train(X)
        batch = _plan.batch_size(self.model, n_train)
        # what "auto" gives, also when an earlier fit left a number in the model
        auto = clone(self.model).set_params(learning_rate="auto")
        rate = _plan.learning_rate(auto, batch, n_train)
        return {"learning_rate": rate * self.factor}


def _rate_times(factor: float):
    return lambda task, seed, n_classes: _RateTimes(make_sknn(task, seed, n_classes), factor)


def _rows_batch(rows_per_batch: int, **params):
    return lambda task, seed, n_classes: _RowsBatch(
        make_sknn(task, seed, n_classes, **params), rows_per_batch
    )


MODELS = {"sknn": make_sknn, "sklearn MLP": make_sklearn_mlp, "HGB": make_hgb}
MODELS["LightGBM"] = make_lightgbm
# the network before the lean fit (issue 14): the base of the levers below
MODELS[PREVIOUS] = _lever()
# levers measured on the tuning half (benchmarks/results/accuracy_wide_diagnosis.md)
LEVERS = {
    "sknn n_ensemble=16": _lever(n_ensemble=16),
    "sknn n_ensemble=4": _lever(n_ensemble=4),
    "sknn validation_fraction=0.2": _lever(validation_fraction=0.2),
    "sknn no periodic embedding": _lever(numeric_embedding=None),
    "sknn piecewise-linear embedding": _lever(numeric_embedding="piecewise"),
    "sknn quantile-normal numbers": make_quantile_sknn,
    "sknn max_iter=80": _lever(max_iter=80),
    # issue 14's fit-time budget: a cheaper network
    "sknn hidden=128x128": _lever(hidden_layer_sizes=(128, 128)),
    "sknn max_iter=20": _lever(max_iter=20),
    "sknn max_iter=25": _lever(max_iter=25),
    "sknn hidden=256x128": _lever(hidden_layer_sizes=(256, 128)),
    "sknn hidden=128x128 piecewise": _lever(
        hidden_layer_sizes=(128, 128), numeric_embedding="piecewise"
    ),
    "sknn hidden=192x192": _lever(hidden_layer_sizes=(192, 192)),
    "sknn hidden=512": _lever(hidden_layer_sizes=(512,)),
    "sknn hidden=256": _lever(hidden_layer_sizes=(256,)),
    "sknn n_ensemble=6": _lever(n_ensemble=6),
    "sknn max_iter=30": _lever(max_iter=30),
    "sknn hidden=256 piecewise": _lever(hidden_layer_sizes=(256,), numeric_embedding="piecewise"),
    "sknn hidden=192x192 piecewise": _lever(
        hidden_layer_sizes=(192, 192), numeric_embedding="piecewise"
    ),
    "sknn n_iter_no_change=3": _lever(n_iter_no_change=3),
    "sknn hidden=256 piecewise batch=n/50": _rows_batch(
        50, hidden_layer_sizes=(256,), numeric_embedding="piecewise"
    ),
    "sknn hidden=256 piecewise batch=n/25": _rows_batch(
        25, hidden_layer_sizes=(256,), numeric_embedding="piecewise"
    ),
}
# round 2 (issue 30): today's defaults with one change, compared with "sknn"
LEVERS.update(
    {
        f"{NOW}batch=n/50 lr sqrt": _scaled_batch(50, 0.5),
        f"{NOW}batch=n/50 lr linear": _scaled_batch(50, 1.0),
        f"{NOW}batch=n/25 lr sqrt": _scaled_batch(25, 0.5),
        f"{NOW}batch=n/25 lr linear": _scaled_batch(25, 1.0),
        f"{NOW}batch=n/12 lr sqrt": _scaled_batch(12, 0.5),
        f"{NOW}batch=n/25 lr sqrt max 512": _scaled_batch(25, 0.5, cap=512),
        f"{NOW}batch=n/25 max 512 lr sqrt(b/32)": _scaled_batch(25, 0.5, cap=512, base=32),
        f"{NOW}n_ensemble=4": _now(n_ensemble=4),
        f"{NOW}n_ensemble=2": _now(n_ensemble=2),
        # the defaults before n_ensemble="auto": the "before" of the arithmetic section
        f"{NOW}n_ensemble=8": _now(n_ensemble=8),
        # accuracy where the trees win (the tuning half's hpc_data, Boston,
        # DoctorContacts, VietNamI)
        f"{NOW}max_iter=80 below 2000 rows": _below_rows(2000, max_iter=80),
        f"{NOW}rate x2": _rate_times(2.0),
        f"{NOW}rate x0.5": _rate_times(0.5),
        f"{NOW}hidden=512": _now(hidden_layer_sizes=(512,)),
        f"{NOW}hidden=256x256": _now(hidden_layer_sizes=(256, 256)),
        f"{NOW}weight_decay=1e-3": _now(weight_decay=1e-3),
        f"{NOW}dropout=0.1": _now(dropout=0.1),
        f"{NOW}max_iter=25": _now(max_iter=25),
        f"{NOW}n_iter_no_change=3": _now(n_iter_no_change=3),
        # round 3, rejected on the report half: see ROUND3 in wide_report.py
        f"{NOW}piecewise width 8": _round3(8, False),
        f"{NOW}no early cut under 100 validation rows": _round3(4, True),
        ROUND3: _round3(8, True),
    }
)


class _CrossFitNetworks:
    """Round 4's prototype (issue 30): 4 separate sknn fits of one member each, fit
    ``b`` trained on the rows outside fold ``b`` (seeded, stratified) and stopped
    on fold ``b``; predictions average the four. Below 5,000 rows only (90% of
    them, as it ran); above, the defaults of its time."""

    def __init__(self, task: str, seed: int, n_classes: int):
        self.task, self.seed, self.n_classes = task, seed, n_classes

    def fit(self, X, y):
        from sknn.neural_net import _plan

        n = len(X)
        if n * 0.9 >= 5000:
            self.models = [_HeldOut(make_sknn(self.task, self.seed, self.n_classes)).fit(X, y)]
            return self
        order = np.random.RandomState(self.seed).permutation(n)
        if self.task == "clf":
            order = order[np.argsort(np.asarray(y)[order], kind="stable")]
        fold = np.empty(n, dtype=int)
        fold[order] = np.arange(n) % 4
        saved, self.models = _plan.split, []
        try:
            for b in range(4):
                rows = np.flatnonzero(fold != b), np.flatnonzero(fold == b)
                _plan.split = lambda *args, rows=rows: rows  # early_stopping=True asks it
                model = make_sknn(
                    self.task,
                    self.seed * 100 + b,
                    self.n_classes,
                    n_ensemble=1,
                    early_stopping=True,
                )
                self.models.append(model.fit(X, y))
        finally:
            _plan.split = saved
        return self

    @property
    def classes_(self):
        return self.models[0].classes_

    def predict_proba(self, X):
        return np.mean([m.predict_proba(X) for m in self.models], axis=0)

    def predict(self, X):
        return np.mean([m.predict(X) for m in self.models], axis=0)


class _HeldOut(_Adjusted):
    """The defaults before cross-fitting (issue 30, round 4): one held-out split and
    8 members below 2,000 training rows, 4 from there."""

    def adjust(self, X) -> dict:
        n_train = self._n_held_out_train(X)
        return {"early_stopping": True, "n_ensemble": 8 if n_train < 2000 else 4}


LEVERS[f"{NOW}4 cross-fitted networks"] = _CrossFitNetworks


def _earlier_rate(model):
    """``model`` with ``learning_rate="auto"``'s rule before round 6 (issue 30): 1e-3 at
    batches of 32 rows, growing with the square root of the batch (today 1.5e-3 and the
    0.35th power); the defaults of rounds 4 and 5 had it."""
    return Patched(
        model,
        "sknn.neural_net._plan",
        AUTO_RATE=lambda m: m.EARLIER_RATE,
        AUTO_RATE_POWER=lambda m: m.EARLIER_RATE_POWER,
    )


# earlier defaults, each rerun beside the defaults that followed it (round4_lines,
# round5_lines and round6_lines in wide_report.py). Before cross-fitting:
MODELS[HELD_OUT] = lambda task, seed, n_classes: _earlier_rate(
    _HeldOut(make_sknn(task, seed, n_classes))
)
# round 4's: cross-fitting under 5,000 rows only, one held-out split from there (round
# 5 cross-fits up to 20,000); round 4's limit for every estimator, the one classifiers
# keep today
MODELS[ROUND4] = lambda task, seed, n_classes: Patched(
    _earlier_rate(make_sknn(task, seed, n_classes)),
    "sknn.neural_net._cross_fit",
    CROSS_FIT_ROWS=lambda m: m.CROSS_FIT_ROWS_CLASSIFIER,
)
# round 5's: round 6's but for the rate
MODELS[ROUND5] = lambda task, seed, n_classes: _earlier_rate(make_sknn(task, seed, n_classes))


# round 7's: today's but for a classifier's early stopping, which watched the raw
# validation loss (round8_lines in wide_report.py)
MODELS[ROUND7] = make_sknn_before_round8


class _FromRows(_BelowRows):
    """sknn with ``params`` changed on tables of ``rows`` rows or more (all of them)."""

    def adjust(self, X) -> dict:
        return self.params if len(X) >= self.rows else {}


# round 4: with cross-fitting below 5,000 rows, 2 members above (rejected: GSS7402)
LEVERS[TWO_MEMBERS] = lambda task, seed, n_classes: _FromRows(
    make_sknn(task, seed, n_classes), 5000, {"n_ensemble": 2}
)
MODELS.update(LEVERS)


def splits(n: int, y, task: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) row indices of a table; see the module description."""
    rows = np.arange(n)
    stratify = y if task == "clf" else None
    if n < 1000:
        cv = RepeatedStratifiedKFold if task == "clf" else RepeatedKFold
        folds = cv(n_splits=5, n_repeats=2, random_state=0)
        return list(folds.split(rows, y))
    out = []
    for i in range(5 if n < 5000 else 3):
        train, test = train_test_split(rows, test_size=0.2, random_state=i, stratify=stratify)
        out.append((train[:MAX_TRAIN], test))
    return out


def load_raw(path: str = RAW) -> dict:
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def save_raw(new: dict, path: str = RAW) -> None:
    """Merge ``new`` (model -> table -> split -> result) into the file at ``path``,
    under a lock: the halves may run in two processes."""
    import fcntl

    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        raw = load_raw(path)
        for model, tables in new.items():
            for table, results in tables.items():
                raw.setdefault(model, {}).setdefault(table, {}).update(results)
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(raw, f, indent=1, sort_keys=True)
        os.replace(tmp, path)


def run(models: list[str], tables) -> None:
    done = load_raw()
    for table in tables:
        X, y = table.load()
        n_classes = len(np.unique(y)) if table.task == "clf" else 0
        for i, (train, test) in enumerate(splits(len(X), y, table.task)):
            for name in models:
                if str(i) in done.get(name, {}).get(table.name, {}):
                    continue
                model = MODELS[name](table.task, i, n_classes)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    result = evaluate(
                        model, X.iloc[train], y[train], X.iloc[test], y[test], table.task
                    )
                save_raw({name: {table.name: {str(i): result}}})
                print(f"{table.name:15s} split {i} {name:12s} {result}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["sknn", "sklearn MLP", "HGB", "LightGBM"])
    parser.add_argument("--half", choices=["tuning", "report"], default=None)
    parser.add_argument("--tables", nargs="+", default=None)
    parser.add_argument("--report", action="store_true", help="only rewrite the reports")
    args = parser.parse_args(argv)
    if not args.report:
        tables = [
            t
            for t in TABLES
            if (args.half is None or t.half == args.half)
            and (args.tables is None or t.name in args.tables)
        ]
        tic = time.perf_counter()
        run(args.models, tables)
        print(f"ran in {time.perf_counter() - tic:.0f} s", flush=True)
    from wide_report import write_reports

    write_reports(load_raw(), RESULTS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
