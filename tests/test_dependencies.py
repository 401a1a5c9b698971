"""What pyproject.toml declares is what sknn imports, and its floors are what CI installs.

scikit-learn 1.6 to 1.8, pandas 1.5, skops 0.10 and dask 2024 were once
accepted while sknn could not run under them, and scipy was imported
undeclared: the floors now match ``.ci/oldest.txt``, which ``.ci/oldest``
installs to run the tests again.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

import sknn

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")

ROOT = Path(sknn.__file__).parent.parent
if not (ROOT / "pyproject.toml").exists():
    pytest.skip("sknn is installed, not a source checkout", allow_module_level=True)
PACKAGE = ROOT / "sknn"
# subpackages whose face refuses, naming the extra, when the extra is missing
EXTRA_PACKAGES = ("onnx",)
DISTRIBUTION = {"sklearn": "scikit-learn"}  # import name -> distribution, where they differ


def _floors(requirements: list[str]) -> dict[str, str]:
    """``name>=version`` requirements as ``{name: version}`` (markers aside)."""
    floors = {}
    pattern = r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?>=([^;,\s]+)(?:\s*;.*)?"
    for requirement in requirements:
        match = re.fullmatch(pattern, requirement)
        assert match, f"{requirement!r} has no >= floor"
        floors[match[1].lower()] = match[2]
    return floors


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _core_floors() -> dict[str, str]:
    return _floors(_project()["dependencies"])


# the extras a user installs whose libraries sknn calls (vision and text are weight wheels)
USER_EXTRAS = ("plot", "skops", "onnx", "dask")
# libraries whose tables sknn reads, not its dependencies: the test extra's floors
TABLE_LIBRARIES = ("pyarrow", "polars")


def _extra_floors(extra: str) -> dict[str, str]:
    return _floors(_project()["optional-dependencies"][extra])


def _oldest_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "oldest.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def _module_level_imports() -> dict[str, set[str]]:
    """Third-party top-level names imported at module level, with the files importing them."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in EXTRA_PACKAGES:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top != "sknn" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(relative))
    return found


def test_every_package_imported_at_module_level_is_a_core_dependency():
    declared = set(_core_floors())
    imported = _module_level_imports()
    missing = {
        name: sorted(files)
        for name, files in imported.items()
        if DISTRIBUTION.get(name, name).lower() not in declared
    }
    assert not missing, f"imported by sknn but not in pyproject's dependencies: {missing}"


def test_narwhals_that_reads_every_table_is_a_core_dependency():
    # imported inside the function that reads every table: a dependency all the same
    assert "import narwhals" in (PACKAGE / "preprocessing" / "_frame.py").read_text()
    assert "narwhals" in _core_floors()


def test_the_floors_are_the_versions_ci_installs():
    floors = _core_floors()
    floors.pop("torch")  # see .ci/oldest.txt: only 2.13.0's CPU build is installed here
    for extra in USER_EXTRAS:
        floors.update(_extra_floors(extra))
    test = _extra_floors("test")
    floors.update({name: test[name] for name in TABLE_LIBRARIES})
    assert floors == _oldest_pins()


def test_the_test_extra_asks_for_what_the_user_extras_do():
    test = _extra_floors("test")
    for extra in USER_EXTRAS:
        for name, floor in _extra_floors(extra).items():
            assert test.get(name) == floor, f"{name}: {test.get(name)} in test, {floor} in {extra}"
