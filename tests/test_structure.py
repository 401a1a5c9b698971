"""The package's shape: which layer may import what, siblings not children, docstrings."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import sknn
from sknn import MLPClassifier, MLPRegressor, NeuralNetClassifier, NeuralNetRegressor
from sknn.discovery import all_estimators

PACKAGE = Path(sknn.__file__).parent


def _imported_modules(folder: str) -> dict[str, set[str]]:
    """Top-level names of every module imported by each file under ``sknn/<folder>``."""
    found = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PACKAGE))] = names
    return found


def _violations(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, names in _imported_modules(folder).items()
        for name in sorted(names)
        if name.split(".")[0] in forbidden or name in forbidden
    ]


def test_nn_knows_only_torch():
    assert not _violations("nn", ("sklearn", "pandas", "polars", "pyarrow"))


def test_training_knows_no_estimators():
    # (History.to_frame imports pandas on demand: a convenience for the user)
    assert not _violations("training", ("sklearn",))


def test_drop_ins_and_flagship_do_not_import_each_other():
    assert not [
        f"{path} imports {name}"
        for path, names in _imported_modules("mlp").items()
        for name in names
        if name.startswith("sknn.neural_net")
    ]
    assert not [
        f"{path} imports {name}"
        for path, names in _imported_modules("neural_net").items()
        for name in names
        if name.startswith("sknn.mlp")
    ]


@pytest.mark.parametrize(
    ("drop_in", "flagship"),
    [(MLPClassifier, NeuralNetClassifier), (MLPRegressor, NeuralNetRegressor)],
)
def test_drop_ins_are_siblings_not_children(drop_in, flagship):
    assert not issubclass(drop_in, flagship)
    assert not issubclass(flagship, drop_in)
    assert not isinstance(drop_in(), flagship)
    # nothing of the flagship's machinery is inherited
    assert not set(flagship.__mro__[:-1]) & set(drop_in.__mro__[:-1]) - {
        cls for cls in drop_in.__mro__ if cls.__module__.startswith("sklearn")
    }


def _documented_parameters(cls) -> list[str]:
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"^Parameters\n-+\n(.*?)(?=^\w[\w ]*\n-+\n|\Z)", doc, re.S | re.M)
    assert match, f"{cls.__name__} has no Parameters section"
    names = []
    for line in match.group(1).splitlines():
        entry = re.match(r"^(\*{0,2}\w+) :", line)
        if entry:
            names.append(entry.group(1))
    return names


@pytest.mark.parametrize("name, cls", all_estimators())
def test_docstring_lists_every_parameter(name, cls):
    signature = inspect.signature(cls.__init__)
    expected = [
        ("**" + p.name) if p.kind is p.VAR_KEYWORD else p.name
        for p in signature.parameters.values()
        if p.name != "self"
    ]
    documented = _documented_parameters(cls)
    assert sorted(documented) == sorted(expected), (
        f"{name}: undocumented {sorted(set(expected) - set(documented))}, "
        f"documented but absent {sorted(set(documented) - set(expected))}"
    )


def _documented_attributes(cls) -> set[str]:
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"^Attributes\n-+\n(.*?)(?=^\w[\w ]*\n-+\n|\Z)", doc, re.S | re.M)
    assert match, f"{cls.__name__} has no Attributes section"
    return {m.group(1) for m in re.finditer(r"^(\w+) :", match.group(1), re.M)}


@pytest.mark.parametrize("name, cls", all_estimators())
def test_docstring_lists_every_fitted_attribute(name, cls):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "b": rng.choice(["x", "y"], 60)})
    y = (X["a"] > 0).astype(int)
    est = cls(max_iter=2) if "max_iter" in cls().get_params() else cls()
    if name.startswith("MLP"):
        X = X[["a"]].to_numpy()
    est.fit(X, y)
    fitted = {a for a in vars(est) if a.endswith("_") and not a.startswith("_")}
    assert fitted <= _documented_attributes(cls), sorted(fitted - _documented_attributes(cls))


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert not long, f"split these by concept: {long}"
