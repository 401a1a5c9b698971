"""NeuralNetRegressor(loss=...) for counts, amounts and quantiles, and predict_interval (issue 33).

Each loss recovers a known generating process; quantiles never cross; the
intervals cover what they promise; the ONNX graph holds each link; bad
values are refused before training; models survive clone, pickle and skops.
"""

import pickle
import warnings
from fractions import Fraction

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_estimator

from sknn import NeuralNetRegressor
from sknn.onnx import input_feed, to_onnx

RNG = np.random.default_rng(0)
N_TRAIN, N_TEST = 3000, 3000
X = RNG.uniform(-1, 1, size=(N_TRAIN + N_TEST, 3))
LOG_MEAN = 0.5 + X[:, 0] - 0.7 * X[:, 1] ** 2
MEAN = np.exp(LOG_MEAN)
FAST = {"max_iter": 30, "random_state": 0}


def _split(y):
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:], y[N_TRAIN:]


def _relative_error_of_mean(est, y) -> float:
    X_tr, y_tr, X_te, _ = _split(y)
    pred = est.fit(X_tr, y_tr).predict(X_te)
    assert pred.min() > 0  # a log link predicts positive values
    return float(np.median(np.abs(pred / MEAN[N_TRAIN:] - 1)))


def test_poisson_recovers_the_rates_of_counts():
    y = RNG.poisson(MEAN).astype(float)
    assert _relative_error_of_mean(NeuralNetRegressor(loss="poisson", **FAST), y) < 0.08


def test_gamma_recovers_the_means_of_positive_amounts():
    y = RNG.gamma(shape=2.0, scale=MEAN / 2.0)  # mean MEAN, coefficient of variation 0.7
    assert _relative_error_of_mean(NeuralNetRegressor(loss="gamma", **FAST), y) < 0.08


@pytest.mark.parametrize("loss", ["poisson", "gamma"])
def test_amounts_of_small_spread_train_as_long_as_their_deviance_needs(loss):
    # prices spread 1% about their mean have a deviance of 1e-4 at the mean; an absolute
    # tol of 1e-4 called every epoch after the 7th no gain: R^2 0.77 (gamma), 0.74
    # (poisson), against 0.999 by squared error
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2000, 6))
    signal = X @ rng.normal(size=6)
    y = 100 * np.exp(0.01 * signal / signal.std()) * (1 + 1e-5 * rng.normal(size=2000))
    est = NeuralNetRegressor(loss=loss, random_state=0).fit(X[:1500], y[:1500])
    assert est.score(X[1500:], y[1500:]) > 0.95


def test_tweedie_recovers_the_means_of_amounts_with_exact_zeros():
    # compound Poisson-Gamma: a Poisson number of Gamma amounts, zero when none
    counts = RNG.poisson(MEAN / 2.0)
    y = np.array([RNG.gamma(2.0, 1.0, size=c).sum() for c in counts])
    assert (y == 0).mean() > 0.2
    est = NeuralNetRegressor(loss="tweedie", power=1.4, **FAST)
    assert _relative_error_of_mean(est, y) < 0.1


HETERO_SCALE = 0.3 + np.abs(X[:, 1])
Y_HETERO = X[:, 0] + HETERO_SCALE * RNG.normal(size=len(X))
LEVELS = [0.9, 0.1, 0.5]  # any order: predictions follow it


def test_quantiles_of_a_heteroscedastic_gaussian():
    X_tr, y_tr, X_te, y_te = _split(Y_HETERO)
    est = NeuralNetRegressor(loss="quantile", quantile=LEVELS, **FAST).fit(X_tr, y_tr)
    pred = est.predict(X_te)
    assert pred.shape == (N_TEST, 3)
    np.testing.assert_array_equal(est.quantiles_, LEVELS)
    for j, level in enumerate(LEVELS):
        truth = X_te[:, 0] + HETERO_SCALE[N_TRAIN:] * norm.ppf(level)
        assert abs(np.mean(y_te <= pred[:, j]) - level) < 0.04, level
        assert np.median(np.abs(pred[:, j] - truth)) < 0.12, level
    # the band follows the noise: wide where |x1| is large, narrow where small
    width = pred[:, 0] - pred[:, 1]
    assert np.corrcoef(width, HETERO_SCALE[N_TRAIN:])[0, 1] > 0.8
    # score: scikit-learn's d2_pinball_score, averaged over the levels
    assert 0.2 < est.score(X_te, y_te) < 1


