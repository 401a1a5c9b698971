"""The public API as a user with numpy and pandas-stubs writes it: checked by mypy, never run.

``mypy`` (configured in pyproject.toml, run by ``.ci/test``) reads this file
beside ``sknn/``: a public signature that refuses what users pass (a
DataFrame, a Series, a list, a numpy array, a dict of arrays for a module of
one's own), or a misnamed parameter, fails the type check here. (scikit-learn
ships no type information, so its estimators count as ``Any`` to mypy and a
wrong return class would not show; scipy's sparse types likewise, unless
scipy-stubs is installed.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sknn import (
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
    TabularEncoder,
)
from sknn.pretrained import ImageEmbedder, ImageNetClassifier, TextEmbedder, TextTokenizer


def flagship(frame: pd.DataFrame, labels: pd.Series, weights: np.ndarray) -> float:
    clf: NeuralNetClassifier = NeuralNetClassifier().fit(frame, labels, sample_weight=weights)
    clf = clf.partial_fit(frame, labels, classes=["a", "b"], sample_weight=None)
    proba: np.ndarray = clf.predict_proba(frame)
    log_proba: np.ndarray = clf.predict_log_proba(frame.to_numpy())
    predicted: np.ndarray = clf.predict(sp.csr_matrix(np.ones((2, 2))))
    images = {"pixels": np.zeros((2, 1, 8, 8)), "side": np.zeros((2, 3))}
    NeuralNetClassifier().fit(images, [0, 1])  # a dict of arrays for a module of one's own
    reg: NeuralNetRegressor = NeuralNetRegressor().fit([[0.0], [1.0]], [0.5, 1.5])
    reg = reg.partial_fit(frame, frame[["x", "y"]])
    values: np.ndarray = reg.predict(frame)
    return (
        clf.score(frame, labels)
        + reg.score(frame, labels)
        + float(proba.sum() + log_proba.sum() + predicted.size + values.sum())
    )


def drop_ins(X: np.ndarray, y: list[int]) -> float:
    clf: MLPClassifier = MLPClassifier().fit(X, y)
    clf = clf.partial_fit(X, y, classes=np.array([0, 1]))
    reg: MLPRegressor = MLPRegressor().fit(pd.DataFrame(X), np.asarray(y, dtype=float))
    reg = reg.partial_fit(X, np.zeros(len(X)))
    proba: np.ndarray = clf.predict_proba(X)
    return clf.score(X, y) + reg.score(X, reg.predict(X)) + float(proba.sum())


def encoder(frame: pd.DataFrame) -> np.ndarray:
    encoded: np.ndarray = TabularEncoder().fit(frame).transform(frame)
    return encoded + TabularEncoder().fit_transform(frame, sample_weight=[1.0, 2.0])


def pretrained(photos: list[np.ndarray], texts: pd.Series) -> np.ndarray:
    labels: np.ndarray = ImageNetClassifier().fit(photos).predict(photos)
    features: np.ndarray = ImageEmbedder().transform(np.stack(photos))
    sentences: np.ndarray = TextEmbedder().fit(texts).transform(["a text", None])
    tokens: dict[str, np.ndarray] = TextTokenizer().transform(texts)
    return np.concatenate([labels, features.ravel(), sentences.ravel(), tokens["input_ids"]])
