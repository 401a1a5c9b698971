"""A user's own torch.nn.Module trained through the estimator API."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from torch import nn

from sknn import NeuralNetClassifier, NeuralNetRegressor


class DigitsCNN(nn.Module):
    """A small CNN for 1x8x8 images; sized by hand apart from n_classes."""

    def __init__(self, n_classes: int, channels: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(channels, 2 * channels, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(2 * channels * 2 * 2, n_classes)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


class TwoInputs(nn.Module):
    """Multi-input network: dense features plus token ids (dict X)."""

    def __init__(self, n_outputs: int, vocab: int = 20, dim: int = 4):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.out = nn.Linear(3 + dim, n_outputs)

    def forward(self, dense, tokens):
        return self.out(torch.cat([dense, self.embed(tokens)], dim=1))


@pytest.fixture(scope="module")
def digits_images():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).reshape(-1, 1, 8, 8).astype(np.float32), y


def cnn(**kwargs):
    params = {
        "module": DigitsCNN,
        "module__channels": 8,
        "max_iter": 30,
        "batch_size": 64,
        "learning_rate": 3e-3,
        "random_state": 0,
    }
    params.update(kwargs)
    return NeuralNetClassifier(**params)


def test_cnn_on_digit_images_cross_validates_above_95_percent(digits_images):
    X, y = digits_images
    scores = cross_val_score(cnn(), X, y, cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.mean() >= 0.95, scores


def test_grid_search_reaches_module_and_learning_rate(digits_images):
    X, y = digits_images
    X, y = X[:600], y[:600]
    grid = {"module__channels": [4, 8], "learning_rate": [1e-3, 3e-3]}
    search = GridSearchCV(cnn(max_iter=5), grid, cv=2).fit(X, y)
    assert set(search.cv_results_["param_module__channels"]) == {4, 8}
    assert (
        search.best_estimator_.module_.features[0].out_channels
        == (search.best_params_["module__channels"])
    )
    assert search.best_estimator_.get_params()["module__channels"] in (4, 8)


def test_nested_parameters_round_trip_through_get_set_params_and_clone():
    est = cnn()
    assert est.get_params()["module__channels"] == 8
    est.set_params(module__channels=4, optimizer__betas=(0.9, 0.95))
    copied = clone(est)
    assert copied.get_params()["module__channels"] == 4
    assert copied.get_params()["optimizer__betas"] == (0.9, 0.95)


def test_unknown_nested_parameter_is_refused_at_fit(digits_images):
    X, y = digits_images
    est = cnn(modul__channels=4)  # a typo: accepted by __init__, refused before training
    with pytest.raises(TypeError, match="modul__channels"):
        est.fit(X[:50], y[:50])


def test_inferred_sizes_only_reach_named_arguments():
    class Sized(nn.Module):
        def __init__(self, n_features_in, n_outputs):
            super().__init__()
            self.layer = nn.Linear(n_features_in, n_outputs)

        def forward(self, x):
            return self.layer(x)

    X, y = make_regression(n_samples=200, n_features=5, n_targets=2, random_state=0)
    reg = NeuralNetRegressor(module=Sized, max_iter=100, learning_rate=1e-2, random_state=0)
    reg.fit(X, y)
    assert reg.module_.layer.in_features == 5 and reg.module_.layer.out_features == 2
    assert reg.predict(X).shape == (200, 2)
    assert reg.score(X, y) > 0.8  # a linear model on linear data


def test_regression_module_with_a_factory():
    X, y = make_regression(n_samples=300, n_features=8, noise=5.0, random_state=0)

    def factory(n_features_in, width=16):
        return nn.Sequential(nn.Linear(n_features_in, width), nn.ReLU(), nn.Linear(width, 1))

    reg = NeuralNetRegressor(module=factory, module__width=32, max_iter=60, random_state=0)
    reg.fit(X, y)
    assert reg.module_[0].out_features == 32
    assert reg.score(X, y) > 0.9


def test_dict_input_for_a_multi_input_network():
    rng = np.random.default_rng(0)
    n = 400
    tokens = rng.integers(0, 20, size=(n, 6))
    dense = rng.normal(size=(n, 3)).astype(np.float32)
    y = ((tokens < 5).sum(axis=1) + dense[:, 0] > 1.5).astype(int)
    X = {"dense": dense, "tokens": tokens}
    clf = NeuralNetClassifier(
        module=TwoInputs, max_iter=100, learning_rate=1e-2, random_state=0
    ).fit(X, y)
    assert clf.predict_proba(X).shape == (n, 2)
    assert clf.score(X, y) > 0.8
    with pytest.raises(ValueError, match="different numbers of samples"):
        clf.predict({"dense": dense[:10], "tokens": tokens[:11]})


def test_module_instance_is_copied_and_never_mutated(digits_images):
    X, y = digits_images
    torch.manual_seed(0)
    instance = DigitsCNN(n_classes=10, channels=4)
    before = {k: v.clone() for k, v in instance.state_dict().items()}
    clf = NeuralNetClassifier(module=instance, max_iter=3, random_state=0).fit(X[:300], y[:300])
    for key, value in instance.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert clf.module_ is not instance
    assert clf.n_ensemble_ == 1  # a module of one's own is one network
    # the instance's weights were the starting point
    assert any(not torch.equal(v, before[k]) for k, v in clf.module_.state_dict().items())


def test_frozen_parameters_keep_their_weights(digits_images):
    X, y = digits_images
    torch.manual_seed(0)
    pretrained = DigitsCNN(n_classes=10, channels=4)
    clf = NeuralNetClassifier(
        module=pretrained, frozen=["features.*"], max_iter=3, random_state=0
    ).fit(X[:300], y[:300])
    for name, value in clf.module_.state_dict().items():
        same = torch.equal(value, pretrained.state_dict()[name])
        assert same == name.startswith("features."), name
    with pytest.raises(ValueError, match="matches no parameter"):
        NeuralNetClassifier(module=pretrained, frozen=["backbone.*"], max_iter=1).fit(
            X[:50], y[:50]
        )


def test_torch_optimizer_class_with_nested_arguments(digits_images):
    X, y = digits_images
    clf = cnn(optimizer=torch.optim.SGD, optimizer__momentum=0.9, max_iter=2)
    clf.fit(X[:200], y[:200])
    assert isinstance(clf.optimizer_, torch.optim.SGD)
    assert clf.optimizer_.param_groups[0]["momentum"] == 0.9


def test_custom_module_pickles_and_predicts_the_same(digits_images):
    X, y = digits_images
    clf = cnn(max_iter=2).fit(X[:200], y[:200])
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X[:50]), clf.predict_proba(X[:50]))


def test_bad_inputs_for_a_custom_module_are_refused_clearly():
    clf = NeuralNetClassifier(module=TwoInputs, max_iter=1)
    with pytest.raises(ValueError, match="NaN"):
        clf.fit({"dense": np.full((4, 3), np.nan), "tokens": np.zeros((4, 2), int)}, [0, 1, 0, 1])
    with pytest.raises(TypeError, match="dtype"):
        clf.fit({"dense": np.array([["a"] * 3] * 4), "tokens": np.zeros((4, 2), int)}, [0, 1] * 2)
    # a routed name the module's constructor does not take: refused before building it
    with pytest.raises(ValueError, match="module__nope is not a parameter of DigitsCNN"):
        NeuralNetClassifier(module=DigitsCNN, module__nope=1, max_iter=1).fit(
            np.zeros((4, 1, 8, 8), np.float32), [0, 1, 0, 1]
        )


class Sequences(nn.Module):
    """A GRU over (n, steps, features) samples, or a linear layer in float64."""

    def __init__(self, n_outputs: int, float64: bool = False):
        super().__init__()
        self.gru = nn.GRU(4, 8, batch_first=True)
        self.out = nn.Linear(8, n_outputs, dtype=torch.float64 if float64 else None)

    def forward(self, x):
        return self.out(self.gru(x)[0][:, -1])


def test_a_modules_other_mistakes_are_named_with_their_fix():
    # each was a torch RuntimeError or fnmatch's TypeError, or (a grad tensor in a dict)
    # accepted where a plain one is refused
    X = np.random.default_rng(0).normal(size=(60, 5, 4)).astype(np.float32)
    y = X[:, 0, 0]
    with pytest.raises(TypeError, match=r"parameters are torch.float64.*module.float\(\)"):
        NeuralNetRegressor(module=Sequences, module__float64=True, max_iter=1).fit(X, y)
    reg = NeuralNetRegressor(module=Sequences, max_iter=1, random_state=0).fit(X, y)
    assert reg.predict(X[:3, :2]).shape == (3,)  # other sequence lengths are the module's
    with pytest.raises(ValueError, match=r"samples shaped \(5,\), fitted on \(5, 4\)"):
        reg.predict(X[:, :, 0])
    with pytest.raises(ValueError, match="frozen entry 0 must be a glob pattern string"):
        NeuralNetRegressor(module=Sequences, frozen=[0], max_iter=1).fit(X, y)
    gru_frozen = NeuralNetRegressor(
        module=Sequences, frozen=["gru.*"], lr_multipliers={"gru.*": 0.1}, max_iter=1
    )
    with pytest.raises(ValueError, match="match no trainable parameter; every one is frozen"):
        NeuralNetRegressor(
            module=Sequences, frozen=["*"], lr_multipliers={"out.*": 0.1}, max_iter=1
        ).fit(X, y)
    with pytest.raises(ValueError, match=r"trainable parameter names are \['out.weight'"):
        gru_frozen.fit(X, y)
    clf = NeuralNetClassifier(module=TwoInputs, max_iter=1)
    tokens = torch.zeros((4, 2), dtype=torch.int64)
    dense = torch.ones((4, 3), requires_grad=True)
    with pytest.raises(TypeError, match=r"X\['dense'\] is a torch tensor that requires grad"):
        clf.fit({"dense": dense, "tokens": tokens}, [0, 1, 0, 1])


def test_lr_multipliers_scale_chosen_groups(digits_images):
    X, y = digits_images
    torch.manual_seed(0)
    pretrained = DigitsCNN(n_classes=10, channels=4)
    clf = NeuralNetClassifier(
        module=pretrained,
        lr_multipliers={"features.*": 0.0},
        learning_rate=1e-2,
        lr_schedule="constant",
        max_iter=2,
        random_state=0,
    ).fit(X[:300], y[:300])
    rates = sorted(group["lr"] for group in clf.optimizer_.param_groups)
    assert rates == [0.0, 1e-2]
    for name, value in clf.module_.state_dict().items():
        same = torch.equal(value, pretrained.state_dict()[name])
        assert same == name.startswith("features."), name
    with pytest.raises(ValueError, match="match no trainable parameter"):
        NeuralNetClassifier(module=pretrained, lr_multipliers={"nope.*": 0.1}, max_iter=1).fit(
            X[:50], y[:50]
        )


def test_criterion_class_with_nested_parameters_and_sample_weight():
    X, y = make_regression(n_samples=300, n_features=6, noise=5.0, random_state=0)
    y[:10] += 1e4  # outliers: a Huber loss should care less about them
    params = {"hidden_layer_sizes": (16,), "max_iter": 40, "random_state": 0}
    huber = NeuralNetRegressor(criterion=nn.HuberLoss, criterion__delta=0.1, **params)
    assert huber.get_params()["criterion__delta"] == 0.1
    huber.fit(X, y, sample_weight=np.r_[np.ones(150), np.full(150, 2.0)])  # weighted path
    squared = NeuralNetRegressor(**params).fit(X, y)
    clean = slice(10, None)
    assert huber.score(X[clean], y[clean]) > squared.score(X[clean], y[clean])


def test_criterion_callable_returning_a_scalar_refuses_sample_weights(digits_images):
    X, y = digits_images
    clf = cnn(criterion=lambda out, target: nn.functional.cross_entropy(out, target), max_iter=2)
    clf.fit(X[:100], y[:100])  # no weights: a scalar loss is fine
    with pytest.raises(ValueError, match="sample weights"):
        clf.fit(X[:100], y[:100], sample_weight=np.arange(100) % 3 + 1.0)


def _broadcasting_squared_error(out, target):
    return (out - target.T) ** 2  # (n, 1) against (1, n): an (n, n) table of losses


def _detached_squared_error(out, target):
    return ((out.detach() - target) ** 2).mean(dim=1)


@pytest.mark.parametrize(
    ("make", "criterion", "message"),
    [
        (NeuralNetClassifier, nn.BCEWithLogitsLoss, r"outputs \(\d+, 2\).*class indices"),
        (NeuralNetClassifier, nn.MSELoss, r"failed on the network's outputs"),
        (NeuralNetRegressor, nn.CrossEntropyLoss, "zero gradient.*single output"),
        (NeuralNetRegressor, _broadcasting_squared_error, r"shape \(\d+, \d+\).*broadcast"),
        (NeuralNetRegressor, _detached_squared_error, r"no gradient.*detach"),
    ],
)
def test_a_criterion_that_does_not_fit_the_task_is_refused_before_training(
    make, criterion, message
):
    X, y = make_regression(n_samples=120, n_features=4, random_state=0)
    if make is NeuralNetClassifier:
        y = (y > 0).astype(int)
    est = make(criterion=criterion, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns of MSELoss's broadcast
        with pytest.raises(ValueError, match=message):
            est.fit(X, y)
    assert not hasattr(est, "n_iter_")


class WithUnusedLayer(nn.Module):
    """A module holding a layer its forward never uses (as pretrained models often do)."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.used = nn.Linear(n_features_in, n_outputs)
        self.unused = nn.Linear(3, 3)

    def forward(self, x):
        return self.used(x)


