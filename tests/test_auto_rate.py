"""learning_rate="auto": grows with the batch; the earlier rule where it was not chosen."""

import numpy as np
import pytest
from torch import nn

from sknn import NeuralNetClassifier, NeuralNetRegressor


def _data(n_rows):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n_rows, 3)).astype(np.float32), rng.normal(size=n_rows)


def _rate(n_rows, batch_size, cls=NeuralNetRegressor, **params):
    X, y = _data(n_rows)
    y = (y > 0).astype(int) if cls is NeuralNetClassifier else y
    est = cls(batch_size=batch_size, max_iter=1, early_stopping=False, **params)
    return est.fit(X, y).learning_rate_


def test_the_auto_rate_grows_with_the_batch_as_documented():
    # 1.5e-3 at 32 rows, 2.4e-3 at 128, 4e-3 at 512 (the 0.35th power of the batch)
    assert _rate(600, 32) == pytest.approx(1.5e-3)
    assert _rate(600, 128) == pytest.approx(2.4e-3, rel=0.02)
    assert _rate(600, 512) == pytest.approx(4e-3, rel=0.02)
    # a classifier's cross-entropy takes the same rule
    assert _rate(600, 128, cls=NeuralNetClassifier) == pytest.approx(2.4e-3, rel=0.02)


def test_micro_tables_other_losses_and_modules_keep_the_earlier_rate():
    # under 64 training rows: 1e-3 at 32 rows, growing with the square root
    assert _rate(40, 32) == pytest.approx(1e-3)
    assert _rate(40, 16) == pytest.approx(1e-3 * np.sqrt(0.5))
    module = lambda n_features_in, n_outputs: nn.Linear(3, 1)  # noqa: E731
    assert _rate(600, 128, module=module) == pytest.approx(2e-3)
    # a loss other than the default, or a criterion: 2e-3 at 128 rows
    assert _rate(600, 128, loss="quantile", quantile=[0.1, 0.9]) == pytest.approx(2e-3)
    assert _rate(600, 128, loss="absolute_error") == pytest.approx(2e-3)
    assert _rate(600, 128, criterion=nn.L1Loss) == pytest.approx(2e-3)
    assert _rate(600, 128, cls=NeuralNetClassifier, criterion=nn.CrossEntropyLoss) == (
        pytest.approx(2e-3)
    )


def test_partial_fit_keeps_the_earlier_rate_whatever_the_chunk():
    X, y = _data(600)
    est = NeuralNetRegressor(batch_size=128)
    # a micro chunk (one batch of 40 rows), then a large one (batches of 128)
    for rows, rate in ((slice(0, 40), 1e-3 * np.sqrt(40 / 32)), (slice(40, 600), 2e-3)):
        assert est.partial_fit(X[rows], y[rows]).learning_rate_ == pytest.approx(rate)


def test_a_given_rate_is_kept():
    assert _rate(600, 128, learning_rate=0.05) == 0.05