def test_one_quantile_predicts_as_histgradientboosting_does():
    X_tr, y_tr, X_te, y_te = _split(Y_HETERO)
    est = NeuralNetRegressor(loss="quantile", quantile=0.8, **FAST).fit(X_tr, y_tr)
    assert est.predict(X_te).shape == (N_TEST,) and est.quantiles_ is None
    assert abs(np.mean(y_te <= est.predict(X_te)) - 0.8) < 0.04


def test_one_quantile_scores_by_its_pinball_loss_as_a_list_of_one_does():
    # quantile=0.9 was scored by R^2 and [0.9] by D^2 pinball: the same predictions got
    # -0.51 and 0.17, and a search by the default score picked a model whose 0.9
    # quantile covered 84% of the targets
    from sklearn.metrics import d2_pinball_score

    X_tr, y_tr, X_te, y_te = _split(Y_HETERO)
    one = NeuralNetRegressor(loss="quantile", quantile=0.9, **FAST).fit(X_tr, y_tr)
    listed = NeuralNetRegressor(loss="quantile", quantile=[0.9], **FAST).fit(X_tr, y_tr)
    np.testing.assert_allclose(one.predict(X_te), listed.predict(X_te)[:, 0])
    expected = d2_pinball_score(y_te, one.predict(X_te), alpha=0.9)
    assert one.score(X_te, y_te) == pytest.approx(expected)
    assert listed.score(X_te, y_te) == pytest.approx(expected)
    assert one.validation_scores_ == pytest.approx(listed.validation_scores_)
    two = np.c_[y_tr, 2 * y_tr]  # two targets, one level: an (n, 2) answer
    both = NeuralNetRegressor(loss="quantile", quantile=0.9, **FAST).fit(X_tr, two)
    pred = both.predict(X_te)
    expected = np.mean(
        [d2_pinball_score(t, p, alpha=0.9) for t, p in zip([y_te, 2 * y_te], pred.T, strict=True)]
    )
    assert both.score(X_te, np.c_[y_te, 2 * y_te]) == pytest.approx(expected)


def test_quantiles_never_cross_even_far_outside_the_training_range():
    est = NeuralNetRegressor(loss="quantile", quantile=[0.5, 0.49, 0.51, 0.02], **FAST)
    est.fit(X[:500], Y_HETERO[:500])
    far = RNG.normal(scale=50.0, size=(2000, 3))
    pred = est.predict(far)
    order = np.argsort([0.5, 0.49, 0.51, 0.02])
    assert np.all(np.diff(pred[:, order], axis=1) >= 0)


def test_several_targets_each_get_their_quantiles():
    Y2 = np.column_stack([Y_HETERO, 10 * Y_HETERO + 5])
    est = NeuralNetRegressor(loss="quantile", quantile=[0.1, 0.9], **FAST).fit(X, Y2)
    assert est.predict(X[:7]).shape == (7, 2, 2)
    assert est.predict_interval(X[:7]).shape == (7, 2, 2)
    assert NeuralNetRegressor(loss="poisson", **FAST).fit(X, np.c_[MEAN, MEAN]).predict(
        X[:7]
    ).shape == (7, 2)


def _coverage(bounds, y) -> float:
    return float(np.mean((bounds[:, 0] <= y) & (y <= bounds[:, 1])))


def test_conformalized_quantiles_cover_ninety_percent():
    X_tr, y_tr, X_te, y_te = _split(Y_HETERO)
    est = NeuralNetRegressor(loss="quantile", quantile=[0.05, 0.95], **FAST).fit(X_tr, y_tr)
    assert est.conformity_scores_.shape == (300, 1)  # the held-out rows: quantiles never cross-fit
    bounds = est.predict_interval(X_te)
    assert bounds.shape == (N_TEST, 2)
    assert 0.87 <= _coverage(bounds, y_te) <= 0.93
    assert 0.77 <= _coverage(est.predict_interval(X_te, coverage=0.8), y_te) <= 0.83


