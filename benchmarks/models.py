"""The models every accuracy benchmark compares, defined exactly, and how one is scored.

``accuracy.py``, ``wide.py`` and ``lean_fit.py`` build their models here: the
peers (scikit-learn's MLP behind the standard pipeline, HistGradientBoosting,
LightGBM, skorch, pytabkit's RealMLP), sknn at its defaults, the ablations
(sknn with one default changed at a time) and :func:`evaluate`, which fits,
predicts and scores one model on one split. ``accuracy.py``'s docstring
describes each model. Every library runs on one thread unless
``OMP_NUM_THREADS`` says otherwise (set here before numpy and torch load, as
the entry points do).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy/torch load

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.compose import (  # noqa: E402
    ColumnTransformer,
    TransformedTargetRegressor,
    make_column_selector,
)
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler  # noqa: E402

from sknn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# ------------------------------------------------------------------ models
def standard_preprocessing():
    """What a scikit-learn user puts in front of an MLP."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("num", numeric, make_column_selector(dtype_exclude="category")),
            ("cat", categorical, make_column_selector(dtype_include="category")),
        ]
    )


def scaled_target(regressor):
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


def make_sklearn_mlp(task: str, seed: int, n_classes: int):
    if task == "clf":
        return make_pipeline(standard_preprocessing(), MLPClassifier(random_state=seed))
    return scaled_target(make_pipeline(standard_preprocessing(), MLPRegressor(random_state=seed)))


def make_hgb(task: str, seed: int, n_classes: int):
    cls = HistGradientBoostingClassifier if task == "clf" else HistGradientBoostingRegressor
    return cls(categorical_features="from_dtype", random_state=seed)


def make_lightgbm(task: str, seed: int, n_classes: int):
    import lightgbm

    cls = lightgbm.LGBMClassifier if task == "clf" else lightgbm.LGBMRegressor
    # LightGBM takes every core unless told (it ignores OMP_NUM_THREADS)
    return cls(random_state=seed, verbose=-1, n_jobs=int(os.environ["OMP_NUM_THREADS"]))


def make_skorch(task: str, seed: int, n_classes: int):
    import skorch
    from skorch.callbacks import EarlyStopping
    from skorch.dataset import ValidSplit

    class Seeded:
        """Seed torch right before the skorch fit (skorch has no random_state)."""

        def __init__(self, net):
            self.net = net

        def fit(self, X, y):
            torch.manual_seed(seed)
            if task == "reg":
                y = np.asarray(y, dtype=np.float32).reshape(-1, 1)
            self.net.fit(X, y)
            return self

        def __getattr__(self, name):
            return getattr(self.net, name)

    n_out = n_classes if task == "clf" else 1
    module = torch.nn.Sequential(
        torch.nn.LazyLinear(256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, n_out),
    )
    kwargs = dict(
        module=module,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=128,
        max_epochs=100,
        train_split=ValidSplit(0.1, stratified=task == "clf", random_state=seed),
        iterator_train__shuffle=True,
        callbacks=[EarlyStopping(patience=10, load_best=True)],
        verbose=0,
    )
    to32 = FunctionTransformer(lambda X: np.asarray(X, dtype=np.float32))
    if task == "clf":
        net = skorch.NeuralNetClassifier(criterion=torch.nn.CrossEntropyLoss, **kwargs)
    else:
        net = skorch.NeuralNetRegressor(**kwargs)
    return _SkorchPipeline(standard_preprocessing(), to32, Seeded(net), task)


class _SkorchPipeline:
    """Preprocessing + a skorch net (+ standardized targets for regression)."""

    def __init__(self, pre, to32, net, task):
        self.pre, self.to32, self.net, self.task = pre, to32, net, task

    def fit(self, X, y):
        Z = self.to32.fit_transform(self.pre.fit_transform(X))
        if self.task == "clf":
            self.classes_, codes = np.unique(y, return_inverse=True)
            self.net.fit(Z, codes.astype(np.int64))
        else:
            self.mean_, self.std_ = float(np.mean(y)), float(np.std(y))
            self.net.fit(Z, (np.asarray(y) - self.mean_) / self.std_)
        return self

    def _Z(self, X):
        return self.to32.transform(self.pre.transform(X))

    def predict_proba(self, X):
        return self.net.predict_proba(self._Z(X))

    def predict(self, X):
        if self.task == "clf":
            return self.classes_[self.predict_proba(X).argmax(axis=1)]
        return self.net.predict(self._Z(X)).ravel() * self.std_ + self.mean_


