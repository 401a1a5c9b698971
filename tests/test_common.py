"""scikit-learn's own estimator checks over every public sknn estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn.discovery import all_estimators

# Fitting with integer sample weights is checked against repeating rows at
# assert_allclose's default rtol=1e-7. Minibatch training batches different rows
# (and sums the same terms in another order), so the two fits agree only to
# ~1e-4; scikit-learn marks its own MLPs (and other stochastic-gradient
# estimators) the same way. tests/test_sample_weight.py checks the equivalence
# for the networks at a float32 tolerance, tests/test_mlp_dropin.py for lbfgs.
SKIPPED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "minibatch training matches repeated rows to ~1e-4, not 1e-7; "
        "covered by tests/test_sample_weight.py"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "minibatch training matches repeated rows to ~1e-4, not 1e-7; "
        "covered by tests/test_sample_weight.py"
    ),
}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


@parametrize_with_checks([cls() for _, cls in all_estimators()])
def test_sklearn_compatible_estimator(estimator, check):
    reason = SKIPPED.get(_check_name(check))
    is_network = not hasattr(estimator, "transform")
    if reason and is_network:
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