def test_split_conformal_intervals_of_any_loss():
    X_tr, y_tr, X_te, y_te = _split(Y_HETERO)
    est = NeuralNetRegressor(**FAST).fit(X_tr, y_tr)
    bounds = est.predict_interval(X_te)  # 90% by default
    assert 0.87 <= _coverage(bounds, y_te) <= 0.93
    np.testing.assert_allclose(bounds.mean(axis=1), est.predict(X_te))  # symmetric
    counts = RNG.poisson(MEAN).astype(float)
    X_tr, c_tr, X_te, c_te = _split(counts)
    est = NeuralNetRegressor(loss="poisson", **FAST).fit(X_tr, c_tr)
    bounds = est.predict_interval(X_te, coverage=0.8)
    assert bounds.min() >= 0  # counts: no bound below 0
    assert 0.77 <= _coverage(bounds, c_te) <= 0.85  # counts tie at the bounds: at least 0.8


@pytest.mark.parametrize("loss", ["poisson", "gamma"])
def test_intervals_of_counts_and_amounts_widen_with_their_mean(loss):
    # one width for all: counts predicted under 1 covered 0.99, those of 10 or more
    # 0.37 (gamma: 1.0 in the lowest third of predicted means, 0.73 in the highest);
    # residuals in units of the loss's standard deviation cover each third alike
    rng = np.random.default_rng(1)
    features = rng.normal(size=(4000, 3))
    mean = np.exp(1.2 * features[:, 0] + (2 if loss == "gamma" else 0))
    y = rng.poisson(mean).astype(float) if loss == "poisson" else rng.gamma(4.0, mean / 4)
    est = NeuralNetRegressor(loss=loss, **FAST).fit(features[:2500], y[:2500])
    bounds, pred = est.predict_interval(features[2500:]), est.predict(features[2500:])
    covered = (y[2500:] >= bounds[:, 0]) & (y[2500:] <= bounds[:, 1])
    thirds = np.quantile(pred, [1 / 3, 2 / 3])
    by_third = [covered[part].mean() for part in np.split(np.argsort(pred), [500, 1000])]
    assert 0.87 <= covered.mean() <= 0.94
    assert min(by_third) > 0.8 and max(by_third) < 0.97, (by_third, thirds)


def test_an_interval_needs_validation_rows_or_says_it_is_not_calibrated():
    X_tr, y_tr, X_te, _ = _split(Y_HETERO)
    plain = NeuralNetRegressor(early_stopping=False, max_iter=5, random_state=0).fit(X_tr, y_tr)
    with pytest.raises(ValueError, match="held out none"):
        plain.predict_interval(X_te)
    band = NeuralNetRegressor(
        loss="quantile", quantile=[0.1, 0.9], early_stopping=False, max_iter=5, random_state=0
    ).fit(X_tr, y_tr)
    with pytest.warns(UserWarning, match="not calibrated"):
        bounds = band.predict_interval(X_te)
    np.testing.assert_allclose(bounds, band.predict(X_te))
    with pytest.raises(ValueError, match="coverage=0.5 needs the band calibrated"):
        band.predict_interval(X_te, coverage=0.5)  # was the 80% band, silently
    # a partial fit changes the network: the old scores no longer describe it
    est = NeuralNetRegressor(**FAST).fit(X_tr, y_tr).partial_fit(X_tr, y_tr)
    with pytest.raises(ValueError, match="held out none"):
        est.predict_interval(X_te)
    with pytest.raises(ValueError, match="coverage"):
        NeuralNetRegressor(**FAST).fit(X_tr, y_tr).predict_interval(X_te, coverage=90)


