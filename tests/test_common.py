"""scikit-learn's own estimator checks over every public sknn estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn.discovery import all_estimators

# The flagship estimators only: with their defaults, repeating rows changes
# the training schedule itself, not just the sums. max_iter="auto" budgets
# optimizer steps by the row count, batch_size="auto" is a share of the rows,
# early_stopping="auto" holds out a validation split from 10 rows on, and the
# network trains in float32 at assert_allclose's rtol=1e-7. Under a fixed
# full-batch schedule tests/test_sample_weight.py checks integer weights
# against repeated rows (and zero weights against dropped rows) for both.
# scikit-learn 1.9.1 lists no expected failure for its own MLPs, and the
# drop-ins pass both checks unskipped (weighted rows act as repeated rows
# exactly, as in scikit-learn).
SKIPPED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the flagship's auto schedule (steps, batch share, validation split) depends on "
        "the row count; covered under a fixed schedule by tests/test_sample_weight.py"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "the flagship's auto schedule (steps, batch share, validation split) depends on "
        "the row count; covered under a fixed schedule by tests/test_sample_weight.py"
    ),
}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


@parametrize_with_checks([cls() for _, cls in all_estimators()])
def test_sklearn_compatible_estimator(estimator, check):
    reason = SKIPPED.get(_check_name(check))
    if reason and type(estimator).__name__.startswith("NeuralNet"):
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


def test_tags_say_what_the_estimators_take():
    from torch import nn

    from sknn import MLPRegressor, NeuralNetClassifier, NeuralNetRegressor

    class Net(nn.Module):
        def __init__(self, n_features_in, n_outputs):
            super().__init__()
            self.out = nn.Linear(n_features_in, n_outputs)

        def forward(self, x):
            return self.out(x)

    # a multilabel indicator, not multiclass-multioutput (refused), as scikit-learn's MLP
    assert not NeuralNetClassifier().__sklearn_tags__().target_tags.multi_output
    assert NeuralNetRegressor().__sklearn_tags__().target_tags.multi_output
    for Est in (NeuralNetClassifier, NeuralNetRegressor):
        own, module = Est().__sklearn_tags__().input_tags, Est(module=Net).__sklearn_tags__()
        assert own.allow_nan and own.sparse and own.string and own.categorical
        # a module of one's own takes numeric arrays of any shape, or dicts of them
        taken = module.input_tags
        assert not (taken.allow_nan or taken.sparse or taken.string or taken.categorical)
        assert taken.three_d_array and taken.dict
    assert MLPRegressor(loss="poisson").__sklearn_tags__().target_tags.positive_only
    assert not MLPRegressor().__sklearn_tags__().target_tags.positive_only