@pytest.mark.parametrize("optimizer", ["adamw", "sgd"])
def test_parameters_the_loss_never_uses_are_left_alone(optimizer):
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    start = WithUnusedLayer(4, 1)
    est = NeuralNetRegressor(module=start, optimizer=optimizer, max_iter=3, random_state=0)
    est.fit(X, y)
    assert est.predict(X).shape == (100,)
    # no gradient, no update (not even weight decay), as torch's optimizers do
    torch.testing.assert_close(est.module_.unused.weight, start.unused.weight)
    assert not torch.equal(est.module_.used.weight, start.used.weight)


def test_arrays_with_negative_strides_are_read_as_their_copies():
    # predict(X[::-1]) raised torch's "negative strides" ValueError
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    reg = NeuralNetRegressor(module=nn.Linear, module__in_features=4, module__out_features=1)
    reg.set_params(max_iter=2, random_state=0).fit(X[::-1], y[::-1])
    np.testing.assert_array_equal(reg.predict(X[:, ::-1]), reg.predict(X[:, ::-1].copy()))


class _Pair(nn.Module):
    """Returns (logits, features), as many pretrained models do."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.layer = nn.Linear(n_features_in, n_outputs)

    def forward(self, x):
        return self.layer(x), x


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_predict_checks_x_against_what_the_module_was_fitted_on():
    # a column too few reached torch ("mat1 and mat2 shapes cannot be multiplied"),
    # swapped DataFrame columns were answered silently, integers failed in torch
    pd = pytest.importorskip("pandas")
    X, y = make_regression(n_samples=80, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    reg = NeuralNetRegressor(module=nn.Linear, module__in_features=4, module__out_features=1)
    reg.set_params(max_iter=2, random_state=0).fit(frame, y)
    assert list(reg.feature_names_in_) == ["a", "b", "c", "d"] and reg.n_features_in_ == 4
    with pytest.raises(ValueError, match="X has 3 features, but NeuralNetRegressor is expecting 4"):
        reg.predict(X[:, :3])
    with pytest.raises(ValueError, match="feature names should match"):
        reg.predict(frame[["b", "a", "c", "d"]])
    counts = np.round(X * 10)
    np.testing.assert_allclose(reg.predict(counts.astype(int)), reg.predict(counts), rtol=1e-6)
    # a module fitted on token ids takes no floats, and a refit on images drops the count
    tokens = np.random.default_rng(0).integers(0, 20, size=(80, 5))
    bag = NeuralNetRegressor(module=TwoInputs, max_iter=2, random_state=0)
    bag.fit({"dense": X[:, :3], "tokens": tokens}, y)
    with pytest.raises(TypeError, match=r"X\['tokens'\] holds floats.*astype\(np.int64\)"):
        bag.predict({"dense": X[:, :3], "tokens": tokens.astype(float)})
    with pytest.raises(ValueError, match="a dict of"):
        bag.predict(X[:, :3])
    grids = NeuralNetRegressor(module=lambda: nn.Sequential(nn.Flatten(), nn.Linear(4, 1)))
    grids.set_params(max_iter=2, random_state=0).fit(X, y)
    grids.fit(X.reshape(-1, 2, 2), y)  # the count of the first fit is not left behind
    assert not hasattr(grids, "n_features_in_")
    with pytest.raises(ValueError, match="has 1 dimension.*reshape"):
        reg.predict(X[0])


def test_modules_that_cannot_train_as_they_are_are_told_why():
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    fast = {"max_iter": 2, "random_state": 0}
    with pytest.raises(TypeError, match=r"returned a tuple.*out\[0\]"):
        NeuralNetRegressor(module=_Pair, **fast).fit(X, y)
    with pytest.raises(TypeError, match=r"int64.*X.astype\(np.float32\)"):
        NeuralNetRegressor(
            module=nn.Linear, module__in_features=4, module__out_features=1, **fast
        ).fit(np.round(X).astype(int), y)
    with pytest.raises(ValueError, match="no parameters"):
        NeuralNetRegressor(module=nn.Identity, **fast).fit(X[:, :1], y)
    # lazy layers create their weights on the first call, which was an inference-mode probe
    lazy = NeuralNetRegressor(module=lambda: nn.LazyLinear(1), **fast).fit(X, y)
    assert np.isfinite(lazy.predict(X)).all()


class _Normed(nn.Module):
    def __init__(self, n_features_in, n_classes):
        super().__init__()
        self.norm = nn.BatchNorm1d(n_features_in)
        self.layer = nn.Linear(n_features_in, n_classes)

    def forward(self, x):
        return self.layer(self.norm(x))


def test_batch_norm_trains_when_the_last_batch_would_hold_one_row():
    # 65 rows in batches of 32 left a batch of one row: torch's "Expected more than 1
    # value per channel when training"; it joins the batch before, so every row trains
    X, y = make_classification(n_samples=65, n_features=6, random_state=0)
    clf = NeuralNetClassifier(module=_Normed, batch_size=32, early_stopping=False, max_iter=3)
    clf.fit(X.astype(np.float32), y)
    assert clf.n_iter_ == 3 and np.isfinite(clf.predict_proba(X)).all()


class _AnySize(nn.Module):
    """Images of any size: pooled to one value a channel."""

    def __init__(self, n_classes):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(1, n_classes)

    def forward(self, x):
        return self.head(self.pool(x).flatten(1))


def test_images_and_token_ids_of_other_sizes_than_at_fit_are_the_modules_to_judge(
    digits_images,
):
    X, y = digits_images
    clf = NeuralNetClassifier(module=_AnySize, max_iter=1, random_state=0).fit(X[:100], y[:100])
    larger = np.repeat(np.repeat(X[:5], 2, axis=2), 2, axis=3)  # 16 x 16
    assert clf.predict(larger).shape == (5,)
    tokens = np.random.default_rng(0).integers(0, 20, size=(60, 5))
    bag = NeuralNetRegressor(module=TwoInputs, max_iter=1, random_state=0)
    bag.fit({"dense": tokens[:, :3].astype(float), "tokens": tokens}, tokens[:, 0].astype(float))
    longer = {"dense": tokens[:4, :3].astype(float), "tokens": np.tile(tokens[:4], 2)}
    assert bag.predict(longer).shape == (4,)


class _Rows(nn.Module):
    def __init__(self, n_outputs: int = 2):
        super().__init__()
        self.layer = nn.LazyLinear(n_outputs)

    def forward(self, x):
        return self.layer(x)


def test_boolean_rows_reach_a_module_as_floats():
    # they were passed as int64, as token ids: a Linear layer failed in torch
    rng = np.random.default_rng(0)
    X = rng.random((120, 6)) > 0.5
    y = (X[:, 0] ^ X[:, 1]).astype(int)
    clf = NeuralNetClassifier(module=_Rows, max_iter=3, random_state=0).fit(X, y)
    as_floats = NeuralNetClassifier(module=_Rows, max_iter=3, random_state=0)
    as_floats.fit(X.astype(np.float32), y)
    np.testing.assert_allclose(clf.predict_proba(X), as_floats.predict_proba(X), atol=1e-6)


class _MaskEmbedding(nn.Module):
    def __init__(self, n_outputs: int = 2):
        super().__init__()
        self.embed = nn.Embedding(2, 4)
        self.out = nn.Linear(4, n_outputs)

    def forward(self, x):
        return self.out(self.embed(x).mean(dim=1))


def test_boolean_rows_meant_as_indices_are_told_to_be_integers():
    # booleans reach a module as float32 (a Linear takes them); an embedding of them
    # needs integers, and torch's "Expected tensor for argument #1 'indices'" said so
    # without the fix
    rng = np.random.default_rng(0)
    X = rng.random((120, 6)) > 0.5
    y = X[:, 0].astype(int)
    with pytest.raises(TypeError, match=r"X.astype\(np.int64\)"):
        NeuralNetClassifier(module=_MaskEmbedding, max_iter=1).fit(X, y)
    NeuralNetClassifier(module=_MaskEmbedding, max_iter=1).fit(X.astype(np.int64), y)