def test_rows_of_weight_zero_calibrate_no_interval():
    # a third of the rows are junk switched off by weight 0: the intervals (and the
    # default Huber delta) must be those of the clean rows, not 30x wider
    X_tr, y_tr, X_te, y_te = _split(Y_HETERO)
    junk = RNG.random(N_TRAIN) < 0.3
    y_junk = np.where(junk, y_tr + RNG.normal(scale=20, size=N_TRAIN), y_tr)
    for params in ({}, {"early_stopping": True}, {"loss": "quantile", "quantile": [0.05, 0.95]}):
        clean = NeuralNetRegressor(max_iter=5, random_state=0, **params).fit(
            X_tr[~junk], y_tr[~junk]
        )
        weighted = NeuralNetRegressor(max_iter=5, random_state=0, **params)
        weighted.fit(X_tr, y_junk, sample_weight=(~junk).astype(float))
        assert weighted.conformity_weights_ is not None
        widths = [np.ptp(est.predict_interval(X_te), axis=1).mean() for est in (clean, weighted)]
        assert widths[1] < 1.3 * widths[0], (params, widths)
        assert 0.85 <= _coverage(weighted.predict_interval(X_te), y_te) <= 0.95, params
    assert clean.conformity_weights_ is None  # equal weights: the plain conformal rank
    # the default Huber delta: 1.345 x 1.4826 x the MAD of the weighted rows
    w = (~junk).astype(float)

    def weighted_median(values):
        return np.quantile(values, 0.5, method="inverted_cdf", weights=w)

    mad = weighted_median(np.abs(y_junk - weighted_median(y_junk)))
    fits = [
        NeuralNetRegressor(loss="huber", huber_delta=delta, max_iter=3, random_state=0)
        .fit(X_tr, y_junk, sample_weight=w)
        .predict(X_te)
        for delta in (None, 1.345 * 1.4826 * mad)
    ]
    np.testing.assert_allclose(fits[0], fits[1], rtol=1e-4, atol=1e-4)


def test_a_band_narrowed_past_its_width_shrinks_to_its_middle():
    X_tr, y_tr, X_te, _ = _split(Y_HETERO)
    est = NeuralNetRegressor(loss="quantile", quantile=[0.05, 0.5, 0.95], **FAST)
    bounds = est.fit(X_tr, y_tr).predict_interval(X_te, coverage=0.05)
    assert np.all(bounds[:, 0] <= bounds[:, 1])  # before: lower above upper on many rows
    band = est.predict(X_te)[:, [0, 2]]
    middle = band.mean(axis=1)
    assert np.all((bounds[:, 0] <= middle + 1e-9) & (middle - 1e-9 <= bounds[:, 1]))


def test_too_few_validation_rows_give_an_infinite_interval_and_say_so():
    est = NeuralNetRegressor(validation_fraction=0.05, early_stopping=True, **FAST)
    est.fit(X[:100], Y_HETERO[:100])  # 5 validation rows: a 90% interval needs 9
    with pytest.warns(UserWarning, match="too few"):
        bounds = est.predict_interval(X[:3])
    assert np.all(np.isinf(bounds))


@pytest.mark.parametrize(
    ("params", "y", "match"),
    [
        ({"loss": "poisson"}, -MEAN, "0 or more"),
        ({"loss": "gamma"}, np.where(X[:, 0] > 0, MEAN, 0.0), "above 0"),
        ({"loss": "tweedie", "power": 2.5}, np.where(X[:, 0] > 0, MEAN, 0.0), "above 0"),
        ({"loss": "tweedie"}, np.zeros(len(X)), "nothing to fit"),
        ({"loss": "quantile", "quantile": [0.1, 1.0]}, MEAN, "strictly between 0 and 1"),
        ({"loss": "quantile", "quantile": [0.1, 0.1]}, MEAN, "twice"),
        ({"loss": "squared_error", "quantile": 0.9}, MEAN, "loss='quantile'"),
        ({"loss": "poisson", "power": 1.2}, MEAN, "loss='tweedie'"),
        ({"loss": "gamma", "huber_delta": 1.0}, MEAN, "loss='huber'"),
        # a set has no order for the quantile axis: numpy's TypeError named neither
        ({"loss": "quantile", "quantile": {0.1, 0.9}}, MEAN, "non-empty list"),
    ],
)
def test_bad_values_are_refused_before_training(params, y, match):
    est = NeuralNetRegressor(max_iter=1, **params)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    assert not hasattr(est, "module_")


