"""On a CUDA GPU: tensors in and out on the device, streamed fits, no host copies in training.

Every test here needs a CUDA device and skips without one (CI has none); on a
machine with a GPU, ``bash benchmarks/on_gpu.sh`` runs them with the GPU
benchmarks (benchmarks/README.md, "On a lent GPU"). The rest of the suite
covers the same behaviour on the CPU.
"""

import pickle

import numpy as np
import pytest
import sklearn
import torch
from sklearn.datasets import make_classification

from sknn import MLPClassifier, MLPRegressor, NeuralNetClassifier, NeuralNetRegressor

pytestmark = [
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason="needs a CUDA GPU (see benchmarks/on_gpu.sh)"
    ),
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

ESTIMATORS = [NeuralNetClassifier, NeuralNetRegressor, MLPClassifier, MLPRegressor]


def dispatch():
    return sklearn.config_context(array_api_dispatch=True)


def _data(n=400):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, random_state=0)
    return X.astype(np.float32), y


def _small(cls, **params):
    params = {"max_iter": 10, "random_state": 0, **params}
    if cls in (MLPClassifier, MLPRegressor):
        params.setdefault("hidden_layer_sizes", (16,))
    return cls(**params)


def _target(cls, y):
    return y.astype(np.float32) if cls in (NeuralNetRegressor, MLPRegressor) else y


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_cuda_tensors_in_cuda_tensors_out_as_a_numpy_fit_on_the_gpu(cls):
    X, y = _data()
    y = _target(cls, y)
    reference = _small(cls, device="cuda").fit(X, y)
    X_c, y_c = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")
    with dispatch():
        model = _small(cls).fit(X_c, y_c)  # device="auto" trains where the data is
        methods = ["predict", "predict_proba"]
        answers = {m: getattr(model, m)(X_c) for m in methods if hasattr(model, m)}
        score = model.score(X_c, y_c)
    assert torch.device(model.device_).type == "cuda"
    for method, answer in answers.items():
        assert isinstance(answer, torch.Tensor) and answer.device == X_c.device, method
        expected = getattr(reference, method)(X)
        np.testing.assert_allclose(answer.cpu().numpy(), expected, rtol=1e-4, atol=1e-5)
    assert score == pytest.approx(reference.score(X, y), abs=1e-4)


@pytest.mark.parametrize("cls", [NeuralNetRegressor, MLPClassifier])
def test_auto_trains_on_the_gpu_that_holds_the_tensors(cls):
    X, y = _data()
    last = torch.device("cuda", torch.cuda.device_count() - 1)  # not the current one, if 2+
    X_c, y_c = torch.as_tensor(X, device=last), torch.as_tensor(_target(cls, y), device=last)
    with dispatch():
        model = _small(cls).fit(X_c, y_c)
        assert model.predict(X_c).device == last
    assert torch.device(model.device_) == last


def test_device_cpu_trains_on_the_cpu_and_answers_on_the_inputs_device():
    X, y = _data()
    X_c, y_c = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")
    with dispatch():
        model = _small(NeuralNetClassifier, device="cpu").fit(X_c, y_c)
        proba = model.predict_proba(X_c)
    assert torch.device(model.device_).type == "cpu"
    assert proba.device == X_c.device
    expected = _small(NeuralNetClassifier, device="cpu").fit(X, y).predict_proba(X)
    np.testing.assert_allclose(proba.cpu().numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_model_fitted_on_cuda_tensors_pickles_as_numpy(cls):
    X, y = _data()
    y = _target(cls, y)
    with dispatch():
        model = _small(cls).fit(torch.as_tensor(X, device="cuda"), torch.as_tensor(y))
        expected = model.predict(torch.as_tensor(X, device="cuda")).cpu().numpy()
    state = model.__getstate__()
    assert not any(isinstance(value, torch.Tensor) for value in state.values())
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(loaded.predict(X), expected, rtol=1e-5, atol=1e-6)


def test_a_streamed_fit_trains_on_cuda_and_predicts_as_on_pandas():
    dd = pytest.importorskip("dask.dataframe", reason="the dask extra is not installed")
    import pandas as pd

    X, y = _data(2_000)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    X_d = dd.from_pandas(frame, npartitions=4)
    y_d = dd.from_pandas(pd.Series(y.astype(np.float32)), npartitions=4)
    model = _small(NeuralNetRegressor, device="cuda").fit(X_d, y_d)
    assert torch.device(model.device_).type == "cuda"
    np.testing.assert_allclose(model.predict(X_d).compute(), model.predict(frame), rtol=1e-6)


def _device_to_host_copies(fit) -> int:
    """The CUDA memcpys from the device to the host while ``fit`` runs."""
    from torch.profiler import ProfilerActivity, profile

    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        fit()
        torch.cuda.synchronize()
    return sum(e.count for e in prof.key_averages() if "DtoH" in e.key)


def test_training_copies_nothing_per_batch_to_the_host():
    # 20,000 rows in batches of 128: about 140 steps an epoch, so a copy made
    # at every step would add well over 100 memcpys an epoch
    X, y = _data(20_000)
    X_c, y_c = torch.as_tensor(X, device="cuda"), torch.as_tensor(y, device="cuda")

    def fit(epochs: int):
        def run():
            model = NeuralNetClassifier(
                max_iter=epochs, batch_size=128, n_iter_no_change=100, random_state=0
            )
            with dispatch():
                model.fit(X_c, y_c)

        return run

    fit(1)()  # warm up CUDA's kernels and the profiler
    one, five = _device_to_host_copies(fit(1)), _device_to_host_copies(fit(5))
    per_epoch = (five - one) / 4
    assert per_epoch <= 16, f"{per_epoch} device-to-host copies an epoch ({one}, {five})"


def test_wide_sparse_x_trains_on_the_gpu_as_on_the_cpu():
    import scipy.sparse as sp

    X = sp.random(600, 2_000, density=0.01, format="csr", random_state=0)
    y = (X[:, :200].sum(axis=1).A1 > np.median(X[:, :200].sum(axis=1).A1)).astype(int)
    for cls, params in (
        (NeuralNetClassifier, {}),
        (MLPClassifier, {}),
        (MLPClassifier, {"solver": "lbfgs"}),
    ):
        on_gpu = _small(cls, device="cuda", **params).fit(X, y)
        on_cpu = _small(cls, device="cpu", **params).fit(X, y)
        assert str(on_gpu.device_).startswith("cuda")
        # float32 sums in another order (and the GPU's atomic adds): close, not equal
        np.testing.assert_allclose(on_gpu.predict_proba(X), on_cpu.predict_proba(X), atol=0.02)
        np.testing.assert_array_equal(on_gpu.predict_proba(X), on_gpu.predict_proba(X.tocsc()))
