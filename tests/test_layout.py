"""The house's layout: public names where the docs put them, no import circles, package faces.

The package root holds only the public face, the entry point and a few
package-wide modules; every package's ``__init__`` docstring says what lives
there, what imports it and where the next capability plugs in; no module
imports, directly or through others, a module that imports it back (in
``sknn/`` and in ``benchmarks/``), counting imports inside functions too.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import sknn

PACKAGE = Path(sknn.__file__).parent
BENCHMARKS = PACKAGE.parent / "benchmarks"

# every public name at the path README.md and the docstrings give for it
PUBLIC = {
    "sknn": [
        "MLPClassifier",
        "MLPRegressor",
        "NeuralNetClassifier",
        "NeuralNetRegressor",
        "TabularEncoder",
    ],
    "sknn.neural_net": ["NeuralNetClassifier", "NeuralNetRegressor"],
    "sknn.mlp": ["MLPClassifier", "MLPRegressor"],
    "sknn.preprocessing": ["DATETIME_PARTS", "TabularEncoder"],
    "sknn.pretrained": [
        "ImageBackbone",
        "ImageEmbedder",
        "ImageNetClassifier",
        "TextBackbone",
        "TextEmbedder",
        "TextTokenizer",
        "VoiceBackbone",
        "VoiceEmbedder",
    ],
    "sknn.onnx": ["OPSET", "initial_types", "input_feed", "to_onnx"],
    "sknn.training": [
        "Callback",
        "EarlyStopping",
        "History",
        "ProgressBar",
        "Trainer",
        "TrainingData",
        "TrainingInterrupted",
        "recommended_threads",
        "resolve_device",
        "torch_threads",
    ],
    "sknn.nn": [
        "ACTIVATIONS",
        "MLP",
        "FeatureScale",
        "GroupedLinear",
        "PeriodicEmbedding",
        "PiecewiseLinearEmbedding",
        "SparseRows",
        "TabularMLP",
        "embedding_dim",
        "narrow_bmm",
        "relu_narrow_bmm",
        "quantile_edges",
    ],
    "sknn.discovery": ["all_estimators"],
}


@pytest.mark.parametrize("path", sorted(PUBLIC))
def test_every_public_name_imports_from_its_documented_path(path):
    module = importlib.import_module(path)
    for name in PUBLIC[path]:
        assert getattr(module, name) is not None, f"{path}.{name}"
    exported = getattr(module, "__all__", None)
    if exported is not None:  # a new public name is added here on purpose, not by accident
        assert sorted(exported) == sorted(PUBLIC[path]), path


def test_the_estimators_are_the_same_objects_on_every_path():
    from sknn.mlp import MLPClassifier
    from sknn.neural_net import NeuralNetClassifier, NeuralNetRegressor

    assert sknn.NeuralNetClassifier is NeuralNetClassifier
    assert sknn.NeuralNetRegressor is NeuralNetRegressor
    assert sknn.MLPClassifier is MLPClassifier


def test_the_root_holds_the_face_the_entry_point_and_few_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 5, modules
    assert {"__init__.py", "demo.py"} <= set(modules)


def _packages() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.rglob("__init__.py"))


@pytest.mark.parametrize("folder", _packages(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_every_package_face_says_what_lives_there_who_imports_it_and_what_comes_next(folder):
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc)]
    cues = ("Lives here:", "Imported by:", "Next:")
    assert any(all(cue in p for cue in cues) for p in paragraphs), (
        f"{folder.name}/__init__.py needs one paragraph with {cues}"
    )


# ------------------------------------------------------------------ circles
def _module_name(path: Path, root: Path, prefix: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([prefix, *parts]) if prefix else ".".join(parts)


def _import_graph(root: Path, prefix: str) -> dict[str, set[str]]:
    """Module -> the modules of the same tree it imports (anywhere in the file)."""
    files = {_module_name(p, root, prefix): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolved against this module's package
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base]).strip(".")
                # `from package import submodule` imports that submodule, not the face
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                targets = [t for t in submodules if t in files] or [base]
            graph[name].update(t for t in targets if t in files and t != name)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_package():
    assert not _circles(_import_graph(PACKAGE, "sknn"))


def test_no_import_circle_in_the_benchmarks():
    assert not _circles(_import_graph(BENCHMARKS, ""))
