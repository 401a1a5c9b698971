"""The training engine's building blocks: fused step, threads, schedules, stopping."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sknn.nn import MLP, TabularMLP, quantile_edges
from sknn.training import EarlyStopping, recommended_threads, resolve_device, torch_threads
from sknn.training.optim import FusedAdam, FusedSGD, Stepper, make_optimizer
from sknn.training.schedules import Schedule


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_fused_adam_matches_torch_optim(name):
    torch.manual_seed(0)
    a, b = MLP(5, 3, (8,)), MLP(5, 3, (8,))
    b.load_state_dict(a.state_dict())
    cpu = torch.device("cpu")
    ours = make_optimizer(name, a.parameters(), 1e-2, 1e-2, cpu)
    assert isinstance(ours, FusedAdam)
    reference = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[name](
        b.parameters(), lr=1e-2, weight_decay=1e-2
    )
    step = Stepper(ours)
    X, y = torch.randn(40, 5), torch.randint(0, 3, (40,))
    for _ in range(20):
        step(F.cross_entropy(a(X), y))
        reference.zero_grad()
        F.cross_entropy(b(X), y).backward()
        reference.step()
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    # same state_dict layout as torch.optim, so either can load the other's
    theirs = reference.state_dict()
    mine = ours.state_dict()
    assert mine["state"].keys() == theirs["state"].keys()
    assert float(mine["state"][0]["step"]) == 20.0
    reloaded = make_optimizer(name, a.parameters(), 1e-2, 1e-2, cpu)
    reloaded.load_state_dict(mine)
    torch.testing.assert_close(
        reloaded.state[next(a.parameters())]["exp_avg"], mine["state"][0]["exp_avg"]
    )


def test_fused_adam_parameter_groups_and_step_protocol():
    model = MLP(3, 2, (4,))
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, torch.nn.Linear)]
    opt = FusedAdam(
        [{"params": weights}, {"params": biases, "weight_decay": 0.0}],
        lr=0.1,
        weight_decay=0.5,
        decoupled=False,
    )
    assert [g["weight_decay"] for g in opt.param_groups] == [0.5, 0.0]
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.randn(8, 3)).square().mean().backward()
    opt.step()
    assert all(not torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("name", ["adamw", "sgd"])
def test_fused_optimizers_read_a_transposed_gradient_in_the_parameters_layout(name):
    # torch.autograd.grad may return a gradient laid out otherwise than its
    # parameter (a custom autograd function's transposed view); the fused kernels
    # read memory in the parameter's order, which once silently scrambled updates
    torch.manual_seed(0)
    ours_param = torch.randn(4, 3, requires_grad=True)
    theirs_param = ours_param.detach().clone().requires_grad_(True)
    kwargs = {"lr": 0.1, "weight_decay": 0.01}
    if name == "sgd":
        kwargs["momentum"] = 0.9
    ours = make_optimizer(name, [ours_param], device=torch.device("cpu"), **kwargs)
    theirs = {"adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[name]([theirs_param], **kwargs)
    for _ in range(3):
        grad = torch.randn(3, 4).t()  # (4, 3), not contiguous
        assert not grad.is_contiguous()
        ours.apply([grad])
        theirs_param.grad = grad.contiguous()
        theirs.step()
    torch.testing.assert_close(ours_param, theirs_param)


@pytest.mark.parametrize("embedding", ["piecewise", "periodic"])
def test_the_tabular_ensemble_trains_as_torch_optim_trains_it(embedding):
    # sknn's step (gradients from torch.autograd.grad into a fused kernel) against
    # torch.optim.AdamW on .grad: the same parameters after a few steps, for the
    # network with every custom autograd path (member heads, embeddings)
    torch.manual_seed(0)
    x = torch.randn(32, 6)
    x[:, 5] = torch.randint(0, 4, (32,)).float()  # one categorical code column
    y = torch.randint(0, 3, (32,))
    edges = quantile_edges(x[:, :3].numpy(), 8) if embedding == "piecewise" else None
    ours = TabularMLP(
        5, [4], 3, (16,), n_periodic=3, feature_scale=True, n_ensemble=4, bin_edges=edges
    )
    theirs = copy.deepcopy(ours)
    optimizer = make_optimizer("adamw", ours.parameters(), 1e-2, 1e-3, torch.device("cpu"))
    reference = torch.optim.AdamW(theirs.parameters(), lr=1e-2, weight_decay=1e-3)
    step = Stepper(optimizer)
    for _ in range(3):
        step(F.cross_entropy(ours(x).flatten(0, 1), y.repeat_interleave(4)))
        reference.zero_grad()
        F.cross_entropy(theirs(x).flatten(0, 1), y.repeat_interleave(4)).backward()
        reference.step()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("nesterov", [False, True])
def test_fused_sgd_steps_like_torch_sgd(nesterov):
    torch.manual_seed(0)
    ours_model, theirs_model = MLP(3, 2, (4,)), MLP(3, 2, (4,))
    theirs_model.load_state_dict(ours_model.state_dict())
    kwargs = {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01, "nesterov": nesterov}
    ours = make_optimizer("sgd", ours_model.parameters(), device=torch.device("cpu"), **kwargs)
    assert isinstance(ours, FusedSGD)
    theirs = torch.optim.SGD(theirs_model.parameters(), **kwargs)
    x = torch.randn(8, 3)
    for _ in range(3):
        Stepper(ours)(ours_model(x).square().mean())
        theirs.zero_grad()
        theirs_model(x).square().mean().backward()
        theirs.step()
    for a, b in zip(ours_model.parameters(), theirs_model.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_stepper_uses_backward_for_other_optimizers():
    model = MLP(3, 2, (4,))
    opt = torch.optim.RMSprop(model.parameters(), lr=0.1)
    step = Stepper(opt)
    before = [p.detach().clone() for p in model.parameters()]
    step(model(torch.randn(8, 3)).square().mean())
    assert any(not torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))


def test_recommended_threads_single_thread_for_small_steps():
    assert recommended_threads(1_000) == 1
    assert recommended_threads(1e12) == torch.get_num_threads()


def test_torch_threads_restores_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu-please")


def test_cosine_schedule_reaches_zero_and_constant_stays():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    sched = Schedule("cosine", max_epochs=4)
    sched.start(opt)
    lrs = []
    for epoch in range(4):
        sched.step(opt, epoch)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] == pytest.approx(0.0)
    opt2 = torch.optim.SGD([param], lr=1.0)
    const = Schedule("constant", max_epochs=4)
    const.start(opt2)
    const.step(opt2, 0)
    assert opt2.param_groups[0]["lr"] == 1.0


def test_plateau_schedule_halves_after_patience():
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    sched = Schedule("plateau", max_epochs=10, patience=2)
    sched.start(opt)
    for epoch, value in enumerate([1.0, 1.0, 1.0]):
        sched.step(opt, epoch, value)
    assert opt.param_groups[0]["lr"] == 0.5


def test_early_stopping_keeps_best_weights():
    model = torch.nn.Linear(2, 1)
    stop = EarlyStopping(patience=2, tol=0.0, monitor="valid_loss")
    values = [3.0, 1.0, 2.0, 2.5]
    best_weight = None
    stopped_at = None
    for epoch, value in enumerate(values, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        if value == 1.0:
            best_weight = model.weight.detach().clone()
        if stop.update(value, epoch, model):
            stopped_at = epoch
            break
    assert stopped_at == 4 and stop.best_epoch == 2
    assert stop.restore(model)
    torch.testing.assert_close(model.weight, best_weight)


def test_early_stopping_ignores_gains_below_tol():
    model = torch.nn.Linear(2, 1)
    stop = EarlyStopping(patience=2, tol=0.1)
    assert not stop.update(1.0, 1, model)
    assert not stop.update(0.95, 2, model)  # better but by less than tol
    assert stop.update(0.93, 3, model)
    assert stop.best_epoch == 3  # the best weights still follow the best value
    assert np.isclose(stop.best_value, 0.93)
