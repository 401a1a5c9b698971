"""The README is a front page: short, the two commands first, and its examples run as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BENCHMARKS_README = README.parent / "benchmarks" / "README.md"


def _examples() -> list[str]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    return [block for block in blocks if block.startswith("# example")]


def test_readme_is_a_front_page_with_the_two_commands_first():
    text = README.read_text()
    assert len(text.splitlines()) <= 300
    first_block = re.search(r"```(\w*)\n(.*?)```", text, flags=re.S)
    assert first_block.group(1) == "bash"
    commands = [line for line in first_block.group(2).splitlines() if not line.startswith("#")]
    assert [c for c in commands if c.strip()] == [
        "bash .ci/setup && .venv/bin/python -m sknn.demo",
        "bash .ci/run",
    ]


def test_every_benchmark_script_has_a_section_with_its_command():
    guide = BENCHMARKS_README.read_text()
    helpers = {"datasets", "models", "accuracy_report", "wide", "wide_report", "wide_tables"}
    helpers |= {"speed_search"}
    scripts = sorted(p.stem for p in BENCHMARKS_README.parent.glob("*.py") if p.stem not in helpers)
    for name in scripts:
        assert f"## `{name}.py" in guide, f"benchmarks/README.md has no section for {name}.py"
        assert f"python benchmarks/{name}.py" in guide, name
    for name in helpers:  # the modules that are not benchmarks are named too
        assert f"`{name}.py`" in guide, name


def test_readme_examples_run_and_print_scores(capsys):
    examples = _examples()
    assert len(examples) >= 6
    namespace: dict = {}
    for code in examples:  # later examples reuse names from earlier ones
        exec(compile(code, str(README), "exec"), namespace)
    out = capsys.readouterr().out

    def number(label: str) -> float:
        return float(re.search(re.escape(label) + r" ([0-9.e-]+)", out).group(1))

    assert number("credit, 3-fold accuracy:") >= 0.75, out  # majority class 0.72
    assert "grid search, best: {" in out, out
    assert number("digits CNN, 3-fold accuracy:") >= 0.95, out
    assert number("fine-tuned on all digits, held-out accuracy:") >= 0.75, out  # chance 0.1
    assert "ImageNet labels: ['Egyptian cat', 'espresso', 'missile']" in out, out
    pretrained = number("faces, pretrained features, 5-fold accuracy:")
    assert pretrained > number("faces, raw pixels, 5-fold accuracy:"), out  # 0.990 vs 0.965
    assert "paraphrase closer than unrelated: True" in out, out
    assert number("tweets, sentence embeddings, held-out accuracy:") >= 0.75, out  # majority 0.54
    assert "same predictions after loading: True" in out, out
    assert "ONNX labels equal predict: True" in out, out
    assert number("largest probability difference:") <= 1e-4, out
    assert "Dask finds the same best parameters: True" in out, out
    assert number("streamed fit, accuracy:") >= 0.75, out  # majority class 0.72
    assert "dask.array" in out, out  # predictions stay lazy
    # HistGradientBoostingRegressor(loss="poisson") explains 0.187 on the same split
    assert number("visits, Poisson deviance explained:") >= 0.2, out
    assert 0.85 <= number("houses, 90% interval coverage:") <= 0.96, out  # 432 test rows
