"""The torch modules of sknn.nn: embeddings, the tabular network and its ensembles."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from sknn.nn import FeatureScale, PeriodicEmbedding, TabularMLP, narrow_bmm, quantile_edges
from sknn.training.losses import combine


def test_periodic_embedding_keeps_each_feature_beside_its_periodic_part():
    torch.manual_seed(0)
    emb = PeriodicEmbedding(3, dim=4, n_frequencies=8)
    x = torch.randn(5, 3)
    out = emb(x)
    assert out.shape == (5, 12) == (5, emb.out_features)
    torch.testing.assert_close(out.view(5, 3, 4)[:, :, 0], x)
    # feature j's embedding depends on x_j only
    x2 = x.clone()
    x2[:, 1] += 1.0
    changed = (emb(x2) - out).view(5, 3, 4).abs().sum(dim=(0, 2))
    assert changed[0] == 0 and changed[2] == 0 and changed[1] > 0


def test_periodic_embedding_refuses_a_width_below_two():
    with pytest.raises(ValueError, match="dim must be at least 2"):
        PeriodicEmbedding(3, dim=1)


def test_feature_scale_starts_as_identity():
    x = torch.randn(4, 6)
    torch.testing.assert_close(FeatureScale(6)(x), x)


def test_ensemble_outputs_every_member_in_training_and_combines_in_eval():
    torch.manual_seed(0)
    net = TabularMLP(4, [5], 3, (8,), n_periodic=2, n_ensemble=6)
    x = torch.cat([torch.randn(10, 4), torch.randint(0, 5, (10, 1)).float()], dim=1)
    members = net.train()(x)
    assert members.shape == (10, 6, 3)
    assert not torch.allclose(members[:, 0], members[:, 1])  # members differ
    assert net.eval()(x).shape == (10, 6, 3)  # one shape in both modes
    combined = combine(net(x), "softmax")
    assert combined.shape == (10, 3)
    expected = torch.softmax(members, dim=-1).mean(dim=1)  # no dropout: same members
    torch.testing.assert_close(torch.softmax(combined, dim=1), expected)


@pytest.mark.parametrize("how", ["multilabel", "binary", "regression"])
def test_combine_members_averages_probabilities_or_values(how):
    out = torch.randn(7, 5, 2, dtype=torch.float64)
    combined = combine(out, how)
    if how == "regression":
        torch.testing.assert_close(combined, out.mean(dim=1))
    else:
        torch.testing.assert_close(torch.sigmoid(combined), torch.sigmoid(out).mean(dim=1))


def test_single_network_has_no_ensemble_parameters():
    net = TabularMLP(3, [], 2, (8,))
    names = {name for name, _ in net.named_parameters()}
    assert not any(n.startswith(("adapter", "head_")) for n in names)


def test_tabular_mlp_checks_its_arguments():
    with pytest.raises(ValueError, match="n_periodic"):
        TabularMLP(3, [], 2, n_periodic=4)


def test_log_of_mean_probability_is_a_valid_logit():
    out = torch.tensor([[[0.0, math.log(3.0)], [0.0, 0.0]]])  # p1 = 0.75 and 0.5
    combined = combine(out, "softmax")
    np.testing.assert_allclose(F.softmax(combined, dim=1)[0, 1].item(), 0.625)


def test_cost_estimate_counts_the_shared_layers_once_per_member():
    single = TabularMLP(10, [], 2, (32, 32))
    ensemble = TabularMLP(10, [], 2, (32, 32), n_ensemble=4)
    shared = sum(p.numel() for p in ensemble.mlp.parameters())
    assert single.macs_per_row() == sum(p.numel() for p in single.parameters())
    assert ensemble.macs_per_row() > 4 * shared
    assert ensemble.macs_per_row() < 4 * shared + 4 * 40 * 2 + 100


def test_piecewise_linear_encoding_fills_bins_up_to_the_value():
    from sknn.nn import PiecewiseLinearEmbedding

    emb = PiecewiseLinearEmbedding(torch.tensor([[0.0, 1.0, 2.0, 4.0]]), dim=3)
    enc = emb.encode(torch.tensor([[-1.0], [0.5], [1.0], [3.0], [6.0]]))[:, 0, :]
    expected = [
        [-1.0, 0.0, 0.0],  # below the first edge: the first bin extrapolates
        [0.5, 0.0, 0.0],
        [1.0, 0.0, 0.0],
        [1.0, 1.0, 0.5],
        [1.0, 1.0, 2.0],  # above the last edge: the last bin extrapolates
    ]
    torch.testing.assert_close(enc, torch.tensor(expected))
    assert emb(torch.zeros(2, 1)).shape == (2, 3)


def test_quantile_edges_are_strictly_increasing_even_for_tied_values():
    from sknn.nn import quantile_edges

    X = np.column_stack([np.arange(100.0), np.zeros(100)])  # the second column is constant
    edges = quantile_edges(X, n_bins=8)
    assert edges.shape == (2, 9)
    assert (edges[:, 1:] > edges[:, :-1]).all()
    assert quantile_edges(np.empty((0, 2)), n_bins=8).shape == (2, 9)  # a placeholder


def test_quantile_edges_of_a_discrete_column_keep_real_bin_widths():
    """Tied quantiles must not make near-empty outer bins: they extrapolate."""
    from sknn.nn import PiecewiseLinearEmbedding, quantile_edges

    counts = np.repeat([2.0, 3.0, 4.0], [60, 30, 10])[:, None]  # a count, 3 values
    edges = quantile_edges(counts, n_bins=8)[0]
    assert {2.0, 3.0, 4.0} <= set(edges.tolist())
    assert (edges[1:] - edges[:-1]).min() >= 1 / 8 - 1e-6
    # a value one step below the training range encodes as a modest negative number
    enc = PiecewiseLinearEmbedding(edges[None]).encode(torch.tensor([[1.0]]))
    assert enc.abs().max() <= 8.0


@pytest.mark.parametrize("cls", ["NeuralNetRegressor", "NeuralNetClassifier"])
def test_piecewise_numeric_embedding_fits_saves_and_predicts_alike(cls):
    import pickle

    import sknn

    rng = np.random.default_rng(0)
    X = rng.standard_t(df=2, size=(300, 4))  # heavy tails
    y = X[:, 0] > 0 if cls == "NeuralNetClassifier" else np.sign(X[:, 0]) + X[:, 1]
    est = getattr(sknn, cls)(numeric_embedding="piecewise", max_iter=5, random_state=0)
    est.fit(X, y)
    assert est.score(X, y) > 0.5
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_quantile_edges_weigh_rows_as_copies_and_ignore_zero_weights():
    rng = np.random.default_rng(0)
    X = rng.lognormal(size=(200, 3))
    weights = rng.integers(0, 4, size=200)
    weighted = quantile_edges(X, 8, sample_weight=weights)
    repeated = quantile_edges(np.repeat(X, weights, axis=0), 8)
    torch.testing.assert_close(weighted, repeated)
    assert not torch.equal(weighted, quantile_edges(X, 8))


@pytest.mark.parametrize("needs", [(True, True), (False, True), (True, False)])
def test_narrow_bmm_equals_bmm_forward_and_backward(needs):
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(4, 7, 6, dtype=torch.float64, generator=gen, requires_grad=needs[0])
    b = torch.randn(4, 6, 2, dtype=torch.float64, generator=gen, requires_grad=needs[1])
    torch.testing.assert_close(narrow_bmm(a, b), torch.bmm(a, b))
    assert torch.autograd.gradcheck(narrow_bmm, (a, b))
    grad = torch.randn(4, 7, 2, dtype=torch.float64, generator=gen)
    wanted = [t for t, need in zip((a, b), needs, strict=True) if need]
    got = torch.autograd.grad(narrow_bmm(a, b), wanted, grad)
    expected = torch.autograd.grad(torch.bmm(a, b), wanted, grad)
    for g, e in zip(got, expected, strict=True):
        torch.testing.assert_close(g, e)


def test_narrow_bmm_takes_strided_operands_as_the_embeddings_pass_them():
    # the piecewise embedding passes a transposed (features, batch, bins) view
    encoded = torch.rand(5, 3, 8, dtype=torch.float64)
    weight = torch.randn(3, 8, 2, dtype=torch.float64, requires_grad=True)
    per_feature = encoded.transpose(0, 1)
    torch.testing.assert_close(narrow_bmm(per_feature, weight), torch.bmm(per_feature, weight))
    assert torch.autograd.gradcheck(lambda w: narrow_bmm(per_feature, w), (weight,))


def test_relu_narrow_bmm_equals_relu_then_bmm_forward_and_backward():
    from sknn.nn import relu_narrow_bmm

    gen = torch.Generator().manual_seed(0)
    pre = torch.randn(3, 9, 6, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.randn(3, 6, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    grad = torch.randn(3, 9, 2, dtype=torch.float64, generator=gen)
    # the fused op overwrites its first operand, so it gets a copy of the leaf
    got = relu_narrow_bmm(pre * 1.0, b)
    expected = torch.bmm(pre.relu(), b)
    torch.testing.assert_close(got, expected)
    got_grads = torch.autograd.grad(relu_narrow_bmm(pre * 1.0, b), (pre, b), grad)
    expected_grads = torch.autograd.grad(torch.bmm(pre.relu(), b), (pre, b), grad)
    for g, e in zip(got_grads, expected_grads, strict=True):
        torch.testing.assert_close(g, e)
    assert torch.autograd.gradcheck(lambda p, w: relu_narrow_bmm(p * 1.0, w), (pre, b))


@pytest.mark.parametrize("hidden", [(16,), (16, 8), ()])
def test_ensemble_trains_with_the_gradients_of_its_plain_forward(hidden):
    """Training mode fuses the last ReLU with the heads; eval mode does not: same gradients."""
    torch.manual_seed(0)
    edges = torch.linspace(-2, 2, 9).repeat(3, 1)
    net = TabularMLP(
        4, [5], 3, hidden, n_periodic=3, bin_edges=edges, feature_scale=True, n_ensemble=4
    ).double()
    x = torch.cat([torch.randn(20, 4), torch.randint(0, 5, (20, 1))], 1).double()
    grads = []
    for training in (True, False):
        net.train(training)
        net.zero_grad()
        out = net(x)
        (out**2).sum().backward()
        grads.append([p.grad.clone() for p in net.parameters()])
        assert out.shape == (20, 4, 3)
    for fused, plain in zip(*grads, strict=True):
        torch.testing.assert_close(fused, plain)
