"""The drop-ins are scikit-learn's MLPs to rounding, in float64 (issue 32).

Same data, same seeds, the same public parameters: Adam's steps, SGD's loss
curve, L-BFGS's first iterations, weighted rows against repeated rows, and the
warning filter scikit-learn's gallery uses.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnClassifier
from sklearn.neural_network import MLPRegressor as SklearnRegressor
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknn import MLPClassifier, MLPRegressor

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
IRIS_X = MinMaxScaler().fit_transform(IRIS_X)  # float64


def max_weight_difference(a, b) -> float:
    pairs = zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True)
    return max(float(np.abs(x - z).max()) for x, z in pairs)


def both(sknn_cls, sklearn_cls, X, y, sample_weight=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = sknn_cls(random_state=0, **params).fit(X, y, sample_weight=sample_weight)
        theirs = sklearn_cls(random_state=0, **params).fit(X, y, sample_weight=sample_weight)
    assert ours.coefs_[0].dtype == np.float64
    return ours, theirs


@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize("alpha", [1e-4, 0.0])
def test_adam_steps_match_scikit_learn(steps, alpha):
    ours, theirs = both(
        MLPClassifier,
        SklearnClassifier,
        IRIS_X,
        IRIS_Y,
        solver="adam",
        learning_rate_init=0.01,
        max_iter=steps,
        alpha=alpha,
    )
    assert max_weight_difference(ours, theirs) < 1e-10
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=0, atol=1e-12)


def test_adam_stops_at_scikit_learns_iteration():
    ours, theirs = both(
        MLPClassifier, SklearnClassifier, IRIS_X, IRIS_Y, learning_rate_init=0.01, max_iter=400
    )
    assert ours.n_iter_ == theirs.n_iter_
    assert max_weight_difference(ours, theirs) < 1e-10


@pytest.mark.parametrize("batch_size", [32, 200])
def test_sgd_loss_curve_matches_scikit_learn(batch_size):
    ours, theirs = both(
        MLPClassifier,
        SklearnClassifier,
        IRIS_X,
        IRIS_Y,
        solver="sgd",
        max_iter=40,
        batch_size=batch_size,
    )
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=0, atol=1e-12)
    assert max_weight_difference(ours, theirs) < 1e-12


def test_a_regressors_loss_curve_with_alpha_and_a_short_last_batch_matches():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    # 442 rows in batches of 64: the last one has 58, and its L2 term is divided by 58
    ours, theirs = both(MLPRegressor, SklearnRegressor, X, y, max_iter=30, batch_size=64, alpha=0.1)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12, atol=0)
    assert max_weight_difference(ours, theirs) < 1e-10


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_weighted_rows_match_scikit_learn_and_repeated_rows(solver):
    weights = np.random.default_rng(0).integers(0, 4, len(IRIS_X)).astype(float)
    params = {"solver": solver, "max_iter": 15, "batch_size": 300, "alpha": 1e-3}
    ours, theirs = both(MLPClassifier, SklearnClassifier, IRIS_X, IRIS_Y, weights, **params)
    assert max_weight_difference(ours, theirs) < 1e-10
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=0, atol=1e-12)
    # one full batch either way: a row of weight w acts as w copies of it
    repeat = np.repeat(np.arange(len(IRIS_X)), weights.astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        repeated = MLPClassifier(random_state=0, shuffle=False, **params).fit(
            IRIS_X[repeat], IRIS_Y[repeat]
        )
        weighted = MLPClassifier(random_state=0, shuffle=False, **params).fit(
            IRIS_X, IRIS_Y, sample_weight=weights
        )
    assert max_weight_difference(repeated, weighted) < 1e-10


def test_lbfgs_first_fifty_iterations_match_scikit_learn():
    X, y = load_digits(return_X_y=True)
    X = MinMaxScaler().fit_transform(X)
    params = {"solver": "lbfgs", "hidden_layer_sizes": (10, 10), "max_iter": 50}
    ours, theirs = both(MLPClassifier, SklearnClassifier, X, y, **params)
    assert ours.n_iter_ == theirs.n_iter_ == 50
    assert max_weight_difference(ours, theirs) < 1e-8
    assert abs(ours.loss_ - theirs.loss_) < 1e-8


@pytest.mark.parametrize("solver", ["sgd", "lbfgs", "adam"])
def test_several_targets_step_as_scikit_learn_does(solver):
    # scikit-learn reports the mean over outputs but steps by their sum: SGD at a
    # third of its rate on three targets, and L-BFGS on another path, before
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Y = StandardScaler().fit_transform(np.c_[y, X[:, 2] * y, np.sin(X[:, 3])])
    params = {"solver": solver, "hidden_layer_sizes": (10,), "max_iter": 30, "alpha": 1e-3}
    ours, theirs = both(MLPRegressor, SklearnRegressor, X, Y, **params)
    assert max_weight_difference(ours, theirs) < 1e-10
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-12)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_confidently_wrong_rows_report_the_clipped_log_loss(solver, n_classes):
    # scikit-learn clips probabilities at eps in the loss it reports (and L-BFGS
    # searches on): a few rows scaled 1e5 reported a loss of 962 for its 0.96
    X = IRIS_X.copy()
    y = IRIS_Y if n_classes == 3 else (IRIS_Y > 0).astype(int)
    X[::30] *= 1e5
    params = {"solver": solver, "hidden_layer_sizes": (4,), "max_iter": 3}
    ours, theirs = both(MLPClassifier, SklearnClassifier, X, y, **params)
    assert theirs.loss_ < 5  # the clipped loss: about 36 for a row at eps
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-10)
    if solver == "adam":  # L-BFGS keeps no curve in scikit-learn
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-10)
    assert max_weight_difference(ours, theirs) < 1e-8


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("labels", ["binary", "multilabel", "multiclass"])
def test_confident_rows_report_the_log_loss_by_scikit_learns_arithmetic(solver, labels):
    # logits of 20 to 35: scikit-learn's loss from clipped probabilities loses digits
    # where 1 - p does (1.6e-3 relative at 35); sknn's exact log-sigmoid reported
    # 4.7e-6 apart over an adam fit, and L-BFGS, whose line search reads the value,
    # ended 1.8e-4 apart in its weights (multilabel, weighted)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] > 0).astype(int)
    y[np.argsort(X[:, 0])[-3:]] = 0  # far off, labelled against the trend
    if labels == "multilabel":
        y = np.c_[y, (X[:, 1] > 0).astype(int)]
    elif labels == "multiclass":
        y = y + (X[:, 1] > 1).astype(int)
    weight = rng.randint(1, 4, size=len(y)).astype(float)
    params = {"solver": solver, "hidden_layer_sizes": (), "alpha": 0.0, "tol": 0.0}
    params["max_iter"] = 30 if solver == "adam" else 50
    if solver == "adam":
        params["learning_rate_init"] = 0.1
    ours, theirs = both(MLPClassifier, SklearnClassifier, 30 * X, y, weight, **params)
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-12)
    assert max_weight_difference(ours, theirs) < 1e-9 * max(
        float(np.abs(w).max()) for w in theirs.coefs_
    )


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("module", ["sklearn", None])
def test_the_gallerys_warning_filter_silences_the_drop_ins(solver, module):
    # None: the module scikit-learn's own MLP warns from, for this solver
    for Ours, Theirs in ((MLPClassifier, SklearnClassifier), (MLPRegressor, SklearnRegressor)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            Theirs(solver=solver, max_iter=2).fit(IRIS_X, IRIS_Y)
        (theirs,) = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        narrowest = module or theirs.filename.split("site-packages/")[-1][:-3].replace("/", ".")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", category=ConvergenceWarning, module=narrowest)
            Theirs(solver=solver, max_iter=2).fit(IRIS_X, IRIS_Y)
            Ours(solver=solver, max_iter=2).fit(IRIS_X, IRIS_Y)
        assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)], narrowest
        with pytest.warns(ConvergenceWarning, match=str(theirs.message)[:30]) as ours:
            Ours(solver=solver, max_iter=2).fit(IRIS_X, IRIS_Y)
        assert [w.filename for w in ours] == [theirs.filename]


def test_one_class_with_early_stopping_validates_as_scikit_learn_does():
    # predict can only give the one class: scikit-learn's validation accuracy is 1.0
    # every epoch; sknn scored the outputs against the binarized targets (0.0 to 1.0),
    # trained 50 epochs for its 12 and kept other weights (0.48 apart)
    X = np.random.RandomState(0).normal(size=(100, 4))
    y = np.full(100, "spam")
    params = {"hidden_layer_sizes": (5,), "early_stopping": True, "max_iter": 50}
    params["learning_rate_init"] = 0.01
    ours, theirs = both(MLPClassifier, SklearnClassifier, X, y, **params)
    assert ours.validation_scores_ == theirs.validation_scores_
    assert ours.n_iter_ == theirs.n_iter_
    assert max_weight_difference(ours, theirs) < 1e-12


@pytest.mark.parametrize("alpha", [1e-4, 0.0])
@pytest.mark.parametrize("where", ["a batch", "the validation rows"])
def test_rows_weighing_nothing_raise_as_scikit_learn_does(alpha, where):
    # a batch of weight 0: "float division by zero", or (alpha=0) a fit that went on;
    # validation rows of weight 0: the same, or validation scores of 0.0 every epoch
    from sklearn.model_selection import train_test_split

    X = np.random.RandomState(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    weight = np.ones(60)
    params = {"alpha": alpha, "random_state": 0, "max_iter": 3}
    if where == "a batch":
        weight[:10] = 0
        params |= {"hidden_layer_sizes": (3,), "batch_size": 10, "shuffle": False}
    else:
        draws = np.random.RandomState(0)
        draws.uniform(size=3 * 5 + 5 + 5 + 1)  # the initial weights, drawn before the split
        _, held_out = train_test_split(np.arange(60), random_state=draws, test_size=0.2, stratify=y)
        weight[held_out] = 0
        params |= {"hidden_layer_sizes": (5,), "early_stopping": True, "validation_fraction": 0.2}
    raised = []
    for cls in (SklearnClassifier, MLPClassifier):
        with pytest.raises((ZeroDivisionError, ValueError)) as error:
            cls(**params).fit(X, y, sample_weight=weight)
        raised.append((error.type, str(error.value)))
    assert raised[0] == raised[1]


def test_a_constant_target_validates_as_scikit_learns_r2_score_does():
    # scikit-learn's R^2 of a constant column is 0, or about -1e30 when numpy's mean
    # misses the constant by a rounding; sknn's torch sums landed elsewhere, so the two
    # stopped 47 epochs apart and kept weights 0.55 apart
    X = np.random.RandomState(0).normal(size=(100, 3))
    y = np.c_[X @ [1.0, -2.0, 0.5], np.full(100, 0.3)]  # numpy's mean of ten 0.3s misses
    params = {"hidden_layer_sizes": (5,), "early_stopping": True, "max_iter": 60}
    params |= {"learning_rate_init": 0.01, "n_iter_no_change": 3}
    ours, theirs = both(MLPRegressor, SklearnRegressor, X, y, **params)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9)
    assert ours.n_iter_ == theirs.n_iter_
    assert max_weight_difference(ours, theirs) < 1e-12


def test_a_float32_fit_predicts_float64_rows_in_float64_whatever_their_number():
    # past 10 million multiply-adds the torch path computed a float32 fit in float32:
    # 1.8e-7 from scikit-learn (numpy upcasts), and a row's answer depended on its batch
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 20)).astype(np.float32)
    y = X[:, 0] * 3 + X[:, 1] ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPRegressor(hidden_layer_sizes=(100,), random_state=0).fit(X, y)
        theirs = SklearnRegressor(hidden_layer_sizes=(100,), random_state=0).fit(X, y)
    ours.coefs_ = [c.copy() for c in theirs.coefs_]  # the same float32 weights
    ours.intercepts_ = [c.copy() for c in theirs.intercepts_]
    many = rng.normal(size=(6000, 20))  # float64, past the torch path's threshold
    np.testing.assert_allclose(ours.predict(many), theirs.predict(many), rtol=1e-12, atol=1e-13)
    assert ours.predict(many).dtype == np.float64
    assert ours.predict(many[:1])[0] == pytest.approx(ours.predict(many)[0], rel=1e-14)


@pytest.mark.parametrize(
    "cls, name, value",
    [
        (MLPClassifier, "activation", "gelu"),
        (MLPClassifier, "solver", "bfgs"),
        (MLPClassifier, "learning_rate", "cosine"),
        (MLPRegressor, "loss", "huber"),
    ],
)
def test_invalid_options_are_refused_in_scikit_learns_words(cls, name, value):
    # the options were listed in another order (each module's set iterates its own way)
    theirs = {MLPClassifier: SklearnClassifier, MLPRegressor: SklearnRegressor}[cls]
    messages = []
    for estimator in (cls, theirs):
        with pytest.raises(ValueError) as error:
            estimator(**{name: value}).fit([[0.0], [1.0]], [0, 1])
        messages.append(str(error.value).replace(theirs.__name__, cls.__name__))
    assert messages[0] == messages[1]