def test_true_is_no_power_or_delta_and_any_real_coverage_is_one():
    # power=True trained as power 1, huber_delta=True as a delta of 1; a Fraction or a
    # 0-d array of coverage was "not a number"
    for params in ({"loss": "tweedie", "power": True}, {"loss": "huber", "huber_delta": True}):
        with pytest.raises(TypeError, match=r"=True; give a number"):
            NeuralNetRegressor(max_iter=1, **params).fit(X, MEAN)
    est = NeuralNetRegressor(max_iter=2, early_stopping=True, random_state=0).fit(X, MEAN)
    expected = est.predict_interval(X[:5], coverage=0.9)
    for coverage in (Fraction(9, 10), np.array(0.9)):
        np.testing.assert_array_equal(est.predict_interval(X[:5], coverage=coverage), expected)
    with pytest.raises(ValueError, match="coverage must be a number"):
        est.predict_interval(X[:5], coverage=True)


def test_loss_parameters_are_checked_on_a_warm_start_and_a_partial_fit_too():
    from torch import nn

    est = NeuralNetRegressor(loss="quantile", quantile=0.9, max_iter=2).fit(X, MEAN)
    est.set_params(criterion=nn.MSELoss, warm_start=True)  # would replace the quantile loss
    with pytest.raises(ValueError, match="pass one"):
        est.fit(X, MEAN)
    plain = NeuralNetRegressor(max_iter=2).fit(X, MEAN).set_params(huber_delta=0.5)
    with pytest.raises(ValueError, match="huber_delta=0.5 is read only with loss='huber'"):
        plain.partial_fit(X, MEAN)


def test_a_score_of_quantiles_refuses_targets_of_another_shape():
    one = NeuralNetRegressor(loss="quantile", quantile=[0.1, 0.9], max_iter=2).fit(X, MEAN)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        one.score(X, MEAN[: len(X) // 2])
    with pytest.raises(ValueError, match="2 target columns but the model predicts 1"):
        one.score(X, np.c_[MEAN, MEAN])
    two = NeuralNetRegressor(loss="quantile", quantile=[0.1, 0.9], max_iter=2)
    with pytest.raises(ValueError, match="1 target columns but the model predicts 2"):
        two.fit(X, np.c_[MEAN, LOG_MEAN]).score(X, MEAN)


def test_a_criterion_beside_a_log_link_loss_is_refused():
    from torch import nn

    with pytest.raises(ValueError, match="pass one"):
        NeuralNetRegressor(loss="poisson", criterion=nn.PoissonNLLLoss, max_iter=1).fit(X, MEAN)


FRAME = pd.DataFrame(
    {"a": X[:400, 0], "b": X[:400, 1], "c": np.where(X[:400, 2] > 0, "up", "down")}
)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "poisson"},
        {"loss": "gamma"},
        {"loss": "tweedie", "power": 1.3},
        {"loss": "absolute_error"},
        {"loss": "huber"},
        {"loss": "quantile", "quantile": 0.3},
        {"loss": "quantile", "quantile": [0.9, 0.1, 0.5]},
    ],
    ids=lambda p: "-".join(str(v) for v in p.values()),
)
def test_onnx_graph_holds_each_loss_link(params):
    y = MEAN[:400] + (0.0 if params["loss"] == "gamma" else 0.0)
    est = NeuralNetRegressor(max_iter=5, random_state=0, **params).fit(FRAME, y)
    model = to_onnx(est)
    session = ort.InferenceSession(model.SerializeToString())
    outputs = session.run(None, input_feed(FRAME, model))
    pred = est.predict(FRAME)
    np.testing.assert_allclose(outputs[0].reshape(pred.shape), pred, rtol=1e-4, atol=1e-5)
    names = [o.name for o in session.get_outputs()]
    if isinstance(params.get("quantile"), list):
        assert names == ["variable", "quantile_0.9", "quantile_0.1", "quantile_0.5"]
        for j in range(3):
            np.testing.assert_allclose(outputs[1 + j][:, 0], pred[:, j], rtol=1e-4, atol=1e-5)
    else:
        assert names == ["variable"]


