"""scikit-learn's own estimator checks over every public sknn estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn._base import BaseNeuralNet
from sknn.discovery import all_estimators

# Fitting with integer sample weights is checked against repeating rows at
# assert_allclose's default rtol=1e-7. Minibatch training in float32 sums the
# same terms in another order and batches differ, so the two fits agree only to
# ~1e-4; scikit-learn marks its own stochastic-gradient estimators the same way.
# tests/test_sample_weight.py checks the same equivalence at a float32 tolerance.
SKIPPED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "float32 minibatch training matches repeated rows to ~1e-4, not 1e-7; "
        "covered by tests/test_sample_weight.py"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "float32 minibatch training matches repeated rows to ~1e-4, not 1e-7; "
        "covered by tests/test_sample_weight.py"
    ),
}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


@parametrize_with_checks([cls() for _, cls in all_estimators()])
def test_sklearn_compatible_estimator(estimator, check):
    reason = SKIPPED.get(_check_name(check))
    if reason and isinstance(estimator, BaseNeuralNet):
        pytest.skip(reason)
    check(estimator)


def test_discovery_finds_every_public_estimator():
    names = {name for name, _ in all_estimators()}
    assert {
        "MLPClassifier",
        "MLPRegressor",
        "NeuralNetClassifier",
        "NeuralNetRegressor",
        "TabularEncoder",
    } <= names
