"""No argument is ignored (issue 31, kind 3).

Every routed prefix (``module__``, ``optimizer__``, ``criterion__``,
``encoder__``) reaches something or is refused naming what it can reach, in
``set_params`` as scikit-learn's nested estimators do and again at ``fit``;
``get_params(deep=True)`` lists the encoder's parameters; a parameter given
twice is refused; ``frozen`` reaches sknn's own network too; a change a warm
start cannot honour warns and trains a new network (a partial fit refuses it);
categories first seen in a later partial fit are named.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification
from torch import nn

from sknn import MLPClassifier, NeuralNetClassifier, NeuralNetRegressor, TabularEncoder

X, y = make_classification(120, 4, random_state=0)
X = X.astype(np.float32)


class Net(nn.Module):
    def __init__(self, n_features_in, n_outputs, width=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features_in, width), nn.ReLU())
        self.out = nn.Linear(width, n_outputs)

    def forward(self, x):
        return self.out(self.body(x))


REFUSED = [
    # (parameters, the words the refusal must hold)
    ({"module__dropout": 0.5}, ["module is None", "dropout"]),
    ({"module__width": 16}, ["module is None"]),
    ({"criterion__label_smoothing": 0.2}, ["criterion is None", "label_smoothing"]),
    ({"criterion__weight": None}, ["criterion is None", "set class_weight="]),
    ({"criterion": nn.CrossEntropyLoss, "criterion__reduction": "sum"}, ["reduction='none'"]),
    ({"criterion": nn.CrossEntropyLoss, "criterion__smoothing": 0.1}, ["label_smoothing"]),
    ({"optimizer__weight_decay": 0.1}, ["weight_decay instead"]),
    ({"optimizer__lr": 0.1}, ["learning_rate instead"]),
    ({"optimizer__amsgrad": True}, ["optimizer='adamw'", "betas"]),
    ({"optimizer": "sgd", "optimizer__betas": (0.9, 0.9)}, ["momentum"]),
    ({"optimizer": torch.optim.SGD, "optimizer__momentom": 0.9}, ["did you mean 'momentum'"]),
    ({"module": Net, "module__widht": 4}, ["not a parameter of Net", "did you mean 'width'"]),
    ({"module": Net(4, 2), "module__width": 4}, ["module instance"]),
    ({"encoder__bogus": 1}, ["TabularEncoder", "clip_numeric"]),
    ({"encoder__categorical_features": ["a"]}, ["categorical_features instead"]),
    ({"module": Net, "encoder__clip_numeric": False}, ["custom module takes X as given"]),
]


@pytest.mark.parametrize("params, words", REFUSED, ids=lambda v: str(v)[:40])
def test_a_routed_name_that_reaches_nothing_is_refused_by_set_params(params, words):
    est = NeuralNetClassifier()
    with pytest.raises(ValueError) as refused:
        est.set_params(**params)
    for word in words:
        assert word in str(refused.value)
    assert est.get_params(deep=False) == NeuralNetClassifier().get_params(deep=False)


@pytest.mark.parametrize("params, words", REFUSED[:8], ids=lambda v: str(v)[:40])
def test_the_same_names_given_to_init_are_refused_at_fit(params, words):
    est = NeuralNetClassifier(max_iter=1, **params)  # __init__ stores, unchecked
    with pytest.raises(ValueError, match=words[0].replace("(", r"\(")):
        est.fit(X, y)


def test_routed_names_that_reach_something_are_accepted_in_any_order():
    est = NeuralNetClassifier(max_iter=2, random_state=0)
    est.set_params(module__width=4, module=Net)  # the module arrives in the same call
    est.set_params(optimizer=torch.optim.SGD, optimizer__momentum=0.9, optimizer__nesterov=True)
    est.set_params(criterion=nn.CrossEntropyLoss, criterion__label_smoothing=0.1)
    est.fit(X, y)
    assert est.module_.body[0].out_features == 4
    assert est.optimizer_.param_groups[0]["nesterov"] is True
    assert NeuralNetClassifier().set_params(optimizer__betas=(0.9, 0.99)).optimizer__betas


def test_get_params_deep_lists_the_encoders_parameters():
    est = NeuralNetRegressor(encoder__clip_numeric=False)
    deep = est.get_params(deep=True)
    assert deep["encoder__clip_numeric"] is False
    assert deep["encoder__max_onehot_cardinality"] == TabularEncoder().max_onehot_cardinality
    assert "encoder__categorical_features" not in deep
    assert set(est.get_params(deep=False)) <= set(deep)
    # every listed value can be set back, and clone keeps what was set
    assert clone(NeuralNetRegressor().set_params(**deep)).get_params(deep=True) == deep
    assert not any(k.startswith("encoder__") for k in NeuralNetRegressor(module=Net).get_params())


def test_frozen_reaches_sknns_own_network():
    with pytest.raises(ValueError, match="matches no parameter"):
        NeuralNetClassifier(frozen=["backbone.*"], max_iter=1).fit(X, y)
    est = NeuralNetClassifier(frozen=["mlp.*"], max_iter=1, random_state=0)
    torch.manual_seed(0)
    est.fit(X, y)
    frozen = {n for n, p in est.module_.named_parameters() if not p.requires_grad}
    assert frozen == {"mlp.0.weight", "mlp.0.bias"}


def test_a_warm_start_that_cannot_continue_warns_and_trains_a_new_network():
    est = NeuralNetClassifier(hidden_layer_sizes=(16,), max_iter=2, warm_start=True)
    est.fit(X, y)
    first_epochs = est.n_iter_
    est.set_params(hidden_layer_sizes=(32,))
    with pytest.warns(UserWarning, match=r"hidden_layer_sizes: \(16,\) -> \(32,\)"):
        est.fit(X, y)
    assert est.module_.mlp[0].out_features == 32
    assert est.n_iter_ == first_epochs  # a new network's history, not a continued one
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing changed: continues quietly
        est.fit(X, y)
    assert est.n_iter_ == 2 * first_epochs


def test_a_partial_fit_refuses_a_change_of_what_the_network_was_built_from():
    est = NeuralNetClassifier(hidden_layer_sizes=(16,)).partial_fit(X, y, classes=[0, 1])
    before = est.predict_proba(X)
    est.set_params(activation="gelu")
    with pytest.raises(ValueError, match="activation: 'relu' -> 'gelu'"):
        est.partial_fit(X, y)
    np.testing.assert_array_equal(est.predict_proba(X), before)


def test_routed_settings_set_to_their_defaults_change_nothing():
    # get_params(deep=True) round trips (best_params_ with encoder__*) named their
    # defaults as changes: the warm start retrained, partial_fit refused
    est = NeuralNetClassifier(max_iter=2, warm_start=True, random_state=0).fit(X, y)
    est.set_params(**est.get_params(deep=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.fit(X, y)
    assert est.n_iter_ == 4
    chunks = NeuralNetClassifier(random_state=0).partial_fit(X, y, classes=[0, 1])
    chunks.set_params(encoder__clip_numeric=True).partial_fit(X, y)  # its default
    with pytest.raises(ValueError, match="encoder__clip_numeric: unset -> False"):
        chunks.set_params(encoder__clip_numeric=False).partial_fit(X, y)


def test_a_warm_start_honours_a_new_optimizer():
    est = NeuralNetClassifier(max_iter=2, warm_start=True).fit(X, y)
    est.set_params(optimizer="sgd", weight_decay=0.0)
    est.fit(X, y)
    assert "momentum" in est.optimizer_.param_groups[0]
    assert est.optimizer_.param_groups[0]["weight_decay"] == 0.0


def test_a_warm_start_thaws_what_frozen_no_longer_names():
    # train the head with the first layer frozen, then all of it: the change of frozen
    # made the warm start throw the trained network away
    est = NeuralNetClassifier(frozen=["mlp.0.*"], max_iter=2, warm_start=True, random_state=0)
    est.fit(X, y)
    first = est.module_.mlp[0].weight.detach().clone()
    head = {n: p.detach().clone() for n, p in est.module_.named_parameters() if p.requires_grad}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # continues: no new network
        est.set_params(frozen=None).fit(X, y)
    assert est.n_iter_ == 4 and all(p.requires_grad for p in est.module_.parameters())
    assert not torch.equal(est.module_.mlp[0].weight, first)  # it trains now
    est.set_params(frozen=["mlp.*"]).fit(X, y)
    trained = {n: p.detach().clone() for n, p in est.module_.named_parameters()}
    assert {n for n, p in est.module_.named_parameters() if not p.requires_grad} == {
        n for n in trained if n.startswith("mlp.")
    }
    assert set(head) < set(trained)


def test_a_warm_start_sees_another_module_of_the_same_name_or_layers():
    # another lambda (all are "<lambda>"), or another pretrained copy of the same
    # architecture, was taken for the same module: the old network trained on
    from torch import nn

    est = NeuralNetClassifier(module=lambda: nn.Linear(X.shape[1], 2), max_iter=2)
    est.set_params(warm_start=True, random_state=0).fit(X, y)
    est.set_params(module=lambda: nn.Sequential(nn.Linear(X.shape[1], 8), nn.Linear(8, 2)))
    with pytest.warns(UserWarning, match="module: "):
        est.fit(X, y)
    assert isinstance(est.module_, nn.Sequential)
    torch.manual_seed(0)
    first, second = nn.Linear(X.shape[1], 2), nn.Linear(X.shape[1], 2)
    est = NeuralNetClassifier(module=first, max_iter=2, warm_start=True, random_state=0)
    est.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.set_params(module=first).fit(X, y)  # the same instance (fit never changes it)
    with pytest.warns(UserWarning, match=r"module: Linear.*weights"):
        est.set_params(module=second).fit(X, y)
    assert est.n_iter_ == 2


def test_categories_first_seen_in_a_later_partial_fit_are_named():
    def frame(cities):
        return pd.DataFrame({"x": X[:, 0], "city": np.resize(cities, len(X))})

    est = NeuralNetClassifier().partial_fit(frame(["Oslo", "Rome"]), y, classes=[0, 1])
    with pytest.warns(UserWarning, match=r"'city': \['Lima', 'Nara'\] \(2 new\)"):
        est.partial_fit(frame(["Oslo", "Lima", "Nara"]), y)
    encoder = TabularEncoder().fit(frame(["Oslo", "Rome"]))
    assert encoder.unseen_categories(frame(["Rome", "Lima", None])) == {"city": ["Lima"]}
    assert encoder.unseen_categories(frame(["Rome"])) == {}


def test_the_drop_in_says_a_warm_start_keeps_its_fitted_layers():
    est = MLPClassifier(hidden_layer_sizes=(5,), warm_start=True, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    est.set_params(hidden_layer_sizes=(7,))
    with pytest.warns(UserWarning, match=r"fitted layers of sizes \(5,\)"):
        est.fit(X, y)
    assert est.coefs_[0].shape == (4, 5)  # as scikit-learn's MLP: the fitted layers go on


@pytest.mark.parametrize(
    "params",
    [{"dropout": 0.3}, {"hidden_layer_sizes": (7,)}, {"n_ensemble": 4}, {"activation": "gelu"}],
)
def test_settings_of_sknns_network_beside_a_module_of_ones_own_are_refused(params):
    est = NeuralNetClassifier(module=Net, max_iter=1, **params)
    with pytest.raises(ValueError, match=f"{next(iter(params))} set sknn's own network"):
        est.fit(X, y)
    NeuralNetClassifier(module=Net, max_iter=1).fit(X, y)  # the defaults are fine


@pytest.mark.parametrize("Est", [NeuralNetClassifier, NeuralNetRegressor])
def test_set_params_of_get_params_leaves_the_estimator_as_it_was(Est):
    # get_params(deep=True) lists the encoder's defaults; set back, they were stored as
    # settings: the repr grew, and a later module= was refused for encoder__clip_numeric
    est = Est(max_iter=2)
    before, shown = est.get_params(deep=False), repr(est)
    est.set_params(**est.get_params(deep=True))
    assert est.get_params(deep=False) == before and repr(est) == shown
    est.set_params(module=Net).fit(X, y)