@pytest.mark.parametrize(
    "params", [{"loss": "poisson"}, {"loss": "quantile", "quantile": [0.05, 0.5, 0.95]}]
)
def test_clone_pickle_and_skops_keep_predictions_and_intervals(params):
    import skops.io as sio

    est = NeuralNetRegressor(**FAST, **params).fit(X[:600], MEAN[:600])
    assert clone(est).get_params() == est.get_params()
    for loaded in (
        pickle.loads(pickle.dumps(est)),
        sio.loads(sio.dumps(est), trusted=sio.get_untrusted_types(data=sio.dumps(est))),
    ):
        np.testing.assert_array_equal(loaded.predict(X[600:700]), est.predict(X[600:700]))
        np.testing.assert_array_equal(
            loaded.predict_interval(X[600:700]), est.predict_interval(X[600:700])
        )


def test_a_warm_start_with_another_loss_trains_a_new_network():
    est = NeuralNetRegressor(warm_start=True, **FAST).fit(X[:600], MEAN[:600])
    est.set_params(loss="poisson")
    with pytest.warns(UserWarning, match="loss"):
        est.fit(X[:600], MEAN[:600])
    assert est.predict(X[:600]).min() > 0
    with pytest.raises(ValueError, match="loss"):
        est.set_params(loss="quantile", quantile=[0.1, 0.9]).partial_fit(X[:600], MEAN[:600])


@pytest.mark.parametrize(
    "loss", ["absolute_error", "huber", "quantile", "poisson", "gamma", "tweedie"]
)
def test_estimator_checks_pass_for_every_loss(loss):
    # every scikit-learn check that the default regressor passes (test_common.py),
    # with this loss; log-link losses declare positive_only targets
    skipped = ("check_sample_weight_equivalence_on_dense_data",)
    skipped += ("check_sample_weight_equivalence_on_sparse_data",)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {name: "flagship auto schedule (test_common.py)" for name in skipped}
        if loss in ("poisson", "gamma", "tweedie"):
            # the check draws negative targets for several outputs whatever the
            # positive_only tag says; multi-output counts are fitted in
            # test_several_targets_each_get_their_quantiles
            expected["check_regressor_multioutput"] = "ignores the positive_only target tag"
        check_estimator(
            NeuralNetRegressor(loss=loss), expected_failed_checks=expected, on_fail="raise"
        )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"loss": "poisson"}, lambda y, w: np.average(y, weights=w)),
        ({"loss": "quantile", "quantile": 0.5}, lambda y, w: 3.0),  # the weighted median
    ],
)
def test_sample_weights_move_what_each_loss_estimates(params, expected):
    # on a featureless table a fit predicts the (weighted) statistic of its loss
    y = np.repeat([1.0, 3.0, 9.0], 200)
    weight = np.repeat([1.0, 4.0, 1.0], 200)  # the middle value holds 2/3 of the weight
    flat = np.zeros((600, 1))
    est = NeuralNetRegressor(early_stopping=False, max_iter=60, random_state=0, **params)
    pred = est.fit(flat, y, sample_weight=weight).predict(flat[:1])[0]
    assert pred == pytest.approx(expected(y, weight), rel=0.03)


def test_skl2onnx_pipelines_refuse_several_quantiles_naming_to_onnx():
    skl2onnx = pytest.importorskip("skl2onnx", reason="the onnx extra is not installed")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    est = NeuralNetRegressor(loss="quantile", quantile=[0.1, 0.9], max_iter=2, random_state=0)
    pipe = make_pipeline(StandardScaler(), est).fit(X[:200], Y_HETERO[:200])
    with pytest.raises(ValueError, match="sknn.onnx.to_onnx"):
        skl2onnx.to_onnx(pipe, X[:3].astype(np.float32))