def make_realmlp(task: str, seed: int, n_classes: int):
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    impute = ColumnTransformer(
        [
            (
                "num",
                SimpleImputer(strategy="median", add_indicator=True),
                make_column_selector(dtype_exclude="category"),
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    cls = RealMLP_TD_Classifier if task == "clf" else RealMLP_TD_Regressor
    return make_pipeline(impute, cls(random_state=seed, device="cpu", verbosity=0))


def make_sknn(task: str, seed: int, n_classes: int, **params):
    cls = NeuralNetClassifier if task == "clf" else NeuralNetRegressor
    if task == "reg":
        params.pop("label_smoothing", None)
    return cls(random_state=seed, **params)


class Patched:
    """``model`` fitted with attributes of the module ``module`` (a dotted name, e.g.
    ``"sknn.neural_net._plan"``) set to ``values`` (each a function of that module),
    restored afterwards: earlier defaults, rerun beside today's."""

    def __init__(self, model, module: str, **values):
        self.model, self.module, self.values = model, module, values

    def fit(self, X, y):
        module = importlib.import_module(self.module)
        saved = {name: getattr(module, name) for name in self.values}
        for name, value in self.values.items():
            setattr(module, name, value(module))
        try:
            self.model.fit(X, y)
        finally:
            for name, value in saved.items():
                setattr(module, name, value)
        return self

    def __getattr__(self, name):
        return getattr(self.model, name)


def _raw_validation_loss(est):
    """A classifier's validation loss before round 8: the combined prediction's raw
    log-loss, no temperature."""
    from sknn.training.losses import combined_loss

    loss = combined_loss(est._plain_loss(), est._output_kind)
    return lambda out, y, weight: loss(est._as_members(out), y, weight)


def _grid_temperature(logits, y, weight, loss, prior_rows=3.0):
    """The temperature before round 8: the best of 161 on a grid of log(T) (Brent's
    method today), the same prior."""
    grid = torch.linspace(np.log(0.2), np.log(5.0), 161, dtype=torch.float64).exp()
    prior = prior_rows / len(y) * grid.log() ** 2
    with torch.inference_mode():
        values = [float(loss(logits / t, y, weight)) for t in grid]
        losses = torch.tensor(values, dtype=torch.float64) + prior
        untouched = float(loss(logits, y, weight))
    best = losses.argmin()
    return float(grid[best]) if torch.isfinite(losses[best]) and losses[best] < untouched else 1.0


def make_sknn_before_round8(task: str, seed: int, n_classes: int, **params):
    """sknn's defaults before round 8 of the wide benchmark: a classifier's early stopping
    watched the raw validation loss (today: after the epoch's temperature)."""
    return Patched(
        Patched(
            make_sknn(task, seed, n_classes, **params),
            "sknn.neural_net._plan",
            after_temperature=lambda m: _raw_validation_loss,
        ),
        "sknn.neural_net._classifier",
        fit_temperature=lambda m: _grid_temperature,
    )


MODELS = {
    "sknn": make_sknn,
    "sklearn MLP": make_sklearn_mlp,
    "HGB": make_hgb,
    "LightGBM": make_lightgbm,
    "skorch": make_skorch,
    "RealMLP": make_realmlp,
}
NEEDS = {"LightGBM": "lightgbm", "skorch": "skorch", "RealMLP": "pytabkit"}

# the network before the lean fit (issue 14): the ablations measured then keep it
# pinned, so that a rerun reproduces what their rows report
PREVIOUS_NETWORK = {"hidden_layer_sizes": (256, 256), "numeric_embedding": "periodic"}
_ON_PREVIOUS = " (on the previous network: two hidden layers of 256, periodic embeddings)"

# sknn with one default changed at a time: name -> (parameters, what it undoes)
ABLATIONS = {
    "sknn": ({}, "the defaults"),
    "no periodic embedding": (
        {**PREVIOUS_NETWORK, "numeric_embedding": None},
        "numeric_embedding='periodic'" + _ON_PREVIOUS,
    ),
    "single network": ({**PREVIOUS_NETWORK, "n_ensemble": 1}, "n_ensemble=8" + _ON_PREVIOUS),
    "no label smoothing": (
        {**PREVIOUS_NETWORK, "label_smoothing": 0.0},
        "label_smoothing=0.1 (classification)" + _ON_PREVIOUS,
    ),
    "beta2 0.999": (
        {**PREVIOUS_NETWORK, "optimizer__betas": (0.9, 0.999)},
        "Adam beta2=0.95" + _ON_PREVIOUS,
    ),
    "constant lr": (
        {**PREVIOUS_NETWORK, "lr_schedule": "constant"},
        "lr_schedule='cosine'" + _ON_PREVIOUS,
    ),
    "no feature scale": (
        {**PREVIOUS_NETWORK, "feature_scale": False},
        "feature_scale=True" + _ON_PREVIOUS,
    ),
    "previous network": (
        PREVIOUS_NETWORK,
        "hidden_layer_sizes=(256,), numeric_embedding='piecewise' (the lean fit's network)",
    ),
    "previous defaults": (
        {**PREVIOUS_NETWORK, "max_iter": 200, "n_iter_no_change": 10},
        "the lean fit: max_iter=40, n_iter_no_change=5 and its network",
    ),
}


def _fitted_sknn(model):
    """The sknn estimator inside ``model`` (a pipeline, a target transform), or None."""
    while True:
        if hasattr(model, "history_") and hasattr(model, "module_"):
            return model
        if hasattr(model, "regressor_"):
            model = model.regressor_
        elif hasattr(model, "steps"):
            model = model.steps[-1][1]
        elif hasattr(model, "model"):  # the benchmarks' batch-size wrappers
            model = model.model
        else:
            return None


def fit_flop(model, n_rows: int) -> float | None:
    """About the arithmetic of a fitted sknn model's training, in FLOPs (None if not sknn).

    Per epoch, forward and backward on the training rows (3 forward passes'
    worth) and a forward pass on the validation rows (when cross-fitted every
    row trains, and every row validates through one of the ``n_groups_``
    groups: a ``1 / n_groups_`` share of the hidden layers), at two FLOPs per
    multiply-add of ``module_.macs_per_row()`` (the hidden layers once per
    ensemble member). Within about 5% of ``torch.utils.flop_counter``'s count
    of a default step (``step_roofline.py``).
    """
    est = _fitted_sknn(model)
    macs = getattr(getattr(est, "module_", None), "macs_per_row", None)
    if est is None or macs is None:
        return None
    history = est.history_
    n_valid = (
        math.ceil(est.validation_fraction * n_rows)
        if history[-1].get("valid_loss") is not None
        else 0
    )
    n_train = n_rows - n_valid
    groups = getattr(est, "n_groups_", 1)
    if groups > 1:  # cross-fitted: every row trains, and validates in its own group
        n_train, n_valid = n_rows, n_rows / groups
    per_epoch = 2 * macs() * (3 * n_train + n_valid)
    return float(per_epoch * len(history))


def evaluate(model, X_train, y_train, X_test, y_test, task: str) -> dict:
    """Fit, predict and score one model on one split (with ``fit_flop`` for sknn)."""
    tic = time.perf_counter()
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - tic
    flop = fit_flop(model, len(X_train))
    extra = {} if flop is None else {"fit_flop": flop}
    tic = time.perf_counter()
    if task == "clf":
        proba = model.predict_proba(X_test)
        predict_s = time.perf_counter() - tic
        classes = getattr(model, "classes_", None)
        if classes is None:
            classes = np.unique(y_train)
        pred = np.asarray(classes)[proba.argmax(axis=1)]
        return {
            "accuracy": accuracy_score(y_test, pred),
            "log_loss": log_loss(y_test, proba, labels=classes),
            "fit_s": fit_s,
            "predict_s": predict_s,
            **extra,
        }
    pred = np.asarray(model.predict(X_test), dtype=float).ravel()
    predict_s = time.perf_counter() - tic
    return {
        "r2": r2_score(y_test, pred),
        "rmse": float(np.sqrt(mean_squared_error(y_test, pred))),
        "fit_s": fit_s,
        "predict_s": predict_s,
        **extra,
    }
