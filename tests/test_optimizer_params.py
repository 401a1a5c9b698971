"""The optimizer's settings are checked before training, as torch.optim checks its own.

sknn's named optimizers (``"adamw"``, ``"adam"``, ``"sgd"``) run on fused
kernels that skip torch.optim's range checks: a negative ``eps`` or momentum,
or a beta outside [0, 1), is refused naming the ``optimizer__`` parameter.
``lr_multipliers`` factors must be finite and non-negative; the user's
patterns win over the built-in network's own factors (``"scale.*"``), which
are dropped where they match nothing trainable. A ``torch.optim`` class gets
``weight_decay`` only where it takes it, and one that needs a closure
(``LBFGS``) is refused.
"""

import math

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification
from torch import nn

from sknn import NeuralNetClassifier, NeuralNetRegressor
from sknn.training import Callback

X, y = make_classification(80, 4, random_state=0)
X = X.astype(np.float32)
FAST = {"max_iter": 2, "random_state": 0, "early_stopping": False}


class Net(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.body = nn.Linear(n_features_in, 8)
        self.out = nn.Linear(8, n_outputs)

    def forward(self, x):
        return self.out(torch.relu(self.body(x)))


class Epochs(Callback):
    """Counts the epochs that began."""

    def __init__(self):
        self.started = 0

    def on_epoch_begin(self, epoch):
        self.started += 1


def _refused_before_training(params, match, estimator=NeuralNetClassifier, target=y):
    epochs = Epochs()
    est = estimator(callbacks=[epochs], **FAST, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, target)
    assert epochs.started == 0


def _factors(est) -> dict[str, float]:
    """Each trainable parameter's learning-rate factor in the fitted optimizer."""
    names = {id(p): name for name, p in est.module_.named_parameters()}
    return {
        names[id(p)]: group.get("lr_multiplier", 1.0)
        for group in est.optimizer_.param_groups
        for p in group["params"]
    }


BAD_OPTIONS = [
    ({"optimizer__eps": -1.0}, r"optimizer__eps=-1\.0 must be a finite number >= 0"),
    ({"optimizer__eps": math.nan}, r"optimizer__eps=nan must be"),
    ({"optimizer": "adam", "optimizer__eps": math.inf}, r"optimizer__eps=inf must be"),
    ({"optimizer__betas": (2.0, 3.0)}, r"optimizer__betas=\(2\.0, 3\.0\) .* in \[0, 1\)"),
    ({"optimizer__betas": (0.9, 1.0)}, r"optimizer__betas=\(0\.9, 1\.0\)"),
    ({"optimizer__betas": (-0.1, 0.9)}, r"optimizer__betas=\(-0\.1, 0\.9\)"),
    ({"optimizer__betas": 0.9}, r"optimizer__betas=0\.9 must be a pair"),
    ({"optimizer__betas": (0.9, 0.9, 0.9)}, r"must be a pair"),
    ({"optimizer": "sgd", "optimizer__momentum": -0.5}, r"optimizer__momentum=-0\.5 .*\[0, 1\]"),
    ({"optimizer": "sgd", "optimizer__momentum": 2.0}, r"optimizer__momentum=2\.0"),
    ({"optimizer": "sgd", "optimizer__momentum": "0.9"}, r"optimizer__momentum='0\.9'"),
    (
        {"optimizer": "sgd", "optimizer__momentum": 0.0, "optimizer__nesterov": True},
        r"optimizer__nesterov=True requires a positive momentum.*optimizer__momentum=0\.0",
    ),
    ({"optimizer": "sgd", "optimizer__nesterov": "yes"}, r"optimizer__nesterov='yes' must be"),
]


@pytest.mark.parametrize(("params", "match"), BAD_OPTIONS)
def test_a_named_optimizers_bad_setting_is_refused_before_training(params, match):
    _refused_before_training(params, match)


@pytest.mark.parametrize(("params", "match"), BAD_OPTIONS[:2] + BAD_OPTIONS[8:9])
def test_the_checks_reach_a_custom_module_and_a_regressor(params, match):
    _refused_before_training({"module": Net, **params}, match)
    _refused_before_training(
        params, match, estimator=NeuralNetRegressor, target=X[:, 0].astype(np.float64)
    )


@pytest.mark.parametrize(
    "params",
    [
        {"optimizer__eps": 1e-12, "optimizer__betas": (0.0, 0.0)},
        {"optimizer": "adam", "optimizer__betas": [0.5, 0.99]},
        {"optimizer": "sgd", "optimizer__momentum": 0.0},
        {"optimizer": "sgd", "optimizer__momentum": 1.0, "optimizer__nesterov": True},
        {"optimizer": "sgd", "optimizer__nesterov": True},  # the default momentum, 0.9
        {"optimizer": "sgd", "optimizer__momentum": np.float32(0.5)},
    ],
)
def test_settings_at_the_edge_of_their_range_train(params):
    est = NeuralNetClassifier(**FAST, **params).fit(X, y)
    assert np.isfinite(est.loss_curve_).all()


def test_an_unknown_optimizer_keyword_is_refused_naming_what_it_takes():
    with pytest.raises(ValueError, match=r"optimizer__beta is not a parameter .*'betas'"):
        NeuralNetClassifier(optimizer__beta=(0.9, 0.9), **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"optimizer__eps .*optimizer='sgd'.*momentum"):
        NeuralNetClassifier(**FAST).set_params(optimizer="sgd", optimizer__eps=1e-8)


@pytest.mark.parametrize(
    ("factor", "shown"),
    [(-1.0, r"-1\.0"), (math.nan, "nan"), (math.inf, "inf"), ("fast", "'fast'"), (True, "True")],
)
def test_a_negative_or_non_finite_lr_multiplier_is_refused(factor, shown):
    match = rf"lr_multipliers\['\*'\]={shown} must be a finite number >= 0"
    _refused_before_training({"lr_multipliers": {"*": factor}}, match)
    _refused_before_training({"module": Net, "lr_multipliers": {"out.*": factor}}, match[:17])


def test_a_zero_lr_multiplier_freezes_that_groups_learning():
    def fit(epochs):
        params = {**FAST, "max_iter": epochs, "weight_decay": 0.0}
        return NeuralNetClassifier(module=Net, lr_multipliers={"body.*": 0}, **params).fit(X, y)

    short, longer = fit(1), fit(3)
    assert _factors(short)["body.weight"] == 0.0
    assert _factors(short)["out.weight"] == 1.0
    # the same seed starts both from the same weights: only the head moved
    torch.testing.assert_close(short.module_.body.weight, longer.module_.body.weight)
    assert not torch.equal(short.module_.out.weight, longer.module_.out.weight)


@pytest.mark.parametrize(
    ("params", "scale_factor"),
    [
        ({"lr_multipliers": {"*": 0.5}}, 0.5),
        ({"lr_multipliers": {"scale.weight": 2.0}}, 2.0),
        ({"lr_multipliers": {"scale.*": 3.0}}, 3.0),
        ({"lr_multipliers": {"mlp.*": 0.5}}, 6.0),  # the built-in factor where no user one
        ({}, 6.0),
    ],
)
def test_the_users_lr_multipliers_win_over_the_built_in_ones(params, scale_factor):
    est = NeuralNetClassifier(**FAST, **params).fit(X, y)
    factors = _factors(est)
    assert factors["scale.weight"] == scale_factor
    if params.get("lr_multipliers", {}).get("*"):
        assert set(factors.values()) == {0.5}
    if "mlp.*" in params.get("lr_multipliers", {}):
        assert factors["mlp.0.weight"] == 0.5


def test_freezing_the_built_in_scale_drops_its_factor():
    est = NeuralNetClassifier(frozen=["scale.*"], **FAST).fit(X, y)
    assert "scale.weight" not in _factors(est)
    assert not est.module_.scale.weight.requires_grad
    est = NeuralNetClassifier(frozen=["scale.*"], lr_multipliers={"mlp.*": 2.0}, **FAST)
    assert _factors(est.fit(X, y))["mlp.0.weight"] == 2.0


def test_a_user_pattern_that_matches_nothing_is_still_refused():
    with pytest.raises(ValueError, match=r"patterns \['nothing\.\*'\] match no trainable"):
        NeuralNetClassifier(lr_multipliers={"nothing.*": 2.0}, **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"patterns \['scale\.\*'\] match no trainable"):
        NeuralNetClassifier(frozen=["scale.*"], lr_multipliers={"scale.*": 2.0}, **FAST).fit(X, y)


def test_an_optimizer_class_without_weight_decay_trains_at_zero_decay():
    est = NeuralNetClassifier(optimizer=torch.optim.Rprop, weight_decay=0.0, **FAST).fit(X, y)
    assert isinstance(est.optimizer_, torch.optim.Rprop)
    est = NeuralNetClassifier(module=Net, optimizer=torch.optim.Rprop, weight_decay=0, **FAST)
    assert isinstance(est.fit(X, y).optimizer_, torch.optim.Rprop)


def test_a_weight_decay_an_optimizer_class_cannot_take_is_refused():
    match = r"optimizer=Rprop takes no weight_decay argument, but weight_decay=0\.0001; set "
    _refused_before_training({"optimizer": torch.optim.Rprop}, match + "weight_decay=0")


def test_an_optimizer_class_that_takes_weight_decay_still_gets_it():
    class Keywords(torch.optim.SGD):
        def __init__(self, params, lr, **kwargs):
            super().__init__(params, lr=lr, **kwargs)

    for cls in (torch.optim.Adam, Keywords):
        est = NeuralNetClassifier(optimizer=cls, weight_decay=0.01, **FAST).fit(X, y)
        assert est.optimizer_.param_groups[0]["weight_decay"] == 0.01


def test_an_optimizer_that_needs_a_closure_is_refused():
    match = r"optimizer=LBFGS needs a closure at every step"
    _refused_before_training({"optimizer": torch.optim.LBFGS, "weight_decay": 0.0}, match)
